//! The documents of the booth's sessions on the staff console: listed while the session is
//! open and for the print window after it ended, metadata only, current documents only;
//! printed from the console only as a document of the session named.

use super::print::{RecordingPrinter, code, issue};
use super::*;
use crate::session_documents::ConsoleSessions;
use teleconsult_core::document::DocumentKind;
use teleconsult_core::ids::DocumentId;

fn console(s: &Site) -> ConsoleSessions {
    s.app.console_sessions(&s.staff).unwrap()
}

fn print(s: &Site, session: BoothSessionId, doc: DocumentId) -> Result<String, AppError> {
    let order = s.app.print_session_document(&s.staff, session, doc, None)?;
    let printed = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(order.submit())?;
    Ok(printed.job_id)
}

#[test]
fn the_console_lists_a_session_s_documents_until_the_print_window_closes() {
    let s = site(SiteKind::Booth);
    s.app.set_printer(Arc::new(RecordingPrinter::default()));
    let own = s.patient.patient.unwrap();
    assert!(console(&s).open.is_none());

    // A walk-in waiting: listed, no document yet.
    let started = s
        .app
        .start_session(
            &s.staff,
            queue_request(Identify::Known(own), "general_practice"),
        )
        .unwrap();
    let first = started.view.session.id;
    let listed = console(&s);
    let open = listed.open.as_ref().unwrap();
    assert_eq!(open.view.session.id, first);
    assert!(open.documents.is_empty() && listed.ended.is_empty());

    // Taken; the practitioner issues a prescription: the console lists it.
    s.app
        .set_availability(&s.gp, s.gp.practitioner.unwrap(), true)
        .unwrap();
    let taken = s.app.next(&s.gp).unwrap().unwrap();
    let appointment = appointment(&s, taken.appointment);
    let doc = issue(&s, &appointment, 1);
    let listed = console(&s);
    let docs = &listed.open.as_ref().unwrap().documents;
    assert_eq!(docs.len(), 1);
    assert_eq!(
        (docs[0].id, docs[0].kind, docs[0].number.to_string()),
        (
            doc,
            DocumentKind::Prescription,
            "LUX-2026-000001".to_owned()
        )
    );
    assert!(docs[0].parts.is_empty());
    assert_eq!(print(&s, first, doc).unwrap(), "cabin-1");

    // Ended: listed among the ended sessions for the hour, then gone.
    s.advance(5);
    s.app.end_session(&s.staff, first).unwrap();
    let listed = console(&s);
    assert!(listed.open.is_none());
    assert_eq!(listed.ended.len(), 1);
    assert_eq!(listed.ended[0].view.session.id, first);
    assert_eq!(listed.ended[0].documents.len(), 1);

    // The next person in the cabin (waiting, no appointment): both are listed; printing the
    // ended session's document is refused while they sit there.
    let next = s
        .app
        .start_session(
            &s.staff,
            queue_request(walk_in(7, None), "general_practice"),
        )
        .unwrap();
    let second = next.view.session.id;
    let listed = console(&s);
    assert_eq!(listed.open.as_ref().unwrap().view.session.id, second);
    assert_eq!(listed.ended.len(), 1);
    assert_eq!(code(print(&s, first, doc)), "cabin_in_use");
    // Named with another session — the open one, or no session at all —: not found.
    assert_eq!(code(print(&s, second, doc)), "not_found");
    let nobody = BoothSessionId::from_uuid(Uuid::from_u128(0xdead));
    assert_eq!(code(print(&s, nobody, doc)), "not_found");
    s.app.end_session(&s.staff, second).unwrap();
    // Ended without an appointment: nothing to print, not listed.
    assert_eq!(console(&s).ended.len(), 1);

    // An hour after the end it still prints; a minute later the window is closed.
    s.advance(60);
    assert_eq!(console(&s).ended.len(), 1);
    s.advance(1);
    assert_eq!(console(&s).ended.len(), 0, "the window closed");
    assert_eq!(code(print(&s, first, doc)), "print_window_closed");

    // Booth staff only: a patient or a practitioner is refused; a clinic has no console.
    assert!(matches!(
        s.app.console_sessions(&s.patient),
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        s.app.print_session_document(&s.gp, first, doc, None),
        Err(AppError::Forbidden(_))
    ));
    let clinic = site(SiteKind::Clinic);
    assert!(matches!(
        clinic.app.console_sessions(&clinic.staff),
        Err(AppError::NotFound)
    ));

    // Each listing read each session's documents, audited.
    let reads = s
        .store
        .audit_records(1, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.object_type == "booth_session_documents"
                && r.event.object_id == first.to_string()
        })
        .count();
    assert!(reads >= 5, "{reads}");
}
