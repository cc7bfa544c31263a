//! Issued documents in pages (issue #7): a document's page (what it is, its state, the PDF
//! download links, "print" at a booth with a printer, "mark as paid" and "correct"
//! for its issuer), the list of the caller's documents, and the pieces the home and appointment
//! pages show. The API's handlers do the work (`documents::get_document`, `list_documents`,
//! `document_pdf`, `mark_paid`, `print::print`), so the same people see the same documents:
//! anyone else gets the 404 page.

use super::context::Page;
use super::csrf;
use super::documents_forms::Kind;
use super::documents_issue::accepts_documents;
use super::errors::{bad_form, fault, redirect, refused};
use super::format::{date_time, numeric_date};
use super::layout::{csrf_field, document, notice, respond};
use super::login::CsrfOnly;
use crate::appointments::AppointmentView;
use crate::auth::AuthUser;
use crate::documents::{self, DocumentView, PdfQuery};
use crate::error::ApiError;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;
use teleconsult_core::document::content::euros;
use teleconsult_core::document::{DocumentContent, SickLeavePart};

/// How many documents the patient's home page shows before "all my documents".
const ON_HOME: usize = 5;

fn logged_in(page: &Page) -> Result<AuthUser, Response> {
    page.user.clone().ok_or_else(|| redirect("/login"))
}

/// The caller's documents, newest first (a patient's own and their relatives', a
/// practitioner's issued ones).
pub async fn list_of(page: &Page, user: &AuthUser) -> Result<Vec<DocumentView>, Response> {
    documents::list_documents(State(page.state.clone()), user.clone())
        .await
        .map(|axum::Json(list)| list)
        .map_err(|error| fault(page, error))
}

/// A document's name: its kind.
fn kind_name(page: &Page, kind: &str) -> String {
    Kind::parse(kind).map_or_else(|| kind.to_owned(), |k| page.t(k.title_id()))
}

fn issued_on(page: &Page, view: &DocumentView) -> String {
    view.issued_at
        .parse::<Timestamp>()
        .map(|t| date_time(page, t))
        .unwrap_or_default()
}

/// The documents as a list of links (home page, list page, appointment page).
pub fn list_markup(page: &Page, list: &[DocumentView], with_patient: bool) -> Markup {
    html! {
        ul.documents {
            @for d in list {
                li.superseded[d.status == "superseded"] {
                    a href=(format!("/documents/{}", d.id)) { (kind_name(page, &d.kind)) " " (d.number) }
                    br;
                    span.meta {
                        (issued_on(page, d)) " — " (d.practitioner_name)
                        @if with_patient { " — " (d.patient_name) }
                        @if d.status == "superseded" { " — " (page.t("docs-state-superseded-short")) }
                    }
                }
            }
        }
    }
}

/// The "documents" section of a patient's home page: the newest few, and the way to all.
pub fn home_section(page: &Page, list: &[DocumentView]) -> Markup {
    let shown = &list[..list.len().min(ON_HOME)];
    let for_others = list.iter().any(|d| d.patient_id != list[0].patient_id);
    html! {
        @if list.is_empty() {
            p { (page.t("home-no-document")) }
        } @else {
            (list_markup(page, shown, for_others))
            p { a href="/documents" { (page.t_args("docs-see-all", &[("count", &list.len().to_string())])) } }
        }
    }
}

/// The "documents" section of an appointment's page, for its practitioner: a link per kind
/// to issue one, and those already issued for this appointment. `None` for anyone else.
pub async fn appointment_section(page: &Page, view: &AppointmentView) -> Option<Markup> {
    let user = page.user.as_ref()?;
    let own = user.account.role == Role::Practitioner
        && user.account.practitioner.map(|p| p.to_string()) == Some(view.practitioner_id.clone());
    if !own {
        return None;
    }
    let issued: Vec<DocumentView> = match list_of(page, user).await {
        Ok(list) => list
            .into_iter()
            .filter(|d| d.appointment_id == view.id)
            .collect(),
        Err(_) => return Some(notice("error", &page.t("server-error"))),
    };
    Some(html! {
        section aria-labelledby="documents" {
            h2 #documents { (page.t("docs-section-title")) }
            @if issued.is_empty() {
                p { (page.t("docs-none-for-appointment")) }
            } @else {
                (list_markup(page, &issued, false))
            }
            @if accepts_documents(&view.status) {
                h3 { (page.t("docs-issue-title")) }
                ul.links {
                    @for kind in Kind::ALL {
                        li { a href=(format!("/appointments/{}/documents/new?kind={}", view.id, kind.code())) {
                            (page.t(kind.title_id()))
                        } }
                    }
                }
            }
        }
    })
}

