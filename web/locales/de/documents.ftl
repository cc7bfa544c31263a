# Issued documents: PDF labels and the e-mails announcing a document (no health data).
doc-title-prescription = Ärztliche Verordnung
doc-title-lab-request = Laboranforderung
doc-title-sick-leave = Arbeitsunfähigkeitsbescheinigung
doc-title-fee-memo = Honorarrechnung
doc-title-consultation-report = Konsultationsbericht
doc-part = Teil { $number } von 3: { $reader }
doc-part-insurer = für die Krankenkasse
doc-part-patient = für den Patienten
doc-part-employer = für den Arbeitgeber
doc-number = Dokumentnummer
doc-issued-at = Ausgestellt am
doc-patient = Patient
doc-national-id = Sozialversicherungsnummer
doc-birth-date = Geburtsdatum
doc-practitioner = Behandelnder Arzt
doc-replaces = Ersetzt Dokument
doc-medication = Arzneimittel
doc-dose = Dosis
doc-form = Darreichungsform
doc-posology = Dosierung
doc-duration = Dauer
doc-substitution = Austausch
doc-yes = ja
doc-no = nein
doc-qr-caption = Apotheke: Code scannen oder die Verordnung mit der Sozialversicherungsnummer des Patienten abrufen. Verordnung { $number }.
doc-laboratory = Labor
doc-tests = Angeforderte Untersuchungen
doc-home-visit = Hausbesuch
doc-clinical-information = Klinische Angaben
doc-period = Arbeitsunfähigkeit
doc-period-value = vom { $from } bis einschließlich { $to }
doc-diagnosis = Diagnose
doc-outings = Ausgang erlaubt
doc-code = Code
doc-act = Leistung
doc-amount = Betrag (EUR)
doc-total = Summe (EUR)
doc-payment-status = Zahlung
doc-unpaid = zu bezahlen
doc-reason = Konsultationsgrund
doc-findings = Befund
doc-conclusion = Schlussfolgerung
doc-footer = Elektronisch ausgestellt von { $practitioner } über { $site }. Freigegebenes Dokument: jede Korrektur erzeugt eine neue nummerierte Fassung.
email-document-subject = { $site }: ein neues Dokument ist verfügbar
email-document-body =
    Guten Tag { $name },

    Nach Ihrer Telekonsultation hat ein Arzt ein neues Dokument für Sie ausgestellt.
    Sie können es in Ihrem persönlichen Bereich lesen und herunterladen:

    { $link }

    { $site }
email-lab-request-subject = { $site }: Laboranforderung { $number }
email-lab-request-body =
    Guten Tag,

    { $site } hat die Laboranforderung { $number } an Ihr Labor ausgestellt.
    Hausbesuch gewünscht: { $home }.

    Die Anforderung selbst ist unter dieser Nummer auf der nationalen eHealth-Plattform abrufbar;
    diese Nachricht enthält keine Gesundheitsdaten.

    { $site }
