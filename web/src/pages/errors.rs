//! How pages answer problems: translated error pages with the API's status codes, the
//! per-field messages of forms, refused forms (CSRF), redirects and cookies, and the HTML 404.

use super::context::Page;
use super::layout::{FieldErrors, document, message_page, respond};
use crate::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use std::collections::BTreeMap;

/// 303 See Other to `to` (after a POST, so reloading does not post again).
pub fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Adds a `Set-Cookie` header.
pub fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The form did not carry the right CSRF token (or came from another site).
pub fn refused(page: &Page) -> Response {
    let body = html! {
        p { (page.t("csrf-refused")) }
        p { a href=(page.path) { (page.t("csrf-refused-reload")) } }
    };
    message_page(
        page,
        StatusCode::FORBIDDEN,
        &page.t("csrf-refused-title"),
        &body,
    )
}

/// The form could not be read at all.
pub fn bad_form(page: &Page) -> Response {
    let body = html! { p { (page.t("bad-form")) } };
    message_page(page, StatusCode::BAD_REQUEST, &page.t("error-title"), &body)
}

/// Too many attempts: how long to wait, with `Retry-After`.
pub fn too_many(page: &Page, retry_after_s: u64, back: &str) -> Response {
    let minutes = retry_after_s.div_ceil(60).max(1).to_string();
    let body = html! {
        p role="alert" { (page.t_args("too-many-attempts", &[("minutes", &minutes)])) }
        p { a href=(back) { (page.t("back")) } }
    };
    let mut response = message_page(
        page,
        StatusCode::TOO_MANY_REQUESTS,
        &page.t("too-many-title"),
        &body,
    );
    if let Ok(value) = HeaderValue::from_str(&retry_after_s.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Any other failure of the work behind a page, with the API's status.
pub fn fault(page: &Page, error: ApiError) -> Response {
    if error.status == StatusCode::TOO_MANY_REQUESTS {
        return too_many(page, error.retry_after_s.unwrap_or(60), &page.path);
    }
    let contact = || super::storage::contact(page);
    let text = match (error.status, error.code) {
        // The store's condition: say what happens and whom to call.
        (_, "storage_full") => page.t_args("storage-banner-refusing", &[("name", &contact())]),
        (_, "insufficient_storage") => page.t("storage-files-refused"),
        (_, "store_rolled_back") => page.t_args("storage-fenced-text", &[("name", &contact())]),
        _ => match error.status {
            StatusCode::SERVICE_UNAVAILABLE => page.t("unavailable"),
            s if s.is_server_error() => page.t("server-error"),
            _ => page.t("bad-form"),
        },
    };
    let body = html! {
        p { (text) }
        p { a href="/" { (page.t("back-home")) } }
    };
    message_page(page, error.status, &page.t("error-title"), &body)
}

/// The translated message of an invalid field reported by the API (`fields` of a 422).
pub fn field_message(page: &Page, field: &str) -> Option<(&'static str, String)> {
    let (name, id) = match field {
        "national_id" => ("national_id", "error-national-id"),
        "first_name" => ("first_name", "error-first-name"),
        "last_name" => ("last_name", "error-last-name"),
        "birth_date" => ("birth_date", "error-birth-date"),
        "phone" => ("phone", "error-phone"),
        "email" => ("email", "error-email"),
        "language" => ("language", "error-language"),
        "password" => ("password", "error-password"),
        "consents.data_processing" => ("data_processing", "error-consent-data-processing"),
        "consents.teleconsultation" => ("teleconsultation", "error-consent-teleconsultation"),
        _ => return None,
    };
    Some((name, page.t(id)))
}

/// Translates the `fields` of a 422 into messages keyed by form field; `None` for any other
/// error (the caller answers it with [`fault`]).
pub fn field_errors(page: &Page, error: &ApiError) -> Option<FieldErrors> {
    let fields: &BTreeMap<String, String> = error.fields.as_ref()?;
    let mut errors = FieldErrors::new();
    for field in fields.keys() {
        if let Some((name, message)) = field_message(page, field) {
            errors.insert(name, message);
        }
    }
    (!errors.is_empty()).then_some(errors)
}

/// The answer to an unknown path: JSON under `/api/` or for clients that do not want HTML,
/// a translated page otherwise.
pub async fn fallback(page: Page, uri: Uri, headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if uri.path().starts_with("/api/") || !wants_html {
        return ApiError::not_found().into_response();
    }
    let body = html! {
        p { (page.t("not-found")) }
        p { a href="/" { (page.t("back-home")) } }
    };
    respond(
        StatusCode::NOT_FOUND,
        document(&page, &page.t("not-found-title"), &body),
    )
}
