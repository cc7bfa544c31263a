//! Booking in pages (seeds 001 and 002): search practitioners by name, specialty and language,
//! a week of free slots per practitioner, the booking form (for oneself or a relative, reason,
//! the confirmation box) and "first available" for a specialty. The work is done by the API's
//! handlers (`agenda::list_practitioners`, `agenda::slots`, `appointments::book`), so pages and
//! API obey the same rules.

use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::format::{date_time, long_date, time_of, today, zone};
use super::home::specialty;
use super::layout::{FieldErrors, Input, csrf_field, document, error_summary, notice, respond};
use crate::agenda::{
    self, FirstAvailableQuery, PractitionerQuery, PractitionerView, SlotQuery, SlotView,
};
use crate::appointments::{self, BookRequest, ForRelative};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Span;
use jiff::civil::Date;
use maud::html;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::str::FromStr;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;

/// Who books in pages: patients (staff book walk-ins through the first-available search and
/// the patient's own account at the booth).
fn booker(page: &Page) -> Result<AuthUser, Response> {
    match &page.user {
        Some(user) if user.account.role == Role::Patient => Ok(user.clone()),
        Some(_) => Err(fault(
            page,
            ApiError::forbidden("only patients book online"),
        )),
        None => Err(redirect("/login")),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    specialty: String,
    language: String,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// `GET /book`: the search form and its results.
pub async fn search(page: Page, query: Result<Query<SearchQuery>, QueryRejection>) -> Response {
    let user = match booker(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Query(query) = query.unwrap_or_default();
    let all = match agenda::list_practitioners(
        State(page.state.clone()),
        user.clone(),
        Query(PractitionerQuery {
            q: None,
            specialty: None,
            language: None,
        }),
    )
    .await
    {
        Ok(axum::Json(list)) => list,
        Err(error) => return fault(&page, error),
    };
    let found: Vec<&PractitionerView> = all
        .iter()
        .filter(|p| {
            let q = query.q.trim().to_lowercase();
            (q.is_empty() || p.name.to_lowercase().contains(&q))
                && (query.specialty.is_empty() || p.specialty == query.specialty)
                && (query.language.is_empty() || p.languages.contains(&query.language))
        })
        .collect();
    let specialties: BTreeSet<&str> = all.iter().map(|p| p.specialty.as_str()).collect();
    let languages: BTreeSet<&str> = all
        .iter()
        .flat_map(|p| p.languages.iter().map(String::as_str))
        .collect();
    let body = html! {
        p { (page.t("book-intro")) }
        form.search method="get" action="/book" role="search" {
            div.field {
                label for="q" { (page.t("book-search-name")) }
                input #q name="q" type="search" value=(query.q) autocomplete="off";
            }
            div.field {
                label for="specialty" { (page.t("book-search-specialty")) }
                select #specialty name="specialty" {
                    option value="" { (page.t("book-any")) }
                    @for s in &specialties {
                        option value=(s) selected[*s == query.specialty] { (specialty(&page, s)) }
                    }
                }
            }
            div.field {
                label for="language" { (page.t("book-search-language")) }
                select #language name="language" {
                    option value="" { (page.t("book-any")) }
                    @for l in &languages {
                        option value=(l) selected[*l == query.language] { (language_name(l)) }
                    }
                }
            }
            button.primary type="submit" { (page.t("book-search-submit")) }
        }
        section aria-labelledby="results" {
            h2 #results { (page.t_args("book-results", &[("count", &found.len().to_string())])) }
            @if found.is_empty() {
                p { (page.t("book-no-result")) }
            } @else {
                ul.cards {
                    @for p in &found {
                        li.card {
                            h3 { (p.name) }
                            p { (specialty(&page, &p.specialty)) }
                            p { (page.t("book-speaks")) " " (p.languages.iter().map(|l| language_name(l)).collect::<Vec<_>>().join(", ")) }
                            p { (p.modes.iter().map(|m| mode_label(&page, m)).collect::<Vec<_>>().join(" · ")) }
                            a.button href=(format!("/book/{}", p.id)) { (page.t_args("book-see-slots", &[("name", &p.name)])) }
                        }
                    }
                }
            }
        }
        @if !specialties.is_empty() {
            section aria-labelledby="first" {
                h2 #first { (page.t("book-first-title")) }
                form method="get" action="/book/first" {
                    div.field {
                        label for="first-specialty" { (page.t("book-search-specialty")) }
                        select #first-specialty name="specialty" {
                            @for s in &specialties {
                                option value=(s) { (specialty(&page, s)) }
                            }
                        }
                    }
                    button type="submit" { (page.t("book-first-submit")) }
                }
                p { a href="/book/asap" { (page.t("asap-title")) } }
            }
        }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("book-title"), &body),
    )
}

