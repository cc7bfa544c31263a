//! Printing a document on the cabin's printer (`docs/booth.md` rule 7): the patient's side
//! while they sit in the cabin, booth staff for the documents of a booth session while it is
//! open and for an hour after it ended (`core::printing::may_print` decides). The API's
//! `POST /documents/{id}/print`, the patient's document page and the staff console call this
//! (the console through `session_documents.rs`, for a document of the session it names).
//!
//! A print is a disclosure: it is audited as an export (`document_print`), with the PDF's
//! read, before the printer is handed the job (an attempt that failed may still have put
//! paper in the tray). Every attempt records a read of the document, refused or not.
//!
//! Nothing of the document reaches the log: the job title is the document number; a failure
//! is logged with what the printer adapter says (CUPS names the destination, never the
//! content).

use crate::{App, AppError, actor_of, event};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use teleconsult_core::account::{Account, Role};
use teleconsult_core::audit::Action;
use teleconsult_core::booth::BoothSession;
use teleconsult_core::document::{DocumentContent, IssuedDocument, SickLeavePart};
use teleconsult_core::ids::DocumentId;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::printing::{Booth, PrintRefusal, may_print};
use teleconsult_core::site::SiteKind;

/// The booth's printer (CUPS in production). Returns at once with the job to await.
pub trait Printer: Send + Sync {
    /// Hands `pdf` to the printer, titled `title` (the document number); the job id.
    fn submit(&self, title: String, pdf: Vec<u8>) -> PrintJob;
}

/// A job being handed to the printer.
pub type PrintJob = Pin<Box<dyn Future<Output = Result<String, PrinterError>> + Send>>;

/// The printer did not take the job (unreachable, refused, too slow): the site's fault,
/// perhaps passing. The text names no health data.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PrinterError(pub String);

/// What printing a document decided: the PDF, ready for the printer (see
/// [`App::print_document`]).
pub struct PrintOrder {
    printer: Arc<dyn Printer>,
    title: String,
    pdf: Vec<u8>,
}

impl std::fmt::Debug for PrintOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintOrder")
            .field("title", &self.title)
            .finish_non_exhaustive()
    }
}

/// The job the printer queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Printed {
    /// As the printer reported it, e.g. `booth-42`.
    pub job_id: String,
}

impl PrintOrder {
    /// Hands the PDF to the printer.
    pub async fn submit(self) -> Result<Printed, AppError> {
        match self.printer.submit(self.title, self.pdf).await {
            Ok(job_id) => {
                tracing::info!(job = %job_id, "document sent to the printer");
                Ok(Printed { job_id })
            }
            Err(e) => {
                tracing::warn!(error = %e, "printing a document failed");
                Err(AppError::PrinterUnavailable)
            }
        }
    }
}

impl App {
    /// Plugs in the booth's printer (the web layer does when `[print]` is on).
    pub fn set_printer(&self, printer: Arc<dyn Printer>) {
        *self.printer.write().unwrap_or_else(PoisonError::into_inner) = Some(printer);
    }

    /// Whether this site prints at all.
    pub fn prints(&self) -> bool {
        self.printer().is_some()
    }

    /// The open session holding the cabin, if any.
    fn open_cabin(&self) -> Result<Option<BoothSession>, AppError> {
        Ok(match self.store.cabin()? {
            Some(open) => self.store.booth_session(open)?,
            None => None,
        })
    }

    fn printer(&self) -> Option<Arc<dyn Printer>> {
        self.printer
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Decides whether `account` prints document `id` (`part` of a sick-leave certificate,
    /// by default the patient's), records the print and reads its PDF: then
    /// [`PrintOrder::submit`]. Blocking (storage); the submit is not.
    ///
    /// Refusals, in this order: not the caller's (`NotFound`, as a document that does not
    /// exist); a part of a document that has none (422 on `part`); the site does not print
    /// (409 `printing_unavailable`); the patient's side not in the cabin (409
    /// `not_at_the_booth`); staff more than an hour after the session ended (409
    /// `print_window_closed`), or after it while the next person is in the cabin (409
    /// `cabin_in_use`).
    pub fn print_document(
        &self,
        account: &Account,
        id: DocumentId,
        part: Option<SickLeavePart>,
    ) -> Result<PrintOrder, AppError> {
        self.print_if(account, id, part, &|_| true)
    }

    /// [`App::print_document`] for a document `belongs` accepts: any other is answered as a
    /// document that does not exist, before anything else is decided (the staff console
    /// prints a document of the session it names only).
    pub(crate) fn print_if(
        &self,
        account: &Account,
        id: DocumentId,
        part: Option<SickLeavePart>,
        belongs: &dyn Fn(&IssuedDocument) -> bool,
    ) -> Result<PrintOrder, AppError> {
        let now = self.now();
        let actor = actor_of(account);
        let read = event(now, &actor, Action::Read, "document", id);
        let document = self
            .store
            .document_record(id, &read)?
            .filter(|d| belongs(d))
            .ok_or(AppError::NotFound)?;
        let header = &document.document;
        let site = self.settings.site_kind;
        let at_the_booth = site == SiteKind::Booth;
        let (mut appointment, mut session, mut cabin) = (None, None, None);
        match account.role {
            Role::Staff if at_the_booth => {
                let read = event(now, &actor, Action::Read, "appointment", header.appointment);
                appointment = self.store.appointment_record(header.appointment, &read)?;
                session = self
                    .store
                    .booth_session_of_appointment(header.patient, header.appointment)?;
                cabin = self.open_cabin()?;
            }
            Role::Patient if at_the_booth && account.acts_for(header.patient) => {
                cabin = self.open_cabin()?;
            }
            _ => {}
        }
        let booth = Booth {
            site,
            appointment: appointment.as_ref(),
            session: session.as_ref(),
            cabin: cabin.as_ref(),
        };
        let decision = may_print(account, header, &booth, now);
        if decision == Err(PrintRefusal::NotFound) {
            return Err(AppError::NotFound);
        }
        let part = match (&document.content, part) {
            (DocumentContent::SickLeaveCertificate(_), part) => {
                Some(part.unwrap_or(SickLeavePart::Patient))
            }
            (_, None) => None,
            (_, Some(_)) => {
                return Err(AppError::field(
                    "part",
                    "only sick-leave certificates have parts",
                ));
            }
        };
        let Some(printer) = self.printer() else {
            return Err(AppError::conflict(
                "printing_unavailable",
                "printing is not available at this site",
            ));
        };
        decision.map_err(|refusal| match refusal {
            PrintRefusal::NotAtTheBooth => {
                AppError::conflict("not_at_the_booth", refusal.to_string())
            }
            PrintRefusal::WindowClosed => {
                AppError::conflict("print_window_closed", refusal.to_string())
            }
            PrintRefusal::CabinInUse => AppError::conflict("cabin_in_use", refusal.to_string()),
            PrintRefusal::NotFound => AppError::NotFound,
        })?;
        let export = event(now, &actor, Action::Export, "document_print", id);
        let pdf = self.store.document_pdf(id, part, &export)?.ok_or_else(|| {
            AppError::Repository(RepositoryError::Corrupt(format!(
                "document {id} has no stored PDF"
            )))
        })?;
        Ok(PrintOrder {
            printer,
            title: header.number.to_string(),
            pdf,
        })
    }
}
