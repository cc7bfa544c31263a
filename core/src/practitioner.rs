//! Practitioners and their specialties.

use crate::ids::PractitionerId;
use serde::{Deserialize, Serialize};

/// A practitioner offering teleconsultations at this site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practitioner {
    pub id: PractitionerId,
    pub name: String,
    /// Specialty code, e.g. `general_practice`, `dentistry`, `speech_therapy`.
    pub specialty: String,
    /// Languages spoken (codes as in [`crate::patient::Patient::language`]).
    pub languages: Vec<String>,
}
