//! The CUPS adapter of the application's [`Printer`] port (issue #7, issue #19): the stored
//! PDF handed to CUPS with `lp`, run without a shell, the PDF on its standard input, under a
//! time limit, as an async child process (the runtime never waits on it). The daemon builds
//! it from `[print]` and gives it to the application.
//!
//! Who prints what, and when, is the use case's (`teleconsult_app::print`, rule 7 of
//! `docs/booth.md`); it audits every print.
//!
//! Nothing of the document reaches the log: the job title is the document number; a failure is
//! reported with `lp`'s exit status and its first line of error (CUPS names the destination,
//! never the content).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use teleconsult_app::print::{PrintJob, Printer, PrinterError};
use tokio::io::AsyncWriteExt;

/// Where and how documents are printed (`[print]` in the configuration; the daemon builds no
/// printer when printing is off, and the print endpoint answers 409 `printing_unavailable`).
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
