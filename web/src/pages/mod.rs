//! Server-rendered pages (maud): landing, registration, activation, login with the SMS code,
//! password reset, the home pages (a patient's appointments, a practitioner's or the site's
//! day), booking (search, week of free slots, booking form, first available), an
//! appointment and its cancellation, opening hours, the administrators' accounts page, the
//! sync page (state, booking conflicts, messages the platform refused), "my data" (GDPR), the
//! language switcher, the demo outbox, the authenticator app (`/account/totp`), documents (the
//! practitioner's forms, a document's page, the patient's list, the pharmacy page), and the
//! booth (issue #19: the staff console, the practitioner's queue page, "as soon as possible"
//! and the waiting page).
//!
//! Pages use the cookie session only and no inline script or style (the CSP forbids them):
//! the stylesheet and script are static files under `/static/`. Every POST form carries a CSRF
//! token (see [`csrf`]). The work behind each form is done by the same functions as the JSON
//! API (`crate::auth`, `crate::me`, `crate::patients`), so both obey the same rules. Texts come
//! from `locales/<lang>/ui.ftl`; the language is chosen by [`context::resolve_language`].

// Page helpers return `Result<T, Response>`: the error is the page to answer, built once per
// request and returned straight away, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod account;
mod appointment;
mod appointment_files;
mod booking;
mod booth;
mod booth_devices;
mod booth_form;
mod booth_print;
mod booth_view;
mod call;
mod context;
pub mod csrf;
mod documents;
mod documents_forms;
mod documents_issue;
mod errors;
mod format;
mod home;
mod layout;
mod login;
mod medical_record;
mod messages;
mod my_data;
mod outbox;
mod pharmacy;
mod queue;
mod schedule;
mod static_files;
mod storage;
mod sync;
mod totp;
mod users;
mod waiting;

pub(crate) use storage::fenced_page;

use crate::state::AppState;
use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

/// Every page route. Static files sit outside the CSRF-cookie middleware: they are fetched
/// without cookies mattering and must stay cacheable.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::landing))
        .route("/home", get(home::home))
        .route(
            "/register",
            get(account::register_form).post(account::register),
        )
        .route("/register/done", get(account::check_email))
        .route(
            "/activate",
            get(account::activate_page).post(account::activate),
        )
        .route("/activate/done", get(account::activated))
        .route("/login", get(login::login_form).post(login::login))
        .route("/login/code", get(login::code_form).post(login::code))
        .route("/logout", post(login::logout))
        .route(
            "/password-reset",
            get(login::reset_page).post(login::reset_request),
        )
        .route("/password-reset/confirm", post(login::reset_confirm))
        .route("/me", get(my_data::page).post(my_data::rectify))
        .route("/me/export", get(my_data::export))
        .route("/account/totp", get(totp::page))
        .route("/account/totp/start", post(totp::start_setup))
        .route("/account/totp/confirm", post(totp::confirm_setup))
        .route("/account/totp/remove", post(totp::remove_app))
        .route("/me/consents/{kind}/withdraw", post(my_data::withdraw))
        .route("/me/erase", get(my_data::erase_form).post(my_data::erase))
        .route(
            "/me/confirmation-code",
            post(my_data::send_confirmation_code),
        )
        .route(
            "/patients/{id}/medical-record",
            get(medical_record::form).post(medical_record::save),
        )
        .route("/messages", get(messages::list))
        .route(
            "/messages/{patient}/{practitioner}",
            // A file may come with the message: the site's attachment limit, checked while
            // reading.
            get(messages::thread)
                .post(messages::send)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::call_attachments::MAX_UPLOAD_BYTES + 64 * 1024,
                )),
        )
        .route("/lang", post(home::switch_language))
        .route("/book", get(booking::search))
        .route("/book/asap", get(waiting::form).post(waiting::ask))
        .route("/book/waiting", get(waiting::waiting))
        .route("/book/waiting/leave", post(waiting::leave))
        .route("/book/waiting/book", post(waiting::book))
        .route("/booth", get(booth::console))
        .route("/booth/find", post(booth::find))
        .route("/booth/check", post(booth::check))
        .route("/booth/start", post(booth::start))
        .route("/booth/sessions/{id}/end", post(booth::end))
        .route("/booth/entries/{id}/withdraw", post(booth::withdraw))
        .route("/booth/entries/{id}/book", post(booth::book_offer))
        .route(
            "/booth/sessions/{session}/documents/{document}/print",
            post(booth_print::print),
        )
        .route("/queue", get(queue::page))
        .route("/queue/availability", post(queue::availability))
        .route("/queue/next", post(queue::next))
        .route("/book/first", get(booking::first))
        .route("/book/{id}", get(booking::calendar))
        .route(
            "/book/{id}/slot",
            get(booking::slot_form).post(booking::book),
        )
        .route("/appointments/{id}", get(appointment::detail))
        .route("/appointments/{id}/cancel", post(appointment::cancel))
        .route("/appointments/{id}/call", get(call::page))
        .route(
            "/appointments/{id}/files",
            // A file, not a small form: the site's attachment limit, checked while reading.
            post(appointment_files::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::call_attachments::MAX_UPLOAD_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/appointments/{id}/documents/new",
            get(documents_issue::new_form).post(documents_issue::issue),
        )
        .route("/documents", get(documents::list))
        .route("/documents/{id}", get(documents::detail))
        .route("/documents/{id}/pdf", get(documents::pdf))
        .route("/documents/{id}/paid", post(documents::paid))
        .route("/documents/{id}/print", post(documents::print))
        .route(
            "/documents/{id}/correct",
            get(documents_issue::correct_form).post(documents_issue::correct),
        )
        .route("/pharmacy", get(pharmacy::page).post(pharmacy::find))
        .route("/pharmacy/{id}/dispense", post(pharmacy::dispense))
        .route("/schedule", get(schedule::index))
        .route("/schedule/{id}", get(schedule::form).post(schedule::save))
        .route("/schedule/{id}/listing", post(schedule::save_listing))
        .route("/admin/users", get(users::page).post(users::add))
        .route("/admin/users/{id}/disable", post(users::disable))
        .route("/admin/users/{id}/reset-totp", post(users::reset_totp))
        .route("/sync", get(sync::page))
        .route("/sync/parked/{id}/{action}", post(sync::resolve))
        .route("/demo/outbox", get(outbox::page))
        .layer(middleware::from_fn(csrf::ensure_token))
        .route("/static/{name}", get(static_files::serve))
}

pub use errors::fallback;

#[cfg(test)]
mod tests;
