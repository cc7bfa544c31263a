//! Portuguese SNS user number (*número de utente do Serviço Nacional de Saúde*, also *número
//! nacional de utente*), 9 digits, printed on the back of the *Cartão de Cidadão* and on the SNS
//! user card.
//!
//! Sources: SPMS, *Regulamento do Registo Nacional de Utentes (RNU)*, August 2017, §2.1
//! "Número Nacional de Utente"; HL7 Portugal FHIR patient-administration IG. Neither publishes a
//! check-digit algorithm, and python-stdnum (which implements the Portuguese NIF and Cartão de
//! Cidadão numbers) has no module for it.
//!
//! Decision: **format only** — exactly 9 digits after removing spaces, dots and dashes. A
//! mistyped digit cannot be detected here; the platform match at sync time is the check. Do not
//! confuse it with the NIF (tax number, 9 digits with a mod-11 check digit) or the Cartão de
//! Cidadão document number (12 characters with letters): a user entering the latter gets a length
//! error naming the SNS number. No published test numbers exist; the tests use constructed ones.

use super::{Country, NationalId, NationalIdError, require_digits};

const LENGTH: usize = 9;

pub(super) fn validate(value: String) -> Result<NationalId, NationalIdError> {
    let found = value.chars().count();
    if found != LENGTH {
        return Err(NationalIdError::WrongLength {
            country: Country::PT,
            expected: "9 digits",
            found,
        });
    }
    require_digits(Country::PT, &value, "digits")?;
    Ok(NationalId {
        country: Country::PT,
        value,
        birth: None,
        sex: None,
        temporary: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::national_id::validate_national_id;

    fn pt(raw: &str) -> Result<NationalId, NationalIdError> {
        validate_national_id(Country::PT, raw)
    }

    #[test]
    fn accepts_nine_digits_with_or_without_separators() {
        for (raw, canonical) in [
            ("123456789", "123456789"),
            ("123 456 789", "123456789"),
            ("123.456.789", "123456789"),
            ("987-654-321", "987654321"),
            ("000000001", "000000001"),
        ] {
            let id = pt(raw).unwrap();
            assert_eq!(id.value, canonical);
            assert_eq!(id.country, Country::PT);
            assert_eq!((id.birth, id.sex, id.temporary), (None, None, false));
        }
    }

    #[test]
    fn refuses_other_lengths() {
        for (raw, found) in [("12345678", 8), ("1234567890", 10), ("", 0)] {
            assert_eq!(
                pt(raw),
                Err(NationalIdError::WrongLength {
                    country: Country::PT,
                    expected: "9 digits",
                    found
                })
            );
        }
        // A Cartão de Cidadão document number (socrates PortugalTest example) is not an SNS number.
        assert!(matches!(
            pt("11084129 8 ZX8"),
            Err(NationalIdError::WrongLength { found: 12, .. })
        ));
    }

    #[test]
    fn refuses_letters() {
        assert!(matches!(
            pt("12345678A"),
            Err(NationalIdError::InvalidCharacter {
                country: Country::PT,
                position: 9,
                character: 'A',
                ..
            })
        ));
        assert!(matches!(
            pt("12345+789"),
            Err(NationalIdError::InvalidCharacter { position: 6, .. })
        ));
    }
}
