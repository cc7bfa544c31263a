//! Printing a document on the booth's printer (issue #7, issue #19): the handlers — parse,
//! call the use case, map. The printer is the `Printer` port of `teleconsult-app`, whose CUPS
//! adapter (`teleconsult_render::print::CupsPrinter`) the daemon wires.
//!
//! Who prints what, and when, is the use case's (`teleconsult_app::print`, rule 7 of
//! `docs/booth.md`): the patient's side while they sit in the cabin, booth staff for the
//! documents of a booth session until an hour after it ended. It audits every print.

use super::document_id;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use teleconsult_core::document::SickLeavePart;
use utoipa::ToSchema;

/// Which copy to print. Sick-leave certificates: `1`/`insurer`, `2`/`patient` (the default) or
/// `3`/`employer` (without diagnosis), as for the PDF; other kinds have no parts.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintRequest {
    #[schema(value_type = Option<String>, example = "employer")]
    pub part: Option<PartName>,
}

/// A part given as a number or a name.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PartName {
    Number(u8),
    Name(String),
}

impl PartName {
    fn text(&self) -> String {
        match self {
            PartName::Number(n) => n.to_string(),
            PartName::Name(s) => s.clone(),
        }
    }
}

/// The job CUPS queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrintJobView {
    /// CUPS job id as `lp` reported it, e.g. `booth-42`.
    pub job_id: String,
}

/// Prints a document for `user` (shared by the API and the pages): the use case decides
/// (`teleconsult_app::print`, `docs/booth.md` rule 7), then the job goes to the printer.
pub async fn print(
    state: &AppState,
    user: AuthUser,
    id: &str,
    part: Option<String>,
) -> Result<PrintJobView, ApiError> {
    let id = document_id(id)?;
    let part = part_of(part)?;
    let order = state
        .blocking(move |inner| Ok(inner.app.print_document(&user.account, id, part)?))
        .await?;
    let printed = order.submit().await?;
    Ok(PrintJobView {
        job_id: printed.job_id,
    })
}

/// Prints document `document` of booth session `session` from the staff console: the same
/// use case as [`print`], for a document of that session only (`App::print_session_document`;
/// any other: 404).
pub async fn print_session_document(
    state: &AppState,
    user: AuthUser,
    session: &str,
    document: &str,
    part: Option<String>,
) -> Result<PrintJobView, ApiError> {
    let session = session.parse().map_err(|_| ApiError::not_found())?;
    let document = document_id(document)?;
    let part = part_of(part)?;
    let order = state
        .blocking(move |inner| {
            Ok(inner
                .app
                .print_session_document(&user.account, session, document, part)?)
        })
        .await?;
    let printed = order.submit().await?;
    Ok(PrintJobView {
        job_id: printed.job_id,
    })
}

/// The part asked for, by number or name (422 on `part` otherwise).
fn part_of(part: Option<String>) -> Result<Option<SickLeavePart>, ApiError> {
    part.map(|p| p.parse::<SickLeavePart>())
        .transpose()
        .map_err(|e| ApiError::invalid_fields(BTreeMap::from([("part".to_owned(), e.to_string())])))
}

/// Prints a document on the booth's cabin printer (`docs/booth.md` rule 7): the patient's side
/// while they sit in the cabin (a booth session of theirs open); booth staff, from the console,
/// the documents of an appointment held at the booth while its session is open and until an
/// hour after it ended. Sick-leave certificates print one part per request
/// (`{"part": "employer"}`); the body may be empty. 202 once CUPS queued the job. Every print
/// is audited (`document_print`).
#[utoipa::path(post, path = "/documents/{id}/print", tag = "documents",
    params(("id" = String, Path)), request_body(content = Option<PrintRequest>, description = "Optional: which part of a sick-leave certificate"),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued on the printer", body = PrintJobView),
        (status = 404, description = "No such document, or not the caller's to print (staff: not of an appointment held at their booth)", body = crate::error::ErrorBody),
        (status = 409, description = "`printing_unavailable`: this site does not print; `not_at_the_booth`: the patient's side is not in the cabin (no booth session of theirs open) — download the PDF instead; `print_window_closed`: staff, the booth session ended more than an hour ago; `cabin_in_use`: staff, the session ended and the next person is in the cabin", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown part, or a part of a document that has none", body = crate::error::ErrorBody),
        (status = 503, description = "`printer_unavailable`: CUPS refused or did not answer", body = crate::error::ErrorBody)))]
pub async fn print_document(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<PrintJobView>), ApiError> {
    let request: PrintRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PrintRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            if e.is_data() {
                // serde's text names fields and types, never values.
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    e.to_string(),
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    "the body is not JSON",
                )
            }
        })?
    };
    let part = request.part.as_ref().map(PartName::text);
    let job = print(&state, user, &id, part).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}
