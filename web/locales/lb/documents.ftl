# Issued documents: PDF labels and the e-mails announcing a document (no health data).
doc-title-prescription = Medezinesch Ordonnance
doc-title-lab-request = Ufro fir Laboranalysen
doc-title-sick-leave = Certificat vun Aarbechtsonfäegkeet
doc-title-fee-memo = Rechnung fir Honoraren
doc-title-consultation-report = Konsultatiounsrapport
doc-part = Deel { $number } vun 3: { $reader }
doc-part-insurer = fir d'Krankekeess
doc-part-patient = fir de Patient
doc-part-employer = fir den Patron
doc-number = Dokumentnummer
doc-issued-at = Ausgestallt den
doc-patient = Patient
doc-national-id = Matricule
doc-birth-date = Gebuertsdatum
doc-practitioner = Dokter
doc-replaces = Ersetzt d'Dokument
doc-medication = Medikament
doc-dose = Dosis
doc-form = Form
doc-posology = Dosage
doc-duration = Dauer
doc-substitution = Substitutioun
doc-yes = jo
doc-no = nee
doc-qr-caption = Apdikt: scannt dëse Code, oder fannt d'Ordonnance mat der Matricule vum Patient. Ordonnance { $number }.
doc-laboratory = Labo
doc-tests = Gefrote Analysen
doc-home-visit = Doheem ofhuelen
doc-clinical-information = Klinesch Informatiounen
doc-period = Aarbechtsonfäegkeet
doc-period-value = vum { $from } bis den { $to } abegraff
doc-diagnosis = Diagnos
doc-outings = Ausgoen erlaabt
doc-code = Code
doc-act = Akt
doc-amount = Betrag (EUR)
doc-total = Total (EUR)
doc-payment-status = Bezuelung
doc-unpaid = ze bezuelen
doc-reason = Grond vun der Konsultatioun
doc-findings = Befund
doc-conclusion = Conclusioun
doc-footer = Elektronesch ausgestallt vum { $practitioner } iwwer { $site }. Validéiert Dokument: all Korrektur mécht eng nei nummeréiert Versioun.
email-document-subject = { $site }: en neit Dokument ass disponibel
email-document-body =
    Moien { $name },

    No Ärer Teleconsultatioun huet en Dokter en neit Dokument fir Iech ausgestallt.
    Dir kënnt et an Ärem perséinleche Beräich liesen an eroflueden:

    { $link }

    { $site }
email-lab-request-subject = { $site }: Ufro fir Laboranalysen { $number }
email-lab-request-body =
    Moien,

    { $site } huet d'Ufro fir Laboranalysen { $number } fir äre Labo ausgestallt.
    Doheem ofhuelen gefrot: { $home }.

    D'Ufro ass ënner dëser Nummer op der nationaler eSanté-Plattform disponibel;
    dëse Message enthält keng Gesondheetsdaten.

    { $site }
