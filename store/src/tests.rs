//! Behaviour of the whole store on real sled: persistence, confidentiality on disk, uniqueness,
//! the audit chain under concurrency and tampering, the outbox.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use teleconsult_core::national_id::Country;

use teleconsult_core::audit::Action;
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::ports::{Repository, RepositoryError};
use teleconsult_core::practitioner::Practitioner;
use uuid::Uuid;

use crate::test_support::{event, message, open, patient, patient_id, reopen_key};
use crate::tree::TreeId;
use crate::{Store, StoreError};

fn create(store: &Store, n: u128) -> Result<(), RepositoryError> {
    store.create_patient(
        &patient(n),
        &event(Action::Create, patient_id(n).to_string()),
        &[message(n, "patient.created")],
    )
}

fn read(
    store: &Store,
    n: u128,
) -> Result<Option<teleconsult_core::patient::Patient>, RepositoryError> {
    store.patient(
        patient_id(n),
        &event(Action::Read, patient_id(n).to_string()),
    )
}

#[test]
fn reopening_keeps_data_and_decrypts_it() {
    let (dir, store) = open();
    create(&store, 1).unwrap();
    let practitioner = Practitioner {
        id: PractitionerId::from_uuid(Uuid::from_u128(7)),
        name: "Dr Ada".to_owned(),
        specialty: "general_practice".to_owned(),
        languages: vec!["fr".to_owned(), "de".to_owned()],
    };
    store
        .upsert_practitioner(&practitioner, &event(Action::Create, "7"))
        .unwrap();
    drop(store);

    let store = Store::open(dir.path(), reopen_key()).unwrap();
    assert_eq!(read(&store, 1).unwrap(), Some(patient(1)));
    assert_eq!(read(&store, 2).unwrap(), None);
    assert_eq!(
        store.practitioner(practitioner.id).unwrap().as_ref(),
        Some(&practitioner)
    );
    assert_eq!(store.practitioners().unwrap(), vec![practitioner]);
    assert_eq!(
        store
            .patient_id_by_email("  PATIENT1@example.ORG ")
            .unwrap(),
        Some(patient_id(1))
    );
    assert_eq!(
        store
            .patient_id_by_national_id(Country::LU, &patient(1).national_id)
            .unwrap(),
        Some(patient_id(1))
    );
    assert_eq!(
        store.patient_id_by_email("nobody@example.org").unwrap(),
        None
    );
    // create + upsert + two reads, all chained.
    assert_eq!(store.verify_audit_chain().unwrap().records, 4);
}

pub(crate) fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_contain(&path, needle)
        } else {
            let bytes = std::fs::read(&path).unwrap();
            bytes.windows(needle.len()).any(|window| window == needle)
        }
    })
}

#[test]
fn patient_data_is_not_on_disk_in_clear() {
    let (dir, store) = open();
    for n in 1..=3 {
        create(&store, n).unwrap();
    }
    store.flush().unwrap();
    drop(store);
    let p = patient(2);
    // The scan itself finds what is there in clear: tree names, and audit records (ids only).
    assert!(files_contain(dir.path(), b"patients_by_email"));
    assert!(files_contain(
        dir.path(),
        patient_id(2).to_string().as_bytes()
    ));
    for secret in [
        p.first_name.as_str(),
        p.last_name.as_str(),
        p.national_id.as_str(),
        p.email.as_str(),
        &p.email.to_lowercase(),
        p.phone.as_str(),
    ] {
        assert!(
            !files_contain(dir.path(), secret.as_bytes()),
            "{secret} found on disk"
        );
    }
}

#[test]
fn a_record_copied_to_another_key_does_not_decrypt() {
    let (_dir, store) = open();
    create(&store, 1).unwrap();
    let store_inner = store.inner();
    let patients = store_inner.trees.raw(TreeId::Patients);
    let sealed = patients.get(patient_id(1).as_bytes()).unwrap().unwrap();
    patients
        .insert(patient_id(9).as_bytes(), sealed.clone())
        .unwrap();
    assert!(matches!(read(&store, 9), Err(RepositoryError::Corrupt(_))));
    // Nor in another tree under the same key.
    let store_inner = store.inner();
    let practitioners = store_inner.trees.raw(TreeId::Practitioners);
    practitioners
        .insert(patient_id(1).as_bytes(), sealed)
        .unwrap();
    assert!(matches!(
        store.practitioners(),
        Err(RepositoryError::Corrupt(_))
    ));
    // The original still reads.
    assert_eq!(read(&store, 1).unwrap(), Some(patient(1)));
}

