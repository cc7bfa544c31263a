//! Files shared during a call: `POST /appointments/{id}/attachments` (the raw file as the body,
//! its type in `Content-Type`, its name in `?name=`) and `GET /appointments/{id}/attachments/{attachment}`.
//! PDF, JPEG and PNG only, checked against the file's first bytes; at most
//! `[media] attachment_max_mb`. Stored sealed; every upload and download is audited. Only the
//! parties of the call (see [`crate::call`]) upload and download; a file is announced to the
//! other side with a `chat` frame carrying its `attachment_id`.

use crate::auth::{AuthUser, event};
use crate::call::{appointment_id, enter};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::call::{
    Attachment, AttachmentError, check_attachment, clean_file_name, role_in_call,
};
use utoipa::{IntoParams, ToSchema};

/// Hard ceiling of any upload, whatever the configuration says (the HTTP layer refuses bigger
/// bodies before a handler runs).
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

#[derive(Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The file's name as the user chose it (shown to the other side; path parts dropped).
    pub name: Option<String>,
}

/// A stored attachment.
#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    /// Send it as `attachment_id` in a `chat` frame to share the file.
    pub id: String,
    pub appointment_id: String,
    pub content_type: String,
    pub file_name: String,
    pub size: u64,
    pub uploaded_at: String,
    /// Where the parties download it.
    pub url: String,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> Self {
        Self {
            id: a.id.to_string(),
            appointment_id: a.appointment.to_string(),
            content_type: a.content_type.clone(),
            file_name: a.file_name.clone(),
            size: a.size,
            uploaded_at: a.uploaded_at.to_string(),
            url: format!(
                "/api/v1/appointments/{}/attachments/{}",
                a.appointment, a.id
            ),
        }
    }
}

fn refused(e: AttachmentError) -> ApiError {
    match e {
        AttachmentError::Type(_) => ApiError::unsupported_media_type(e.to_string()),
        AttachmentError::Content(_) | AttachmentError::Empty => {
            ApiError::invalid_fields([("file".to_owned(), e.to_string())].into())
        }
    }
}

/// Shares a file in the call (PDF, JPEG or PNG; the body is the file).
#[utoipa::path(post, path = "/appointments/{id}/attachments", tag = "call",
    params(("id" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, description = "The file itself", content_type = "application/pdf"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored; announce it with a `chat` frame", body = AttachmentView),
        (status = 403, description = "`too_early` / `too_late`: the call room is not open", body = crate::error::ErrorBody),
        (status = 404, description = "No such appointment, or the caller is no party to its call", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than the site's limit", body = crate::error::ErrorBody),
        (status = 415, description = "Not a PDF, JPEG or PNG", body = crate::error::ErrorBody),
        (status = 422, description = "Empty, or the content is not what the type says", body = crate::error::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    let id = appointment_id(&id)?;
    let limit = state
        .calls
        .config()
        .attachment_max_bytes
        .min(MAX_UPLOAD_BYTES);
    let too_large = || {
        ApiError::payload_too_large(format!(
            "files are limited to {} MB here",
            limit.div_ceil(1024 * 1024)
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let checker = user.clone();
    state
        .blocking(move |inner| enter(inner, &checker, id).map(drop))
        .await?;
    let content = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let content_type = check_attachment(&content_type, &content).map_err(refused)?;
    let now = state.clock.now();
    let attachment = Attachment {
        id: uuid::Uuid::new_v4(),
        appointment: id,
        uploaded_by: user.account.id,
        uploaded_at: now,
        content_type: content_type.to_owned(),
        file_name: clean_file_name(query.name.as_deref().unwrap_or_default(), content_type),
        size: content.len() as u64,
    };
    let view = AttachmentView::from(&attachment);
    state
        .blocking(move |inner| {
            let audit = event(
                now,
                Actor::Account(user.account.id.to_string()),
                Action::Create,
                "attachment",
                attachment.id.to_string(),
            );
            inner.store.save_attachment(&attachment, &content, &audit)?;
            Ok(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Downloads a file shared in the call (the parties of the call only).
#[utoipa::path(get, path = "/appointments/{id}/attachments/{attachment}", tag = "call",
    params(("id" = String, Path), ("attachment" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, with its content type", content_type = "application/octet-stream"),
        (status = 404, description = "No such file in this appointment, or not yours", body = crate::error::ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = appointment_id(&id)?;
    let attachment: uuid::Uuid = attachment.parse().map_err(|_| ApiError::not_found())?;
    let (description, content) = state
        .blocking(move |inner| {
            let appointment = crate::appointments::visible(inner, &user, id)?;
            role_in_call(&user.account, &appointment, inner.calls.config().site_kind)
                .ok_or_else(ApiError::not_found)?;
            let audit = event(
                inner.clock.now(),
                Actor::Account(user.account.id.to_string()),
                Action::Read,
                "attachment",
                attachment.to_string(),
            );
            match inner.store.attachment(attachment, &audit)? {
                Some((a, content)) if a.appointment == id => Ok((a, content.to_vec())),
                _ => Err(ApiError::not_found()),
            }
        })
        .await?;
    let disposition = format!("attachment; filename=\"{}\"", description.file_name);
    let mut response = content.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&description.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    } else {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    Ok(response)
}
