//! "As soon as possible" for a patient at home (issue #19, `docs/booth.md` rule 5): the form
//! asking for the first practitioner free of a specialty (`POST /queue/asap`), and the waiting
//! page — place in the line, estimated wait, the slot offered after a while, leaving the line —
//! which refreshes itself in place. Nothing about the patient is in a URL: the waiting page is
//! the caller's own entry. Patients only. The API's handlers do the work.

use super::booth_view::{offered_slot, select, text_area, waiting_facts};
use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect};
use super::home::specialty;
use super::layout::{FieldErrors, csrf_field, document, error_summary, notice, respond};
use crate::agenda::{self, PractitionerQuery};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::queue::{self, BookInsteadRequest, WaitBody};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use std::collections::BTreeSet;
use teleconsult_core::account::Role;

/// The logged-in patient (others: the login page, or 403 as from the API).
fn patient(page: &Page) -> Result<AuthUser, Response> {
    match &page.user {
        Some(user) if user.account.role == Role::Patient => Ok(user.clone()),
        Some(_) => Err(fault(
            page,
            ApiError::forbidden("only patients wait from home"),
        )),
        None => Err(redirect("/login")),
    }
}

fn posted(
    page: &Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<(AuthUser, Vec<(String, String)>), Response> {
    let pairs = csrf::session_form(page, form)?;
    Ok((patient(page)?, pairs))
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The form asking for the first practitioner free.
async fn asap_form(
    page: &Page,
    user: &AuthUser,
    pairs: &[(String, String)],
    errors: &FieldErrors,
    banner: Option<Markup>,
    status: StatusCode,
) -> Response {
    let practitioners = match agenda::list_practitioners(
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
        Ok(list) => list.0,
        Err(error) => return fault(page, error),
    };
    let specialties: BTreeSet<&str> = practitioners.iter().map(|p| p.specialty.as_str()).collect();
    let languages: BTreeSet<&str> = practitioners
        .iter()
        .flat_map(|p| p.languages.iter().map(String::as_str))
        .collect();
    let mut specialty_options = vec![(String::new(), page.t("booth-choose-specialty"))];
    specialty_options.extend(
        specialties
            .iter()
            .map(|s| ((*s).to_owned(), specialty(page, s))),
    );
    let mut language_options = vec![(String::new(), page.t("booth-any-language"))];
    language_options.extend(languages.iter().map(|l| {
        let name = l.parse::<teleconsult_core::site::Language>().map_or_else(
            |_| (*l).to_owned(),
            |x| super::layout::endonym(x).to_owned(),
        );
        ((*l).to_owned(), name)
    }));
    let modes = [
        ("video".to_owned(), page.t("book-mode-video")),
        ("audio".to_owned(), page.t("book-mode-audio")),
    ];
    let body = html! {
        @if let Some(banner) = banner { (banner) }
        p.lead { (page.t("asap-intro")) }
        (error_summary(page, errors))
        form method="post" action="/book/asap" novalidate {
            (csrf_field(page))
            (select("specialty", &page.t("booth-specialty"), &specialty_options, value(pairs, "specialty"), errors))
            (select("language", &page.t("booth-practitioner-language"), &language_options, value(pairs, "language"), errors))
            (select("mode", &page.t("book-mode"), &modes, value(pairs, "mode"), errors))
            (text_area("reason", &page.t("booth-reason"), value(pairs, "reason"), &page.t("asap-reason-hint"), errors))
            button.primary type="submit" { (page.t("asap-submit")) }
        }
        p { a href="/book" { (page.t("asap-or-book")) } }
    };
    respond(status, document(page, &page.t("asap-title"), &body))
}

/// `GET /book/asap`: the form; someone already waiting goes to their waiting page.
pub async fn form(page: Page) -> Response {
    let user = match patient(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    if queue::own_entry(State(page.state.clone()), user.clone())
        .await
        .is_ok()
    {
        return redirect("/book/waiting");
    }
    asap_form(&page, &user, &[], &FieldErrors::new(), None, StatusCode::OK).await
}

fn asap_errors(page: &Page, error: &ApiError) -> Option<FieldErrors> {
    let errors: FieldErrors = error
        .fields
        .iter()
        .flat_map(|f| f.keys())
        .filter_map(|api| match api.as_str() {
            "specialty" => Some(("specialty", page.t("booth-error-specialty"))),
            "language" => Some(("language", page.t("booth-error-practitioner-language"))),
            "mode" => Some(("mode", page.t("booth-error-mode"))),
            "reason" => Some(("reason", page.t("booth-error-reason"))),
            _ => None,
        })
        .collect();
    (!errors.is_empty()).then_some(errors)
}

/// `POST /book/asap`: waits for the first practitioner free; on to the waiting page.
pub async fn ask(page: Page, form: Result<Form<Vec<(String, String)>>, FormRejection>) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let some = |name: &str| {
        let v = value(&pairs, name).trim();
        (!v.is_empty()).then(|| v.to_owned())
    };
    if some("specialty").is_none() {
        let errors = FieldErrors::from([("specialty", page.t("booth-error-specialty"))]);
        return asap_form(
            &page,
            &user,
            &pairs,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let body = WaitBody {
        specialty: value(&pairs, "specialty").trim().to_owned(),
        language: some("language"),
        mode: some("mode"),
        reason: value(&pairs, "reason").to_owned(),
    };
    match queue::ask_asap(State(page.state.clone()), user.clone(), ApiJson(body)).await {
        Ok(_) => redirect("/book/waiting"),
        Err(error) if error.code == "already_waiting" => redirect("/book/waiting"),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            if let Some(errors) = asap_errors(&page, &error) {
                return asap_form(&page, &user, &pairs, &errors, None, error.status).await;
            }
            // Consents missing: they are given (or withdrawn) on "my data".
            let banner = html! {
                p.notice.error role="alert" {
                    (page.t("error-consents")) " " a href="/me" { (page.t("nav-my-data")) }
                }
            };
            asap_form(
                &page,
                &user,
                &pairs,
                &FieldErrors::new(),
                Some(banner),
                error.status,
            )
            .await
        }
        Err(error) => fault(&page, error),
    }
}

/// `GET /book/waiting`: where the patient stands; refreshed in place by the page script.
pub async fn waiting(page: Page) -> Response {
    let user = match patient(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let entry = queue::own_entry(State(page.state.clone()), user.clone()).await;
    let body = match entry {
        Ok(e) => {
            let e = e.0;
            html! {
                section #waiting aria-labelledby="waiting_title" data-refresh="/book/waiting" {
                    h2 #waiting_title { (page.t_args("asap-waiting-for", &[("name", &specialty(&page, &e.specialty))])) }
                    dl.facts { (waiting_facts(&page, &e.waiting)) }
                    p.hint { (page.t("asap-keep-open")) }
                    @if let Some(slot) = &e.waiting.offered_slot {
                        (offered_slot(&page, slot, "/book/waiting/book"))
                    }
                }
                form method="post" action="/book/waiting/leave" {
                    (csrf_field(&page))
                    button.danger type="submit" { (page.t("asap-leave")) }
                }
            }
        }
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            let ready = match ready_now(&page, &user).await {
                Ok(ready) => ready,
                Err(response) => return response,
            };
            html! {
            section #waiting aria-labelledby="waiting_title" {
                @if let Some((id, name)) = &ready {
                    h2 #waiting_title { (page.t("asap-ready-title")) }
                    p role="status" { (page.t_args("asap-ready", &[("name", name)])) }
                    p { a.button.primary href=(format!("/appointments/{id}/call")) { (page.t("asap-join")) } }
                } @else {
                    h2 #waiting_title { (page.t("asap-not-waiting-title")) }
                    p role="status" { (page.t("asap-not-waiting")) }
                }
                ul.links {
                    li { a href="/home" { (page.t("asap-see-appointments")) } }
                    li { a href="/book/asap" { (page.t("asap-title")) } }
                }
            }
            }
        }
        Err(error) => return fault(&page, error),
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("asap-waiting-title"), &body),
    )
}

