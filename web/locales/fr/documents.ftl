# Issued documents: PDF labels and the e-mails announcing a document (no health data).
doc-title-prescription = Ordonnance médicale
doc-title-lab-request = Prescription d'analyses de laboratoire
doc-title-sick-leave = Certificat d'incapacité de travail
doc-title-fee-memo = Mémoire d'honoraires
doc-title-consultation-report = Compte rendu de consultation
doc-part = Volet { $number } sur 3 : { $reader }
doc-part-insurer = pour la caisse de maladie
doc-part-patient = pour le patient
doc-part-employer = pour l'employeur
doc-number = Numéro du document
doc-issued-at = Établi le
doc-patient = Patient
doc-national-id = Matricule
doc-birth-date = Date de naissance
doc-practitioner = Praticien
doc-replaces = Remplace le document
doc-medication = Médicament
doc-dose = Dosage
doc-form = Forme
doc-posology = Posologie
doc-duration = Durée
doc-substitution = Substitution
doc-yes = oui
doc-no = non
doc-qr-caption = Pharmacie : scannez ce code, ou retrouvez l'ordonnance avec le matricule du patient. Ordonnance { $number }.
doc-laboratory = Laboratoire
doc-tests = Analyses demandées
doc-home-visit = Prélèvement à domicile
doc-clinical-information = Renseignements cliniques
doc-period = Incapacité de travail
doc-period-value = du { $from } au { $to } inclus
doc-diagnosis = Diagnostic
doc-outings = Sorties autorisées
doc-code = Code
doc-act = Acte
doc-amount = Montant (EUR)
doc-total = Total (EUR)
doc-payment-status = Paiement
doc-unpaid = à régler
doc-reason = Motif de consultation
doc-findings = Constatations
doc-conclusion = Conclusion
doc-footer = Établi électroniquement par { $practitioner } via { $site }. Document validé : toute correction crée une nouvelle version numérotée.
email-document-subject = { $site } : un nouveau document est disponible
email-document-body =
    Bonjour { $name },

    Un praticien a établi un nouveau document pour vous à la suite de votre téléconsultation.
    Vous pouvez le consulter et le télécharger dans votre espace personnel :

    { $link }

    { $site }
email-lab-request-subject = { $site } : prescription d'analyses { $number }
email-lab-request-body =
    Bonjour,

    { $site } a établi la prescription d'analyses { $number } à l'attention de votre laboratoire.
    Prélèvement à domicile demandé : { $home }.

    La prescription est disponible sur la plateforme nationale eSanté sous ce numéro ;
    ce message ne contient aucune donnée de santé.

    { $site }
