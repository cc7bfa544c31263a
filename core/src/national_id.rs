//! National identification numbers of the countries a site can serve (LU, FR, PT).
//!
//! Why here: a patient registers with the number their health insurance knows them by, and a
//! mistyped number means a record the national platform cannot match. We catch typos at the door
//! (check digits), refuse impossible values (birth dates that do not exist), and store one
//! canonical form so that the uniqueness rule in the store compares like with like.
//!
//! Error messages never repeat the number itself: errors end up in logs, numbers must not.
//! The rules and their sources are documented on each country's module:
//! [`luxembourg`], [`france`], [`portugal`].

mod check_digits;
pub mod france;
pub mod luxembourg;
pub mod portugal;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A country a site operates in; also the issuer of a patient's national identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Country {
    /// Luxembourg.
    LU,
    /// France.
    FR,
    /// Portugal.
    PT,
}

impl Country {
    /// All supported countries.
    pub const ALL: [Country; 3] = [Country::LU, Country::FR, Country::PT];

    /// ISO 3166-1 alpha-2 code, as used in configuration and JSON.
    pub const fn code(self) -> &'static str {
        match self {
            Country::LU => "LU",
            Country::FR => "FR",
            Country::PT => "PT",
        }
    }

    /// What the national identifier is called in that country (shown in error messages).
    pub const fn national_id_name(self) -> &'static str {
        match self {
            Country::LU => "Luxembourg national identification number (matricule)",
            Country::FR => "French social security number (NIR)",
            Country::PT => "Portuguese SNS user number (número de utente)",
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text is not one of the supported country codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown country {0:?}: expected one of \"LU\", \"FR\", \"PT\"")]
pub struct UnknownCountry(pub String);

impl FromStr for Country {
    type Err = UnknownCountry;

    /// Accepts the ISO code in any letter case, surrounding spaces ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "LU" => Ok(Country::LU),
            "FR" => Ok(Country::FR),
            "PT" => Ok(Country::PT),
            _ => Err(UnknownCountry(s.to_owned())),
        }
    }
}

/// Sex as encoded in an identifier (only where the number encodes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// The year part of an encoded birth date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum BirthYear {
    /// All four digits are encoded (LU).
    Full(i16),
    /// Only the last two digits are encoded; the century is not (FR).
    TwoDigits(i8),
}

/// A birth date as far as an identifier encodes it: parts may be unknown (`None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EncodedBirthDate {
    pub year: BirthYear,
    /// 1..=12, `None` when the number says "month unknown".
    pub month: Option<i8>,
    /// 1..=31, `None` when unknown or not encoded.
    pub day: Option<i8>,
}

impl EncodedBirthDate {
    /// The full date, when every part is known.
    pub fn to_date(&self) -> Option<jiff::civil::Date> {
        match (self.year, self.month, self.day) {
            (BirthYear::Full(y), Some(m), Some(d)) => jiff::civil::Date::new(y, m, d).ok(),
            _ => None,
        }
    }

    /// Whether `date` agrees with every part the number encodes (unknown parts match anything).
    pub fn matches(&self, date: jiff::civil::Date) -> bool {
        let year_ok = match self.year {
            BirthYear::Full(y) => date.year() == y,
            BirthYear::TwoDigits(yy) => i16::from(yy) == date.year().rem_euclid(100),
        };
        year_ok
            && self.month.is_none_or(|m| m == date.month())
            && self.day.is_none_or(|d| d == date.day())
    }
}

/// A validated national identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NationalId {
    pub country: Country,
    /// Canonical form: separators removed, upper case (the form stored in [`crate::patient::Patient`]).
    pub value: String,
    /// Birth date parts encoded in the number, if the scheme encodes any.
    pub birth: Option<EncodedBirthDate>,
    /// Sex encoded in the number, if the scheme encodes it.
    pub sex: Option<Sex>,
    /// The number is a temporary one (FR: sex digit 3, 4, 7 or 8) that the insurer will replace.
    pub temporary: bool,
}

impl NationalId {
    /// Whether a birth date entered separately agrees with the number (true when the number
    /// encodes no birth date). Advisory: LU assigns the year of entry when the year is unknown.
    pub fn agrees_with_birth_date(&self, date: jiff::civil::Date) -> bool {
        self.birth.is_none_or(|b| b.matches(date))
    }
}

/// Why a national identifier was refused. Messages name the country's scheme and the failing
/// part but never the number itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NationalIdError {
    #[error("the {} has {expected}; the one entered has {found} characters after removing spaces, dots and dashes", country.national_id_name())]
    WrongLength {
        country: Country,
        expected: &'static str,
        found: usize,
    },
    #[error("the {} may only contain {allowed}; character {position} ({character:?}) is not allowed", country.national_id_name())]
    InvalidCharacter {
        country: Country,
        allowed: &'static str,
        /// 1-based position in the normalised number.
        position: usize,
        character: char,
    },
    #[error("the {} must end with its 2-digit key: enter all 15 characters", Country::FR.national_id_name())]
    MissingKey,
    #[error("the first digit of the {} gives the sex and must be 1 or 2 (3, 4, 7 or 8 for temporary numbers); it is {digit}", Country::FR.national_id_name())]
    InvalidSexDigit { digit: char },
    #[error("the birth date encoded in the {} is not a real date: {reason}", country.national_id_name())]
    InvalidBirthDate {
        country: Country,
        reason: &'static str,
    },
    #[error("the 12th digit of the {} (Luhn check digit) does not match the first 11 digits: please check the number for a typo", Country::LU.national_id_name())]
    LuhnMismatch,
    #[error("the 13th digit of the {} (Verhoeff check digit) does not match the first 11 digits: please check the number for a typo", Country::LU.national_id_name())]
    VerhoeffMismatch,
    #[error("the 2-digit key of the {} does not match the first 13 characters: please check the number for a typo", Country::FR.national_id_name())]
    KeyMismatch,
}

