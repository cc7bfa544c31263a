//! Secure messaging in pages: `/messages` (the caller's conversations) and
//! `/messages/{patient}/{practitioner}` (one conversation, and a multipart form to write, with
//! an optional file). The work is `crate::messages`'s, so the API and the pages answer the same
//! people; files download through the API's link (the session cookie works there).

use super::appointment_files::{FileFieldError, read_file_field};
use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::format::date_time;
use super::layout::{csrf_field, document, notice, respond};
use crate::auth::AuthUser;
use crate::call_attachments::upload_limit;
use crate::error::ApiError;
use crate::messages::{self, ConversationDetail, MessageView, Upload};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::message::side_of;

fn when(page: &Page, at: &str) -> String {
    at.parse::<Timestamp>()
        .map(|t| date_time(page, t))
        .unwrap_or_default()
}

/// Text with its line breaks.
fn lines(text: &str) -> Markup {
    html! {
        @for (i, line) in text.lines().enumerate() {
            @if i > 0 { br; }
            (line)
        }
    }
}

/// `GET /messages`.
pub async fn list(page: Page) -> Response {
    let Some(user) = page.user.clone() else {
        return redirect("/login");
    };
    let listed = page
        .state
        .blocking(move |inner| messages::conversations(inner, &user))
        .await;
    let list = match listed {
        Ok(list) => list,
        Err(error) => return fault(&page, error),
    };
    let body = html! {
        p { (page.t("msg-intro")) }
        @if list.is_empty() {
            p { (page.t("msg-none")) }
        } @else {
            ul.cards {
                @for c in &list {
                    li.card {
                        h2 { a href=(format!("/messages/{}/{}", c.patient_id, c.practitioner_id)) {
                            (c.practitioner_name) " · " (c.patient_name)
                        } }
                        @if let Some(at) = &c.last_at {
                            p { (page.t_args("msg-last", &[("date", &when(&page, at))])) }
                        } @else {
                            p { (page.t("msg-no-messages-yet")) }
                        }
                        @if c.unread > 0 {
                            p.badge { strong { (page.t_args("msg-unread", &[("count", &c.unread.to_string())])) } }
                        }
                    }
                }
            }
        }
        p { a href="/home" { (page.t("back-home")) } }
    };
    respond(StatusCode::OK, document(&page, &page.t("msg-title"), &body))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ThreadQuery {
    sent: Option<String>,
}

/// `GET /messages/{patient}/{practitioner}`.
pub async fn thread(
    page: Page,
    Path((patient, practitioner)): Path<(String, String)>,
    query: Result<Query<ThreadQuery>, QueryRejection>,
) -> Response {
    let Some(user) = page.user.clone() else {
        return redirect("/login");
    };
    let Query(query) = query.unwrap_or_default();
    let banner = query
        .sent
        .is_some()
        .then(|| notice("ok", &page.t("msg-sent")));
    match load(&page, user, &patient, &practitioner).await {
        Ok(detail) => thread_page(&page, &detail, banner, "", None, StatusCode::OK),
        Err(error) => fault(&page, error),
    }
}

async fn load(
    page: &Page,
    user: AuthUser,
    patient: &str,
    practitioner: &str,
) -> Result<ConversationDetail, ApiError> {
    let (patient, practitioner) = messages::parties(patient, practitioner)?;
    page.state
        .blocking(move |inner| {
            messages::detail(
                inner,
                &user,
                patient,
                practitioner,
                messages::Reading::MarksRead,
            )
        })
        .await
}

fn message_item(page: &Page, side: &str, m: &MessageView, detail: &ConversationDetail) -> Markup {
    let author = if m.from == side {
        page.t("msg-from-you")
    } else if m.from == "practitioner" {
        detail.practitioner_name.clone()
    } else {
        detail.patient_name.clone()
    };
    html! {
        li.message.mine[m.from == side] {
            p.meta { strong { (author) } " · " (when(page, &m.at)) }
            @if !m.text.is_empty() { p { (lines(&m.text)) } }
            @if let Some(file) = &m.file {
                p { a href=(file.url) download=(file.file_name) { (file.file_name) } }
            }
            @if m.from == side {
                @if let Some(read) = &m.read_at {
                    p.hint { (page.t_args("msg-read", &[("date", &when(page, read))])) }
                }
            }
        }
    }
}

fn thread_page(
    page: &Page,
    detail: &ConversationDetail,
    banner: Option<Markup>,
    typed: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mb = upload_limit(&page.state).div_ceil(1024 * 1024).to_string();
    let names = format!("{} · {}", detail.practitioner_name, detail.patient_name);
    let action = format!("/messages/{}/{}", detail.patient_id, detail.practitioner_id);
    let body = html! {
        @if let Some(banner) = banner { (banner) }
        @if let Some(error) = &error { (notice("error", error)) }
        p.lead { (page.t_args("msg-with", &[("name", &names)])) }
        @if detail.messages.is_empty() {
            p { (page.t("msg-no-messages-yet")) }
        } @else {
            ol.messages {
                @for m in &detail.messages { (message_item(page, &detail.side, m, detail)) }
            }
        }
        section aria-labelledby="write" {
            h2 #write { (page.t("msg-write")) }
            p.hint { (page.t("msg-intro")) }
            form method="post" action=(action) enctype="multipart/form-data" novalidate {
                (csrf_field(page))
                div.field.invalid[error.is_some()] {
                    label for="text" { (page.t("msg-text")) }
                    textarea #text name="text" rows="5" maxlength="4000" { (typed) }
                }
                div.field {
                    label for="file" { (page.t("msg-file")) }
                    p.hint #file-hint { (page.t_args("msg-file-hint", &[("mb", &mb)])) }
                    input #file type="file" name="file" accept="application/pdf,image/jpeg,image/png"
                        aria-describedby="file-hint";
                }
                button.primary type="submit" { (page.t("msg-send")) }
            }
        }
        p { a href="/messages" { (page.t("msg-title")) } }
    };
    respond(status, document(page, &page.t("msg-title"), &body))
}

/// Why a posted form was not read.
enum Unread {
    /// A file over the site's limit: the conversation again, with the error.
    TooLarge,
    /// Any other failure, answered as it is.
    Page(Response),
}

/// What a posted form held.
struct Posted {
    user: AuthUser,
    text: String,
    upload: Option<Upload>,
}

/// Reads the form (`csrf` first, then `text`, then `file`); a file over the site's limit ends
/// the reading with 413.
async fn read_form(page: &Page, multipart: &mut Multipart) -> Result<Posted, Unread> {
    let mut user = None;
    let mut text = String::new();
    let mut upload = None;
    let limit = upload_limit(&page.state);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(Unread::TooLarge);
            }
            Err(_) => return Err(Unread::Page(bad_form(page))),
        };
        match field.name() {
            Some("csrf") => {
                let Ok(sent) = field.text().await else {
                    return Err(Unread::Page(bad_form(page)));
                };
                match csrf::check_session(page, &sent) {
                    Ok(u) => user = Some(u.clone()),
                    Err(_) => return Err(Unread::Page(refused(page))),
                }
            }
            // The token comes first in the form: nothing else is read for a forged request.
            _ if user.is_none() => return Err(Unread::Page(refused(page))),
            Some("text") => {
                text = field
                    .text()
                    .await
                    .map_err(|_| Unread::Page(bad_form(page)))?;
            }
            Some("file") => match read_file_field(field, limit).await {
                Ok(Some((declared_type, name, content))) => {
                    upload = Some(Upload {
                        declared_type,
                        name,
                        content,
                    });
                }
                Ok(None) => {}
                Err(FileFieldError::TooLarge) => return Err(Unread::TooLarge),
                Err(FileFieldError::Malformed) => return Err(Unread::Page(bad_form(page))),
            },
            _ => {}
        }
    }
    let user = user.ok_or_else(|| Unread::Page(refused(page)))?;
    Ok(Posted { user, text, upload })
}

