//! A patient registering themself (DESIGN §4, docs/security.md "Registration"). Every field is
//! checked and all problems are answered at once. The answer never tells whether the national
//! id or the e-mail is registered: a valid form always gets a fresh id, after the same work
//! (password hashing, one transaction); what happened goes to the mailboxes concerned (the
//! port's `Registered`). The account starts pending activation until its e-mailed link is used
//! (`App::activate`); unactivated, it expires with the link and frees its national id and
//! e-mail.

use crate::error::AppError;
use crate::login::{Passwords, new_secret};
use crate::{App, Contact, event, new_id};
use std::collections::BTreeMap;
use std::str::FromStr;
use teleconsult_core::account::{Account, AccountStatus, OneTimeToken, Role, TokenPurpose};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::consent::{Consent, ConsentKind};
use teleconsult_core::ids::{AccountId, PatientId};
use teleconsult_core::national_id::validate_national_id;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::registration::{NewRegistration, RegistrationRefusal};
use teleconsult_core::site::Language;
use teleconsult_core::validation::{
    check_password, normalise_phone, validate_email, validate_person_name,
};

/// A registration form as typed (the doors parse theirs into this).
#[derive(Clone, Default)]
pub struct RegistrationForm {
    pub national_id: String,
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub phone: String,
    pub email: String,
    /// A language code of the site (`fr`, `de`, `en`, `pt`, `lb`).
    pub language: String,
    pub password: String,
    pub consent_data_processing: bool,
    pub consent_teleconsultation: bool,
}

impl std::fmt::Debug for RegistrationForm {
    // Requests may be logged: never the person's data or password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationForm").finish_non_exhaustive()
    }
}

/// Which message of a registration (the texts are the door's, see [`crate::Texts`]).
#[derive(Clone, Copy, Debug)]
pub enum RegistrationMessage<'a> {
    /// The activation link with `token`, to the address given.
    Activation { token: &'a str },
    /// To the owner of a registered address: someone tried; how to reset the password.
    EmailTaken,
    /// To the address given when the national id is registered: contact the site.
    NotCompleted,
    /// To the patient holding the national id: someone tried to register with it.
    NationalIdTried,
}

struct Valid {
    national_id: String,
    first_name: String,
    last_name: String,
    birth_date: jiff::civil::Date,
    phone: String,
    email: String,
    language: Language,
}

impl App {
    /// Checks every field of a registration; all problems at once (422, keyed by field).
    pub fn check_registration(&self, form: &RegistrationForm) -> Result<(), AppError> {
        self.validate_registration(form).map(drop)
    }

    fn validate_registration(&self, form: &RegistrationForm) -> Result<Valid, AppError> {
        let mut errors = BTreeMap::new();
        let mut field = |name: &str, message: String| {
            errors.insert(name.to_owned(), message);
        };
        let national_id = validate_national_id(self.settings.country, &form.national_id)
            .map_err(|e| field("national_id", e.to_string()))
            .ok();
        let first_name = validate_person_name(&form.first_name)
            .map_err(|e| field("first_name", e.to_string()))
            .ok();
        let last_name = validate_person_name(&form.last_name)
            .map_err(|e| field("last_name", e.to_string()))
            .ok();
        let birth_date = match jiff::civil::Date::from_str(form.birth_date.trim()) {
            Err(_) => {
                field("birth_date", "expected a date as YYYY-MM-DD".into());
                None
            }
            Ok(date) => {
                let today = self.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
                if date > today || date.year() < 1900 {
                    field("birth_date", "must be a past date after 1900".into());
                    None
                } else if national_id
                    .as_ref()
                    .is_some_and(|id| !id.agrees_with_birth_date(date))
                {
                    field(
                        "birth_date",
                        "does not match the birth date encoded in the national id".into(),
                    );
                    None
                } else {
                    Some(date)
                }
            }
        };
        let phone = normalise_phone(&form.phone)
            .map_err(|e| field("phone", e.to_string()))
            .ok();
        let email = validate_email(&form.email)
            .map_err(|e| field("email", e.to_string()))
            .ok();
        let language = Language::from_str(form.language.trim())
            .map_err(|e| field("language", e.to_string()))
            .ok();
        if let Err(e) = check_password(&form.password, &form.email) {
            field("password", e.to_string());
        }
        if !form.consent_data_processing {
            field(
                "consents.data_processing",
                "consent to data processing is required to register".into(),
            );
        }
        if !form.consent_teleconsultation {
            field(
                "consents.teleconsultation",
                "consent to teleconsultation is required to register".into(),
            );
        }
        match (
            national_id,
            first_name,
            last_name,
            birth_date,
            phone,
            email,
            language,
        ) {
            (
                Some(id),
                Some(first_name),
                Some(last_name),
                Some(birth_date),
                Some(phone),
                Some(email),
                Some(language),
            ) if errors.is_empty() => Ok(Valid {
                national_id: id.value,
                first_name,
                last_name,
                birth_date,
                phone,
                email,
                language,
            }),
            _ => Err(AppError::Invalid(errors)),
        }
    }

