//! The patient's short medical record (`medical_record.rs`): the patient side reads and saves
//! it, the appointment's practitioner reads it, nobody else; every access audited.

use super::cancel::booked;
use super::*;
use teleconsult_core::medical_record::MedicalRecordParts;

fn parts(history: &str) -> MedicalRecordParts {
    MedicalRecordParts {
        history: history.into(),
        allergies: "penicillin".into(),
        treatments: String::new(),
    }
}

fn audited(s: &Site, action: Action) -> usize {
    let id = s.patient.patient.unwrap().to_string();
    s.store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.object_type == "medical_record"
                && r.event.object_id == id
                && r.event.action == action
        })
        .count()
}

#[test]
fn the_patient_side_fills_it_in_and_the_practitioner_reads_it_for_the_appointment() {
    let s = site(SiteKind::Clinic);
    let patient = s.patient.patient.unwrap();
    assert_eq!(s.app.medical_record(&s.patient, patient).unwrap(), None);
    // Every bad part at once; nothing saved.
    let bad = MedicalRecordParts {
        history: "x".repeat(5000),
        allergies: "bad\u{7}bell".into(),
        treatments: String::new(),
    };
    assert!(matches!(
        s.app.save_medical_record(&s.patient, patient, bad),
        Err(AppError::Invalid(f)) if f.keys().eq(["allergies", "history"])
    ));
    let saved = s
        .app
        .save_medical_record(&s.patient, patient, parts("asthma"))
        .unwrap();
    assert_eq!(saved.updated_by, s.patient.id);
    assert_eq!(
        s.app.medical_record(&s.patient, patient).unwrap(),
        Some(saved.clone())
    );
    assert_eq!(audited(&s, Action::Update), 1);
    // Nobody else reads or writes it as theirs.
    for someone in [&s.gp, &s.staff] {
        assert!(matches!(
            s.app.medical_record(someone, patient),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            s.app.save_medical_record(someone, patient, parts("forged")),
            Err(AppError::NotFound)
        ));
    }

    // The practitioner of an appointment reads it for that appointment; another does not.
    let a = booked(&s, &s.gp, 1);
    let reads = audited(&s, Action::Read);
    assert_eq!(
        s.app.appointment_medical_record(&s.gp, a.id).unwrap(),
        (patient, Some(saved))
    );
    assert_eq!(audited(&s, Action::Read), reads + 1);
    assert!(matches!(
        s.app.appointment_medical_record(&s.derm, a.id),
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        s.app
            .appointment_medical_record(&s.gp, AppointmentId::from_uuid(Uuid::new_v4())),
        Err(AppError::NotFound)
    ));
    // Cancelled: no longer.
    s.app.cancel(&s.patient, a.id, None).unwrap();
    assert!(matches!(
        s.app.appointment_medical_record(&s.gp, a.id),
        Err(AppError::NotFound)
    ));
}

#[test]
fn thirty_parallel_saves_leave_one_whole_version() {
    let s = site(SiteKind::Clinic);
    let patient = s.patient.patient.unwrap();
    let app = &s.app;
    let owner = &s.patient;
    std::thread::scope(|scope| {
        let saves: Vec<_> = (0..30)
            .map(|n| {
                scope.spawn(move || {
                    app.save_medical_record(owner, patient, parts(&format!("version {n}")))
                        .unwrap()
                })
            })
            .collect();
        for save in saves {
            save.join().unwrap();
        }
    });
    let record = s.app.medical_record(&s.patient, patient).unwrap().unwrap();
    assert!(record.history.starts_with("version "), "{record:?}");
    assert_eq!(record.allergies, "penicillin");
    assert_eq!(audited(&s, Action::Update), 30);
}
