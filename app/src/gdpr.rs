//! A patient's rights exercised through the site (GDPR art. 15, 17): an administrator exports
//! or erases a patient's data on their request — the operator at the box's admin socket
//! (`teleconsultctl patient export|erase`) or an administrator's account. Audited with the
//! administrator as actor. A patient's own requests are `profile.rs`'s.

use crate::error::AppError;
use crate::users::Administrator;
use crate::{App, event};
use teleconsult_core::audit::Action;
use teleconsult_core::ids::{AccountId, PatientId};
use teleconsult_core::medical_record::MedicalRecord;
use teleconsult_core::patient::Patient;

/// What an erasure removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientErasure {
    /// Records removed with the patient (their record, its indexes, what their calls left…),
    /// as the storage counts them; for a patient with accounts, what the accounts' erasure
    /// removed is not counted beyond the accounts themselves.
    pub removed_records: u64,
    /// The accounts erased with the patient (a registered patient's own): their sessions end.
    pub accounts: Vec<AccountId>,
}

impl App {
    /// Patient `id`'s record and short medical record (`None`: never filled in), each read
    /// audited as an export by `admin`; [`AppError::NotFound`] when there is no such patient.
    pub fn export_patient(
        &self,
        admin: Administrator<'_>,
        id: PatientId,
    ) -> Result<(Patient, Option<MedicalRecord>), AppError> {
        let actor = admin.allowed()?;
        let now = self.now();
        let exported = event(now, &actor, Action::Export, "patient", id);
        let patient = self
            .store
            .patient(id, &exported)?
            .ok_or(AppError::NotFound)?;
        let record = event(now, &actor, Action::Export, "medical_record", id);
        let medical_record = self.store.find_medical_record(id, &record)?;
        Ok((patient, medical_record))
    }

    /// Erases patient `id` at `admin`'s hand: a registered patient through their accounts
    /// (each erased with the patient record in its own transaction), a walk-in without an
    /// account directly. The appointments and issued documents stay, as the audit trail.
    /// [`AppError::NotFound`] when there is no such patient.
    pub fn erase_patient(
        &self,
        admin: Administrator<'_>,
        id: PatientId,
    ) -> Result<PatientErasure, AppError> {
        let actor = admin.allowed()?;
        let audit = event(self.now(), &actor, Action::Delete, "patient", id);
        let accounts: Vec<AccountId> = self
            .store
            .all_accounts()?
            .into_iter()
            .filter(|account| account.patient == Some(id))
            .map(|account| account.id)
            .collect();
        if accounts.is_empty() {
            let removed_records = self
                .store
                .erase_patient(id, &audit)?
                .ok_or(AppError::NotFound)?;
            return Ok(PatientErasure {
                removed_records,
                accounts,
            });
        }
        for account in &accounts {
            self.store.erase_account(*account, &[], &audit)?;
        }
        Ok(PatientErasure {
            // The patient record, its two look-up entries, each account and its login entry.
            removed_records: 3 + 2 * accounts.len() as u64,
            accounts,
        })
    }
}
