//! The short medical record a patient fills in before consulting (history, allergies, current
//! treatments), so that the practitioner has the essentials in front of them when the call
//! starts (seed 004: "renseignez votre dossier médical … antécédents médicaux, allergies,
//! traitements éventuels").
//!
//! It is the patient's own declaration, not the practitioner's record: the patient side (the
//! patient, or the account that acts for them) writes it; the practitioner reads it through an
//! appointment with that patient; nobody else reads it. It is erased with the patient.

use crate::Timestamp;
use crate::account::{Account, Role};
use crate::appointment::{Appointment, Status};
use crate::ids::{AccountId, PatientId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest text of each part, in characters (about a page: a *short* record).
pub const MAX_PART_CHARS: usize = 4000;

/// A patient's short medical record, as last saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicalRecord {
    pub patient: PatientId,
    /// Past illnesses, operations, chronic conditions, relevant family history.
    pub history: String,
    /// Known allergies and intolerances (medicines, food, other), with the reaction if known.
    pub allergies: String,
    /// Medicines and other treatments taken now, with their dose if known.
    pub treatments: String,
    pub updated_at: Timestamp,
    /// The account that saved it (the patient or whoever acts for them).
    pub updated_by: AccountId,
}

/// The three parts as entered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicalRecordParts {
    pub history: String,
    pub allergies: String,
    pub treatments: String,
}

impl MedicalRecordParts {
    /// Trims each part and checks it: at most [`MAX_PART_CHARS`] characters, no control
    /// characters other than line breaks and tabs. Every empty part is allowed (nothing to
    /// declare). All problems are reported at once, keyed by part name.
    pub fn validated(mut self) -> Result<Self, BTreeMap<&'static str, String>> {
        let mut errors = BTreeMap::new();
        for (name, value) in [
            ("history", &mut self.history),
            ("allergies", &mut self.allergies),
            ("treatments", &mut self.treatments),
        ] {
            let trimmed = value.trim();
            if trimmed.len() != value.len() {
                *value = trimmed.to_owned();
            }
            if value.chars().count() > MAX_PART_CHARS {
                errors.insert(name, format!("must be at most {MAX_PART_CHARS} characters"));
            } else if value
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                errors.insert(name, "must not contain control characters".to_owned());
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    /// The record these parts make, saved by `by` at `at`.
    pub fn into_record(self, patient: PatientId, by: AccountId, at: Timestamp) -> MedicalRecord {
        MedicalRecord {
            patient,
            history: self.history,
            allergies: self.allergies,
            treatments: self.treatments,
            updated_at: at,
            updated_by: by,
        }
    }
}

/// Whether `account` may read and write the record of `patient`: a patient account acting for
/// them (their own record or a relative's).
pub fn may_edit(account: &Account, patient: PatientId) -> bool {
    account.role == Role::Patient && account.acts_for(patient)
}

/// Whether `account` may read the record of `appointment`'s patient through that appointment:
/// the patient side, or the appointment's practitioner while the appointment stands (a
/// cancelled appointment is no reason to read it). Staff, administrators, pharmacists and
/// other practitioners never read it.
pub fn may_read_for(account: &Account, appointment: &Appointment) -> bool {
    match account.role {
        Role::Patient => {
            account.acts_for(appointment.patient) || appointment.booked_by == account.id
        }
        Role::Practitioner => {
            account.practitioner == Some(appointment.practitioner)
                && !matches!(appointment.status, Status::Cancelled { .. })
        }
        Role::Staff | Role::Admin | Role::Pharmacist => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(history: &str, allergies: &str, treatments: &str) -> MedicalRecordParts {
        MedicalRecordParts {
            history: history.into(),
            allergies: allergies.into(),
            treatments: treatments.into(),
        }
    }

    #[test]
    fn parts_are_trimmed_and_may_be_empty() {
        let valid = parts("  Appendectomie 2009\nAsthme  ", "", "\tVentoline 100 µg ")
            .validated()
            .expect("valid");
        assert_eq!(valid.history, "Appendectomie 2009\nAsthme");
        assert_eq!(valid.allergies, "");
        assert_eq!(valid.treatments, "Ventoline 100 µg");
    }

    #[test]
    fn every_bad_part_is_reported() {
        let long = "é".repeat(MAX_PART_CHARS + 1);
        let errors = parts(&long, "pénicilline\u{0007}", "ok")
            .validated()
            .expect_err("invalid");
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["allergies", "history"]
        );
        // The limit counts characters, not bytes.
        assert!(
            parts(&"é".repeat(MAX_PART_CHARS), "", "")
                .validated()
                .is_ok()
        );
    }

    #[test]
    fn the_patient_side_and_the_appointment_practitioner_read_it() {
        use crate::call::tests::{account, appointment};
        let mut a = appointment();
        let mut patient = account(Role::Patient, 9);
        assert!(!may_edit(&patient, a.patient));
        assert!(!may_read_for(&patient, &a));
        patient.relatives.push(a.patient);
        assert!(may_edit(&patient, a.patient));
        assert!(may_read_for(&patient, &a));
        let mut practitioner = account(Role::Practitioner, 5);
        assert!(!may_read_for(&practitioner, &a));
        practitioner.practitioner = Some(a.practitioner);
        assert!(may_read_for(&practitioner, &a));
        assert!(!may_edit(&practitioner, a.patient));
        for role in [Role::Staff, Role::Admin, Role::Pharmacist] {
            assert!(!may_read_for(&account(role, 4), &a), "{role:?}");
        }
        a.status = Status::Cancelled {
            by: crate::appointment::CancelledBy::Patient,
            at: a.created_at,
            reason: None,
        };
        assert!(!may_read_for(&practitioner, &a));
        assert!(may_read_for(&patient, &a));
    }
}
