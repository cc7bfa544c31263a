//! `/api/v1/me`: the caller's own data — read, rectify, export (GDPR art. 15/20), erase
//! (art. 17) and consent withdrawal. Every access is audited.
//!
//! The work is done by `load`, `rectify`, `export`, `erase` and `withdraw`, which the JSON
//! handlers here and the "my data" page (`crate::pages`) both call.

use crate::auth::{AuthUser, event};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::live::Ended;
use crate::me_confirm::Confirm;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use teleconsult_app::profile::ProfileChange;
use teleconsult_core::account::{Account, Role};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::consent::{Consent, ConsentKind};
use teleconsult_core::patient::Patient;
use utoipa::ToSchema;

/// The caller's account and, for a patient, the patient record.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub login: String,
    pub role: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub language: String,
    #[schema(value_type = Object)]
    pub patient: Option<serde_json::Value>,
}

fn me(account: &Account, patient: Option<&Patient>) -> Me {
    Me {
        id: account.id.to_string(),
        login: account.login.clone(),
        role: account.role.code().to_owned(),
        name: account.name.clone(),
        email: account.email.clone(),
        phone: account.phone.clone(),
        language: account.language.code().to_owned(),
        patient: patient.and_then(|p| serde_json::to_value(p).ok()),
    }
}

/// Reads the caller's patient record (audited), if the account has one.
fn own_patient(
    inner: &crate::state::Inner,
    user: &AuthUser,
    action: Action,
) -> Result<Option<Patient>, ApiError> {
    Ok(inner.app.own_patient(&user.account, action)?)
}

#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "Account and patient record", body = Me),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody)))]
pub async fn get_me(State(state): State<AppState>, user: AuthUser) -> Result<Json<Me>, ApiError> {
    let (account, patient) = load(&state, user).await?;
    Ok(Json(me(&account, patient.as_ref())))
}

/// The caller's account and patient record (the read is audited).
pub(crate) async fn load(
    state: &AppState,
    user: AuthUser,
) -> Result<(Account, Option<Patient>), ApiError> {
    state
        .blocking(move |inner| {
            let patient = own_patient(inner, &user, Action::Read)?;
            Ok((user.account, patient))
        })
        .await
}

/// Rectification: only the fields given change.
#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    /// For a patient this is also the login.
    pub email: Option<String>,
    pub language: Option<String>,
    /// Needed, with `code`, when the phone or the e-mail changes.
    pub password: Option<String>,
    /// The code sent by SMS to the current phone (`POST /me/confirmation-code` with purpose
    /// `contact_change`), needed with `password` when the phone or the e-mail changes.
    pub code: Option<String>,
}

/// Rectifies the caller's data (GDPR art. 16). A new phone number or e-mail address also needs
/// the password and a code sent to the current phone; the old address is told of the change.
#[utoipa::path(patch, path = "/me", tag = "me", request_body = MeUpdate, security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Me),
        (status = 403, description = "`confirmation_required` (a new phone or e-mail without password and code) or `invalid_confirmation`", body = crate::error::ErrorBody),
        (status = 409, description = "E-mail already used by another account", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields", body = crate::error::ErrorBody),
        (status = 429, description = "Too many wrong passwords or codes (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn patch_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(update): ApiJson<MeUpdate>,
) -> Result<Json<Me>, ApiError> {
    let (account, patient) = rectify(&state, user, update).await?;
    Ok(Json(me(&account, patient.as_ref())))
}

/// Applies `update` to the caller's account and patient record (`App::rectify`); all invalid
/// fields are reported together (422 with `fields`).
pub(crate) async fn rectify(
    state: &AppState,
    user: AuthUser,
    update: MeUpdate,
) -> Result<(Account, Option<Patient>), ApiError> {
    let change = ProfileChange {
        first_name: update.first_name,
        last_name: update.last_name,
        phone: update.phone,
        email: update.email,
        language: update.language,
        password: update.password,
        code: update.code,
    };
    state
        .blocking(move |inner| {
            Ok(inner.app.rectify(
                &user.account,
                &user.token,
                &change,
                crate::auth::hashing::Unbounded,
            )?)
        })
        .await
        .inspect(|_| state.wake_notifier())
}

#[utoipa::path(get, path = "/me/export", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "All data held about the caller", content_type = "application/json"),
        (status = 429, description = "`export_quota_exceeded`: `[limits] exports_per_hour` exports this hour (UTC); see Retry-After", body = crate::error::ErrorBody)))]
pub async fn export_me(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    export(&state, user).await.map(Json)
}

