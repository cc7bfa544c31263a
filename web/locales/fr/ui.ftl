# Pages web (français). Toutes les langues ont les mêmes identifiants (test unitaire).

## Cadre
skip-to-content = Aller au contenu
demo-banner = Mode démo : données de test uniquement, ne saisissez pas de vraies données de patient.
demo-network-banner = Cette démo est accessible depuis le réseau (--demo-on-network) : ses mots de passe sont publics et chaque code de connexion est affiché sur sa page de messages envoyés. Ne l'utilisez que sur un réseau de confiance.
nav-label = Menu principal
nav-home = Mon accueil
nav-my-data = Mes données
nav-login = Se connecter
nav-register = Créer un compte
nav-logout = Se déconnecter ({ $name })
lang-switch-label = Langue
footer-text = Service de téléconsultation. Vos données restent sur le serveur de ce site et sont traitées conformément au RGPD.
back = Retour
back-home = Retour à l'accueil

## Accueil
landing-intro = Consultez un médecin ou un autre professionnel de santé par vidéo ou par téléphone, depuis chez vous ou depuis une cabine en pharmacie.
landing-go-home = Aller à mon accueil
landing-needs-title = Ce qu'il vous faut
landing-need-id = votre identifiant national (matricule de sécurité sociale)
landing-need-phone = un téléphone portable : un nouveau code de connexion vous est envoyé par SMS à chaque connexion
landing-need-email = une adresse e-mail : pour le lien d'activation, les confirmations et les documents
landing-need-device = un ordinateur, une tablette ou un smartphone avec caméra et micro
landing-practitioners = Praticiens
landing-no-practitioner = Aucun praticien n'est encore inscrit sur ce site.
landing-status = État du service :
status-ready = disponible
status-starting = en cours de démarrage
specialty-general-practice = Médecine générale
specialty-dermatology = Dermatologie
specialty-speech-therapy = Orthophonie
specialty-dietetics = Diététique
specialty-paediatrics = Pédiatrie
specialty-midwifery = Sage-femme
specialty-dentistry = Médecine dentaire

## Inscription
register-title = Créer votre compte
register-intro = Remplissez tous les champs. Nous envoyons un lien d'activation à votre adresse e-mail ; votre compte fonctionne dès que vous l'avez ouvert.
register-identity = Qui vous êtes
register-national-id = Identifiant national
register-national-id-hint-lu = Les 13 chiffres de votre matricule de sécurité sociale luxembourgeois, p. ex. 1985 0715 123 45.
register-national-id-hint-fr = Votre numéro de sécurité sociale (NIR) : 15 caractères, clé de 2 chiffres comprise.
register-national-id-hint-pt = Votre numéro d'utilisateur du SNS (número de utente) : 9 chiffres.
register-first-name = Prénom
register-last-name = Nom
register-birth-date = Date de naissance
register-birth-date-hint = Elle doit correspondre à la date contenue dans votre identifiant national.
register-contact = Comment vous joindre
register-phone = Numéro de GSM
register-phone-hint = Avec l'indicatif du pays, p. ex. +352 621 123 456. Vos codes de connexion y sont envoyés par SMS.
register-email = Adresse e-mail
register-email-hint = Elle vous sert d'identifiant ; les confirmations et les documents y sont envoyés.
field-language = Langue
register-password-legend = Votre mot de passe
register-password = Mot de passe
register-password-confirm = Confirmation du mot de passe
password-rule = Au moins 10 caractères mêlant 3 types parmi : minuscules, majuscules, chiffres, symboles — ou 16 caractères ou plus. Il ne doit pas contenir le nom de votre adresse e-mail.
register-consents = Votre consentement
register-consents-version = Version { $version } de ces textes.
consent-data-processing-label = J'accepte le traitement de mes données
consent-data-processing-text = Ce site traite vos données personnelles et de santé pour organiser vos téléconsultations, conformément au RGPD. Elles ne sont communiquées qu'aux professionnels de santé qui vous soignent et, lorsque la loi l'exige, à l'assurance maladie. Vous pouvez à tout moment les consulter, les rectifier, les télécharger ou les effacer.
consent-teleconsultation-label = J'accepte d'être consulté à distance
consent-teleconsultation-text = La consultation a lieu par vidéo ou par téléphone. Le praticien peut décider qu'un examen en présentiel est nécessaire.
register-submit = Créer mon compte
register-have-account = Vous avez déjà un compte ?

