use super::*;
use uuid::Uuid;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const START: &str = "2026-03-02T09:00:00Z";
const END: &str = "2026-03-02T09:30:00Z";

fn ids() -> (AppointmentId, PractitionerId, PatientId, AccountId) {
    (
        AppointmentId::from_uuid(Uuid::from_u128(1)),
        PractitionerId::from_uuid(Uuid::from_u128(2)),
        PatientId::from_uuid(Uuid::from_u128(3)),
        AccountId::from_uuid(Uuid::from_u128(4)),
    )
}

fn new_appointment() -> NewAppointment {
    let (id, practitioner, patient, booked_by) = ids();
    NewAppointment {
        id,
        practitioner,
        patient,
        booked_by,
        for_relative: Some(Relationship::Parent),
        start: at(START),
        end: at(END),
        mode: ConsultationMode::Video,
        reason: "  fever since Monday ".into(),
        at_booth: false,
    }
}

fn booked() -> Appointment {
    book(new_appointment(), at("2026-03-01T10:00:00Z"))
        .unwrap()
        .0
}

/// An appointment in `status`, with the join/call timestamps that status implies.
fn in_status(status: Status) -> Appointment {
    let mut a = booked();
    match &status {
        Status::Waiting => a.patient_joined_at = Some(at("2026-03-02T08:55:00Z")),
        Status::InCall | Status::Completed => {
            a.patient_joined_at = Some(at("2026-03-02T08:55:00Z"));
            a.practitioner_joined_at = Some(at("2026-03-02T09:00:00Z"));
            a.call_started_at = Some(at("2026-03-02T09:00:00Z"));
        }
        _ => {}
    }
    a.status = status;
    a
}

fn cancelled() -> Status {
    Status::Cancelled {
        by: CancelledBy::Patient,
        reason: None,
        at: at("2026-03-01T12:00:00Z"),
    }
}

fn policy() -> Policy {
    Policy::default()
}

fn staff_cancel() -> Event {
    Event::Cancel {
        by: CancelledBy::Staff,
        reason: Some("practitioner ill".into()),
    }
}

fn join(participant: Participant) -> Event {
    Event::Join { participant }
}