/// `GET /documents`: all the caller's documents.
pub async fn list(page: Page) -> Response {
    let user = match logged_in(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let list = match list_of(&page, &user).await {
        Ok(list) => list,
        Err(response) => return response,
    };
    let with_patient = user.account.role != Role::Patient
        || list.iter().any(|d| d.patient_id != list[0].patient_id);
    let body = html! {
        @if list.is_empty() {
            p { (page.t("docs-list-empty")) }
        } @else {
            (list_markup(&page, &list, with_patient))
        }
        p { a href="/home" { (page.t("back-home")) } }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("docs-list-title"), &body),
    )
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    issued: Option<String>,
    corrected: Option<String>,
    /// A correction of a document corrected already was refused.
    already_corrected: Option<String>,
    paid: Option<String>,
    /// The CUPS job id of a print just sent.
    printed: Option<String>,
}

async fn get(page: &Page, user: &AuthUser, id: &str) -> Result<DocumentView, ApiError> {
    documents::get_document(State(page.state.clone()), user.clone(), Path(id.to_owned()))
        .await
        .map(|axum::Json(v)| v)
}

/// `GET /documents/{id}`.
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
    let banner = if query.issued.is_some() {
        Some(notice("success", &page.t("docs-issued-notice")))
    } else if query.corrected.is_some() {
        Some(notice("success", &page.t("docs-corrected-notice")))
    } else if query.already_corrected.is_some() {
        Some(notice("error", &page.t("docs-correct-superseded")))
    } else if query.paid.is_some() {
        Some(notice("success", &page.t("docs-paid-notice")))
    } else if let Some(job) = &query.printed {
        let job: String = job.chars().filter(|c| job_id_char(*c)).take(64).collect();
        Some(notice(
            "success",
            &page.t_args("docs-printed-notice", &[("job", &job)]),
        ))
    } else {
        None
    };
    detail_page(&page, &user, &id, banner, StatusCode::OK).await
}

async fn detail_page(
    page: &Page,
    user: &AuthUser,
    id: &str,
    banner: Option<Markup>,
    status: StatusCode,
) -> Response {
    let view = match get(page, user, id).await {
        Ok(view) => view,
        Err(error) => return fault(page, error),
    };
    // The numbers of the versions before and after (readable by the same people).
    let mut newer = None;
    if let Some(by) = &view.superseded_by {
        newer = get(page, user, by).await.ok();
    }
    let mut older = None;
    if let Some(original) = &view.replaces {
        older = get(page, user, original).await.ok();
    }
    let is_issuer = user.account.role == Role::Practitioner
        && user.account.practitioner.map(|p| p.to_string()) == Some(view.practitioner_id.clone());
    let current = view.status == "issued";
    let unpaid = view.payment.as_ref().is_some_and(|p| p.status == "unpaid");
    // The patient at the booth prints their own documents (see `documents::print`).
    let prints = page.state.settings.printing.is_some() && user.account.role == Role::Patient;
    let state = match (&view.status[..], &newer) {
        ("superseded", Some(n)) => page.t_args("docs-state-superseded", &[("name", &n.number)]),
        ("superseded", None) => page.t("docs-state-superseded-short"),
        _ => page.t("docs-state-issued"),
    };
    let pdf = format!("/documents/{}/pdf", view.id);
    let body = html! {
        @if let Some(banner) = banner { (banner) }
        dl.facts {
            dt { (page.t("doc-number")) }
            dd { (view.number) }
            dt { (page.t("doc-issued-at")) }
            dd { (issued_on(page, &view)) }
            dt { (page.t("doc-practitioner")) }
            dd { (view.practitioner_name) }
            dt { (page.t("doc-patient")) }
            dd { (view.patient_name) }
            dt { (page.t("docs-state")) }
            dd {
                (state)
                @if let Some(n) = &newer {
                    " — " a href=(format!("/documents/{}", n.id)) { (page.t("docs-see-new-version")) }
                }
            }
            @if let Some(o) = &older {
                dt { (page.t("doc-replaces")) }
                dd { a href=(format!("/documents/{}", o.id)) { (o.number) } }
            }
            @if let Some(payment) = &view.payment {
                dt { (page.t("doc-payment-status")) }
                dd {
                    @if payment.status == "paid" {
                        @let at = payment.paid_at.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
                        (page.t_args("docs-paid-on", &[("date", &at.map(|t| date_time(page, t)).unwrap_or_default())]))
                    } @else {
                        (page.t("docs-unpaid"))
                    }
                }
            }
        }
        (content(page, &view))
        section aria-labelledby="download" {
            h2 #download { (page.t("docs-download-title")) }
            @if view.kind == "sick_leave_certificate" {
                ul.links {
                    @for part in SickLeavePart::ALL {
                        li { a.button href=(format!("{pdf}?part={}", part.number())) download {
                            (page.t(match part {
                                SickLeavePart::Insurer => "docs-pdf-insurer",
                                SickLeavePart::Patient => "docs-pdf-patient",
                                SickLeavePart::Employer => "docs-pdf-employer",
                            }))
                        } }
                    }
                }
            } @else {
                p { a.button href=(pdf) download { (page.t("docs-pdf")) } }
            }
        }
        @if current && prints {
            section aria-labelledby="print" {
                h2 #print { (page.t("docs-print-title")) }
                @if view.kind == "sick_leave_certificate" {
                    @for part in SickLeavePart::ALL {
                        (print_form(page, &view.id, Some(part)))
                    }
                } @else {
                    (print_form(page, &view.id, None))
                }
            }
        }
        // Only the issuer records a payment (see `documents::mark_paid`).
        @if current && unpaid && is_issuer {
            form method="post" action=(format!("/documents/{}/paid", view.id)) {
                (csrf_field(page))
                button.primary type="submit" { (page.t("docs-mark-paid")) }
            }
        }
        @if current && is_issuer {
            p { a.button href=(format!("/documents/{}/correct", view.id)) { (page.t("docs-correct")) } }
        }
        p {
            @if is_issuer {
                a href=(format!("/appointments/{}", view.appointment_id)) { (page.t("docs-back-appointment")) }
            } @else {
                a href="/documents" { (page.t("docs-back-list")) }
            }
        }
    };
    let title = format!("{} {}", kind_name(page, &view.kind), view.number);
    respond(status, document(page, &title, &body))
}

