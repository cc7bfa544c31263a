//! Luxembourg national identification number (*numéro d'identification*, "matricule"),
//! 13 digits: `YYYYMMDD` birth date, a 3-digit sequence per birth date, a Luhn check digit and a
//! Verhoeff check digit, both computed over the first 11 digits.
//!
//! Sources:
//! - Règlement grand-ducal du 28 novembre 2013 fixant les modalités d'application de la loi du
//!   19 juin 2013 relative à l'identification des personnes physiques, art. 1er
//!   (<http://legilux.public.lu/eli/etat/leg/rgd/2013/11/28/n1/jo>): structure, check digits
//!   "de Luhn" and "de Verhoeff"; unknown month or day are written `00`; an unknown year is
//!   replaced by the year the person was registered.
//! - OECD, *Luxembourg – Information on Tax Identification Numbers* (Luxembourg-TIN.pdf): both
//!   check digits are computed on the first 11 digits; its example `1893120105732` is used in
//!   the tests below.
//! - Published examples in `reducktion/socrates` (Java, `LuxembourgNationalIdTest`):
//!   `1983081246785`, `2003042581939`, `1971110258749`, `2012051469331` valid, `1994789587182`
//!   invalid. (Its fifth "valid" example `1994092874550` fails the published rule and is not used.)
//!
//! Decisions:
//! - Day and/or month `00` (unknown, per the 2013 regulation; also the 1987 regulation for the
//!   old 11-digit matricule) are accepted; the encoded birth date then has `None` parts. Any
//!   other value must form a real Gregorian date (29 February only in leap years).
//! - The sex is **not** encoded in the 13-digit number (the 3 digits are a plain sequence since
//!   2014; the odd/even rule belonged to the old 11-digit number), so `sex` is `None`.
//! - The year is not range-checked: core does not know "now", and historical numbers go back to
//!   the 19th century.

use super::check_digits::{luhn_check_digit, verhoeff_check_digit};
use super::{BirthYear, Country, EncodedBirthDate, NationalId, NationalIdError, require_digits};

const LENGTH: usize = 13;

pub(super) fn validate(value: String) -> Result<NationalId, NationalIdError> {
    if value.chars().count() != LENGTH {
        return Err(NationalIdError::WrongLength {
            country: Country::LU,
            expected: "13 digits",
            found: value.chars().count(),
        });
    }
    require_digits(Country::LU, &value, "digits")?;
    let bytes = value.as_bytes();
    let birth = birth_date(&bytes[..8])?;
    let payload = &bytes[..11];
    if bytes[11] - b'0' != luhn_check_digit(payload) {
        return Err(NationalIdError::LuhnMismatch);
    }
    if bytes[12] - b'0' != verhoeff_check_digit(payload) {
        return Err(NationalIdError::VerhoeffMismatch);
    }
    Ok(NationalId {
        country: Country::LU,
        value,
        birth: Some(birth),
        sex: None,
        temporary: false,
    })
}

