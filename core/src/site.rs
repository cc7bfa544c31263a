//! The site this daemon runs: a pharmacy booth or a clinic, in one country and time zone.
//!
//! Why here: the site's country decides which national identifier patients register with, its
//! code prefixes every document number, and its languages are those the UI offers; these rules
//! are shared by configuration checking (`check-config`) and the running daemon.

use crate::national_id::Country;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest site code (it prefixes document numbers).
pub const MAX_SITE_CODE_LEN: usize = 16;

/// What kind of place the daemon serves (DESIGN §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// A pharmacy booth: the box's own camera and microphone are the patient's side.
    Booth,
    /// A clinic server for practitioners; patients join from home or from booths.
    Clinic,
}

/// A UI and consultation language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Fr,
    De,
    En,
    Pt,
    /// Luxembourgish.
    Lb,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::Fr,
        Language::De,
        Language::En,
        Language::Pt,
        Language::Lb,
    ];

    /// ISO 639-1 code.
    pub const fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::De => "de",
            Language::En => "en",
            Language::Pt => "pt",
            Language::Lb => "lb",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text is not a supported language code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?}: expected one of \"fr\", \"de\", \"en\", \"pt\", \"lb\"")]
pub struct UnknownLanguage(pub String);

impl FromStr for Language {
    type Err = UnknownLanguage;

    /// Accepts the code in any letter case, surrounding spaces ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_lowercase();
        Language::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| UnknownLanguage(s.to_owned()))
    }
}

/// The site as configured in `[site]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// Short code, e.g. `LUX-GARE` (letters, digits, inner dashes; up to 16).
    pub id: String,
    pub name: String,
    pub kind: SiteKind,
    pub country: Country,
    /// IANA time zone name, e.g. `Europe/Luxembourg`.
    pub timezone: String,
    /// Languages offered, the first being the default.
    pub languages: Vec<Language>,
}

/// A problem with the site configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    #[error(
        "site id {0:?} is not usable: use 1 to 16 letters, digits or inner dashes, e.g. \"LUX-GARE\""
    )]
    InvalidCode(String),
    #[error("site name is empty")]
    EmptyName,
    #[error("unknown time zone {0:?}: use an IANA name such as \"Europe/Luxembourg\"")]
    UnknownTimeZone(String),
    #[error("no language configured: give at least one of \"fr\", \"de\", \"en\", \"pt\", \"lb\"")]
    NoLanguage,
    #[error("language {0} is listed twice")]
    DuplicateLanguage(Language),
}

impl Site {
    /// Every problem at once (configuration errors are reported together).
    pub fn validate(&self) -> Result<(), Vec<SiteError>> {
        let mut errors = Vec::new();
        if let Err(e) = normalise_site_code(&self.id) {
            errors.push(e);
        }
        if self.name.trim().is_empty() {
            errors.push(SiteError::EmptyName);
        }
        if jiff::tz::TimeZone::get(&self.timezone).is_err() {
            errors.push(SiteError::UnknownTimeZone(self.timezone.clone()));
        }
        if self.languages.is_empty() {
            errors.push(SiteError::NoLanguage);
        }
        for (i, language) in self.languages.iter().enumerate() {
            if self.languages[..i].contains(language) {
                errors.push(SiteError::DuplicateLanguage(*language));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The default UI language.
    pub fn default_language(&self) -> Option<Language> {
        self.languages.first().copied()
    }
}

/// The site code in canonical (upper-case) form, or why it cannot be used.
pub fn normalise_site_code(code: &str) -> Result<String, SiteError> {
    let ok = !code.is_empty()
        && code.len() <= MAX_SITE_CODE_LEN
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-');
    if ok {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(SiteError::InvalidCode(code.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            id: "lux-gare".into(),
            name: "Pharmacie de la Gare".into(),
            kind: SiteKind::Booth,
            country: Country::LU,
            timezone: "Europe/Luxembourg".into(),
            languages: vec![Language::Lb, Language::Fr, Language::De],
        }
    }

    #[test]
    fn language_codes() {
        for (l, code) in [
            (Language::Fr, "fr"),
            (Language::De, "de"),
            (Language::En, "en"),
            (Language::Pt, "pt"),
            (Language::Lb, "lb"),
        ] {
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{code}\""));
            assert_eq!(
                serde_json::from_str::<Language>(&format!("\"{code}\"")).unwrap(),
                l
            );
            assert_eq!(code.parse::<Language>().unwrap(), l);
            assert_eq!(code.to_uppercase().parse::<Language>().unwrap(), l);
            assert_eq!(l.to_string(), code);
        }
        assert_eq!(" FR ".parse::<Language>().unwrap(), Language::Fr);
        assert_eq!("it".parse::<Language>(), Err(UnknownLanguage("it".into())));
        assert!(serde_json::from_str::<Language>("\"FR\"").is_err());
    }

    #[test]
    fn site_serde_shape() {
        let json = serde_json::to_value(site()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "lux-gare", "name": "Pharmacie de la Gare", "kind": "booth",
                "country": "LU", "timezone": "Europe/Luxembourg", "languages": ["lb", "fr", "de"]
            })
        );
        assert_eq!(serde_json::from_value::<Site>(json).unwrap(), site());
        assert_eq!(
            serde_json::to_string(&SiteKind::Clinic).unwrap(),
            "\"clinic\""
        );
    }

    #[test]
    fn valid_site_and_default_language() {
        assert_eq!(site().validate(), Ok(()));
        assert_eq!(site().default_language(), Some(Language::Lb));
    }

    #[test]
    fn all_errors_are_reported_together() {
        let bad = Site {
            id: "-bad code-".into(),
            name: "  ".into(),
            timezone: "Luxembourg".into(),
            languages: vec![],
            ..site()
        };
        assert_eq!(
            bad.validate(),
            Err(vec![
                SiteError::InvalidCode("-bad code-".into()),
                SiteError::EmptyName,
                SiteError::UnknownTimeZone("Luxembourg".into()),
                SiteError::NoLanguage,
            ])
        );
        let dup = Site {
            languages: vec![Language::Fr, Language::De, Language::Fr],
            ..site()
        };
        assert_eq!(
            dup.validate(),
            Err(vec![SiteError::DuplicateLanguage(Language::Fr)])
        );
    }

    #[test]
    fn site_codes() {
        assert_eq!(normalise_site_code("lux-gare").unwrap(), "LUX-GARE");
        assert_eq!(normalise_site_code("A1").unwrap(), "A1");
        assert!(normalise_site_code(&"A".repeat(MAX_SITE_CODE_LEN)).is_ok());
        for bad in [
            "",
            "-A",
            "A-",
            "A B",
            "A_B",
            "É",
            &"A".repeat(MAX_SITE_CODE_LEN + 1),
        ] {
            assert!(normalise_site_code(bad).is_err(), "{bad:?}");
        }
    }
}
