# D'Schlaang „Elo en Dokter“ an d'Kabinn (Issue #19).
sms-queue-ready = { $site }: { $practitioner } ass elo prett fir Är Telekonsultatioun. Bäitrieden: { $link }
email-queue-ready-subject = { $site }: Ären Dokter ass prett — elo bäitrieden
email-queue-ready-body =
    Moien { $name },

    { $practitioner } huet Är Ufro iwwerholl an ass elo prett fir Är Telekonsultatioun ({ $mode }).

    Dem Gespréich bäitrieden: { $link }

    { $site }
queue-left-the-booth = de Patient huet d'Kabinn virun der Konsultatioun verlooss
queue-no-practitioner-available = Am Moment ass keen Dokter disponibel.