/// Everything held about the caller: account (without the password hash), patient record, the
/// audit records of accesses to them (the export itself is audited), and for a patient their
/// appointments, the chat of their calls (shared files described, with their download link),
/// the short medical records they filled in, their conversations with practitioners, and
/// their documents (their own and those of
/// relatives they act for).
pub(crate) async fn export(
    state: &AppState,
    user: AuthUser,
) -> Result<serde_json::Value, ApiError> {
    // An export reads the whole audit trail and every record of the patient: a few per hour
    // (`[limits] exports_per_hour`), counted durably before the work starts.
    let (account, limit, at) = (
        user.account.id,
        state.settings.quotas.exports_per_hour,
        state.clock.now(),
    );
    state
        .blocking(move |inner| Ok(inner.store.take_export_quota(account, limit, at)?))
        .await?;
    let mut export = export_records(state, user.clone()).await?;
    if user.account.role == Role::Patient
        && let Some(map) = export.as_object_mut()
    {
        let axum::Json(appointments) = crate::appointments::list(
            State(state.clone()),
            user.clone(),
            axum::extract::Query(crate::appointments::ListQuery { date: None }),
        )
        .await?;
        let axum::Json(documents) =
            crate::documents::list_documents(State(state.clone()), user.clone()).await?;
        let ids: Vec<teleconsult_core::ids::AppointmentId> = appointments
            .iter()
            .filter_map(|a| a.id.parse().ok())
            .collect();
        let chats = call_chats(state, user.clone(), ids).await?;
        let records = medical_records(state, user.clone()).await?;
        let conversations = conversations(state, user.clone()).await?;
        map.insert(
            "appointments".into(),
            serde_json::to_value(appointments).map_err(ApiError::internal)?,
        );
        map.insert("call_chats".into(), chats);
        map.insert("conversations".into(), conversations);
        map.insert(
            "medical_records".into(),
            serde_json::to_value(records).map_err(ApiError::internal)?,
        );
        map.insert(
            "documents".into(),
            serde_json::to_value(documents).map_err(ApiError::internal)?,
        );
    }
    Ok(export)
}

/// The short medical records the caller filled in: their own and their relatives' (audited
/// reads; records never filled in are left out).
async fn medical_records(
    state: &AppState,
    user: AuthUser,
) -> Result<Vec<crate::medical_record::MedicalRecordView>, ApiError> {
    state
        .blocking(move |inner| {
            let mut out = Vec::new();
            let patients = user.account.patient.iter().chain(&user.account.relatives);
            for &patient in patients {
                let record = crate::medical_record::read_own(inner, &user, patient)?;
                if record.updated_at.is_some() {
                    out.push(record);
                }
            }
            Ok(out)
        })
        .await
}

/// The caller's conversations with practitioners that hold messages, each with its messages
/// (files described, with their download link); audited reads.
async fn conversations(state: &AppState, user: AuthUser) -> Result<serde_json::Value, ApiError> {
    state
        .blocking(move |inner| {
            let mut out = Vec::new();
            for c in crate::messages::conversations(inner, &user)? {
                if c.messages == 0 {
                    continue;
                }
                let (patient, practitioner) =
                    crate::messages::parties(&c.patient_id, &c.practitioner_id)?;
                out.push(crate::messages::detail(
                    inner,
                    &user,
                    patient,
                    practitioner,
                    crate::messages::Reading::Export,
                )?);
            }
            serde_json::to_value(out).map_err(ApiError::internal)
        })
        .await
}

/// The chat of each of `appointments`' calls (those that have one), each shared file described
/// with the link to download it; audited reads.
async fn call_chats(
    state: &AppState,
    user: AuthUser,
    appointments: Vec<teleconsult_core::ids::AppointmentId>,
) -> Result<serde_json::Value, ApiError> {
    state
        .blocking(move |inner| {
            let now = inner.clock.now();
            let actor = Actor::Account(user.account.id.to_string());
            let mut out = Vec::new();
            for id in appointments {
                let read = event(now, actor.clone(), Action::Export, "call_chat", id.to_string());
                let messages = inner.store.chat(id, &read)?;
                if messages.is_empty() {
                    continue;
                }
                let mut listed = Vec::with_capacity(messages.len());
                for m in messages {
                    let file = match m.attachment {
                        None => None,
                        Some(a) => {
                            let read =
                                event(now, actor.clone(), Action::Export, "attachment", a.to_string());
                            inner.store.attachment_description(a, &read)?.map(|d| {
                                serde_json::json!({
                                    "file_name": d.file_name,
                                    "content_type": d.content_type,
                                    "size": d.size,
                                    "download": format!("/api/v1/appointments/{id}/attachments/{a}"),
                                })
                            })
                        }
                    };
                    listed.push(serde_json::json!({
                        "at": m.at.to_string(),
                        "role": m.role,
                        "text": m.text,
                        "attachment": file,
                    }));
                }
                out.push(serde_json::json!({"appointment": id.to_string(), "messages": listed}));
            }
            Ok(serde_json::Value::Array(out))
        })
        .await
}