enum Expect {
    To(&'static str),
    NotAllowed,
    Fails(TransitionError),
}

#[test]
fn transition_matrix() {
    use Expect::*;
    // 09:20: inside the join window, past the no-show threshold, staff may cancel.
    let now = at("2026-03-02T09:20:00Z");
    let events = || {
        [
            join(Participant::Patient),
            Event::StartCall,
            Event::EndCall,
            staff_cancel(),
            Event::MarkNoShow,
        ]
    };
    let table: Vec<(Status, [Expect; 5])> = vec![
        (
            Status::Booked,
            [
                To("waiting"),
                NotAllowed,
                NotAllowed,
                To("cancelled"),
                To("no_show"),
            ],
        ),
        (
            Status::Waiting,
            [
                To("waiting"),
                To("in_call"),
                NotAllowed,
                To("cancelled"),
                Fails(TransitionError::PatientJoined),
            ],
        ),
        (
            Status::InCall,
            [
                To("in_call"),
                NotAllowed,
                To("completed"),
                NotAllowed,
                NotAllowed,
            ],
        ),
        (
            Status::Completed,
            [NotAllowed, NotAllowed, NotAllowed, NotAllowed, NotAllowed],
        ),
        (
            cancelled(),
            [NotAllowed, NotAllowed, NotAllowed, NotAllowed, NotAllowed],
        ),
        (
            Status::NoShow,
            [NotAllowed, NotAllowed, NotAllowed, NotAllowed, NotAllowed],
        ),
    ];
    for (status, expectations) in table {
        let name = status.name();
        let a = in_status(status);
        for (event, expect) in events().into_iter().zip(expectations) {
            let label = format!("{name} + {event:?}");
            let result = apply(&a, event, now, &policy());
            match (expect, result) {
                (To(next), Ok((b, _))) => assert_eq!(b.status.name(), next, "{label}"),
                (NotAllowed, Err(TransitionError::NotAllowed { status, .. })) => {
                    assert_eq!(status, name, "{label}")
                }
                (Fails(expected), Err(e)) => assert_eq!(e, expected, "{label}"),
                (_, other) => panic!("{label}: unexpected {other:?}"),
            }
        }
    }
}

#[test]
fn final_states_are_final() {
    for status in [Status::Completed, cancelled(), Status::NoShow] {
        assert!(status.is_final());
    }
    for status in [Status::Booked, Status::Waiting, Status::InCall] {
        assert!(!status.is_final());
    }
}

#[test]
fn join_window_opens_ten_minutes_before_start_and_closes_after_end() {
    let a = booked();
    let early = apply(
        &a,
        join(Participant::Patient),
        at("2026-03-02T08:49:59Z"),
        &policy(),
    );
    assert_eq!(
        early,
        Err(TransitionError::TooEarly {
            opens_at: at("2026-03-02T08:50:00Z")
        })
    );
    assert!(early.unwrap_err().to_string().contains("10 minutes"));
    for ok in [
        "2026-03-02T08:50:00Z",
        "2026-03-02T09:30:00Z",
        "2026-03-02T10:30:00Z",
    ] {
        assert!(
            apply(&a, join(Participant::Patient), at(ok), &policy()).is_ok(),
            "{ok}"
        );
    }
    assert_eq!(
        apply(
            &a,
            join(Participant::Practitioner),
            at("2026-03-02T10:30:01Z"),
            &policy()
        ),
        Err(TransitionError::TooLate {
            closed_at: at("2026-03-02T10:30:00Z")
        })
    );
}

#[test]
fn first_patient_join_notifies_the_practitioner_once() {
    let (id, practitioner, ..) = ids();
    let a = booked();
    let t1 = at("2026-03-02T08:55:00Z");
    let (b, effects) = apply(&a, join(Participant::Patient), t1, &policy()).unwrap();
    assert_eq!(b.status, Status::Waiting);
    assert_eq!(b.patient_joined_at, Some(t1));
    assert_eq!(
        effects,
        [Effect::Notify {
            to: Recipient::Practitioner(practitioner),
            notification: Notification::PatientWaiting { appointment: id },
        }]
    );
    // Joining again (another tab) changes nothing and tells nobody.
    let (c, effects) = apply(
        &b,
        join(Participant::Patient),
        at("2026-03-02T08:57:00Z"),
        &policy(),
    )
    .unwrap();
    assert!(effects.is_empty());
    assert_eq!(c.patient_joined_at, Some(t1));
}

#[test]
fn practitioner_join_does_not_notify_and_booth_counts_as_patient() {
    let a = booked();
    let t = at("2026-03-02T08:58:00Z");
    let (b, effects) = apply(&a, join(Participant::Practitioner), t, &policy()).unwrap();
    assert_eq!(b.status, Status::Waiting);
    assert_eq!(
        (b.practitioner_joined_at, b.patient_joined_at),
        (Some(t), None)
    );
    assert!(effects.is_empty());
    let (c, effects) = apply(&b, join(Participant::Booth), t, &policy()).unwrap();
    assert_eq!(c.patient_joined_at, Some(t));
    assert_eq!(effects.len(), 1);
}

#[test]
fn rejoining_a_running_call_keeps_it_running() {
    let a = in_status(Status::InCall);
    let (b, effects) = apply(
        &a,
        join(Participant::Patient),
        at("2026-03-02T09:10:00Z"),
        &policy(),
    )
    .unwrap();
    assert_eq!(b, a);
    assert!(effects.is_empty());
    // Even after the join window: the call is already running.
    assert!(
        apply(
            &a,
            join(Participant::Patient),
            at("2026-03-02T12:00:00Z"),
            &policy()
        )
        .is_ok()
    );
}

#[test]
fn the_call_starts_only_with_the_patient_present() {
    let a = booked();
    let t = at("2026-03-02T08:59:00Z");
    let (waiting, _) = apply(&a, join(Participant::Practitioner), t, &policy()).unwrap();
    assert_eq!(
        apply(&waiting, Event::StartCall, t, &policy()),
        Err(TransitionError::PatientNotPresent)
    );
    let (both, _) = apply(&waiting, join(Participant::Patient), t, &policy()).unwrap();
    let start = at("2026-03-02T09:01:00Z");
    let (in_call, effects) = apply(&both, Event::StartCall, start, &policy()).unwrap();
    assert_eq!(in_call.status, Status::InCall);
    assert_eq!(in_call.call_started_at, Some(start));
    assert_eq!(in_call.practitioner_joined_at, Some(t));
    assert!(effects.is_empty());
}

#[test]
fn ending_the_call_completes_and_queues_for_the_platform() {
    let a = in_status(Status::InCall);
    let t = at("2026-03-02T09:25:00Z");
    let (b, effects) = apply(&a, Event::EndCall, t, &policy()).unwrap();
    assert_eq!(b.status, Status::Completed);
    assert_eq!(b.call_ended_at, Some(t));
    let [Effect::Outbox(message)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let aggregate = format!("appointment/{}", a.id);
    assert_eq!(message.aggregate, aggregate);
    assert_eq!(message.kind, "appointment.completed");
    assert_eq!(message.idempotency_key, format!("{aggregate}/completed"));
    assert_eq!(
        message.payload["appointment"]["status"]["state"],
        "completed"
    );
    // Retrying the same change yields the same idempotency key.
    let (_, again) = apply(&a, Event::EndCall, at("2026-03-02T09:26:00Z"), &policy()).unwrap();
    let [Effect::Outbox(retry)] = again.as_slice() else {
        panic!()
    };
    assert_eq!(retry.idempotency_key, message.idempotency_key);
}

#[test]
fn patient_cancellation_deadline() {
    let a = booked();
    let cancel = || Event::Cancel {
        by: CancelledBy::Patient,
        reason: None,
    };
    // Default: until one hour before.
    let (b, effects) = apply(&a, cancel(), at("2026-03-02T08:00:00Z"), &policy()).unwrap();
    assert_eq!(
        b.status,
        Status::Cancelled {
            by: CancelledBy::Patient,
            reason: None,
            at: at("2026-03-02T08:00:00Z")
        }
    );
    assert!(matches!(effects[0], Effect::Outbox(ref m) if m.kind == "appointment.cancelled"));
    assert_eq!(
        effects[1..],
        [Effect::Notify {
            to: Recipient::Practitioner(a.practitioner),
            notification: Notification::Cancelled {
                appointment: a.id,
                by: CancelledBy::Patient,
                reason: None
            },
        }]
    );
    assert_eq!(
        apply(&a, cancel(), at("2026-03-02T08:00:01Z"), &policy()),
        Err(TransitionError::CancellationDeadlinePassed {
            deadline: at("2026-03-02T08:00:00Z")
        })
    );
    // The deadline is a parameter.
    let strict = Policy {
        patient_cancellation_deadline: SignedDuration::from_hours(24),
        ..policy()
    };
    assert!(apply(&a, cancel(), at("2026-03-01T09:00:00Z"), &strict).is_ok());
    assert_eq!(
        apply(&a, cancel(), at("2026-03-01T09:00:01Z"), &strict),
        Err(TransitionError::CancellationDeadlinePassed {
            deadline: at("2026-03-01T09:00:00Z")
        })
    );
}

#[test]
fn practitioner_and_staff_cancel_any_time_with_a_reason() {
    let a = booked();
    let late = at("2026-03-02T08:59:00Z");
    for by in [CancelledBy::Practitioner, CancelledBy::Staff] {
        for reason in [None, Some("   ".to_string())] {
            assert_eq!(
                apply(&a, Event::Cancel { by, reason }, late, &policy()),
                Err(TransitionError::ReasonRequired)
            );
        }
        let event = Event::Cancel {
            by,
            reason: Some(" emergency at the practice ".into()),
        };
        let (b, effects) = apply(&a, event, late, &policy()).unwrap();
        let Status::Cancelled { reason, .. } = &b.status else {
            panic!()
        };
        assert_eq!(reason.as_deref(), Some("emergency at the practice"));
        let notified: Vec<Recipient> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Notify { to, .. } => Some(*to),
                Effect::Outbox(_) => None,
            })
            .collect();
        let patient_side = Recipient::Account(a.booked_by);
        let expected = match by {
            CancelledBy::Practitioner => vec![patient_side],
            _ => vec![patient_side, Recipient::Practitioner(a.practitioner)],
        };
        assert_eq!(notified, expected);
        assert!(matches!(effects[0], Effect::Outbox(_)));
    }
    // While the patient is already waiting, too.
    let waiting = in_status(Status::Waiting);
    assert!(
        apply(
            &waiting,
            staff_cancel(),
            at("2026-03-02T09:05:00Z"),
            &policy()
        )
        .is_ok()
    );
}

