//! Patient self-registration (`POST /api/v1/patients`, DESIGN §4): the door of
//! `App::register_patient` (`teleconsult-app` `registration.rs`, where the rules are).
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
use teleconsult_app::registration::RegistrationForm;
use utoipa::ToSchema;

/// Version of the consent texts shown at registration; stored with each consent.
pub const CONSENT_TEXT_VERSION: &str = "2026-11";

/// A registration form.
#[derive(Clone, Deserialize, ToSchema)]
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
#[derive(Clone, Deserialize, ToSchema)]
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
    let form = RegistrationForm::from(form);
    // An invalid form does not wait for a hashing permit.
    state.app.check_registration(&form)?;
    let client = client.map(|ip| ip.to_string());
    let hashing = state.hashing_permit().await?;
    let id = state
        .blocking(move |inner| Ok(inner.app.register_patient(&form, client, hashing)?))
        .await?;
    state.wake_notifier();
    Ok((StatusCode::CREATED, Json(Created { id: id.to_string() })))
}

impl From<RegisterPatient> for RegistrationForm {
    fn from(form: RegisterPatient) -> Self {
        Self {
            national_id: form.national_id,
            first_name: form.first_name,
            last_name: form.last_name,
            birth_date: form.birth_date,
            phone: form.phone,
            email: form.email,
            language: form.language,
            password: form.password,
            consent_data_processing: form.consents.data_processing,
            consent_teleconsultation: form.consents.teleconsultation,
        }
    }
}
