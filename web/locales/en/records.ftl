## Short medical record (patient space, appointment page)
mr-title = Medical record
mr-for = Medical record of { $name }
mr-intro = The practitioners you have an appointment with read this before the consultation. Fill in what applies and leave the rest empty.
mr-history = Medical history
mr-history-hint = Past illnesses, operations, long-term conditions.
mr-allergies = Allergies
mr-allergies-hint = Medicines, food or anything else, with the reaction if you know it.
mr-treatments = Current treatments
mr-treatments-hint = Medicines and treatments you take now, with the dose if you know it.
mr-save = Save the medical record
mr-saved = Medical record saved. The practitioner will see it before your consultation.
mr-updated = Last updated { $date }.
mr-error-part = At most 4000 characters, without control characters.
mr-section-title = Medical record given by the patient
mr-not-filled = The patient has not filled in a medical record.
mr-none-declared = Nothing declared
mr-fill-link = Fill in the medical record for the practitioner
