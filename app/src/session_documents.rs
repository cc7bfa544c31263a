//! The documents of the booth's sessions on the staff console (issue #19 item 4,
//! `docs/booth.md` rule 7): staff print what the practitioner issued for the person in the
//! cabin, during the session and until an hour after it ended (`core::printing`'s window).
//!
//! The console lists the sessions whose documents still print — the one holding the cabin,
//! then those that ended within the window, latest first — each with its *current* documents
//! (a corrected one is replaced by its correction): kind, number, time of issue. Never their
//! content: staff hand the paper over, they do not read it. Printing one from the console names
//! the session too, and is refused as a document that does not exist (404) unless it is one of
//! that session's current documents; then it is the same use case as the API's
//! (`App::print_document`: the rule, the audit, the PDF).
//!
//! Audit: each session listed is read as `GET /booth/sessions/{id}` reads it (the session, its
//! patient's minimum, its appointment); its document list is one read `booth_session_documents`
//! of the session.

use crate::booth::SessionView;
use crate::print::PrintOrder;
use crate::{App, AppError, actor_of, event};
use teleconsult_core::Timestamp;
use teleconsult_core::account::Account;
use teleconsult_core::audit::Action;
use teleconsult_core::booth::{BoothSession, BoothSessionId};
use teleconsult_core::document::{
    DocumentKind, DocumentNumber, DocumentStatus, IssuedDocument, SickLeavePart,
};
use teleconsult_core::ids::{AppointmentId, DocumentId};
use teleconsult_core::printing::{in_staff_window, staff_window_start};

/// A document of a booth session as the console lists it: what it is, never what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDocument {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub number: DocumentNumber,
    pub issued_at: Timestamp,
    /// The copies printed one by one (a sick-leave certificate's three parts); empty: the
    /// document prints whole.
    pub parts: Vec<SickLeavePart>,
}

/// A booth session and its current documents.
#[derive(Clone, Debug)]
pub struct SessionDocuments {
    pub view: SessionView,
    /// In the order they were issued.
    pub documents: Vec<SessionDocument>,
}

/// What the staff console shows of the booth's sessions.
#[derive(Clone, Debug)]
pub struct ConsoleSessions {
    /// The session holding the cabin.
    pub open: Option<SessionDocuments>,
    /// Sessions with an appointment that ended within the print window, the latest end first.
    pub ended: Vec<SessionDocuments>,
}

fn listed(document: &IssuedDocument, session: &BoothSession, appointment: AppointmentId) -> bool {
    let d = &document.document;
    d.appointment == appointment
        && d.patient == session.patient
        && d.status == DocumentStatus::Issued
}

impl App {
    /// The console's sessions (booth staff only): the one holding the cabin and those that
    /// ended within the print window, each with its current documents (metadata only).
    pub fn console_sessions(&self, actor: &Account) -> Result<ConsoleSessions, AppError> {
        self.require_booth_staff(actor)?;
        let now = self.now();
        let open = self.cabin_session()?;
        let open_id = open.as_ref().map(|s| s.id);
        let ended = self
            .store
            .booth_sessions_ended_since(staff_window_start(now))?
            .into_iter()
            .filter(|s| Some(s.id) != open_id && s.appointment().is_some())
            .filter(|s| in_staff_window(s, now));
        let sessions: Vec<BoothSession> = open.into_iter().chain(ended).collect();
        let who = actor_of(actor);
        let held: Vec<(BoothSessionId, AppointmentId)> = sessions
            .iter()
            .filter_map(|s| Some((s.id, s.appointment()?)))
            .collect();
        let documents = if held.is_empty() {
            Vec::new()
        } else {
            let appointments: Vec<AppointmentId> = held.iter().map(|(_, a)| *a).collect();
            let reads: Vec<_> = held
                .iter()
                .map(|(s, _)| event(now, &who, Action::Read, "booth_session_documents", s))
                .collect();
            self.store
                .documents_of_appointments(&appointments, &reads)?
        };
        let mut listed_sessions = Vec::with_capacity(sessions.len());
        for session in &sessions {
            let view = match self.session_view(actor, session.id) {
                Ok(view) => view,
                // Gone since it was listed: nothing to show.
                Err(AppError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            let mut of_session: Vec<SessionDocument> = match session.appointment() {
                Some(a) => documents
                    .iter()
                    .filter(|d| listed(d, session, a))
                    .map(summary)
                    .collect(),
                None => Vec::new(),
            };
            of_session.sort_by(|a, b| (a.issued_at, &a.number).cmp(&(b.issued_at, &b.number)));
            listed_sessions.push(SessionDocuments {
                view,
                documents: of_session,
            });
        }
        let mut listed_sessions = listed_sessions.into_iter();
        let open = match open_id {
            Some(_) => listed_sessions.next(),
            None => None,
        };
        Ok(ConsoleSessions {
            open,
            ended: listed_sessions.collect(),
        })
    }

    /// Prints document `document` of booth session `session` from the console (booth staff
    /// only; `part` of a sick-leave certificate). Not one of the session's current documents,
    /// or no such session: `NotFound`. Then as [`App::print_document`]: the window, the cabin,
    /// the printer, the audit.
    pub fn print_session_document(
        &self,
        actor: &Account,
        session: BoothSessionId,
        document: DocumentId,
        part: Option<SickLeavePart>,
    ) -> Result<PrintOrder, AppError> {
        self.require_booth_staff(actor)?;
        let held = self
            .store
            .booth_session(session)?
            .ok_or(AppError::NotFound)?;
        let appointment = held.appointment().ok_or(AppError::NotFound)?;
        self.print_if(actor, document, part, &|d| listed(d, &held, appointment))
    }
}

fn summary(document: &IssuedDocument) -> SessionDocument {
    let d = &document.document;
    SessionDocument {
        id: d.id,
        kind: d.kind,
        number: d.number.clone(),
        issued_at: d.issued_at,
        parts: match d.kind {
            DocumentKind::SickLeaveCertificate => SickLeavePart::ALL.to_vec(),
            _ => Vec::new(),
        },
    }
}
