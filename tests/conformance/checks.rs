//! The checks both adapters pass. Each takes a fresh store; counts of audit records are taken
//! relative to the store's own at the start (an adapter may record its opening).

use std::sync::Arc;

use teleconsult_core::audit::Action;
use teleconsult_core::booth::{BoothSession, BoothSessionId};
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::booking::AtTheBooth;
use uuid::Uuid;

use crate::Under;
pub use crate::accounts::*;
pub use crate::calls::*;
pub use crate::erasure::*;
use crate::fixtures::{
    appointment, booking, event, patient, practitioner, practitioner_id, schedule, tally, ts,
};
pub use crate::sessions::*;

pub fn patients_are_unique_by_national_id_and_by_email(under: &Under) {
    let store = &under.store;
    let created = event(Action::Create, "patient", "1");
    store.create_patient(&patient(1), &created, &[]).unwrap();
    let mut same_id_number = patient(2);
    same_id_number.national_id = patient(1).national_id;
    assert_eq!(
        store.create_patient(&same_id_number, &created, &[]),
        Err(RepositoryError::AlreadyExists("national id"))
    );
    let mut same_email = patient(3);
    // E-mail addresses are compared without case or surrounding spaces.
    same_email.email = format!("  {}  ", patient(1).email.to_uppercase());
    assert_eq!(
        store.create_patient(&same_email, &created, &[]),
        Err(RepositoryError::AlreadyExists("e-mail"))
    );
    // The same national id from another country is another person.
    let mut other_country = patient(4);
    other_country.national_id = patient(1).national_id;
    other_country.country = teleconsult_core::national_id::Country::FR;
    store.create_patient(&other_country, &created, &[]).unwrap();
    let read = event(Action::Read, "patient", "1");
    assert_eq!(
        store.patient(patient(1).id, &read).unwrap(),
        Some(patient(1))
    );
    assert_eq!(store.patient(patient(2).id, &read).unwrap(), None);
}

pub fn a_patient_read_is_recorded_found_or_not(under: &Under) {
    let store = &under.store;
    let before = store.audit_records();
    let read = event(Action::Read, "patient", "9");
    assert_eq!(store.patient(patient(9).id, &read).unwrap(), None);
    store
        .create_patient(&patient(9), &event(Action::Create, "patient", "9"), &[])
        .unwrap();
    assert!(store.patient(patient(9).id, &read).unwrap().is_some());
    assert_eq!(store.audit_records(), before + 3);
    assert_eq!(store.verify_audit(), store.audit_records());
}

pub fn practitioners_and_schedules_read_back_as_written(under: &Under) {
    let store = &under.store;
    let audit = event(Action::Update, "practitioner", "x");
    store
        .upsert_practitioner(&practitioner(2, "Dr Zimmer"), &audit)
        .unwrap();
    store
        .upsert_practitioner(&practitioner(1, "Dr Adam"), &audit)
        .unwrap();
    // A second write replaces the first.
    store
        .upsert_practitioner(&practitioner(1, "Dr Abel"), &audit)
        .unwrap();
    let names: Vec<String> = store
        .practitioners()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Dr Abel", "Dr Zimmer"]);
    assert_eq!(
        store
            .find_practitioner(practitioner_id(1))
            .unwrap()
            .map(|p| p.name),
        Some("Dr Abel".to_owned())
    );
    assert_eq!(store.find_practitioner(practitioner_id(3)).unwrap(), None);
    assert_eq!(store.find_schedule(practitioner_id(1)).unwrap(), None);
    store.set_schedule_for(practitioner_id(1), &schedule(), &audit);
    assert_eq!(
        store.find_schedule(practitioner_id(1)).unwrap(),
        Some(schedule())
    );
}

pub fn a_taken_slot_is_refused_and_only_the_reads_are_recorded(under: &Under) {
    let store = &under.store;
    let before = store.audit_records();
    let first = appointment(1, 0, 1);
    store.write_booking(booking(&first)).unwrap();
    assert_eq!(
        store.audit_records(),
        before + 2,
        "the read and the creation"
    );
    let same_slot = appointment(2, 0, 2);
    assert_eq!(
        store.write_booking(booking(&same_slot)),
        Err(RepositoryError::SlotTaken)
    );
    assert_eq!(
        store.audit_records(),
        before + 3,
        "the refused booking's read only"
    );
    assert_eq!(store.outbox_pending().unwrap(), 1);
    let next_slot = appointment(3, 1, 2);
    store.write_booking(booking(&next_slot)).unwrap();
    let starts = store
        .booked_starts_of(practitioner_id(1), ts(0), ts(10 * 86_400))
        .unwrap();
    assert_eq!(
        starts.into_iter().collect::<Vec<_>>(),
        [first.start, next_slot.start]
    );
    // `[from, to)`: a slot starting at `to` is not in.
    assert!(
        store
            .booked_starts_of(practitioner_id(1), ts(0), first.start)
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.verify_audit(), store.audit_records());
}

