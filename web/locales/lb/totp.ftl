# D'Authenticator-App (TOTP): deen zweete Faktor, deen ouni Internet geet (kuckt docs/security.md).
code-intro-totp = Maacht d'Authenticator-App op ärem Telefon op a gitt de Code an, deen si fir dëse Site weist. Et gëtt keng SMS geschéckt.
code-hint-totp = 6 Zifferen. All Code gëllt nëmmen eemol: wann Dir grad een benotzt hutt, waart op deen nächsten.
totp-title = Authenticator-App
totp-intro = Eng Authenticator-App op ärem Telefon (zum Beispill FreeOTP, Aegis, Google Authenticator oder Microsoft Authenticator) gëtt Iech all 30 Sekonnen en neie 6-zeffrege Code. Domat mellt Dir Iech ouni SMS un, och wann den Internet ausfält.
totp-not-offered = Dëse Site bitt keng Authenticator-Appen un: Dir mellt Iech mat engem Code per SMS un.
totp-start-intro = Fir eng App anzeriichten, confirméiert äert Passwuert.
totp-start = Eng App ariichten
totp-step-scan = Scannt dëse QR-Code mat ärer Authenticator-App, oder gitt de Schlëssel hei ënnen do an.
totp-step-confirm = Gitt de 6-zeffrege Code an, deen d'App dann weist. Dës Ariichtung leeft no 10 Minutten of.
totp-qr-label = QR-Code fir mat ärer Authenticator-App ze scannen
totp-secret-label = Schlëssel fir mat der Hand anzeginn:
totp-code-hint = 6 Zifferen, sou wéi d'App se elo weist.
totp-confirm = Confirméieren
totp-active = Fir äre Kont ass eng Authenticator-App ageriicht: beim Umellen gitt hire Code an. Et gëtt keng SMS geschéckt.
totp-remove-title = D'App ewechhuelen
totp-remove-intro = Dir mellt Iech dann erëm mat engem Code per SMS un. Telefon verluer? Frot en Administrateur vum Site, är App zréckzesetzen.
totp-remove = D'App ewechhuelen
totp-wrong-password = D'Passwuert ass falsch.
totp-wrong-code = De Code ass falsch oder gouf schonn benotzt: gitt de Code an, deen d'App elo weist.
totp-expired = Dës Ariichtung ass ofgelaf: fänkt nach eng Kéier un.
totp-enrolled = Är Authenticator-App ass ageriicht. Vun der nächster Umeldung un gitt Dir hire Code an.
totp-removed = D'Authenticator-App gouf ewechgeholl. Dir mellt Iech mat engem Code per SMS un.
totp-nudge = Riicht w.e.g. eng Authenticator-App an: domat kënnt Dir Iech an der Kabinn umellen, och wann den Internet oder de SMS-Service ausfält.
totp-nudge-action = Meng App ariichten
totp-admin-reset = App zrécksetzen
totp-admin-reset-label = D'Authenticator-App vun { $name } zrécksetzen
totp-admin-done = D'Authenticator-App gouf ewechgeholl: de Kont mellt sech erëm mat engem SMS-Code un, an den Titulaire gouf per E-Mail informéiert.
email-totp-subject = { $site }: den zweete Faktor vun ärem Kont huet geännert
email-totp-enrolled-body =
    Moien { $name },

    Fir äre Kont fir Teleconsultatiounen gouf eng Authenticator-App ageriicht. Vun elo un mellt
    Dir Iech mat hirem Code un amplaz mat engem Code per SMS.

    Wann Dir dat net waart, kontaktéiert de Site direkt.

    { $site }
email-totp-removed-body =
    Moien { $name },

    D'Authenticator-App vun ärem Kont fir Teleconsultatiounen gouf ewechgeholl. Dir mellt Iech
    erëm mat engem Code per SMS un.

    Wann Dir dat net waart, kontaktéiert de Site direkt.

    { $site }
email-totp-reset-body =
    Moien { $name },

    En Administrateur vum Site huet d'Authenticator-App vun ärem Kont fir Teleconsultatiounen
    ewechgeholl (zum Beispill nodeems en Telefon verluer gaangen ass). Dir mellt Iech erëm mat
    engem Code per SMS un a kënnt no der Umeldung eng nei App ariichten.

    Wann Dir dat net gefrot hutt, kontaktéiert de Site direkt.

    { $site }
