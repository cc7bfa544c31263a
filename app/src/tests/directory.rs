//! The practitioners' directory (`directory.rs`): search, free slots and their window, the
//! earliest free slot.

use super::*;
use crate::directory::DirectoryFilter;

fn names(listed: &[crate::directory::Listed]) -> Vec<String> {
    listed.iter().map(|l| l.practitioner.name.clone()).collect()
}

#[test]
fn the_directory_is_searched_by_name_specialty_and_language() {
    let s = site(SiteKind::Clinic);
    let all = s.app.directory(&DirectoryFilter::default()).unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|l| l.schedule.is_some()));
    let derm = DirectoryFilter {
        specialty: Some(" dermatology ".into()),
        ..DirectoryFilter::default()
    };
    assert_eq!(names(&s.app.directory(&derm).unwrap()), ["Dr 3"]);
    let english = DirectoryFilter {
        language: Some("en".into()),
        ..DirectoryFilter::default()
    };
    assert_eq!(names(&s.app.directory(&english).unwrap()), ["Dr 2"]);
    let by_name = DirectoryFilter {
        q: Some("dr 3".into()),
        ..DirectoryFilter::default()
    };
    assert_eq!(names(&s.app.directory(&by_name).unwrap()), ["Dr 3"]);
}

#[test]
fn free_slots_skip_the_booked_ones_and_their_window_is_checked() {
    let s = site(SiteKind::Clinic);
    let gp = s.gp.practitioner.unwrap();
    let slots = s.app.free_slots_of(gp, None, None).unwrap();
    assert!(slots.first().is_some_and(|slot| slot.start >= at(T0)));
    assert!(matches!(
        s.app.free_slots_of(gp, Some(at(T0)), Some(at("2026-05-01T00:00:00Z"))),
        Err(AppError::Invalid(fields)) if fields.contains_key("to")
    ));
    let nobody = PractitionerId::from_uuid(Uuid::from_u128(0xdead));
    assert!(matches!(
        s.app.free_slots_of(nobody, None, None),
        Err(AppError::NotFound)
    ));
    // A booked slot is no longer free (a day ahead: bookings keep a lead).
    let day = at("2026-03-03T10:00:00Z");
    let free_then = s.app.free_slots_of(gp, Some(day), None).unwrap();
    let first = free_then[0].start;
    book_at(&s, &s.gp, first);
    let after = s.app.free_slots_of(gp, Some(day), None).unwrap();
    assert!(after.iter().all(|slot| slot.start != first));
    assert_eq!(after.len(), free_then.len() - 1);
}

#[test]
fn the_earliest_free_slot_is_found_across_a_specialty() {
    let s = site(SiteKind::Clinic);
    let (slot, listed) = s
        .app
        .first_available(&DirectoryFilter::default(), None)
        .unwrap();
    assert!(slot.start >= at(T0));
    assert!(listed.schedule.is_some());
    let nobody = DirectoryFilter {
        specialty: Some("cardiology".into()),
        ..DirectoryFilter::default()
    };
    assert!(matches!(
        s.app.first_available(&nobody, None),
        Err(AppError::NotFound)
    ));
}
