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
