//! Small validators for what people type into the API: e-mail, phone, names, passwords.
//!
//! Why here: the same rules apply to self-registration (web), `teleconsultctl user add` and
//! seeding, and each failure must tell the user what to fix — so every validator returns a typed
//! error whose message is written for the person at the keyboard. They are deliberately
//! pragmatic (no full RFC 5322 parser): the e-mail is proven by the activation link, the phone by
//! the SMS code.

/// Longest e-mail address (RFC 5321 path limit, minus the angle brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest person name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// E.164: at most 15 digits after `+`; we require at least 8 (shorter is never a mobile number).
pub const MIN_PHONE_DIGITS: usize = 8;
pub const MAX_PHONE_DIGITS: usize = 15;
/// Password length rules (characters, not bytes).
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const LONG_PASSWORD_CHARS: usize = 16;
/// Upper bound so that hashing cannot be used to exhaust the CPU.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Character classes a password shorter than [`LONG_PASSWORD_CHARS`] must mix.
pub const REQUIRED_PASSWORD_CLASSES: usize = 3;
/// Login local parts shorter than this are not searched for in passwords (too many false hits).
const MIN_LOGIN_PART_IN_PASSWORD: usize = 3;

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an e-mail address")]
    Empty,
    #[error("the e-mail address is too long: at most {MAX_EMAIL_CHARS} characters")]
    TooLong,
    #[error("the e-mail address must not contain spaces")]
    ContainsWhitespace,
    #[error("the e-mail address needs an @, as in name@example.lu")]
    MissingAt,
    #[error("the e-mail address must contain a single @")]
    MultipleAt,
    #[error("the e-mail address needs a name before the @")]
    EmptyLocalPart,
    #[error("the part after the @ must be a domain such as example.lu")]
    InvalidDomain,
}

/// Checks an e-mail address and returns it trimmed and lower-cased.
///
/// Decision: the whole address is lower-cased because it is the login: `Marie@Example.lu` and
/// `marie@example.lu` must be the same account (no mainstream provider treats the local part as
/// case-sensitive).
pub fn validate_email(raw: &str) -> Result<String, EmailError> {
    let email = raw.trim();
    if email.is_empty() {
        return Err(EmailError::Empty);
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(EmailError::TooLong);
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EmailError::ContainsWhitespace);
    }
    let mut parts = email.split('@');
    let (Some(local), Some(domain)) = (parts.next(), parts.next()) else {
        return Err(EmailError::MissingAt);
    };
    if parts.next().is_some() {
        return Err(EmailError::MultipleAt);
    }
    if local.is_empty() {
        return Err(EmailError::EmptyLocalPart);
    }
    let labels_ok = domain.split('.').all(|label| !label.is_empty());
    if !domain.contains('.') || !labels_ok {
        return Err(EmailError::InvalidDomain);
    }
    Ok(email.to_lowercase())
}

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("enter a phone number")]
    Empty,
    #[error("start the phone number with + and the country code, e.g. +352 621 123 456")]
    MissingPlus,
    #[error(
        "the phone number may contain only digits and spaces after the +; {0:?} is not allowed"
    )]
    InvalidCharacter(char),
    #[error(
        "the phone number is too short: {digits} digits after the +, at least {MIN_PHONE_DIGITS}"
    )]
    TooShort { digits: usize },
    #[error(
        "the phone number is too long: {digits} digits after the +, at most {MAX_PHONE_DIGITS}"
    )]
    TooLong { digits: usize },
    #[error("country codes never start with 0: write +352…, not +0352… or 00352…")]
    LeadingZero,
}

/// Checks an international (E.164) phone number typed with optional spaces and returns it
/// without them, e.g. `+352 621 123 456` → `+352621123456`.
///
/// Only spaces are accepted as separators: brackets invite the `+352 (0)…` trunk-prefix mistake.
pub fn normalise_phone(raw: &str) -> Result<String, PhoneError> {
    let compact: String = raw.chars().filter(|c| *c != ' ').collect();
    if compact.is_empty() {
        return Err(PhoneError::Empty);
    }
    let Some(digits) = compact.strip_prefix('+') else {
        return Err(PhoneError::MissingPlus);
    };
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
        return Err(PhoneError::InvalidCharacter(c));
    }
    let count = digits.len();
    if count < MIN_PHONE_DIGITS {
        return Err(PhoneError::TooShort { digits: count });
    }
    if count > MAX_PHONE_DIGITS {
        return Err(PhoneError::TooLong { digits: count });
    }
    if digits.starts_with('0') {
        return Err(PhoneError::LeadingZero);
    }
    Ok(compact)
}

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("enter a name")]
    Empty,
    #[error("the name is too long: at most {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("the name contains an invisible control character; please retype it")]
    ControlCharacter,
}

