//! What a call room records through the application: the appointment's transitions, the chat
//! and its attachments, and the cabin's session ending with its call.

use super::*;
use crate::booth::StartSession;
use teleconsult_core::appointment::{Event, Participant};
use teleconsult_core::call::ChatMessage;

/// A walk-in taken by the general practitioner: the session and its appointment.
fn taken_walk_in(s: &Site, serial: u32) -> (BoothSessionId, AppointmentId) {
    let request: StartSession = queue_request(walk_in(serial, None), "general_practice");
    let started = s.app.start_session(&s.staff, request).unwrap();
    s.app
        .set_availability(&s.gp, s.gp.practitioner.unwrap(), true)
        .unwrap();
    let taken = s.app.next(&s.gp).unwrap().unwrap();
    (started.view.session.id, taken.appointment)
}

fn actor(a: &Account) -> Actor {
    Actor::Account(a.id.to_string())
}

/// The cabin joins, the practitioner joins and rings, the call ends: each transition decided
/// on the appointment as stored.
fn call_and_hang_up(s: &Site, id: AppointmentId) {
    let booth = Actor::System("booth".into());
    let joins = [
        (&booth, Participant::Booth),
        (&actor(&s.gp), Participant::Practitioner),
    ];
    for (who, participant) in joins {
        s.app
            .call_event(who, id, Event::Join { participant })
            .unwrap()
            .unwrap();
    }
    let gp = actor(&s.gp);
    s.app
        .call_event(&gp, id, Event::StartCall)
        .unwrap()
        .unwrap();
    assert_eq!(appointment(s, id).status, Status::InCall);
    s.app.call_event(&gp, id, Event::EndCall).unwrap().unwrap();
    assert_eq!(appointment(s, id).status, Status::Completed);
}

#[test]
fn the_cabins_session_ends_with_its_call_once_however_many_rooms_say_so() {
    let s = site(SiteKind::Booth);
    let (session, id) = taken_walk_in(&s, 70);
    // Another appointment's call ending says nothing of the cabin's session.
    assert!(
        !s.app
            .call_ended(AppointmentId::from_uuid(Uuid::new_v4()))
            .unwrap()
    );
    // Before the call ended the session stays (decided on the appointment as stored).
    assert!(!s.app.call_ended(id).unwrap());
    assert!(s.app.cabin_session().unwrap().is_some());
    call_and_hang_up(&s, id);

    // Thirty rooms (or retries) say it at once: one ends the session, the cabin is reset once.
    let resets_before = s.cabin.0.lock().unwrap().len();
    let answers: Vec<bool> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| s.app.call_ended(id).unwrap()))
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert_eq!(
        answers.iter().filter(|ended| **ended).count(),
        1,
        "{answers:?}"
    );
    let view = s.app.session(&s.staff, session).unwrap();
    assert!(
        matches!(
            view.session.state,
            BoothState::Ended {
                reason: EndReason::CallEnded,
                ..
            }
        ),
        "{:?}",
        view.session.state
    );
    let log = s.cabin.0.lock().unwrap();
    let resets: Vec<_> = log[resets_before..]
        .iter()
        .filter(|l| l.starts_with("reset"))
        .collect();
    assert_eq!(resets, [&format!("reset {session}")]);
    assert_eq!(s.store.cabin().unwrap(), None, "the cabin is free");
}

#[test]
fn a_transition_is_refused_on_a_cancelled_appointment_and_unknown_ones_are_not_found() {
    let s = site(SiteKind::Booth);
    let (session, id) = taken_walk_in(&s, 71);
    s.app.end_session(&s.staff, session).unwrap();
    assert!(matches!(
        appointment(&s, id).status,
        Status::Cancelled { .. }
    ));
    let join = Event::Join {
        participant: Participant::Practitioner,
    };
    let refused = s.app.call_event(&actor(&s.gp), id, join.clone()).unwrap();
    assert!(
        refused.is_err(),
        "a join after the cancellation: {refused:?}"
    );
    let missing = s.app.call_event(
        &actor(&s.gp),
        AppointmentId::from_uuid(Uuid::new_v4()),
        join,
    );
    assert!(matches!(missing, Err(AppError::NotFound)), "{missing:?}");
}

#[test]
fn the_chat_keeps_its_order_and_takes_only_the_calls_own_attachments() {
    let s = site(SiteKind::Booth);
    let (_, id) = taken_walk_in(&s, 72);
    let message = |n: usize, attachment: Option<Uuid>| ChatMessage {
        appointment: id,
        at: s.now(),
        role: teleconsult_core::signal::Role::Practitioner,
        author: s.gp.id,
        text: format!("message {n}"),
        attachment,
    };
    for n in 0..5 {
        s.app.post_chat(&message(n, None)).unwrap();
    }
    let last = s.app.chat_history(&actor(&s.gp), id, 3).unwrap();
    let texts: Vec<&str> = last.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["message 2", "message 3", "message 4"]);
    // A file that is not this call's (no such attachment here): nobody's, nothing written.
    let foreign = s.app.post_chat(&message(5, Some(Uuid::new_v4())));
    assert!(matches!(foreign, Err(AppError::NotFound)), "{foreign:?}");
    assert_eq!(s.app.chat_history(&actor(&s.gp), id, 100).unwrap().len(), 5);
}
