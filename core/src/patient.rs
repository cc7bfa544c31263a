//! Patients: identity, contact data and the consents they gave. Health data: stored encrypted,
//! every access audited.

use crate::Timestamp;
use crate::consent::Consent;
use crate::ids::PatientId;
use crate::national_id::Country;
use serde::{Deserialize, Serialize};

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
    /// Every consent given, including withdrawn ones (history is kept).
    pub consents: Vec<Consent>,
}
