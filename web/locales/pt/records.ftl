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
