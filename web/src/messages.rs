//! Secure messaging outside consultations (rules in `teleconsult_core::message`):
//! `GET /conversations` (the caller's), `GET /conversations/{patient}/{practitioner}` (the
//! messages, the other side's marked read), `POST …/messages` (a text) and `POST …/files`
//! (a file, the body, with an optional text), `GET /messages/{id}/file`. The parties are the
//! patient side and the practitioner, once they have an appointment together (or have written
//! already); anyone else gets 404. The other side is told by e-mail that a message is waiting,
//! never what it says. Every access is audited.

use crate::auth::{AuthUser, event};
use crate::call_attachments::{declared_size, declared_type, file_response, read_body};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::{AppState, Inner};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use teleconsult_app::messages::SendMessage;
use teleconsult_core::account::Role;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::{MessageId, PatientId, PractitionerId};
use teleconsult_core::message::{Message, MessageFile, Side, in_care, side_of};
use utoipa::{IntoParams, ToSchema};

/// A file sent with a message.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessageFileView {
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    /// Where the parties download it.
    pub url: String,
}

/// One message.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    /// `patient` or `practitioner`: who wrote.
    pub from: String,
    pub at: String,
    pub text: String,
    pub file: Option<MessageFileView>,
    /// When the other side first read it; `null` while unread.
    pub read_at: Option<String>,
}

impl From<&Message> for MessageView {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.to_string(),
            from: m.from.name().to_owned(),
            at: m.at.to_string(),
            text: m.text.clone(),
            file: m.file.as_ref().map(|f| MessageFileView {
                file_name: f.file_name.clone(),
                content_type: f.content_type.clone(),
                size: f.size,
                url: format!("/api/v1/messages/{}/file", m.id),
            }),
            read_at: m.read_at.map(|t| t.to_string()),
        }
    }
}

/// A conversation in the caller's list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConversationView {
    pub patient_id: String,
    pub patient_name: String,
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub messages: u64,
    /// The last message's time; `null` when nothing was written yet.
    pub last_at: Option<String>,
    /// Messages of the other side the caller has not read.
    pub unread: u64,
    /// Where its messages are (API).
    pub url: String,
}

/// A conversation and its messages, oldest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConversationDetail {
    pub patient_id: String,
    pub patient_name: String,
    pub practitioner_id: String,
    pub practitioner_name: String,
    /// The caller's side: `patient` or `practitioner`.
    pub side: String,
    pub messages: Vec<MessageView>,
}

/// A text message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// At most 4000 characters; line breaks kept.
    pub text: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FileQuery {
    /// The file's name as the user chose it (path parts dropped).
    pub name: Option<String>,
    /// A text sent with the file (optional).
    pub text: Option<String>,
}

/// A file as received: declared type, name, content.
pub(crate) use teleconsult_app::messages::Upload;

fn actor(user: &AuthUser) -> Actor {
    Actor::Account(user.account.id.to_string())
}

fn audit(inner: &Inner, user: &AuthUser, action: Action, kind: &str, id: String) -> AuditEvent {
    event(inner.clock.now(), actor(user), action, kind, id)
}

pub(crate) fn parties(
    patient: &str,
    practitioner: &str,
) -> Result<(PatientId, PractitionerId), ApiError> {
    let patient = patient.parse().map_err(|_| ApiError::not_found())?;
    let practitioner = practitioner.parse().map_err(|_| ApiError::not_found())?;
    Ok((patient, practitioner))
}

fn conversation_id(patient: PatientId, practitioner: PractitionerId) -> String {
    format!("{patient}/{practitioner}")
}

/// The caller's side in the conversation, when it is open to them (404 otherwise: not a
/// party, or no appointment together and nothing written yet): the application's
/// [`teleconsult_app::App::conversation_side`].
pub(crate) fn open_side(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
    practitioner: PractitionerId,
) -> Result<Side, ApiError> {
    Ok(inner
        .app
        .conversation_side(&user.account, patient, practitioner)?)
}

fn practitioner_name(inner: &Inner, id: PractitionerId) -> Result<String, ApiError> {
    Ok(inner
        .store
        .practitioner(id)?
        .map(|p| p.name)
        .unwrap_or_default())
}

