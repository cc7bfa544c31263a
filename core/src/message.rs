//! Secure messaging outside consultations: a patient (or whoever acts for them) and a
//! practitioner write to each other, with a file when needed (a result, a photo, a letter).
//!
//! One conversation per (patient, practitioner) pair. It exists once they have an appointment
//! together (any not cancelled, past or future) — a patient cannot write to a practitioner
//! they never booked, a practitioner cannot write to a stranger — and stays readable and
//! writable once it holds messages, even if that appointment is cancelled later. The parties
//! are the patient side (the patient's own account, or an account acting for them) and the
//! practitioner; nobody else (not staff, not administrators, not another practitioner).

use crate::Timestamp;
use crate::account::{Account, Role};
use crate::appointment::{Appointment, Status};
use crate::ids::{AccountId, MessageId, PatientId, PractitionerId};
use serde::{Deserialize, Serialize};

/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Which side of the conversation wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Patient,
    Practitioner,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Patient => Side::Practitioner,
            Side::Practitioner => Side::Patient,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::Patient => "patient",
            Side::Practitioner => "practitioner",
        }
    }
}

/// A file sent with a message (content stored apart, sealed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFile {
    pub content_type: String,
    pub file_name: String,
    pub size: u64,
}

/// One message (health data: stored sealed, every access audited).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub patient: PatientId,
    pub practitioner: PractitionerId,
    pub from: Side,
    pub author: AccountId,
    pub at: Timestamp,
    pub text: String,
    pub file: Option<MessageFile>,
    /// When the other side first read it.
    pub read_at: Option<Timestamp>,
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("the message is empty: write something or add a file")]
    Empty,
    #[error("the message is too long: at most {MAX_MESSAGE_CHARS} characters")]
    TooLong,
    #[error("the message contains control characters")]
    Control,
}

/// The trimmed text of a message; empty only with a file. Line breaks and tabs are kept.
pub fn message_text(text: &str, has_file: bool) -> Result<String, MessageError> {
    let text = text.trim();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(MessageError::TooLong);
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(MessageError::Control);
    }
    if text.is_empty() && !has_file {
        return Err(MessageError::Empty);
    }
    Ok(text.to_owned())
}

/// The side `account` takes in the conversation of `patient` and `practitioner`, if any.
pub fn side_of(
    account: &Account,
    patient: PatientId,
    practitioner: PractitionerId,
) -> Option<Side> {
    match account.role {
        Role::Patient if account.acts_for(patient) => Some(Side::Patient),
        Role::Practitioner if account.practitioner == Some(practitioner) => {
            Some(Side::Practitioner)
        }
        _ => None,
    }
}

/// Whether `appointments` make a care relationship between `patient` and `practitioner`: one
/// of them, not cancelled, is between the two.
pub fn in_care<'a>(
    mut appointments: impl Iterator<Item = &'a Appointment>,
    patient: PatientId,
    practitioner: PractitionerId,
) -> bool {
    appointments.any(|a| {
        a.patient == patient
            && a.practitioner == practitioner
            && !matches!(a.status, Status::Cancelled { .. })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::tests::{account, appointment};

    #[test]
    fn texts_are_trimmed_and_checked() {
        assert_eq!(
            message_text("  Bonjour\nDocteur ", false),
            Ok("Bonjour\nDocteur".into())
        );
        assert_eq!(message_text("   ", false), Err(MessageError::Empty));
        assert_eq!(message_text("", true), Ok(String::new()));
        assert_eq!(message_text("a\u{1b}b", false), Err(MessageError::Control));
        let long = "é".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(message_text(&long, true), Err(MessageError::TooLong));
        assert!(message_text(&"é".repeat(MAX_MESSAGE_CHARS), false).is_ok());
    }

    #[test]
    fn only_the_patient_side_and_the_practitioner_are_parties() {
        let a = appointment();
        let mut patient = account(Role::Patient, 9);
        assert_eq!(side_of(&patient, a.patient, a.practitioner), None);
        patient.relatives.push(a.patient);
        assert_eq!(
            side_of(&patient, a.patient, a.practitioner),
            Some(Side::Patient)
        );
        let mut doctor = account(Role::Practitioner, 5);
        assert_eq!(side_of(&doctor, a.patient, a.practitioner), None);
        doctor.practitioner = Some(a.practitioner);
        assert_eq!(
            side_of(&doctor, a.patient, a.practitioner),
            Some(Side::Practitioner)
        );
        for role in [Role::Staff, Role::Admin, Role::Pharmacist] {
            assert_eq!(side_of(&account(role, 4), a.patient, a.practitioner), None);
        }
    }

    #[test]
    fn a_cancelled_appointment_makes_no_care_relationship() {
        let mut a = appointment();
        assert!(in_care([&a].into_iter(), a.patient, a.practitioner));
        let other = PractitionerId::from_uuid(uuid::Uuid::from_u128(99));
        assert!(!in_care([&a].into_iter(), a.patient, other));
        a.status = Status::Cancelled {
            by: crate::appointment::CancelledBy::Patient,
            reason: None,
            at: a.created_at,
        };
        assert!(!in_care([&a].into_iter(), a.patient, a.practitioner));
    }
}