/// `POST /messages/{patient}/{practitioner}` (multipart: `csrf`, `text`, `file`).
pub async fn send(
    page: Page,
    Path((patient, practitioner)): Path<(String, String)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(mut multipart) = multipart else {
        return bad_form(&page);
    };
    let Some(session) = page.user.clone() else {
        return redirect("/login");
    };
    let posted = match read_form(&page, &mut multipart).await {
        Ok(posted) => posted,
        Err(Unread::TooLarge) => {
            let mb = upload_limit(&page.state).div_ceil(1024 * 1024).to_string();
            let error = page.t_args("msg-error-size", &[("mb", &mb)]);
            return match load(&page, session, &patient, &practitioner).await {
                Ok(detail) => thread_page(
                    &page,
                    &detail,
                    None,
                    "",
                    Some(error),
                    StatusCode::PAYLOAD_TOO_LARGE,
                ),
                Err(error) => fault(&page, error),
            };
        }
        Err(Unread::Page(response)) => return response,
    };
    let Ok((patient_id, practitioner_id)) = messages::parties(&patient, &practitioner) else {
        return fault(&page, ApiError::not_found());
    };
    let Posted { user, text, upload } = posted;
    let typed = text.clone();
    let sender = user.clone();
    let sent = page
        .state
        .blocking(move |inner| {
            messages::send(inner, &sender, patient_id, practitioner_id, &text, upload)
        })
        .await;
    match sent {
        Ok(_) => redirect(&format!("/messages/{patient}/{practitioner}?sent=1")),
        Err(error)
            if matches!(
                error.status,
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::UNSUPPORTED_MEDIA_TYPE
            ) =>
        {
            let message = if error.status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                page.t("msg-error-type")
            } else if error
                .fields
                .as_ref()
                .is_some_and(|f| f.contains_key("file"))
            {
                page.t("msg-error-content")
            } else {
                page.t("msg-error-text")
            };
            match load(&page, user, &patient, &practitioner).await {
                Ok(detail) => {
                    thread_page(&page, &detail, None, &typed, Some(message), error.status)
                }
                Err(error) => fault(&page, error),
            }
        }
        Err(error) => fault(&page, error),
    }
}

/// On the appointment page: the way to the conversation for its patient side and its
/// practitioner, unless it was cancelled.
pub fn appointment_link(page: &Page, appointment: &Appointment, status: &str) -> Option<Markup> {
    let user = page.user.as_ref()?;
    let party = side_of(&user.account, appointment.patient, appointment.practitioner).is_some()
        && matches!(user.account.role, Role::Patient | Role::Practitioner);
    (party && status != "cancelled").then(|| {
        html! {
            p { a href=(format!("/messages/{}/{}", appointment.patient, appointment.practitioner)) {
                (page.t("msg-write"))
            } }
        }
    })
}
