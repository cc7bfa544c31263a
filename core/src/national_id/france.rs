//! French NIR (*numéro d'inscription au répertoire*, "numéro de sécurité sociale"): 13 characters
//! (sex, 2-digit birth year, birth month, 5-character birth place, 3-digit order number) followed
//! by a 2-digit key `97 - (number mod 97)`, where the Corsican departments `2A`/`2B` count as
//! `19`/`18` for the computation.
//!
//! Sources:
//! - INSEE, *NIR et NIRAvecCle* (<http://xml.insee.fr/schema/nir.html>), quoting décret
//!   n° 82-103 art. 4 for the structure.
//! - python-stdnum `stdnum/fr/nir.py` (key computation, Corsica substitution; doctest examples
//!   `295109912611193`, `253072B07300470`, `253072A07300443` valid, `295109912611199` bad key,
//!   `253072C07300443` bad format).
//! - Caisse nationale de l'Assurance Maladie, `assurance-maladie-digital/nir-validation`
//!   (`NirValidator`, `NirKey`, `NnpValidator` and their specs): examples `255081416802538`,
//!   `2 84 05 88 321 025 32`, `2 84 05 2A 321 025 52`, `2 84 05 2B 321 025 79`; `7`/`8` as the first
//!   digit denotes a provisional number (*numéro national provisoire*) whose other digits are a
//!   fund number and a sequence, not a birth date.
//! - Wikipedia FR "Numéro de sécurité sociale en France" (as summarised in
//!   `gip-inclusion/les-emplois` `NIR.FORMAT_RE`): sex 3/4 for foreigners being registered,
//!   7/8 for temporary numbers; months 20-42 and 50-99 are fictitious months used when the civil
//!   status document does not give the month.
//! - Test data of `reducktion/socrates` (`FranceTest.php`), e.g. `2115028242370 20` (month 50).
//!
//! Decisions:
//! - The key is **required** (15 characters): the patient reads it from the *carte Vitale*, and
//!   without it a typo cannot be detected. 13 characters get [`NationalIdError::MissingKey`].
//! - Sex digits 1 and 2 are accepted as definitive NIRs; 3, 4 (foreigners being registered) and
//!   7, 8 (provisional numbers) are accepted and flagged `temporary`. Odd means male, even female.
//!   For 7/8 no birth data is decoded and `2A`/`2B` are refused (that scheme is all digits).
//! - Month 01-12 is decoded; 20-42 and 50-99 are accepted as "month unknown"; 00, 13-19 and
//!   43-49 are refused. The day is not encoded; the century is not encoded either.
//! - The birth place and order number are not checked beyond their character class: the
//!   geographic code list changes over time and the key already catches typos.

use super::check_digits::nir_key;
use super::{BirthYear, Country, EncodedBirthDate, NationalId, NationalIdError, Sex};

const LENGTH: usize = 15;

pub(super) fn validate(value: String) -> Result<NationalId, NationalIdError> {
    let length = value.chars().count();
    if length == LENGTH - 2 {
        return Err(NationalIdError::MissingKey);
    }
    if length != LENGTH {
        return Err(NationalIdError::WrongLength {
            country: Country::FR,
            expected: "15 characters (13 plus the 2-digit key)",
            found: length,
        });
    }
    check_characters(&value)?;
    let bytes = value.as_bytes();
    let (sex, temporary, decodes_birth) = match bytes[0] {
        b'1' => (Sex::Male, false, true),
        b'2' => (Sex::Female, false, true),
        b'3' => (Sex::Male, true, true),
        b'4' => (Sex::Female, true, true),
        b'7' => (Sex::Male, true, false),
        b'8' => (Sex::Female, true, false),
        other => {
            return Err(NationalIdError::InvalidSexDigit {
                digit: char::from(other),
            });
        }
    };
    if !decodes_birth {
        // Provisional numbers have no department code, so no Corsican letters either.
        if let Some(i) = (5..7).find(|&i| !bytes[i].is_ascii_digit()) {
            return Err(NationalIdError::InvalidCharacter {
                country: Country::FR,
                allowed: "digits (a provisional number starting with 7 or 8 has no department code)",
                position: i + 1,
                character: char::from(bytes[i]),
            });
        }
    }
    let birth = if decodes_birth {
        Some(birth_date(&bytes[1..5])?)
    } else {
        None
    };
    if i16::from(super::two_digits(&bytes[13..15])) != i16::from(nir_key(number13(bytes))) {
        return Err(NationalIdError::KeyMismatch);
    }
    Ok(NationalId {
        country: Country::FR,
        value,
        birth,
        sex: Some(sex),
        temporary,
    })
}