    /// Registers a patient from `form` (see the module): the new patient's id, the same
    /// answer whether anything was created or the owners of what is registered were told.
    /// `client`: the requesting address, for the audit trail.
    pub fn register_patient(
        &self,
        form: &RegistrationForm,
        client: Option<String>,
        mut passwords: impl Passwords,
    ) -> Result<PatientId, AppError> {
        let valid = self.validate_registration(form)?;
        let now = self.now();
        let password_hash = passwords.hash(&form.password)?;
        drop(passwords);
        let patient_id = PatientId::from_uuid(new_id());
        let account_id = AccountId::from_uuid(new_id());
        let consents = [ConsentKind::DataProcessing, ConsentKind::Teleconsultation]
            .into_iter()
            .map(|kind| Consent {
                kind,
                text_version: self.settings.consent_text_version.clone(),
                given_at: now,
                withdrawn_at: None,
                collected_by: None,
            })
            .collect();
        let name = format!("{} {}", valid.first_name, valid.last_name);
        let patient = Patient {
            id: patient_id,
            national_id: valid.national_id,
            country: self.settings.country,
            first_name: valid.first_name,
            last_name: valid.last_name,
            birth_date: valid.birth_date,
            phone: valid.phone.clone(),
            email: valid.email.clone(),
            language: valid.language.code().to_owned(),
            created_at: now,
            consents,
        };
        let account = Account {
            id: account_id,
            login: valid.email.clone(),
            role: Role::Patient,
            name,
            email: valid.email,
            phone: valid.phone,
            language: valid.language,
            password_hash,
            status: AccountStatus::PendingActivation,
            patient: Some(patient_id),
            practitioner: None,
            failed_attempts: 0,
            locked_until: None,
            created_at: now,
            sessions_not_before: None,
            relatives: Vec::new(),
            totp: None,
        };
        let to = Contact::from(&account);
        let token = new_secret();
        let message = |m| self.texts.registration(&to, m, now);
        let activation_email = message(RegistrationMessage::Activation { token: &token });
        let (email_taken, not_completed) = (
            message(RegistrationMessage::EmailTaken),
            message(RegistrationMessage::NotCompleted),
        );
        let national_id_owner = |owner: &Patient| {
            let contact = Contact::of_patient(owner, valid.language);
            self.texts
                .registration(&contact, RegistrationMessage::NationalIdTried, now)
        };
        let record = OneTimeToken::new(
            TokenPurpose::Activation,
            account_id,
            now,
            &self.settings.login,
        );
        let anonymous = Actor::Anonymous(client);
        let created = event(now, &anonymous, Action::Create, "patient", patient_id);
        let refused = event(
            now,
            &anonymous,
            Action::Create,
            "registration_refused",
            patient_id,
        );
        let new = NewRegistration {
            account: &account,
            patient: &patient,
            activation_token: &token,
            activation: &record,
            activation_email: &activation_email,
            created: &created,
        };
        let refusal = RegistrationRefusal {
            email_taken: &email_taken,
            not_completed: &not_completed,
            national_id_owner: &national_id_owner,
            refused: &refused,
        };
        // The outcome stays here: the answer is the same whatever it is.
        self.store
            .register_or_notify(&new, &refusal, now, &self.settings.login)?;
        Ok(patient_id)
    }
}
