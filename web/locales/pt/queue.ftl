# A fila «um médico agora» e a cabine (issue #19).
sms-queue-ready = { $site }: { $practitioner } está pronto(a) para a sua teleconsulta agora. Entrar: { $link }
email-queue-ready-subject = { $site }: o seu profissional de saúde está pronto — entre agora
email-queue-ready-body =
    Olá { $name },

    { $practitioner } aceitou o seu pedido e está pronto(a) para a sua teleconsulta ({ $mode }) agora.

    Entrar na chamada: { $link }

    { $site }
queue-left-the-booth = o paciente saiu da cabine antes da consulta
queue-no-practitioner-available = Nenhum profissional de saúde está disponível de momento.
