//! The medical-record port: a patient's short medical record (`teleconsult-app::medical_record`)
//! read and written, each with its audit record in the same transaction.

use crate::audit::AuditEvent;
use crate::ids::PatientId;
use crate::medical_record::MedicalRecord;
use crate::ports::RepositoryError;

/// Storage of the patients' short medical records (health data: sealed at rest).
pub trait MedicalRecordStore: Send + Sync {
    /// The record of `patient`, read with `audit` recorded; `None` when never filled in.
    fn find_medical_record(
        &self,
        patient: PatientId,
        audit: &AuditEvent,
    ) -> Result<Option<MedicalRecord>, RepositoryError>;

    /// Replaces the record of its patient, durably, with `audit`. [`RepositoryError::NotFound`]
    /// when the patient is gone (erased meanwhile).
    fn save_medical_record(
        &self,
        record: &MedicalRecord,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;
}
