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
