//! Backup, restore and erasure on real sled: round trips, every way an archive can be refused,
//! consistency under concurrent writers.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use teleconsult_core::audit::Action;
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::national_id::Country;
use teleconsult_core::ports::Repository;
use teleconsult_core::practitioner::Practitioner;
use uuid::Uuid;

use super::*;
use crate::StorageKey;
use crate::test_support::{event, message, open, patient, patient_id, ts};

fn create(store: &Store, n: u128) {
    store
        .create_patient(
            &patient(n),
            &event(Action::Create, patient_id(n).to_string()),
            &[message(n, "patient.created")],
        )
        .unwrap();
}

fn read(store: &Store, n: u128) -> Option<teleconsult_core::patient::Patient> {
    store
        .patient(
            patient_id(n),
            &event(Action::Read, patient_id(n).to_string()),
        )
        .unwrap()
}

fn practitioner() -> Practitioner {
    Practitioner {
        id: PractitionerId::from_uuid(Uuid::from_u128(7)),
        name: "Dr Ada".to_owned(),
        specialty: "general_practice".to_owned(),
        languages: vec!["fr".to_owned()],
    }
}

/// A store with three patients, a practitioner and queued outbox messages.
fn populated() -> (tempfile::TempDir, Store) {
    let (dir, store) = open();
    for n in 1..=3 {
        create(&store, n);
    }
    store
        .upsert_practitioner(&practitioner(), &event(Action::Create, "7"))
        .unwrap();
    (dir, store)
}

fn backup(store: &Store) -> BackupArchive {
    store.backup("test-site", ts(100)).unwrap()
}

#[test]
fn backup_then_restore_into_an_empty_store_gives_the_same_data() {
    let (_dir, source) = populated();
    let archive = backup(&source);
    let manifest = read_manifest(&archive.bytes).unwrap();
    assert_eq!(manifest, archive.manifest);
    assert_eq!(manifest.site_id, "test-site");
    assert_eq!(manifest.created_at, ts(100));
    assert_eq!(manifest.count("patients"), 3);
    assert_eq!(manifest.count("practitioners"), 1);
    assert_eq!(manifest.count("audit"), 4);
    assert_eq!(manifest.count("outbox"), 3);
    assert_eq!(manifest.key_id, source.key_id());

    let (_target_dir, target) = open();
    assert!(!target.holds_data().unwrap());
    let report = target.restore(&archive.bytes, false).unwrap();
    assert_eq!(report.replaced_records, 0);
    assert_eq!(report.restored_records, manifest.total_records());
    let source_chain = source.verify_audit_chain().unwrap();
    assert_eq!(
        (report.audit.records, &report.audit.head),
        (source_chain.records, &source_chain.head)
    );
    // The target's anchor follows the restored chain.
    let anchor = report.audit.anchor.unwrap();
    assert_eq!((anchor.seq, anchor.state.as_str()), (Some(4), "ok"));
    for n in 1..=3 {
        assert_eq!(read(&target, n), Some(patient(n)));
        assert_eq!(
            target.patient_id_by_email(&patient(n).email).unwrap(),
            Some(patient_id(n))
        );
        assert_eq!(
            target
                .patient_id_by_national_id(Country::LU, &patient(n).national_id)
                .unwrap(),
            Some(patient_id(n))
        );
    }
    assert_eq!(target.practitioners().unwrap(), vec![practitioner()]);
    assert_eq!(
        target.outbox_peek(10).unwrap(),
        source.outbox_peek(10).unwrap()
    );
    // The restored store goes on: the chain continues and new outbox ids follow the old ones.
    create(&target, 4);
    assert_eq!(target.verify_audit_chain().unwrap().records, 8);
    assert_eq!(target.outbox_peek(10).unwrap().last().unwrap().id, 4);
}

