//! Files shared in an appointment: `POST /appointments/{id}/attachments` (the raw file as the
//! body, its type in `Content-Type`, its name in `?name=`), `GET /appointments/{id}/attachments`
//! (the list) and `GET /appointments/{id}/attachments/{attachment}`. PDF, JPEG and PNG only,
//! checked against the file's first bytes; at most `[media] attachment_max_mb`. Stored sealed;
//! every upload, list and download is audited. Only the parties of the call (see
//! [`crate::call`]) upload, list and download. The patient side uploads from booking on, until
//! the call room closes (pre-consultation documents); the others while the room is open (see
//! `may_share_file` in core). The patient side and the practitioner list and download for as
//! long as the appointment exists; booth staff (the patient's side of an appointment held at
//! their booth) only while the room is open (`may_read_files` in core `access.rs`). In a call,
//! a file is announced to the other side with a `chat` frame carrying its `attachment_id`.
//! These rules and the unit of work are the application's (`teleconsult_app::files`); the
//! handlers here read the body and present.
//!
//! Downloads are always `Content-Disposition: attachment` (the file's name per RFC 6266, with
//! an RFC 5987 `filename*` for names beyond ASCII) and `Content-Security-Policy: sandbox`: a
//! file someone uploaded never runs as a page of this site, even opened directly.

use crate::auth::AuthUser;
use crate::call::appointment_id;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use teleconsult_app::messages::Upload;
use teleconsult_core::call::Attachment;
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

