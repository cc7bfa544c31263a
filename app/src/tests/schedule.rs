//! A practitioner's agenda (`schedule.rs`): who changes the hours and the listing, the checks,
//! and changes of the listing in parallel that lose nothing.

use super::*;
use crate::schedule::ListingChange;

fn hours(slot_minutes: u32) -> Schedule {
    let day = serde_json::json!([{"start": "09:00:00", "end": "12:00:00"}]);
    serde_json::from_value(serde_json::json!({"hours": {
        "time_zone": "Europe/Luxembourg", "slot_minutes": slot_minutes, "modes": ["video"],
        "week": {"monday": day}}}))
    .unwrap()
}

fn listing(name: Option<&str>, languages: &[&str]) -> ListingChange {
    ListingChange {
        name: name.map(Into::into),
        specialty: "dermatology".into(),
        languages: languages.iter().map(|l| (*l).to_owned()).collect(),
    }
}

#[test]
fn the_practitioner_staff_and_administrators_manage_an_agenda_nobody_else() {
    let s = site(SiteKind::Clinic);
    let gp = s.gp.practitioner.unwrap();
    let admin = account(9, Role::Admin);
    let pharmacist = account(6, Role::Pharmacist);
    for someone in [&s.derm, &s.patient, &pharmacist] {
        assert!(matches!(
            s.app.set_schedule(someone, gp, hours(20)),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            s.app.change_listing(someone, gp, listing(None, &["fr"])),
            Err(AppError::Forbidden(_))
        ));
    }
    for (who, minutes) in [(&s.gp, 20), (&s.staff, 30), (&admin, 10)] {
        assert_eq!(
            s.app.set_schedule(who, gp, hours(minutes)).unwrap(),
            hours(minutes)
        );
        assert_eq!(s.store.schedule(gp).unwrap(), Some(hours(minutes)));
    }
    let nobody = PractitionerId::from_uuid(Uuid::new_v4());
    assert!(matches!(
        s.app.set_schedule(&s.staff, nobody, hours(20)),
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        s.app
            .change_listing(&s.staff, nobody, listing(None, &["fr"])),
        Err(AppError::NotFound)
    ));
    // Every bad field at once.
    let bad = ListingChange {
        name: Some("\u{7}".into()),
        specialty: "astrology".into(),
        languages: Vec::new(),
    };
    assert!(matches!(
        s.app.change_listing(&s.gp, gp, bad),
        Err(AppError::Invalid(f)) if f.keys().eq(["languages", "name", "specialty"])
    ));
    let (record, schedule) = s
        .app
        .change_listing(&s.gp, gp, listing(Some("Dr Ana Reis"), &["pt", "fr"]))
        .unwrap();
    assert_eq!(
        (record.name.as_str(), record.specialty.as_str()),
        ("Dr Ana Reis", "dermatology")
    );
    assert_eq!(schedule, Some(hours(10)));
    let updates = s
        .store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| r.event.object_id == gp.to_string() && r.event.action == Action::Update)
        .count();
    assert_eq!(updates, 4, "three schedules, one listing");
}

#[test]
fn thirty_parallel_listing_changes_keep_a_name_changed_meanwhile() {
    let s = site(SiteKind::Clinic);
    let gp = s.gp.practitioner.unwrap();
    let app = &s.app;
    let (staff, doctor) = (&s.staff, &s.gp);
    std::thread::scope(|scope| {
        let changes: Vec<_> = (0..30)
            .map(|n| {
                scope.spawn(move || {
                    // One renames; the others change the languages and leave the name out.
                    let (who, change) = match n {
                        0 => (doctor, listing(Some("Dr Renamed"), &["fr"])),
                        _ => (staff, listing(None, &["fr", "de"])),
                    };
                    app.change_listing(who, gp, change).unwrap()
                })
            })
            .collect();
        for change in changes {
            change.join().unwrap();
        }
    });
    let record = s.store.practitioner(gp).unwrap().unwrap();
    assert_eq!(
        record.name, "Dr Renamed",
        "no change wrote back a stale name"
    );
    assert_eq!(record.specialty, "dermatology");
}