#[test]
fn the_archive_holds_no_health_data_in_clear() {
    let (_dir, source) = populated();
    let archive = backup(&source);
    for needle in ["Zebulonia1", "Quackenbush2", "example.org", "1985071500003"] {
        assert!(
            !archive
                .bytes
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle.as_bytes())),
            "{needle} found in clear"
        );
    }
}

#[test]
fn restoring_over_data_needs_force_and_then_replaces_everything() {
    let (_dir, store) = populated();
    let archive = backup(&store);
    create(&store, 9);
    let err = store.restore(&archive.bytes, false).unwrap_err();
    assert!(
        matches!(err, BackupError::NotEmpty { records } if records > 0),
        "{err:?}"
    );
    assert!(err.to_string().contains("--force"), "{err}");
    // Nothing changed.
    assert_eq!(read(&store, 9), Some(patient(9)));

    let report = store.restore(&archive.bytes, true).unwrap();
    assert!(report.replaced_records > 0);
    assert_eq!(read(&store, 9), None);
    assert_eq!(store.patient_id_by_email(&patient(9).email).unwrap(), None);
    assert_eq!(read(&store, 1), Some(patient(1)));
    store.verify_audit_chain().unwrap();
}

#[test]
fn damaged_archives_are_refused_before_anything_is_written() {
    let (_dir, source) = populated();
    let archive = backup(&source).bytes;
    let (_target_dir, target) = open();
    let refused = |bytes: &[u8]| target.restore(bytes, true).unwrap_err();

    assert!(matches!(refused(b""), BackupError::Truncated(_)));
    assert!(matches!(
        refused(b"PK\x03\x04 a zip file"),
        BackupError::NotAnArchive
    ));
    for cut in [10, 40, archive.len() / 2, archive.len() - 1] {
        let err = refused(&archive[..cut]);
        assert!(
            matches!(err, BackupError::Truncated(_)),
            "cut at {cut}: {err:?}"
        );
        assert!(err.to_string().contains("truncated"), "{err}");
    }
    let mut flipped = archive.clone();
    let middle = flipped.len() - 100;
    flipped[middle] ^= 0x01;
    let err = refused(&flipped);
    assert!(matches!(err, BackupError::ChecksumMismatch), "{err:?}");
    assert!(err.to_string().contains("corrupt"), "{err}");
    let mut longer = archive.clone();
    longer.push(0);
    assert!(matches!(refused(&longer), BackupError::Malformed(_)));

    // A manifest edited and the trailing checksum recomputed: the seal catches it.
    let forged = forge(&archive, |m| {
        m.counts.insert("patients".into(), 2);
    });
    assert!(matches!(refused(&forged), BackupError::Inauthentic));

    assert!(!target.holds_data().unwrap());
    target.verify_audit_chain().unwrap();
}

#[test]
fn an_archive_of_another_key_is_named_as_such() {
    let (_dir, source) = populated();
    let archive = backup(&source).bytes;
    let other_dir = tempfile::tempdir().unwrap();
    let other = Store::open(other_dir.path(), StorageKey::from_bytes([0x17; 32])).unwrap();
    let err = other.restore(&archive, false).unwrap_err();
    assert!(matches!(err, BackupError::ForeignKey { .. }), "{err:?}");
    assert!(err.to_string().contains("another storage key"), "{err}");
    assert_ne!(other.key_id(), source.key_id());
    // Same key, other store: same key id.
    let (_d, same_key) = open();
    assert_eq!(same_key.key_id(), source.key_id());
}

#[test]
fn archives_from_newer_versions_are_refused() {
    let (_dir, source) = populated();
    let archive = backup(&source).bytes;
    let (_target_dir, target) = open();
    let newer_format = forge(&archive, |m| m.archive_format = ARCHIVE_FORMAT + 1);
    assert!(matches!(
        target.restore(&newer_format, false).unwrap_err(),
        BackupError::UnsupportedFormat { .. }
    ));
}

