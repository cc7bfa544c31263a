//! Printing a document on the booth's printer (issue #7, issue #19): the handler, and the CUPS
//! adapter of the application's [`Printer`] port — the stored PDF handed to CUPS with `lp`, run
//! without a shell, the PDF on its standard input, under a time limit, as an async child
//! process (the runtime never waits on it).
//!
//! Who prints what, and when, is the use case's (`teleconsult_app::print`, rule 7 of
//! `docs/booth.md`): the patient's side while they sit in the cabin, booth staff for the
//! documents of a booth session until an hour after it ended. It audits every print.
//!
//! Nothing of the document reaches the log: the job title is the document number; a failure is
//! logged with `lp`'s exit status and its first line of error (CUPS names the destination, never
//! the content).

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
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use teleconsult_app::print::{PrintJob, Printer, PrinterError};
use teleconsult_core::document::SickLeavePart;
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

/// Where and how documents are printed (`[print]` in the configuration); absent: printing is
/// off and the print endpoint answers 409 `printing_unavailable`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintSettings {
    /// The `lp` program (name looked up in `PATH`, or an absolute path).
    pub command: PathBuf,
    /// CUPS destination (`-d`); `None`: the CUPS default destination.
    pub printer: Option<String>,
    /// CUPS server (`-h`); `None`: the CUPS client's default.
    pub server: Option<String>,
    /// Longest wait for `lp` to hand the job to CUPS.
    pub timeout: Duration,
}

/// Why `lp` did not queue a job (the use case answers 503 `printer_unavailable`).
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// `lp` could not be started (not installed, not executable).
    #[error("cannot run the print command: {0}")]
    Spawn(std::io::Error),
    /// `lp` refused: CUPS unreachable, unknown printer, printer not accepting jobs.
    #[error("the print command failed ({status}): {reason}")]
    Refused { status: String, reason: String },
    /// `lp` did not finish in time (it was killed).
    #[error("the print command did not finish within {0:?}")]
    TimedOut(Duration),
    /// `lp` succeeded without saying which job it queued.
    #[error("the print command gave no job id")]
    NoJobId,
}

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

/// The job id in `lp`'s answer, `request id is booth-42 (1 file(s))` (the C locale's wording:
/// `lp` runs with `LC_ALL=C`).
pub fn job_id(stdout: &str) -> Option<String> {
    let rest = stdout.split("request id is ").nth(1)?;
    let id = rest.split_whitespace().next()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// Hands `pdf` to CUPS; returns the job id.
pub async fn submit(
    settings: &PrintSettings,
    title: &str,
    pdf: Vec<u8>,
) -> Result<String, PrintError> {
    let mut command = tokio::process::Command::new(&settings.command);
    if let Some(server) = &settings.server {
        command.arg("-h").arg(server);
    }
    if let Some(printer) = &settings.printer {
        command.arg("-d").arg(printer);
    }
    command
        .arg("-t")
        .arg(title)
        // Messages in English whatever the daemon's locale, so the job id can be read.
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(PrintError::Spawn)?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| PrintError::Spawn(std::io::Error::other("no standard input")))?;
    let run = async move {
        // Written while lp runs (a large PDF would fill the pipe otherwise); lp reading less
        // than everything shows in its exit status.
        let write = async move {
            let written = stdin.write_all(&pdf).await;
            drop(stdin);
            written
        };
        let (written, output) = tokio::join!(write, child.wait_with_output());
        (written, output)
    };
    let (written, output) = tokio::time::timeout(settings.timeout, run)
        .await
        .map_err(|_| PrintError::TimedOut(settings.timeout))?;
    let output = output.map_err(PrintError::Spawn)?;
    if !output.status.success() || written.is_err() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(PrintError::Refused {
            status: output.status.to_string(),
            reason: stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message")
                .chars()
                .take(200)
                .collect(),
        });
    }
    job_id(&String::from_utf8_lossy(&output.stdout)).ok_or(PrintError::NoJobId)
}

/// The CUPS adapter of the application's printer port.
#[derive(Clone, Debug)]
pub struct CupsPrinter(pub PrintSettings);

impl Printer for CupsPrinter {
    fn submit(&self, title: String, pdf: Vec<u8>) -> PrintJob {
        let settings = self.0.clone();
        Box::pin(async move {
            submit(&settings, &title, pdf)
                .await
                .map_err(|e| PrinterError(e.to_string()))
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_id_is_read_from_lp() {
        assert_eq!(
            job_id("request id is booth-42 (0 file(s))\n").as_deref(),
            Some("booth-42")
        );
        assert_eq!(
            job_id("request id is A4_Laser-7 (1 file(s))").as_deref(),
            Some("A4_Laser-7")
        );
        assert_eq!(job_id(""), None);
        assert_eq!(
            job_id("lp: Error - no default destination available."),
            None
        );
    }

    #[tokio::test]
    async fn a_missing_command_or_a_failing_one_is_an_error_not_a_hang() {
        let settings = |command: &str| PrintSettings {
            command: command.into(),
            printer: Some("booth".into()),
            server: Some("127.0.0.1:9".into()),
            timeout: Duration::from_secs(20),
        };
        let missing = submit(&settings("/nonexistent/lp"), "T", b"%PDF".to_vec()).await;
        assert!(matches!(missing, Err(PrintError::Spawn(_))), "{missing:?}");
        // `false` is a real program that ignores its arguments and fails.
        let refused = submit(&settings("false"), "T", b"%PDF".to_vec()).await;
        assert!(
            matches!(refused, Err(PrintError::Refused { .. })),
            "{refused:?}"
        );
    }
}
