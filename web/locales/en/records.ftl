## Short medical record (patient space, appointment page)
mr-title = Medical record
mr-for = Medical record of { $name }
mr-intro = The practitioners you have an appointment with read this before the consultation. Fill in what applies and leave the rest empty.
mr-history = Medical history
mr-history-hint = Past illnesses, operations, long-term conditions.
mr-allergies = Allergies
mr-allergies-hint = Medicines, food or anything else, with the reaction if you know it.
mr-treatments = Current treatments
mr-treatments-hint = Medicines and treatments you take now, with the dose if you know it.
mr-save = Save the medical record
mr-saved = Medical record saved. The practitioner will see it before your consultation.
mr-updated = Last updated { $date }.
mr-error-part = At most 4000 characters, without control characters.
mr-section-title = Medical record given by the patient
mr-not-filled = The patient has not filled in a medical record.
mr-none-declared = Nothing declared
mr-fill-link = Fill in the medical record for the practitioner

## Secure messaging
msg-title = Messages
msg-intro = Write to the practitioners you have an appointment with, outside the consultation: a question about a treatment, a result to show. Messages are not for emergencies: call 112.
msg-none = No conversation yet. Once an appointment is booked, the practitioner can be written to here.
msg-with = Conversation between { $name }
msg-unread = { $count } unread
msg-last = Last message { $date }
msg-no-messages-yet = No message yet.
msg-from-you = You
msg-read = Read { $date }
msg-text = Your message
msg-file = File (PDF, JPEG or PNG, optional)
msg-file-hint = At most { $mb } MB.
msg-send = Send
msg-sent = Message sent. The recipient is told by e-mail that a message is waiting, without its content.
msg-error-text = Write a message (at most 4000 characters) or add a file.
msg-error-type = Only PDF, JPEG or PNG files can be sent.
msg-error-content = This file is empty or is not what its type says.
msg-error-size = This file is too large (at most { $mb } MB).
msg-write = Write a message
email-message-subject = { $site }: you have a new message
email-message-body =
    Hello { $name },

    You have a new message in your secure messaging. Read it in your personal space:

    { $link }

    { $site }
