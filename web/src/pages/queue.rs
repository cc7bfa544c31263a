//! The practitioner's queue page (issue #19, `docs/booth.md` rules 4–5): their on-demand
//! switch, the line of their specialty (no names, no reason: those come with the appointment
//! once taken), and "next patient", which hands them the oldest entry they may take and sends
//! them to its call page. Practitioners only (others 403, as `POST /queue/next`). The API's
//! handlers and the same use case do the work.

use super::booth_view::minutes;
use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect};
use super::home::specialty;
use super::layout::{csrf_field, document, notice, respond};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::queue::{self, AvailabilityRequest, QueueView};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::account::Role;

/// The logged-in practitioner (others: the login page, or 403 as from the API).
fn practitioner(page: &Page) -> Result<AuthUser, Response> {
    match &page.user {
        Some(user) if user.account.role == Role::Practitioner => Ok(user.clone()),
        Some(_) => Err(fault(
            page,
            ApiError::forbidden("only practitioners take on-demand patients"),
        )),
        None => Err(redirect("/login")),
    }
}

fn posted(
    page: &Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<(AuthUser, Vec<(String, String)>), Response> {
    let pairs = csrf::session_form(page, form)?;
    Ok((practitioner(page)?, pairs))
}

fn origin(page: &Page, origin: &str, at_the_counter: bool) -> String {
    page.t(match (origin, at_the_counter) {
        ("booth", true) => "line-origin-counter",
        ("booth", false) => "line-origin-cabin",
        _ => "line-origin-home",
    })
}

/// The line of the practitioner's specialty, refreshed in place by the page script.
fn line(page: &Page, q: &QueueView) -> Markup {
    html! {
        section #line aria-labelledby="line_title" data-refresh="/queue" {
            h2 #line_title { (page.t("line-title")) }
            p role="status" {
                (page.t_args("line-count", &[("count", &q.entries.len().to_string())]))
                " "
                (page.t_args("booth-available", &[("count", &q.practitioners_available.to_string())]))
            }
            @if !q.entries.is_empty() {
                div.table-wrap tabindex="0" role="region" aria-labelledby="line_title" { table.day {
                    thead { tr {
                        th scope="col" { (page.t("booth-position")) }
                        th scope="col" { (page.t("booth-specialty")) }
                        th scope="col" { (page.t("line-from")) }
                        th scope="col" { (page.t("book-mode")) }
                        th scope="col" { (page.t("booth-waited")) }
                    } }
                    tbody {
                        @for r in &q.entries {
                            tr {
                                td { (r.queue_position) }
                                td {
                                    (specialty(page, &r.specialty))
                                    @if let Some(l) = &r.language { " (" (l) ")" }
                                }
                                td { (origin(page, &r.origin, r.at_the_counter)) }
                                td { (super::booking::mode_label(page, &r.mode)) }
                                td {
                                    (page.t_args("booth-minutes", &[("minutes", &minutes(r.waited_s))]))
                                    @if r.slot_offer_due { br; em { (page.t("booth-offer-due")) } }
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn render(page: &Page, q: &QueueView, banner: Option<Markup>, status: StatusCode) -> Response {
    let on = q.on_demand.unwrap_or(false);
    let body = html! {
        @if let Some(banner) = banner { (banner) }
        p.lead { (page.t("line-intro")) }
        section aria-labelledby="availability_title" {
            h2 #availability_title { (page.t("line-availability-title")) }
            p role="status" { strong { (page.t(if on { "line-on" } else { "line-off" })) } }
            form method="post" action="/queue/availability" {
                (csrf_field(page))
                input type="hidden" name="on_demand" value=(if on { "off" } else { "on" });
                button.primary[!on] type="submit" {
                    (page.t(if on { "line-switch-off" } else { "line-switch-on" }))
                }
            }
        }
        (line(page, q))
        form method="post" action="/queue/next" {
            (csrf_field(page))
            button.primary type="submit" disabled[!on] aria-describedby=[(!on).then_some("next_hint")] { (page.t("line-next")) }
            @if !on { p.hint #next_hint { (page.t("line-next-needs-on")) } }
        }
    };
    respond(status, document(page, &page.t("line-page-title"), &body))
}

async fn page_with(
    page: &Page,
    user: AuthUser,
    banner: Option<Markup>,
    status: StatusCode,
) -> Response {
    match queue::get_queue(State(page.state.clone()), user).await {
        Ok(q) => render(page, &q.0, banner, status),
        Err(error) => fault(page, error),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct LineQuery {
    /// `empty`: "next" found nobody to take.
    done: String,
}

/// `GET /queue`: the practitioner's queue page.
pub async fn page(page: Page, query: Result<Query<LineQuery>, QueryRejection>) -> Response {
    let user = match practitioner(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Query(query) = query.unwrap_or_default();
    let banner = match query.done.as_str() {
        "empty" => Some(notice("info", &page.t("line-nobody"))),
        _ => None,
    };
    page_with(&page, user, banner, StatusCode::OK).await
}

/// `POST /queue/availability`: the on-demand switch (`on_demand=on|off`), as `PUT
/// /practitioners/{own id}/availability`.
pub async fn availability(
    page: Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let on_demand = match pairs
        .iter()
        .find(|(k, _)| k == "on_demand")
        .map(|(_, v)| v.as_str())
    {
        Some("on") => true,
        Some("off") => false,
        _ => return bad_form(&page),
    };
    let Some(own) = user.account.practitioner else {
        return fault(&page, ApiError::not_found());
    };
    match queue::put_availability(
        State(page.state.clone()),
        user,
        Path(own.to_string()),
        ApiJson(AvailabilityRequest { on_demand }),
    )
    .await
    {
        Ok(_) => redirect("/queue"),
        Err(error) => fault(&page, error),
    }
}

/// `POST /queue/next`: the oldest entry the practitioner may take, handed to them only (the
/// same use case as `POST /queue/next`); on to its call page. Nobody to take: the queue page
/// says so.
pub async fn next(
    page: Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let user = match posted(&page, form) {
        Ok((user, _)) => user,
        Err(response) => return response,
    };
    let account = user.account.clone();
    let taken = page
        .state
        .blocking(move |inner| inner.app.next(&account).map_err(ApiError::from))
        .await;
    match taken {
        Ok(Some(t)) => {
            page.state.wake_workers();
            redirect(&format!("/appointments/{}/call", t.appointment))
        }
        Ok(None) => redirect("/queue?done=empty"),
        Err(error) if error.code == "not_on_demand" => {
            let banner = notice("error", &page.t("line-next-needs-on"));
            page_with(&page, user, Some(banner), error.status).await
        }
        Err(error) => fault(&page, error),
    }
}
