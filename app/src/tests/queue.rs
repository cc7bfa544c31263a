//! The queue and its doors: who may, waiting from home, walk-ins at the counter.

use super::*;

#[test]
fn who_may_use_the_booth_and_queue_doors() {
    let s = site(SiteKind::Booth);
    let request = || queue_request(walk_in(2, None), "general_practice");
    for who in [&s.patient, &s.gp] {
        assert!(matches!(
            s.app.start_session(who, request()),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            s.app.find_patient(who, "1985071512345"),
            Err(AppError::Forbidden(_))
        ));
    }
    let clinic = site(SiteKind::Clinic);
    assert!(matches!(
        clinic.app.start_session(&clinic.staff, request()),
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        clinic.app.find_patient(&clinic.staff, "1985071512345"),
        Err(AppError::NotFound)
    ));
    // The queue: practitioners and staff only; availability: one's own only.
    assert!(matches!(
        s.app.queue(&s.patient),
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        s.app
            .set_availability(&s.gp, s.derm.practitioner.unwrap(), true),
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        s.app
            .set_availability(&s.staff, s.gp.practitioner.unwrap(), true),
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(s.app.next(&s.staff), Err(AppError::Forbidden(_))));
    let asap = WaitRequest {
        specialty: "general_practice".into(),
        language: None,
        mode: ConsultationMode::Video,
        reason: String::new(),
    };
    assert!(matches!(
        s.app.ask_asap(&s.staff, asap.clone()),
        Err(AppError::Forbidden(_))
    ));
    // A patient's entry is theirs only; practitioners see entries through the queue, without
    // names or reasons.
    let mine = s.app.ask_asap(&s.patient, asap.clone()).unwrap();
    assert!(matches!(
        s.app.ask_asap(&s.patient, asap),
        Err(AppError::Conflict {
            code: "already_waiting",
            ..
        })
    ));
    let other = {
        let mut other = account(9, Role::Patient);
        other.patient = Some(PatientId::from_uuid(Uuid::from_u128(0x999)));
        other
    };
    assert!(matches!(
        s.app.entry(&other, mine.entry.id),
        Err(AppError::NotFound)
    ));
    assert!(
        matches!(
            s.app.entry(&s.staff, mine.entry.id),
            Err(AppError::NotFound)
        ),
        "not the booth's"
    );
    assert!(matches!(
        s.app.withdraw(&other, mine.entry.id),
        Err(AppError::NotFound)
    ));
    let q = s.app.queue(&s.gp).unwrap();
    assert_eq!(q.rows.len(), 1);
    assert!(q.rows[0].patient.is_none());
    assert!(
        s.app.queue(&s.derm).unwrap().rows.is_empty(),
        "another specialty"
    );
    assert!(
        s.app.queue(&s.staff).unwrap().rows.is_empty(),
        "not the booth's"
    );
    s.app.withdraw(&s.patient, mine.entry.id).unwrap();
    assert!(matches!(
        s.app.own_entry(&s.patient),
        Err(AppError::NotFound)
    ));
}

#[test]
fn a_patient_waiting_at_home_is_offered_the_first_free_slot_and_may_book_it_instead() {
    let s = site(SiteKind::Booth);
    let asap = WaitRequest {
        specialty: "dermatology".into(),
        language: None,
        mode: ConsultationMode::Video,
        reason: "itch".into(),
    };
    let entry = s.app.ask_asap(&s.patient, asap).unwrap();
    assert!(entry.waiting.offered_slot.is_none());
    s.advance(15);
    let view = s.app.own_entry(&s.patient).unwrap();
    let offer = view.waiting.offered_slot.unwrap();
    assert_eq!(offer.practitioner, s.derm.practitioner.unwrap());
    assert_eq!(
        offer.start,
        s.now(),
        "the dermatologist's next free slot starts now"
    );
    let booked = s
        .app
        .book_instead(
            &s.patient,
            entry.entry.id,
            offer.practitioner,
            offer
                .start
                .checked_add(jiff::SignedDuration::from_mins(15))
                .unwrap(),
        )
        .unwrap();
    assert!(!booked.appointment.at_booth);
    assert_eq!(booked.appointment.booked_by, s.patient.id);
    assert!(
        matches!(s.app.own_entry(&s.patient), Err(AppError::NotFound)),
        "the entry ended"
    );
    assert_eq!(s.texts.sent().last().unwrap().0, "booked");
    // Taken from home: told to join now.
    let asap = WaitRequest {
        specialty: "dermatology".into(),
        language: None,
        mode: ConsultationMode::Audio,
        reason: String::new(),
    };
    s.app.ask_asap(&s.patient, asap).unwrap();
    s.app
        .set_availability(&s.derm, s.derm.practitioner.unwrap(), true)
        .unwrap();
    let taken = s.app.next(&s.derm).unwrap().unwrap();
    assert!(!taken.at_booth && taken.session.is_none());
    assert_eq!(
        s.texts.sent().last().unwrap(),
        &("ready", s.patient.phone.clone())
    );
    assert_eq!(
        appointment(&s, taken.appointment).mode,
        ConsultationMode::Audio
    );
}

#[test]
fn walk_ins_at_the_counter_enter_the_cabin_one_at_a_time() {
    let s = site(SiteKind::Booth);
    let wait = || WaitRequest {
        specialty: "general_practice".into(),
        language: None,
        mode: ConsultationMode::Video,
        reason: String::new(),
    };
    for n in 0..3 {
        let (v, known) = s
            .app
            .add_walk_in(&s.staff, walk_in(50 + n, None), wait())
            .unwrap();
        assert!(!known);
        assert_eq!(v.waiting.position, n as usize + 1);
        s.advance(1);
    }
    s.app
        .set_availability(&s.gp, s.gp.practitioner.unwrap(), true)
        .unwrap();
    let first = s.app.next(&s.gp).unwrap().unwrap();
    let session = first.session.unwrap();
    assert_eq!(
        s.store.cabin().unwrap(),
        Some(session),
        "called into the cabin"
    );
    assert_eq!(
        s.app.next(&s.gp).unwrap(),
        None,
        "the cabin is busy: the others wait"
    );
    assert_eq!(s.app.queue(&s.staff).unwrap().rows.len(), 2);
    s.app.end_session(&s.staff, session).unwrap();
    let second = s.app.next(&s.gp).unwrap().unwrap();
    assert_ne!(second.patient, first.patient);
}

/// The clock of the test below: the first time it is read after [`SwitchOffClock::armed`] is
/// set, `practitioner` switches their on-demand availability off, straight in the store — as
/// their own "off" click, served by another thread, would commit at that moment.
struct SwitchOffClock {
    now: Timestamp,
    store: Store,
    practitioner: PractitionerId,
    armed: std::sync::atomic::AtomicBool,
}

impl Clock for SwitchOffClock {
    fn now(&self) -> Timestamp {
        if self.armed.swap(false, std::sync::atomic::Ordering::SeqCst) {
            let off = teleconsult_core::queue::Availability {
                practitioner: self.practitioner,
                on_demand: false,
                since: self.now,
            };
            self.store.set_on_demand(&off, &audit()).unwrap();
        }
        self.now
    }
}

/// "Next patient" and the practitioner's own switch-off in between its check of the switch
/// and the take (a read-then-write across two store calls): the switch as stored when the
/// entry is handed out decides — refused `not_on_demand`, nothing handed out, the patient
/// still waiting.
#[test]
fn a_switch_off_committed_during_a_next_is_not_handed_an_entry() {
    let s = site(SiteKind::Booth);
    let gp = s.gp.practitioner.unwrap();
    let asap = WaitRequest {
        specialty: "general_practice".into(),
        language: None,
        mode: ConsultationMode::Video,
        reason: "fever".into(),
    };
    let entry = s.app.ask_asap(&s.patient, asap).unwrap();
    s.app.set_availability(&s.gp, gp, true).unwrap();
    let clock = Arc::new(SwitchOffClock {
        now: s.now(),
        store: s.store.clone(),
        practitioner: gp,
        armed: true.into(),
    });
    let app = App::new(
        Arc::new(s.store.clone()),
        clock.clone(),
        s.texts.clone(),
        s.app.settings.clone(),
    );
    app.set_cabin(s.cabin.clone());
    let outcome = app.next(&s.gp);
    assert!(
        !clock.armed.load(std::sync::atomic::Ordering::SeqCst),
        "the switch-off came in during the next"
    );
    assert!(
        matches!(
            outcome,
            Err(AppError::Conflict {
                code: "not_on_demand",
                ..
            })
        ),
        "{outcome:?}"
    );
    assert!(
        s.store.waiting_entry(entry.entry.id).unwrap().is_some(),
        "still waiting"
    );
    let view = s.app.queue(&s.gp).unwrap();
    assert_eq!((view.on_demand, view.available), (Some(false), 0));
    assert_eq!(view.rows.len(), 1);
}
