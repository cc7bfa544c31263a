sms-login-code = { $site }: your login code is { $code }. It expires in 5 minutes. Never give it to anyone.
email-activation-subject = { $site }: activate your account
email-activation-body =
    Hello { $name },

    Your teleconsultation account has been created. It needs a one-time activation:
    open this link within 48 hours:

    { $link }

    If you did not register, ignore this message: the account stays inactive.

    { $site }
email-reset-subject = { $site }: reset your password
email-reset-body =
    Hello { $name },

    Someone (hopefully you) asked to reset the password of your teleconsultation account.
    Open this link within one hour to choose a new password:

    { $link }

    If you did not ask for it, ignore this message: your password stays unchanged.

    { $site }
sms-booked = { $site }: your teleconsultation with { $practitioner } is booked for { $when }. Details: { $link }
email-booked-subject = { $site }: teleconsultation booked for { $when }
email-booked-body =
    Hello { $name },

    Your teleconsultation with { $practitioner } is booked for { $when } ({ $mode }).

    The call room opens 10 minutes before: { $link }
    The calendar invitation is attached.

    To cancel, open the link above.

    { $site }
sms-reminder = { $site }: reminder — teleconsultation with { $practitioner } on { $when }. Join: { $link }
email-reminder-subject = { $site }: reminder, teleconsultation on { $when }
email-reminder-body =
    Hello { $name },

    This is a reminder of your teleconsultation with { $practitioner } on { $when } ({ $mode }).

    The call room opens 10 minutes before: { $link }

    { $site }
sms-cancelled = { $site }: your teleconsultation with { $practitioner } on { $when } is cancelled. Details: { $link }
email-cancelled-subject = { $site }: teleconsultation of { $when } cancelled
email-cancelled-body =
    Hello { $name },

    Your teleconsultation with { $practitioner } on { $when } is cancelled.
    Details and a new booking: { $link }

    { $site }
mode-video = video
mode-audio = audio only
