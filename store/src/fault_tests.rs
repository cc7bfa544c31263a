//! Storage faults on real sled: a full filesystem (a tmpfs the test mounts, so it needs root),
//! a store put back to an earlier state, damaged files, the reserve.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use teleconsult_core::audit::Action;
use teleconsult_core::call::Attachment;
use teleconsult_core::ids::{AccountId, AppointmentId};
use teleconsult_core::ports::{Repository, RepositoryError};
use uuid::Uuid;

use crate::test_support::{event, message, patient, patient_id, reopen_key, ts};
use crate::tree::TreeId;
use crate::{ANCHOR_FILE, Reserve, Store, StoreError};

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

fn attachment(n: u128, size: usize) -> Attachment {
    Attachment {
        id: Uuid::from_u128(0x5000 + n),
        appointment: AppointmentId::from_uuid(Uuid::from_u128(1)),
        uploaded_by: AccountId::from_uuid(Uuid::from_u128(2)),
        uploaded_at: ts(0),
        content_type: "application/pdf".into(),
        file_name: format!("scan-{n}.pdf"),
        size: size as u64,
    }
}

fn save(store: &Store, n: u128, size: usize) -> Result<(), StoreError> {
    let content = vec![(n % 251) as u8; size];
    store.save_attachment(
        &attachment(n, size),
        &content,
        None,
        &event(Action::Create, format!("attachment {n}")),
    )
}

