//! Booth sessions: started, taken, booked, ended, idle.

use super::*;

#[test]
fn a_walk_in_waits_in_the_cabin_then_one_practitioner_takes_them_at_the_booth() {
    let s = site(SiteKind::Booth);
    let started = s
        .app
        .start_session(
            &s.staff,
            queue_request(walk_in(1, Some("+352621999001")), "general_practice"),
        )
        .unwrap();
    assert!(!started.known_patient);
    let session = started.view.session.clone();
    let waiting = started.view.waiting.clone().unwrap();
    assert_eq!((waiting.position, waiting.available), (1, 0));
    assert_eq!(waiting.estimated_wait, None, "nobody available");
    // The walk-in's record: no e-mail, consents given at the counter before the staff member.
    let patient = s.store.patient(session.patient, &audit()).unwrap().unwrap();
    assert_eq!(
        (patient.email.as_str(), patient.phone.as_str()),
        ("", "+352621999001")
    );
    assert!(
        patient
            .consents
            .iter()
            .all(|c| c.collected_by == Some(s.staff.id))
    );
    assert_eq!(patient.consents.len(), 2);

    let off = s.app.next(&s.gp).unwrap_err();
    assert!(
        matches!(
            off,
            AppError::Conflict {
                code: "not_on_demand",
                ..
            }
        ),
        "{off:?}"
    );
    s.app
        .set_availability(&s.gp, s.gp.practitioner.unwrap(), true)
        .unwrap();
    s.app
        .set_availability(&s.derm, s.derm.practitioner.unwrap(), true)
        .unwrap();
    let view = s.app.session(&s.staff, session.id).unwrap();
    let waiting = view.waiting.unwrap();
    assert_eq!(waiting.available, 1, "the dermatologist does not count");
    assert_eq!(
        waiting.estimated_wait,
        Some(jiff::SignedDuration::from_mins(15))
    );
    assert_eq!(s.app.next(&s.derm).unwrap(), None, "not their specialty");

    s.advance(3);
    let taken = s.app.next(&s.gp).unwrap().unwrap();
    assert!(taken.at_booth);
    assert_eq!(taken.session, Some(session.id));
    assert_eq!(taken.waited, jiff::SignedDuration::from_mins(3));
    assert_eq!(s.app.next(&s.gp).unwrap(), None, "handed out once");
    let a = appointment(&s, taken.appointment);
    assert!(a.at_booth);
    assert_eq!(
        (a.booked_by, a.start, a.status.clone()),
        (s.staff.id, s.now(), Status::Booked)
    );
    assert_eq!(a.reason, "fever");
    let view = s.app.session(&s.staff, session.id).unwrap();
    assert_eq!(view.session.state, BoothState::Booked { appointment: a.id });
    assert!(view.waiting.is_none());
    assert_eq!(view.appointment.unwrap().status, "booked");
    assert!(
        s.cabin
            .0
            .lock()
            .unwrap()
            .contains(&format!("join {} {}", session.id, a.id)),
        "the cabin joins the call"
    );
    // A walk-in in the cabin is not told anything by message: they are there.
    assert!(s.texts.sent().is_empty(), "{:?}", s.texts.sent());
}

#[test]
fn one_cabin_one_session_and_a_walk_in_known_by_national_id_is_never_duplicated() {
    let s = site(SiteKind::Booth);
    let first = s
        .app
        .start_session(
            &s.staff,
            queue_request(walk_in(3, None), "general_practice"),
        )
        .unwrap();
    let busy = s
        .app
        .start_session(
            &s.staff,
            queue_request(walk_in(4, None), "general_practice"),
        )
        .unwrap_err();
    assert!(matches!(busy, AppError::CabinBusy { open } if open == first.view.session.id));
    s.app.end_session(&s.staff, first.view.session.id).unwrap();
    // The same person again: the same record, known.
    let again = s
        .app
        .start_session(
            &s.staff,
            queue_request(walk_in(3, None), "general_practice"),
        )
        .unwrap();
    assert!(again.known_patient);
    assert_eq!(again.view.session.patient, first.view.session.patient);
    let found = s
        .app
        .find_patient(&s.staff, &luxembourg("19900101", 3))
        .unwrap()
        .unwrap();
    assert_eq!(found.id, first.view.session.patient);
    assert_eq!(
        s.app
            .find_patient(&s.staff, &luxembourg("19900101", 77))
            .unwrap(),
        None
    );
}

