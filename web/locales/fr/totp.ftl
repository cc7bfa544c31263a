# L'application d'authentification (TOTP) : le second facteur qui marche sans internet (voir docs/security.md).
code-intro-totp = Ouvrez l'application d'authentification de votre téléphone et saisissez le code qu'elle affiche pour ce site. Aucun SMS n'est envoyé.
code-hint-totp = 6 chiffres. Chaque code ne sert qu'une fois : si vous venez d'en utiliser un, attendez le suivant.
totp-title = Application d'authentification
totp-intro = Une application d'authentification sur votre téléphone (par exemple FreeOTP, Aegis, Google Authenticator ou Microsoft Authenticator) vous donne un nouveau code à 6 chiffres toutes les 30 secondes. Avec elle, vous vous connectez sans SMS, même quand internet est coupé.
totp-not-offered = Ce site ne propose pas d'application d'authentification : vous vous connectez avec un code envoyé par SMS.
totp-start-intro = Pour configurer une application, confirmez votre mot de passe.
totp-start = Configurer une application
totp-step-scan = Scannez ce code QR avec votre application d'authentification, ou saisissez-y la clé ci-dessous.
totp-step-confirm = Saisissez le code à 6 chiffres que l'application affiche ensuite. Cette configuration expire au bout de 10 minutes.
totp-qr-label = Code QR à scanner avec votre application d'authentification
totp-secret-label = Clé à saisir à la main :
totp-code-hint = 6 chiffres, tels que l'application les affiche maintenant.
totp-confirm = Confirmer
totp-active = Une application d'authentification est configurée pour votre compte : à la connexion, saisissez son code. Aucun SMS n'est envoyé.
totp-remove-title = Retirer l'application
totp-remove-intro = Vous vous connecterez alors de nouveau avec un code envoyé par SMS. Téléphone perdu ? Demandez à un administrateur du site de réinitialiser votre application.
totp-remove = Retirer l'application
totp-wrong-password = Le mot de passe est incorrect.
totp-wrong-code = Le code est incorrect ou a déjà servi : saisissez le code que l'application affiche maintenant.
totp-expired = Cette configuration a expiré : recommencez.
totp-enrolled = Votre application d'authentification est configurée. Dès votre prochaine connexion, saisissez son code.
totp-removed = L'application d'authentification a été retirée. Vous vous connecterez avec un code envoyé par SMS.
totp-nudge = Merci de configurer une application d'authentification : elle vous permet de vous connecter à la cabine même quand internet ou le service SMS est coupé.
totp-nudge-action = Configurer mon application
totp-admin-reset = Réinitialiser l'application
totp-admin-reset-label = Réinitialiser l'application d'authentification de { $name }
totp-admin-done = L'application d'authentification a été retirée : le compte se connecte de nouveau avec un code par SMS, et son titulaire a été prévenu par e-mail.
email-totp-subject = { $site } : le second facteur de votre compte a changé
email-totp-enrolled-body =
    Bonjour { $name },

    Une application d'authentification a été configurée pour votre compte de téléconsultation.
    Désormais, vous vous connectez avec son code au lieu d'un code envoyé par SMS.

    Si ce n'est pas vous, contactez le site immédiatement.

    { $site }
email-totp-removed-body =
    Bonjour { $name },

    L'application d'authentification de votre compte de téléconsultation a été retirée. Vous
    vous connectez de nouveau avec un code envoyé par SMS.

    Si ce n'est pas vous, contactez le site immédiatement.

    { $site }
email-totp-reset-body =
    Bonjour { $name },

    Un administrateur du site a retiré l'application d'authentification de votre compte de
    téléconsultation (par exemple après la perte d'un téléphone). Vous vous connectez de nouveau
    avec un code envoyé par SMS, et pouvez configurer une nouvelle application une fois connecté.

    Si vous ne l'avez pas demandé, contactez le site immédiatement.

    { $site }
