# Páginas web (português). Todas as línguas têm os mesmos identificadores (teste unitário).

## Moldura
skip-to-content = Ir para o conteúdo
demo-banner = Modo de demonstração: apenas dados de teste, não introduza dados reais de doentes.
demo-network-banner = Esta demonstração está acessível a partir da rede (--demo-on-network): as suas palavras-passe são públicas e todos os códigos de acesso aparecem na sua página de mensagens enviadas. Utilize-a apenas numa rede de confiança.
nav-label = Menu principal
nav-home = A minha página
nav-my-data = Os meus dados
nav-login = Entrar
nav-register = Criar uma conta
nav-logout = Sair ({ $name })
lang-switch-label = Língua
footer-text = Serviço de teleconsulta. Os seus dados ficam no servidor deste local e são tratados de acordo com o RGPD.
back = Voltar
back-home = Voltar à página inicial

## Página inicial
landing-intro = Consulte um médico ou outro profissional de saúde por vídeo ou por telefone, a partir de casa ou de uma cabine na farmácia.
landing-go-home = Ir para a minha página
landing-needs-title = Do que precisa
landing-need-id = o seu número de identificação nacional (número da segurança social)
landing-need-phone = um telemóvel: em cada entrada recebe por SMS um novo código de acesso
landing-need-email = um endereço de e-mail: para a ligação de ativação, as confirmações e os documentos
landing-need-device = um computador, tablet ou smartphone com câmara e microfone
landing-practitioners = Profissionais
landing-no-practitioner = Ainda não há nenhum profissional registado neste local.
landing-status = Estado do serviço:
status-ready = disponível
status-starting = a iniciar
specialty-general-practice = Medicina geral
specialty-dermatology = Dermatologia
specialty-speech-therapy = Terapia da fala
specialty-dietetics = Dietética
specialty-paediatrics = Pediatria
specialty-midwifery = Parteira
specialty-dentistry = Medicina dentária

## Registo
register-title = Criar a sua conta
register-intro = Preencha todos os campos. Enviamos uma ligação de ativação para o seu e-mail; a conta funciona logo que a abrir.
register-identity = Quem é
register-national-id = Número de identificação nacional
register-national-id-hint-lu = Os 13 algarismos do seu número da segurança social luxemburguesa (matricule), p. ex. 1985 0715 123 45.
register-national-id-hint-fr = O seu número da segurança social francesa (NIR): 15 caracteres, incluindo a chave de 2 algarismos.
register-national-id-hint-pt = O seu número de utente do SNS: 9 algarismos.
register-first-name = Nome próprio
register-last-name = Apelido
register-birth-date = Data de nascimento
register-birth-date-hint = Tem de corresponder à data contida no seu número de identificação nacional.
register-contact = Como o contactamos
register-phone = Número de telemóvel
register-phone-hint = Com o indicativo do país, p. ex. +352 621 123 456. Os seus códigos de acesso são enviados por SMS para este número.
register-email = Endereço de e-mail
register-email-hint = É com ele que entra; as confirmações e os documentos são enviados para ele.
field-language = Língua
register-password-legend = A sua palavra-passe
register-password = Palavra-passe
register-password-confirm = Repetir a palavra-passe
password-rule = Pelo menos 10 caracteres com 3 destes tipos: minúsculas, maiúsculas, algarismos, símbolos — ou 16 caracteres ou mais. Não pode conter o nome do seu e-mail.
register-consents = O seu consentimento
register-consents-version = Versão { $version } destes textos.
consent-data-processing-label = Aceito o tratamento dos meus dados
consent-data-processing-text = Este local trata os seus dados pessoais e de saúde para organizar as suas teleconsultas, de acordo com o RGPD. Só são partilhados com os profissionais de saúde que o tratam e, quando a lei o exige, com o seguro de saúde. Pode consultá-los, corrigi-los, descarregá-los ou apagá-los a qualquer momento.
consent-teleconsultation-label = Aceito ser consultado à distância
consent-teleconsultation-text = A consulta decorre por vídeo ou por telefone. O profissional pode decidir que tem de ser visto presencialmente.
register-submit = Criar a minha conta
register-have-account = Já tem uma conta?

