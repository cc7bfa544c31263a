# Confirmação de alterações sensíveis, avisos de registo, ativação (ver docs/security.md).
sms-confirm-contact-change = { $site }: o seu código para confirmar a alteração do seu número de telefone ou endereço de e-mail é { $code }. Expira em 5 minutos. Se não o pediu, altere a sua palavra-passe.
sms-confirm-erasure = { $site }: o seu código para confirmar o APAGAMENTO da sua conta é { $code }. Expira em 5 minutos. Se não o pediu, altere a sua palavra-passe.
notice-changed-phone = O seu número de telefone é agora { $phone }.
notice-changed-email = O seu endereço de e-mail é agora { $email }.
email-contact-changed-subject = { $site }: os seus contactos foram alterados
email-contact-changed-body =
    Olá { $name },

    Os contactos da sua conta de teleconsulta foram alterados:

    { $what }

    Se não fez esta alteração, contacte o local imediatamente.

    { $site }
sms-phone-changed = { $site }: o número de telefone da sua conta foi alterado. Se não fez esta alteração, contacte o local imediatamente.
email-erased-subject = { $site }: a sua conta foi apagada
email-erased-body =
    Olá { $name },

    A sua conta de teleconsulta e os seus dados foram apagados, como pediu. Só se conserva o que a
    lei exige (o registo de acessos e os documentos emitidos pelos profissionais).

    Se não o pediu, contacte o local imediatamente.

    { $site }
email-registration-taken-subject = { $site }: tentativa de registo com o seu endereço
email-registration-taken-body =
    Olá,

    Alguém (talvez você) tentou registar uma conta de teleconsulta com este endereço de e-mail,
    que já tem uma conta. Nada foi alterado.

    Se foi você: inicie sessão com este endereço. Se se esqueceu da palavra-passe, escolha uma
    nova aqui:

    { $link }

    Se se registou há menos de 48 horas e ainda não ativou a conta, use a ligação do e-mail de
    ativação.

    Se não foi você, pode ignorar esta mensagem.

    { $site }
email-registration-incomplete-subject = { $site }: o seu registo não pôde ser concluído
email-registration-incomplete-body =
    Olá { $name },

    O seu registo numa conta de teleconsulta não pôde ser concluído. Contacte o local: a equipa
    irá ajudá-lo.

    Se não se registou, pode ignorar esta mensagem.

    { $site }
email-national-id-tried-subject = { $site }: tentativa de registo com o seu número de identificação nacional
email-national-id-tried-body =
    Olá,

    Alguém tentou registar uma nova conta de teleconsulta com o número de identificação nacional
    da sua conta. Nenhuma conta foi criada.

    Se foi você, inicie sessão com o seu endereço de e-mail habitual; se se esqueceu da
    palavra-passe, escolha uma nova aqui:

    { $link }

    Se não foi você, informe o local.

    { $site }
activation-title = Ativar a sua conta
activation-intro = Prima o botão para ativar a sua conta de teleconsulta.
activation-submit = Ativar a minha conta
me-code-sent = Foi enviado um código por SMS para o seu número de telefone atual. Expira em 5 minutos.
me-confirm-intro = Para alterar o seu número de telefone ou endereço de e-mail, peça um código por SMS para o seu telefone atual e introduza-o abaixo com a sua palavra-passe.
me-send-code = Enviar-me um código por SMS
me-confirm-password-hint = Só é necessária para alterar o número de telefone ou o endereço de e-mail.
me-confirm-code = Código recebido por SMS
me-confirm-code-hint = Seis algarismos, enviados para o seu número de telefone atual.
me-confirm-required = Para alterar o número de telefone ou o endereço de e-mail, introduza a sua palavra-passe e o código recebido por SMS.
me-confirm-invalid = A palavra-passe ou o código está errado, ou o código expirou: tente de novo ou peça um novo código.
erase-confirm-intro = Para apagar a sua conta, peça um código por SMS para o seu telefone atual e introduza-o abaixo com a sua palavra-passe.
