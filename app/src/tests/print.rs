//! Printing through the use case (`docs/booth.md` rule 7), the clock moved by the test: staff
//! print a booth session's document while it is open and until an hour after it ended (the
//! cabin empty), the patient only while in the cabin; every print is audited and reaches the
//! printer port.

use super::*;
use crate::print::{PrintJob, Printer};
use teleconsult_core::document::{
    Document, DocumentContent, DocumentKind, DocumentNumber, DocumentStatus, IssuedDocument,
    Prescription, PrescriptionItem,
};
use teleconsult_core::ids::DocumentId;
use teleconsult_store::{NewDocument, Rendition};

/// A printer that records the titles it was handed.
#[derive(Default)]
pub(super) struct RecordingPrinter(Mutex<Vec<(String, Vec<u8>)>>);

impl Printer for RecordingPrinter {
    fn submit(&self, title: String, pdf: Vec<u8>) -> PrintJob {
        let mut jobs = self.0.lock().unwrap();
        jobs.push((title, pdf));
        let id = format!("cabin-{}", jobs.len());
        Box::pin(async move { Ok(id) })
    }
}

const PDF: &[u8] = b"%PDF-1.4 prescription";

/// Issues a prescription for `appointment` straight into the store.
pub(super) fn issue(s: &Site, appointment: &Appointment, n: u128) -> DocumentId {
    let id = DocumentId::from_uuid(Uuid::from_u128(0xd00 + n));
    let record = IssuedDocument::new(
        Document {
            id,
            number: format!("LUX-2026-{n:06}").parse().unwrap(),
            kind: DocumentKind::Prescription,
            appointment: appointment.id,
            patient: appointment.patient,
            practitioner: appointment.practitioner,
            issued_at: s.now(),
            status: DocumentStatus::Issued,
        },
        DocumentContent::Prescription(Prescription {
            items: vec![PrescriptionItem {
                medication: "Paracétamol".into(),
                dose: "500 mg".into(),
                form: "comprimé".into(),
                posology: "1 x 3/j".into(),
                duration: "3 j".into(),
                substitution_allowed: true,
            }],
        }),
        None,
    )
    .unwrap();
    let pdfs = [(Rendition::Document, PDF.to_vec())];
    // Numbers follow each other: the store checks the one before.
    let previous = (n > 1).then(|| {
        format!("LUX-2026-{:06}", n - 1)
            .parse::<DocumentNumber>()
            .unwrap()
    });
    s.store
        .issue_document(
            NewDocument {
                record: &record,
                pdfs: &pdfs,
                retrieval_token: None,
                supersedes: None,
                notifications: &[],
                outbox: &[],
            },
            previous.as_ref(),
            &audit(),
            None,
        )
        .unwrap();
    id
}

fn print(s: &Site, who: &Account, id: DocumentId) -> Result<String, AppError> {
    let order = s.app.print_document(who, id, None)?;
    let printed = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(order.submit())?;
    Ok(printed.job_id)
}

pub(super) fn code(result: Result<String, AppError>) -> &'static str {
    match result {
        Ok(_) => "printed",
        Err(AppError::NotFound) => "not_found",
        Err(AppError::Conflict { code, .. }) => code,
        Err(other) => panic!("{other:?}"),
    }
}

fn prints_of(s: &Site, id: DocumentId) -> usize {
    s.store
        .audit_records(1, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.action == Action::Export
                && r.event.object_type == "document_print"
                && r.event.object_id == id.to_string()
        })
        .count()
}

#[test]
fn staff_print_a_session_s_document_until_an_hour_after_it_ended_the_patient_while_in_it() {
    let s = site(SiteKind::Booth);
    let printer = Arc::new(RecordingPrinter::default());
    let own = s.patient.patient.unwrap();
    let known = |specialty| queue_request(Identify::Known(own), specialty);

    // No printer plugged in: whoever may print is told so, others still get 404.
    let started = s
        .app
        .start_session(&s.staff, known("general_practice"))
        .unwrap();
    s.app
        .set_availability(&s.gp, s.gp.practitioner.unwrap(), true)
        .unwrap();
    let taken = s.app.next(&s.gp).unwrap().unwrap();
    assert_eq!(taken.session, Some(started.view.session.id));
    let appointment = s
        .store
        .appointment(taken.appointment, &audit())
        .unwrap()
        .unwrap();
    assert!(appointment.at_booth);
    let doc = issue(&s, &appointment, 1);
    assert_eq!(code(print(&s, &s.staff, doc)), "printing_unavailable");
    assert_eq!(code(print(&s, &s.gp, doc)), "not_found");
    s.app.set_printer(printer.clone());

    // Open session: staff and the patient print; the practitioner is remote.
    assert_eq!(print(&s, &s.staff, doc).unwrap(), "cabin-1");
    assert_eq!(print(&s, &s.patient, doc).unwrap(), "cabin-2");
    assert_eq!(code(print(&s, &s.gp, doc)), "not_found");
    assert_eq!(
        printer.0.lock().unwrap()[0],
        ("LUX-2026-000001".to_owned(), PDF.to_vec())
    );

    // Ended: the patient left the cabin; staff print for an hour, not a second more.
    s.advance(10);
    s.app
        .end_session(&s.staff, started.view.session.id)
        .unwrap();
    assert_eq!(code(print(&s, &s.patient, doc)), "not_at_the_booth");
    // The next person in the cabin: not in front of them.
    let next = s
        .app
        .start_session(
            &s.staff,
            queue_request(walk_in(7, None), "general_practice"),
        )
        .unwrap();
    assert_eq!(code(print(&s, &s.staff, doc)), "cabin_in_use");
    s.app.end_session(&s.staff, next.view.session.id).unwrap();
    s.advance(60);
    assert_eq!(print(&s, &s.staff, doc).unwrap(), "cabin-3");
    let one_second_more = s.now().checked_add(jiff::SignedDuration::from_secs(1));
    *s.clock.0.lock().unwrap() = one_second_more.unwrap();
    assert_eq!(code(print(&s, &s.staff, doc)), "print_window_closed");

    // Three prints, three exports audited; the refusals reached neither printer nor audit.
    assert_eq!(printer.0.lock().unwrap().len(), 3);
    assert_eq!(prints_of(&s, doc), 3);

    // A document of a consultation from home (core's rule has the appointment's own cases):
    // the patient at home is refused, staff never print it — not even while the same patient
    // sits in the cabin again, when the patient may.
    let from_home = Appointment {
        id: AppointmentId::from_uuid(Uuid::from_u128(0xa11)),
        at_booth: false,
        ..appointment.clone()
    };
    let home_doc = issue(&s, &from_home, 2);
    assert_eq!(code(print(&s, &s.patient, home_doc)), "not_at_the_booth");
    assert_eq!(code(print(&s, &s.staff, home_doc)), "not_found");
    s.app.start_session(&s.staff, known("dermatology")).unwrap();
    assert_eq!(code(print(&s, &s.staff, home_doc)), "not_found");
    assert_eq!(print(&s, &s.patient, home_doc).unwrap(), "cabin-4");
}
