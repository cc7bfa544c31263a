//! The queue and booth sessions on real sled, under concurrency: each entry handed out once,
//! one open session per cabin, one record per walk-in, ends that clean up.
#![allow(clippy::unwrap_used)]

use crate::concurrency_tests::{PARALLEL, in_parallel};
use crate::test_support::{event, open, patient, ts};
use crate::{Store, StoreError};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use teleconsult_core::appointment::{Appointment, CancelledBy, Status};
use teleconsult_core::audit::Action;
use teleconsult_core::booth::{BoothSession, BoothSessionId, BoothState, EndReason};
use teleconsult_core::consent::{Consent, ConsentKind};
use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use teleconsult_core::ports::AppointmentChange;
use teleconsult_core::ports::booking::{AtTheBooth, BookingWrite};
use teleconsult_core::ports::booth::{SessionEnd, Take, Taken, WalkIn};
use teleconsult_core::queue::{Availability, Origin, QueueEntry, QueueEntryId};
use teleconsult_core::schedule::ConsultationMode;
use uuid::Uuid;

fn entry(n: u128, origin: Origin, session: Option<BoothSessionId>) -> QueueEntry {
    QueueEntry {
        id: QueueEntryId::from_uuid(Uuid::from_u128(0x7000 + n)),
        patient: PatientId::from_uuid(Uuid::from_u128(0x1000 + n)),
        requested_by: AccountId::from_uuid(Uuid::from_u128(0x9000 + n)),
        origin,
        specialty: "general_practice".into(),
        language: None,
        mode: ConsultationMode::Video,
        reason: format!("cough {n}"),
        enqueued_at: ts(i64::try_from(n).unwrap()),
        session,
    }
}

fn on_demand(e: &QueueEntry, id: AppointmentId, by: u128) -> Appointment {
    Appointment {
        id,
        practitioner: PractitionerId::from_uuid(Uuid::from_u128(by)),
        patient: e.patient,
        booked_by: e.requested_by,
        for_relative: None,
        start: ts(100),
        end: ts(1000),
        mode: e.mode,
        reason: e.reason.clone(),
        status: Status::Booked,
        created_at: ts(100),
        patient_joined_at: None,
        practitioner_joined_at: None,
        call_started_at: None,
        call_ended_at: None,
        at_booth: e.origin == Origin::Booth,
    }
}

fn take_of(e: &QueueEntry, by: u128, session: Option<AtTheBooth>) -> Take {
    let id = AppointmentId::from_uuid(Uuid::new_v4());
    Take {
        entry: e.id,
        appointment: on_demand(e, id, by),
        session,
        notifications: Vec::new(),
        outbox: Vec::new(),
        audit: vec![event(Action::Create, id.to_string())],
    }
}

/// Practitioners `by` (as [`take_of`] names them) with their on-demand switch set to `on`.
fn switch(store: &Store, practitioners: impl IntoIterator<Item = u128>, on: bool) {
    for by in practitioners {
        let availability = Availability {
            practitioner: PractitionerId::from_uuid(Uuid::from_u128(by)),
            on_demand: on,
            since: ts(0),
        };
        store
            .set_on_demand(&availability, &event(Action::Update, "availability"))
            .unwrap();
    }
}

fn appointments(store: &Store) -> Vec<Appointment> {
    store
        .appointments(|_| true, &event(Action::Read, "list"))
        .unwrap()
}

