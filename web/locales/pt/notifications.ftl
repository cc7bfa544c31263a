sms-login-code = { $site }: o seu código de acesso é { $code }. Expira em 5 minutos. Nunca o partilhe.
email-activation-subject = { $site }: ative a sua conta
email-activation-body =
    Olá { $name },

    A sua conta de teleconsulta foi criada. É necessária uma ativação única:
    abra esta ligação no prazo de 48 horas:

    { $link }

    Se não se registou, ignore esta mensagem: a conta permanece inativa.

    { $site }
email-reset-subject = { $site }: redefinir a palavra-passe
email-reset-body =
    Olá { $name },

    Foi pedida a redefinição da palavra-passe da sua conta de teleconsulta.
    Abra esta ligação no prazo de uma hora para escolher uma nova palavra-passe:

    { $link }

    Se não fez este pedido, ignore esta mensagem: a sua palavra-passe mantém-se.

    { $site }
sms-booked = { $site }: a sua teleconsulta com { $practitioner } está marcada para { $when }. Detalhes: { $link }
email-booked-subject = { $site }: teleconsulta marcada para { $when }
email-booked-body =
    Olá { $name },

    A sua teleconsulta com { $practitioner } está marcada para { $when } ({ $mode }).

    A sala de espera abre 10 minutos antes: { $link }
    O convite para o calendário vai em anexo.

    Para cancelar, abra a ligação acima.

    { $site }
sms-reminder = { $site }: lembrete — teleconsulta com { $practitioner } em { $when }. Acesso: { $link }
email-reminder-subject = { $site }: lembrete, teleconsulta em { $when }
email-reminder-body =
    Olá { $name },

    Lembramos a sua teleconsulta com { $practitioner } em { $when } ({ $mode }).

    A sala de espera abre 10 minutos antes: { $link }

    { $site }
sms-cancelled = { $site }: a sua teleconsulta com { $practitioner } de { $when } foi cancelada. Detalhes: { $link }
email-cancelled-subject = { $site }: teleconsulta de { $when } cancelada
email-cancelled-body =
    Olá { $name },

    A sua teleconsulta com { $practitioner } de { $when } foi cancelada.
    Detalhes e nova marcação: { $link }

    { $site }
mode-video = vídeo
mode-audio = só áudio
