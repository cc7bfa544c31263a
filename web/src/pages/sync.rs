//! The sync page: how the national-platform sync is doing, the booking conflicts with the
//! platform (staff and admins see all, a practitioner their own), and — for staff and admins —
//! the entries the platform refused, each with "retry" and "discard" (audited). The API's
//! handlers do the work (`sync_status::*`).

use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::format::date_time;
use super::layout::{csrf_field, document, notice, respond};
use super::login::CsrfOnly;
use crate::error::ApiError;
use crate::sync_status::{self, ConflictView, ParkedView};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

fn when(page: &Page, rfc3339: &str) -> String {
    rfc3339
        .parse::<Timestamp>()
        .map_or_else(|_| rfc3339.to_owned(), |t| date_time(page, t))
}

/// `GET /sync`.
pub async fn page(page: Page, query: Result<Query<DoneQuery>, QueryRejection>) -> Response {
    let Some(user) = page.user.clone() else {
        return redirect("/login");
    };
    if !matches!(
        user.account.role,
        Role::Staff | Role::Admin | Role::Practitioner
    ) {
        return fault(&page, ApiError::forbidden("your role does not allow this"));
    }
    let staff = user.account.role != Role::Practitioner;
    let status = match sync_status::sync_status(State(page.state.clone()), user.clone()).await {
        Ok(axum::Json(status)) => status,
        Err(error) => return fault(&page, error),
    };
    let conflicts: Vec<ConflictView> =
        match sync_status::sync_conflicts(State(page.state.clone()), user.clone()).await {
            Ok(axum::Json(list)) => list,
            Err(error) => return fault(&page, error),
        };
    let parked: Vec<ParkedView> = if staff {
        match sync_status::parked(State(page.state.clone()), user).await {
            Ok(axum::Json(list)) => list,
            Err(error) => return fault(&page, error),
        }
    } else {
        Vec::new()
    };
    let Query(query) = query.unwrap_or_default();
    let done = match query.done.as_str() {
        "retry" => Some(page.t("sync-retried")),
        "discard" => Some(page.t("sync-discarded")),
        _ => None,
    };
    let state_text = page.t(match (status.enabled, status.state.as_str()) {
        (false, _) => "sync-state-off",
        (true, "online") => "sync-state-online",
        (true, "degraded") => "sync-state-degraded",
        (true, _) => "sync-state-offline",
    });
    let body = html! {
        @if let Some(done) = &done { (notice("ok", done)) }
        dl.facts {
            dt { (page.t("sync-state")) }
            dd { (state_text) }
            dt { (page.t("sync-pending")) }
            dd { (status.pending) }
            dt { (page.t("sync-last-success")) }
            dd { (status.last_success.as_deref().map_or_else(|| page.t("sync-never"), |t| when(&page, t))) }
            @if let Some(error) = &status.last_error {
                dt { (page.t("sync-last-error")) }
                dd { (error) }
            }
        }
        section aria-labelledby="conflicts" {
            h2 #conflicts { (page.t("sync-conflicts")) }
            @if conflicts.is_empty() {
                p { (page.t("sync-no-conflict")) }
            } @else {
                p { (page.t("sync-conflicts-intro")) }
                ul.cards {
                    @for c in &conflicts {
                        li.card {
                            p { strong { (when(&page, &c.start)) } }
                            p { a href=(format!("/appointments/{}", c.local_appointment_id)) { (page.t("sync-conflict-local")) } }
                            p { (page.t("sync-conflict-remote")) " " code { (c.remote_id) } }
                        }
                    }
                }
            }
        }
        @if staff {
            section aria-labelledby="parked" {
                h2 #parked { (page.t("sync-parked")) }
                @if parked.is_empty() {
                    p { (page.t("sync-no-parked")) }
                } @else {
                    p { (page.t("sync-parked-intro")) }
                    ul.cards {
                        @for p in &parked {
                            li.card {
                                p { strong { (p.kind) } " — " code { (p.aggregate) } }
                                p { (page.t("sync-parked-at")) " " (when(&page, &p.parked_at)) " (HTTP " (p.status) ")" }
                                p { (p.reason) }
                                div.actions {
                                    form.inline method="post" action=(format!("/sync/parked/{}/retry", p.id)) {
                                        (csrf_field(&page))
                                        button.primary type="submit" { (page.t("sync-retry")) }
                                    }
                                    form.inline method="post" action=(format!("/sync/parked/{}/discard", p.id)) {
                                        (csrf_field(&page))
                                        button.danger type="submit" { (page.t("sync-discard")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("sync-title"), &body),
    )
}

/// `POST /sync/parked/{id}/retry` and `/discard`.
pub async fn resolve(
    page: Page,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<CsrfOnly>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    let discard = match action.as_str() {
        "retry" => false,
        "discard" => true,
        _ => return fault(&page, ApiError::not_found()),
    };
    match sync_status::resolve_parked(&page.state, user, &id, discard).await {
        Ok(()) => redirect(&format!("/sync?done={action}")),
        Err(error) => fault(&page, error),
    }
}
