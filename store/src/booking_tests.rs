//! Booking on real sled: one booking per slot under concurrency, slot release on cancel,
//! reminders fired exactly once and in due order.
#![allow(clippy::unwrap_used)]

use crate::test_support::{event, open, ts};
use crate::{AppointmentChange, Booking, StoreError};
use std::sync::Arc;
use teleconsult_core::appointment::{Appointment, Status};
use teleconsult_core::audit::Action;
use teleconsult_core::booking::Reminder;
use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use teleconsult_core::notification::Notification;
use teleconsult_core::schedule::ConsultationMode;
use uuid::Uuid;

fn appointment(n: u128, slot: i64) -> Appointment {
    Appointment {
        id: AppointmentId::from_uuid(Uuid::from_u128(0x5000 + n)),
        practitioner: PractitionerId::from_uuid(Uuid::from_u128(1)),
        patient: PatientId::from_uuid(Uuid::from_u128(0x1000 + n)),
        booked_by: AccountId::from_uuid(Uuid::from_u128(0x9000 + n)),
        for_relative: None,
        start: ts(3600 + slot * 1200),
        end: ts(3600 + slot * 1200 + 1200),
        mode: ConsultationMode::Video,
        reason: format!("reason {n}"),
        status: Status::Booked,
        created_at: ts(0),
        patient_joined_at: None,
        practitioner_joined_at: None,
        call_started_at: None,
        call_ended_at: None,
        at_booth: false,
    }
}

fn confirmation() -> [Notification; 1] {
    [Notification::sms(
        "+352621000000".into(),
        "booked".into(),
        ts(0),
    )]
}

/// The booking of `a` with one confirmation and `reminders`.
fn booking<'a>(
    a: &'a Appointment,
    reminders: &'a [(teleconsult_core::Timestamp, Reminder)],
    confirmation: &'a [Notification],
) -> Booking<'a> {
    Booking {
        appointment: a,
        new_relative: None,
        open_limit: None,
        notifications: confirmation.to_vec(),
        reminders,
        outbox: Vec::new(),
        reads: &[],
    }
}

fn book(
    store: &crate::Store,
    a: &Appointment,
    reminders: &[(teleconsult_core::Timestamp, Reminder)],
) -> Result<(), StoreError> {
    let confirmation = confirmation();
    store.book(
        booking(a, reminders, &confirmation),
        &event(Action::Create, a.id.to_string()),
    )
}

/// How many slots of the test practitioner are booked.
fn booked_slots(store: &crate::Store) -> usize {
    let practitioner = PractitionerId::from_uuid(Uuid::from_u128(1));
    store
        .booked_starts(practitioner, ts(0), ts(100_000))
        .unwrap()
        .len()
}

#[test]
fn exactly_one_booking_per_slot_under_concurrency() {
    let (_dir, store) = open();
    let store = Arc::new(store);
    let threads: Vec<_> = (0..40u128)
        .map(|n| {
            let store = store.clone();
            // 40 clients, 4 slots.
            std::thread::spawn(move || book(&store, &appointment(n, (n % 4) as i64), &[]))
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::SlotTaken)))
    );
    assert_eq!(booked_slots(&store), 4);
    let all = store
        .appointments(|_| true, &event(Action::Read, "list"))
        .unwrap();
    assert_eq!(all.len(), 4, "losers left nothing behind");
    assert_eq!(store.notifications_pending().unwrap(), 4);
}

#[test]
fn cancelling_frees_the_slot_for_a_new_booking() {
    let (_dir, store) = open();
    let a = appointment(1, 0);
    book(&store, &a, &[]).unwrap();
    assert!(matches!(
        book(&store, &appointment(2, 0), &[]),
        Err(StoreError::SlotTaken)
    ));
    let cancel = |current: &Appointment| {
        Ok::<_, ()>(Some(AppointmentChange {
            next: Appointment {
                status: Status::Cancelled {
                    by: teleconsult_core::appointment::CancelledBy::Patient,
                    reason: None,
                    at: ts(10),
                },
                ..current.clone()
            },
            notifications: Vec::new(),
            outbox: Vec::new(),
        }))
    };
    let update = event(Action::Update, "a");
    store
        .change_appointment(a.id, cancel, None, &update)
        .unwrap()
        .unwrap();
    book(&store, &appointment(2, 0), &[]).unwrap();
    // Cancelling again (the appointment is already cancelled) must not free someone else's
    // booking.
    store
        .change_appointment(a.id, cancel, None, &update)
        .unwrap()
        .unwrap();
    assert!(matches!(
        book(&store, &appointment(3, 0), &[]),
        Err(StoreError::SlotTaken)
    ));
}

