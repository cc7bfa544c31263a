//! Documents, files and exports under 30 parallel writers on real sled (see
//! `concurrency_tests.rs`): numbers without gap, each item dispensed once, a fee memo paid
//! once, the upload and export quotas never passed.
#![allow(clippy::unwrap_used)]

use crate::concurrency_tests::{PARALLEL, account, in_parallel, practitioner};
use crate::test_support::{event, open, ts};
use crate::{DocumentChange, Store, StoreError};
use teleconsult_core::account::Role;
use teleconsult_core::audit::Action;
use teleconsult_core::call::Attachment;
use teleconsult_core::document::{
    Document, DocumentContent, DocumentKind, DocumentNumber, DocumentStatus, FeeAct, FeeMemo,
    IssuedDocument, PaymentError, Prescription, PrescriptionItem,
};
use teleconsult_core::ids::{AccountId, AppointmentId, DocumentId, PatientId};
use teleconsult_core::quota::Quota;
use uuid::Uuid;

fn doc_id(n: u128) -> DocumentId {
    DocumentId::from_uuid(Uuid::from_u128(0xd000 + n))
}

fn document(n: u128, number: &DocumentNumber, content: DocumentContent) -> IssuedDocument {
    IssuedDocument::new(
        Document {
            id: doc_id(n),
            number: number.clone(),
            kind: content.kind(),
            appointment: AppointmentId::from_uuid(Uuid::from_u128(1)),
            patient: PatientId::from_uuid(Uuid::from_u128(2)),
            practitioner: practitioner(),
            issued_at: ts(1),
            status: DocumentStatus::Issued,
        },
        content,
        None,
    )
    .unwrap()
}

/// Issues a document numbered after the last one, retrying when another took the number.
fn issue_next(store: &Store, n: u128, content: &DocumentContent) -> DocumentNumber {
    for _ in 0..1000 {
        let previous = store.last_document_number().unwrap();
        let number = DocumentNumber::next("SITE", 2026, previous.as_ref()).unwrap();
        let record = document(n, &number, content.clone());
        let new = crate::NewDocument {
            record: &record,
            pdfs: &[],
            retrieval_token: None,
            supersedes: None,
            notifications: &[],
            outbox: &[],
        };
        let created = event(Action::Create, n.to_string());
        match store
            .issue_document(new, previous.as_ref(), &created, None)
            .unwrap()
        {
            crate::IssueOutcome::Issued => return number,
            crate::IssueOutcome::NumberTaken => {}
            crate::IssueOutcome::OriginalChanged => panic!("no original"),
        }
    }
    panic!("never got a number")
}

fn prescription(items: usize) -> DocumentContent {
    let item = |i: usize| PrescriptionItem {
        medication: format!("Medicine {i}"),
        dose: "1 g".into(),
        form: "comprimé".into(),
        posology: "1/j".into(),
        duration: "3 j".into(),
        substitution_allowed: true,
    };
    DocumentContent::Prescription(Prescription {
        items: (0..items).map(item).collect(),
    })
}

#[test]
fn thirty_parallel_issues_get_thirty_numbers_without_gap() {
    let (_dir, store) = open();
    let content = prescription(1);
    let numbers = in_parallel(&store, move |store, i| {
        issue_next(store, i as u128, &content).to_string()
    });
    let mut sorted = numbers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), PARALLEL, "no number twice: {numbers:?}");
    let mut expected = None;
    let mut all = Vec::new();
    for _ in 0..PARALLEL {
        let next = DocumentNumber::next("SITE", 2026, expected.as_ref()).unwrap();
        all.push(next.to_string());
        expected = Some(next);
    }
    all.sort();
    assert_eq!(sorted, all, "no gap");
}

fn dispense(
    store: &Store,
    id: DocumentId,
    items: Vec<usize>,
    by: u128,
) -> Result<IssuedDocument, teleconsult_core::document::DispenseError> {
    let pharmacist = AccountId::from_uuid(Uuid::from_u128(by));
    store
        .change_document(
            id,
            |doc| {
                Ok(DocumentChange {
                    next: doc.dispense(&items, pharmacist, ts(5))?,
                    notifications: Vec::new(),
                    outbox: Vec::new(),
                })
            },
            Some(&event(Action::Read, "d")),
            &event(Action::Update, "d"),
        )
        .unwrap()
        .unwrap()
}