/// The caller's conversations, most recent first. A patient's also lists the practitioners of
/// their appointments (their own and their relatives') they have not written to yet, so that
/// they can start one; a practitioner starts one from an appointment.
pub(crate) fn conversations(
    inner: &Inner,
    user: &AuthUser,
) -> Result<Vec<ConversationView>, ApiError> {
    let account = &user.account;
    let side = match account.role {
        Role::Patient => Side::Patient,
        Role::Practitioner => Side::Practitioner,
        _ => {
            return Err(ApiError::forbidden(
                "messages are between patients and practitioners",
            ));
        }
    };
    let mine = |p: PatientId, r: PractitionerId| side_of(account, p, r).is_some();
    let list_event = audit(
        inner,
        user,
        Action::Read,
        "conversations",
        account.id.to_string(),
    );
    let summaries = inner.store.conversations(mine, &list_event)?;
    let mut pairs: Vec<(
        PatientId,
        PractitionerId,
        Option<&teleconsult_store::ConversationSummary>,
    )> = summaries
        .iter()
        .map(|s| (s.patient, s.practitioner, Some(s)))
        .collect();
    if side == Side::Patient {
        let appointments = inner.store.appointments(
            |a| account.acts_for(a.patient),
            &audit(
                inner,
                user,
                Action::Read,
                "appointments",
                account.id.to_string(),
            ),
        )?;
        for a in appointments.iter().rev() {
            let known = pairs
                .iter()
                .any(|(p, r, _)| *p == a.patient && *r == a.practitioner);
            if !known && in_care([a].into_iter(), a.patient, a.practitioner) {
                pairs.push((a.patient, a.practitioner, None));
            }
        }
    }
    let mut names: BTreeMap<PatientId, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(pairs.len());
    for (patient, practitioner, summary) in pairs {
        let patient_name = match names.get(&patient) {
            Some(name) => name.clone(),
            None => {
                let name = crate::appointments::patient_name(inner, user, patient)?;
                names.insert(patient, name.clone());
                name
            }
        };
        out.push(ConversationView {
            patient_id: patient.to_string(),
            patient_name,
            practitioner_id: practitioner.to_string(),
            practitioner_name: practitioner_name(inner, practitioner)?,
            messages: summary.map_or(0, |s| s.messages),
            last_at: summary.map(|s| s.last_at.to_string()),
            unread: summary.map_or(0, |s| s.unread_by(side)),
            url: format!("/api/v1/conversations/{patient}/{practitioner}"),
        });
    }
    Ok(out)
}

/// Whether reading a conversation marks the other side's messages read (a person reading it)
/// or not (the GDPR export, which nobody may have read yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reading {
    MarksRead,
    Export,
}

/// A conversation's messages for one of its parties; the other side's are marked read when
/// `reading` says so.
pub(crate) fn detail(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
    practitioner: PractitionerId,
    reading: Reading,
) -> Result<ConversationDetail, ApiError> {
    let side = open_side(inner, user, patient, practitioner)?;
    let messages = inner.store.conversation(
        patient,
        practitioner,
        (reading == Reading::MarksRead).then_some(side),
        inner.clock.now(),
        &audit(
            inner,
            user,
            Action::Read,
            "conversation",
            conversation_id(patient, practitioner),
        ),
    )?;
    Ok(ConversationDetail {
        patient_id: patient.to_string(),
        patient_name: crate::appointments::patient_name(inner, user, patient)?,
        practitioner_id: practitioner.to_string(),
        practitioner_name: practitioner_name(inner, practitioner)?,
        side: side.name().to_owned(),
        messages: messages.iter().map(MessageView::from).collect(),
    })
}

/// Sends a message from `user` (the application's [`teleconsult_app::App::send_message`]).
pub(crate) fn send(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
    practitioner: PractitionerId,
    text: &str,
    upload: Option<Upload>,
) -> Result<MessageView, ApiError> {
    let request = SendMessage {
        patient,
        practitioner,
        text: text.to_owned(),
        file: upload,
    };
    let message = inner.app.send_message(&user.account, request)?;
    Ok(MessageView::from(&message))
}

/// The caller's conversations, most recent first (a patient's also those they may start).
#[utoipa::path(get, path = "/conversations", tag = "messages",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The conversations", body = Vec<ConversationView>),
        (status = 403, description = "Not a patient or practitioner", body = crate::error::ErrorBody)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<ConversationView>>, ApiError> {
    state
        .blocking(move |inner| conversations(inner, &user).map(Json))
        .await
}

