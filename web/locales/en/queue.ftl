# The on-demand queue and the booth (issue #19).
sms-queue-ready = { $site }: { $practitioner } is ready for your teleconsultation now. Join: { $link }
email-queue-ready-subject = { $site }: your practitioner is ready — join now
email-queue-ready-body =
    Hello { $name },

    { $practitioner } has taken your request and is ready for your teleconsultation ({ $mode }) now.

    Join the call: { $link }

    { $site }
queue-left-the-booth = the patient left the booth before the consultation
queue-no-practitioner-available = No practitioner is available right now.