#[test]
fn chosen_slots_at_the_booth_follow_the_booking_rules() {
    let s = site(SiteKind::Booth);
    // Seven people one after the other, booked by one staff account: more than a patient
    // account's quota (5) — which does not apply to staff (see `booking.rs`; the cabin holds
    // one session, so one of its bookings is open at a time anyway).
    for n in 0..7 {
        let start = s
            .now()
            .checked_add(jiff::SignedDuration::from_mins(15))
            .unwrap();
        let started = s
            .app
            .start_session(
                &s.staff,
                slot_request(walk_in(10 + n, Some("+352621999010")), &s.gp, start),
            )
            .unwrap();
        let a = appointment(&s, started.view.session.appointment().unwrap());
        assert!(a.at_booth && a.booked_by == s.staff.id && a.start == start);
        s.app
            .end_session(&s.staff, started.view.session.id)
            .unwrap();
        s.advance(15);
    }
    // The confirmation and the cancellation went to the walk-ins' phone, never the staff's.
    let sent = s.texts.sent();
    assert_eq!(sent.len(), 14, "{sent:?}");
    assert!(sent.iter().all(|(_, phone)| phone == "+352621999010"));
    // Too late for someone sitting in the cabin (idle limit 30 minutes), not offered, taken.
    let late = s
        .now()
        .checked_add(jiff::SignedDuration::from_mins(45))
        .unwrap();
    let refused = s
        .app
        .start_session(&s.staff, slot_request(walk_in(20, None), &s.gp, late))
        .unwrap_err();
    assert!(
        matches!(&refused, AppError::Invalid(f) if f.contains_key("start")),
        "{refused:?}"
    );
    let odd = s
        .now()
        .checked_add(jiff::SignedDuration::from_mins(16))
        .unwrap();
    let refused = s
        .app
        .start_session(&s.staff, slot_request(walk_in(20, None), &s.gp, odd))
        .unwrap_err();
    assert!(
        matches!(&refused, AppError::Invalid(f) if f.contains_key("start")),
        "{refused:?}"
    );
    assert_eq!(s.store.cabin().unwrap(), None, "nothing held the cabin");
}

#[test]
fn ending_a_session_cancels_what_was_not_held_frees_the_slot_and_resets_the_cabin() {
    let s = site(SiteKind::Booth);
    let start = s
        .now()
        .checked_add(jiff::SignedDuration::from_mins(15))
        .unwrap();
    let started = s
        .app
        .start_session(
            &s.staff,
            slot_request(walk_in(30, Some("+352621999030")), &s.gp, start),
        )
        .unwrap();
    let id = started.view.session.id;
    let ended = s.app.end_session(&s.staff, id).unwrap();
    let a = appointment(&s, started.view.session.appointment().unwrap());
    assert_eq!(ended.closed, Some(a.id));
    assert!(matches!(
        &a.status,
        Status::Cancelled { by: CancelledBy::Staff, reason: Some(r), .. } if r == "left the booth"
    ));
    assert!(matches!(
        ended.view.session.state,
        BoothState::Ended {
            reason: EndReason::Staff,
            ..
        }
    ));
    assert!(s.cabin.0.lock().unwrap().contains(&format!("reset {id}")));
    let gp = s.gp.practitioner.unwrap();
    let later = start
        .checked_add(jiff::SignedDuration::from_hours(1))
        .unwrap();
    assert!(
        s.store
            .booked_starts(gp, s.now(), later)
            .unwrap()
            .is_empty(),
        "slot free"
    );
    assert_eq!(
        s.texts.sent().last().unwrap(),
        &("cancelled", "+352621999030".to_owned())
    );
    // Ending again changes nothing.
    let again = s.app.end_session(&s.staff, id).unwrap();
    assert_eq!(again.closed, None);
}

#[test]
fn an_idle_session_ends_by_itself_and_its_entry_leaves_the_queue() {
    let s = site(SiteKind::Booth);
    let started = s
        .app
        .start_session(
            &s.staff,
            queue_request(walk_in(40, None), "general_practice"),
        )
        .unwrap();
    assert_eq!(
        s.app.cabin_session().unwrap().map(|c| c.id),
        Some(started.view.session.id)
    );
    s.advance(20);
    // Activity in the cabin (a device check, a join) starts the idle time again.
    s.app.cabin_activity().unwrap();
    s.advance(29);
    assert_eq!(s.app.sweep_booth().unwrap(), None);
    s.advance(1);
    let (ended, closed) = s.app.sweep_booth().unwrap().unwrap();
    assert_eq!((ended, closed), (started.view.session.id, None));
    let view = s.app.session(&s.staff, ended).unwrap();
    assert!(matches!(
        view.session.state,
        BoothState::Ended {
            reason: EndReason::Idle,
            ..
        }
    ));
    assert!(s.store.waiting().unwrap().is_empty());
    assert_eq!(s.store.cabin().unwrap(), None);
    assert_eq!(s.app.cabin_session().unwrap(), None);
    assert_eq!(s.app.sweep_booth().unwrap(), None);
}