/// Validates `raw` as the national identifier of `country` and returns its canonical form plus
/// what the number encodes. Spaces (any whitespace), dots and dashes are ignored.
pub fn validate_national_id(country: Country, raw: &str) -> Result<NationalId, NationalIdError> {
    let normalised = normalise(raw);
    match country {
        Country::LU => luxembourg::validate(normalised),
        Country::FR => france::validate(normalised),
        Country::PT => portugal::validate(normalised),
    }
}

/// Removes the separators people type or copy from cards, and upper-cases letters (FR "2a").
fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Fails on the first character that is not an ASCII digit.
fn require_digits(
    country: Country,
    value: &str,
    allowed: &'static str,
) -> Result<(), NationalIdError> {
    match value.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, character)) => Err(NationalIdError::InvalidCharacter {
            country,
            allowed,
            position: i + 1,
            character,
        }),
        None => Ok(()),
    }
}

/// Two ASCII digits as a number. Callers have checked they are digits.
fn two_digits(bytes: &[u8]) -> i8 {
    // Each byte is b'0'..=b'9', so the result is 0..=99.
    ((bytes[0] - b'0') * 10 + (bytes[1] - b'0')) as i8
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn country_serde_uses_iso_codes() {
        for (c, json) in [
            (Country::LU, "\"LU\""),
            (Country::FR, "\"FR\""),
            (Country::PT, "\"PT\""),
        ] {
            assert_eq!(serde_json::to_string(&c).unwrap(), json);
            assert_eq!(serde_json::from_str::<Country>(json).unwrap(), c);
        }
        assert!(serde_json::from_str::<Country>("\"lu\"").is_err());
        assert!(serde_json::from_str::<Country>("\"BE\"").is_err());
    }

    #[test]
    fn country_from_str_is_case_insensitive_and_rejects_others() {
        assert_eq!("LU".parse::<Country>().unwrap(), Country::LU);
        assert_eq!(" fr ".parse::<Country>().unwrap(), Country::FR);
        assert_eq!("Pt".parse::<Country>().unwrap(), Country::PT);
        let err = "BE".parse::<Country>().unwrap_err();
        assert_eq!(err, UnknownCountry("BE".into()));
        assert!(err.to_string().contains("\"LU\", \"FR\", \"PT\""));
        assert!("".parse::<Country>().is_err());
        for c in Country::ALL {
            assert_eq!(c.to_string().parse::<Country>().unwrap(), c);
        }
    }

    #[test]
    fn normalise_strips_separators_and_upper_cases() {
        assert_eq!(normalise(" 1893 1201.057-32 "), "1893120105732");
        assert_eq!(normalise("2 84 05 2a 321"), "284052A321");
        assert_eq!(normalise("1\t2\n3"), "123");
    }

    #[test]
    fn dispatches_by_country() {
        // The same 13 digits are a valid LU matricule but not a FR NIR (key missing) nor a PT
        // number (wrong length).
        assert!(validate_national_id(Country::LU, "1893120105732").is_ok());
        assert_eq!(
            validate_national_id(Country::FR, "1893120105732"),
            Err(NationalIdError::MissingKey)
        );
        assert!(matches!(
            validate_national_id(Country::PT, "1893120105732"),
            Err(NationalIdError::WrongLength {
                country: Country::PT,
                ..
            })
        ));
    }

    #[test]
    fn encoded_birth_date_matching() {
        let full = EncodedBirthDate {
            year: BirthYear::Full(1983),
            month: Some(8),
            day: Some(12),
        };
        assert_eq!(full.to_date(), Some(date(1983, 8, 12)));
        assert!(full.matches(date(1983, 8, 12)));
        assert!(!full.matches(date(1983, 8, 13)));
        assert!(!full.matches(date(1984, 8, 12)));

        let unknown_day = EncodedBirthDate { day: None, ..full };
        assert_eq!(unknown_day.to_date(), None);
        assert!(unknown_day.matches(date(1983, 8, 30)));
        assert!(!unknown_day.matches(date(1983, 9, 12)));

        let two = EncodedBirthDate {
            year: BirthYear::TwoDigits(5),
            month: None,
            day: None,
        };
        assert!(two.matches(date(1905, 1, 1)));
        assert!(two.matches(date(2005, 12, 31)));
        assert!(!two.matches(date(2006, 1, 1)));
    }

    #[test]
    fn agrees_with_birth_date_is_true_without_encoded_date() {
        let pt = validate_national_id(Country::PT, "123456789").unwrap();
        assert!(pt.agrees_with_birth_date(date(1970, 1, 1)));
        let lu = validate_national_id(Country::LU, "1983081246785").unwrap();
        assert!(lu.agrees_with_birth_date(date(1983, 8, 12)));
        assert!(!lu.agrees_with_birth_date(date(1983, 8, 21)));
    }

    #[test]
    fn error_messages_never_contain_the_number() {
        let inputs = [
            (Country::LU, "1893120105733"),
            (Country::LU, "1893120105742"),
            (Country::LU, "1994789587182"),
            (Country::FR, "295109912611199"),
            (Country::FR, "2951099126111"),
            (Country::PT, "12345678"),
        ];
        for (country, raw) in inputs {
            let err = validate_national_id(country, raw).unwrap_err();
            let msg = err.to_string();
            assert!(!msg.contains(raw), "{msg}");
            assert!(msg.contains(country.national_id_name()), "{msg}");
        }
    }

    #[test]
    fn national_id_round_trips_through_json() {
        let id = validate_national_id(Country::FR, "2 84 05 2A 321 025 52").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<NationalId>(&json).unwrap(), id);
    }
}
