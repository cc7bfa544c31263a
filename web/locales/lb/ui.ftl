# Websäiten (Lëtzebuergesch). All d'Sprooche hunn déiselwecht Kennungen (Unit-Test).

## Rumm
skip-to-content = Direkt bei den Inhalt
demo-banner = Demo-Modus: just Testdaten, gitt keng richteg Patientendaten an.
demo-network-banner = Dës Demo ass vum Netzwierk aus erreechbar (--demo-on-network): hir Passwierder sinn ëffentlech an all Umeldecode gëtt op hirer Postausgangssäit gewisen. Benotzt se just an engem Netzwierk, deem Dir vertraut.
nav-label = Haaptmenü
nav-home = Meng Startsäit
nav-my-data = Meng Donnéeën
nav-login = Umellen
nav-register = Kont uleeën
nav-logout = Ofmellen ({ $name })
lang-switch-label = Sprooch
footer-text = Telekonsultatiounsdéngscht. Är Donnéeë bleiwen um Server vun dësem Site a ginn no der DSGVO veraarbecht.
back = Zréck
back-home = Zréck op d'Startsäit

## Startsäit
landing-intro = Schwätzt mat engem Dokter oder enger anerer Gesondheetsfachkraaft iwwer Video oder Telefon, vun doheem aus oder aus enger Kabinn an der Apdikt.
landing-go-home = Op meng Startsäit
landing-needs-title = Wat Dir braucht
landing-need-id = Är national Identifikatiounsnummer (Sozialversécherungsnummer, Matricule)
landing-need-phone = en Handy: bei all Umeldung kritt Dir per SMS en neie Code
landing-need-email = eng E-Mail-Adress: fir den Aktivéierungslink, d'Bestätegungen an d'Dokumenter
landing-need-device = e Computer, en Tablet oder e Smartphone mat Kamera a Mikro
landing-practitioners = Behandelnd Persounen
landing-no-practitioner = Op dësem Site ass nach keng behandelnd Persoun ageschriwwen.
landing-status = Status vum Déngscht:
status-ready = prett
status-starting = start
specialty-general-practice = Allgemengmedezin
specialty-dermatology = Dermatologie
specialty-speech-therapy = Logopedie
specialty-dietetics = Ernärungsberodung
specialty-paediatrics = Kannerdokter
specialty-midwifery = Hiewan
specialty-dentistry = Zänndokter

## Aschreiwung
register-title = Äre Kont uleeën
register-intro = Fëllt all d'Felder aus. Mir schécken en Aktivéierungslink op Är E-Mail-Adress; Äre Kont funktionéiert, soubal Dir en opgemaach hutt.
register-identity = Wien Dir sidd
register-national-id = National Identifikatiounsnummer
register-national-id-hint-lu = Déi 13 Zifere vun Ärer Lëtzebuerger Sozialversécherungsnummer (Matricule), z. B. 1985 0715 123 45.
register-national-id-hint-fr = Är franséisch Sozialversécherungsnummer (NIR): 15 Zeechen, mat der 2-stelleger Schlësselzuel.
register-national-id-hint-pt = Är portugisesch SNS-Benotzernummer (número de utente): 9 Zifferen.
register-first-name = Virnumm
register-last-name = Familljennumm
register-birth-date = Gebuertsdatum
register-birth-date-hint = Et muss mam Datum an Ärer nationaler Identifikatiounsnummer iwwereneestëmmen.
register-contact = Wéi mir Iech erreechen
register-phone = Handysnummer
register-phone-hint = Mat der Landesvirwiel, z. B. +352 621 123 456. Är Umeldecode ginn do per SMS higeschéckt.
register-email = E-Mail-Adress
register-email-hint = Domat mellt Dir Iech un; Bestätegungen an Dokumenter ginn dohi geschéckt.
field-language = Sprooch
register-password-legend = Äert Passwuert
register-password = Passwuert
register-password-confirm = Passwuert widderhuelen
password-rule = Mindestens 10 Zeeche vun 3 vun dësen Zorten: kleng Buschtawen, grouss Buschtawen, Zifferen, Symboler – oder 16 Zeechen a méi. Et däerf den Numm vun Ärer E-Mail-Adress net enthalen.
register-consents = Är Zoustëmmung
register-consents-version = Versioun { $version } vun dësen Texter.
consent-data-processing-label = Ech sinn d'accord mat der Veraarbechtung vu menge Donnéeën
consent-data-processing-text = Dëse Site veraarbecht Är perséinlech a Gesondheetsdonnéeë fir Är Telekonsultatiounen ze organiséieren, no der DSGVO. Si ginn nëmmen un d'Gesondheetsfachkräften, déi Iech behandelen, weiderginn an, wou d'Gesetz et verlaangt, un d'Krankeversécherung. Dir kënnt se zu all Moment kucken, verbesseren, eroflueden oder läschen.
consent-teleconsultation-label = Ech sinn d'accord mat enger Konsultatioun op Distanz
consent-teleconsultation-text = D'Konsultatioun geschitt iwwer Video oder Telefon. Déi behandelnd Persoun kann decidéieren, datt Dir perséinlech ënnersicht musst ginn.
register-submit = Mäi Kont uleeën
register-have-account = Dir hutt schonn e Kont?

