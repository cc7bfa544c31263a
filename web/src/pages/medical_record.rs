//! The short medical record in pages: the patient side fills it in at
//! `/patients/{id}/medical-record` (their own or a relative's), and the appointment page shows
//! it to the appointment's practitioner. The work is `crate::medical_record`'s, so the API and
//! the pages answer the same people.

use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::format::date_time;
use super::layout::{FieldErrors, csrf_field, document, error_summary, notice, respond};
use crate::appointments::AppointmentView;
use crate::medical_record::{self, MedicalRecordInput, MedicalRecordView};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::ids::PatientId;
use teleconsult_core::medical_record::{MAX_PART_CHARS, may_edit, may_read_for};

/// The three parts: form field, label id, hint id.
const PARTS: [(&str, &str, &str); 3] = [
    ("history", "mr-history", "mr-history-hint"),
    ("allergies", "mr-allergies", "mr-allergies-hint"),
    ("treatments", "mr-treatments", "mr-treatments-hint"),
];

fn part<'v>(view: &'v MedicalRecordView, name: &str) -> &'v str {
    match name {
        "history" => &view.history,
        "allergies" => &view.allergies,
        _ => &view.treatments,
    }
}

/// On the appointment page: the record for the appointment's practitioner; for the patient
/// side, the way to fill it in. Nothing for anyone else.
pub async fn appointment_section(
    page: &Page,
    appointment: &Appointment,
    view: &AppointmentView,
) -> Option<Markup> {
    let user = page.user.clone()?;
    match user.account.role {
        Role::Patient if may_edit(&user.account, appointment.patient) => {
            let open = matches!(view.status.as_str(), "booked" | "waiting" | "in_call");
            open.then(|| {
                html! {
                    p { a href=(format!("/patients/{}/medical-record", appointment.patient)) {
                        (page.t("mr-fill-link"))
                    } }
                }
            })
        }
        Role::Practitioner if may_read_for(&user.account, appointment) => {
            let appointment = appointment.clone();
            let record = page
                .state
                .blocking(move |inner| medical_record::read_for(inner, &user, &appointment))
                .await;
            let record = match record {
                Ok(record) => record,
                Err(_) => return Some(notice("error", &page.t("server-error"))),
            };
            Some(html! {
                section aria-labelledby="medical-record" {
                    h2 #medical-record { (page.t("mr-section-title")) }
                    @if record.updated_at.is_none() {
                        p { (page.t("mr-not-filled")) }
                    } @else {
                        (record_facts(page, &record))
                    }
                }
            })
        }
        _ => None,
    }
}

/// The parts as a description list, with the date of the last change.
fn record_facts(page: &Page, record: &MedicalRecordView) -> Markup {
    html! {
        dl.facts.record {
            @for (name, label, _) in PARTS {
                dt { (page.t(label)) }
                dd {
                    @let text = part(record, name);
                    @if text.is_empty() {
                        (page.t("mr-none-declared"))
                    } @else {
                        @for (i, line) in text.lines().enumerate() {
                            @if i > 0 { br; }
                            (line)
                        }
                    }
                }
            }
        }
        @if let Some(at) = record.updated_at.as_deref().and_then(|t| t.parse::<Timestamp>().ok()) {
            p.hint { (page.t_args("mr-updated", &[("date", &date_time(page, at))])) }
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct FormQuery {
    saved: Option<String>,
}

/// `GET /patients/{id}/medical-record`.
pub async fn form(
    page: Page,
    Path(id): Path<String>,
    query: Result<Query<FormQuery>, QueryRejection>,
) -> Response {
    let Some(user) = page.user.clone() else {
        return redirect("/login");
    };
    let Ok(patient) = id.parse::<PatientId>() else {
        return fault(&page, crate::error::ApiError::not_found());
    };
    let Query(query) = query.unwrap_or_default();
    let loaded = page
        .state
        .blocking(move |inner| {
            let record = medical_record::read_own(inner, &user, patient)?;
            let name = crate::appointments::patient_name(inner, &user, patient)?;
            Ok((record, name))
        })
        .await;
    let (record, name) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return fault(&page, error),
    };
    let banner = query
        .saved
        .is_some()
        .then(|| notice("ok", &page.t("mr-saved")));
    form_page(
        &page,
        &record,
        &name,
        banner,
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

fn form_page(
    page: &Page,
    record: &MedicalRecordView,
    name: &str,
    banner: Option<Markup>,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let max = MAX_PART_CHARS.to_string();
    let body = html! {
        @if let Some(banner) = banner { (banner) }
        (error_summary(page, errors))
        p.lead { (page.t_args("mr-for", &[("name", name)])) }
        p { (page.t("mr-intro")) }
        form method="post" action=(format!("/patients/{}/medical-record", record.patient_id)) novalidate {
            (csrf_field(page))
            @for (field, label, hint) in PARTS {
                @let invalid = errors.contains_key(field);
                div.field.invalid[invalid] {
                    label for=(field) { (page.t(label)) }
                    p.hint id=(format!("{field}-hint")) { (page.t(hint)) }
                    @if let Some(error) = errors.get(field) {
                        p.error id=(format!("{field}-error")) { (error) }
                    }
                    textarea id=(field) name=(field) rows="4" maxlength=(max)
                        aria-describedby=(if invalid { format!("{field}-hint {field}-error") } else { format!("{field}-hint") }) {
                        (part(record, field))
                    }
                }
            }
            button.primary type="submit" { (page.t("mr-save")) }
        }
        @if let Some(at) = record.updated_at.as_deref().and_then(|t| t.parse::<Timestamp>().ok()) {
            p.hint { (page.t_args("mr-updated", &[("date", &date_time(page, at))])) }
        }
        p { a href="/home" { (page.t("back-home")) } }
    };
    respond(status, document(page, &page.t("mr-title"), &body))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RecordForm {
    csrf: String,
    history: String,
    allergies: String,
    treatments: String,
}

/// `POST /patients/{id}/medical-record`.
pub async fn save(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<RecordForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    let Ok(patient) = id.parse::<PatientId>() else {
        return fault(&page, crate::error::ApiError::not_found());
    };
    let input = MedicalRecordInput {
        history: form.history.clone(),
        allergies: form.allergies.clone(),
        treatments: form.treatments.clone(),
    };
    let saving_user = user.clone();
    let saved = page
        .state
        .blocking(move |inner| medical_record::save(inner, &saving_user, patient, input))
        .await;
    match saved {
        Ok(_) => redirect(&format!("/patients/{patient}/medical-record?saved=1")),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut errors = FieldErrors::new();
            for (field, _, _) in PARTS {
                if error.fields.as_ref().is_some_and(|f| f.contains_key(field)) {
                    errors.insert(field, page.t("mr-error-part"));
                }
            }
            let name = page
                .state
                .blocking(move |inner| crate::appointments::patient_name(inner, &user, patient))
                .await
                .unwrap_or_default();
            // What was typed is shown again, to be corrected rather than typed anew.
            let typed = MedicalRecordView {
                patient_id: patient.to_string(),
                history: form.history,
                allergies: form.allergies,
                treatments: form.treatments,
                updated_at: None,
            };
            form_page(&page, &typed, &name, None, &errors, error.status)
        }
        Err(error) => fault(&page, error),
    }
}