#[test]
fn duplicate_national_id_or_email_is_refused_without_partial_writes() {
    let (_dir, store) = open();
    create(&store, 1).unwrap();
    let audit_before = store.audit_len().unwrap();
    let outbox_before = store.outbox_len().unwrap();

    let mut same_national_id = patient(2);
    same_national_id.national_id = patient(1).national_id;
    let result = store.create_patient(
        &same_national_id,
        &event(Action::Create, "2"),
        &[message(2, "patient.created")],
    );
    assert_eq!(result, Err(RepositoryError::AlreadyExists("national id")));

    let mut same_email = patient(3);
    same_email.email = patient(1).email.to_uppercase();
    let result = store.create_patient(
        &same_email,
        &event(Action::Create, "3"),
        &[message(3, "patient.created")],
    );
    assert_eq!(result, Err(RepositoryError::AlreadyExists("e-mail")));

    let result = store.create_patient(&patient(1), &event(Action::Create, "1"), &[]);
    assert_eq!(result, Err(RepositoryError::AlreadyExists("patient")));

    assert_eq!(store.audit_len().unwrap(), audit_before);
    assert_eq!(store.outbox_len().unwrap(), outbox_before);
    assert_eq!(store.verify_audit_chain().unwrap().records, audit_before);
    let raw = |id| store.inner().trees.raw(id).len();
    assert_eq!(raw(TreeId::Patients), 1);
    assert_eq!(raw(TreeId::PatientsByNationalId), 1);
    assert_eq!(raw(TreeId::PatientsByEmail), 1);
    // The refused patients' own e-mail and national id were not indexed either.
    assert_eq!(store.patient_id_by_email(&patient(2).email).unwrap(), None);
    assert_eq!(
        store
            .patient_id_by_national_id(Country::LU, &patient(3).national_id)
            .unwrap(),
        None
    );
}

#[test]
fn audit_chain_has_no_gaps_with_concurrent_writers() {
    let (_dir, store) = open();
    let threads: Vec<_> = (0..4u128)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..15u128 {
                    let n = t * 100 + i;
                    if i % 3 == 0 {
                        create(&store, n).unwrap();
                    } else {
                        store
                            .record_audit(&event(Action::Login, n.to_string()))
                            .unwrap();
                    }
                    // A verifier running alongside writers never reports a false break.
                    if i % 5 == 0 {
                        store.verify_audit_chain().unwrap();
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let verification = store.verify_audit_chain().unwrap();
    assert_eq!(verification.records, 60);
    let records = store.audit_records(1, 1000).unwrap();
    assert_eq!(records.len(), 60);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.seq, i as u64 + 1);
    }
    assert_eq!(records[59].hash, verification.head);
    assert_eq!(store.audit_records(58, 10).unwrap().len(), 3);
    assert_eq!(store.outbox_len().unwrap(), 20);
}

fn store_with_audit(records: u64, prefix: &str) -> (tempfile::TempDir, Store) {
    let (dir, store) = open();
    for i in 0..records {
        store
            .record_audit(&event(Action::Login, format!("{prefix}{i}")))
            .unwrap();
    }
    (dir, store)
}

fn audit_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

#[test]
fn audit_chain_detects_an_edited_record() {
    let (_dir, store) = store_with_audit(5, "");
    store.verify_audit_chain().unwrap();
    let store_inner = store.inner();
    let audit = store_inner.trees.raw(TreeId::Audit);
    let original = audit.get(audit_key(3)).unwrap().unwrap();
    let edited = String::from_utf8(original.to_vec())
        .unwrap()
        .replace("\"object_id\":\"2\"", "\"object_id\":\"someone-else\"");
    assert_ne!(edited.as_bytes(), original.as_ref());
    audit.insert(audit_key(3), edited.as_bytes()).unwrap();
    let err = store.verify_audit_chain().unwrap_err();
    assert!(
        matches!(err, StoreError::AuditChainBroken { seq: 3, .. }),
        "{err:?}"
    );
}