/// An appointment of the caller's running now (a practitioner took them: it starts at the
/// taking instant) and its practitioner, for the "join now" link.
async fn ready_now(page: &Page, user: &AuthUser) -> Result<Option<(String, String)>, Response> {
    let now = page.state.clock.now();
    let list = super::appointment::list(page, user, None).await?;
    Ok(list
        .into_iter()
        .filter(|a| matches!(a.status.as_str(), "booked" | "waiting" | "in_call"))
        .find(|a| {
            let start = a.start.parse::<teleconsult_core::Timestamp>();
            let end = a.end.parse::<teleconsult_core::Timestamp>();
            matches!((start, end), (Ok(s), Ok(e)) if s <= now && now < e)
        })
        .map(|a| (a.id, a.practitioner_name)))
}

/// The caller's own waiting entry's id (never in a URL or a form).
async fn own_id(page: &Page, user: &AuthUser) -> Result<String, ApiError> {
    Ok(queue::own_entry(State(page.state.clone()), user.clone())
        .await?
        .0
        .id)
}

/// `POST /book/waiting/leave`: leaves the line.
pub async fn leave(
    page: Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let user = match posted(&page, form) {
        Ok((user, _)) => user,
        Err(response) => return response,
    };
    let result = match own_id(&page, &user).await {
        Ok(id) => queue::withdraw(State(page.state.clone()), user, axum::extract::Path(id))
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match result {
        // Already out of the line (taken meanwhile): the waiting page says where to look.
        Ok(()) => redirect("/home"),
        Err(error) if error.status == StatusCode::NOT_FOUND => redirect("/book/waiting"),
        Err(error) => fault(&page, error),
    }
}

/// `POST /book/waiting/book`: the offered slot, booked instead of waiting.
pub async fn book(
    page: Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let Some((practitioner_id, start)) = value(&pairs, "slot")
        .split_once('|')
        .map(|(p, s)| (p.to_owned(), s.to_owned()))
    else {
        return bad_form(&page);
    };
    let result = match own_id(&page, &user).await {
        Ok(id) => queue::book_instead(
            State(page.state.clone()),
            user,
            axum::extract::Path(id),
            ApiJson(BookInsteadRequest {
                practitioner_id,
                start,
            }),
        )
        .await
        .map(|(_, view)| view.0.id),
        Err(error) => Err(error),
    };
    match result {
        Ok(id) => redirect(&format!("/appointments/{id}?booked=1")),
        Err(error) if error.status == StatusCode::NOT_FOUND => redirect("/book/waiting"),
        Err(error)
            if error.status == StatusCode::CONFLICT
                || error.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            let body = html! {
                (notice("error", &page.t("booth-slot-taken")))
                p { a href="/book/waiting" { (page.t("back")) } }
            };
            respond(
                error.status,
                document(&page, &page.t("asap-waiting-title"), &body),
            )
        }
        Err(error) => fault(&page, error),
    }
}