/// Twenty entries, thirty practitioners' "next" at once, each looping until the line is empty
/// (choose the oldest, take it, choose again when someone else was faster): every entry is
/// handed out exactly once and every take made exactly one appointment.
#[test]
fn thirty_parallel_takers_hand_each_of_twenty_entries_out_once() {
    let (_dir, store) = open();
    switch(&store, 0..PARALLEL as u128, true);
    for n in 0..20 {
        store
            .enqueue(
                &entry(n, Origin::Home, None),
                &event(Action::Create, "entry"),
            )
            .unwrap();
    }
    let lost = Arc::new(AtomicUsize::new(0));
    let counted = lost.clone();
    let taken = in_parallel(&store, move |store, i| {
        let mut mine = Vec::new();
        loop {
            let mut waiting = store.waiting().unwrap();
            waiting.sort_by_key(|e| (e.enqueued_at, e.id));
            let Some(oldest) = waiting.first() else {
                return mine;
            };
            match store.take(&take_of(oldest, i as u128, None)).unwrap() {
                Taken::Taken => mine.push(oldest.id),
                Taken::Gone => {
                    counted.fetch_add(1, SeqCst);
                }
                other => panic!("no cabin involved, every switch on: {other:?}"),
            }
        }
    });
    let all: Vec<QueueEntryId> = taken.into_iter().flatten().collect();
    let distinct: BTreeSet<_> = all.iter().copied().collect();
    assert_eq!((all.len(), distinct.len()), (20, 20), "{all:?}");
    assert!(lost.load(SeqCst) > 0, "the takers did race");
    let made = appointments(&store);
    assert_eq!(made.len(), 20);
    let patients: BTreeSet<_> = made.iter().map(|a| a.patient).collect();
    assert_eq!(patients.len(), 20, "one appointment per entry");
    assert!(store.waiting().unwrap().is_empty());
    assert_eq!(
        store
            .waiting_entry_of(entry(3, Origin::Home, None).patient)
            .unwrap(),
        None
    );
    store.verify_audit_chain().unwrap();
}

/// Thirty takes of the same entry at once: one appointment, twenty-nine refusals.
#[test]
fn thirty_takes_of_one_entry_make_one_appointment() {
    let (_dir, store) = open();
    switch(&store, 0..PARALLEL as u128, true);
    let e = entry(1, Origin::Home, None);
    store.enqueue(&e, &event(Action::Create, "entry")).unwrap();
    let outcomes = in_parallel(&store, move |store, i| {
        store.take(&take_of(&e, i as u128, None)).unwrap()
    });
    let taken = outcomes.iter().filter(|o| **o == Taken::Taken).count();
    assert_eq!(taken, 1, "{outcomes:?}");
    assert_eq!(
        outcomes.iter().filter(|o| **o == Taken::Gone).count(),
        PARALLEL - 1
    );
    assert_eq!(appointments(&store).len(), 1);
}

/// Thirty takes of twenty entries by one practitioner while the same practitioner's switch is
/// flipped off and on thirty times: every take is refused `NotOnDemand` or handed out once
/// with the switch on as stored by then; with the switch off at the end, nothing more is
/// taken and nothing of a refused take is written.
#[test]
fn takes_racing_switches_hand_out_only_while_the_switch_is_on() {
    let (_dir, store) = open();
    for n in 0..20 {
        store
            .enqueue(
                &entry(n, Origin::Home, None),
                &event(Action::Create, "entry"),
            )
            .unwrap();
    }
    switch(&store, [7], true);
    let outcomes = in_parallel(&store, |store, i| {
        if i % 2 == 0 {
            switch(store, [7], i % 4 == 0);
            None
        } else {
            let mut waiting = store.waiting().unwrap();
            waiting.sort_by_key(|e| (e.enqueued_at, e.id));
            let oldest = waiting.first()?;
            Some(store.take(&take_of(oldest, 7, None)).unwrap())
        }
    });
    let taken = outcomes
        .iter()
        .flatten()
        .filter(|o| **o == Taken::Taken)
        .count();
    assert_eq!(appointments(&store).len(), taken);
    assert_eq!(store.waiting().unwrap().len(), 20 - taken);
    switch(&store, [7], false);
    let e = store.waiting().unwrap()[0].clone();
    assert_eq!(
        store.take(&take_of(&e, 7, None)).unwrap(),
        Taken::NotOnDemand
    );
    assert_eq!(appointments(&store).len(), taken, "nothing written");
    assert!(store.waiting_entry(e.id).unwrap().is_some());
    store.verify_audit_chain().unwrap();
}

fn queued_session(n: u128, e: &QueueEntry) -> BoothSession {
    BoothSession::queued(
        BoothSessionId::from_uuid(Uuid::from_u128(0x3000 + n)),
        e.patient,
        e.requested_by,
        ts(0),
        e.id,
    )
}