#[test]
fn reminders_come_due_in_order_and_fire_once() {
    let (_dir, store) = open();
    let a = appointment(1, 5);
    let r = |before_s| Reminder {
        appointment: a.id,
        before: jiff::SignedDuration::from_secs(before_s),
    };
    book(&store, &a, &[(ts(500), r(3600)), (ts(100), r(7200))]).unwrap();
    assert!(store.due_reminders(ts(99), 10).unwrap().is_empty());
    let due = store.due_reminders(ts(600), 10).unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(due[0].1.before.as_secs(), 7200, "earliest due first");
    let message = [Notification::sms(
        "+352621000000".into(),
        "reminder".into(),
        ts(600),
    )];
    let before = store.notifications_pending().unwrap();
    assert!(store.fire_reminder(&due[0].0, &message).unwrap());
    assert!(
        !store.fire_reminder(&due[0].0, &message).unwrap(),
        "fires once"
    );
    assert_eq!(store.notifications_pending().unwrap(), before + 1);
    assert_eq!(store.reminders_pending().unwrap(), 1);
}

/// Set in the child process of the kill -9 test: the store directory it books into.
const CHILD_STORE: &str = "TELECONSULT_STORE_TEST_CHILD_DIR";
const WRITER_THREADS: u128 = 16;
const BOOKINGS_PER_THREAD: u128 = 60;

