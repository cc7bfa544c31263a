# Webseiten (Deutsch). Alle Sprachen haben dieselben Kennungen (Unit-Test).

## Rahmen
skip-to-content = Zum Inhalt springen
demo-banner = Demo-Modus: nur Testdaten, geben Sie keine echten Patientendaten ein.
demo-network-banner = Diese Demo ist aus dem Netzwerk erreichbar (--demo-on-network): ihre Passwörter sind öffentlich und jeder Anmeldecode wird auf ihrer Postausgangsseite angezeigt. Nutzen Sie sie nur in einem vertrauenswürdigen Netzwerk.
nav-label = Hauptmenü
nav-home = Meine Startseite
nav-my-data = Meine Daten
nav-login = Anmelden
nav-register = Konto erstellen
nav-logout = Abmelden ({ $name })
lang-switch-label = Sprache
footer-text = Telekonsultationsdienst. Ihre Daten bleiben auf dem Server dieses Standorts und werden gemäß DSGVO verarbeitet.
back = Zurück
back-home = Zurück zur Startseite

## Startseite
landing-intro = Sprechen Sie per Video oder Telefon mit einer Ärztin, einem Arzt oder einer anderen Gesundheitsfachkraft – von zu Hause oder aus einer Kabine in der Apotheke.
landing-go-home = Zu meiner Startseite
landing-needs-title = Was Sie brauchen
landing-need-id = Ihre nationale Identifikationsnummer (Sozialversicherungsnummer)
landing-need-phone = ein Mobiltelefon: Bei jeder Anmeldung erhalten Sie per SMS einen neuen Anmeldecode
landing-need-email = eine E-Mail-Adresse: für den Aktivierungslink, Bestätigungen und Dokumente
landing-need-device = einen Computer, ein Tablet oder ein Smartphone mit Kamera und Mikrofon
landing-practitioners = Behandelnde
landing-no-practitioner = An diesem Standort ist noch keine behandelnde Person eingetragen.
landing-status = Status des Dienstes:
status-ready = bereit
status-starting = startet
specialty-general-practice = Allgemeinmedizin
specialty-dermatology = Dermatologie
specialty-speech-therapy = Logopädie
specialty-dietetics = Ernährungsberatung
specialty-paediatrics = Kinderheilkunde
specialty-midwifery = Hebamme
specialty-dentistry = Zahnmedizin

## Registrierung
register-title = Ihr Konto erstellen
register-intro = Füllen Sie alle Felder aus. Wir senden einen Aktivierungslink an Ihre E-Mail-Adresse; Ihr Konto funktioniert, sobald Sie ihn geöffnet haben.
register-identity = Wer Sie sind
register-national-id = Nationale Identifikationsnummer
register-national-id-hint-lu = Die 13 Ziffern Ihrer luxemburgischen Sozialversicherungsnummer (Matrikel), z. B. 1985 0715 123 45.
register-national-id-hint-fr = Ihre französische Sozialversicherungsnummer (NIR): 15 Zeichen einschließlich des 2-stelligen Schlüssels.
register-national-id-hint-pt = Ihre portugiesische SNS-Nutzernummer (número de utente): 9 Ziffern.
register-first-name = Vorname
register-last-name = Nachname
register-birth-date = Geburtsdatum
register-birth-date-hint = Es muss mit dem Datum in Ihrer nationalen Identifikationsnummer übereinstimmen.
register-contact = Wie wir Sie erreichen
register-phone = Mobilnummer
register-phone-hint = Mit Ländervorwahl, z. B. +352 621 123 456. Ihre Anmeldecodes werden per SMS dorthin gesendet.
register-email = E-Mail-Adresse
register-email-hint = Damit melden Sie sich an; Bestätigungen und Dokumente werden dorthin gesendet.
field-language = Sprache
register-password-legend = Ihr Passwort
register-password = Passwort
register-password-confirm = Passwort wiederholen
password-rule = Mindestens 10 Zeichen aus 3 dieser Arten: Kleinbuchstaben, Großbuchstaben, Ziffern, Sonderzeichen – oder mindestens 16 Zeichen. Es darf den Namen Ihrer E-Mail-Adresse nicht enthalten.
register-consents = Ihre Einwilligung
register-consents-version = Version { $version } dieser Texte.
consent-data-processing-label = Ich willige in die Verarbeitung meiner Daten ein
consent-data-processing-text = Dieser Standort verarbeitet Ihre personenbezogenen und Gesundheitsdaten, um Ihre Telekonsultationen zu organisieren, gemäß DSGVO. Sie werden nur an die Gesundheitsfachkräfte weitergegeben, die Sie behandeln, und, wo das Gesetz es verlangt, an die Krankenversicherung. Sie können sie jederzeit einsehen, berichtigen, herunterladen oder löschen.
consent-teleconsultation-label = Ich willige in eine Fernbehandlung ein
consent-teleconsultation-text = Die Konsultation findet per Video oder Telefon statt. Die behandelnde Person kann entscheiden, dass Sie persönlich untersucht werden müssen.
register-submit = Mein Konto erstellen
register-have-account = Sie haben bereits ein Konto?

