sms-login-code = { $site }: Ihr Anmeldecode lautet { $code }. Er ist 5 Minuten gültig. Geben Sie ihn niemandem weiter.
email-activation-subject = { $site }: Aktivieren Sie Ihr Konto
email-activation-body =
    Guten Tag { $name },

    Ihr Telekonsultationskonto wurde erstellt. Es muss einmalig aktiviert werden:
    Öffnen Sie diesen Link innerhalb von 48 Stunden:

    { $link }

    Wenn Sie sich nicht registriert haben, ignorieren Sie diese Nachricht: Das Konto bleibt inaktiv.

    { $site }
email-reset-subject = { $site }: Passwort zurücksetzen
email-reset-body =
    Guten Tag { $name },

    Für Ihr Telekonsultationskonto wurde das Zurücksetzen des Passworts angefordert.
    Öffnen Sie diesen Link innerhalb einer Stunde, um ein neues Passwort zu wählen:

    { $link }

    Wenn Sie dies nicht angefordert haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.

    { $site }
sms-booked = { $site }: Ihre Telekonsultation bei { $practitioner } ist für { $when } gebucht. Details: { $link }
email-booked-subject = { $site }: Telekonsultation für { $when } gebucht
email-booked-body =
    Guten Tag { $name },

    Ihre Telekonsultation bei { $practitioner } ist für { $when } gebucht ({ $mode }).

    Das Wartezimmer öffnet 10 Minuten vorher: { $link }
    Die Kalendereinladung ist angehängt.

    Zum Stornieren öffnen Sie den Link oben.

    { $site }
sms-reminder = { $site }: Erinnerung — Telekonsultation bei { $practitioner } am { $when }. Zugang: { $link }
email-reminder-subject = { $site }: Erinnerung, Telekonsultation am { $when }
email-reminder-body =
    Guten Tag { $name },

    Wir erinnern Sie an Ihre Telekonsultation bei { $practitioner } am { $when } ({ $mode }).

    Das Wartezimmer öffnet 10 Minuten vorher: { $link }

    { $site }
sms-cancelled = { $site }: Ihre Telekonsultation bei { $practitioner } am { $when } ist storniert. Details: { $link }
email-cancelled-subject = { $site }: Telekonsultation vom { $when } storniert
email-cancelled-body =
    Guten Tag { $name },

    Ihre Telekonsultation bei { $practitioner } am { $when } ist storniert.
    Details und neue Buchung: { $link }

    { $site }
mode-video = Video
mode-audio = nur Audio
