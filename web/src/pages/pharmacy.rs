//! The pharmacist's page (issue #7): look a prescription up by the text of its QR code (a USB
//! scanner types it into the field, as a keyboard would) or by the patient's national id, tick
//! the items handed out, and record them. The API's handlers do the work
//! (`pharmacy::lookup`, `pharmacy::dispense`): an item is never dispensed twice, a superseded
//! prescription not at all, and the page says so in words.

use super::context::Page;
use super::csrf;
use super::documents_forms::Errors;
use super::documents_issue::{summary, text_field};
use super::errors::{bad_form, fault, redirect, refused};
use super::format::date_time;
use super::layout::{csrf_field, document, notice, respond};
use crate::auth::AuthUser;
use crate::documents::pharmacy::{self, DispenseRequest, LookupRequest, PrescriptionView};
use crate::error::ApiError;
use crate::extract::ApiJson;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;

/// What the pharmacist searched with, kept in the dispensing form to show the prescription
/// again afterwards.
#[derive(Clone, Default)]
struct Search {
    token: String,
    national_id: String,
}

impl Search {
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            token: get("token"),
            national_id: get("national_id"),
        }
    }

    fn request(&self) -> Option<LookupRequest> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        match (some(&self.token), some(&self.national_id)) {
            (None, None) => None,
            // The QR code wins: it names exactly one prescription.
            (Some(token), _) => Some(LookupRequest {
                token: Some(token),
                national_id: None,
            }),
            (None, national_id) => Some(LookupRequest {
                token: None,
                national_id,
            }),
        }
    }
}

/// The logged-in pharmacist (others: the login page, or the 404 page as for the API).
fn pharmacist(page: &Page) -> Result<AuthUser, Response> {
    match &page.user {
        Some(user) if user.account.role == Role::Pharmacist => Ok(user.clone()),
        Some(_) => Err(fault(page, ApiError::not_found())),
        None => Err(redirect("/login")),
    }
}