/// Thirty counters starting a session at once: one gets the cabin, the others `CabinBusy`
/// naming it, and nothing of theirs is written.
#[test]
fn one_cabin_holds_one_session_whatever_races_for_it() {
    let (_dir, store) = open();
    let outcomes = in_parallel(&store, |store, i| {
        let n = i as u128;
        let sid = BoothSessionId::from_uuid(Uuid::from_u128(0x3000 + n));
        let e = entry(n, Origin::Booth, Some(sid));
        store
            .start_waiting(
                &queued_session(n, &e),
                &e,
                &event(Action::Create, "session"),
            )
            .map(|()| sid)
    });
    let started: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(started.len(), 1, "{outcomes:?}");
    let holder = *started[0];
    assert_eq!(store.cabin().unwrap(), Some(holder));
    for o in &outcomes {
        if let Err(e) = o {
            assert!(
                matches!(e, StoreError::CabinBusy(open) if *open == holder),
                "{e:?}"
            );
        }
    }
    assert_eq!(store.waiting().unwrap().len(), 1, "only the winner's entry");
}

/// A walk-in waiting at the counter is called into the cabin only while it is free; the take
/// that opens their session takes the cabin.
#[test]
fn a_walk_in_at_the_counter_is_taken_only_into_a_free_cabin() {
    let (_dir, store) = open();
    switch(&store, [1], true);
    let counter = entry(1, Origin::Booth, None);
    store
        .enqueue(&counter, &event(Action::Create, "entry"))
        .unwrap();
    let opening = |n: u128| AtTheBooth {
        session: BoothSession::booked(
            BoothSessionId::from_uuid(Uuid::from_u128(0x3100 + n)),
            counter.patient,
            counter.requested_by,
            ts(100),
            AppointmentId::from_uuid(Uuid::from_u128(0x3200 + n)),
        ),
        opens: true,
    };
    // Someone else sits in the cabin.
    let sid = BoothSessionId::from_uuid(Uuid::from_u128(0x3000 + 2));
    let inside = entry(2, Origin::Booth, Some(sid));
    store
        .start_waiting(
            &queued_session(2, &inside),
            &inside,
            &event(Action::Create, "s"),
        )
        .unwrap();
    assert_eq!(
        store.take(&take_of(&counter, 1, Some(opening(1)))).unwrap(),
        Taken::CabinBusy
    );
    assert!(
        store.waiting_entry(counter.id).unwrap().is_some(),
        "still waiting"
    );
    assert_eq!(appointments(&store).len(), 0);
    // The one inside is taken: their session is booked, the cabin still theirs.
    let session = queued_session(2, &inside);
    let inside_take = take_of(&inside, 1, None);
    let booked = session.book(inside_take.appointment.id, ts(100)).unwrap();
    let inside_take = Take {
        session: Some(AtTheBooth {
            session: booked.clone(),
            opens: false,
        }),
        ..inside_take
    };
    assert_eq!(store.take(&inside_take).unwrap(), Taken::Taken);
    assert_eq!(store.booth_session(sid).unwrap(), Some(booked));
    assert_eq!(store.cabin().unwrap(), Some(sid));
    // They leave: the cabin is free, and the one at the counter comes in.
    let ended = store
        .end_session(
            sid,
            &|s: &BoothSession, _: Option<&Appointment>| {
                Some(SessionEnd {
                    session: s.end(ts(200), EndReason::Staff)?,
                    appointment: None,
                })
            },
            &event(Action::Update, "end"),
        )
        .unwrap();
    assert!(ended.is_some());
    assert_eq!(store.cabin().unwrap(), None);
    assert_eq!(
        store.take(&take_of(&counter, 1, Some(opening(2)))).unwrap(),
        Taken::Taken
    );
    assert_eq!(store.cabin().unwrap(), Some(opening(2).session.id));
    assert!(store.waiting().unwrap().is_empty());
}

