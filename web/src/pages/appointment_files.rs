//! The files of an appointment on its page: the list for the parties of its call who may read
//! them now (booth staff only while the room is open), and for the
//! patient side a form to send documents to the practitioner before the consultation (results,
//! letters, photos), as a plain multipart form. The rules and the storage are the API's
//! (`call_attachments`): PDF, JPEG or PNG checked against the content, the site's size limit,
//! the patient side from booking on until the call room closes, sealed, audited.

use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::format::date_time;
use super::layout::{csrf_field, notice};
use crate::appointments::AppointmentView;
use crate::call_attachments::{self, AttachmentView};
use crate::error::ApiError;
use axum::extract::Path;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;
use teleconsult_core::appointment::Appointment;

/// The outcome of a sent file, as the page after the redirect shows it (`?file=…`).
pub fn outcome_notice(page: &Page, outcome: &str) -> Option<Markup> {
    let (kind, id) = match outcome {
        "sent" => ("ok", "files-sent"),
        "type" => ("error", "files-error-type"),
        "content" => ("error", "files-error-content"),
        "size" => ("error", "files-error-size"),
        "closed" => ("error", "files-error-closed"),
        "missing" => ("error", "files-error-missing"),
        "space" => ("error", "storage-files-refused"),
        _ => return None,
    };
    Some(notice(kind, &page.t(id)))
}

/// The section of the appointment page; `None` for whoever is no party of the call.
pub async fn section(
    page: &Page,
    appointment: &Appointment,
    view: &AppointmentView,
) -> Option<Markup> {
    let user = page.user.clone()?;
    let appointment = appointment.clone();
    let files = page
        .state
        .blocking(move |inner| call_attachments::attachments_of(inner, &user, &appointment))
        .await;
    let files = match files {
        Ok(files) => files,
        // No party, or not now (booth staff outside the room's hours): no section.
        Err(e) if e.status.is_client_error() => return None,
        Err(_) => return Some(notice("error", &page.t("server-error"))),
    };
    let patient_side = page
        .user
        .as_ref()
        .is_some_and(|u| u.account.role == Role::Patient);
    let open = matches!(view.status.as_str(), "booked" | "waiting" | "in_call");
    let limit_mb = call_attachments::upload_limit(&page.state)
        .div_ceil(1024 * 1024)
        .to_string();
    Some(html! {
        section aria-labelledby="files" {
            h2 #files { (page.t("files-title")) }
            @if files.is_empty() {
                p { (page.t("files-none")) }
            } @else {
                ul.links {
                    @for file in &files {
                        @let file = AttachmentView::from(file);
                        li {
                            a href=(file.url) download=(file.file_name) { (file.file_name) }
                            " · " (size(file.size))
                            @if let Ok(at) = file.uploaded_at.parse::<Timestamp>() {
                                " · " (date_time(page, at))
                            }
                        }
                    }
                }
            }
            @if patient_side && open {
                form method="post" action=(format!("/appointments/{}/files", view.id))
                    enctype="multipart/form-data" {
                    (csrf_field(page))
                    div.field {
                        label for="file" { (page.t("files-choose")) }
                        p.hint #file-hint { (page.t_args("files-hint", &[("mb", limit_mb.as_str())])) }
                        input #file type="file" name="file" required
                            accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
                            aria-describedby="file-hint";
                    }
                    button type="submit" { (page.t("files-send")) }
                }
            }
        }
    })
}

/// A size for people: kB under a megabyte, MB with one decimal above.
fn size(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} kB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// `POST /appointments/{id}/files`: the patient side sends a file (fields `csrf`, then `file`).
pub async fn upload(
    page: Page,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(mut multipart) = multipart else {
        return bad_form(&page);
    };
    let Some(_) = &page.user else {
        return redirect("/login");
    };
    let Ok(appointment) = id.parse() else {
        return fault(&page, ApiError::not_found());
    };
    let back = |outcome: &str| redirect(&format!("/appointments/{id}?file={outcome}#files"));
    let mut user = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return back("size"),
            Err(_) => return bad_form(&page),
        };
        match field.name() {
            Some("csrf") => {
                let Ok(sent) = field.text().await else {
                    return bad_form(&page);
                };
                match csrf::check_session(&page, &sent) {
                    Ok(u) => user = Some(u.clone()),
                    Err(_) => return refused(&page),
                }
            }
            Some("file") => {
                // The token comes first in the form: nothing is read for a forged request.
                let Some(user) = user.take() else {
                    return refused(&page);
                };
                if let Err(e) = call_attachments::may_upload(&page.state, &user, appointment).await
                {
                    return failed(&page, e, &back);
                }
                let limit = call_attachments::upload_limit(&page.state);
                let (declared, name, content) = match read_file_field(field, limit).await {
                    Ok(Some(file)) => file,
                    Ok(None) => return back("missing"),
                    Err(FileFieldError::TooLarge) => return back("size"),
                    Err(FileFieldError::Malformed) => return bad_form(&page),
                };
                return match call_attachments::save(
                    &page.state,
                    user,
                    appointment,
                    &declared,
                    name.as_deref(),
                    content.into(),
                )
                .await
                {
                    Ok(_) => back("sent"),
                    Err(e) => failed(&page, e, &back),
                };
            }
            _ => {}
        }
    }
    if user.is_none() {
        return refused(&page);
    }
    back("missing")
}

/// Why a file part of a multipart form was not read.
pub enum FileFieldError {
    /// Over the site's limit.
    TooLarge,
    /// Not a well-formed part.
    Malformed,
}

/// Reads the file part `field` of a multipart form, at most `limit` bytes: its declared type,
/// name and content; `None` for the empty part a browser sends when no file was chosen.
pub async fn read_file_field(
    mut field: axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<Option<(String, Option<String>, Vec<u8>)>, FileFieldError> {
    let declared = field.content_type().unwrap_or_default().to_owned();
    let name = field.file_name().map(str::to_owned);
    let mut content = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if content.len() + chunk.len() > limit {
                    return Err(FileFieldError::TooLarge);
                }
                content.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(FileFieldError::TooLarge);
            }
            Err(_) => return Err(FileFieldError::Malformed),
        }
    }
    if content.is_empty() && name.as_deref().is_none_or(str::is_empty) {
        return Ok(None);
    }
    Ok(Some((declared, name, content)))
}

/// A refused file, told on the appointment page; anything else is the usual error page.
fn failed(page: &Page, error: ApiError, back: &dyn Fn(&str) -> Response) -> Response {
    match error.status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => back("type"),
        StatusCode::UNPROCESSABLE_ENTITY => back("content"),
        StatusCode::PAYLOAD_TOO_LARGE => back("size"),
        StatusCode::INSUFFICIENT_STORAGE => back("space"),
        StatusCode::FORBIDDEN | StatusCode::CONFLICT => back("closed"),
        _ => fault(page, error),
    }
}