fn posted(
    page: &Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<(AuthUser, Vec<(String, String)>), Response> {
    let Ok(Form(pairs)) = form else {
        return Err(bad_form(page));
    };
    let sent = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    let user = csrf::check_session(page, sent)
        .map_err(|_| refused(page))?
        .clone();
    if user.account.role != Role::Pharmacist {
        return Err(fault(page, ApiError::not_found()));
    }
    Ok((user, pairs))
}

/// The two look-up forms.
fn search_forms(page: &Page, search: &Search, errors: &Errors) -> Markup {
    html! {
        (summary(page, errors))
        div.pharmacy-search {
            form method="post" action="/pharmacy" novalidate {
                (csrf_field(page))
                (text_field("token", &page.t("pharmacy-token"), "text", "", Some(&page.t("pharmacy-token-hint")), errors))
                button.primary type="submit" { (page.t("pharmacy-find")) }
            }
            form method="post" action="/pharmacy" novalidate {
                (csrf_field(page))
                (text_field("national_id", &page.t("pharmacy-national-id"), "text", &search.national_id, None, errors))
                button type="submit" { (page.t("pharmacy-find-patient")) }
            }
        }
    }
}

fn when(page: &Page, at: &str) -> String {
    at.parse::<Timestamp>()
        .map(|t| date_time(page, t))
        .unwrap_or_default()
}

/// One prescription: who and when, its items (those left with a checkbox), and the button.
fn prescription(page: &Page, p: &PrescriptionView, search: &Search) -> Markup {
    let open = p.status == "issued" && !p.fully_dispensed;
    let heading = format!("rx-{}", p.id);
    html! {
        section.prescription aria-labelledby=(heading) {
            h2 id=(heading) { (page.t("doc-title-prescription")) " " (p.number) }
            dl.facts {
                dt { (page.t("doc-patient")) }
                dd { (p.patient_name) " (" (p.patient_birth_date) ")" }
                dt { (page.t("doc-practitioner")) }
                dd { (p.practitioner_name) }
                dt { (page.t("doc-issued-at")) }
                dd { (when(page, &p.issued_at)) }
            }
            @if p.status == "superseded" {
                (notice("error", &page.t("pharmacy-superseded")))
            } @else if p.fully_dispensed {
                (notice("info", &page.t("pharmacy-fully-dispensed")))
            }
            form method="post" action=(format!("/pharmacy/{}/dispense", p.id)) {
                (csrf_field(page))
                input type="hidden" name="token" value=(search.token);
                input type="hidden" name="national_id" value=(search.national_id);
                fieldset {
                    legend { (page.t("pharmacy-items")) }
                    ul.items {
                        @for item in &p.items {
                            @let id = format!("rx-{}-{}", p.id, item.index);
                            li {
                                @if let Some(at) = &item.dispensed_at {
                                    p.dispensed {
                                        strong { (item.medication) " " (item.dose) } " — " (item.form) ", " (item.posology) ", " (item.duration)
                                        br; em { (page.t_args("docs-dispensed-on", &[("date", &when(page, at))])) }
                                    }
                                } @else {
                                    div.field.checkbox {
                                        input id=(id) type="checkbox" name="item" value=(item.index) disabled[!open];
                                        label for=(id) {
                                            (item.medication) " " (item.dose) " — " (item.form) ", " (item.posology) ", " (item.duration)
                                            @if item.substitution_allowed { " — " (page.t("docs-substitution-yes")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if open {
                    button.primary type="submit" { (page.t("pharmacy-dispense")) }
                }
            }
        }
    }
}

fn results_page(
    page: &Page,
    search: &Search,
    found: &[PrescriptionView],
    banner: Option<Markup>,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let body = html! {
        @if let Some(banner) = banner { (banner) }
        @for p in found { (prescription(page, p, search)) }
        h2 { (page.t("pharmacy-search-title")) }
        (search_forms(page, search, errors))
    };
    respond(status, document(page, &page.t("pharmacy-title"), &body))
}

/// `GET /pharmacy`: the look-up forms.
pub async fn page(page: Page) -> Response {
    if let Err(response) = pharmacist(&page) {
        return response;
    }
    let body = html! {
        p.lead { (page.t("pharmacy-intro")) }
        (search_forms(&page, &Search::default(), &Errors::new()))
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("pharmacy-title"), &body),
    )
}

async fn lookup(
    page: &Page,
    user: &AuthUser,
    search: &Search,
) -> Result<Vec<PrescriptionView>, ApiError> {
    let Some(request) = search.request() else {
        return Err(ApiError::invalid_fields(
            [("token".to_owned(), String::new())].into(),
        ));
    };
    pharmacy::lookup(State(page.state.clone()), user.clone(), ApiJson(request))
        .await
        .map(|axum::Json(list)| list)
}

/// `POST /pharmacy`: the prescriptions found, each with its items to tick.
pub async fn find(
    page: Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let search = Search::from_pairs(&pairs);
    match lookup(&page, &user, &search).await {
        Ok(found) if found.is_empty() => {
            let banner = notice("info", &page.t("pharmacy-none-for-patient"));
            results_page(
                &page,
                &search,
                &[],
                Some(banner),
                &Errors::new(),
                StatusCode::OK,
            )
        }
        Ok(found) => results_page(&page, &search, &found, None, &Errors::new(), StatusCode::OK),
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            let banner = notice("error", &page.t("pharmacy-unknown-code"));
            results_page(
                &page,
                &search,
                &[],
                Some(banner),
                &Errors::new(),
                StatusCode::NOT_FOUND,
            )
        }
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let errors = if search.token.is_empty() && !search.national_id.is_empty() {
                Errors::from([("national_id".to_owned(), page.t("error-national-id"))])
            } else {
                Errors::from([("token".to_owned(), page.t("pharmacy-error-search"))])
            };
            results_page(&page, &search, &[], None, &errors, error.status)
        }
        Err(error) => fault(&page, error),
    }
}

/// `POST /pharmacy/{id}/dispense`: records the ticked items; then the prescription as it is
/// now, with what happened (or why nothing did: already dispensed, superseded).
pub async fn dispense(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let search = Search::from_pairs(&pairs);
    let mut items = Vec::new();
    for (key, value) in &pairs {
        if key == "item" {
            match value.parse::<usize>() {
                Ok(index) => items.push(index),
                Err(_) => return bad_form(&page),
            }
        }
    }
    let result = pharmacy::dispense(
        State(page.state.clone()),
        user.clone(),
        Path(id),
        ApiJson(DispenseRequest { items }),
    )
    .await;
    let (message, status) = match result {
        Ok(axum::Json(view)) => {
            let banner = notice("success", &page.t("pharmacy-dispensed"));
            return results_page(
                &page,
                &search,
                &[view],
                Some(banner),
                &Errors::new(),
                StatusCode::OK,
            );
        }
        Err(error) if error.status == StatusCode::CONFLICT => {
            let id = match error.code {
                "already_dispensed" => "pharmacy-already-dispensed",
                "superseded" => "pharmacy-superseded",
                _ => "pharmacy-conflict",
            };
            (page.t(id), error.status)
        }
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            (page.t("pharmacy-choose-items"), error.status)
        }
        Err(error) => return fault(&page, error),
    };
    // Show the prescription as it stands now, found again the way it was found before.
    let found = lookup(&page, &user, &search).await.unwrap_or_default();
    let banner = notice("error", &message);
    results_page(&page, &search, &found, Some(banner), &Errors::new(), status)
}