## Feldfehler
form-errors-title = Bitte korrigieren Sie Folgendes
error-national-id = Prüfen Sie Ihre nationale Identifikationsnummer: Sie ist nicht gültig.
error-first-name = Geben Sie Ihren Vornamen ein.
error-last-name = Geben Sie Ihren Nachnamen ein.
error-birth-date = Geben Sie ein gültiges Geburtsdatum ein, das zu Ihrer nationalen Identifikationsnummer passt.
error-phone = Geben Sie eine Mobilnummer mit Ländervorwahl ein, z. B. +352 621 123 456.
error-email = Geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.lu.
error-language = Wählen Sie eine Sprache aus der Liste.
error-password = Dieses Passwort ist nicht sicher genug: siehe die Regel oben.
error-password-confirm = Die beiden Passwörter sind verschieden.
error-consent-data-processing = Ihre Einwilligung in die Datenverarbeitung ist nötig, um ein Konto zu erstellen.
error-consent-teleconsultation = Ihre Einwilligung in Fernbehandlungen ist nötig, um ein Konto zu erstellen.
error-already-registered = Ein Konto mit diesen Daten besteht bereits: Melden Sie sich an oder setzen Sie Ihr Passwort zurück.

## E-Mail prüfen und Aktivierung
check-email-title = Prüfen Sie Ihre E-Mails
check-email-sent = Ihr Konto wurde erstellt. Wir haben Ihnen eine E-Mail mit einem Aktivierungslink geschickt.
check-email-next = Öffnen Sie den Link innerhalb von 72 Stunden, um Ihr Konto zu aktivieren, und melden Sie sich dann an.
check-email-spam = Nach ein paar Minuten keine E-Mail? Sehen Sie im Spam-Ordner nach.
activation-done-title = Ihr Konto ist aktiv
activation-done = Ihr Konto ist jetzt aktiv. Melden Sie sich mit Ihrer E-Mail-Adresse, Ihrem Passwort und dem Code an, den wir Ihnen per SMS senden.
activation-login = Anmelden
activation-invalid-title = Dieser Link funktioniert nicht
activation-invalid = Dieser Aktivierungslink ist ungültig, bereits benutzt oder abgelaufen. Wenn Sie Ihr Konto schon aktiviert haben, melden Sie sich einfach an.

## Anmeldung
login-title = Anmelden
login-login = E-Mail-Adresse oder Benutzername
login-login-hint = Patientinnen und Patienten melden sich mit ihrer E-Mail-Adresse an.
login-password = Passwort
login-submit = Weiter
login-forgot = Passwort vergessen?
login-no-account = Noch kein Konto?
login-invalid = Benutzername oder Passwort ist falsch.
login-not-activated = Ihr Konto ist noch nicht aktiviert: Öffnen Sie den Link in der Aktivierungs-E-Mail, die wir Ihnen geschickt haben.
code-title = Code eingeben
code-intro = Wir haben Ihnen per SMS einen 6-stelligen Code auf Ihr Mobiltelefon geschickt.
code-label = Per SMS erhaltener Code
code-hint = 6 Ziffern. Er ist 5 Minuten gültig.
code-submit = Bestätigen
code-restart = Keine SMS? Neu beginnen
code-wrong = Dieser Code ist falsch. Verbleibende Versuche: { $left }.
code-expired = Dieser Code ist abgelaufen oder wurde zu oft versucht. Melden Sie sich erneut an, um einen neuen zu erhalten.

## Passwort zurücksetzen
reset-title = Passwort zurücksetzen
reset-intro = Geben Sie Ihren Benutzernamen ein: Wir senden an die E-Mail-Adresse des Kontos einen Link, um ein neues Passwort zu wählen.
reset-submit = Link senden
reset-sent = Falls zu diesem Benutzernamen ein Konto besteht, haben wir ihm eine E-Mail geschickt. Der Link ist eine Stunde gültig.
reset-new-title = Neues Passwort wählen
reset-new-password = Neues Passwort
reset-confirm-submit = Neues Passwort speichern
reset-done-title = Passwort geändert
reset-done = Ihr Passwort wurde geändert. Melden Sie sich jetzt damit an.
reset-invalid-title = Dieser Link funktioniert nicht
reset-invalid = Dieser Link ist ungültig, bereits benutzt oder abgelaufen.
reset-again = Neuen Link anfordern

## Startseiten
home-title = Meine Startseite
home-welcome = Guten Tag, { $name }.
home-appointments = Meine Termine
home-no-appointment = Sie haben noch keinen Termin.
home-documents = Meine Dokumente
home-no-document = Sie haben noch kein Dokument.
home-account = Mein Konto
home-role-welcome = Guten Tag, { $name }, Sie sind angemeldet als { $role }.
role-patient = Patient/in
role-practitioner = Behandelnde/r
role-staff = Kabinen- oder Sekretariatspersonal
role-pharmacist = Apotheker/in
role-admin = Administrator/in

