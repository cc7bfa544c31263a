//! The patient's short medical record (history, allergies, current treatments; rules in
//! `teleconsult_core::medical_record`): read and saved by the patient side — the patient, or
//! the account acting for a relative —, read by the practitioner of an appointment who finds it
//! filled in before the call. Anyone else gets "no such record". Every read and write is
//! audited.

use crate::error::AppError;
use crate::{App, actor_of, event};
use teleconsult_core::account::Account;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::audit::{Action, AuditEvent};
use teleconsult_core::ids::{AppointmentId, PatientId};
use teleconsult_core::medical_record::{MedicalRecord, MedicalRecordParts, may_edit, may_read_for};
use teleconsult_core::ports::RepositoryError;

impl App {
    /// The record of `patient` for the patient side; `None` when never filled in.
    pub fn medical_record(
        &self,
        actor: &Account,
        patient: PatientId,
    ) -> Result<Option<MedicalRecord>, AppError> {
        if !may_edit(actor, patient) {
            return Err(AppError::NotFound);
        }
        let read = self.record_event(actor, Action::Read, patient);
        Ok(self.store.find_medical_record(patient, &read)?)
    }

    /// Saves the record of `patient` from the patient side, replacing the previous one; 422
    /// with every bad part at once. Returns the record as saved.
    pub fn save_medical_record(
        &self,
        actor: &Account,
        patient: PatientId,
        parts: MedicalRecordParts,
    ) -> Result<MedicalRecord, AppError> {
        if !may_edit(actor, patient) {
            return Err(AppError::NotFound);
        }
        let parts = parts.validated().map_err(|errors| {
            AppError::Invalid(
                errors
                    .into_iter()
                    .map(|(field, message)| (field.to_owned(), message))
                    .collect(),
            )
        })?;
        let record = parts.into_record(patient, actor.id, self.now());
        let write = self.record_event(actor, Action::Update, patient);
        match self.store.save_medical_record(&record, &write) {
            // The relative's record was erased meanwhile: as for anything not there.
            Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            other => other.map(|()| record).map_err(AppError::from),
        }
    }

    /// The record of the patient of appointment `id`, for whoever may read it for that
    /// appointment (its practitioner while it is not cancelled, the patient side); the
    /// appointment's read is audited. [`AppError::NotFound`] for anyone else and when there is
    /// no such appointment.
    pub fn appointment_medical_record(
        &self,
        actor: &Account,
        id: AppointmentId,
    ) -> Result<(PatientId, Option<MedicalRecord>), AppError> {
        let appointment = self.appointment(actor, id)?;
        let record = self.medical_record_for(actor, &appointment)?;
        Ok((appointment.patient, record))
    }

    /// The record of the patient of `appointment`, already loaded (and its read audited) by
    /// the caller, for whoever may read it for that appointment.
    pub fn medical_record_for(
        &self,
        actor: &Account,
        appointment: &Appointment,
    ) -> Result<Option<MedicalRecord>, AppError> {
        if !may_read_for(actor, appointment) {
            return Err(AppError::NotFound);
        }
        let patient = appointment.patient;
        let read = self.record_event(actor, Action::Read, patient);
        Ok(self.store.find_medical_record(patient, &read)?)
    }

    fn record_event(&self, actor: &Account, action: Action, patient: PatientId) -> AuditEvent {
        event(
            self.now(),
            &actor_of(actor),
            action,
            "medical_record",
            patient,
        )
    }
}