#[test]
fn platform_cancellation_is_not_echoed_to_the_platform() {
    let a = booked();
    let event = Event::Cancel {
        by: CancelledBy::Platform,
        reason: None,
    };
    let (b, effects) = apply(&a, event, at("2026-03-02T08:59:00Z"), &policy()).unwrap();
    assert_eq!(b.status.name(), "cancelled");
    assert_eq!(effects.len(), 2);
    assert!(effects.iter().all(|e| matches!(e, Effect::Notify { .. })));
}

#[test]
fn cancellation_reason_length_is_bounded() {
    let a = booked();
    let event = Event::Cancel {
        by: CancelledBy::Staff,
        reason: Some("x".repeat(MAX_REASON_CHARS + 1)),
    };
    assert_eq!(
        apply(&a, event, at("2026-03-01T12:00:00Z"), &policy()),
        Err(TransitionError::ReasonTooLong)
    );
}

#[test]
fn no_show_rules() {
    let a = booked();
    assert_eq!(
        apply(&a, Event::MarkNoShow, at("2026-03-02T09:14:59Z"), &policy()),
        Err(TransitionError::NoShowTooEarly {
            allowed_from: at("2026-03-02T09:15:00Z")
        })
    );
    let (b, effects) = apply(&a, Event::MarkNoShow, at("2026-03-02T09:15:00Z"), &policy()).unwrap();
    assert_eq!(b.status, Status::NoShow);
    assert!(matches!(&effects[..], [Effect::Outbox(m)] if m.kind == "appointment.no_show"));
    // The practitioner waited alone: still a no-show.
    let (alone, _) = apply(
        &a,
        join(Participant::Practitioner),
        at("2026-03-02T09:00:00Z"),
        &policy(),
    )
    .unwrap();
    assert!(
        apply(
            &alone,
            Event::MarkNoShow,
            at("2026-03-02T09:16:00Z"),
            &policy()
        )
        .is_ok()
    );
    // The patient came (even if the call never started): not a no-show.
    let (came, _) = apply(
        &alone,
        join(Participant::Patient),
        at("2026-03-02T09:05:00Z"),
        &policy(),
    )
    .unwrap();
    assert_eq!(
        apply(
            &came,
            Event::MarkNoShow,
            at("2026-03-02T09:16:00Z"),
            &policy()
        ),
        Err(TransitionError::PatientJoined)
    );
}