/// Positions 1-5 and 8-15 are digits; 6-7 are digits or the Corsican `2A`/`2B`.
fn check_characters(value: &str) -> Result<(), NationalIdError> {
    let bytes = value.as_bytes();
    let corsica = bytes[5] == b'2' && (bytes[6] == b'A' || bytes[6] == b'B');
    for (i, c) in value.chars().enumerate() {
        let ok = c.is_ascii_digit() || (corsica && i == 6);
        if !ok {
            return Err(NationalIdError::InvalidCharacter {
                country: Country::FR,
                allowed: "digits, and 2A or 2B as the department code (characters 6-7)",
                position: i + 1,
                character: c,
            });
        }
    }
    Ok(())
}

/// `YYMM` → encoded birth date; months 20-42 and 50-99 mean "unknown".
fn birth_date(yymm: &[u8]) -> Result<EncodedBirthDate, NationalIdError> {
    let year = super::two_digits(&yymm[0..2]);
    let month = match super::two_digits(&yymm[2..4]) {
        m @ 1..=12 => Some(m),
        20..=42 | 50..=99 => None,
        _ => {
            return Err(NationalIdError::InvalidBirthDate {
                country: Country::FR,
                reason: "the month (characters 4-5) must be 01 to 12, or 20-42 or 50-99 when unknown",
            });
        }
    };
    Ok(EncodedBirthDate {
        year: BirthYear::TwoDigits(year),
        month,
        day: None,
    })
}

