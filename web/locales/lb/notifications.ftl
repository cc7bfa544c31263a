sms-login-code = { $site }: Äre Umeldecode ass { $code }. E gëtt a 5 Minutten ongëlteg. Gitt en ni weider.
email-activation-subject = { $site }: aktivéiert Äre Kont
email-activation-body =
    Moien { $name },

    Äre Telekonsultatiounskont gouf ugeluecht. E muss eemol aktivéiert ginn:
    maacht dëse Link bannent 48 Stonnen op:

    { $link }

    Wann Dir Iech net ugemellt hutt, ignoréiert dëse Message: de Kont bleift inaktiv.

    { $site }
email-reset-subject = { $site }: Passwuert zrécksetzen
email-reset-body =
    Moien { $name },

    Et gouf gefrot, d'Passwuert vun Ärem Telekonsultatiounskont zréckzesetzen.
    Maacht dëse Link bannent enger Stonn op, fir en neit Passwuert ze wielen:

    { $link }

    Wann Dir dat net gefrot hutt, ignoréiert dëse Message: Äert Passwuert bleift onverännert.

    { $site }
sms-booked = { $site }: Är Telekonsultatioun mat { $practitioner } ass fir { $when } reservéiert. Detailer: { $link }
email-booked-subject = { $site }: Telekonsultatioun fir { $when } reservéiert
email-booked-body =
    Moien { $name },

    Är Telekonsultatioun mat { $practitioner } ass fir { $when } reservéiert ({ $mode }).

    D'Waardesall mécht 10 Minutten virdrun op: { $link }
    D'Kalennerinvitatioun ass bäigeluecht.

    Fir ze annuléieren, maacht de Link uewendriwwer op.

    { $site }
sms-reminder = { $site }: Erënnerung — Telekonsultatioun mat { $practitioner } den { $when }. Zougang: { $link }
email-reminder-subject = { $site }: Erënnerung, Telekonsultatioun den { $when }
email-reminder-body =
    Moien { $name },

    Mir erënneren Iech un Är Telekonsultatioun mat { $practitioner } den { $when } ({ $mode }).

    D'Waardesall mécht 10 Minutten virdrun op: { $link }

    { $site }
sms-cancelled = { $site }: Är Telekonsultatioun mat { $practitioner } vum { $when } ass annuléiert. Detailer: { $link }
email-cancelled-subject = { $site }: Telekonsultatioun vum { $when } annuléiert
email-cancelled-body =
    Moien { $name },

    Är Telekonsultatioun mat { $practitioner } vum { $when } ass annuléiert.
    Detailer an eng nei Reservatioun: { $link }

    { $site }
mode-video = Video
mode-audio = just Audio