/// A tmpfs of `mb` megabytes mounted on a fresh folder, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mb: u64) -> Tmpfs {
        assert!(
            std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0,
            "this test mounts a tmpfs: run it as root (cargo xtask test does on the test machines)"
        );
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={mb}m,mode=0700"))
            .arg("tmpfs")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount tmpfs failed: {status}");
        Tmpfs { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn resize(&self, mb: u64) {
        let status = std::process::Command::new("mount")
            .args(["-o"])
            .arg(format!("remount,size={mb}m"))
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount failed: {status}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_full_filesystem_refuses_writes_and_a_reopen_after_room_is_back_lets_them_resume() {
    let fs = Tmpfs::mount(24);
    let store = Store::open(&fs.path(), reopen_key()).unwrap();
    create(&store, 1).unwrap();
    // Fill it with 512 KB files while they fit (a file that would not fit is refused before
    // the engine sees it), then with small records until the engine itself fails.
    let mut acknowledged = Vec::new();
    for n in 0..200 {
        match save(&store, n, 512 * 1024) {
            Ok(()) => acknowledged.push(n),
            Err(StoreError::ReserveReached { .. }) => break,
            Err(e) if e.is_storage_full() => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    let mut patients = vec![1];
    let failure = (10..100_000)
        .find_map(|n| match create(&store, n) {
            Ok(()) => {
                patients.push(n);
                None
            }
            Err(e) => Some(e),
        })
        .expect("a 24 MB filesystem filled up");
    assert!(
        matches!(failure, RepositoryError::StorageFull(_)),
        "{failure:?}"
    );
    let condition = store.condition();
    let fault = condition
        .write_fault
        .clone()
        .expect("the fault is recorded");
    assert!(fault.full, "{fault:?}");
    assert!(condition.refusal().is_some());
    assert!(
        acknowledged.len() > 5,
        "{} files before it was full",
        acknowledged.len()
    );
    // Reads of health data are refused too: their access cannot be recorded.
    assert!(matches!(
        read(&store, 1),
        Err(RepositoryError::StorageFull(_))
    ));

    // Room again: the engine still refuses (it keeps its first I/O error) until re-opened.
    fs.resize(64);
    assert!(
        store.probe_write().is_err(),
        "sled keeps refusing after ENOSPC"
    );
    let started = Instant::now();
    store.reopen().unwrap();
    store.probe_write().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(store.condition().write_fault, None);
    create(&store, 2).unwrap();
    for n in &acknowledged {
        let found = store
            .attachment(Uuid::from_u128(0x5000 + n), &event(Action::Read, "a"))
            .unwrap()
            .expect("every acknowledged file is still there");
        assert_eq!(found.1.len(), 512 * 1024);
    }
    for &n in &patients {
        assert_eq!(read(&store, n).unwrap(), Some(patient(n)));
    }
    store.verify_audit_chain().unwrap();
    drop(store);
    // And after a restart too.
    let store = Store::open(&fs.path(), reopen_key()).unwrap();
    assert_eq!(read(&store, 2).unwrap(), Some(patient(2)));
    assert!(store.condition().rollback.is_none());
}

#[test]
fn files_are_refused_below_the_reserve_while_small_writes_go_on() {
    let (dir, store) = crate::test_support::open();
    let space = store.disk_space().unwrap();
    assert!(space.capacity_bytes > 0 && space.available_bytes <= space.capacity_bytes);
    save(&store, 1, 1000).unwrap();
    store.set_reserve(Reserve {
        min_bytes: space.capacity_bytes,
        percent: 0,
    });
    let refused = save(&store, 2, 1000).unwrap_err();
    assert!(
        matches!(refused, StoreError::ReserveReached { .. }),
        "{refused:?}"
    );
    assert!(
        matches!(RepositoryError::from(refused), RepositoryError::InsufficientStorage(m) if m.contains("free")),
    );
    create(&store, 1).unwrap();
    drop(dir);
}

/// The store's engine files copied aside (the store must be closed).
fn copy_engine_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ANCHOR_FILE || entry.file_type().unwrap().is_dir() {
            continue;
        }
        std::fs::copy(entry.path(), to.join(&name)).unwrap();
    }
}

#[test]
fn a_store_put_back_to_an_earlier_state_is_fenced_until_a_restore() {
    let (dir, store) = crate::test_support::open();
    create(&store, 1).unwrap();
    drop(store);
    let old = tempfile::tempdir().unwrap();
    copy_engine_files(dir.path(), old.path());

    let store = Store::open(dir.path(), reopen_key()).unwrap();
    for n in 2..=5 {
        create(&store, n).unwrap();
    }
    let backup = store.backup("site", ts(100)).unwrap();
    let anchored = store.audit_len().unwrap();
    drop(store);
    // The old files come back (a copy, or an engine that recovered to an earlier point); the
    // anchor beside them stays.
    copy_engine_files(old.path(), dir.path());

    let store = Store::open(dir.path(), reopen_key()).unwrap();
    let rollback = store
        .condition()
        .rollback
        .expect("the rollback is detected");
    assert_eq!(rollback.anchor_seq, anchored);
    assert!(rollback.store_seq < anchored);
    let message = rollback.to_string();
    assert!(message.contains("teleconsultctl restore"), "{message}");
    assert!(
        message.contains(&format!("{}", anchored - rollback.store_seq)),
        "{message}"
    );
    // Nothing is served: writes and audited reads are refused, naming the rollback.
    let refused = create(&store, 9).unwrap_err();
    assert!(
        matches!(refused, RepositoryError::RolledBack(_)),
        "{refused:?}"
    );
    assert!(matches!(
        read(&store, 1),
        Err(RepositoryError::RolledBack(_))
    ));
    // audit-verify no longer says "intact": the chain went back as a whole.
    assert!(matches!(
        store.verify_audit_chain(),
        Err(StoreError::RolledBack(_))
    ));
    let scrub = store.scrub();
    assert!(scrub.rollback.is_some() && !scrub.is_clean());
    // The restore brings everything back and lifts the fence.
    store.restore(&backup.bytes, true).unwrap();
    assert!(store.condition().rollback.is_none());
    for n in 1..=5 {
        assert_eq!(read(&store, n).unwrap(), Some(patient(n)));
    }
    create(&store, 6).unwrap();
    let verified = store.verify_audit_chain().unwrap();
    assert_eq!(verified.anchor.unwrap().state, "ok");
    drop(store);
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    assert!(store.condition().rollback.is_none());
    assert_eq!(read(&store, 6).unwrap(), Some(patient(6)));
}

#[test]
fn the_scrub_names_a_record_whose_sealed_value_was_altered() {
    let (_dir, store) = crate::test_support::open();
    for n in 1..=3 {
        create(&store, n).unwrap();
    }
    assert!(store.scrub().is_clean());
    let key = patient_id(2);
    let inner = store.inner();
    let tree = inner.trees.raw(TreeId::Patients);
    let mut value = tree.get(key.as_bytes()).unwrap().unwrap().to_vec();
    let last = value.len() - 1;
    value[last] ^= 0x20;
    tree.insert(key.as_bytes(), value).unwrap();
    drop(inner);
    let report = store.scrub();
    assert_eq!(report.damaged, 1, "{report:?}");
    assert_eq!(report.damage[0].kind, "patients");
    assert_eq!(report.damage[0].key, key.to_string());
    assert!(report.damage[0].problem.contains("authentication"));
    assert_eq!(store.condition().damaged_records(), 1);
}

/// Flips `count` bytes of the `db` file at places drawn from `seed`, within the part
/// `from`..`to` (in eighths of the file).
fn flip_bytes(dir: &Path, seed: u64, count: usize, (from, to): (usize, usize)) {
    let path = dir.join("db");
    let mut bytes = std::fs::read(&path).unwrap();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let start = bytes.len() * from / 8;
    let end = bytes.len() * to / 8;
    for _ in 0..count {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let at = start + (r as usize) % (end - start);
        bytes[at] ^= ((r >> 56) as u8) | 1;
    }
    std::fs::write(&path, bytes).unwrap();
}

/// Whatever bytes of the file are flipped, the store never serves silently less than it
/// acknowledged: it refuses to open (damaged), opens fenced (behind its anchor), names damage
/// in a scrub, or holds every acknowledged record. A restore brings everything back.
#[test]
fn flipped_bytes_never_go_unnoticed_and_a_restore_brings_everything_back() {
    let mut outcomes = std::collections::BTreeMap::<&str, u32>::new();
    // Several seeds, several places (the start of the file, its middle, its end, all of it),
    // one byte or twenty.
    let places = [(0, 1), (2, 5), (4, 8), (7, 8), (0, 8)];
    for seed in 1..=20u64 {
        let place = places[seed as usize % places.len()];
        let count = if seed % 3 == 0 { 1 } else { 20 };
        let (dir, store) = crate::test_support::open();
        let patients = 15;
        for n in 1..=patients {
            create(&store, n).unwrap();
        }
        let backup = store.backup("site", ts(100)).unwrap();
        drop(store);
        if seed % 2 == 1 {
            // Opened once more before the damage: the engine's snapshot then covers the
            // records, and it does not read them again when it opens.
            drop(Store::open(dir.path(), reopen_key()).unwrap());
        }
        flip_bytes(dir.path(), seed, count, place);
        let outcome = match Store::open(dir.path(), reopen_key()) {
            Err(e) => {
                assert!(
                    matches!(
                        e,
                        StoreError::Damaged { .. }
                            | StoreError::Open { .. }
                            | StoreError::Corrupt(_)
                            | StoreError::Engine(_)
                    ),
                    "seed {seed}: {e:?}"
                );
                eprintln!("seed {seed}: {e}");
                // The files are set aside, and the backup restored into a new store.
                Store::set_aside(dir.path()).unwrap();
                let store = Store::open(dir.path(), reopen_key()).unwrap();
                assert!(
                    store.condition().rollback.is_some(),
                    "seed {seed}: a new store is behind the anchor"
                );
                store.restore(&backup.bytes, true).unwrap();
                for n in 1..=patients {
                    assert_eq!(read(&store, n).unwrap(), Some(patient(n)), "seed {seed}");
                }
                "refused to open"
            }
            Ok(store) => {
                let report = store.scrub();
                let all_there = (1..=patients)
                    .all(|n| matches!(read(&store, n), Ok(Some(p)) if p == patient(n)));
                if report.is_clean() {
                    assert!(all_there, "seed {seed}: a clean scrub with records missing");
                    "intact"
                } else {
                    if report.rollback.is_some() {
                        assert!(matches!(
                            create(&store, 99),
                            Err(RepositoryError::RolledBack(_))
                        ));
                    }
                    // Restored in place, or into a new store when the engine cannot read it.
                    if store.restore(&backup.bytes, true).is_err() {
                        store.replace_with_empty().unwrap();
                        store.restore(&backup.bytes, true).unwrap();
                    }
                    assert!(store.scrub().is_clean(), "seed {seed}");
                    for n in 1..=patients {
                        assert_eq!(read(&store, n).unwrap(), Some(patient(n)), "seed {seed}");
                    }
                    if report.rollback.is_some() {
                        "rolled back"
                    } else {
                        "damaged"
                    }
                }
            }
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    eprintln!("outcomes over 20 seeds: {outcomes:?}");
}

#[test]
fn a_store_replaced_with_an_empty_one_is_fenced_until_the_backup_is_restored() {
    let (dir, store) = crate::test_support::open();
    for n in 1..=3 {
        create(&store, n).unwrap();
    }
    let backup = store.backup("site", ts(100)).unwrap();
    let aside = store.replace_with_empty().unwrap();
    assert!(aside.starts_with(dir.path()) && aside.join("db").exists());
    // The new store is behind the anchor: nothing is served from it.
    let rollback = store.condition().rollback.expect("fenced");
    assert_eq!(rollback.store_seq, 0);
    assert!(matches!(
        read(&store, 1),
        Err(RepositoryError::RolledBack(_))
    ));
    store.restore(&backup.bytes, true).unwrap();
    for n in 1..=3 {
        assert_eq!(read(&store, n).unwrap(), Some(patient(n)));
    }
    create(&store, 4).unwrap();
    assert!(store.scrub().is_clean());
}

/// 32 writers go on while the database is re-opened under them, three times: each write is
/// acknowledged or refused, never lost once acknowledged, and the chain stays whole.
#[test]
fn re_opening_under_thirty_two_writers_loses_no_acknowledged_write() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let (dir, store) = crate::test_support::open();
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..32u128)
        .map(|w| {
            let (store, stop, acknowledged) = (store.clone(), stop.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                let mut n = w * 10_000;
                while !stop.load(Ordering::Relaxed) && n < w * 10_000 + 200 {
                    n += 1;
                    if create(&store, n).is_ok() {
                        acknowledged.lock().unwrap().push(n);
                    }
                    // Audited reads, and a probe, in the mix.
                    let _ = read(&store, n);
                    let _ = store.probe_write();
                }
            })
        })
        .collect();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(100));
        store.reopen().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 32, "{} writes", acknowledged.len());
    store.verify_audit_chain().unwrap();
    drop(store);
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    for n in acknowledged {
        assert_eq!(read(&store, n).unwrap(), Some(patient(n)), "patient {n}");
    }
    assert!(store.condition().rollback.is_none());
}