/// A language code in its own words.
fn language_name(code: &str) -> String {
    match teleconsult_core::site::Language::from_str(code) {
        Ok(l) => super::layout::endonym(l).to_owned(),
        Err(_) => code.to_owned(),
    }
}

/// `video` / `audio` in words.
pub fn mode_label(page: &Page, mode: &str) -> String {
    match mode {
        "video" => page.t("book-mode-video"),
        "audio" => page.t("book-mode-audio"),
        other => other.to_owned(),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct FirstQuery {
    specialty: String,
}

/// `GET /book/first?specialty=`: straight to the booking form of the earliest free slot.
pub async fn first(page: Page, query: Result<Query<FirstQuery>, QueryRejection>) -> Response {
    let user = match booker(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Query(query) = query.unwrap_or_default();
    match agenda::first_available(
        State(page.state.clone()),
        user,
        Query(FirstAvailableQuery {
            specialty: non_empty(&query.specialty),
            language: None,
            mode: None,
        }),
    )
    .await
    {
        Ok(axum::Json(found)) => redirect(&slot_link(&found.practitioner.id, &found.slot.start)),
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            let body = html! {
                (notice("info", &page.t("book-first-none")))
                p { a href="/book" { (page.t("back")) } }
            };
            respond(
                StatusCode::NOT_FOUND,
                document(&page, &page.t("book-first-title"), &body),
            )
        }
        Err(error) => fault(&page, error),
    }
}

fn slot_link(practitioner: &str, start: &str) -> String {
    // Starts are RFC 3339 in UTC (`2026-11-30T08:00:00Z`): nothing to escape in a query.
    format!("/book/{practitioner}/slot?start={start}")
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct WeekQuery {
    /// `YYYY-MM-DD`: the first day shown.
    week: String,
}

/// The practitioner a page is about (404 page when unknown).
pub(super) async fn practitioner(
    page: &Page,
    user: &AuthUser,
    id: &str,
) -> Result<PractitionerView, Response> {
    let all = agenda::list_practitioners(
        State(page.state.clone()),
        user.clone(),
        Query(PractitionerQuery {
            q: None,
            specialty: None,
            language: None,
        }),
    )
    .await
    .map_err(|e| fault(page, e))?;
    all.0
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| fault(page, ApiError::not_found()))
}

/// `GET /book/{id}?week=`: seven days of free slots, with links to the weeks before and after.
pub async fn calendar(
    page: Page,
    Path(id): Path<String>,
    query: Result<Query<WeekQuery>, QueryRejection>,
) -> Response {
    let Query(query) = query.unwrap_or_default();
    calendar_page(page, id, query.week, None).await
}

async fn calendar_page(page: Page, id: String, week: String, problem: Option<String>) -> Response {
    let user = match booker(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let practitioner = match practitioner(&page, &user, &id).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let today = today(&page);
    let first = Date::from_str(week.trim())
        .ok()
        .filter(|d| *d >= today)
        .unwrap_or(today);
    let (Ok(after), Ok(before)) = (
        first.checked_add(Span::new().days(7)),
        first.checked_sub(Span::new().days(7)),
    ) else {
        return fault(&page, ApiError::bad_request("date out of range"));
    };
    let zone = zone(&page);
    let (Ok(from), Ok(to)) = (
        first.to_zoned_datetime(zone.clone()),
        after.to_zoned_datetime(zone.clone()),
    ) else {
        return fault(&page, ApiError::bad_request("date out of range"));
    };
    let slots = match agenda::slots(
        State(page.state.clone()),
        user,
        Path(id.clone()),
        Query(SlotQuery {
            from: Some(from.timestamp().to_string()),
            to: Some(to.timestamp().to_string()),
        }),
    )
    .await
    {
        Ok(axum::Json(slots)) => slots,
        Err(error) => return fault(&page, error),
    };
    let mut days: Vec<(Date, Vec<&SlotView>)> = Vec::new();
    for slot in &slots {
        let Ok(start) = slot.start.parse::<Timestamp>() else {
            continue;
        };
        let date = start.to_zoned_datetime(zone.clone()).date();
        match days.last_mut() {
            Some((d, list)) if *d == date => list.push(slot),
            _ => days.push((date, vec![slot])),
        }
    }
    let body = html! {
        p.lead { (specialty(&page, &practitioner.specialty)) " — " (practitioner.languages.iter().map(|l| language_name(l)).collect::<Vec<_>>().join(", ")) }
        @if let Some(problem) = &problem {
            (notice("error", problem))
        }
        nav.week aria-label=(page.t("book-week-nav")) {
            @if first > today {
                a.button href=(format!("/book/{id}?week={}", before.max(today))) { (page.t("book-week-before")) }
            }
            span { (page.t_args("book-week-of", &[("date", &long_date(&page, first))])) }
            a.button href=(format!("/book/{id}?week={after}")) { (page.t("book-week-after")) }
        }
        @if days.is_empty() {
            p { (page.t("book-no-slot-week")) }
        }
        @for (date, list) in &days {
            section.day aria-labelledby=(format!("day-{date}")) {
                h2 id=(format!("day-{date}")) { (long_date(&page, *date)) }
                ul.slots {
                    @for slot in list {
                        @if let Ok(start) = slot.start.parse::<Timestamp>() {
                            li { a.slot href=(slot_link(&id, &slot.start)) aria-label=(page.t_args("book-slot-label", &[("date", &date_time(&page, start))])) { (time_of(&page, start)) } }
                        }
                    }
                }
            }
        }
        p { a href="/book" { (page.t("book-back-search")) } }
    };
    respond(
        if problem.is_some() {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        },
        document(&page, &practitioner.name, &body),
    )
}

/// The booking form as posted (and re-shown with its errors).
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct BookForm {
    csrf: String,
    start: String,
    mode: String,
    /// `self`, `new`, or the id of a relative already linked to the account.
    for_whom: String,
    relationship: String,
    national_id: String,
    first_name: String,
    last_name: String,
    birth_date: String,
    reason: String,
    confirm: Option<String>,
}

/// `GET /book/{id}/slot?start=`: the booking form for that slot.
pub async fn slot_form(
    page: Page,
    Path(id): Path<String>,
    query: Result<Query<BookForm>, QueryRejection>,
) -> Response {
    let Query(mut form) = query.unwrap_or_default();
    form.csrf.clear();
    if form.for_whom.is_empty() {
        form.for_whom = "self".to_owned();
    }
    form_page(page, id, form, FieldErrors::new(), StatusCode::OK).await
}

async fn form_page(
    page: Page,
    id: String,
    form: BookForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let user = match booker(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let practitioner = match practitioner(&page, &user, &id).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let Ok(start) = form.start.parse::<Timestamp>() else {
        return redirect(&format!("/book/{id}"));
    };
    let relatives = match appointments::relatives_of(&page.state, &user).await {
        Ok(list) => list,
        Err(error) => return fault(&page, error),
    };
    let modes = if practitioner.modes.is_empty() {
        vec!["video".to_owned()]
    } else {
        practitioner.modes.clone()
    };
    let mode = if modes.contains(&form.mode) {
        form.mode.clone()
    } else {
        modes[0].clone()
    };
    let radio = |name: &'static str, value: &str, label: &str, checked: bool| {
        let input_id = format!("{name}-{value}");
        html! {
            div.choice {
                input type="radio" id=(input_id) name=(name) value=(value) checked[checked];
                label for=(input_id) { (label) }
            }
        }
    };
    let relationships = ["child", "parent", "legal_guardian", "partner", "other"];
    let body = html! {
        p.lead { (page.t_args("book-slot-summary", &[("name", &practitioner.name), ("date", &date_time(&page, start))])) }
        (error_summary(&page, &errors))
        form method="post" action=(format!("/book/{id}/slot")) novalidate {
            (csrf_field(&page))
            input type="hidden" name="start" value=(form.start);
            fieldset {
                legend { (page.t("book-mode")) }
                @for m in &modes {
                    (radio("mode", m, &mode_label(&page, m), *m == mode))
                }
            }
            fieldset.invalid[errors.contains_key("for_whom")] {
                legend { (page.t("book-for-whom")) }
                @if let Some(error) = errors.get("for_whom") {
                    p.error { (error) }
                }
                (radio("for_whom", "self", &page.t("book-for-self"), form.for_whom == "self"))
                @for (rid, name) in &relatives {
                    (radio("for_whom", rid, name, form.for_whom == *rid))
                }
                (radio("for_whom", "new", &page.t("book-for-new"), form.for_whom == "new"))
            }
            fieldset {
                legend { (page.t("book-relative-legend")) }
                p.hint { (page.t("book-relative-hint")) }
                div.field {
                    label for="relationship" { (page.t("book-relationship")) }
                    select #relationship name="relationship" {
                        @for r in relationships {
                            option value=(r) selected[form.relationship == r] { (relationship_label(&page, r)) }
                        }
                    }
                }
                (Input::new("national_id", page.t("register-national-id"), "text", &form.national_id).optional().render(&errors))
                (Input::new("first_name", page.t("register-first-name"), "text", &form.first_name).optional().render(&errors))
                (Input::new("last_name", page.t("register-last-name"), "text", &form.last_name).optional().render(&errors))
                (Input::new("birth_date", page.t("register-birth-date"), "date", &form.birth_date).optional().render(&errors))
            }
            div.field.invalid[errors.contains_key("reason")] {
                label for="reason" { (page.t("book-reason")) }
                p.hint #reason-hint { (page.t("book-reason-hint")) }
                @if let Some(error) = errors.get("reason") {
                    p.error #reason-error { (error) }
                }
                textarea #reason name="reason" rows="4" maxlength="1000"
                    aria-describedby=(if errors.contains_key("reason") { "reason-hint reason-error" } else { "reason-hint" }) { (form.reason) }
            }
            div.field.checkbox.invalid[errors.contains_key("confirm")] {
                @if let Some(error) = errors.get("confirm") {
                    p.error #confirm-error { (error) }
                }
                input #confirm type="checkbox" name="confirm" required checked[form.confirm.is_some()]
                    aria-describedby=[errors.contains_key("confirm").then_some("confirm-error")];
                label for="confirm" { (page.t("book-confirm")) }
            }
            button.primary type="submit" { (page.t("book-submit")) }
        }
        p { a href=(format!("/book/{id}")) { (page.t("book-other-slot")) } }
    };
    respond(status, document(&page, &page.t("book-form-title"), &body))
}

fn relationship_label(page: &Page, r: &str) -> String {
    page.t(match r {
        "child" => "relationship-child",
        "parent" => "relationship-parent",
        "legal_guardian" => "relationship-legal-guardian",
        "partner" => "relationship-partner",
        _ => "relationship-other",
    })
}

/// The form's field for an API field name (`for.national_id` → `national_id`).
fn form_field(api: &str) -> Option<(&'static str, &'static str)> {
    Some(match api {
        "for.national_id" => ("national_id", "error-national-id"),
        "for.first_name" => ("first_name", "error-first-name"),
        "for.last_name" => ("last_name", "error-last-name"),
        "for.birth_date" => ("birth_date", "error-birth-date"),
        "for.relationship" => ("relationship", "error-relationship"),
        "reason" => ("reason", "error-reason"),
        "confirm" => ("confirm", "error-confirm"),
        "mode" => ("for_whom", "error-mode"),
        "consents" => ("for_whom", "error-consents"),
        _ => return None,
    })
}

/// `POST /book/{id}/slot`: books through the API; on success, the appointment page.
pub async fn book(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<BookForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    if user.account.role != Role::Patient {
        return fault(&page, ApiError::forbidden("only patients book online"));
    }
    let for_whom = match form.for_whom.as_str() {
        "self" | "" => None,
        "new" => Some(ForRelative {
            patient_id: None,
            relationship: non_empty(&form.relationship),
            national_id: Some(form.national_id.clone()),
            first_name: Some(form.first_name.clone()),
            last_name: Some(form.last_name.clone()),
            birth_date: Some(form.birth_date.clone()),
        }),
        relative => Some(ForRelative {
            patient_id: Some(relative.to_owned()),
            relationship: non_empty(&form.relationship),
            national_id: None,
            first_name: None,
            last_name: None,
            birth_date: None,
        }),
    };
    let request = BookRequest {
        practitioner_id: id.clone(),
        start: form.start.clone(),
        mode: form.mode.clone(),
        for_whom,
        reason: form.reason.clone(),
        confirm: form.confirm.is_some(),
    };
    match appointments::book(State(page.state.clone()), user, ApiJson(request)).await {
        Ok((_, axum::Json(view))) => redirect(&format!("/appointments/{}?booked=1", view.id)),
        Err(error) if error.code == "slot_taken" => {
            let week = form
                .start
                .parse::<Timestamp>()
                .map(|t| t.to_zoned_datetime(zone(&page)).date().to_string())
                .unwrap_or_default();
            let problem = page.t("book-slot-taken");
            calendar_page(page, id, week, Some(problem)).await
        }
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut errors = FieldErrors::new();
            for field in error.fields.iter().flat_map(|f| f.keys()) {
                match form_field(field) {
                    Some((name, message)) => {
                        errors.insert(name, page.t(message));
                    }
                    // The slot is no longer offered (past, too soon, outside the hours).
                    None if field == "start" => {
                        let problem = page.t("book-slot-gone");
                        return calendar_page(page, id, String::new(), Some(problem)).await;
                    }
                    None => {}
                }
            }
            if errors.is_empty() {
                return fault(&page, error);
            }
            form_page(page, id, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            let errors = FieldErrors::from([("for_whom", page.t("error-relative"))]);
            form_page(page, id, form, errors, StatusCode::NOT_FOUND).await
        }
        Err(error) => fault(&page, error),
    }
}
