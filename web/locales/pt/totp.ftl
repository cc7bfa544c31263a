# A aplicação de autenticação (TOTP): o segundo fator que funciona sem internet (ver docs/security.md).
code-intro-totp = Abra a aplicação de autenticação no seu telemóvel e introduza o código que ela mostra para este site. Não é enviado nenhum SMS.
code-hint-totp = 6 algarismos. Cada código só serve uma vez: se acabou de usar um, espere pelo seguinte.
totp-title = Aplicação de autenticação
totp-intro = Uma aplicação de autenticação no seu telemóvel (por exemplo FreeOTP, Aegis, Google Authenticator ou Microsoft Authenticator) dá-lhe um novo código de 6 algarismos a cada 30 segundos. Com ela, entra sem SMS, mesmo quando a internet está em baixo.
totp-not-offered = Este site não oferece aplicações de autenticação: entra com um código enviado por SMS.
totp-start-intro = Para configurar uma aplicação, confirme a sua palavra-passe.
totp-start = Configurar uma aplicação
totp-step-scan = Leia este código QR com a sua aplicação de autenticação, ou introduza nela a chave abaixo.
totp-step-confirm = Introduza o código de 6 algarismos que a aplicação mostra então. Esta configuração expira ao fim de 10 minutos.
totp-qr-label = Código QR para ler com a sua aplicação de autenticação
totp-secret-label = Chave para introduzir à mão:
totp-code-hint = 6 algarismos, tal como a aplicação os mostra agora.
totp-confirm = Confirmar
totp-active = Está configurada uma aplicação de autenticação para a sua conta: ao entrar, introduza o código dela. Não é enviado nenhum SMS.
totp-remove-title = Remover a aplicação
totp-remove-intro = Voltará então a entrar com um código enviado por SMS. Perdeu o telemóvel? Peça a um administrador do site que reponha a sua aplicação.
totp-remove = Remover a aplicação
totp-wrong-password = A palavra-passe está errada.
totp-wrong-code = O código está errado ou já foi usado: introduza o código que a aplicação mostra agora.
totp-expired = Esta configuração expirou: comece de novo.
totp-enrolled = A sua aplicação de autenticação está configurada. A partir da próxima entrada, introduza o código dela.
totp-removed = A aplicação de autenticação foi removida. Entrará com um código enviado por SMS.
totp-nudge = Configure uma aplicação de autenticação: com ela pode entrar na cabina mesmo quando a internet ou o serviço de SMS estão em baixo.
totp-nudge-action = Configurar a minha aplicação
totp-admin-reset = Repor a aplicação
totp-admin-reset-label = Repor a aplicação de autenticação de { $name }
totp-admin-done = A aplicação de autenticação foi removida: a conta volta a entrar com um código por SMS, e o titular foi avisado por e-mail.
email-totp-subject = { $site }: o segundo fator da sua conta mudou
email-totp-enrolled-body =
    Olá { $name },

    Foi configurada uma aplicação de autenticação para a sua conta de teleconsulta. A partir de
    agora, entra com o código dela em vez de um código enviado por SMS.

    Se não foi você, contacte o site imediatamente.

    { $site }
email-totp-removed-body =
    Olá { $name },

    A aplicação de autenticação da sua conta de teleconsulta foi removida. Volta a entrar com um
    código enviado por SMS.

    Se não foi você, contacte o site imediatamente.

    { $site }
email-totp-reset-body =
    Olá { $name },

    Um administrador do site removeu a aplicação de autenticação da sua conta de teleconsulta
    (por exemplo após a perda de um telemóvel). Volta a entrar com um código enviado por SMS e
    pode configurar uma nova aplicação depois de entrar.

    Se não o pediu, contacte o site imediatamente.

    { $site }