#[test]
fn audit_chain_detects_a_deleted_record() {
    let (_dir, store) = store_with_audit(5, "");
    let store_inner = store.inner();
    let audit = store_inner.trees.raw(TreeId::Audit);
    audit.remove(audit_key(2)).unwrap();
    let err = store.verify_audit_chain().unwrap_err();
    assert!(
        matches!(err, StoreError::AuditChainBroken { seq: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn audit_chain_detects_a_truncated_tail() {
    let (_dir, store) = store_with_audit(5, "");
    let store_inner = store.inner();
    let audit = store_inner.trees.raw(TreeId::Audit);
    audit.remove(audit_key(5)).unwrap();
    let err = store.verify_audit_chain().unwrap_err();
    assert!(
        matches!(err, StoreError::AuditChainBroken { seq: 5, .. }),
        "{err:?}"
    );
}

#[test]
fn audit_chain_detects_a_rewritten_chain_through_the_sealed_head() {
    // Whoever rewrites records and recomputes every hash still cannot forge the head.
    let (_dir, store) = store_with_audit(3, "");
    let (_other_dir, other) = store_with_audit(3, "forged-");
    let store_inner = store.inner();
    let audit = store_inner.trees.raw(TreeId::Audit);
    audit.clear().unwrap();
    for record in other.inner().trees.raw(TreeId::Audit).iter() {
        let (key, value) = record.unwrap();
        audit.insert(key, value).unwrap();
    }
    let err = store.verify_audit_chain().unwrap_err();
    assert!(
        matches!(err, StoreError::AuditChainBroken { seq: 3, .. }),
        "{err:?}"
    );
}

#[test]
fn outbox_keeps_order_acknowledges_and_survives_reopen() {
    let (dir, store) = open();
    store
        .create_patient(
            &patient(1),
            &event(Action::Create, "1"),
            &[
                message(1, "patient.created"),
                message(1, "consent.recorded"),
            ],
        )
        .unwrap();
    create(&store, 2).unwrap();
    let entries = store.outbox_peek(10).unwrap();
    let kinds: Vec<_> = entries
        .iter()
        .map(|e| (e.id, e.message.idempotency_key.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (1, "patient.created/1"),
            (2, "consent.recorded/1"),
            (3, "patient.created/2")
        ]
    );
    assert_eq!(
        entries[1].message,
        message(1, "consent.recorded"),
        "read back whole"
    );
    assert!(
        entries
            .iter()
            .all(|e| e.attempts == 0 && e.enqueued_at == event(Action::Create, "").at)
    );
    assert_eq!(store.outbox_peek(1).unwrap().len(), 1);

    assert!(store.outbox_ack(1).unwrap());
    assert!(!store.outbox_ack(1).unwrap());
    assert_eq!(store.outbox_record_attempt(2).unwrap(), Some(1));
    assert_eq!(store.outbox_record_attempt(2).unwrap(), Some(2));
    assert_eq!(store.outbox_record_attempt(1).unwrap(), None);
    assert_eq!(store.outbox_len().unwrap(), 2);
    assert_eq!(store.outbox_pending().unwrap(), 2);
    drop(store);

    let store = Store::open(dir.path(), reopen_key()).unwrap();
    let entries = store.outbox_peek(10).unwrap();
    assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(entries[0].attempts, 2);
    assert_eq!(entries[0].message, message(1, "consent.recorded"));
    // Ids keep growing after a reopen, even once everything was acknowledged.
    store.outbox_ack(2).unwrap();
    store.outbox_ack(3).unwrap();
    create(&store, 3).unwrap();
    assert_eq!(store.outbox_peek(10).unwrap()[0].id, 4);
}

#[test]
fn outbox_payload_is_not_on_disk_in_clear() {
    let (dir, store) = open();
    let mut secret = message(1, "patient.created");
    secret.payload = serde_json::json!({ "diagnosis": "Xylophonitis-chronica" });
    store
        .create_patient(&patient(1), &event(Action::Create, "1"), &[secret])
        .unwrap();
    drop(store);
    assert!(!files_contain(dir.path(), b"Xylophonitis"));
}

#[test]
fn errors_never_quote_stored_values() {
    let (_dir, store) = open();
    // A value sealed correctly but holding something that is not a patient.
    let key = patient_id(5);
    let sealed = crate::tree::seal(
        &store.inner().crypto,
        TreeId::Patients,
        key.as_bytes(),
        &serde_json::json!({ "first_name": 12, "secret": "Zebulonia-private" }),
    )
    .unwrap();
    store
        .inner()
        .trees
        .raw(TreeId::Patients)
        .insert(key.as_bytes(), sealed)
        .unwrap();
    let err = read(&store, 5).unwrap_err();
    assert!(matches!(err, RepositoryError::Corrupt(_)), "{err:?}");
    assert!(!err.to_string().contains("Zebulonia"), "{err}");
}

/// Patient records are kept in memory once read for a booking (`kept.rs`); any transaction
/// writing the patients tree — rectification, erasure — is seen by the next read.
#[test]
fn a_kept_patient_record_follows_every_change() {
    let (_dir, store) = open();
    create(&store, 1).unwrap();
    let id = patient_id(1);
    assert_eq!(store.patient_unrecorded(id).unwrap(), Some(patient(1)));
    assert_eq!(
        store.patient_unrecorded(id).unwrap(),
        Some(patient(1)),
        "kept"
    );

    let mut changed = patient(1);
    changed.phone = "+352621999999".to_owned();
    store
        .inner()
        .transact(|tx| {
            tx.encrypted(TreeId::Patients)
                .insert(id.as_bytes(), &changed)
        })
        .unwrap();
    assert_eq!(store.patient_unrecorded(id).unwrap(), Some(changed));

    store
        .erase_patient(id, &event(Action::Delete, id.to_string()))
        .unwrap()
        .unwrap();
    assert_eq!(store.patient_unrecorded(id).unwrap(), None);
}

/// `booking_reads_kept` says whether a booking would read only kept records: after each of
/// the practitioner, their schedule and the patient was read, and until one of them changes.
#[test]
fn a_booking_reads_from_memory_only_what_was_read_and_not_changed_since() {
    let (_dir, store) = open();
    create(&store, 1).unwrap();
    let (patient, practitioner) = (patient_id(1), PractitionerId::from_uuid(Uuid::from_u128(9)));
    store
        .upsert_practitioner(
            &Practitioner {
                id: practitioner,
                name: "Dr A".into(),
                specialty: "general_practice".into(),
                languages: vec!["fr".into()],
            },
            &event(Action::Update, "practitioner"),
        )
        .unwrap();
    let schedule: teleconsult_core::schedule::Schedule =
        serde_json::from_value(serde_json::json!({
            "hours": {"time_zone": "Europe/Luxembourg", "slot_minutes": 15, "modes": ["video"],
                "week": {"monday": [{"start": "08:00", "end": "12:00"}]}},
            "exceptions": []
        }))
        .unwrap();
    store
        .set_schedule(practitioner, &schedule, &event(Action::Update, "schedule"))
        .unwrap();
    assert!(!store.booking_reads_kept(practitioner, patient));
    store.practitioner(practitioner).unwrap().unwrap();
    store.schedule(practitioner).unwrap().unwrap();
    assert!(
        !store.booking_reads_kept(practitioner, patient),
        "patient not read yet"
    );
    store.patient_unrecorded(patient).unwrap().unwrap();
    assert!(store.booking_reads_kept(practitioner, patient));
    assert!(!store.booking_reads_kept(practitioner, patient_id(2)));

    store
        .set_schedule(practitioner, &schedule, &event(Action::Update, "schedule"))
        .unwrap();
    assert!(
        !store.booking_reads_kept(practitioner, patient),
        "schedule changed"
    );
    store.schedule(practitioner).unwrap().unwrap();
    assert!(store.booking_reads_kept(practitioner, patient));
}
