# Die Warteschlange „Jetzt einen Arzt“ und die Kabine (Issue #19).
sms-queue-ready = { $site }: { $practitioner } ist jetzt für Ihre Telekonsultation bereit. Beitreten: { $link }
email-queue-ready-subject = { $site }: Ihre Ärztin bzw. Ihr Arzt ist bereit — jetzt beitreten
email-queue-ready-body =
    Guten Tag { $name },

    { $practitioner } hat Ihre Anfrage übernommen und ist jetzt für Ihre Telekonsultation ({ $mode }) bereit.

    Dem Gespräch beitreten: { $link }

    { $site }
queue-left-the-booth = der Patient hat die Kabine vor der Konsultation verlassen
queue-no-practitioner-available = Im Moment ist keine Ärztin und kein Arzt verfügbar.
