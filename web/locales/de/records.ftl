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