/// The first 13 characters as a number, with `2A` → 19 and `2B` → 18.
fn number13(bytes: &[u8]) -> u64 {
    let mut digits = [0u8; 13];
    digits.copy_from_slice(&bytes[..13]);
    match &digits[5..7] {
        b"2A" => digits[5..7].copy_from_slice(b"19"),
        b"2B" => digits[5..7].copy_from_slice(b"18"),
        _ => {}
    }
    digits
        .iter()
        .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::national_id::validate_national_id;

    fn fr(raw: &str) -> Result<NationalId, NationalIdError> {
        validate_national_id(Country::FR, raw)
    }

    #[test]
    fn accepts_published_examples() {
        for raw in [
            // python-stdnum fr.nir doctests.
            "2 95 10 99 126 111 93",
            "253072B07300470",
            "253072A07300443",
            // CNAM nir-validation specs.
            "255081416802538",
            "2 84 05 88 321 025 32",
            "2 84 05 2A 321 025 52",
            "2 84 05 2a 321 025 52",
            "2 84 05 2B 321 025 79",
            // reducktion/socrates FranceTest.
            "2820819398814 09",
            "1350455179061 16",
            "199072A228070 10",
            "257092B844458 87",
            "2115028242370 20",
        ] {
            let id = fr(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(id.value.len(), 15, "{raw}");
            assert!(!id.temporary);
        }
    }

    #[test]
    fn normalises_to_upper_case_without_separators() {
        assert_eq!(
            fr("2 84 05 2a 321 025 52").unwrap().value,
            "284052A32102552"
        );
        assert_eq!(
            fr("2.95.10.99.126.111-93").unwrap().value,
            "295109912611193"
        );
    }

    #[test]
    fn decodes_sex_year_and_month() {
        let id = fr("1350455179061 16").unwrap();
        assert_eq!(id.sex, Some(Sex::Male));
        assert_eq!(
            id.birth,
            Some(EncodedBirthDate {
                year: BirthYear::TwoDigits(35),
                month: Some(4),
                day: None
            })
        );
        let id = fr("2820819398814 09").unwrap();
        assert_eq!(id.sex, Some(Sex::Female));
        assert_eq!(id.birth.unwrap().month, Some(8));
        assert!(id.agrees_with_birth_date(jiff::civil::date(1982, 8, 30)));
        assert!(!id.agrees_with_birth_date(jiff::civil::date(1982, 9, 1)));
    }

    #[test]
    fn fictitious_months_mean_unknown_month() {
        // socrates "Odelette": month 50. Constructed (keys computed independently): 30, 42, 99.
        assert_eq!(fr("2115028242370 20").unwrap().birth.unwrap().month, None);
        assert_eq!(fr("299309912345659").unwrap().birth.unwrap().month, None);
        assert_eq!(fr("185429912345617").unwrap().birth.unwrap().month, None);
        assert_eq!(fr("299999912345696").unwrap().birth.unwrap().month, None);
        assert_eq!(
            fr("299129999999911").unwrap().birth.unwrap().month,
            Some(12)
        );
    }

    #[test]
    fn refuses_impossible_months_even_with_a_correct_key() {
        // Months 13, 19, 43, 45 and 00.
        for raw in [
            "185137512345607",
            "185197512345606",
            "185439912345633",
            "185457512345634",
            "185007512345690",
        ] {
            assert!(
                matches!(
                    fr(raw),
                    Err(NationalIdError::InvalidBirthDate {
                        country: Country::FR,
                        ..
                    })
                ),
                "{raw}"
            );
        }
        // socrates invalid examples: month 16 is impossible; month 27 is a fictitious month,
        // so that one fails on its key instead.
        assert!(matches!(
            fr("1031629895669 72"),
            Err(NationalIdError::InvalidBirthDate { .. })
        ));
        assert_eq!(fr("2312763214568 54"), Err(NationalIdError::KeyMismatch));
    }

    #[test]
    fn refuses_wrong_keys() {
        // python-stdnum, CNAM.
        assert_eq!(fr("295109912611199"), Err(NationalIdError::KeyMismatch));
        assert_eq!(
            fr("2 55 08 14 168 025 00"),
            Err(NationalIdError::KeyMismatch)
        );
        // Corsica: the 2A key is not valid for 2B and vice versa.
        assert_eq!(
            fr("2 84 05 2B 321 025 52"),
            Err(NationalIdError::KeyMismatch)
        );
        assert_eq!(fr("253072A07300470"), Err(NationalIdError::KeyMismatch));
    }

    #[test]
    fn every_single_digit_change_is_refused() {
        let good = *b"295109912611193";
        for i in 0..good.len() {
            for d in b'0'..=b'9' {
                if d == good[i] {
                    continue;
                }
                let mut changed = good;
                changed[i] = d;
                let raw = std::str::from_utf8(&changed).unwrap();
                assert!(fr(raw).is_err(), "{raw} accepted");
            }
        }
    }

    #[test]
    fn requires_the_key() {
        // CNAM accepts 13 characters; we require the key (see module docs).
        assert_eq!(fr("2840588321025"), Err(NationalIdError::MissingKey));
        assert_eq!(fr("2 84 05 88 321 025"), Err(NationalIdError::MissingKey));
    }

    #[test]
    fn refuses_wrong_lengths_and_characters() {
        // python-stdnum: 16 digits.
        assert!(matches!(
            fr("6546546546546703"),
            Err(NationalIdError::WrongLength { found: 16, .. })
        ));
        // CNAM: 12 characters.
        assert!(matches!(
            fr("2 84 05 88 321 30"),
            Err(NationalIdError::WrongLength { found: 12, .. })
        ));
        // python-stdnum: 2C is not a department.
        assert!(matches!(
            fr("253072C07300443"),
            Err(NationalIdError::InvalidCharacter {
                position: 7,
                character: 'C',
                ..
            })
        ));
        // A letter outside the department code.
        assert!(matches!(
            fr("2950A9912611193"),
            Err(NationalIdError::InvalidCharacter { position: 5, .. })
        ));
        // "2A" must be exactly at characters 6-7.
        assert!(matches!(
            fr("28405A232102552"),
            Err(NationalIdError::InvalidCharacter { position: 6, .. })
        ));
        assert!(matches!(
            fr(""),
            Err(NationalIdError::WrongLength { found: 0, .. })
        ));
    }

    #[test]
    fn sex_digit_rules() {
        // Keys are correct in each case (computed independently); only the sex digit decides.
        assert!(matches!(
            fr("585127512345682"),
            Err(NationalIdError::InvalidSexDigit { digit: '5' })
        ));
        assert!(matches!(
            fr("085127512345641"),
            Err(NationalIdError::InvalidSexDigit { digit: '0' })
        ));
        // 3: foreigner being registered; birth data decoded.
        let id = fr("392059912300119").unwrap();
        assert!(id.temporary);
        assert_eq!(id.sex, Some(Sex::Male));
        assert_eq!(id.birth.unwrap().month, Some(5));
        // 8: provisional number (CNAM spec example with a correct key): no birth data.
        let id = fr("8 84 05 88 321 025 23").unwrap();
        assert!(id.temporary);
        assert_eq!(id.sex, Some(Sex::Female));
        assert_eq!(id.birth, None);
        let id = fr("712345678901220").unwrap();
        assert_eq!(id.sex, Some(Sex::Male));
        assert_eq!(id.birth, None);
        // A provisional number has no department, so no 2A.
        assert!(matches!(
            fr("7 84 05 2A 321 025 52"),
            Err(NationalIdError::InvalidCharacter { position: 7, .. })
        ));
    }

    /// Python-stdnum computed the keys of these (see the file's header).
    #[test]
    fn accepts_every_nir_of_a_second_implementation() {
        let file = include_str!("testdata/fr_python_stdnum.txt");
        let ids: Vec<&str> = file.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(ids.len(), 300);
        for raw in ids {
            let id = fr(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(id.temporary, !matches!(&raw[..1], "1" | "2"), "{raw}");
        }
    }

    use crate::national_id::check_digits::reference;
    use proptest::prelude::*;

    /// 13 characters a definitive or temporary NIR may start with: sex, year, a real or
    /// fictitious month, a department (Corsica included), commune and order number.
    fn body() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!['1', '2', '3', '4']),
            0u8..100,
            prop_oneof![1u8..=12, 20u8..=42, 50u8..=99],
            prop_oneof![
                (1u8..100).prop_map(|d| format!("{d:02}")),
                Just("2A".to_owned()),
                Just("2B".to_owned())
            ],
            0u16..1000,
            1u16..1000,
        )
            .prop_map(|(sex, year, month, dept, commune, order)| {
                format!("{sex}{year:02}{month:02}{dept}{commune:03}{order:03}")
            })
    }

    fn with_key(body: &str) -> String {
        format!("{body}{:02}", reference::nir_key(body))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn accepts_every_generated_nir(body in body()) {
            let raw = with_key(&body);
            prop_assert!(fr(&raw).is_ok(), "{} refused: {:?}", raw, fr(&raw));
        }

        #[test]
        fn refuses_every_single_digit_change(body in body(), at in 0usize..15, delta in 1u8..10) {
            let mut raw = with_key(&body).into_bytes();
            prop_assume!(raw[at].is_ascii_digit());
            raw[at] = b'0' + (raw[at] - b'0' + delta) % 10;
            let raw = String::from_utf8(raw).unwrap();
            prop_assert!(fr(&raw).is_err(), "{} accepted", raw);
        }

        #[test]
        fn refuses_every_adjacent_transposition(body in body(), at in 0usize..14) {
            let mut raw = with_key(&body).into_bytes();
            prop_assume!(raw[at] != raw[at + 1]);
            raw.swap(at, at + 1);
            let raw = String::from_utf8(raw).unwrap();
            prop_assert!(fr(&raw).is_err(), "{} accepted", raw);
        }

        /// The other Corsican letter is always refused (2A and 2B count as 19 and 18).
        #[test]
        fn refuses_the_other_corsican_department(body in body(), first in any::<bool>()) {
            let (department, other) = if first { ("2A", "2B") } else { ("2B", "2A") };
            let body = format!("{}{department}{}", &body[..5], &body[7..]);
            let swapped = format!("{}{other}{}", &body[..5], &with_key(&body)[7..]);
            prop_assert!(fr(&with_key(&body)).is_ok());
            prop_assert_eq!(fr(&swapped), Err(NationalIdError::KeyMismatch));
        }
    }
}
