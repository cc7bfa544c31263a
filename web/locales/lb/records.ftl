## Kuerz medezinesch Akt (Patienteberäich, Säit vum Rendez-vous)
mr-title = Medezinesch Akt
mr-for = Medezinesch Akt vum { $name }
mr-intro = D'Dokteren, bei deenen Dir e Rendez-vous hutt, liesen dat virun der Konsultatioun. Fëllt aus, wat op Iech zoutrëfft, a loosst de Rescht eidel.
mr-history = Virgeschicht
mr-history-hint = Fréier Krankheeten, Operatiounen, chronesch Krankheeten.
mr-allergies = Allergien
mr-allergies-hint = Medikamenter, Iessen oder anescht, mat der Reaktioun, wann Dir se kennt.
mr-treatments = Aktuell Behandlungen
mr-treatments-hint = Medikamenter a Behandlungen, déi Dir elo huelt, mat der Dosis, wann Dir se kennt.
mr-save = Medezinesch Akt späicheren
mr-saved = Medezinesch Akt gespäichert. Den Dokter gesäit en virun Ärer Konsultatioun.
mr-updated = Lescht Ännerung: { $date }.
mr-error-part = Maximal 4000 Zeechen, ouni Steierzeechen.
mr-section-title = Medezinesch Akt, vum Patient ausgefëllt
mr-not-filled = De Patient huet keng medezinesch Akt ausgefëllt.
mr-none-declared = Näischt uginn
mr-fill-link = Medezinesch Akt fir den Dokter ausfëllen

## Sécher Messagen
msg-title = Messagen
msg-intro = Schreift den Dokteren, bei deenen Dir e Rendez-vous hutt, ausserhalb vun der Konsultatioun: eng Fro zu enger Behandlung, e Resultat fir ze weisen. Messagen sinn net fir Noutfäll: rufft den 112 un.
msg-none = Nach keng Konversatioun. Soubal e Rendez-vous geholl ass, kënnt Dir dem Dokter hei schreiwen.
msg-with = Konversatioun tëscht { $name }
msg-unread = { $count } net gelies
msg-last = Lescht Message de { $date }
msg-no-messages-yet = Nach kee Message.
msg-from-you = Dir
msg-read = Gelies de { $date }
msg-text = Äre Message
msg-file = Fichier (PDF, JPEG oder PNG, fakultativ)
msg-file-hint = Maximal { $mb } MB.
msg-send = Schécken
msg-sent = Message geschéckt. Den Empfänger kritt eng E-Mail, datt e Message op hie waart, ouni den Inhalt.
msg-error-text = Schreift e Message (maximal 4000 Zeechen) oder fügt e Fichier bäi.
msg-error-type = Just PDF-, JPEG- oder PNG-Fichieren kënne geschéckt ginn.
msg-error-content = Dëse Fichier ass eidel oder entsprécht net sengem Typ.
msg-error-size = Dëse Fichier ass ze grouss (maximal { $mb } MB).
msg-write = E Message schreiwen
email-message-subject = { $site }: Dir hutt en neie Message
email-message-body =
    Moien { $name },

    Dir hutt en neie Message an Ärer sécherer Messagerie. Liest en an Ärem perséinleche Beräich:

    { $link }

    { $site }