/// One "print" button (for a sick-leave certificate, one per part).
fn print_form(page: &Page, id: &str, part: Option<SickLeavePart>) -> Markup {
    let label = match part {
        None => "docs-print",
        Some(SickLeavePart::Insurer) => "docs-print-insurer",
        Some(SickLeavePart::Patient) => "docs-print-patient",
        Some(SickLeavePart::Employer) => "docs-print-employer",
    };
    html! {
        form.inline method="post" action=(format!("/documents/{id}/print")) {
            (csrf_field(page))
            @if let Some(part) = part {
                input type="hidden" name="part" value=(part.name());
            }
            button type="submit" { (page.t(label)) }
        }
    }
}

/// Characters of a CUPS job id (`booth-42`) shown back from the query string.
fn job_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// What the document says, in short (the PDF is the document itself).
fn content(page: &Page, view: &DocumentView) -> Markup {
    let Ok(content) = serde_json::from_value::<DocumentContent>(view.content.clone()) else {
        return html! {};
    };
    let yes_no = |b: bool| page.t(if b { "doc-yes" } else { "doc-no" });
    html! {
        section.content aria-labelledby="content" {
            h2 #content { (page.t("docs-content-title")) }
            @match &content {
                DocumentContent::Prescription(p) => {
                    ol {
                        @for (i, item) in p.items.iter().enumerate() {
                            li {
                                strong { (item.medication) } " " (item.dose) ", " (item.form)
                                br; (item.posology) " — " (item.duration)
                                br; (page.t(if item.substitution_allowed { "docs-substitution-yes" } else { "docs-substitution-no" }))
                                @if let Some(Some(at)) = view.dispensed.as_ref().and_then(|d| d.get(i)) {
                                    @let at = at.parse::<Timestamp>().ok();
                                    br; em { (page.t_args("docs-dispensed-on", &[("date", &at.map(|t| date_time(page, t)).unwrap_or_default())])) }
                                }
                            }
                        }
                    }
                }
                DocumentContent::LabRequest(r) => {
                    dl.facts {
                        dt { (page.t("doc-laboratory")) } dd { (r.laboratory.name) }
                        dt { (page.t("doc-tests")) } dd { ul { @for t in &r.tests { li { (t) } } } }
                        dt { (page.t("doc-home-visit")) } dd { (yes_no(r.home_visit)) }
                        @if !r.clinical_information.is_empty() {
                            dt { (page.t("doc-clinical-information")) } dd.text { (r.clinical_information) }
                        }
                    }
                }
                DocumentContent::SickLeaveCertificate(s) => {
                    dl.facts {
                        dt { (page.t("doc-period")) }
                        dd { (numeric_date(page.lang, s.from)) " – " (numeric_date(page.lang, s.to)) }
                        dt { (page.t("doc-diagnosis")) } dd.text { (s.diagnosis) }
                        dt { (page.t("doc-outings")) } dd { (yes_no(s.outings_allowed)) }
                    }
                }
                DocumentContent::FeeMemo(m) => {
                    div.table-wrap { table.day {
                        thead { tr {
                            th scope="col" { (page.t("doc-code")) }
                            th scope="col" { (page.t("doc-act")) }
                            th scope="col" { (page.t("doc-amount")) }
                        } }
                        tbody {
                            @for act in &m.acts {
                                tr { td { (act.code) } td { (act.label) } td { (euros(act.amount_cents)) } }
                            }
                        }
                        tfoot { tr {
                            th scope="row" colspan="2" { (page.t("doc-total")) }
                            td { strong { (euros(m.total_cents())) } }
                        } }
                    } }
                }
                DocumentContent::ConsultationReport(r) => {
                    dl.facts {
                        @if !r.reason.is_empty() { dt { (page.t("doc-reason")) } dd.text { (r.reason) } }
                        dt { (page.t("doc-findings")) } dd.text { (r.findings) }
                        @if !r.conclusion.is_empty() { dt { (page.t("doc-conclusion")) } dd.text { (r.conclusion) } }
                    }
                }
            }
        }
    }
}

