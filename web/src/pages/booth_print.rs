//! Printing from the staff console (issue #19 item 4, `docs/booth.md` rule 7): the documents
//! of the session in the cabin, and of the sessions that ended within the print window, listed
//! by what they are — kind, number, time of issue, never their content — each with its
//! "Print" button (a sick-leave certificate: one per part). The list comes from the
//! application (`App::console_sessions`); the button posts
//! `POST /booth/sessions/{session}/documents/{document}/print`, which prints through the same
//! use case as `POST /api/v1/documents/{id}/print` (`App::print_session_document`: a document
//! of that session only) and comes back to the console with the job, or with the refusal in
//! words.

use super::booth::{console_with, posted, refused_console};
use super::context::Page;
use super::documents_forms::Kind;
use super::errors::redirect;
use super::format::date_time;
use super::layout::{csrf_field, notice};
use crate::auth::AuthUser;
use crate::booth::BoothSessionView;
use crate::documents::print::{self, PrintJobView};
use crate::error::ApiError;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path};
use axum::response::Response;
use maud::{Markup, html};
use teleconsult_app::session_documents::SessionDocument;
use teleconsult_core::Timestamp;
use teleconsult_core::document::{DocumentKind, SickLeavePart};

/// A session the console lists, with its documents.
pub(super) struct Listed {
    pub(super) view: BoothSessionView,
    pub(super) documents: Vec<SessionDocument>,
}

fn kind_name(page: &Page, kind: DocumentKind) -> String {
    let kind = match kind {
        DocumentKind::Prescription => Kind::Prescription,
        DocumentKind::LabRequest => Kind::LabRequest,
        DocumentKind::SickLeaveCertificate => Kind::SickLeave,
        DocumentKind::FeeMemo => Kind::FeeMemo,
        DocumentKind::ConsultationReport => Kind::Report,
    };
    page.t(kind.title_id())
}

fn part_name(page: &Page, part: SickLeavePart) -> String {
    page.t(match part {
        SickLeavePart::Insurer => "booth-print-part-insurer",
        SickLeavePart::Patient => "booth-print-part-patient",
        SickLeavePart::Employer => "booth-print-part-employer",
    })
}

/// One "Print" button: the whole document, or one part of a sick-leave certificate.
fn print_button(
    page: &Page,
    session: &str,
    d: &SessionDocument,
    part: Option<SickLeavePart>,
) -> Markup {
    let kind = kind_name(page, d.kind);
    let number = d.number.to_string();
    let (text, label) = match part {
        None => (
            page.t("booth-print"),
            page.t_args("booth-print-label", &[("kind", &kind), ("number", &number)]),
        ),
        Some(part) => {
            let name = part_name(page, part);
            let label = page.t_args(
                "booth-print-part-label",
                &[("part", &name), ("kind", &kind), ("number", &number)],
            );
            (name, label)
        }
    };
    html! {
        form.inline method="post" action=(format!("/booth/sessions/{session}/documents/{}/print", d.id)) {
            (csrf_field(page))
            @if let Some(part) = part {
                input type="hidden" name="part" value=(part.name());
            }
            button type="submit" aria-label=(label) { (text) }
        }
    }
}

/// The documents of session `session` (its id), under their heading.
pub(super) fn documents(page: &Page, session: &str, documents: &[SessionDocument]) -> Markup {
    let title = format!("documents_{session}");
    html! {
        h3 id=(title) { (page.t("booth-documents-title")) }
        @if documents.is_empty() {
            p { (page.t("booth-documents-none")) }
        } @else {
            div.table-wrap tabindex="0" role="region" aria-labelledby=(title) { table.day {
                thead { tr {
                    th scope="col" { (page.t("booth-document")) }
                    th scope="col" { (page.t("booth-document-number")) }
                    th scope="col" { (page.t("booth-document-issued")) }
                    th scope="col" { (page.t("booth-print")) }
                } }
                tbody {
                    @for d in documents {
                        tr {
                            td { (kind_name(page, d.kind)) }
                            td { (d.number.to_string()) }
                            td { (date_time(page, d.issued_at)) }
                            td {
                                @if d.parts.is_empty() {
                                    (print_button(page, session, d, None))
                                } @else {
                                    @for part in &d.parts {
                                        (print_button(page, session, d, Some(*part)))
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
    }
}

/// The sessions that ended within the print window, each with its documents (nothing when
/// there is none).
pub(super) fn ended_sessions(page: &Page, ended: &[Listed]) -> Markup {
    html! {
        @if !ended.is_empty() {
            div.ended-sessions {
                h3 { (page.t("booth-ended-title")) }
                p.hint { (page.t("booth-ended-hint")) }
                @for s in ended {
                    dl.facts {
                        dt { (page.t("booth-person")) }
                        dd { (super::booth_view::person(s.view.patient.as_ref())) }
                        dt { (page.t("booth-ended-at")) }
                        dd {
                            (s.view.ended_at.as_deref()
                                .and_then(|t| t.parse::<Timestamp>().ok())
                                .map(|t| date_time(page, t))
                                .unwrap_or_default())
                        }
                    }
                    (documents(page, &s.view.id, &s.documents))
                }
            }
        }
    }
}

/// The page's words for a print refused (the console's and the document page's), by the
/// API's error code.
pub(super) fn refusal_id(error: &ApiError) -> Option<&'static str> {
    Some(match error.code {
        "print_window_closed" => "booth-print-window-closed",
        "cabin_in_use" => "booth-print-cabin-in-use",
        "not_at_the_booth" => "booth-print-not-at-booth",
        "printing_unavailable" => "booth-printing-off",
        "printer_unavailable" => "booth-print-unavailable",
        _ => return None,
    })
}

/// A CUPS job id as the console shows it (the name of a queue and a number).
pub(super) fn job_text(job: &str) -> String {
    job.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect()
}

/// What the console shows after a print from staff: the job, or the refusal in words.
pub(super) async fn printed(
    page: &Page,
    user: &AuthUser,
    result: Result<PrintJobView, ApiError>,
) -> Response {
    match result {
        Ok(job) => redirect(&format!(
            "/booth?done=printed&job={}",
            job_text(&job.job_id)
        )),
        Err(error) => {
            let status = error.status;
            match refusal_id(&error) {
                Some(id) => console_with(page, user, notice("error", &page.t(id)), status).await,
                None => refused_console(page, user, error).await,
            }
        }
    }
}

/// `POST /booth/sessions/{session}/documents/{document}/print`: prints a document of a
/// session (optionally `part` of a sick-leave certificate) on the cabin's printer; back to
/// the console with the job, or with the refusal.
pub async fn print(
    page: Page,
    Path((session, document)): Path<(String, String)>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let part = pairs
        .iter()
        .find(|(k, _)| k == "part")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|p| !p.is_empty());
    let result =
        print::print_session_document(&page.state, user.clone(), &session, &document, part).await;
    printed(&page, &user, result).await
}

/// Staff printing through the document page's form (`POST /documents/{id}/print`): they
/// cannot see that page, so they come back to the console, as from its own button.
pub(super) async fn from_document_page(
    page: &Page,
    user: AuthUser,
    id: &str,
    part: Option<String>,
) -> Response {
    let result = print::print(&page.state, user.clone(), id, part).await;
    printed(page, &user, result).await
}
