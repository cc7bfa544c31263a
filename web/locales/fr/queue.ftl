# La file « un médecin maintenant » et la cabine (issue #19).
sms-queue-ready = { $site } : { $practitioner } est prêt(e) pour votre téléconsultation maintenant. Rejoindre : { $link }
email-queue-ready-subject = { $site } : votre praticien est prêt — rejoignez l'appel
email-queue-ready-body =
    Bonjour { $name },

    { $practitioner } a pris votre demande et est prêt(e) pour votre téléconsultation ({ $mode }) maintenant.

    Rejoindre l'appel : { $link }

    { $site }
queue-left-the-booth = le patient a quitté la cabine avant la consultation
queue-no-practitioner-available = Aucun praticien n'est disponible pour le moment.