/// `GET /documents/{id}/pdf[?part=]`: the stored PDF, as the API serves it.
pub async fn pdf(
    page: Page,
    Path(id): Path<String>,
    query: Result<Query<PdfQuery>, QueryRejection>,
) -> Response {
    let user = match logged_in(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Ok(query) = query else {
        return bad_form(&page);
    };
    match documents::document_pdf(State(page.state.clone()), user, Path(id), query).await {
        Ok(response) => response.into_response(),
        Err(error) => fault(&page, error),
    }
}

/// `POST /documents/{id}/paid`: a fee memo marked paid, by its issuer.
pub async fn paid(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<CsrfOnly>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    match documents::mark_paid(State(page.state.clone()), user.clone(), Path(id.clone())).await {
        Ok(_) => redirect(&format!("/documents/{id}?paid=1")),
        Err(error) if error.status == StatusCode::CONFLICT => {
            let message = page.t(match error.code {
                "already_paid" => "docs-already-paid",
                "superseded" => "docs-pay-superseded",
                _ => "docs-pay-conflict",
            });
            let banner = notice("error", &message);
            detail_page(&page, &user, &id, Some(banner), StatusCode::CONFLICT).await
        }
        Err(error) => fault(&page, error),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct PrintForm {
    csrf: String,
    part: Option<String>,
}

/// `POST /documents/{id}/print`: the patient prints a document on the booth's printer (staff
/// posting it come back to the console, `booth_print`).
pub async fn print(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<PrintForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    let part = form.part.filter(|p| !p.is_empty());
    if user.account.role == Role::Staff {
        // Staff do not see the document's page: the console shows the job or the refusal.
        return super::booth_print::from_document_page(&page, user, &id, part).await;
    }
    match documents::print::print(&page.state, user.clone(), &id, part).await {
        Ok(job) => {
            let job: String = job.job_id.chars().filter(|c| job_id_char(*c)).collect();
            redirect(&format!("/documents/{id}?printed={job}"))
        }
        Err(error)
            if matches!(
                error.code,
                "printing_unavailable"
                    | "printer_unavailable"
                    | "not_at_the_booth"
                    | "print_window_closed"
                    | "cabin_in_use"
            ) =>
        {
            let message = page.t(match error.code {
                "printing_unavailable" => "docs-printing-off",
                "not_at_the_booth" => "docs-print-not-at-booth",
                "print_window_closed" => "docs-print-window-closed",
                "cabin_in_use" => "docs-print-cabin-in-use",
                _ => "docs-print-unavailable",
            });
            detail_page(
                &page,
                &user,
                &id,
                Some(notice("error", &message)),
                error.status,
            )
            .await
        }
        Err(error) => fault(&page, error),
    }
}
