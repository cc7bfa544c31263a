# Confirmation of sensitive changes, registration notices, activation (see docs/security.md).
sms-confirm-contact-change = { $site }: your code to confirm the change of your phone number or e-mail address is { $code }. It expires in 5 minutes. If you did not ask for it, change your password.
sms-confirm-erasure = { $site }: your code to confirm the ERASURE of your account is { $code }. It expires in 5 minutes. If you did not ask for it, change your password.
notice-changed-phone = Your phone number is now { $phone }.
notice-changed-email = Your e-mail address is now { $email }.
email-contact-changed-subject = { $site }: your contact details were changed
email-contact-changed-body =
    Hello { $name },

    The contact details of your teleconsultation account were changed:

    { $what }

    If you did not make this change, contact the site at once.

    { $site }
sms-phone-changed = { $site }: the phone number of your account was changed. If you did not make this change, contact the site at once.
email-erased-subject = { $site }: your account was erased
email-erased-body =
    Hello { $name },

    Your teleconsultation account and your data were erased, as you asked. Only what the law
    requires is kept (the audit trail of accesses, and the documents practitioners issued).

    If you did not ask for this, contact the site at once.

    { $site }
email-registration-taken-subject = { $site }: registration attempt with your address
email-registration-taken-body =
    Hello,

    Someone (perhaps you) tried to register a teleconsultation account with this e-mail
    address, which already has an account. Nothing was changed.

    If it was you: log in with this address. If you forgot your password, choose a new one here:

    { $link }

    If you registered less than 48 hours ago and have not activated your account yet, use the
    link of the activation e-mail.

    If it was not you, you can ignore this message.

    { $site }
email-registration-incomplete-subject = { $site }: your registration could not be completed
email-registration-incomplete-body =
    Hello { $name },

    Your registration for a teleconsultation account could not be completed. Please contact the
    site: the staff will help you.

    If you did not register, you can ignore this message.

    { $site }
email-national-id-tried-subject = { $site }: registration attempt with your national identification number
email-national-id-tried-body =
    Hello,

    Someone tried to register a new teleconsultation account with the national identification
    number of your account. No account was created.

    If it was you, log in with your usual e-mail address; if you forgot your password, choose a
    new one here:

    { $link }

    If it was not you, tell the site.

    { $site }
activation-title = Activate your account
activation-intro = Press the button to activate your teleconsultation account.
activation-submit = Activate my account
me-code-sent = A code was sent by SMS to your current phone number. It expires in 5 minutes.
me-confirm-intro = To change your phone number or e-mail address, ask for a code by SMS to your current phone, then type it below with your password.
me-send-code = Send me a code by SMS
me-confirm-password-hint = Only needed to change the phone number or the e-mail address.
me-confirm-code = Code received by SMS
me-confirm-code-hint = Six digits, sent to your current phone number.
me-confirm-required = To change the phone number or the e-mail address, type your password and the code received by SMS.
me-confirm-invalid = The password or the code is wrong, or the code has expired: try again, or ask for a new code.
erase-confirm-intro = To erase your account, ask for a code by SMS to your current phone, then type it below with your password.