/// The child of [`concurrent_acknowledged_bookings_survive_kill_9`]: books from many threads at
/// once (so flushes are shared) and prints `acked <n>` as each booking is acknowledged.
fn book_and_report(dir: &std::path::Path) {
    let store = Arc::new(crate::Store::open(dir, crate::test_support::reopen_key()).unwrap());
    let threads: Vec<_> = (0..WRITER_THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..BOOKINGS_PER_THREAD {
                    let n = t * BOOKINGS_PER_THREAD + i;
                    book(&store, &appointment(n, n as i64), &[]).unwrap();
                    println!("acked {n}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Stay alive (bounded) so the parent's SIGKILL, not a clean exit, ends the process.
    std::thread::sleep(std::time::Duration::from_secs(30));
}

/// Group commit keeps the durability invariant: a child process books from 16 threads,
/// reporting each acknowledgement, and is killed with SIGKILL while still booking; every
/// booking it acknowledged is in the reopened store, and the audit chain is intact.
#[test]
fn concurrent_acknowledged_bookings_survive_kill_9() {
    use std::io::BufRead;
    if let Some(dir) = std::env::var_os(CHILD_STORE) {
        book_and_report(std::path::Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = concat!(
        module_path!(),
        "::concurrent_acknowledged_bookings_survive_kill_9"
    );
    let name = name.split_once("::").map_or(name, |(_, rest)| rest);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_STORE, dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, acks) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("acked ").and_then(|n| n.parse().ok()) {
                let n: u128 = n;
                if lines.send(n).is_err() {
                    break;
                }
            }
        }
    });
    // Kill it once a good part (not all) of the bookings is acknowledged.
    let total = WRITER_THREADS * BOOKINGS_PER_THREAD;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut acked = Vec::new();
    while acked.len() < (total / 2) as usize {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match acks.recv_timeout(left) {
            Ok(n) => acked.push(n),
            Err(e) => panic!("after {} acknowledgements: {e}", acked.len()),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Late lines already in the pipe were acknowledged before the kill too.
    acked.extend(acks.try_iter());

    let store = crate::Store::open(dir.path(), crate::test_support::reopen_key()).unwrap();
    let stored: std::collections::BTreeSet<_> = store
        .appointments(|_| true, &event(Action::Read, "list"))
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    for n in &acked {
        assert!(
            stored.contains(&appointment(*n, *n as i64).id),
            "booking {n} was acknowledged but is not in the store ({} acknowledged, {} stored)",
            acked.len(),
            stored.len()
        );
    }
    assert!(stored.len() <= total as usize);
    store.verify_audit_chain().unwrap();
}

/// GDPR erasure of a patient takes what the calls of their appointments left (chat, shared
/// files, quality records) and nothing of anyone else's; the appointments stay, as the
/// practitioner's record.
#[test]
fn erasing_a_patient_erases_what_their_calls_left_and_keeps_the_appointments() {
    use crate::test_support::{patient, patient_id};
    use teleconsult_core::call::{Attachment, ChatMessage, QualitySample};
    use teleconsult_core::ports::Repository;
    use teleconsult_core::signal::Role;

    let (_dir, store) = open();
    let mut calls = Vec::new();
    for n in [1u128, 2] {
        store
            .create_patient(&patient(n), &event(Action::Create, "patient"), &[])
            .unwrap();
        let mut a = appointment(n, n as i64);
        a.patient = patient_id(n);
        book(&store, &a, &[]).unwrap();
        let chat = ChatMessage {
            appointment: a.id,
            at: ts(10),
            role: Role::Patient,
            author: a.booked_by,
            text: "here are my results".into(),
            attachment: None,
        };
        store
            .append_chat(&chat, &event(Action::Create, "chat"))
            .unwrap();
        let file = Attachment {
            id: Uuid::from_u128(0x7000 + n),
            appointment: a.id,
            uploaded_by: a.booked_by,
            uploaded_at: ts(11),
            content_type: "application/pdf".into(),
            file_name: "results.pdf".into(),
            size: 8,
        };
        store
            .save_attachment(
                &file,
                b"%PDF-1.4",
                None,
                &event(Action::Create, "attachment"),
            )
            .unwrap();
        let sample = QualitySample {
            at: ts(12),
            role: Role::Patient,
            quality: Default::default(),
        };
        store
            .add_quality_samples(a.id, &[sample], &event(Action::Create, "quality"))
            .unwrap();
        calls.push((a, file));
    }
    let erasure = store
        .erase_patient(patient_id(1), &event(Action::Delete, "patient"))
        .unwrap()
        .unwrap();
    // The record, its 2 index entries, 1 chat message, the file's description and content,
    // the quality record.
    assert_eq!(erasure.removed_records, 3 + 1 + 2 + 1);
    let read = || event(Action::Read, "x");
    let ((mine, my_file), (theirs, their_file)) = (&calls[0], &calls[1]);
    assert!(store.chat(mine.id, &read()).unwrap().is_empty());
    assert!(store.attachment(my_file.id, &read()).unwrap().is_none());
    assert!(store.quality_record(mine.id, &read()).unwrap().is_none());
    assert!(
        store.appointment(mine.id, &read()).unwrap().is_some(),
        "kept"
    );
    assert_eq!(store.chat(theirs.id, &read()).unwrap().len(), 1);
    assert!(store.attachment(their_file.id, &read()).unwrap().is_some());
    assert!(store.quality_record(theirs.id, &read()).unwrap().is_some());
    store.verify_audit_chain().unwrap();
}

/// Practitioners and schedules are kept in memory once read (`kept.rs`); a change is seen by
/// the next read.
#[test]
fn a_changed_schedule_or_practitioner_is_read_at_once() {
    use teleconsult_core::ports::Repository;
    use teleconsult_core::practitioner::Practitioner;
    use teleconsult_core::schedule::Schedule;

    let (_dir, store) = open();
    let id = PractitionerId::from_uuid(Uuid::from_u128(1));
    let schedule = |slot_minutes: u32| -> Schedule {
        serde_json::from_value(serde_json::json!({
            "hours": {"time_zone": "Europe/Luxembourg", "slot_minutes": slot_minutes,
                "modes": ["video"], "week": {"monday": [{"start": "08:00", "end": "12:00"}]}},
            "exceptions": []
        }))
        .unwrap()
    };
    assert_eq!(store.schedule(id).unwrap(), None);
    store
        .set_schedule(id, &schedule(20), &event(Action::Update, "schedule"))
        .unwrap();
    assert_eq!(store.schedule(id).unwrap(), Some(schedule(20)));
    assert_eq!(store.schedule(id).unwrap(), Some(schedule(20)), "kept");
    store
        .set_schedule(id, &schedule(30), &event(Action::Update, "schedule"))
        .unwrap();
    assert_eq!(store.schedule(id).unwrap(), Some(schedule(30)));

    // Read (and kept) after each change: the second read must not be the first one kept.
    for name in ["Dr A", "Dr B"] {
        let practitioner = Practitioner {
            id,
            name: name.into(),
            specialty: "general_practice".into(),
            languages: vec!["fr".into()],
        };
        store
            .upsert_practitioner(&practitioner, &event(Action::Update, "practitioner"))
            .unwrap();
        assert_eq!(
            store.practitioner(id).unwrap().map(|p| p.name),
            Some(name.into())
        );
    }
}

/// `book_queued` answers through a future, with the same outcomes as `book`.
#[test]
fn a_queued_booking_resolves_with_its_own_outcome() {
    let (_dir, store) = open();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let confirmation = confirmation();
    let queue = |a: &Appointment| {
        store
            .book_queued(
                booking(a, &[], &confirmation),
                &event(Action::Create, a.id.to_string()),
            )
            .unwrap()
    };
    // Both queued before either is written: the second is refused in the same batch or after.
    let (first, second) = (queue(&appointment(1, 0)), queue(&appointment(2, 0)));
    let third = queue(&appointment(3, 1));
    runtime.block_on(async {
        assert!(first.outcome().await.is_ok());
        assert!(matches!(second.outcome().await, Err(StoreError::SlotTaken)));
        assert!(third.outcome().await.is_ok());
    });
    assert_eq!(booked_slots(&store), 2);
    store.verify_audit_chain().unwrap();
}