## Erros dos campos
form-errors-title = Corrija o seguinte
error-national-id = Verifique o seu número de identificação nacional: não é válido.
error-first-name = Introduza o seu nome próprio.
error-last-name = Introduza o seu apelido.
error-birth-date = Introduza uma data de nascimento válida, que corresponda ao seu número de identificação nacional.
error-phone = Introduza um número de telemóvel com o indicativo do país, p. ex. +352 621 123 456.
error-email = Introduza um endereço de e-mail válido, p. ex. nome@exemplo.lu.
error-language = Escolha uma língua da lista.
error-password = Esta palavra-passe não é suficientemente segura: veja a regra acima.
error-password-confirm = As duas palavras-passe são diferentes.
error-consent-data-processing = O seu consentimento para o tratamento dos dados é necessário para criar uma conta.
error-consent-teleconsultation = O seu consentimento para consultas à distância é necessário para criar uma conta.
error-already-registered = Já existe uma conta com estes dados: entre ou redefina a sua palavra-passe.

## Verificação do e-mail e ativação
check-email-title = Consulte o seu e-mail
check-email-sent = A sua conta foi criada. Enviámos-lhe um e-mail com uma ligação de ativação.
check-email-next = Abra a ligação nas próximas 72 horas para ativar a conta e depois entre.
check-email-spam = Não recebeu o e-mail após alguns minutos? Veja na pasta de spam.
activation-done-title = A sua conta está ativa
activation-done = A sua conta está agora ativa. Entre com o seu e-mail, a sua palavra-passe e o código que lhe enviamos por SMS.
activation-login = Entrar
activation-invalid-title = Esta ligação não funciona
activation-invalid = Esta ligação de ativação é inválida, já foi usada ou expirou. Se já ativou a sua conta, basta entrar.

## Entrada
login-title = Entrar
login-login = E-mail ou nome de utilizador
login-login-hint = Os doentes entram com o seu endereço de e-mail.
login-password = Palavra-passe
login-submit = Continuar
login-forgot = Esqueceu-se da palavra-passe?
login-no-account = Ainda não tem conta?
login-invalid = O nome de utilizador ou a palavra-passe está errado.
login-not-activated = A sua conta ainda não está ativa: abra a ligação do e-mail de ativação que lhe enviámos.
code-title = Introduza o código
code-intro = Enviámos um código de 6 algarismos por SMS para o seu telemóvel.
code-label = Código recebido por SMS
code-hint = 6 algarismos. É válido durante 5 minutos.
code-submit = Confirmar
code-restart = Não recebeu o SMS? Recomeçar
code-wrong = Este código está errado. Tentativas restantes: { $left }.
code-expired = Este código expirou ou foi tentado demasiadas vezes. Entre de novo para receber outro.

## Redefinir a palavra-passe
reset-title = Redefinir a palavra-passe
reset-intro = Introduza o seu nome de utilizador: enviamos para o e-mail da conta uma ligação para escolher uma nova palavra-passe.
reset-submit = Enviar-me uma ligação
reset-sent = Se existir uma conta com este nome de utilizador, enviámos-lhe um e-mail. A ligação é válida durante uma hora.
reset-new-title = Escolha uma nova palavra-passe
reset-new-password = Nova palavra-passe
reset-confirm-submit = Guardar a nova palavra-passe
reset-done-title = Palavra-passe alterada
reset-done = A sua palavra-passe foi alterada. Entre agora com ela.
reset-invalid-title = Esta ligação não funciona
reset-invalid = Esta ligação é inválida, já foi usada ou expirou.
reset-again = Pedir uma nova ligação

## Páginas pessoais
home-title = A minha página
home-welcome = Olá, { $name }.
home-appointments = As minhas consultas
home-no-appointment = Ainda não tem nenhuma consulta marcada.
home-documents = Os meus documentos
home-no-document = Ainda não tem nenhum documento.
home-account = A minha conta
home-role-welcome = Olá, { $name }, entrou como { $role }.
role-patient = doente
role-practitioner = profissional de saúde
role-staff = pessoal da cabine ou do secretariado
role-pharmacist = farmacêutico
role-admin = administrador

