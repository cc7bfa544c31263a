//! One appointment (the page the confirmation e-mail and SMS link to), its cancellation, and
//! the day lists of practitioners and staff. The API's handlers do the work
//! (`appointments::get`, `appointments::cancel`, `appointments::list`), so the same people see
//! the same appointments (anyone else gets the 404 page).

use super::booking::mode_label;
use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::format::{date_time, long_date, time_of};
use super::layout::{FieldErrors, csrf_field, document, error_summary, notice, respond};
use crate::appointments::{self, AppointmentView, ListQuery};
use crate::auth::AuthUser;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;
use teleconsult_core::appointment::Appointment;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    booked: Option<String>,
    cancelled: Option<String>,
    /// What became of a file sent from this page (see `appointment_files`).
    file: Option<String>,
}

fn logged_in(page: &Page) -> Result<AuthUser, Response> {
    page.user.clone().ok_or_else(|| redirect("/login"))
}

/// A status in words.
pub fn status_label(page: &Page, status: &str) -> String {
    page.t(match status {
        "booked" => "appt-status-booked",
        "waiting" => "appt-status-waiting",
        "in_call" => "appt-status-in-call",
        "completed" => "appt-status-completed",
        "cancelled" => "appt-status-cancelled",
        _ => "appt-status-no-show",
    })
}

