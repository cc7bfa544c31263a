# Bestätegung vu sensibelen Ännerungen, Hiweiser zur Umeldung, Aktivéierung (kuckt docs/security.md).
sms-confirm-contact-change = { $site }: Äre Code fir d'Ännerung vun Ärer Telefonsnummer oder E-Mail-Adress ze bestätegen ass { $code }. En ass 5 Minutte gëlteg. Wann Dir en net ugefrot hutt, ännert Äert Passwuert.
sms-confirm-erasure = { $site }: Äre Code fir d'LÄSCHE vun Ärem Kont ze bestätegen ass { $code }. En ass 5 Minutte gëlteg. Wann Dir en net ugefrot hutt, ännert Äert Passwuert.
notice-changed-phone = Är Telefonsnummer ass elo { $phone }.
notice-changed-email = Är E-Mail-Adress ass elo { $email }.
email-contact-changed-subject = { $site }: Är Kontaktdate goufen geännert
email-contact-changed-body =
    Moien { $name },

    D'Kontaktdate vun Ärem Telekonsultatiounskont goufen geännert:

    { $what }

    Wann Dir dës Ännerung net gemaach hutt, kontaktéiert de Site direkt.

    { $site }
sms-phone-changed = { $site }: D'Telefonsnummer vun Ärem Kont gouf geännert. Wann Dir dës Ännerung net gemaach hutt, kontaktéiert de Site direkt.
email-erased-subject = { $site }: Äre Kont gouf geläscht
email-erased-body =
    Moien { $name },

    Ären Telekonsultatiounskont an Är Donnéeë goufe geläscht, wéi Dir et gefrot hutt. Nëmmen dat,
    wat d'Gesetz verlaangt, gëtt behalen (de Protokoll vun den Zougrëffer an d'Dokumenter vun den
    Dokteren).

    Wann Dir dat net gefrot hutt, kontaktéiert de Site direkt.

    { $site }
email-registration-taken-subject = { $site }: Umeldungsversuch mat Ärer Adress
email-registration-taken-body =
    Moien,

    Iergendeen (vläicht Dir) huet probéiert, mat dëser E-Mail-Adress en Telekonsultatiounskont
    unzeleeën. Fir dës Adress gëtt et schonn e Kont. Et gouf näischt geännert.

    Wann Dir et wart: mellt Iech mat dëser Adress un. Wann Dir Äert Passwuert vergiess hutt,
    wielt hei en neit:

    { $link }

    Wann Dir Iech virun manner wéi 48 Stonnen ugemellt an Äre Kont nach net aktivéiert hutt,
    benotzt de Link aus der Aktivéierungs-E-Mail.

    Wann Dir et net wart, kënnt Dir dëse Message ignoréieren.

    { $site }
email-registration-incomplete-subject = { $site }: Är Umeldung konnt net ofgeschloss ginn
email-registration-incomplete-body =
    Moien { $name },

    Är Umeldung fir en Telekonsultatiounskont konnt net ofgeschloss ginn. Kontaktéiert w.e.g. de
    Site: d'Personal hëlleft Iech weider.

    Wann Dir Iech net ugemellt hutt, kënnt Dir dëse Message ignoréieren.

    { $site }
email-national-id-tried-subject = { $site }: Umeldungsversuch mat Ärer nationaler Identifikatiounsnummer
email-national-id-tried-body =
    Moien,

    Iergendeen huet probéiert, mat der nationaler Identifikatiounsnummer vun Ärem Kont en neien
    Telekonsultatiounskont unzeleeën. Et gouf kee Kont ugeluecht.

    Wann Dir et wart, mellt Iech mat Ärer gewéinlecher E-Mail-Adress un; wann Dir Äert Passwuert
    vergiess hutt, wielt hei en neit:

    { $link }

    Wann Dir et net wart, sot dem Site Bescheed.

    { $site }
activation-title = Äre Kont aktivéieren
activation-intro = Dréckt op de Knäppchen, fir Ären Telekonsultatiounskont z'aktivéieren.
activation-submit = Mäi Kont aktivéieren
me-code-sent = E Code gouf per SMS op Är aktuell Telefonsnummer geschéckt. En ass 5 Minutte gëlteg.
me-confirm-intro = Fir Är Telefonsnummer oder E-Mail-Adress z'änneren, frot e Code per SMS op Ären aktuellen Telefon un, a gitt en ënnen mat Ärem Passwuert an.
me-send-code = Schéckt mir e Code per SMS
me-confirm-password-hint = Nëmme néideg, fir d'Telefonsnummer oder d'E-Mail-Adress z'änneren.
me-confirm-code = Code per SMS kritt
me-confirm-code-hint = Sechs Zifferen, op Är aktuell Telefonsnummer geschéckt.
me-confirm-required = Fir d'Telefonsnummer oder d'E-Mail-Adress z'änneren, gitt Äert Passwuert an de Code an, deen Dir per SMS kritt hutt.
me-confirm-invalid = D'Passwuert oder de Code ass falsch, oder de Code ass ofgelaf: probéiert nach eng Kéier, oder frot en neie Code un.
erase-confirm-intro = Fir Äre Kont ze läschen, frot e Code per SMS op Ären aktuellen Telefon un, a gitt en ënnen mat Ärem Passwuert an.
