//! Documents on real sled: numbering checked in the issuing transaction, everything written
//! together (record, sealed PDFs, token index, outbox, notification, audit), state changes
//! decided in their transaction, corrections.
#![allow(clippy::unwrap_used)]

use super::{IssueOutcome, NewDocument, Rendition};
use crate::test_support::{event, message, open, ts};
use crate::tree::TreeId;
use teleconsult_core::audit::Action;
use teleconsult_core::document::{
    Document, DocumentContent, DocumentKind, DocumentNumber, DocumentStatus, IssuedDocument,
    Laboratory, Prescription, PrescriptionItem, SickLeavePart,
};
use teleconsult_core::ids::{AccountId, AppointmentId, DocumentId, PatientId, PractitionerId};
use teleconsult_core::notification::Notification;
use uuid::Uuid;

fn prescription(n: u128, number: &DocumentNumber, replaces: Option<DocumentId>) -> IssuedDocument {
    IssuedDocument::new(
        Document {
            id: DocumentId::from_uuid(Uuid::from_u128(0xd000 + n)),
            number: number.clone(),
            kind: DocumentKind::Prescription,
            appointment: AppointmentId::from_uuid(Uuid::from_u128(1)),
            patient: PatientId::from_uuid(Uuid::from_u128(2)),
            practitioner: PractitionerId::from_uuid(Uuid::from_u128(3)),
            issued_at: ts(n as i64),
            status: DocumentStatus::Issued,
        },
        DocumentContent::Prescription(Prescription {
            items: vec![PrescriptionItem {
                medication: "Secretol".into(),
                dose: "1 g".into(),
                form: "comprimé".into(),
                posology: "1/j".into(),
                duration: "3 j".into(),
                substitution_allowed: true,
            }],
        }),
        replaces,
    )
    .unwrap()
}

fn new<'a>(
    record: &'a IssuedDocument,
    pdfs: &'a [(Rendition, Vec<u8>)],
    token: Option<&'a str>,
    notifications: &'a [Notification],
    outbox: &'a [teleconsult_core::outbox::OutboxMessage],
) -> NewDocument<'a> {
    NewDocument {
        record,
        pdfs,
        retrieval_token: token,
        supersedes: None,
        notifications,
        outbox,
    }
}

#[test]
fn issuing_writes_everything_at_once_and_numbers_are_checked() {
    let (_dir, store) = open();
    assert_eq!(store.last_document_number().unwrap(), None);
    let first_number = DocumentNumber::next("SITE", 2026, None).unwrap();
    let first = prescription(1, &first_number, None);
    let pdf = b"%PDF-1.7 Secretol".to_vec();
    let pdfs = [(Rendition::Document, pdf.clone())];
    let mail = [Notification::email(
        "p@example.lu".into(),
        "new".into(),
        "body".into(),
        ts(1),
    )];
    let outbox = [message(1, "document.issued")];
    let audit_before = store.audit_len().unwrap();
    let created = event(Action::Create, first.id().to_string());
    assert_eq!(
        store
            .issue_document(
                new(&first, &pdfs, Some("token-1"), &mail, &outbox),
                None,
                &created,
                None
            )
            .unwrap(),
        IssueOutcome::Issued
    );
    assert_eq!(
        store.last_document_number().unwrap(),
        Some(first_number.clone())
    );
    assert_eq!(store.outbox_len().unwrap(), 1);
    assert_eq!(store.notifications_pending().unwrap(), 1);
    assert_eq!(store.audit_len().unwrap(), audit_before + 1);

    // The PDF is sealed at rest and comes back intact.
    let raw = store
        .inner()
        .trees
        .raw(TreeId::DocumentPdfs)
        .iter()
        .next()
        .unwrap()
        .unwrap()
        .1;
    assert!(!raw.windows(8).any(|w| w == b"Secretol"));
    let read = event(Action::Read, "pdf");
    assert_eq!(
        store
            .document_pdf(first.id(), Rendition::Document, &read)
            .unwrap(),
        Some(pdf)
    );
    assert_eq!(
        store
            .document_pdf(
                first.id(),
                Rendition::SickLeave(SickLeavePart::Employer),
                &read
            )
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .document_by_retrieval_token("token-1", &read)
            .unwrap()
            .map(|d| d.id()),
        Some(first.id())
    );
    assert_eq!(
        store.document_by_retrieval_token("token-2", &read).unwrap(),
        None
    );

    // A second document prepared against the same previous number loses the race.
    let second = prescription(2, &first_number, None);
    assert_eq!(
        store
            .issue_document(
                new(&second, &pdfs, None, &[], &outbox),
                None,
                &created,
                None
            )
            .unwrap(),
        IssueOutcome::NumberTaken
    );
    assert_eq!(
        store.outbox_len().unwrap(),
        1,
        "nothing of the loser written"
    );
    let second_number = DocumentNumber::next("SITE", 2026, Some(&first_number)).unwrap();
    let second = prescription(2, &second_number, None);
    assert_eq!(
        store
            .issue_document(
                new(&second, &pdfs, None, &[], &[]),
                Some(&first_number),
                &created,
                None
            )
            .unwrap(),
        IssueOutcome::Issued
    );
    let all = store.documents(|_| true, &read).unwrap();
    assert_eq!(
        all.iter().map(|d| d.id()).collect::<Vec<_>>(),
        [second.id(), first.id()],
        "newest first"
    );
}

