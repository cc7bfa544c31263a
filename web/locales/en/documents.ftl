# Issued documents: PDF labels and the e-mails announcing a document (no health data).
doc-title-prescription = Medical prescription
doc-title-lab-request = Laboratory test request
doc-title-sick-leave = Sick-leave certificate
doc-title-fee-memo = Fee memo
doc-title-consultation-report = Consultation report
doc-part = Part { $number } of 3: { $reader }
doc-part-insurer = for the health insurer
doc-part-patient = for the patient
doc-part-employer = for the employer
doc-number = Document number
doc-issued-at = Issued on
doc-patient = Patient
doc-national-id = National identification number
doc-birth-date = Date of birth
doc-practitioner = Practitioner
doc-replaces = Corrects document
doc-medication = Medicine
doc-dose = Dose
doc-form = Form
doc-posology = Posology
doc-duration = Duration
doc-substitution = Substitution
doc-yes = yes
doc-no = no
doc-qr-caption = Pharmacy: scan this code, or look the prescription up with the patient's national identification number. Prescription { $number }.
doc-laboratory = Laboratory
doc-tests = Tests requested
doc-home-visit = Home visit
doc-clinical-information = Clinical information
doc-period = Incapacity for work
doc-period-value = from { $from } to { $to } inclusive
doc-diagnosis = Diagnosis
doc-outings = Outings allowed
doc-code = Code
doc-act = Act
doc-amount = Amount (EUR)
doc-total = Total (EUR)
doc-payment-status = Payment
doc-unpaid = to be paid
doc-reason = Reason for consultation
doc-findings = Findings
doc-conclusion = Conclusion
doc-footer = Issued electronically by { $practitioner } through { $site }. This document is signed off: a correction creates a new numbered version.
email-document-subject = { $site }: a new document is available
email-document-body =
    Hello { $name },

    A practitioner has issued a new document for you after your teleconsultation.
    You can read and download it in your personal space:

    { $link }

    { $site }
email-lab-request-subject = { $site }: laboratory request { $number }
email-lab-request-body =
    Hello,

    { $site } has issued laboratory request { $number } addressed to your laboratory.
    Home visit requested: { $home }.

    The request itself is available on the national eHealth platform under this number;
    this message contains no health data.

    { $site }
