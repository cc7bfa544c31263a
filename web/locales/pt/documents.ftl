# Issued documents: PDF labels and the e-mails announcing a document (no health data).
doc-title-prescription = Receita médica
doc-title-lab-request = Requisição de análises laboratoriais
doc-title-sick-leave = Certificado de incapacidade para o trabalho
doc-title-fee-memo = Nota de honorários
doc-title-consultation-report = Relatório de consulta
doc-part = Parte { $number } de 3: { $reader }
doc-part-insurer = para a caixa de seguro de doença
doc-part-patient = para o paciente
doc-part-employer = para a entidade empregadora
doc-number = Número do documento
doc-issued-at = Emitido em
doc-patient = Paciente
doc-national-id = Número de identificação
doc-birth-date = Data de nascimento
doc-practitioner = Profissional de saúde
doc-replaces = Substitui o documento
doc-medication = Medicamento
doc-dose = Dose
doc-form = Forma
doc-posology = Posologia
doc-duration = Duração
doc-substitution = Substituição
doc-yes = sim
doc-no = não
doc-qr-caption = Farmácia: leia este código ou procure a receita pelo número de identificação do paciente. Receita { $number }.
doc-laboratory = Laboratório
doc-tests = Análises pedidas
doc-home-visit = Colheita ao domicílio
doc-clinical-information = Informação clínica
doc-period = Incapacidade para o trabalho
doc-period-value = de { $from } a { $to } inclusive
doc-diagnosis = Diagnóstico
doc-outings = Saídas autorizadas
doc-code = Código
doc-act = Ato
doc-amount = Montante (EUR)
doc-total = Total (EUR)
doc-payment-status = Pagamento
doc-unpaid = a pagar
doc-reason = Motivo da consulta
doc-findings = Observações
doc-conclusion = Conclusão
doc-footer = Emitido eletronicamente por { $practitioner } através de { $site }. Documento validado: qualquer correção cria uma nova versão numerada.
email-document-subject = { $site }: está disponível um novo documento
email-document-body =
    Olá { $name },

    Um profissional de saúde emitiu um novo documento para si após a sua teleconsulta.
    Pode consultá-lo e descarregá-lo no seu espaço pessoal:

    { $link }

    { $site }
email-lab-request-subject = { $site }: requisição de análises { $number }
email-lab-request-body =
    Olá,

    { $site } emitiu a requisição de análises { $number } dirigida ao seu laboratório.
    Colheita ao domicílio pedida: { $home }.

    A requisição está disponível na plataforma nacional de saúde com este número;
    esta mensagem não contém dados de saúde.

    { $site }