## Erreurs de champs
form-errors-title = Veuillez corriger les points suivants
error-national-id = Vérifiez votre identifiant national : il n'est pas valide.
error-first-name = Saisissez votre prénom.
error-last-name = Saisissez votre nom.
error-birth-date = Saisissez une date de naissance valide, correspondant à votre identifiant national.
error-phone = Saisissez un numéro de GSM avec l'indicatif du pays, p. ex. +352 621 123 456.
error-email = Saisissez une adresse e-mail valide, p. ex. nom@exemple.lu.
error-language = Choisissez une langue dans la liste.
error-password = Ce mot de passe n'est pas assez sûr : voyez la règle ci-dessus.
error-password-confirm = Les deux mots de passe sont différents.
error-consent-data-processing = Votre accord au traitement de vos données est nécessaire pour créer un compte.
error-consent-teleconsultation = Votre accord aux consultations à distance est nécessaire pour créer un compte.
error-already-registered = Un compte avec ces données existe déjà : connectez-vous ou réinitialisez votre mot de passe.

## Vérification de l'e-mail et activation
check-email-title = Consultez vos e-mails
check-email-sent = Votre compte a été créé. Nous vous avons envoyé un e-mail contenant un lien d'activation.
check-email-next = Ouvrez ce lien dans les 72 heures pour activer votre compte, puis connectez-vous.
check-email-spam = Pas d'e-mail après quelques minutes ? Regardez dans vos courriers indésirables.
activation-done-title = Votre compte est activé
activation-done = Votre compte est maintenant actif. Connectez-vous avec votre adresse e-mail, votre mot de passe et le code que nous vous envoyons par SMS.
activation-login = Se connecter
activation-invalid-title = Ce lien ne fonctionne pas
activation-invalid = Ce lien d'activation est invalide, déjà utilisé ou expiré. Si vous avez déjà activé votre compte, connectez-vous simplement.

## Connexion
login-title = Connexion
login-login = Adresse e-mail ou identifiant
login-login-hint = Les patients se connectent avec leur adresse e-mail.
login-password = Mot de passe
login-submit = Continuer
login-forgot = Mot de passe oublié ?
login-no-account = Pas encore de compte ?
login-invalid = L'identifiant ou le mot de passe est incorrect.
login-not-activated = Votre compte n'est pas encore activé : ouvrez le lien de l'e-mail d'activation que nous vous avons envoyé.
code-title = Saisissez votre code
code-intro = Nous avons envoyé un code à 6 chiffres par SMS sur votre GSM.
code-label = Code reçu par SMS
code-hint = 6 chiffres. Il est valable 5 minutes.
code-submit = Confirmer
code-restart = Pas de SMS ? Recommencer
code-wrong = Ce code est incorrect. Essais restants : { $left }.
code-expired = Ce code a expiré ou a été essayé trop souvent. Reconnectez-vous pour en recevoir un nouveau.

## Mot de passe oublié
reset-title = Réinitialiser votre mot de passe
reset-intro = Saisissez votre identifiant : nous envoyons à l'adresse e-mail du compte un lien pour choisir un nouveau mot de passe.
reset-submit = M'envoyer un lien
reset-sent = Si un compte existe pour cet identifiant, nous lui avons envoyé un e-mail. Le lien est valable une heure.
reset-new-title = Choisissez un nouveau mot de passe
reset-new-password = Nouveau mot de passe
reset-confirm-submit = Enregistrer mon nouveau mot de passe
reset-done-title = Mot de passe modifié
reset-done = Votre mot de passe a été modifié. Connectez-vous avec celui-ci.
reset-invalid-title = Ce lien ne fonctionne pas
reset-invalid = Ce lien est invalide, déjà utilisé ou expiré.
reset-again = Demander un nouveau lien

## Pages d'accueil
home-title = Mon accueil
home-welcome = Bonjour { $name }.
home-appointments = Mes rendez-vous
home-no-appointment = Vous n'avez pas encore de rendez-vous.
home-documents = Mes documents
home-no-document = Vous n'avez pas encore de document.
home-account = Mon compte
home-role-welcome = Bonjour { $name }, vous êtes connecté en tant que { $role }.
role-patient = patient
role-practitioner = praticien
role-staff = personnel de cabine ou de secrétariat
role-pharmacist = pharmacien
role-admin = administrateur