/// A conversation's messages, oldest first; the other side's are marked read.
#[utoipa::path(get, path = "/conversations/{patient}/{practitioner}", tag = "messages",
    params(("patient" = String, Path), ("practitioner" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The messages", body = ConversationDetail),
        (status = 404, description = "Not a party, or no appointment together and nothing written", body = crate::error::ErrorBody)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    user: AuthUser,
    Path((patient, practitioner)): Path<(String, String)>,
) -> Result<Json<ConversationDetail>, ApiError> {
    let (patient, practitioner) = parties(&patient, &practitioner)?;
    state
        .blocking(move |inner| {
            detail(inner, &user, patient, practitioner, Reading::MarksRead).map(Json)
        })
        .await
}

/// Writes to the other side; they get an e-mail saying a message is waiting (not its text).
#[utoipa::path(post, path = "/conversations/{patient}/{practitioner}/messages", tag = "messages",
    params(("patient" = String, Path), ("practitioner" = String, Path)),
    request_body = NewMessage,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent", body = MessageView),
        (status = 404, description = "Not a party, or no appointment together and nothing written", body = crate::error::ErrorBody),
        (status = 422, description = "Empty, too long, or control characters (`fields.text`)", body = crate::error::ErrorBody)))]
pub async fn post_message(
    State(state): State<AppState>,
    user: AuthUser,
    Path((patient, practitioner)): Path<(String, String)>,
    ApiJson(message): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let (patient, practitioner) = parties(&patient, &practitioner)?;
    let sent = state
        .blocking(move |inner| send(inner, &user, patient, practitioner, &message.text, None))
        .await?;
    Ok((StatusCode::CREATED, Json(sent)))
}

/// Sends a file (PDF, JPEG or PNG; the body is the file) with an optional text.
#[utoipa::path(post, path = "/conversations/{patient}/{practitioner}/files", tag = "messages",
    params(("patient" = String, Path), ("practitioner" = String, Path), FileQuery),
    request_body(content = Vec<u8>, description = "The file itself", content_type = "application/pdf"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent", body = MessageView),
        (status = 404, description = "Not a party, or no appointment together and nothing written", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than the site's limit (`[media] attachment_max_mb`)", body = crate::error::ErrorBody),
        (status = 415, description = "Not a PDF, JPEG or PNG", body = crate::error::ErrorBody),
        (status = 422, description = "Empty, the content is not what the type says, or a bad text", body = crate::error::ErrorBody),
        (status = 429, description = "`upload_quota_exceeded`: the caller sent `[limits] uploads_per_day` files today (UTC); see Retry-After", body = crate::error::ErrorBody),
        (status = 507, description = "`insufficient_storage`: free space on the site's storage is below the reserve kept for appointments, documents and the audit trail (`[storage] reserve_mb`, `reserve_percent`)", body = crate::error::ErrorBody)))]
pub async fn post_file(
    State(state): State<AppState>,
    user: AuthUser,
    Path((patient, practitioner)): Path<(String, String)>,
    Query(query): Query<FileQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let (patient, practitioner) = parties(&patient, &practitioner)?;
    let limit = declared_size(&state, &headers)?;
    // Not a party: refused before the file is read.
    let checker = user.clone();
    state
        .blocking(move |inner| open_side(inner, &checker, patient, practitioner).map(drop))
        .await?;
    let upload = Upload {
        declared_type: declared_type(&headers),
        name: query.name,
        content: read_body(body, limit).await?.into(),
    };
    let text = query.text.unwrap_or_default();
    let sent = state
        .blocking(move |inner| send(inner, &user, patient, practitioner, &text, Some(upload)))
        .await?;
    Ok((StatusCode::CREATED, Json(sent)))
}

/// The file of a message, for the parties of its conversation.
pub(crate) fn file_of(
    inner: &Inner,
    user: &AuthUser,
    id: MessageId,
) -> Result<(MessageFile, Vec<u8>), ApiError> {
    let read = audit(inner, user, Action::Read, "message_file", id.to_string());
    match inner.store.message_file(id, &read)? {
        Some((message, content))
            if side_of(&user.account, message.patient, message.practitioner).is_some() =>
        {
            let file = message.file.ok_or_else(ApiError::not_found)?;
            Ok((file, content.to_vec()))
        }
        _ => Err(ApiError::not_found()),
    }
}

/// Downloads the file of a message (the parties of its conversation only), as a sandboxed
/// attachment like every uploaded file (see `call_attachments::file_response`).
#[utoipa::path(get, path = "/messages/{id}/file", tag = "messages",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, with its content type, as an attachment (`Content-Disposition: attachment`, `Content-Security-Policy: sandbox`)", content_type = "application/octet-stream"),
        (status = 404, description = "No such message with a file, or not yours", body = crate::error::ErrorBody)))]
pub async fn message_file(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: MessageId = id.parse().map_err(|_| ApiError::not_found())?;
    let (file, content) = state
        .blocking(move |inner| file_of(inner, &user, id))
        .await?;
    Ok(file_response(&file.content_type, &file.file_name, content))
}
