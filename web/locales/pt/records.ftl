## Registo médico resumido (espaço do paciente, página da consulta)
mr-title = Registo médico
mr-for = Registo médico de { $name }
mr-intro = Os profissionais com quem tem consulta leem isto antes da consulta. Preencha o que se aplica e deixe o resto vazio.
mr-history = Antecedentes médicos
mr-history-hint = Doenças anteriores, operações, doenças crónicas.
mr-allergies = Alergias
mr-allergies-hint = Medicamentos, alimentos ou outros, com a reação se a conhecer.
mr-treatments = Tratamentos atuais
mr-treatments-hint = Medicamentos e tratamentos que toma atualmente, com a dose se a conhecer.
mr-save = Guardar o registo médico
mr-saved = Registo médico guardado. O profissional vai vê-lo antes da sua consulta.
mr-updated = Última atualização: { $date }.
mr-error-part = No máximo 4000 caracteres, sem caracteres de controlo.
mr-section-title = Registo médico preenchido pelo paciente
mr-not-filled = O paciente não preencheu o registo médico.
mr-none-declared = Nada declarado
mr-fill-link = Preencher o registo médico para o profissional

## Mensagens seguras
msg-title = Mensagens
msg-intro = Escreva aos profissionais com quem tem consulta, fora da consulta: uma pergunta sobre um tratamento, um resultado para mostrar. As mensagens não são para urgências: ligue 112.
msg-none = Ainda não há conversas. Assim que uma consulta for marcada, pode escrever ao profissional aqui.
msg-with = Conversa entre { $name }
msg-unread = { $count } não lida(s)
msg-last = Última mensagem em { $date }
msg-no-messages-yet = Ainda não há mensagens.
msg-from-you = Você
msg-read = Lida em { $date }
msg-text = A sua mensagem
msg-file = Ficheiro (PDF, JPEG ou PNG, opcional)
msg-file-hint = No máximo { $mb } MB.
msg-send = Enviar
msg-sent = Mensagem enviada. O destinatário é avisado por e-mail de que tem uma mensagem, sem o seu conteúdo.
msg-error-text = Escreva uma mensagem (no máximo 4000 caracteres) ou junte um ficheiro.
msg-error-type = Só podem ser enviados ficheiros PDF, JPEG ou PNG.
msg-error-content = Este ficheiro está vazio ou não corresponde ao seu tipo.
msg-error-size = Este ficheiro é demasiado grande (no máximo { $mb } MB).
msg-write = Escrever uma mensagem
email-message-subject = { $site }: tem uma nova mensagem
email-message-body =
    Olá { $name },

    Tem uma nova mensagem nas suas mensagens seguras. Leia-a no seu espaço pessoal:

    { $link }

    { $site }
