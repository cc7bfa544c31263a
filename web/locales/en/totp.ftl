# The authenticator app (TOTP): the second factor that works without the internet (see docs/security.md).
code-intro-totp = Open the authenticator app on your phone and type the code it shows for this site. Nothing is sent by SMS.
code-hint-totp = 6 digits. Each code works once: if you just used one, wait for the next.
totp-title = Authenticator app
totp-intro = An authenticator app on your phone (for example FreeOTP, Aegis, Google Authenticator or Microsoft Authenticator) gives you a new 6-digit code every 30 seconds. With it, you log in without an SMS, even when the internet is down.
totp-not-offered = This site does not offer authenticator apps: you log in with a code sent by SMS.
totp-start-intro = To set up an app, confirm your password.
totp-start = Set up an app
totp-step-scan = Scan this QR code with your authenticator app, or type the secret below into it.
totp-step-confirm = Type the 6-digit code the app then shows. This set-up expires after 10 minutes.
totp-qr-label = QR code to scan with your authenticator app
totp-secret-label = Secret for typing in by hand:
totp-code-hint = 6 digits, as the app shows them now.
totp-confirm = Confirm
totp-active = An authenticator app is set up for your account: when you log in, type its code. No SMS is sent.
totp-remove-title = Remove the app
totp-remove-intro = You will then log in with a code sent by SMS again. Lost your phone? Ask an administrator of the site to reset your app.
totp-remove = Remove the app
totp-wrong-password = The password is wrong.
totp-wrong-code = The code is wrong, or was already used: type the code the app shows now.
totp-expired = This set-up has expired: start again.
totp-enrolled = Your authenticator app is set up. From your next login on, type its code.
totp-removed = The authenticator app was removed. You will log in with a code sent by SMS.
totp-nudge = Please set up an authenticator app: with it you can log in at the booth even when the internet or the SMS service is down.
totp-nudge-action = Set up my app
totp-admin-reset = Reset app
totp-admin-reset-label = Reset the authenticator app of { $name }
totp-admin-done = The authenticator app was removed: the account logs in with an SMS code again, and its owner was told by e-mail.
email-totp-subject = { $site }: the second factor of your account changed
email-totp-enrolled-body =
    Hello { $name },

    An authenticator app was set up for your teleconsultation account. From now on, you log in
    with its code instead of a code sent by SMS.

    If you did not do this, contact the site at once.

    { $site }
email-totp-removed-body =
    Hello { $name },

    The authenticator app of your teleconsultation account was removed. You log in with a code
    sent by SMS again.

    If you did not do this, contact the site at once.

    { $site }
email-totp-reset-body =
    Hello { $name },

    An administrator of the site removed the authenticator app of your teleconsultation account
    (for example after a lost phone). You log in with a code sent by SMS again, and you can set
    up a new app once logged in.

    If you did not ask for this, contact the site at once.

    { $site }