fn birth_date(yyyymmdd: &[u8]) -> Result<EncodedBirthDate, NationalIdError> {
    let bad = |reason| NationalIdError::InvalidBirthDate {
        country: Country::LU,
        reason,
    };
    let year = i16::from(super::two_digits(&yyyymmdd[0..2])) * 100
        + i16::from(super::two_digits(&yyyymmdd[2..4]));
    let month = super::two_digits(&yyyymmdd[4..6]);
    let day = super::two_digits(&yyyymmdd[6..8]);
    if month > 12 {
        return Err(bad(
            "the month (digits 5-6) must be 01 to 12, or 00 when unknown",
        ));
    }
    if day > 31 {
        return Err(bad(
            "the day (digits 7-8) must be 01 to 31, or 00 when unknown",
        ));
    }
    if month != 0 && day != 0 && jiff::civil::Date::new(year, month, day).is_err() {
        return Err(bad("that day does not exist in that month"));
    }
    Ok(EncodedBirthDate {
        year: BirthYear::Full(year),
        month: (month != 0).then_some(month),
        day: (day != 0).then_some(day),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::national_id::validate_national_id;

    fn lu(raw: &str) -> Result<NationalId, NationalIdError> {
        validate_national_id(Country::LU, raw)
    }

    fn invalid_date(err: Result<NationalId, NationalIdError>) -> bool {
        matches!(
            err,
            Err(NationalIdError::InvalidBirthDate {
                country: Country::LU,
                ..
            })
        )
    }

    #[test]
    fn accepts_published_examples() {
        // OECD Luxembourg-TIN.pdf example, then reducktion/socrates test data.
        for (raw, (y, m, d)) in [
            ("1893120105732", (1893, 12, 1)),
            ("1983081246785", (1983, 8, 12)),
            ("2003042581939", (2003, 4, 25)),
            ("1971110258749", (1971, 11, 2)),
            ("2012051469331", (2012, 5, 14)),
        ] {
            let id = lu(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(id.value, raw);
            assert_eq!(id.country, Country::LU);
            assert_eq!(id.sex, None);
            assert!(!id.temporary);
            let birth = id.birth.unwrap();
            assert_eq!(birth.to_date(), Some(jiff::civil::date(y, m, d)), "{raw}");
        }
    }

    #[test]
    fn accepts_separators_and_returns_digits_only() {
        // Formatting used in socrates' test data and on cards.
        assert_eq!(lu("198-308-124-6785").unwrap().value, "1983081246785");
        assert_eq!(lu(" 2003042581939 ").unwrap().value, "2003042581939");
        assert_eq!(lu("1893 1201 057 32").unwrap().value, "1893120105732");
        assert_eq!(lu("1893.12.01.057.32").unwrap().value, "1893120105732");
    }

    #[test]
    fn rejects_published_invalid_examples() {
        // OECD example with its last digit changed: Verhoeff digit wrong.
        assert_eq!(lu("1893120105733"), Err(NationalIdError::VerhoeffMismatch));
        // socrates: month 78.
        assert!(invalid_date(lu("1994789587182")));
        // socrates: non-numeric, too long, too short.
        assert!(matches!(
            lu("12345678901AB"),
            Err(NationalIdError::InvalidCharacter {
                position: 12,
                character: 'A',
                ..
            })
        ));
        assert!(matches!(
            lu("12345678901234"),
            Err(NationalIdError::WrongLength { found: 14, .. })
        ));
        assert!(matches!(
            lu("123456789012"),
            Err(NationalIdError::WrongLength { found: 12, .. })
        ));
    }

    #[test]
    fn luhn_and_verhoeff_errors_are_distinct() {
        // Changing the 12th digit breaks only the Luhn digit.
        assert_eq!(lu("1893120105742"), Err(NationalIdError::LuhnMismatch));
        // Changing the serial changes both; Luhn is checked first.
        assert_eq!(lu("1893120105832"), Err(NationalIdError::LuhnMismatch));
        // 13th digit 9 is the Verhoeff digit over the first 12 digits, a misreading of the rule
        // found in some libraries: the regulation and the OECD sheet use the first 11.
        assert_eq!(lu("1893120105739"), Err(NationalIdError::VerhoeffMismatch));
    }

    #[test]
    fn every_single_digit_change_is_refused() {
        let good = *b"1893120105732";
        for i in 0..good.len() {
            for d in b'0'..=b'9' {
                if d == good[i] {
                    continue;
                }
                let mut changed = good;
                changed[i] = d;
                let raw = std::str::from_utf8(&changed).unwrap();
                assert!(lu(raw).is_err(), "{raw} accepted");
            }
        }
    }

    #[test]
    fn accepts_unknown_month_and_day() {
        // Constructed with independently computed check digits (Python reference).
        let id = lu("1980000012324").unwrap();
        assert_eq!(
            id.birth,
            Some(EncodedBirthDate {
                year: BirthYear::Full(1980),
                month: None,
                day: None
            })
        );
        let id = lu("1980050004297").unwrap();
        assert_eq!(id.birth.unwrap().month, Some(5));
        assert_eq!(id.birth.unwrap().day, None);
        let id = lu("1988010000783").unwrap();
        assert_eq!(id.birth.unwrap().month, Some(1));
        assert_eq!(id.birth.unwrap().day, None);
    }

    #[test]
    fn validates_the_calendar_date() {
        // 2000 is a leap year, 1900 is not (both with correct check digits).
        assert!(lu("2000022900197").is_ok());
        assert!(invalid_date(lu("1900022900129")));
        // 30 February, 31 April, month 13 (correct check digits each).
        assert!(invalid_date(lu("1980023000125")));
        assert!(invalid_date(lu("1975043100162")));
        assert!(invalid_date(lu("1980130000151")));
        // Day 32 is refused even though the check digits are not even looked at.
        assert!(invalid_date(lu("1980013200000")));
        assert!(lu("2024010199998").is_ok());
    }

    #[test]
    fn date_is_checked_before_check_digits() {
        // Wrong date and wrong check digits: the date error is the more useful one.
        assert!(invalid_date(lu("1980133100000")));
    }

    /// Python-stdnum computed both check digits of these (see the file's header): a second
    /// implementation, and ids no one picked by hand.
    #[test]
    fn accepts_every_matricule_of_a_second_implementation() {
        let file = include_str!("testdata/lu_python_stdnum.txt");
        let ids: Vec<&str> = file.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(ids.len(), 300);
        for raw in ids {
            let id = lu(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            let birth = id.birth.unwrap();
            assert_eq!(
                birth.year,
                BirthYear::Full(raw[..4].parse().unwrap()),
                "{raw}"
            );
        }
    }

    /// A matricule for the `day`-th day after 1 January 1850 and `serial`, its check digits
    /// computed by the reference implementations.
    fn generated(day: i32, serial: u16) -> String {
        let date = jiff::civil::date(1850, 1, 1)
            .checked_add(jiff::Span::new().days(day))
            .unwrap();
        let payload = format!(
            "{:04}{:02}{:02}{serial:03}",
            date.year(),
            date.month(),
            date.day()
        );
        let luhn = reference::luhn_check_digit(payload.as_bytes());
        let verhoeff = reference::verhoeff_check_digit(payload.as_bytes());
        format!("{payload}{luhn}{verhoeff}")
    }

    use crate::national_id::check_digits::reference;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn accepts_every_generated_matricule(day in 0i32..65_000, serial in 0u16..1000) {
            let raw = generated(day, serial);
            let id = lu(&raw);
            prop_assert!(id.is_ok(), "{} refused: {:?}", raw, id);
        }

        #[test]
        fn refuses_every_single_digit_change(
            day in 0i32..65_000, serial in 0u16..1000, at in 0usize..13, delta in 1u8..10,
        ) {
            let mut raw = generated(day, serial).into_bytes();
            raw[at] = b'0' + (raw[at] - b'0' + delta) % 10;
            let raw = String::from_utf8(raw).unwrap();
            prop_assert!(lu(&raw).is_err(), "{} accepted", raw);
        }

        #[test]
        fn refuses_every_adjacent_transposition(
            day in 0i32..65_000, serial in 0u16..1000, at in 0usize..12,
        ) {
            let mut raw = generated(day, serial).into_bytes();
            prop_assume!(raw[at] != raw[at + 1]);
            raw.swap(at, at + 1);
            let raw = String::from_utf8(raw).unwrap();
            prop_assert!(lu(&raw).is_err(), "{} accepted", raw);
        }
    }
}