## Os meus dados
me-title = Os meus dados
me-held = O que guardamos sobre si
me-name = Nome
me-created = Conta criada em
me-rectify = Corrigir os seus dados
me-save = Guardar as alterações
me-saved = As suas alterações foram guardadas.
me-consents = Os seus consentimentos
me-consents-intro = Pode retirar um consentimento a qualquer momento. Sem os dois consentimentos não pode marcar uma teleconsulta.
me-consent-given = dado em { $date } (versão do texto { $version })
me-consent-withdrawn = retirado em { $date }
me-withdraw = Retirar este consentimento
me-withdrawn = O seu consentimento foi retirado.
me-export = Descarregar os seus dados
me-export-intro = Um ficheiro (JSON) com tudo o que este local guarda sobre si, incluindo quem lhe acedeu e quando.
me-export-link = Descarregar os meus dados
me-erase = Apagar a sua conta
me-erase-intro = Apaga a sua conta e os seus dados deste local.
me-erase-link = Apagar a minha conta…
erase-title = Apagar a sua conta
erase-what = A sua conta, a sua identidade, os seus contactos e os seus consentimentos serão apagados deste local. Deixará de poder entrar. Isto não pode ser desfeito.
erase-kept = Guardamos apenas o que a lei exige: o registo dos acessos aos seus dados (identificadores e datas, nenhum dado de saúde).
erase-confirm = Compreendo que a minha conta e os meus dados serão apagados definitivamente
erase-confirm-missing = Marque a caixa para confirmar.
erase-submit = Apagar a minha conta
erase-cancel = Cancelar, manter a minha conta
erase-done-title = Conta apagada
erase-done = A sua conta e os seus dados foram apagados.

## Erros
error-title = Ocorreu um problema
not-found-title = Página não encontrada
not-found = Esta página não existe.
bad-form = Não foi possível ler o formulário. Volte atrás e tente de novo.
server-error = Ocorreu um erro do nosso lado. Tente de novo dentro de momentos.
unavailable = O serviço está temporariamente indisponível. Tente de novo dentro de momentos.
too-many-title = Demasiadas tentativas
too-many-attempts = Demasiadas tentativas. Aguarde { $minutes } minuto(s) e tente de novo.
csrf-refused-title = Formulário expirado
csrf-refused = Este formulário expirou ou não veio deste local, por isso não foi enviado.
csrf-refused-reload = Recarregue a página e tente de novo

## Caixa de saída de demonstração
outbox-title = Caixa de saída (demonstração)
outbox-intro = Modo de demonstração: os e-mails e SMS que o local teria enviado são mostrados aqui.
outbox-empty = Ainda não há mensagens.

## The store's condition (banner on the site's people's pages; page while nothing is served)
storage-contact-default = o administrador do local
storage-banner-filling = O disco de armazenamento deste local está { $count } % cheio ({ $mb } MB livres). Peça ao administrador do local que liberte espaço: abaixo da reserva, os ficheiros são recusados para que as marcações, os documentos e o registo de auditoria tenham espaço.
storage-banner-refusing = De momento nada pode ser guardado: o armazenamento deste local está cheio ou com falhas, e os dados de saúde não podem ser mostrados porque cada acesso tem de ser registado primeiro. Contacte { $name }.
storage-banner-damaged = A última verificação do armazenamento encontrou { $count } registos danificados. Peça ao administrador do local que execute «teleconsultctl verify» e reponha a última cópia de segurança.
storage-banner-rolled-back = O armazenamento voltou a um estado anterior: faltam os dados registados desde então, e nada é servido até a última cópia de segurança ser reposta. Contacte { $name }.
storage-files-refused = O armazenamento deste local está quase cheio: de momento não é possível enviar ficheiros (as marcações e os documentos continuam a funcionar). Tente mais tarde ou traga o documento para a consulta.
storage-fenced-title = Serviço parado: dados em falta
storage-fenced-text = Os dados deste local voltaram a um estado anterior: nada é mostrado nem guardado até serem repostos a partir de uma cópia de segurança. Contacte { $name }.