/// Rewrites the manifest with `edit` and recomputes the trailing checksum (what an attacker
/// without the key could do).
fn forge(archive: &[u8], edit: impl FnOnce(&mut BackupManifest)) -> Vec<u8> {
    let len = u32::from_be_bytes(archive[8..12].try_into().unwrap()) as usize;
    let mut manifest: BackupManifest = serde_json::from_slice(&archive[12..12 + len]).unwrap();
    edit(&mut manifest);
    let manifest_bytes = serde_json::to_vec(&manifest).unwrap();
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(manifest_bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(&manifest_bytes);
    out.extend_from_slice(&archive[12 + len..archive.len() - TRAILER_BYTES]);
    let checksum = Sha256::digest(&out);
    out.extend_from_slice(&checksum);
    out
}

#[test]
fn backups_taken_during_concurrent_writes_are_consistent() {
    let (_dir, store) = open();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU32::new(0));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let (store, stop, next) = (store.clone(), stop.clone(), next.clone());
            std::thread::spawn(move || {
                // Bounded: at most 400 patients per writer.
                for _ in 0..400 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let n = u128::from(next.fetch_add(1, Ordering::Relaxed));
                    create(&store, n);
                    store.outbox_ack(u64::try_from(n).unwrap() / 2 + 1).unwrap();
                }
            })
        })
        .collect();
    let mut archives = Vec::new();
    for _ in 0..5 {
        while next.load(Ordering::Relaxed) < 20 * (archives.len() as u32 + 1) {
            std::thread::yield_now();
        }
        archives.push(backup(&store));
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    for archive in archives {
        let (_d, target) = open();
        // Restore verifies the audit chain: records and head agree.
        let report = target.restore(&archive.bytes, false).unwrap();
        let patients = archive.manifest.count("patients");
        assert!(patients > 0);
        // Every patient came with its two index entries and its audit record, atomically.
        assert_eq!(archive.manifest.count("patients_by_national_id"), patients);
        assert_eq!(archive.manifest.count("patients_by_email"), patients);
        assert_eq!(report.audit.records, patients);
    }
}

#[test]
fn erasure_removes_the_record_and_its_indexes_and_keeps_the_audit_trail() {
    let (_dir, store) = populated();
    let erasure = store
        .erase_patient(
            patient_id(2),
            &event(Action::Delete, patient_id(2).to_string()),
        )
        .unwrap()
        .unwrap();
    assert_eq!(erasure.removed_records, 3);
    let about = format!("patient/{}", patient_id(2));
    assert_eq!(store.outbox_pending_about(&about).unwrap(), 1);
    assert_eq!(read(&store, 2), None);
    assert_eq!(store.patient_id_by_email(&patient(2).email).unwrap(), None);
    assert_eq!(
        store
            .patient_id_by_national_id(Country::LU, &patient(2).national_id)
            .unwrap(),
        None
    );
    assert_eq!(read(&store, 1), Some(patient(1)));
    let records = store.audit_records(erasure.audit_seq, 1).unwrap();
    assert_eq!(records[0].event.action, Action::Delete);
    assert_eq!(records[0].event.object_id, patient_id(2).to_string());
    store.verify_audit_chain().unwrap();
    // The same person may register again.
    create(&store, 2);
    // Erasing nobody is audited and says so.
    let before = store.audit_len().unwrap();
    assert_eq!(
        store
            .erase_patient(patient_id(99), &event(Action::Delete, "x"))
            .unwrap(),
        None
    );
    assert_eq!(store.audit_len().unwrap(), before + 1);
}

#[test]
fn outbox_attempts_can_be_reset() {
    let (_dir, store) = populated();
    store.outbox_record_attempt(1).unwrap();
    store.outbox_record_attempt(1).unwrap();
    store.outbox_record_attempt(3).unwrap();
    assert_eq!(store.outbox_reset_attempts().unwrap(), 2);
    assert!(
        store
            .outbox_peek(10)
            .unwrap()
            .iter()
            .all(|e| e.attempts == 0)
    );
    assert_eq!(store.outbox_reset_attempts().unwrap(), 0);
}