/// The account, patient record and accesses part of [`export`].
async fn export_records(state: &AppState, user: AuthUser) -> Result<serde_json::Value, ApiError> {
    state
        .blocking(move |inner| {
            let patient = own_patient(inner, &user, Action::Export)?;
            let mut ids = vec![user.account.id.to_string()];
            ids.extend(patient.as_ref().map(|p| p.id.to_string()));
            let actor_id = user.account.id.to_string();
            let accesses: Vec<_> = inner
                .store
                .audit_records(1, usize::MAX)?
                .into_iter()
                .filter(|r| {
                    ids.contains(&r.event.object_id)
                        || r.event.actor == Actor::Account(actor_id.clone())
                })
                .map(|r| r.event)
                .collect();
            let mut account = serde_json::to_value(&user.account).map_err(ApiError::internal)?;
            if let Some(map) = account.as_object_mut() {
                // A hash is no personal data of use to anyone, and exporting it would help guessing.
                map.remove("password_hash");
                // Nor is the authenticator app's secret, which must never leave the box after
                // its set-up: only whether there is one.
                map.remove("totp");
                map.insert("authenticator_app".into(), user.account.uses_totp().into());
            }
            Ok(serde_json::json!({
                "exported_at": inner.clock.now().to_string(),
                "account": account,
                "patient": patient,
                "accesses": accesses,
            }))
        })
        .await
}

#[derive(Serialize, ToSchema)]
pub struct Erasure {
    pub erased: bool,
    /// What is kept, and why.
    pub kept: Vec<String>,
}

/// Erases the caller's account and patient record (GDPR art. 17), keeping only what law
/// requires: the audit trail of accesses (identifiers only, no health data). Needs the
/// password and a code sent to the current phone (`POST /me/confirmation-code` with purpose
/// `erasure`), as JSON `{"password","code"}`.
#[utoipa::path(delete, path = "/me", tag = "me", security(("bearer" = [])), request_body = Confirm,
    responses(
        (status = 200, description = "Erased; what is kept is listed", body = Erasure),
        (status = 403, description = "`confirmation_required` or `invalid_confirmation`", body = crate::error::ErrorBody),
        (status = 429, description = "Too many wrong passwords or codes (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn delete_me(
    State(state): State<AppState>,
    user: AuthUser,
    body: axum::body::Bytes,
) -> Result<Json<Erasure>, ApiError> {
    // Without a body the answer says what is needed (403 `confirmation_required`).
    let confirm: Confirm = if body.iter().all(u8::is_ascii_whitespace) {
        Confirm::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                e.to_string(),
            )
        })?
    };
    erase(&state, user, confirm).await.map(Json)
}

/// Erases the caller's account and patient record once the password and code are checked;
/// says what is kept. Open sockets of the account close.
pub(crate) async fn erase(
    state: &AppState,
    user: AuthUser,
    confirm: Confirm,
) -> Result<Erasure, ApiError> {
    let id = user.account.id;
    let erased = state
        .blocking(move |inner| {
            inner.app.erase_own_account(
                &user.account,
                &user.token,
                confirm.password.as_deref(),
                confirm.code.as_deref(),
                crate::auth::hashing::Unbounded,
            )?;
            Ok(Erasure {
                erased: true,
                kept: vec![
                    "the audit trail of accesses to your data: identifiers and dates only, kept as the law on \
                     patient rights and health-data security requires"
                        .to_owned(),
                    "your appointments and the documents practitioners issued to you (prescriptions, reports, \
                     certificates, fee memos): they are the practitioners' medical record, which the law \
                     requires them to keep; the chat messages, shared files and call quality data of your \
                     consultations are erased"
                        .to_owned(),
                ],
            })
        })
        .await?;
    state.live.announce(Ended::Account(id));
    state.wake_notifier();
    Ok(erased)
}

/// Withdraws a consent (`data_processing` or `teleconsultation`). Booking needs both.
#[utoipa::path(post, path = "/me/consents/{kind}/withdraw", tag = "me", security(("bearer" = [])),
    params(("kind" = String, Path, description = "`data_processing` or `teleconsultation`")),
    responses(
        (status = 200, description = "Withdrawn; the consents now", body = Object),
        (status = 404, description = "Unknown consent kind or no patient record", body = crate::error::ErrorBody)))]
pub async fn withdraw_consent(
    State(state): State<AppState>,
    user: AuthUser,
    Path(kind): Path<String>,
) -> Result<Json<Vec<Consent>>, ApiError> {
    let kind: ConsentKind = serde_json::from_value(serde_json::Value::String(kind))
        .map_err(|_| ApiError::not_found())?;
    withdraw(&state, user, kind).await.map(Json)
}

/// Withdraws the caller's consent `kind` (the application's
/// [`teleconsult_app::App::withdraw_consent`]); returns the consents now (404 without a
/// patient record).
pub(crate) async fn withdraw(
    state: &AppState,
    user: AuthUser,
    kind: ConsentKind,
) -> Result<Vec<Consent>, ApiError> {
    state
        .blocking(move |inner| Ok(inner.app.withdraw_consent(&user.account, kind)?))
        .await
}
