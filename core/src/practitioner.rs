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

/// The specialties a practitioner can be listed under (codes; the pages translate them):
/// general practice, the usual medical specialties, and the other health professions that
/// consult remotely.
pub const SPECIALTIES: &[&str] = &[
    "general_practice",
    "paediatrics",
    "gynaecology",
    "midwifery",
    "dentistry",
    "dermatology",
    "cardiology",
    "psychiatry",
    "psychology",
    "ophthalmology",
    "otorhinolaryngology",
    "neurology",
    "endocrinology",
    "gastroenterology",
    "pulmonology",
    "rheumatology",
    "urology",
    "physiotherapy",
    "speech_therapy",
    "dietetics",
    "nursing",
];

/// Why a practitioner's listing was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    #[error("unknown specialty {0:?}: use one of the listed codes, e.g. general_practice")]
    UnknownSpecialty(String),
    #[error(
        "give between 1 and 10 languages, each a 2- or 3-letter code such as fr, de, en, pt, lb"
    )]
    Languages,
}

/// A known specialty code (trimmed), or why not.
pub fn validate_specialty(code: &str) -> Result<String, ListingError> {
    let code = code.trim();
    SPECIALTIES
        .iter()
        .find(|s| **s == code)
        .map(|s| (*s).to_owned())
        .ok_or_else(|| ListingError::UnknownSpecialty(code.to_owned()))
}

/// Language codes spoken: 1 to 10 ISO 639 codes (2 or 3 lowercase letters), duplicates
/// dropped, order kept.
pub fn validate_languages<S: AsRef<str>>(codes: &[S]) -> Result<Vec<String>, ListingError> {
    let mut out: Vec<String> = Vec::new();
    for code in codes {
        let code = code.as_ref().trim().to_lowercase();
        if !(2..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(ListingError::Languages);
        }
        if !out.contains(&code) {
            out.push(code);
        }
    }
    if out.is_empty() || out.len() > 10 {
        return Err(ListingError::Languages);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specialties_are_known_codes() {
        assert_eq!(
            validate_specialty(" dentistry ").as_deref(),
            Ok("dentistry")
        );
        assert_eq!(
            validate_specialty("astrology"),
            Err(ListingError::UnknownSpecialty("astrology".into()))
        );
        assert_eq!(
            validate_specialty(""),
            Err(ListingError::UnknownSpecialty(String::new()))
        );
    }

    #[test]
    fn languages_are_short_codes_without_duplicates() {
        assert_eq!(
            validate_languages(&["fr", "DE", "fr", "lb"]),
            Ok(vec!["fr".to_owned(), "de".to_owned(), "lb".to_owned()])
        );
        assert_eq!(
            validate_languages::<&str>(&[]),
            Err(ListingError::Languages)
        );
        assert_eq!(
            validate_languages(&["french"]),
            Err(ListingError::Languages)
        );
        assert_eq!(validate_languages(&["f1"]), Err(ListingError::Languages));
    }
}