/// Shares a file in the appointment (PDF, JPEG or PNG; the body is the file): the patient side
/// from booking on (documents for the practitioner before the consultation), the others while
/// the call room is open.
#[utoipa::path(post, path = "/appointments/{id}/attachments", tag = "call",
    params(("id" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, description = "The file itself", content_type = "application/pdf"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored; in a call, announce it with a `chat` frame", body = AttachmentView),
        (status = 403, description = "`too_early` (the practitioner before the room opens) / `too_late`: the room has closed", body = crate::error::ErrorBody),
        (status = 409, description = "`call_closed`: the appointment is over or cancelled; `too_many_files`: the appointment holds `[limits] uploads_per_appointment` files", body = crate::error::ErrorBody),
        (status = 404, description = "No such appointment, or the caller is no party to its call", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than the site's limit", body = crate::error::ErrorBody),
        (status = 415, description = "Not a PDF, JPEG or PNG", body = crate::error::ErrorBody),
        (status = 422, description = "Empty, or the content is not what the type says", body = crate::error::ErrorBody),
        (status = 429, description = "`upload_quota_exceeded`: the caller sent `[limits] uploads_per_day` files today (UTC); see Retry-After", body = crate::error::ErrorBody),
        (status = 507, description = "`insufficient_storage`: free space on the site's storage is below the reserve kept for appointments, documents and the audit trail (`[storage] reserve_mb`, `reserve_percent`)", body = crate::error::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    let id = appointment_id(&id)?;
    let limit = declared_size(&state, &headers)?;
    let content_type = declared_type(&headers);
    may_upload(&state, &user, id).await?;
    let content = read_body(body, limit).await?;
    let view = save(
        &state,
        user,
        id,
        &content_type,
        query.name.as_deref(),
        content,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The site's upload limit, after refusing (413) a body whose declared length is over it —
/// before anything is read.
pub(crate) fn declared_size(state: &AppState, headers: &HeaderMap) -> Result<usize, ApiError> {
    let limit = upload_limit(state);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    Ok(limit)
}

/// The `Content-Type` a raw upload declares (checked against the content later).
pub(crate) fn declared_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A raw upload's body, at most `limit` bytes (413 beyond).
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large(limit))
}

/// The largest file accepted here (`[media] attachment_max_mb`, under the hard ceiling).
pub(crate) fn upload_limit(state: &AppState) -> usize {
    state
        .calls
        .config()
        .attachment_max_bytes
        .min(MAX_UPLOAD_BYTES)
}

/// 413 for a file over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> ApiError {
    ApiError::payload_too_large(format!(
        "files are limited to {} MB here",
        limit.div_ceil(1024 * 1024)
    ))
}

/// Whether `user` may share a file in appointment `id` now (checked before reading the file).
pub(crate) async fn may_upload(
    state: &AppState,
    user: &AuthUser,
    id: teleconsult_core::ids::AppointmentId,
) -> Result<(), ApiError> {
    let account = user.account.clone();
    state
        .blocking(move |inner| Ok(inner.app.may_share_file(&account, id)?))
        .await
}

/// Checks a received file against its declared type and stores it, sealed and audited (the
/// application's [`teleconsult_app::App::share_file`]).
pub(crate) async fn save(
    state: &AppState,
    user: AuthUser,
    id: teleconsult_core::ids::AppointmentId,
    declared_type: &str,
    name: Option<&str>,
    content: axum::body::Bytes,
) -> Result<AttachmentView, ApiError> {
    let upload = Upload {
        declared_type: declared_type.to_owned(),
        name: name.map(str::to_owned),
        content: content.into(),
    };
    state
        .blocking(move |inner| {
            let attachment = inner.app.share_file(&user.account, id, upload)?;
            Ok(AttachmentView::from(&attachment))
        })
        .await
}

/// The files shared in the appointment, oldest first (the parties of the call only).
#[utoipa::path(get, path = "/appointments/{id}/attachments", tag = "call", operation_id = "list_attachments",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The files, oldest first", body = Vec<AttachmentView>),
        (status = 403, description = "`too_early` / `too_late`: booth staff read the files only while the room is open", body = crate::error::ErrorBody),
        (status = 404, description = "No such appointment, or the caller is no party to its call", body = crate::error::ErrorBody),
        (status = 409, description = "`call_closed`: booth staff, once the appointment is over", body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttachmentView>>, ApiError> {
    let id = appointment_id(&id)?;
    let files = state
        .blocking(move |inner| attachments(inner, &user, id))
        .await?;
    Ok(Json(files.iter().map(AttachmentView::from).collect()))
}

/// The files of an appointment for one of its parties (404 for anyone else); audited.
pub(crate) fn attachments(
    inner: &crate::state::Inner,
    user: &AuthUser,
    id: teleconsult_core::ids::AppointmentId,
) -> Result<Vec<Attachment>, ApiError> {
    Ok(inner.app.shared_files(&user.account, id)?)
}

/// The files shared in `appointment` (already loaded, its read audited), oldest first, for the
/// parties of its call who may read them now.
pub(crate) fn attachments_of(
    inner: &crate::state::Inner,
    user: &AuthUser,
    appointment: &teleconsult_core::appointment::Appointment,
) -> Result<Vec<Attachment>, ApiError> {
    Ok(inner.app.shared_files_of(&user.account, appointment)?)
}

/// Downloads a file shared in the appointment (the parties of the call only).
#[utoipa::path(get, path = "/appointments/{id}/attachments/{attachment}", tag = "call",
    params(("id" = String, Path), ("attachment" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, with its content type, as an attachment (`Content-Disposition: attachment`, `Content-Security-Policy: sandbox`)", content_type = "application/octet-stream"),
        (status = 403, description = "`too_early` / `too_late`: booth staff read the files only while the room is open", body = crate::error::ErrorBody),
        (status = 404, description = "No such file in this appointment, or not yours", body = crate::error::ErrorBody),
        (status = 409, description = "`call_closed`: booth staff, once the appointment is over", body = crate::error::ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = appointment_id(&id)?;
    let attachment: uuid::Uuid = attachment.parse().map_err(|_| ApiError::not_found())?;
    let (description, content) = state
        .blocking(move |inner| Ok(inner.app.shared_file(&user.account, id, attachment)?))
        .await?;
    Ok(file_response(
        &description.content_type,
        &description.file_name,
        content,
    ))
}

/// A file someone uploaded, as a download: its type, `Content-Disposition: attachment` with
/// its (cleaned) name, and `Content-Security-Policy: sandbox` — opened in a browser tab, it
/// runs no script and has no access to this site's origin (cookies, storage, the API).
pub(crate) fn file_response(content_type: &str, file_name: &str, content: Vec<u8>) -> Response {
    let mut response = content.into_response();
    let headers = response.headers_mut();
    // Stored types are checked at upload (PDF, JPEG, PNG); anything else is plain bytes.
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::CONTENT_DISPOSITION,
        attachment_disposition(file_name),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOWNLOAD_CSP),
    );
    response
}

/// The policy of every uploaded file served: a unique opaque origin, no script, no plugin, no
/// form, nothing loaded from elsewhere.
pub const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'";

/// Characters that stay as they are in an RFC 5987 `ext-value` (`attr-char`): letters, digits
/// and ``!#$&+-.^_`|~``; everything else is percent-encoded (UTF-8).
const ATTR_CHAR_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="…"` (RFC 6266) with an ASCII fallback of the name — characters
/// beyond printable ASCII, quotes and backslashes become `_` — and, when the name is not plain
/// ASCII, `filename*=UTF-8''…` (RFC 5987) with the exact name, which browsers prefer.
pub(crate) fn attachment_disposition(file_name: &str) -> HeaderValue {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut value = format!("attachment; filename=\"{fallback}\"");
    if fallback != file_name {
        value.push_str("; filename*=UTF-8''");
        value.extend(utf8_percent_encode(file_name, ATTR_CHAR_ESCAPES));
    }
    // Only printable ASCII is left: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disposition(name: &str) -> String {
        attachment_disposition(name)
            .to_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn download_names_are_safe_header_values_that_keep_the_name() {
        assert_eq!(
            disposition("lab result.pdf"),
            "attachment; filename=\"lab result.pdf\""
        );
        assert_eq!(
            disposition("Résultat 3€.pdf"),
            "attachment; filename=\"R_sultat 3_.pdf\"; \
             filename*=UTF-8''R%C3%A9sultat%203%E2%82%AC.pdf"
        );
        // Whatever a stored name holds, nothing closes the quoted string early or starts a
        // parameter or a header line of its own.
        for hostile in [
            "a\"; filename=evil.html",
            "a\\\"b.pdf",
            "x\r\nSet-Cookie: y=z.pdf",
            "\u{202e}fdp.exe",
            "",
        ] {
            let value = disposition(hostile);
            let quoted = value
                .strip_prefix("attachment; filename=\"")
                .unwrap_or_else(|| panic!("{value}"));
            let (name, rest) = quoted.split_once('"').unwrap_or_else(|| panic!("{value}"));
            assert!(!name.contains(['\\', '\r', '\n']), "{value}");
            if !rest.is_empty() {
                let encoded = rest
                    .strip_prefix("; filename*=UTF-8''")
                    .unwrap_or_else(|| panic!("{value}"));
                assert!(
                    encoded
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "%!#$&+-.^_`|~".contains(c)),
                    "{value}"
                );
            }
        }
    }
}