/// `GET /appointments/{id}`.
pub async fn detail(
    page: Page,
    Path(id): Path<String>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Response {
    let user = match logged_in(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Query(query) = query.unwrap_or_default();
    let (appointment, view) = match appointments::load(&page.state, user, &id).await {
        Ok(loaded) => loaded,
        Err(error) => return fault(&page, error),
    };
    let banner = if query.booked.is_some() {
        Some(notice("ok", &page.t("appt-booked-notice")))
    } else if query.cancelled.is_some() {
        Some(notice("ok", &page.t("appt-cancelled-notice")))
    } else if let Some(outcome) = &query.file {
        super::appointment_files::outcome_notice(&page, outcome)
    } else {
        None
    };
    let documents = sections(&page, &appointment, &view).await;
    detail_page(
        &page,
        &view,
        banner,
        documents,
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

/// The sections below the facts: the patient's medical record, the files shared for the
/// consultation, then the documents issued (each shown only to whom it concerns).
async fn sections(
    page: &Page,
    appointment: &Appointment,
    view: &AppointmentView,
) -> Option<Markup> {
    let write = super::messages::appointment_link(page, appointment, &view.status);
    let record = super::medical_record::appointment_section(page, appointment, view).await;
    let files = super::appointment_files::section(page, appointment, view).await;
    let documents = super::documents::appointment_section(page, view).await;
    (write.is_some() || record.is_some() || files.is_some() || documents.is_some()).then(|| {
        html! {
            @if let Some(write) = write { (write) }
            @if let Some(record) = record { (record) }
            @if let Some(files) = files { (files) }
            @if let Some(documents) = documents { (documents) }
        }
    })
}

fn detail_page(
    page: &Page,
    view: &AppointmentView,
    banner: Option<Markup>,
    documents: Option<Markup>,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let Some(user) = &page.user else {
        return redirect("/login");
    };
    let start = view.start.parse::<Timestamp>().ok();
    let open = matches!(view.status.as_str(), "booked" | "waiting");
    let needs_reason = user.account.role != Role::Patient;
    let body = html! {
        @if let Some(banner) = banner { (banner) }
        (error_summary(page, errors))
        dl.facts {
            dt { (page.t("appt-when")) }
            dd { @if let Some(start) = start { (date_time(page, start)) } }
            dt { (page.t("appt-practitioner")) }
            dd { (view.practitioner_name) }
            dt { (page.t("appt-patient")) }
            dd { (view.patient_name) }
            dt { (page.t("appt-mode")) }
            dd { (mode_label(page, &view.mode)) }
            dt { (page.t("appt-status")) }
            dd { (status_label(page, &view.status)) }
            @if let Some(reason) = view.reason.as_ref().filter(|r| !r.is_empty()) {
                dt { (page.t("appt-reason")) }
                dd { (reason) }
            }
        }
        @if matches!(view.status.as_str(), "booked" | "waiting" | "in_call") {
            p { a.button href=(format!("/appointments/{}/call", view.id)) { (page.t("call-join")) } }
        }
        @if let Some(documents) = documents { (documents) }
        @if open {
            section aria-labelledby="cancel" {
                h2 #cancel { (page.t("appt-cancel-title")) }
                form method="post" action=(format!("/appointments/{}/cancel", view.id)) novalidate {
                    (csrf_field(page))
                    div.field.invalid[errors.contains_key("reason")] {
                        label for="reason" {
                            (page.t(if needs_reason { "appt-cancel-reason" } else { "appt-cancel-reason-optional" }))
                        }
                        @if let Some(error) = errors.get("reason") {
                            p.error #reason-error { (error) }
                        }
                        textarea #reason name="reason" rows="3" maxlength="500" required[needs_reason]
                            aria-describedby=[errors.contains_key("reason").then_some("reason-error")] {}
                    }
                    button.danger type="submit" { (page.t("appt-cancel-submit")) }
                }
            }
        }
        p { a href="/home" { (page.t("back-home")) } }
    };
    respond(status, document(page, &page.t("appt-title"), &body))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CancelForm {
    csrf: String,
    reason: String,
}

/// `POST /appointments/{id}/cancel`.
pub async fn cancel(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<CancelForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    let reason = Some(form.reason.clone());
    match appointments::cancel_appointment(&page.state, user.clone(), &id, reason).await {
        Ok(_) => redirect(&format!("/appointments/{id}?cancelled=1")),
        Err(error) if error.status.is_client_error() && error.status != StatusCode::NOT_FOUND => {
            let (appointment, view) = match appointments::load(&page.state, user, &id).await {
                Ok(loaded) => loaded,
                Err(error) => return fault(&page, error),
            };
            let message = if error.code == "cannot_cancel" {
                page.t("appt-cancel-too-late")
            } else {
                page.t("error-cancel-reason")
            };
            let status = error.status;
            let errors = FieldErrors::from([("reason", message)]);
            let documents = sections(&page, &appointment, &view).await;
            detail_page(&page, &view, None, documents, &errors, status)
        }
        Err(error) => fault(&page, error),
    }
}

/// The caller's appointments (a day of them with `date`).
pub async fn list(
    page: &Page,
    user: &AuthUser,
    date: Option<Date>,
) -> Result<Vec<AppointmentView>, Response> {
    appointments::list(
        State(page.state.clone()),
        user.clone(),
        Query(ListQuery {
            date: date.map(|d| d.to_string()),
        }),
    )
    .await
    .map(|axum::Json(list)| list)
    .map_err(|error| fault(page, error))
}

/// A day's appointments as a table: the practitioner's own day (with the patients' reasons),
/// or the site's day for staff and administrators (`reception`: time, practitioner, patient,
/// mode, state — never the reason, which is not theirs to read).
pub fn day_table(page: &Page, date: Date, list: &[AppointmentView], reception: bool) -> Markup {
    html! {
        @if list.is_empty() {
            p { (page.t_args("day-empty", &[("date", &long_date(page, date))])) }
        } @else {
            div.table-wrap {
                table.day {
                    caption { (long_date(page, date)) }
                    thead { tr {
                        th scope="col" { (page.t("day-time")) }
                        @if reception { th scope="col" { (page.t("appt-practitioner")) } }
                        th scope="col" { (page.t("appt-patient")) }
                        th scope="col" { (page.t("appt-mode")) }
                        @if !reception { th scope="col" { (page.t("appt-reason")) } }
                        th scope="col" { (page.t("appt-status")) }
                    } }
                    tbody {
                        @for a in list {
                            tr.cancelled[a.status == "cancelled"] {
                                td { a href=(format!("/appointments/{}", a.id)) {
                                    @if let Ok(start) = a.start.parse::<Timestamp>() { (time_of(page, start)) }
                                } }
                                @if reception { td { (a.practitioner_name) } }
                                td { (a.patient_name) }
                                td { (mode_label(page, &a.mode)) }
                                @if !reception { td { (a.reason.as_deref().unwrap_or_default()) } }
                                td { (status_label(page, &a.status)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
