# Confirmation des changements sensibles, avis d'inscription, activation (voir docs/security.md).
sms-confirm-contact-change = { $site } : votre code pour confirmer le changement de votre numéro de téléphone ou de votre adresse e-mail est { $code }. Il expire dans 5 minutes. Si vous ne l'avez pas demandé, changez votre mot de passe.
sms-confirm-erasure = { $site } : votre code pour confirmer la SUPPRESSION de votre compte est { $code }. Il expire dans 5 minutes. Si vous ne l'avez pas demandé, changez votre mot de passe.
notice-changed-phone = Votre numéro de téléphone est désormais { $phone }.
notice-changed-email = Votre adresse e-mail est désormais { $email }.
email-contact-changed-subject = { $site } : vos coordonnées ont été modifiées
email-contact-changed-body =
    Bonjour { $name },

    Les coordonnées de votre compte de téléconsultation ont été modifiées :

    { $what }

    Si vous n'êtes pas à l'origine de ce changement, contactez le site immédiatement.

    { $site }
sms-phone-changed = { $site } : le numéro de téléphone de votre compte a été modifié. Si vous n'êtes pas à l'origine de ce changement, contactez le site immédiatement.
email-erased-subject = { $site } : votre compte a été supprimé
email-erased-body =
    Bonjour { $name },

    Votre compte de téléconsultation et vos données ont été supprimés, comme vous l'avez demandé.
    Seul ce que la loi impose est conservé (la trace des accès et les documents émis par les
    praticiens).

    Si vous ne l'avez pas demandé, contactez le site immédiatement.

    { $site }
email-registration-taken-subject = { $site } : tentative d'inscription avec votre adresse
email-registration-taken-body =
    Bonjour,

    Quelqu'un (peut-être vous) a tenté de créer un compte de téléconsultation avec cette adresse
    e-mail, qui a déjà un compte. Rien n'a été modifié.

    Si c'était vous : connectez-vous avec cette adresse. Si vous avez oublié votre mot de passe,
    choisissez-en un nouveau ici :

    { $link }

    Si vous vous êtes inscrit il y a moins de 48 heures sans avoir encore activé votre compte,
    utilisez le lien de l'e-mail d'activation.

    Si ce n'était pas vous, ignorez ce message.

    { $site }
email-registration-incomplete-subject = { $site } : votre inscription n'a pas pu aboutir
email-registration-incomplete-body =
    Bonjour { $name },

    Votre inscription à un compte de téléconsultation n'a pas pu aboutir. Veuillez contacter le
    site : le personnel vous aidera.

    Si vous ne vous êtes pas inscrit, ignorez ce message.

    { $site }
email-national-id-tried-subject = { $site } : tentative d'inscription avec votre numéro d'identification national
email-national-id-tried-body =
    Bonjour,

    Quelqu'un a tenté de créer un nouveau compte de téléconsultation avec le numéro
    d'identification national de votre compte. Aucun compte n'a été créé.

    Si c'était vous, connectez-vous avec votre adresse e-mail habituelle ; si vous avez oublié
    votre mot de passe, choisissez-en un nouveau ici :

    { $link }

    Si ce n'était pas vous, prévenez le site.

    { $site }
activation-title = Activer votre compte
activation-intro = Appuyez sur le bouton pour activer votre compte de téléconsultation.
activation-submit = Activer mon compte
me-code-sent = Un code a été envoyé par SMS à votre numéro de téléphone actuel. Il expire dans 5 minutes.
me-confirm-intro = Pour changer votre numéro de téléphone ou votre adresse e-mail, demandez un code par SMS sur votre téléphone actuel, puis saisissez-le ci-dessous avec votre mot de passe.
me-send-code = M'envoyer un code par SMS
me-confirm-password-hint = Nécessaire uniquement pour changer le numéro de téléphone ou l'adresse e-mail.
me-confirm-code = Code reçu par SMS
me-confirm-code-hint = Six chiffres, envoyés à votre numéro de téléphone actuel.
me-confirm-required = Pour changer le numéro de téléphone ou l'adresse e-mail, saisissez votre mot de passe et le code reçu par SMS.
me-confirm-invalid = Le mot de passe ou le code est erroné, ou le code a expiré : réessayez, ou demandez un nouveau code.
erase-confirm-intro = Pour supprimer votre compte, demandez un code par SMS sur votre téléphone actuel, puis saisissez-le ci-dessous avec votre mot de passe.