## Feeler bei de Felder
form-errors-title = Verbessert w.e.g. dat heiten
error-national-id = Kuckt Är national Identifikatiounsnummer no: se ass net gëlteg.
error-first-name = Gitt Äre Virnumm an.
error-last-name = Gitt Äre Familljennumm an.
error-birth-date = Gitt e gëltegt Gebuertsdatum an, dat zu Ärer nationaler Identifikatiounsnummer passt.
error-phone = Gitt eng Handysnummer mat Landesvirwiel an, z. B. +352 621 123 456.
error-email = Gitt eng gëlteg E-Mail-Adress an, z. B. numm@beispill.lu.
error-language = Wielt eng Sprooch aus der Lëscht.
error-password = Dëst Passwuert ass net sécher genuch: kuckt d'Regel uewendriwwer.
error-password-confirm = Déi zwee Passwierder sinn net d'selwecht.
error-consent-data-processing = Är Zoustëmmung zur Veraarbechtung vun Ären Donnéeën ass néideg, fir e Kont unzeleeën.
error-consent-teleconsultation = Är Zoustëmmung zu Konsultatiounen op Distanz ass néideg, fir e Kont unzeleeën.
error-already-registered = E Kont mat dësen Donnéeë gëtt et schonn: mellt Iech un oder setzt Äert Passwuert zréck.

## E-Mail kucken an Aktivéierung
check-email-title = Kuckt Är E-Mailen
check-email-sent = Äre Kont gouf ugeluecht. Mir hunn Iech eng E-Mail mat engem Aktivéierungslink geschéckt.
check-email-next = Maacht de Link bannent 72 Stonnen op, fir Äre Kont z'aktivéieren, a mellt Iech dann un.
check-email-spam = No e puer Minutten nach keng E-Mail? Kuckt an Ärem Spam-Dossier.
activation-done-title = Äre Kont ass aktiv
activation-done = Äre Kont ass elo aktiv. Mellt Iech mat Ärer E-Mail-Adress, Ärem Passwuert an dem Code un, dee mir Iech per SMS schécken.
activation-login = Umellen
activation-invalid-title = Dëse Link funktionéiert net
activation-invalid = Dësen Aktivéierungslink ass ongëlteg, scho benotzt oder ofgelaf. Wann Dir Äre Kont schonn aktivéiert hutt, mellt Iech einfach un.

## Umeldung
login-title = Umellen
login-login = E-Mail-Adress oder Benotzernumm
login-login-hint = Patienten mellen sech mat hirer E-Mail-Adress un.
login-password = Passwuert
login-submit = Weider
login-forgot = Passwuert vergiess?
login-no-account = Nach kee Kont?
login-invalid = De Benotzernumm oder d'Passwuert ass falsch.
login-not-activated = Äre Kont ass nach net aktivéiert: maacht de Link an der Aktivéierungs-E-Mail op, déi mir Iech geschéckt hunn.
code-title = Gitt Äre Code an
code-intro = Mir hunn Iech e Code mat 6 Zifferen per SMS op Ären Handy geschéckt.
code-label = Code, deen Dir per SMS kritt hutt
code-hint = 6 Zifferen. E gëllt 5 Minutten.
code-submit = Bestätegen
code-restart = Keen SMS? Nei ufänken
code-wrong = Dëse Code ass falsch. Versich déi bleiwen: { $left }.
code-expired = Dëse Code ass ofgelaf oder gouf ze dacks probéiert. Mellt Iech nei un, fir en neien ze kréien.

## Passwuert zrécksetzen
reset-title = Passwuert zrécksetzen
reset-intro = Gitt Äre Benotzernumm an: mir schécken un d'E-Mail-Adress vum Kont e Link, fir en neit Passwuert ze wielen.
reset-submit = Link schécken
reset-sent = Wann et fir dëse Benotzernumm e Kont gëtt, hu mir him eng E-Mail geschéckt. De Link gëllt eng Stonn.
reset-new-title = En neit Passwuert wielen
reset-new-password = Neit Passwuert
reset-confirm-submit = Neit Passwuert späicheren
reset-done-title = Passwuert geännert
reset-done = Äert Passwuert gouf geännert. Mellt Iech elo domat un.
reset-invalid-title = Dëse Link funktionéiert net
reset-invalid = Dëse Link ass ongëlteg, scho benotzt oder ofgelaf.
reset-again = En neie Link ufroen

## Startsäiten
home-title = Meng Startsäit
home-welcome = Moien { $name }.
home-appointments = Meng Rendez-vousen
home-no-appointment = Dir hutt nach kee Rendez-vous.
home-documents = Meng Dokumenter
home-no-document = Dir hutt nach keen Dokument.
home-account = Mäi Kont
home-role-welcome = Moien { $name }, Dir sidd ugemellt als { $role }.
role-patient = Patient
role-practitioner = behandelnd Persoun
role-staff = Personal vun der Kabinn oder vum Sekretariat
role-pharmacist = Apdikter
role-admin = Administrateur

