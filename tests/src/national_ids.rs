//! Valid national identifiers for test registrations, found by completing a prefix with the
//! check digits the core validator accepts (so tests never hard-code the rule they check).

use teleconsult_core::national_id::{Country, validate_national_id};

/// A valid Luxembourg matricule for someone born on `birth` (`YYYYMMDD`) with serial `serial`
/// (0–999): the 11-digit prefix completed by its Luhn and Verhoeff digits.
pub fn luxembourg(birth: &str, serial: u16) -> String {
    let prefix = format!("{birth}{:03}", serial % 1000);
    (0..100)
        .map(|check| format!("{prefix}{check:02}"))
        .find(|candidate| validate_national_id(Country::LU, candidate).is_ok())
        .unwrap_or_else(|| panic!("no check digits complete {prefix}: is the birth date real?"))
}

/// The birth date (`YYYY-MM-DD`) that goes with [`luxembourg`]'s `birth` (`YYYYMMDD`).
pub fn iso_date(birth: &str) -> String {
    format!("{}-{}-{}", &birth[0..4], &birth[4..6], &birth[6..8])
}
