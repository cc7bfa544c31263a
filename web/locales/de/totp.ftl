# Die Authenticator-App (TOTP): der zweite Faktor, der ohne Internet funktioniert (siehe docs/security.md).
code-intro-totp = Öffnen Sie die Authenticator-App auf Ihrem Telefon und geben Sie den Code ein, den sie für diese Seite anzeigt. Es wird keine SMS gesendet.
code-hint-totp = 6 Ziffern. Jeder Code gilt nur einmal: Haben Sie gerade einen verwendet, warten Sie auf den nächsten.
totp-title = Authenticator-App
totp-intro = Eine Authenticator-App auf Ihrem Telefon (zum Beispiel FreeOTP, Aegis, Google Authenticator oder Microsoft Authenticator) zeigt alle 30 Sekunden einen neuen 6-stelligen Code. Damit melden Sie sich ohne SMS an, auch wenn das Internet ausfällt.
totp-not-offered = Diese Seite bietet keine Authenticator-Apps an: Sie melden sich mit einem per SMS gesendeten Code an.
totp-start-intro = Um eine App einzurichten, bestätigen Sie Ihr Passwort.
totp-start = App einrichten
totp-step-scan = Scannen Sie diesen QR-Code mit Ihrer Authenticator-App oder geben Sie den Schlüssel unten darin ein.
totp-step-confirm = Geben Sie den 6-stelligen Code ein, den die App dann anzeigt. Diese Einrichtung läuft nach 10 Minuten ab.
totp-qr-label = QR-Code zum Scannen mit Ihrer Authenticator-App
totp-secret-label = Schlüssel zur Eingabe von Hand:
totp-code-hint = 6 Ziffern, so wie die App sie jetzt anzeigt.
totp-confirm = Bestätigen
totp-active = Für Ihr Konto ist eine Authenticator-App eingerichtet: Geben Sie bei der Anmeldung ihren Code ein. Es wird keine SMS gesendet.
totp-remove-title = App entfernen
totp-remove-intro = Sie melden sich dann wieder mit einem per SMS gesendeten Code an. Telefon verloren? Bitten Sie einen Administrator der Seite, Ihre App zurückzusetzen.
totp-remove = App entfernen
totp-wrong-password = Das Passwort ist falsch.
totp-wrong-code = Der Code ist falsch oder wurde schon verwendet: Geben Sie den Code ein, den die App jetzt anzeigt.
totp-expired = Diese Einrichtung ist abgelaufen: Beginnen Sie von vorn.
totp-enrolled = Ihre Authenticator-App ist eingerichtet. Ab der nächsten Anmeldung geben Sie ihren Code ein.
totp-removed = Die Authenticator-App wurde entfernt. Sie melden sich mit einem per SMS gesendeten Code an.
totp-nudge = Bitte richten Sie eine Authenticator-App ein: Damit können Sie sich an der Kabine anmelden, auch wenn Internet oder SMS-Dienst ausfallen.
totp-nudge-action = Meine App einrichten
totp-admin-reset = App zurücksetzen
totp-admin-reset-label = Die Authenticator-App von { $name } zurücksetzen
totp-admin-done = Die Authenticator-App wurde entfernt: Das Konto meldet sich wieder mit einem SMS-Code an, und der Inhaber wurde per E-Mail informiert.
email-totp-subject = { $site }: Der zweite Faktor Ihres Kontos wurde geändert
email-totp-enrolled-body =
    Guten Tag { $name },

    Für Ihr Telekonsultationskonto wurde eine Authenticator-App eingerichtet. Ab jetzt melden Sie
    sich mit ihrem Code an statt mit einem per SMS gesendeten Code.

    Wenn Sie das nicht waren, wenden Sie sich sofort an die Einrichtung.

    { $site }
email-totp-removed-body =
    Guten Tag { $name },

    Die Authenticator-App Ihres Telekonsultationskontos wurde entfernt. Sie melden sich wieder
    mit einem per SMS gesendeten Code an.

    Wenn Sie das nicht waren, wenden Sie sich sofort an die Einrichtung.

    { $site }
email-totp-reset-body =
    Guten Tag { $name },

    Ein Administrator der Einrichtung hat die Authenticator-App Ihres Telekonsultationskontos
    entfernt (zum Beispiel nach dem Verlust eines Telefons). Sie melden sich wieder mit einem per
    SMS gesendeten Code an und können nach der Anmeldung eine neue App einrichten.

    Wenn Sie das nicht veranlasst haben, wenden Sie sich sofort an die Einrichtung.

    { $site }