/// Ending a waiting session removes its entry and frees the cabin; ending one with an
/// appointment not yet held cancels it and frees its slot; ending twice changes nothing.
#[test]
fn ending_a_session_cleans_up_in_one_transaction() {
    let (_dir, store) = open();
    let sid = BoothSessionId::from_uuid(Uuid::from_u128(0x3001));
    let e = entry(1, Origin::Booth, Some(sid));
    let session = queued_session(1, &e);
    store
        .start_waiting(&session, &e, &event(Action::Create, "s"))
        .unwrap();
    let end = |store: &Store, cancel: bool| {
        store
            .end_session(
                sid,
                &|s: &BoothSession, a: Option<&Appointment>| {
                    let appointment = a.filter(|_| cancel).map(|a| AppointmentChange {
                        next: Appointment {
                            status: Status::Cancelled {
                                by: CancelledBy::Staff,
                                reason: Some("left".into()),
                                at: ts(300),
                            },
                            ..a.clone()
                        },
                        notifications: Vec::new(),
                        outbox: Vec::new(),
                    });
                    Some(SessionEnd {
                        session: s.end(ts(300), EndReason::Staff)?,
                        appointment,
                    })
                },
                &event(Action::Update, "end"),
            )
            .unwrap()
    };
    assert!(end(&store, false).is_some());
    assert_eq!(store.waiting_entry(e.id).unwrap(), None, "the entry left");
    assert_eq!(store.waiting_entry_of(e.patient).unwrap(), None);
    assert_eq!(store.cabin().unwrap(), None);
    assert!(end(&store, false).is_none(), "ended once");

    // A session booked from the cabin (a chosen slot), then ended: the slot is free again.
    let sid2 = BoothSessionId::from_uuid(Uuid::from_u128(0x3002));
    let a = Appointment {
        start: ts(3600),
        end: ts(4800),
        ..on_demand(&e, AppointmentId::from_uuid(Uuid::from_u128(0x5555)), 1)
    };
    let booked = BoothSession::booked(sid2, a.patient, a.booked_by, ts(0), a.id);
    let write = |a: &Appointment, session: BoothSession| BookingWrite {
        appointment: a.clone(),
        new_relative: None,
        open_limit: None,
        notifications: Vec::new(),
        reminders: Vec::new(),
        outbox: Vec::new(),
        reads: Vec::new(),
        audit: event(Action::Create, a.id.to_string()),
        ends_entry: None,
        booth: Some(AtTheBooth {
            session,
            opens: true,
        }),
    };
    store.write_now(write(&a, booked.clone())).unwrap();
    assert_eq!(store.cabin().unwrap(), Some(sid2));
    // A second booking from the cabin while it is held: refused, nothing written.
    let other = Appointment {
        id: AppointmentId::from_uuid(Uuid::from_u128(0x5556)),
        start: ts(4800),
        end: ts(6000),
        ..a.clone()
    };
    let other_session = BoothSession::booked(
        BoothSessionId::from_uuid(Uuid::from_u128(0x3003)),
        other.patient,
        other.booked_by,
        ts(0),
        other.id,
    );
    assert!(matches!(
        store.write_now(write(&other, other_session)),
        Err(StoreError::CabinBusy(open)) if open == sid2
    ));
    assert_eq!(appointments(&store).len(), 1);
    let practitioner = a.practitioner;
    assert_eq!(
        store
            .booked_starts(practitioner, ts(0), ts(99_999))
            .unwrap()
            .len(),
        1
    );
    let end2 = store
        .end_session(
            sid2,
            &|s: &BoothSession, stored: Option<&Appointment>| {
                let stored = stored?;
                Some(SessionEnd {
                    session: s.end(ts(300), EndReason::Idle)?,
                    appointment: Some(AppointmentChange {
                        next: Appointment {
                            status: Status::Cancelled {
                                by: CancelledBy::Staff,
                                reason: Some("left".into()),
                                at: ts(300),
                            },
                            ..stored.clone()
                        },
                        notifications: Vec::new(),
                        outbox: Vec::new(),
                    }),
                })
            },
            &event(Action::Update, "end"),
        )
        .unwrap()
        .unwrap();
    assert!(matches!(
        end2.session.state,
        BoothState::Ended {
            reason: EndReason::Idle,
            ..
        }
    ));
    assert!(
        store
            .booked_starts(practitioner, ts(0), ts(99_999))
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.cabin().unwrap(), None);
    store.verify_audit_chain().unwrap();
}

