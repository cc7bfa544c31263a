//! Patients: identity and contact data. Health data: stored encrypted, every access audited.

use crate::Timestamp;
use crate::ids::PatientId;
use serde::{Deserialize, Serialize};

/// A patient record as the site holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    pub id: PatientId,
    /// National identifier as entered, normalised (digits only where the country uses digits).
    pub national_id: String,
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
}
