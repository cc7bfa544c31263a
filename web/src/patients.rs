//! Patient self-registration (`POST /api/v1/patients`, DESIGN §4).
//!
//! The account starts as *pending activation* until the link e-mailed is opened and its page's
//! button pressed (a POST: mail scanners follow links). Every field is checked and all problems
//! are answered at once (422 with `fields`), so a form can show them together.
//!
//! The answer never tells whether the national id or the e-mail is registered: a valid form
//! always gets 201 with a fresh id, after the same work (password hashing, one durable
//! transaction). What happened goes to the mailboxes concerned instead: the owner of a
//! registered e-mail is told someone tried (and how to reset the password); when only the
//! national id is registered, nothing is created, the address given is told the registration
//! could not be completed (contact the site) and the national id's owner that someone tried. A
//! registration not activated within 48 hours expires and frees its national id and e-mail.

use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use teleconsult_core::account::{Account, AccountStatus, OneTimeToken, Role, TokenPurpose};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::consent::{Consent, ConsentKind};
use teleconsult_core::ids::AccountId;
use teleconsult_core::ids::PatientId;
use teleconsult_core::national_id::validate_national_id;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::site::Language;
use teleconsult_core::validation::{
    check_password, normalise_phone, validate_email, validate_person_name,
};
use utoipa::ToSchema;

/// Version of the consent texts shown at registration; stored with each consent.
pub const CONSENT_TEXT_VERSION: &str = "2026-11";

/// A registration form.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPatient {
    /// National identifier under the site country's rules (LU matricule, FR NIR with key, PT
    /// número de utente). Spaces, dots and dashes are ignored.
    #[schema(example = "1893120105732")]
    pub national_id: String,
    #[schema(example = "Anne")]
    pub first_name: String,
    #[schema(example = "Weber")]
    pub last_name: String,
    /// `YYYY-MM-DD`; must agree with the date encoded in the national id where it has one.
    #[schema(example = "1989-31-12", format = Date)]
    pub birth_date: String,
    /// Mobile number in international form; receives the login codes.
    #[schema(example = "+352 621 123 456")]
    pub phone: String,
    /// E-mail address, which is also the login.
    #[schema(example = "anne.weber@example.lu")]
    pub email: String,
    /// UI language: `fr`, `de`, `en`, `pt` or `lb`.
    #[schema(example = "fr")]
    pub language: String,
    /// At least 10 characters with 3 of 4 character classes, or at least 16 characters.
    pub password: String,
    pub consents: ConsentsInput,
}

/// Explicit consents; both are required to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentsInput {
    pub data_processing: bool,
    pub teleconsultation: bool,
}