## Mes données
me-title = Mes données
me-held = Ce que nous conservons à votre sujet
me-name = Nom
me-created = Compte créé le
me-rectify = Rectifier vos données
me-save = Enregistrer les modifications
me-saved = Vos modifications ont été enregistrées.
me-consents = Vos consentements
me-consents-intro = Vous pouvez retirer un consentement à tout moment. Sans les deux consentements, vous ne pouvez pas réserver de téléconsultation.
me-consent-given = donné le { $date } (version du texte { $version })
me-consent-withdrawn = retiré le { $date }
me-withdraw = Retirer ce consentement
me-withdrawn = Votre consentement a été retiré.
me-export = Télécharger vos données
me-export-intro = Un fichier (JSON) contenant tout ce que ce site conserve à votre sujet, y compris qui y a accédé et quand.
me-export-link = Télécharger mes données
me-erase = Supprimer votre compte
me-erase-intro = Supprime votre compte et vos données de ce site.
me-erase-link = Supprimer mon compte…
erase-title = Supprimer votre compte
erase-what = Votre compte, votre identité, vos coordonnées et vos consentements seront supprimés de ce site. Vous ne pourrez plus vous connecter. Cette action est irréversible.
erase-kept = Nous ne conservons que ce que la loi exige : le registre des accès à vos données (identifiants et dates, aucune donnée de santé).
erase-confirm = Je comprends que mon compte et mes données seront supprimés définitivement
erase-confirm-missing = Cochez la case pour confirmer.
erase-submit = Supprimer mon compte
erase-cancel = Annuler, garder mon compte
erase-done-title = Compte supprimé
erase-done = Votre compte et vos données ont été supprimés.

## Erreurs
error-title = Un problème est survenu
not-found-title = Page introuvable
not-found = Cette page n'existe pas.
bad-form = Le formulaire n'a pas pu être lu. Revenez en arrière et réessayez.
server-error = Une erreur s'est produite de notre côté. Réessayez dans un instant.
unavailable = Le service est momentanément indisponible. Réessayez dans un instant.
too-many-title = Trop de tentatives
too-many-attempts = Trop de tentatives. Attendez { $minutes } minute(s) puis réessayez.
csrf-refused-title = Formulaire expiré
csrf-refused = Ce formulaire a expiré ou ne provient pas de ce site : il n'a pas été envoyé.
csrf-refused-reload = Rechargez la page et réessayez

## Boîte d'envoi de démonstration
outbox-title = Boîte d'envoi (démo)
outbox-intro = Mode démo : les e-mails et SMS que le site aurait envoyés sont affichés ici.
outbox-empty = Aucun message pour l'instant.

## The store's condition (banner on the site's people's pages; page while nothing is served)
storage-contact-default = l'administrateur du site
storage-banner-filling = Le disque de stockage de ce site est plein à { $count } % ({ $mb } Mo libres). Demandez à l'administrateur du site de libérer de la place : sous la réserve, les fichiers sont refusés pour laisser de la place aux rendez-vous, aux documents et au journal d'audit.
storage-banner-refusing = Rien ne peut être enregistré pour le moment : le stockage de ce site est plein ou défaillant, et les données de santé ne peuvent pas être affichées car chaque accès doit d'abord être journalisé. Appelez { $name }.
storage-banner-damaged = Le dernier contrôle du stockage a trouvé { $count } enregistrements endommagés. Demandez à l'administrateur du site de lancer « teleconsultctl verify » et de restaurer la dernière sauvegarde.
storage-banner-rolled-back = Le stockage est revenu à un état antérieur : les données enregistrées depuis manquent, et rien n'est servi avant la restauration de la dernière sauvegarde. Appelez { $name }.
storage-files-refused = Le stockage de ce site est presque plein : les fichiers ne peuvent pas être envoyés pour le moment (les rendez-vous et les documents fonctionnent toujours). Réessayez plus tard, ou apportez le document à la consultation.
storage-fenced-title = Service arrêté : données manquantes
storage-fenced-text = Les données de ce site sont revenues à un état antérieur : rien n'est affiché ni enregistré avant leur restauration depuis une sauvegarde. Appelez { $name }.
