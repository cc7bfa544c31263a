-- teleconsult on PostgreSQL, version 4: the patients' short medical records (health data:
-- sealed), one per patient, gone with the patient.

CREATE TABLE medical_records (
    patient uuid  PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
    sealed  bytea NOT NULL
);