/// A store on another history than its anchor (longer, different records) stays fenced across
/// flushes and restarts: its own head never replaces the anchor.
#[test]
fn a_store_that_diverged_from_its_anchor_stays_fenced_across_flushes_and_restarts() {
    let (dir, store) = crate::test_support::open();
    create(&store, 1).unwrap();
    drop(store);
    let old = tempfile::tempdir().unwrap();
    copy_engine_files(dir.path(), old.path());
    // History one goes on to record 4; its anchor is kept.
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    for n in 2..=4 {
        create(&store, n).unwrap();
    }
    drop(store);
    let anchor = std::fs::read(dir.path().join(ANCHOR_FILE)).unwrap();
    // History two starts from the old files (without an anchor) and goes further.
    copy_engine_files(old.path(), dir.path());
    std::fs::remove_file(dir.path().join(ANCHOR_FILE)).unwrap();
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    for n in 10..=15 {
        create(&store, n).unwrap();
    }
    drop(store);
    // History one's anchor comes back: the store's record 4 is another record.
    std::fs::write(dir.path().join(ANCHOR_FILE), &anchor).unwrap();
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    let rollback = store.condition().rollback.expect("diverged");
    assert!(rollback.diverged, "{rollback:?}");
    assert!(rollback.store_seq > rollback.anchor_seq, "{rollback:?}");
    assert!(rollback.to_string().contains("differs"), "{rollback}");
    store.flush().unwrap();
    drop(store);
    assert_eq!(std::fs::read(dir.path().join(ANCHOR_FILE)).unwrap(), anchor);
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    assert!(
        store.condition().rollback.is_some(),
        "still fenced after a restart"
    );
}
