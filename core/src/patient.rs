//! Patients: identity, contact data and the consents they gave. Health data: stored encrypted,
//! every access audited.

use crate::Timestamp;
use crate::consent::Consent;
use crate::ids::PatientId;
use crate::national_id::Country;
use serde::{Deserialize, Serialize};

/// Where a patient account stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Registered; the activation link sent by e-mail has not been used yet. Cannot log in.
    PendingActivation,
    Active,
    /// Disabled by an administrator (or after erasure). Cannot log in.
    Disabled,
}

impl AccountStatus {
    /// Only active accounts may log in.
    pub fn may_log_in(self) -> bool {
        self == AccountStatus::Active
    }
}

/// A patient record as the site holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    pub id: PatientId,
    /// National identifier as entered, normalised (digits only where the country uses digits),
    /// as returned by [`crate::national_id::validate_national_id`].
    pub national_id: String,
    /// Issuer of `national_id`.
    pub country: Country,
    pub first_name: String,
    pub last_name: String,
    /// ISO date `YYYY-MM-DD`.
    pub birth_date: jiff::civil::Date,
    /// E.164 phone number, e.g. `+352621123456`.
    pub phone: String,
    pub email: String,
    /// UI language code (`fr`, `de`, `en`, `pt`, `lb`).
    pub language: String,
    pub created_at: Timestamp,
    pub status: AccountStatus,
    /// Every consent given, including withdrawn ones (history is kept).
    pub consents: Vec<Consent>,
    /// The login secret as an argon2id PHC string (never the password itself). Computed at the
    /// edge: hashing is CPU work core does not do.
    pub password_hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_status_serde_and_login_rule() {
        for (status, json, may_log_in) in [
            (
                AccountStatus::PendingActivation,
                "\"pending_activation\"",
                false,
            ),
            (AccountStatus::Active, "\"active\"", true),
            (AccountStatus::Disabled, "\"disabled\"", false),
        ] {
            assert_eq!(serde_json::to_string(&status).unwrap(), json);
            assert_eq!(serde_json::from_str::<AccountStatus>(json).unwrap(), status);
            assert_eq!(status.may_log_in(), may_log_in);
        }
    }
}