/// The identifier of what was created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Registers a patient: the account is pending activation until the link e-mailed to the
/// address given is opened (`POST /patients/activate`).
#[utoipa::path(post, path = "/patients", tag = "patients",
    request_body = RegisterPatient,
    responses(
        (status = 201, description = "Registration received: an e-mail follows (activation link, or what prevented it). The same answer whether or not the national id or the e-mail is already registered", body = Created),
        (status = 400, description = "Malformed JSON", body = crate::error::ErrorBody),
        (status = 415, description = "Not a JSON body", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields (all listed in `fields`)", body = crate::error::ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many registrations from this address; `busy`: too many password hashes at this moment (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn register_patient(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(form): ApiJson<RegisterPatient>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    crate::auth::check_rate(&state, crate::auth::ratelimit::Scope::Register, client)?;
    let now = state.clock.now();
    let valid = validate(&form, &state)?;
    let patient_id = PatientId::from_uuid(uuid::Uuid::new_v4());
    let password = form.password;
    let account_id = AccountId::from_uuid(uuid::Uuid::new_v4());
    let activation = crate::auth::new_secret();
    let link = format!("{}/activate?token={activation}", state.settings.public_url);
    let mut hashing = state.hashing_permit().await?;
    let created = state
        .blocking(move |inner| {
            let password_hash = hashing.hash(&password)?;
            drop(hashing);
            let consents = [ConsentKind::DataProcessing, ConsentKind::Teleconsultation]
                .into_iter()
                .map(|kind| Consent {
                    kind,
                    text_version: CONSENT_TEXT_VERSION.into(),
                    given_at: now,
                    withdrawn_at: None,
                    collected_by: None,
                })
                .collect();
            let name = format!("{} {}", valid.first_name, valid.last_name);
            let patient = Patient {
                id: patient_id,
                national_id: valid.national_id,
                country: inner.settings.country,
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
                name: name.clone(),
                email: valid.email.clone(),
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
            let site = inner.settings.site_name.as_str();
            let language = valid.language;
            let email = Notification::email(
                valid.email.clone(),
                crate::i18n::text(language, "email-activation-subject", &[("site", site)]),
                crate::i18n::text(
                    language,
                    "email-activation-body",
                    &[("site", site), ("name", &name), ("link", &link)],
                ),
                now,
            );
            let reset_link = format!("{}/password-reset", inner.settings.public_url);
            let email_taken = Notification::email(
                valid.email.clone(),
                crate::i18n::text(
                    language,
                    "email-registration-taken-subject",
                    &[("site", site)],
                ),
                crate::i18n::text(
                    language,
                    "email-registration-taken-body",
                    &[("site", site), ("link", &reset_link)],
                ),
                now,
            );
            let not_completed = Notification::email(
                valid.email.clone(),
                crate::i18n::text(
                    language,
                    "email-registration-incomplete-subject",
                    &[("site", site)],
                ),
                crate::i18n::text(
                    language,
                    "email-registration-incomplete-body",
                    &[("site", site), ("name", &name)],
                ),
                now,
            );
            let national_id_owner = |owner: &Patient| {
                let lang = Language::from_str(&owner.language).unwrap_or(language);
                Notification::email(
                    owner.email.clone(),
                    crate::i18n::text(lang, "email-national-id-tried-subject", &[("site", site)]),
                    crate::i18n::text(
                        lang,
                        "email-national-id-tried-body",
                        &[("site", site), ("link", &reset_link)],
                    ),
                    now,
                )
            };
            let token = OneTimeToken::new(TokenPurpose::Activation, account_id, now, &inner.policy);
            let anonymous = Actor::Anonymous(client.map(|ip| ip.to_string()));
            let audit = AuditEvent {
                at: now,
                actor: anonymous.clone(),
                action: Action::Create,
                object_type: "patient".into(),
                object_id: patient_id.to_string(),
            };
            let refused = AuditEvent {
                at: now,
                actor: anonymous,
                action: Action::Create,
                object_type: "registration_refused".into(),
                object_id: patient_id.to_string(),
            };
            let activation = teleconsult_store::Activation {
                token: &activation,
                record: &token,
                email: &email,
            };
            let notices = teleconsult_store::RegistrationMessages {
                created_event: &audit,
                email_taken: &email_taken,
                not_completed: &not_completed,
                national_id_owner: &national_id_owner,
                refused_event: &refused,
            };
            // The outcome stays here: the answer is the same whatever it is.
            inner.store.register_or_notify(
                &account,
                &patient,
                activation,
                &notices,
                now,
                &inner.policy,
            )?;
            Ok(Created {
                id: patient_id.to_string(),
            })
        })
        .await?;
    state.wake_notifier();
    Ok((StatusCode::CREATED, Json(created)))
}

pub(crate) struct ValidForm {
    national_id: String,
    first_name: String,
    last_name: String,
    birth_date: jiff::civil::Date,
    phone: String,
    email: String,
    language: Language,
}

/// Checks every field and reports all problems together.
/// Checks every field of a registration (all problems at once, keyed by field name).
pub(crate) fn validate(form: &RegisterPatient, state: &AppState) -> Result<ValidForm, ApiError> {
    let mut errors = BTreeMap::new();
    let mut field = |name: &str, message: String| {
        errors.insert(name.to_owned(), message);
    };
    let national_id = validate_national_id(state.settings.country, &form.national_id)
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
            let today = state
                .clock
                .now()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date();
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
    if !form.consents.data_processing {
        field(
            "consents.data_processing",
            "consent to data processing is required to register".into(),
        );
    }
    if !form.consents.teleconsultation {
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
        ) if errors.is_empty() => Ok(ValidForm {
            national_id: id.value,
            first_name,
            last_name,
            birth_date,
            phone,
            email,
            language,
        }),
        _ => Err(ApiError::invalid_fields(errors)),
    }
}