## Meng Donnéeën
me-title = Meng Donnéeën
me-held = Wat mir iwwer Iech späicheren
me-name = Numm
me-created = Kont ugeluecht den
me-rectify = Är Donnéeë verbesseren
me-save = Ännerunge späicheren
me-saved = Är Ännerunge goufe gespäichert.
me-consents = Är Zoustëmmungen
me-consents-intro = Dir kënnt eng Zoustëmmung zu all Moment zréckzéien. Ouni béid Zoustëmmunge kënnt Dir keng Telekonsultatioun reservéieren.
me-consent-given = ginn den { $date } (Textversioun { $version })
me-consent-withdrawn = zréckgezunn den { $date }
me-withdraw = Dës Zoustëmmung zréckzéien
me-withdrawn = Är Zoustëmmung gouf zréckgezunn.
me-export = Är Donnéeën eroflueden
me-export-intro = E Fichier (JSON) mat allem, wat dëse Site iwwer Iech späichert, och wien wéini drop zougegraff huet.
me-export-link = Meng Donnéeën eroflueden
me-erase = Äre Kont läschen
me-erase-intro = Läscht Äre Kont an Är Donnéeë vun dësem Site.
me-erase-link = Mäi Kont läschen…
erase-title = Äre Kont läschen
erase-what = Äre Kont, Är Identitéit, Är Kontaktdonnéeën an Är Zoustëmmunge ginn op dësem Site geläscht. Dir kënnt Iech net méi umellen. Dat kann een net réckgängeg maachen.
erase-kept = Mir behalen nëmmen dat, wat d'Gesetz verlaangt: de Registre vun den Zougrëffer op Är Donnéeën (Kennungen an Datumer, keng Gesondheetsdonnéeën).
erase-confirm = Ech verstinn, datt mäi Kont a meng Donnéeë fir ëmmer geläscht ginn
erase-confirm-missing = Kräizt d'Këschtchen un, fir ze bestätegen.
erase-submit = Mäi Kont läschen
erase-cancel = Ofbriechen, mäi Kont behalen
erase-done-title = Kont geläscht
erase-done = Äre Kont an Är Donnéeë goufe geläscht.

## Feeler
error-title = Eppes ass schifgaangen
not-found-title = Säit net fonnt
not-found = Dës Säit gëtt et net.
bad-form = De Formulaire konnt net gelies ginn. Gitt zréck a probéiert nach eng Kéier.
server-error = Bei eis ass e Feeler geschitt. Probéiert et gläich nach eng Kéier.
unavailable = Den Déngscht ass momentan net disponibel. Probéiert et gläich nach eng Kéier.
too-many-title = Ze vill Versich
too-many-attempts = Ze vill Versich. Waart { $minutes } Minutt(en) a probéiert nach eng Kéier.
csrf-refused-title = Formulaire ofgelaf
csrf-refused = Dëse Formulaire ass ofgelaf oder kënnt net vun dësem Site; en gouf net geschéckt.
csrf-refused-reload = Säit nei lueden a nach eng Kéier probéieren

## Demo-Postausgang
outbox-title = Postausgang (Demo)
outbox-intro = Demo-Modus: D'E-Mailen an d'SMS, déi de Site geschéckt hätt, ginn hei gewisen.
outbox-empty = Nach kee Message.

## The store's condition (banner on the site's people's pages; page while nothing is served)
storage-contact-default = den Administrateur vum Site
storage-banner-filling = De Späicher vun dësem Site ass zu { $count } % voll ({ $mb } MB fräi). Frot den Administrateur, Plaz ze maachen: ënnert der Reserve gi Fichiere refuséiert, fir datt Rendez-vousen, Dokumenter an den Audit-Journal Plaz behalen.
storage-banner-refusing = Momentan kann näischt gespäichert ginn: de Späicher vun dësem Site ass voll oder gestéiert, a Gesondheetsdaten kënnen net gewise ginn, well all Zougrëff fir d'éischt protokolléiert muss ginn. Rufft { $name } un.
storage-banner-damaged = De leschte Kontroll vum Späicher huet { $count } beschiedegt Androen fonnt. Frot den Administrateur, „teleconsultctl verify“ auszeféieren an déi lescht Sécherung ze restauréieren.
storage-banner-rolled-back = De Späicher ass op e fréiere Stand zréckgefall: Donnéeën, déi zënterhier erfaasst goufen, feelen, an näischt gëtt gewisen, bis déi lescht Sécherung restauréiert ass. Rufft { $name } un.
storage-files-refused = De Späicher vun dësem Site ass bal voll: Fichiere kënne momentan net geschéckt ginn (Rendez-vousen an Dokumenter funktionéieren nach ëmmer). Probéiert et méi spéit nach eng Kéier, oder bréngt d'Dokument mat an d'Consultatioun.
storage-fenced-title = Service gestoppt: Donnéeë feelen
storage-fenced-text = D'Donnéeë vun dësem Site sinn op e fréiere Stand zréckgefall: bis se aus enger Sécherung restauréiert sinn, gëtt näischt gewisen oder gespäichert. Rufft w.e.g. { $name } un.
