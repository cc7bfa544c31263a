//! Cancelling an appointment (`cancel.rs`): who may, the reason, the deadline, and the unit of
//! work — one cancellation, one notice, one outbox message, however many try at once.

use super::*;

/// The patient's booking with `doctor`, `days` days after T0 at 10:00.
pub(super) fn booked(s: &Site, doctor: &Account, days: i64) -> Appointment {
    let start = at(T0)
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap();
    book_at(s, doctor, start)
}

fn outbox_about(s: &Site, id: AppointmentId) -> Vec<String> {
    s.store
        .outbox_peek(usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|e| e.message.aggregate == format!("appointment/{id}"))
        .map(|e| e.message.kind)
        .collect()
}

fn free(s: &Site, a: &Appointment) -> bool {
    !s.store
        .booked_starts(a.practitioner, a.start, a.end)
        .unwrap()
        .contains(&a.start)
}

fn code(result: Result<Appointment, AppError>) -> String {
    match result {
        Ok(_) => "cancelled".into(),
        Err(AppError::NotFound) => "not_found".into(),
        Err(AppError::Conflict { code, .. }) => code.into(),
        Err(AppError::Invalid(fields)) => format!("invalid {}", fields.keys().next().unwrap()),
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn who_may_cancel_what() {
    let s = site(SiteKind::Clinic);
    let a = booked(&s, &s.gp, 1);
    let mut stranger = account(5, Role::Patient);
    stranger.patient = Some(PatientId::from_uuid(Uuid::from_u128(0x405)));
    let pharmacist = account(6, Role::Pharmacist);
    let admin = account(7, Role::Admin);
    // Another patient, another practitioner, a pharmacist: no such appointment for them.
    for someone in [&stranger, &s.derm, &pharmacist] {
        assert_eq!(code(s.app.cancel(someone, a.id, None)), "not_found");
    }
    assert_eq!(
        code(
            s.app
                .cancel(&s.patient, AppointmentId::from_uuid(Uuid::new_v4()), None)
        ),
        "not_found"
    );
    // Its practitioner, staff and administrators give the patient a reason.
    for side in [&s.gp, &s.staff, &admin] {
        assert_eq!(code(s.app.cancel(side, a.id, None)), "invalid reason");
        assert_eq!(
            code(s.app.cancel(side, a.id, Some("   ".into()))),
            "invalid reason"
        );
        assert_eq!(
            code(s.app.cancel(side, a.id, Some("x".repeat(5000)))),
            "invalid reason"
        );
    }
    assert_eq!(
        appointment(&s, a.id).status,
        Status::Booked,
        "nothing written"
    );
    assert!(outbox_about(&s, a.id).iter().all(|k| !k.contains("cancel")));

    // Its practitioner may, with a reason; then it is final for everyone.
    let cancelled = s
        .app
        .cancel(&s.gp, a.id, Some("called away".into()))
        .unwrap();
    assert!(matches!(
        cancelled.status,
        Status::Cancelled {
            by: CancelledBy::Practitioner,
            ..
        }
    ));
    assert_eq!(appointment(&s, a.id), cancelled);
    assert!(free(&s, &a), "the slot is free again");
    assert_eq!(code(s.app.cancel(&s.patient, a.id, None)), "cannot_cancel");
    assert_eq!(
        code(s.app.cancel(&s.staff, a.id, Some("again".into()))),
        "cannot_cancel"
    );

    // Staff cancel any appointment of the site; the patient their own, without a reason.
    let b = booked(&s, &s.derm, 2);
    assert!(matches!(
        s.app
            .cancel(&s.staff, b.id, Some("closed".into()))
            .unwrap()
            .status,
        Status::Cancelled {
            by: CancelledBy::Staff,
            ..
        }
    ));
    let c = booked(&s, &s.gp, 3);
    assert!(matches!(
        s.app
            .cancel(&s.patient, c.id, Some(" ".into()))
            .unwrap()
            .status,
        Status::Cancelled {
            by: CancelledBy::Patient,
            reason: None,
            ..
        }
    ));
    let audited = s
        .store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.object_id == c.id.to_string()
                && r.event.action == Action::Update
                && r.event.actor == Actor::Account(s.patient.id.to_string())
        })
        .count();
    assert_eq!(audited, 1);
}

#[test]
fn past_the_deadline_only_the_practitioner_s_side_cancels() {
    let s = site(SiteKind::Clinic);
    let a = booked(&s, &s.gp, 1);
    // 30 minutes before its start: within the hour of the default deadline.
    s.advance(24 * 60 - 30);
    assert_eq!(code(s.app.cancel(&s.patient, a.id, None)), "cannot_cancel");
    assert_eq!(appointment(&s, a.id).status, Status::Booked);
    assert_eq!(
        code(s.app.cancel(&s.staff, a.id, Some("no doctor today".into()))),
        "cancelled"
    );
}

#[test]
fn thirty_parallel_cancellations_cancel_once_tell_once_and_send_once() {
    let s = site(SiteKind::Clinic);
    let a = booked(&s, &s.gp, 1);
    let outbox_before = outbox_about(&s, a.id);
    let notices_before = s.store.notifications_pending().unwrap();
    let sides = [&s.patient, &s.gp, &s.staff];
    let app = &s.app;
    let answers: Vec<String> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|n| {
                let who = sides[n % 3];
                scope.spawn(move || code(app.cancel(who, a.id, Some(format!("try {n}")))))
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(
        answers.iter().filter(|a| *a == "cancelled").count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|a| a == "cancelled" || a == "cannot_cancel"),
        "{answers:?}"
    );
    assert!(matches!(
        appointment(&s, a.id).status,
        Status::Cancelled { .. }
    ));
    let sent: Vec<String> = outbox_about(&s, a.id)
        .into_iter()
        .skip(outbox_before.len())
        .collect();
    assert_eq!(sent.len(), 1, "one message to the platform: {sent:?}");
    assert_eq!(
        s.store.notifications_pending().unwrap(),
        notices_before + 1,
        "the patient is told once"
    );
    assert!(free(&s, &a));
    // The slot freed once: it can be booked again, once.
    let again = booked(&s, &s.gp, 1);
    assert_eq!(again.start, a.start);
}
