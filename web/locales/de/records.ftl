## Kurze Krankenakte (Patientenbereich, Terminseite)
mr-title = Krankenakte
mr-for = Krankenakte von { $name }
mr-intro = Die Ärztinnen und Ärzte, bei denen Sie einen Termin haben, lesen dies vor der Konsultation. Füllen Sie aus, was zutrifft, und lassen Sie den Rest leer.
mr-history = Vorerkrankungen
mr-history-hint = Frühere Krankheiten, Operationen, chronische Erkrankungen.
mr-allergies = Allergien
mr-allergies-hint = Medikamente, Lebensmittel oder anderes, mit der Reaktion, falls bekannt.
mr-treatments = Aktuelle Behandlungen
mr-treatments-hint = Medikamente und Behandlungen, die Sie derzeit nehmen, mit der Dosis, falls bekannt.
mr-save = Krankenakte speichern
mr-saved = Krankenakte gespeichert. Die Ärztin oder der Arzt sieht sie vor Ihrer Konsultation.
mr-updated = Zuletzt geändert: { $date }.
mr-error-part = Höchstens 4000 Zeichen, ohne Steuerzeichen.
mr-section-title = Krankenakte, vom Patienten ausgefüllt
mr-not-filled = Der Patient hat keine Krankenakte ausgefüllt.
mr-none-declared = Nichts angegeben
mr-fill-link = Krankenakte für die Ärztin oder den Arzt ausfüllen

## Sichere Nachrichten
msg-title = Nachrichten
msg-intro = Schreiben Sie den Ärztinnen und Ärzten, bei denen Sie einen Termin haben, außerhalb der Konsultation: eine Frage zu einer Behandlung, ein Ergebnis zum Zeigen. Nachrichten sind nicht für Notfälle: rufen Sie die 112 an.
msg-none = Noch keine Unterhaltung. Sobald ein Termin gebucht ist, können Sie hier der Ärztin oder dem Arzt schreiben.
msg-with = Unterhaltung zwischen { $name }
msg-unread = { $count } ungelesen
msg-last = Letzte Nachricht am { $date }
msg-no-messages-yet = Noch keine Nachricht.
msg-from-you = Sie
msg-read = Gelesen am { $date }
msg-text = Ihre Nachricht
msg-file = Datei (PDF, JPEG oder PNG, optional)
msg-file-hint = Höchstens { $mb } MB.
msg-send = Senden
msg-sent = Nachricht gesendet. Der Empfänger wird per E-Mail benachrichtigt, dass eine Nachricht wartet, ohne ihren Inhalt.
msg-error-text = Schreiben Sie eine Nachricht (höchstens 4000 Zeichen) oder fügen Sie eine Datei hinzu.
msg-error-type = Nur PDF-, JPEG- oder PNG-Dateien können gesendet werden.
msg-error-content = Diese Datei ist leer oder entspricht nicht ihrem Typ.
msg-error-size = Diese Datei ist zu groß (höchstens { $mb } MB).
msg-write = Eine Nachricht schreiben
email-message-subject = { $site }: Sie haben eine neue Nachricht
email-message-body =
    Guten Tag { $name },

    Sie haben eine neue Nachricht in Ihrem sicheren Postfach. Lesen Sie sie in Ihrem persönlichen Bereich:

    { $link }

    { $site }
