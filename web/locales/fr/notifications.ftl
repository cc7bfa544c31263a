sms-login-code = { $site } : votre code de connexion est { $code }. Il expire dans 5 minutes. Ne le communiquez à personne.
email-activation-subject = { $site } : activez votre compte
email-activation-body =
    Bonjour { $name },

    Votre compte utilisateur de téléconsultation a été créé. Il nécessite une activation unique :
    ouvrez ce lien dans les 48 heures :

    { $link }

    Si vous ne vous êtes pas inscrit, ignorez ce message : le compte reste inactif.

    { $site }
email-reset-subject = { $site } : réinitialisation de votre mot de passe
email-reset-body =
    Bonjour { $name },

    Une demande de réinitialisation du mot de passe de votre compte de téléconsultation a été faite.
    Ouvrez ce lien dans l'heure pour choisir un nouveau mot de passe :

    { $link }

    Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.

    { $site }
sms-booked = { $site } : votre téléconsultation avec { $practitioner } est réservée pour le { $when }. Détails : { $link }
email-booked-subject = { $site } : téléconsultation réservée pour le { $when }
email-booked-body =
    Bonjour { $name },

    Votre téléconsultation avec { $practitioner } est réservée pour le { $when } ({ $mode }).

    La salle d'attente ouvre 10 minutes avant : { $link }
    L'invitation pour votre agenda est jointe.

    Pour annuler, ouvrez le lien ci-dessus.

    { $site }
sms-reminder = { $site } : rappel — téléconsultation avec { $practitioner } le { $when }. Accès : { $link }
email-reminder-subject = { $site } : rappel, téléconsultation le { $when }
email-reminder-body =
    Bonjour { $name },

    Nous vous rappelons votre téléconsultation avec { $practitioner } le { $when } ({ $mode }).

    La salle d'attente ouvre 10 minutes avant : { $link }

    { $site }
sms-cancelled = { $site } : votre téléconsultation avec { $practitioner } du { $when } est annulée. Détails : { $link }
email-cancelled-subject = { $site } : téléconsultation du { $when } annulée
email-cancelled-body =
    Bonjour { $name },

    Votre téléconsultation avec { $practitioner } du { $when } est annulée.
    Détails et nouvelle réservation : { $link }

    { $site }
mode-video = vidéo
mode-audio = audio seulement
