//! GDPR erasure through the accounts port, on both adapters: what goes, what stays, and thirty
//! erasures at once erase once.

use std::sync::Arc;

use teleconsult_core::account::{AccountStatus, LoginChallenge, LoginPolicy, Role, Session};
use teleconsult_core::audit::Action;
use teleconsult_core::call::{Attachment, ChatMessage, QualitySample};
use teleconsult_core::ids::MessageId;
use teleconsult_core::medical_record::MedicalRecord;
use teleconsult_core::message::{Message, Side};
use teleconsult_core::notification::Notification;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::sessions::{CodeOutcome, CodeUsed};

use crate::Under;
use crate::fixtures::{account, appointment, booking, event, patient, ts};

/// A patient (5) with their account, a booked appointment and everything it leaves: chat, a
/// shared file, a quality sample, a message with a file, a short medical record, a session.
/// Returns the account and the session's token.
fn patient_with_traces(under: &Under) -> (teleconsult_core::account::Account, String) {
    let store = &under.store;
    let p = patient(5);
    store
        .create_patient(&p, &event(Action::Create, "patient", "5"), &[])
        .unwrap();
    let mut owner = account(5, Role::Patient);
    owner.patient = Some(p.id);
    owner.status = AccountStatus::Active;
    store
        .create_account_listed(&owner, None, &event(Action::Create, "account", "5"))
        .unwrap();
    let a = appointment(5, 3, 5);
    store.write_booking(booking(&a)).unwrap();
    let said = event(Action::Create, "call", a.id.to_string());
    store
        .append_chat(
            &ChatMessage {
                appointment: a.id,
                at: ts(4),
                role: teleconsult_core::signal::Role::Patient,
                author: owner.id,
                text: "Douleur thoracique".into(),
                attachment: None,
            },
            &said,
        )
        .unwrap();
    let file = Attachment {
        id: uuid::Uuid::from_u128(0xA005),
        appointment: a.id,
        uploaded_by: owner.id,
        uploaded_at: ts(5),
        content_type: "image/png".into(),
        file_name: "eruption.png".into(),
        size: 8,
    };
    store
        .save_shared_file(&file, b"\x89PNG....", 10, 100, &said)
        .unwrap();
    let sample = QualitySample {
        at: ts(6),
        role: teleconsult_core::signal::Role::Patient,
        quality: teleconsult_core::call::CallQuality::default(),
    };
    store.add_quality_samples(a.id, &[sample], &said).unwrap();
    let message = Message {
        id: MessageId::from_uuid(uuid::Uuid::from_u128(0xE005)),
        patient: p.id,
        practitioner: a.practitioner,
        from: Side::Patient,
        author: owner.id,
        at: ts(7),
        text: "Bonjour docteur".into(),
        file: None,
        read_at: None,
    };
    store
        .append_message_with(&message, None, &[], &event(Action::Create, "message", "x"))
        .unwrap();
    store
        .save_medical_record(
            &MedicalRecord {
                patient: p.id,
                history: "Diabète de type 2".into(),
                allergies: "Arachides".into(),
                treatments: "Metformine".into(),
                updated_at: ts(8),
                updated_by: owner.id,
            },
            &event(Action::Update, "medical_record", "5"),
        )
        .unwrap();
    let policy = LoginPolicy::default();
    store
        .start_challenge("erasure-challenge", owner.id, &|stored| {
            Some((
                LoginChallenge::new(stored.id, "123456".into(), ts(9), &policy),
                None,
            ))
        })
        .unwrap()
        .unwrap();
    let opened = store
        .use_challenge("erasure-challenge", "erasure-session", &|_, account| {
            CodeOutcome::Open {
                session: Session::new(account, "csrf".into(), ts(9), &policy),
                audit: event(Action::Login, "account", "5"),
            }
        })
        .unwrap();
    assert!(matches!(opened, Some(CodeUsed::Opened(_))));
    (owner, "erasure-session".to_owned())
}

pub fn an_erasure_removes_the_person_and_their_traces_and_keeps_appointments(under: &Under) {
    let store = &under.store;
    let (owner, token) = patient_with_traces(under);
    let p = patient(5);
    let a = appointment(5, 3, 5);
    let read = event(Action::Read, "x", "x");
    let before = store.audit_records();
    let told = Notification::email(owner.email.clone(), "erased".into(), "b".into(), ts(10));
    store
        .erase_account(owner.id, &[told], &event(Action::Delete, "account", "5"))
        .unwrap();
    assert_eq!(store.find_account(owner.id).unwrap(), None);
    assert_eq!(store.find_account_by_login(&owner.login).unwrap(), None);
    assert!(store.session_and_account(&token).unwrap().is_none());
    assert_eq!(store.patient(p.id, &read).unwrap(), None);
    assert_eq!(store.find_medical_record(p.id, &read).unwrap(), None);
    assert!(store.chat(a.id, &read).unwrap().is_empty());
    assert!(
        store
            .attachments_of_appointment(a.id, &read)
            .unwrap()
            .is_empty()
    );
    assert!(!store.conversation_started(p.id, a.practitioner).unwrap());
    // The appointment stays (the practitioner's record), so does the audit trail.
    let booked = store
        .booked_starts_of(a.practitioner, ts(0), ts(10 * 86_400))
        .unwrap();
    assert!(booked.contains(&a.start));
    assert!(store.audit_records() > before);
    assert_eq!(store.verify_audit(), store.audit_records());
    // The national id and e-mail are free again.
    store
        .create_patient(&p, &event(Action::Create, "patient", "5"), &[])
        .unwrap();
}

pub fn thirty_erasures_at_once_erase_once(under: &Under) {
    let (owner, _) = patient_with_traces(under);
    let before = under.store.audit_records();
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|_| {
                let store = Arc::clone(&under.store);
                scope.spawn(move || {
                    store.erase_account(owner.id, &[], &event(Action::Delete, "account", "5"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (erased, gone) =
        crate::fixtures::tally(outcomes, |e| *e == RepositoryError::NotFound("account"));
    assert_eq!((erased, gone), (1, 29));
    assert_eq!(under.store.audit_records(), before + 1);
}

pub fn a_walk_in_without_account_is_erased_once_and_every_attempt_recorded(under: &Under) {
    let store = &under.store;
    let p = patient(7);
    store
        .create_patient(&p, &event(Action::Create, "patient", "7"), &[])
        .unwrap();
    store
        .save_medical_record(
            &MedicalRecord {
                patient: p.id,
                history: "Asthme".into(),
                allergies: String::new(),
                treatments: String::new(),
                updated_at: ts(8),
                updated_by: account(7, Role::Staff).id,
            },
            &event(Action::Update, "medical_record", "7"),
        )
        .unwrap();
    let before = store.audit_records();
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|_| {
                let store = Arc::clone(&under.store);
                let p = p.id;
                scope.spawn(move || {
                    store
                        .erase_patient(p, &event(Action::Delete, "patient", "7"))
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let erased: Vec<_> = outcomes.iter().flatten().collect();
    assert_eq!(erased.len(), 1, "{outcomes:?}");
    // The record, its indexes or rows, and the medical record at least.
    assert!(*erased[0] >= 2, "{erased:?}");
    assert_eq!(store.audit_records(), before + 30, "every attempt recorded");
    let read = event(Action::Read, "x", "x");
    assert_eq!(store.patient(p.id, &read).unwrap(), None);
    assert_eq!(store.find_medical_record(p.id, &read).unwrap(), None);
    store
        .create_patient(&p, &event(Action::Create, "patient", "7"), &[])
        .unwrap();
}