## Meine Daten
me-title = Meine Daten
me-held = Was wir über Sie speichern
me-name = Name
me-created = Konto erstellt am
me-rectify = Ihre Angaben berichtigen
me-save = Änderungen speichern
me-saved = Ihre Änderungen wurden gespeichert.
me-consents = Ihre Einwilligungen
me-consents-intro = Sie können eine Einwilligung jederzeit widerrufen. Ohne beide Einwilligungen können Sie keine Telekonsultation buchen.
me-consent-given = erteilt am { $date } (Textversion { $version })
me-consent-withdrawn = widerrufen am { $date }
me-withdraw = Diese Einwilligung widerrufen
me-withdrawn = Ihre Einwilligung wurde widerrufen.
me-export = Ihre Daten herunterladen
me-export-intro = Eine Datei (JSON) mit allem, was dieser Standort über Sie speichert, einschließlich wer wann darauf zugegriffen hat.
me-export-link = Meine Daten herunterladen
me-erase = Ihr Konto löschen
me-erase-intro = Löscht Ihr Konto und Ihre Daten von diesem Standort.
me-erase-link = Mein Konto löschen…
erase-title = Ihr Konto löschen
erase-what = Ihr Konto, Ihre Identität, Ihre Kontaktdaten und Ihre Einwilligungen werden von diesem Standort gelöscht. Sie können sich nicht mehr anmelden. Das lässt sich nicht rückgängig machen.
erase-kept = Wir behalten nur, was das Gesetz verlangt: das Protokoll der Zugriffe auf Ihre Daten (Kennungen und Daten, keine Gesundheitsdaten).
erase-confirm = Ich verstehe, dass mein Konto und meine Daten endgültig gelöscht werden
erase-confirm-missing = Kreuzen Sie das Kästchen an, um zu bestätigen.
erase-submit = Mein Konto löschen
erase-cancel = Abbrechen, Konto behalten
erase-done-title = Konto gelöscht
erase-done = Ihr Konto und Ihre Daten wurden gelöscht.

## Fehler
error-title = Etwas ist schiefgelaufen
not-found-title = Seite nicht gefunden
not-found = Diese Seite gibt es nicht.
bad-form = Das Formular konnte nicht gelesen werden. Gehen Sie zurück und versuchen Sie es erneut.
server-error = Bei uns ist ein Fehler aufgetreten. Versuchen Sie es gleich noch einmal.
unavailable = Der Dienst ist vorübergehend nicht verfügbar. Versuchen Sie es gleich noch einmal.
too-many-title = Zu viele Versuche
too-many-attempts = Zu viele Versuche. Warten Sie { $minutes } Minute(n) und versuchen Sie es erneut.
csrf-refused-title = Formular abgelaufen
csrf-refused = Dieses Formular ist abgelaufen oder stammt nicht von diesem Standort; es wurde nicht gesendet.
csrf-refused-reload = Seite neu laden und erneut versuchen

## Demo-Postausgang
outbox-title = Postausgang (Demo)
outbox-intro = Demo-Modus: Die E-Mails und SMS, die der Standort gesendet hätte, werden hier angezeigt.
outbox-empty = Noch keine Nachricht.

## The store's condition (banner on the site's people's pages; page while nothing is served)
storage-contact-default = den Administrator des Standorts
storage-banner-filling = Der Speicher dieses Standorts ist zu { $count } % voll ({ $mb } MB frei). Bitten Sie den Administrator, Platz zu schaffen: Unterhalb der Reserve werden Dateien abgelehnt, damit Termine, Dokumente und das Audit-Protokoll Platz behalten.
storage-banner-refusing = Zurzeit kann nichts gespeichert werden: Der Speicher dieses Standorts ist voll oder gestört, und Gesundheitsdaten können nicht angezeigt werden, weil jeder Zugriff zuerst protokolliert werden muss. Rufen Sie { $name } an.
storage-banner-damaged = Die letzte Prüfung des Speichers hat { $count } beschädigte Einträge gefunden. Bitten Sie den Administrator, „teleconsultctl verify“ auszuführen und die letzte Sicherung wiederherzustellen.
storage-banner-rolled-back = Der Speicher ist auf einen früheren Stand zurückgefallen: Seitdem erfasste Daten fehlen, und nichts wird angezeigt, bis die letzte Sicherung wiederhergestellt ist. Rufen Sie { $name } an.
storage-files-refused = Der Speicher dieses Standorts ist fast voll: Dateien können zurzeit nicht gesendet werden (Termine und Dokumente funktionieren weiterhin). Versuchen Sie es später erneut oder bringen Sie das Dokument zur Sprechstunde mit.
storage-fenced-title = Dienst angehalten: Daten fehlen
storage-fenced-text = Die Daten dieses Standorts sind auf einen früheren Stand zurückgefallen: Bis zur Wiederherstellung aus einer Sicherung wird nichts angezeigt oder gespeichert. Bitte rufen Sie { $name } an.