#[test]
fn thirty_pharmacists_in_parallel_hand_out_each_item_once() {
    let (_dir, store) = open();
    // Thirty items, one per pharmacist: every one is recorded (none lost to another's write).
    issue_next(&store, 1, &prescription(PARALLEL));
    let id = doc_id(1);
    let outcomes = in_parallel(&store, move |store, i| {
        dispense(store, id, vec![i], i as u128)
    });
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let stored = store
        .document(id, &event(Action::Read, "d"))
        .unwrap()
        .unwrap();
    assert!(stored.dispensed.iter().all(Option::is_some));
    assert!(stored.fully_dispensed());

    // One item, thirty pharmacists: exactly one hands it out.
    issue_next(&store, 2, &prescription(2));
    let id = doc_id(2);
    let outcomes = in_parallel(&store, move |store, i| {
        dispense(store, id, vec![0], i as u128)
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
    let stored = store
        .document(id, &event(Action::Read, "d"))
        .unwrap()
        .unwrap();
    assert!(stored.dispensed[0].is_some() && stored.dispensed[1].is_none());
}

#[test]
fn a_fee_memo_marked_paid_thirty_times_in_parallel_is_paid_once() {
    let (_dir, store) = open();
    let memo = DocumentContent::FeeMemo(FeeMemo {
        acts: vec![FeeAct {
            code: "C1".into(),
            label: "Consultation".into(),
            amount_cents: 5000,
        }],
    });
    assert_eq!(memo.kind(), DocumentKind::FeeMemo);
    issue_next(&store, 1, &memo);
    let id = doc_id(1);
    let outbox_before = store.outbox_len().unwrap();
    // Odd writers are the issuing practitioner (one session each), even ones the patient.
    let outcomes = in_parallel(&store, move |store, i| {
        let mut payer = account(100 + i as u128);
        if i % 2 == 1 {
            payer.role = Role::Practitioner;
            payer.practitioner = Some(practitioner());
        }
        store
            .change_document(
                id,
                |doc| {
                    let next = doc.mark_paid(&payer, ts(9))?;
                    Ok::<_, PaymentError>(DocumentChange {
                        next,
                        notifications: Vec::new(),
                        outbox: vec![crate::test_support::message(1, "document.paid")],
                    })
                },
                None,
                &event(Action::Update, "paid"),
            )
            .unwrap()
            .unwrap()
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
    let refused = |error: PaymentError| {
        outcomes
            .iter()
            .filter(|o| o.as_ref().err() == Some(&error))
            .count()
    };
    assert_eq!(refused(PaymentError::NotTheIssuer), PARALLEL / 2);
    assert_eq!(refused(PaymentError::AlreadyPaid), PARALLEL / 2 - 1);
    assert_eq!(store.outbox_len().unwrap(), outbox_before + 1, "paid once");
}

fn attachment(n: u128, appointment: AppointmentId, by: AccountId) -> Attachment {
    Attachment {
        id: Uuid::from_u128(0xa000 + n),
        appointment,
        uploaded_by: by,
        uploaded_at: ts(1),
        content_type: "application/pdf".into(),
        file_name: "lab.pdf".into(),
        size: 9,
    }
}

#[test]
fn thirty_parallel_uploads_stop_at_the_appointment_and_day_quotas() {
    let (_dir, store) = open();
    let uploader = account(7).id;
    let appointment = AppointmentId::from_uuid(Uuid::from_u128(0x77));
    let outcomes = in_parallel(&store, move |store, i| {
        let quota = crate::UploadQuota {
            account: uploader,
            appointment: Some((appointment, 10)),
            per_day: 1000,
            at: ts(1),
        };
        store.save_attachment(
            &attachment(i as u128, appointment, uploader),
            b"%PDF-1.7\n",
            Some(&quota),
            &event(Action::Create, "file"),
        )
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 10);
    assert!(outcomes.iter().filter(|o| o.is_err()).all(|o| matches!(
        o,
        Err(StoreError::QuotaExceeded(e)) if e.quota == Quota::UploadsPerAppointment
    )));
    let files = store
        .attachments_of(appointment, &event(Action::Read, "files"))
        .unwrap();
    assert_eq!(files.len(), 10, "refused files left nothing");

    // Per day: each file in its own appointment, 7 a day.
    let other = account(8).id;
    let outcomes = in_parallel(&store, move |store, i| {
        let appointment = AppointmentId::from_uuid(Uuid::from_u128(0x1_0000 + i as u128));
        let quota = crate::UploadQuota {
            account: other,
            appointment: Some((appointment, 10)),
            per_day: 7,
            at: ts(1),
        };
        store.save_attachment(
            &attachment(0x100 + i as u128, appointment, other),
            b"%PDF-1.7\n",
            Some(&quota),
            &event(Action::Create, "file"),
        )
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 7);
    let refused = outcomes.iter().find_map(|o| match o {
        Err(StoreError::QuotaExceeded(e)) => Some(*e),
        _ => None,
    });
    let refused = refused.unwrap();
    assert_eq!(refused.quota, Quota::UploadsPerDay);
    assert!(refused.retry_after_s.is_some_and(|s| s > 0 && s <= 86_400));
}

#[test]
fn thirty_parallel_exports_stop_at_the_hourly_quota() {
    let (_dir, store) = open();
    let who = account(9).id;
    let outcomes = in_parallel(&store, move |store, _| {
        store.take_export_quota(who, 5, ts(1))
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 5);
    // The next hour starts afresh.
    store.take_export_quota(who, 5, ts(3600 * 2)).unwrap();
}