pub fn forty_threads_booking_one_slot_book_it_once(under: &Under) {
    let before = under.store.audit_records();
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40u128)
            .map(|n| {
                let store = Arc::clone(&under.store);
                scope.spawn(move || store.write_booking(booking(&appointment(n, 7, n))))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (booked, refused) = tally(outcomes, |e| *e == RepositoryError::SlotTaken);
    assert_eq!((booked, refused), (1, 39));
    let store = &under.store;
    assert_eq!(store.outbox_pending().unwrap(), 1);
    // Every booking's read, and one creation.
    assert_eq!(store.audit_records(), before + 41);
    assert_eq!(store.verify_audit(), store.audit_records());
}

pub fn two_hundred_queued_bookings_over_twenty_slots_book_twenty(under: &Under) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let outcomes = runtime.block_on(async {
        let mut pending = Vec::new();
        for n in 0..200u128 {
            let slot = i64::try_from(n % 20).unwrap();
            let outcome = under
                .store
                .queue_booking(booking(&appointment(n, slot, n)))
                .unwrap();
            pending.push(tokio::spawn(outcome));
        }
        let mut outcomes = Vec::new();
        for task in pending {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    });
    let (booked, refused) = tally(outcomes, |e| *e == RepositoryError::SlotTaken);
    assert_eq!((booked, refused), (20, 180));
    let store = &under.store;
    assert_eq!(store.outbox_pending().unwrap(), 20);
    let starts = store
        .booked_starts_of(practitioner_id(1), ts(0), ts(10 * 86_400))
        .unwrap();
    assert_eq!(starts.len(), 20);
    assert_eq!(store.verify_audit(), store.audit_records());
}

pub fn thirty_bookings_by_one_account_stop_at_its_open_limit(under: &Under) {
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30u128)
            .map(|n| {
                let store = Arc::clone(&under.store);
                scope.spawn(move || {
                    // Thirty free slots, one booking account, at most 3 open.
                    let slot = i64::try_from(n).unwrap();
                    let mut write = booking(&appointment(n, slot, 77));
                    write.open_limit = Some(3);
                    store.write_booking(write)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (booked, refused) = tally(
        outcomes,
        |e| matches!(e, RepositoryError::QuotaExceeded(q) if q.limit == 3),
    );
    assert_eq!((booked, refused), (3, 27));
    // Another account is not held back by this one's limit.
    let mut other = booking(&appointment(100, 40, 78));
    other.open_limit = Some(3);
    under.store.write_booking(other).unwrap();
}

pub fn thirty_sessions_opening_at_the_booth_take_the_cabin_once(under: &Under) {
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30u128)
            .map(|n| {
                let store = Arc::clone(&under.store);
                scope.spawn(move || {
                    let mut a = appointment(n, i64::try_from(n).unwrap(), n);
                    a.at_booth = true;
                    let session = BoothSession::booked(
                        BoothSessionId::from_uuid(Uuid::from_u128(0xB000 + n)),
                        a.patient,
                        a.booked_by,
                        ts(1),
                        a.id,
                    );
                    let mut write = booking(&a);
                    write.booth = Some(AtTheBooth {
                        session,
                        opens: true,
                    });
                    store.write_booking(write).map(|()| n)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let winners: Vec<u128> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().copied())
        .collect();
    assert_eq!(winners.len(), 1, "one session takes the cabin");
    let holder = BoothSessionId::from_uuid(Uuid::from_u128(0xB000 + winners[0]));
    for outcome in &outcomes {
        match outcome {
            Ok(_) => {}
            Err(RepositoryError::CabinBusy(busy)) => assert_eq!(*busy, holder),
            Err(e) => panic!("unexpected outcome: {e}"),
        }
    }
    assert_eq!(under.store.outbox_pending().unwrap(), 1);
}
