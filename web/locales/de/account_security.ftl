# Bestätigung heikler Änderungen, Hinweise zur Registrierung, Aktivierung (siehe docs/security.md).
sms-confirm-contact-change = { $site }: Ihr Code zur Bestätigung der Änderung Ihrer Telefonnummer oder E-Mail-Adresse lautet { $code }. Er läuft in 5 Minuten ab. Wenn Sie ihn nicht angefordert haben, ändern Sie Ihr Passwort.
sms-confirm-erasure = { $site }: Ihr Code zur Bestätigung der LÖSCHUNG Ihres Kontos lautet { $code }. Er läuft in 5 Minuten ab. Wenn Sie ihn nicht angefordert haben, ändern Sie Ihr Passwort.
notice-changed-phone = Ihre Telefonnummer lautet jetzt { $phone }.
notice-changed-email = Ihre E-Mail-Adresse lautet jetzt { $email }.
email-contact-changed-subject = { $site }: Ihre Kontaktdaten wurden geändert
email-contact-changed-body =
    Hallo { $name },

    Die Kontaktdaten Ihres Telekonsultationskontos wurden geändert:

    { $what }

    Wenn Sie diese Änderung nicht vorgenommen haben, wenden Sie sich sofort an den Standort.

    { $site }
sms-phone-changed = { $site }: Die Telefonnummer Ihres Kontos wurde geändert. Wenn Sie diese Änderung nicht vorgenommen haben, wenden Sie sich sofort an den Standort.
email-erased-subject = { $site }: Ihr Konto wurde gelöscht
email-erased-body =
    Hallo { $name },

    Ihr Telekonsultationskonto und Ihre Daten wurden wie gewünscht gelöscht. Aufbewahrt wird nur,
    was das Gesetz verlangt (das Protokoll der Zugriffe und die von Ärzten ausgestellten
    Dokumente).

    Wenn Sie das nicht verlangt haben, wenden Sie sich sofort an den Standort.

    { $site }
email-registration-taken-subject = { $site }: Registrierungsversuch mit Ihrer Adresse
email-registration-taken-body =
    Hallo,

    Jemand (vielleicht Sie) hat versucht, mit dieser E-Mail-Adresse ein Telekonsultationskonto
    zu registrieren. Für diese Adresse besteht bereits ein Konto. Es wurde nichts geändert.

    Wenn Sie es waren: Melden Sie sich mit dieser Adresse an. Wenn Sie Ihr Passwort vergessen
    haben, wählen Sie hier ein neues:

    { $link }

    Wenn Sie sich vor weniger als 48 Stunden registriert und Ihr Konto noch nicht aktiviert
    haben, verwenden Sie den Link der Aktivierungs-E-Mail.

    Wenn Sie es nicht waren, können Sie diese Nachricht ignorieren.

    { $site }
email-registration-incomplete-subject = { $site }: Ihre Registrierung konnte nicht abgeschlossen werden
email-registration-incomplete-body =
    Hallo { $name },

    Ihre Registrierung für ein Telekonsultationskonto konnte nicht abgeschlossen werden. Bitte
    wenden Sie sich an den Standort: Das Personal hilft Ihnen weiter.

    Wenn Sie sich nicht registriert haben, können Sie diese Nachricht ignorieren.

    { $site }
email-national-id-tried-subject = { $site }: Registrierungsversuch mit Ihrer nationalen Identifikationsnummer
email-national-id-tried-body =
    Hallo,

    Jemand hat versucht, mit der nationalen Identifikationsnummer Ihres Kontos ein neues
    Telekonsultationskonto zu registrieren. Es wurde kein Konto angelegt.

    Wenn Sie es waren, melden Sie sich mit Ihrer gewohnten E-Mail-Adresse an; wenn Sie Ihr
    Passwort vergessen haben, wählen Sie hier ein neues:

    { $link }

    Wenn Sie es nicht waren, informieren Sie den Standort.

    { $site }
activation-title = Konto aktivieren
activation-intro = Drücken Sie die Schaltfläche, um Ihr Telekonsultationskonto zu aktivieren.
activation-submit = Mein Konto aktivieren
me-code-sent = Ein Code wurde per SMS an Ihre aktuelle Telefonnummer gesendet. Er läuft in 5 Minuten ab.
me-confirm-intro = Um Ihre Telefonnummer oder E-Mail-Adresse zu ändern, fordern Sie einen Code per SMS an Ihr aktuelles Telefon an und geben Sie ihn unten mit Ihrem Passwort ein.
me-send-code = Code per SMS senden
me-confirm-password-hint = Nur nötig, um die Telefonnummer oder die E-Mail-Adresse zu ändern.
me-confirm-code = Per SMS erhaltener Code
me-confirm-code-hint = Sechs Ziffern, an Ihre aktuelle Telefonnummer gesendet.
me-confirm-required = Um die Telefonnummer oder die E-Mail-Adresse zu ändern, geben Sie Ihr Passwort und den per SMS erhaltenen Code ein.
me-confirm-invalid = Das Passwort oder der Code ist falsch, oder der Code ist abgelaufen: Versuchen Sie es erneut oder fordern Sie einen neuen Code an.
erase-confirm-intro = Um Ihr Konto zu löschen, fordern Sie einen Code per SMS an Ihr aktuelles Telefon an und geben Sie ihn unten mit Ihrem Passwort ein.