/// A booking that ends a waiting entry (an offered slot accepted) is refused when the entry
/// was taken meanwhile, and removes it when it goes through.
#[test]
fn a_booking_ending_an_entry_needs_the_entry_still_waiting() {
    let (_dir, store) = open();
    let e = entry(1, Origin::Home, None);
    store.enqueue(&e, &event(Action::Create, "entry")).unwrap();
    let a = Appointment {
        start: ts(3600),
        end: ts(4800),
        at_booth: false,
        ..on_demand(&e, AppointmentId::from_uuid(Uuid::from_u128(0x5600)), 1)
    };
    let write = |a: &Appointment| BookingWrite {
        appointment: a.clone(),
        new_relative: None,
        open_limit: Some(5),
        notifications: Vec::new(),
        reminders: Vec::new(),
        outbox: Vec::new(),
        reads: Vec::new(),
        audit: event(Action::Create, a.id.to_string()),
        ends_entry: Some(e.id),
        booth: None,
    };
    store.write_now(write(&a)).unwrap();
    assert_eq!(store.waiting_entry(e.id).unwrap(), None);
    let again = Appointment {
        id: AppointmentId::from_uuid(Uuid::from_u128(0x5601)),
        start: ts(4800),
        end: ts(6000),
        ..a.clone()
    };
    assert!(matches!(
        store.write_now(write(&again)),
        Err(StoreError::NotFound("queue entry"))
    ));
    assert_eq!(appointments(&store).len(), 1);
}

/// Thirty counters registering the same walk-in at once: one record, the others find it; a
/// known record without consents gets the counter's, one set only.
#[test]
fn thirty_registrations_of_one_walk_in_make_one_record() {
    let (_dir, store) = open();
    let witness = AccountId::from_uuid(Uuid::from_u128(0xabc));
    let outcomes = in_parallel(&store, move |store, i| {
        let mut walk_in = patient(1);
        walk_in.id = PatientId::from_uuid(Uuid::from_u128(0x8000 + i as u128));
        walk_in.email = String::new();
        let counter = |existing: &[Consent]| {
            teleconsult_core::consent::given_at_the_counter(existing, "2026-11", witness, ts(5))
        };
        let known =
            |p: &teleconsult_core::patient::Patient| event(Action::Update, p.id.to_string());
        store
            .register_walk_in(
                &walk_in,
                &counter,
                &event(Action::Create, "walk-in"),
                &known,
            )
            .unwrap()
    });
    let registered: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, WalkIn::Registered(_)))
        .collect();
    assert_eq!(registered.len(), 1);
    let id = registered[0].patient().id;
    assert!(outcomes.iter().all(|o| o.patient().id == id));
    let found = store
        .patient_by_national_id(
            teleconsult_core::national_id::Country::LU,
            &patient(1).national_id,
            &event(Action::Read, "lookup"),
        )
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
    // The registered record had no consents (the test's patient): the first counter's
    // registration gave them; every other found them active and added none.
    let kinds: Vec<ConsentKind> = found.consents.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds.len(),
        2,
        "one set of counter consents: {:?}",
        found.consents
    );
    assert!(
        found
            .consents
            .iter()
            .all(|c| c.collected_by == Some(witness))
    );
    store.verify_audit_chain().unwrap();
}

/// Erasing a patient removes the entry they wait with (its reason is health data).
#[test]
fn an_erased_patient_leaves_the_queue() {
    let (_dir, store) = open();
    let mut p = patient(1);
    let e = QueueEntry {
        patient: p.id,
        ..entry(1, Origin::Home, None)
    };
    p.email = "erased@example.org".into();
    teleconsult_core::ports::Repository::create_patient(
        &store,
        &p,
        &event(Action::Create, "patient"),
        &[],
    )
    .unwrap();
    store.enqueue(&e, &event(Action::Create, "entry")).unwrap();
    let erased = store
        .erase_patient(p.id, &event(Action::Delete, p.id.to_string()))
        .unwrap();
    assert!(erased.is_some());
    assert_eq!(store.waiting_entry(e.id).unwrap(), None);
    assert_eq!(store.waiting_entry_of(p.id).unwrap(), None);
    assert!(store.waiting().unwrap().is_empty());
}
