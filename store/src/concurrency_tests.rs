//! Every read-modify-write of the store under 30 parallel writers, on real sled: each counter
//! or state change is decided from the record as stored inside its transaction, so after the
//! threads have run the invariant holds exactly — no lost update, no limit passed. Accounts
//! and appointments here; documents, files and exports in `concurrency_documents_tests.rs`.
#![allow(clippy::unwrap_used)]

use crate::test_support::{event, open, patient, ts};
use crate::{AppointmentChange, Booking, ChallengeOutcome, Store, StoreError};
use std::sync::{Arc, Barrier};
use teleconsult_core::Timestamp;
use teleconsult_core::account::{
    Account, AccountStatus, LoginChallenge, LoginPolicy, LoginRefused, OtpError, Role, Session,
};
use teleconsult_core::appointment::{
    self, Appointment, CancelledBy, Event, Participant, Policy, Status,
};
use teleconsult_core::audit::Action;
use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use teleconsult_core::notification::Notification;
use teleconsult_core::quota::Quota;
use teleconsult_core::schedule::ConsultationMode;
use teleconsult_core::site::Language;
use uuid::Uuid;

pub(crate) const PARALLEL: usize = 30;

/// Runs `work(i)` on [`PARALLEL`] threads released together; their results in order.
pub(crate) fn in_parallel<T: Send + 'static>(
    store: &Store,
    work: impl Fn(&Store, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let work = Arc::new(work);
    let start = Arc::new(Barrier::new(PARALLEL));
    let threads: Vec<_> = (0..PARALLEL)
        .map(|i| {
            let (store, work, start) = (store.clone(), work.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                work(&store, i)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

pub(crate) fn account(n: u128) -> Account {
    Account {
        id: AccountId::from_uuid(Uuid::from_u128(0x9000 + n)),
        login: format!("user{n}@example.org"),
        role: Role::Patient,
        name: format!("User {n}"),
        email: format!("user{n}@example.org"),
        phone: "+352621000000".into(),
        language: Language::Fr,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        status: AccountStatus::Active,
        patient: None,
        practitioner: None,
        failed_attempts: 0,
        locked_until: None,
        created_at: ts(0),
        sessions_not_before: None,
        relatives: Vec::new(),
        totp: None,
    }
}

fn created(store: &Store, n: u128) -> Account {
    let a = account(n);
    store
        .create_account(&a, &event(Action::Create, "account"))
        .unwrap();
    a
}

#[test]
fn thirty_parallel_login_failures_all_count_and_the_lock_holds() {
    let (_dir, store) = open();
    let policy = LoginPolicy::default();
    let counted = created(&store, 1).id;
    in_parallel(&store, move |store, _| {
        store
            .change_account(
                counted,
                |a| {
                    a.record_failure(ts(10), &policy);
                    Ok::<_, ()>(())
                },
                None,
            )
            .unwrap()
            .unwrap();
    });
    let a = store.account(counted).unwrap().unwrap();
    assert_eq!(a.failed_attempts, PARALLEL as u32, "no failure lost");

    // As the login does it: a failure finding the account locked is refused, not counted.
    let guarded = created(&store, 2).id;
    let outcomes = in_parallel(&store, move |store, _| {
        store
            .change_account(
                guarded,
                |a| {
                    a.may_attempt_login(ts(10))?;
                    a.record_failure(ts(10), &policy);
                    Ok(())
                },
                None,
            )
            .unwrap()
            .map(drop)
    });
    let locked = outcomes
        .iter()
        .filter(|o| matches!(o, Err(LoginRefused::Locked { .. })))
        .count();
    assert_eq!(
        (PARALLEL - locked, locked),
        (
            policy.max_failures as usize,
            PARALLEL - policy.max_failures as usize
        )
    );
    let a = store.account(guarded).unwrap().unwrap();
    assert_eq!(a.failed_attempts, policy.max_failures);
    assert!(a.may_attempt_login(ts(11)).is_err(), "locked");
}

#[test]
fn thirty_parallel_wrong_codes_use_up_the_challenge_exactly_once() {
    let (_dir, store) = open();
    let policy = LoginPolicy::default();
    let a = created(&store, 3);
    store
        .start_challenge("challenge", a.id, |stored| {
            let challenge = LoginChallenge::new(stored.id, "123456".into(), ts(0), &policy);
            let sms = Notification::sms(stored.phone.clone(), "code".into(), ts(0));
            Ok::<_, ()>((challenge, Some(sms)))
        })
        .unwrap()
        .unwrap();
    let outcomes =
        in_parallel(&store, move |store, i| {
            store
                .use_challenge("challenge", &format!("token {i}"), |challenge, account| {
                    match challenge.verify("000000", account, ts(1), &policy) {
                        Ok(()) => ChallengeOutcome::Open {
                            session: Session::new(account, "csrf".into(), ts(1), &policy),
                            event: event(Action::Login, "a"),
                        },
                        Err(error) => {
                            account.record_failure(ts(1), &policy);
                            ChallengeOutcome::Failed {
                                keep: matches!(error, OtpError::Wrong { .. }),
                                error,
                            }
                        }
                    }
                })
                .unwrap()
        });
    let tried: Vec<_> = outcomes.iter().flatten().collect();
    assert_eq!(
        tried.len(),
        policy.otp_attempts as usize,
        "only that many codes were compared: {outcomes:?}"
    );
    assert_eq!(
        tried
            .iter()
            .filter(|o| matches!(o, Err(OtpError::Exhausted)))
            .count(),
        1
    );
    assert!(store.challenge("challenge").unwrap().is_none(), "void");
    let a = store.account(a.id).unwrap().unwrap();
    assert_eq!(a.failed_attempts, policy.otp_attempts);
}

pub(crate) fn practitioner() -> PractitionerId {
    PractitionerId::from_uuid(Uuid::from_u128(1))
}

/// An appointment of `booker` in slot `slot` (20 minutes each, from an hour after `ts(0)`).
fn appointment(n: u128, slot: i64, booker: AccountId) -> Appointment {
    Appointment {
        id: AppointmentId::from_uuid(Uuid::from_u128(0x5000 + n)),
        practitioner: practitioner(),
        patient: PatientId::from_uuid(Uuid::from_u128(0x1000 + n)),
        booked_by: booker,
        for_relative: None,
        start: ts(3600 + slot * 1200),
        end: ts(3600 + slot * 1200 + 1200),
        mode: ConsultationMode::Video,
        reason: String::new(),
        status: Status::Booked,
        created_at: ts(0),
        patient_joined_at: None,
        practitioner_joined_at: None,
        call_started_at: None,
        call_ended_at: None,
        at_booth: false,
    }
}

fn book(
    store: &Store,
    a: &Appointment,
    relative: Option<&teleconsult_core::patient::Patient>,
    open_limit: Option<u32>,
) -> Result<(), StoreError> {
    book_at(store, a, relative, open_limit, ts(1))
}

/// Books `a` at `now`.
fn book_at(
    store: &Store,
    a: &Appointment,
    relative: Option<&teleconsult_core::patient::Patient>,
    open_limit: Option<u32>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let booking = Booking {
        appointment: a,
        new_relative: relative,
        open_limit,
        notifications: Vec::new(),
        reminders: &[],
        outbox: Vec::new(),
        reads: &[],
    };
    let created = teleconsult_core::audit::AuditEvent {
        at: now,
        ..event(Action::Create, a.id.to_string())
    };
    store.book(booking, &created)
}

fn booked_slots(store: &Store) -> usize {
    store
        .booked_starts(practitioner(), ts(0), ts(1_000_000))
        .unwrap()
        .len()
}

#[test]
fn thirty_parallel_bookings_by_one_account_stop_at_its_quota() {
    let (_dir, store) = open();
    let booker = account(4).id;
    let outcomes = in_parallel(&store, move |store, i| {
        book(
            store,
            &appointment(i as u128, i as i64, booker),
            None,
            Some(5),
        )
    });
    let booked = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(booked, 5, "{outcomes:?}");
    assert!(outcomes.iter().filter(|o| o.is_err()).all(|o| matches!(
        o,
        Err(StoreError::QuotaExceeded(e)) if e.quota == Quota::OpenAppointments && e.limit == 5
    )));
    assert_eq!(booked_slots(&store), 5, "refused bookings left nothing");
    assert_eq!(store.open_appointments_of(booker, ts(1)).unwrap(), 5);

    // A place frees when one is cancelled, or once one has started.
    let first = store
        .appointments(|a| a.booked_by == booker, &event(Action::Read, "list"))
        .unwrap()
        .remove(0);
    cancel(&store, first.id).unwrap().unwrap();
    assert_eq!(store.open_appointments_of(booker, ts(1)).unwrap(), 4);
    book(&store, &appointment(100, 100, booker), None, Some(5)).unwrap();
    assert!(matches!(
        book(&store, &appointment(101, 101, booker), None, Some(5)),
        Err(StoreError::QuotaExceeded(_))
    ));
    // Once the earliest has started, it no longer counts.
    let earliest = store
        .appointments(
            |a| a.booked_by == booker && a.status == Status::Booked,
            &event(Action::Read, "list"),
        )
        .unwrap()
        .remove(0);
    book_at(
        &store,
        &appointment(101, 101, booker),
        None,
        Some(5),
        earliest.start,
    )
    .unwrap();
    assert_eq!(
        store.open_appointments_of(booker, earliest.start).unwrap(),
        5
    );
}

#[test]
fn thirty_parallel_bookings_for_new_relatives_each_add_theirs_to_the_account() {
    let (_dir, store) = open();
    let booker = created(&store, 5).id;
    in_parallel(&store, move |store, i| {
        let relative = patient(0x100 + i as u128);
        let mut a = appointment(i as u128, i as i64, booker);
        a.patient = relative.id;
        book(store, &a, Some(&relative), None).unwrap();
    });
    let relatives = store.account(booker).unwrap().unwrap().relatives;
    assert_eq!(relatives.len(), PARALLEL, "no relative lost");
}

/// A cancellation by staff, as stored (the rules of core's state machine).
fn cancel(store: &Store, id: AppointmentId) -> Result<Result<(), String>, StoreError> {
    let now = ts(2);
    store
        .change_appointment(
            id,
            |current| {
                let by = Event::Cancel {
                    by: CancelledBy::Staff,
                    reason: Some("closed".into()),
                };
                let (next, _) = appointment::apply(current, by, now, &Policy::default())
                    .map_err(|e| e.to_string())?;
                Ok(Some(AppointmentChange {
                    next,
                    notifications: Vec::new(),
                    outbox: Vec::new(),
                }))
            },
            None,
            &event(Action::Update, id.to_string()),
        )
        .map(|r| r.map(drop))
}

#[test]
fn joins_racing_a_cancellation_never_bring_the_appointment_back() {
    let (_dir, store) = open();
    for round in 0..5u128 {
        let booker = account(6).id;
        let a = appointment(round, round as i64, booker);
        book(&store, &a, None, None).unwrap();
        let id = a.id;
        // The room is open: 5 minutes before the start.
        let now = Timestamp::from_second(a.start.as_second() - 300).unwrap();
        let outcomes = in_parallel(&store, move |store, i| {
            if i == 0 {
                return cancel(store, id).unwrap().is_ok();
            }
            let participant = if i % 2 == 0 {
                Participant::Patient
            } else {
                Participant::Practitioner
            };
            store
                .change_appointment(
                    id,
                    |current| {
                        let join = Event::Join { participant };
                        let (next, _) = appointment::apply(current, join, now, &Policy::default())?;
                        Ok::<_, appointment::TransitionError>((next != *current).then_some(
                            AppointmentChange {
                                next,
                                notifications: Vec::new(),
                                outbox: Vec::new(),
                            },
                        ))
                    },
                    None,
                    &event(Action::Update, "join"),
                )
                .unwrap()
                .is_ok()
        });
        assert!(outcomes[0], "the cancellation went through");
        let stored = store
            .appointment(id, &event(Action::Read, "a"))
            .unwrap()
            .unwrap();
        assert!(
            matches!(stored.status, Status::Cancelled { .. }),
            "round {round}: {:?}",
            stored.status
        );
        assert!(
            !store
                .booked_starts(practitioner(), a.start, a.end)
                .unwrap()
                .contains(&a.start),
            "the slot is free"
        );
        assert_eq!(store.open_appointments_of(booker, ts(1)).unwrap(), 0);
    }
}

#[test]
fn a_store_of_format_1_gets_the_open_appointments_of_each_account_listed() {
    let (dir, store) = open();
    let booker = account(10).id;
    for n in 0..3 {
        book(&store, &appointment(n, n as i64, booker), None, None).unwrap();
    }
    cancel(&store, appointment(0, 0, booker).id)
        .unwrap()
        .unwrap();
    // As a format-1 store: no lists.
    store
        .inner()
        .trees
        .raw(crate::tree::TreeId::Quotas)
        .clear()
        .unwrap();
    crate::test_support::set_format_version(&store, 1);
    assert_eq!(store.open_appointments_of(booker, ts(1)).unwrap(), 0);
    drop(store);
    let store = Store::open(dir.path(), crate::test_support::reopen_key()).unwrap();
    assert_eq!(
        store.open_appointments_of(booker, ts(1)).unwrap(),
        2,
        "the open ones, not the cancelled one"
    );
    assert_eq!(
        crate::meta::read_format_version(&store.inner()).unwrap(),
        Some(crate::FORMAT_VERSION)
    );
}
