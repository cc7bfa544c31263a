## Dossier médical succinct (espace patient, page du rendez-vous)
mr-title = Dossier médical
mr-for = Dossier médical de { $name }
mr-intro = Les praticiens avec qui vous avez rendez-vous le lisent avant la consultation. Renseignez ce qui vous concerne et laissez le reste vide.
mr-history = Antécédents médicaux
mr-history-hint = Maladies passées, opérations, maladies chroniques.
mr-allergies = Allergies
mr-allergies-hint = Médicaments, aliments ou autres, avec la réaction si vous la connaissez.
mr-treatments = Traitements en cours
mr-treatments-hint = Médicaments et traitements que vous prenez actuellement, avec la dose si vous la connaissez.
mr-save = Enregistrer le dossier médical
mr-saved = Dossier médical enregistré. Le praticien le verra avant votre consultation.
mr-updated = Dernière mise à jour : { $date }.
mr-error-part = 4000 caractères au plus, sans caractères de contrôle.
mr-section-title = Dossier médical renseigné par le patient
mr-not-filled = Le patient n’a pas renseigné de dossier médical.
mr-none-declared = Rien de déclaré
mr-fill-link = Renseigner le dossier médical pour le praticien

## Messagerie sécurisée
msg-title = Messages
msg-intro = Écrivez aux praticiens avec qui vous avez rendez-vous, en dehors de la consultation : une question sur un traitement, un résultat à montrer. La messagerie n’est pas faite pour les urgences : appelez le 112.
msg-none = Aucune conversation pour l’instant. Dès qu’un rendez-vous est pris, vous pouvez écrire au praticien ici.
msg-with = Conversation entre { $name }
msg-unread = { $count } non lu(s)
msg-last = Dernier message le { $date }
msg-no-messages-yet = Aucun message pour l’instant.
msg-from-you = Vous
msg-read = Lu le { $date }
msg-text = Votre message
msg-file = Fichier (PDF, JPEG ou PNG, facultatif)
msg-file-hint = { $mb } Mo au plus.
msg-send = Envoyer
msg-sent = Message envoyé. Le destinataire est prévenu par e-mail qu’un message l’attend, sans son contenu.
msg-error-text = Écrivez un message (4000 caractères au plus) ou joignez un fichier.
msg-error-type = Seuls les fichiers PDF, JPEG ou PNG peuvent être envoyés.
msg-error-content = Ce fichier est vide ou ne correspond pas à son type.
msg-error-size = Ce fichier est trop volumineux ({ $mb } Mo au plus).
msg-write = Écrire un message
email-message-subject = { $site } : vous avez un nouveau message
email-message-body =
    Bonjour { $name },

    Vous avez un nouveau message dans votre messagerie sécurisée. Lisez-le dans votre espace personnel :

    { $link }

    { $site }