#[test]
fn booking_creates_a_booked_appointment_with_effects() {
    let now = at("2026-03-01T10:00:00Z");
    let (a, effects) = book(new_appointment(), now).unwrap();
    assert_eq!(a.status, Status::Booked);
    assert_eq!(a.created_at, now);
    assert_eq!(a.reason, "fever since Monday");
    assert_eq!(a.for_relative, Some(Relationship::Parent));
    assert!(
        matches!(&effects[0], Effect::Outbox(m) if m.kind == "appointment.booked"
        && m.idempotency_key == format!("appointment/{}/booked", a.id))
    );
    let recipients: Vec<_> = effects[1..]
        .iter()
        .map(|e| match e {
            Effect::Notify { to, .. } => *to,
            Effect::Outbox(_) => panic!("{e:?}"),
        })
        .collect();
    assert_eq!(
        recipients,
        [
            Recipient::Practitioner(a.practitioner),
            Recipient::Account(a.booked_by)
        ]
    );
}

#[test]
fn booking_errors() {
    let now = at("2026-03-01T10:00:00Z");
    let empty = NewAppointment {
        end: at(START),
        ..new_appointment()
    };
    assert_eq!(book(empty, now), Err(BookingError::EmptyPeriod));
    assert_eq!(
        book(new_appointment(), at(START)),
        Err(BookingError::InPast)
    );
    let long = NewAppointment {
        reason: "é".repeat(MAX_REASON_CHARS + 1),
        ..new_appointment()
    };
    assert_eq!(book(long, now), Err(BookingError::ReasonTooLong));
    let just_fits = NewAppointment {
        reason: "é".repeat(MAX_REASON_CHARS),
        ..new_appointment()
    };
    assert!(book(just_fits, now).is_ok());
}