#[test]
fn corrections_and_updates_are_compare_and_swap() {
    let (_dir, store) = open();
    let read = event(Action::Read, "x");
    let n1 = DocumentNumber::next("SITE", 2026, None).unwrap();
    let original = prescription(1, &n1, None);
    let created = event(Action::Create, "d");
    store
        .issue_document(new(&original, &[], None, &[], &[]), None, &created, None)
        .unwrap();

    // A pharmacist dispenses; a correction prepared from the old state is refused.
    let pharmacist = AccountId::from_uuid(Uuid::from_u128(9));
    let update = event(Action::Update, "d");
    let dispense = |stored: &IssuedDocument| {
        stored
            .dispense(&[0], pharmacist, ts(5))
            .map(|next| crate::DocumentChange {
                next,
                notifications: Vec::new(),
                outbox: Vec::new(),
            })
    };
    let dispensed = store
        .change_document(original.id(), dispense, Some(&read), &update)
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        dispensed,
        original.dispense(&[0], pharmacist, ts(5)).unwrap()
    );
    assert_eq!(
        store
            .change_document(original.id(), dispense, Some(&read), &update)
            .unwrap()
            .unwrap(),
        Err(teleconsult_core::document::DispenseError::AlreadyDispensed),
        "a second pharmacist sees the first one's dispensing and writes nothing"
    );
    let n2 = DocumentNumber::next("SITE", 2026, Some(&n1)).unwrap();
    let fixed = prescription(2, &n2, Some(original.id()));
    let marked = original.superseded_by(&fixed, ts(6)).unwrap();
    let mut correction = new(&fixed, &[], None, &[], &[]);
    correction.supersedes = Some((&original, &marked));
    assert_eq!(
        store
            .issue_document(correction, Some(&n1), &created, Some(&update))
            .unwrap(),
        IssueOutcome::OriginalChanged
    );
    assert_eq!(store.last_document_number().unwrap(), Some(n1.clone()));

    // From the current state, the correction goes through and both records change together.
    let other = prescription(3, &n1, None);
    store
        .issue_document(new(&other, &[], None, &[], &[]), Some(&n1), &created, None)
        .unwrap_err();
    let stored = store.document(dispensed.id(), &read).unwrap().unwrap();
    assert_eq!(stored, dispensed);

    // A correction of an untouched document replaces it in the same transaction.
    let n3 = DocumentNumber::next("SITE", 2026, Some(&n1)).unwrap();
    let untouched = prescription(4, &n3, None);
    store
        .issue_document(
            new(&untouched, &[], None, &[], &[]),
            Some(&n1),
            &created,
            None,
        )
        .unwrap();
    let n4 = DocumentNumber::next("SITE", 2026, Some(&n3)).unwrap();
    let fixed = prescription(5, &n4, Some(untouched.id()));
    let marked = untouched.superseded_by(&fixed, ts(7)).unwrap();
    let mut correction = new(&fixed, &[], None, &[], &[]);
    correction.supersedes = Some((&untouched, &marked));
    let audit_before = store.audit_len().unwrap();
    assert_eq!(
        store
            .issue_document(correction, Some(&n3), &created, Some(&update))
            .unwrap(),
        IssueOutcome::Issued
    );
    assert_eq!(store.audit_len().unwrap(), audit_before + 2);
    assert_eq!(store.document(untouched.id(), &read).unwrap(), Some(marked));
    assert_eq!(store.document(fixed.id(), &read).unwrap(), Some(fixed));
}

#[test]
fn laboratories_directory() {
    let (_dir, store) = open();
    let lab = |id: &str, name: &str| Laboratory {
        id: id.into(),
        name: name.into(),
        email: format!("{id}@example.lu"),
    };
    let e = event(Action::Update, "lab");
    store.upsert_laboratory(&lab("b", "Zeta"), &e).unwrap();
    store.upsert_laboratory(&lab("a", "Alpha"), &e).unwrap();
    store.upsert_laboratory(&lab("b", "Beta"), &e).unwrap();
    let names: Vec<String> = store
        .laboratories()
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["Alpha", "Beta"]);
    assert_eq!(
        store.laboratory("a").unwrap().map(|l| l.name),
        Some("Alpha".into())
    );
    assert_eq!(store.laboratory("c").unwrap(), None);
}