/// Checks a first or last name and returns it trimmed. Any script, accents, apostrophes,
/// hyphens and inner spaces are fine (`Zoë`, `N'Diaye`, `da Silva Gonçalves`).
pub fn validate_person_name(raw: &str) -> Result<String, NameError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    Ok(name.to_owned())
}

/// The password rule that failed (checked in this order).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password is too long: at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("the password must not contain your login")]
    ContainsLogin,
    #[error(
        "mix at least {REQUIRED_PASSWORD_CLASSES} of: lower-case letters, upper-case letters, digits, symbols (found {found}) — or use {LONG_PASSWORD_CHARS} characters or more"
    )]
    TooFewClasses { found: usize },
}

/// Checks a new password for the account whose login is `login` (an e-mail address, or any
/// login for staff accounts).
///
/// Rules: at least 10 characters; never containing the login's local part (the part before `@`,
/// compared case-insensitively, when it has at least 3 characters); and either 16 characters or
/// more, or at least 3 of the 4 classes lower case, upper case, digit, other.
pub fn check_password(password: &str, login: &str) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    let local = login
        .trim()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_lowercase();
    if local.chars().count() >= MIN_LOGIN_PART_IN_PASSWORD
        && password.to_lowercase().contains(&local)
    {
        return Err(PasswordError::ContainsLogin);
    }
    if length >= LONG_PASSWORD_CHARS {
        return Ok(());
    }
    let classes = [
        password.chars().any(char::is_lowercase),
        password.chars().any(char::is_uppercase),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ];
    let found = classes.into_iter().filter(|&present| present).count();
    if found < REQUIRED_PASSWORD_CLASSES {
        return Err(PasswordError::TooFewClasses { found });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_accepted_and_normalised() {
        assert_eq!(
            validate_email("marie@example.lu").unwrap(),
            "marie@example.lu"
        );
        assert_eq!(
            validate_email("  Marie.Dupont+rdv@Example.LU ").unwrap(),
            "marie.dupont+rdv@example.lu"
        );
        assert_eq!(validate_email("a@b.co").unwrap(), "a@b.co");
        assert_eq!(
            validate_email("joão@correio.pt").unwrap(),
            "joão@correio.pt"
        );
        let longest = format!("{}@example.lu", "a".repeat(MAX_EMAIL_CHARS - 11));
        assert_eq!(longest.len(), MAX_EMAIL_CHARS);
        assert!(validate_email(&longest).is_ok());
    }

    #[test]
    fn emails_refused_with_the_rule_that_failed() {
        let too_long = format!("{}@example.lu", "a".repeat(MAX_EMAIL_CHARS - 10));
        for (raw, err) in [
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            (too_long.as_str(), EmailError::TooLong),
            ("marie dupont@example.lu", EmailError::ContainsWhitespace),
            ("marie@exa\u{7}mple.lu", EmailError::ContainsWhitespace),
            ("marie.example.lu", EmailError::MissingAt),
            ("marie@x@example.lu", EmailError::MultipleAt),
            ("@example.lu", EmailError::EmptyLocalPart),
            ("marie@localhost", EmailError::InvalidDomain),
            ("marie@", EmailError::InvalidDomain),
            ("marie@.lu", EmailError::InvalidDomain),
            ("marie@example.", EmailError::InvalidDomain),
            ("marie@example..lu", EmailError::InvalidDomain),
        ] {
            assert_eq!(validate_email(raw), Err(err), "{raw:?}");
        }
        assert!(
            EmailError::MissingAt
                .to_string()
                .contains("name@example.lu")
        );
    }

    #[test]
    fn phones_normalised() {
        assert_eq!(
            normalise_phone("+352 621 123 456").unwrap(),
            "+352621123456"
        );
        assert_eq!(normalise_phone("+33612345678").unwrap(), "+33612345678");
        assert_eq!(
            normalise_phone(" +351 912 345 678 ").unwrap(),
            "+351912345678"
        );
        // Boundaries: 8 and 15 digits.
        assert_eq!(normalise_phone("+35226123").unwrap(), "+35226123");
        assert_eq!(
            normalise_phone("+123456789012345").unwrap(),
            "+123456789012345"
        );
    }

    #[test]
    fn phones_refused_with_the_rule_that_failed() {
        for (raw, err) in [
            ("", PhoneError::Empty),
            ("  ", PhoneError::Empty),
            ("00352621123456", PhoneError::MissingPlus),
            ("621 123 456", PhoneError::MissingPlus),
            ("+352 (0)621 123", PhoneError::InvalidCharacter('(')),
            ("+352-621-123-456", PhoneError::InvalidCharacter('-')),
            ("++352621123456", PhoneError::InvalidCharacter('+')),
            ("+3522612", PhoneError::TooShort { digits: 7 }),
            ("+1234567890123456", PhoneError::TooLong { digits: 16 }),
            ("+0352621123456", PhoneError::LeadingZero),
        ] {
            assert_eq!(normalise_phone(raw), Err(err), "{raw:?}");
        }
    }

    #[test]
    fn names() {
        for ok in ["Zoë", "N'Diaye", "da Silva Gonçalves", "Jean-Luc", "李"] {
            assert_eq!(validate_person_name(ok).unwrap(), ok);
        }
        assert_eq!(validate_person_name("  Anne ").unwrap(), "Anne");
        assert_eq!(validate_person_name(""), Err(NameError::Empty));
        assert_eq!(validate_person_name(" \t "), Err(NameError::Empty));
        assert!(validate_person_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert_eq!(
            validate_person_name(&"é".repeat(MAX_NAME_CHARS + 1)),
            Err(NameError::TooLong)
        );
        assert_eq!(
            validate_person_name("Ann\u{0}e"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(
            validate_person_name("Ann\ne"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(
            validate_person_name("Ann\u{1b}e"),
            Err(NameError::ControlCharacter)
        );
    }

    const LOGIN: &str = "marie.dupont@example.lu";

    #[test]
    fn passwords_accepted() {
        // 10 characters, three classes.
        assert_eq!(check_password("Soleil2026", LOGIN), Ok(()));
        assert_eq!(check_password("soleil-2026", LOGIN), Ok(()));
        assert_eq!(check_password("SOLEIL!été", LOGIN), Ok(()));
        // 16 characters of a single class.
        assert_eq!(check_password("correcthorsebatt", LOGIN), Ok(()));
        // A short login part is not searched for.
        assert_eq!(check_password("Blabla2026", "ab@example.lu"), Ok(()));
    }

    #[test]
    fn passwords_refused_with_the_rule_that_failed() {
        assert_eq!(
            check_password("Sol2026!", LOGIN),
            Err(PasswordError::TooShort)
        );
        // Nine multi-byte characters are still nine.
        assert_eq!(
            check_password("ééééééééé", LOGIN),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_password(&"a".repeat(MAX_PASSWORD_CHARS + 1), LOGIN),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_password("soleilsoleil", LOGIN),
            Err(PasswordError::TooFewClasses { found: 1 })
        );
        assert_eq!(
            check_password("soleil2026", LOGIN),
            Err(PasswordError::TooFewClasses { found: 2 })
        );
        assert_eq!(
            check_password("correcthorsebat", LOGIN),
            Err(PasswordError::TooFewClasses { found: 1 })
        );
        // Contains the login's local part, any case, even when long.
        assert_eq!(
            check_password("X1!Marie.Dupont", LOGIN),
            Err(PasswordError::ContainsLogin)
        );
        assert_eq!(
            check_password("my name is marie.dupont ok", LOGIN),
            Err(PasswordError::ContainsLogin)
        );
        // Staff logins without @ count entirely.
        assert_eq!(
            check_password("admin-Booth-2026", "booth"),
            Err(PasswordError::ContainsLogin)
        );
        assert!(
            PasswordError::TooFewClasses { found: 2 }
                .to_string()
                .contains("16")
        );
    }
}