#[test]
fn serde_shapes() {
    let status = Status::Cancelled {
        by: CancelledBy::Staff,
        reason: Some("ill".into()),
        at: at(START),
    };
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        serde_json::json!({"state": "cancelled", "by": "staff", "reason": "ill", "at": START})
    );
    assert_eq!(
        serde_json::to_value(Status::InCall).unwrap(),
        serde_json::json!({"state": "in_call"})
    );
    let event: Event =
        serde_json::from_value(serde_json::json!({"event": "join", "participant": "booth"}))
            .unwrap();
    assert_eq!(event, join(Participant::Booth));
    let a = booked();
    let back: Appointment = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(back, a);
}

/// Appointments stored before `at_booth` existed open unchanged: none of them is at the booth.
#[test]
fn records_without_the_booth_marker_are_not_at_the_booth() {
    let mut json = serde_json::to_value(booked()).unwrap();
    json.as_object_mut().unwrap().remove("at_booth");
    let old: Appointment = serde_json::from_value(json).unwrap();
    assert!(!old.at_booth);
    assert_eq!(old, booked());
    // A walk-in started at the booth keeps the marker through booking.
    let walk_in = book(
        NewAppointment {
            at_booth: true,
            ..new_appointment()
        },
        at("2026-03-01T10:00:00Z"),
    )
    .unwrap()
    .0;
    assert!(walk_in.at_booth);
    assert!(!booked().at_booth, "an online booking is not at the booth");
}

#[test]
fn an_on_demand_appointment_starts_at_the_taking_instant() {
    let now = at(START);
    let (a, effects) = book_now(new_appointment(), now).unwrap();
    assert_eq!(
        (a.start, a.status.clone(), a.created_at),
        (now, Status::Booked, now)
    );
    assert!(
        matches!(&effects[0], Effect::Outbox(m) if m.kind == "appointment.booked"),
        "{effects:?}"
    );
    // The room is open at once (10 minutes before the start have passed).
    let (joined, _) = apply(&a, join(Participant::Booth), now, &policy()).unwrap();
    assert_eq!(joined.status, Status::Waiting);
    assert_eq!(
        book_now(new_appointment(), at("2026-03-02T09:00:01Z")),
        Err(BookingError::InPast),
        "taken after its start: a bug of the caller"
    );
    let empty = NewAppointment {
        end: at(START),
        ..new_appointment()
    };
    assert_eq!(book_now(empty, now), Err(BookingError::EmptyPeriod));
}
