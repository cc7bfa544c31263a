use super::*;
use crate::appointment::Status;
use crate::ids::{AccountId, PatientId, PractitionerId};
use crate::schedule::{Schedule, TimeRange, Week, WeeklyHours};
use jiff::civil::time;
use uuid::Uuid;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Weekdays 09:00–12:00 Luxembourg time, 20-minute slots, video and audio.
fn schedule() -> Schedule {
    let morning = vec![TimeRange::new(time(9, 0, 0, 0), time(12, 0, 0, 0)).unwrap()];
    let week = Week {
        monday: morning.clone(),
        tuesday: morning.clone(),
        wednesday: morning.clone(),
        thursday: morning.clone(),
        friday: morning,
        saturday: vec![],
        sunday: vec![],
    };
    let hours = WeeklyHours {
        time_zone: "Europe/Luxembourg".into(),
        slot_minutes: 20,
        modes: vec![ConsultationMode::Video],
        week,
    };
    Schedule::new(hours, vec![]).unwrap()
}

#[test]
fn free_slots_leave_out_booked_starts() {
    let from = ts("2026-11-23T00:00:00Z");
    let to = ts("2026-11-24T00:00:00Z");
    let all = free_slots(&schedule(), from, to, &BTreeSet::new());
    assert_eq!(all.len(), 9, "09:00 to 12:00 in 20-minute slots");
    assert_eq!(all[0].start, ts("2026-11-23T08:00:00Z"), "09:00 CET");
    let booked = BTreeSet::from([all[1].start, all[8].start]);
    let free = free_slots(&schedule(), from, to, &booked);
    assert_eq!(free.len(), 7);
    assert!(free.iter().all(|s| !booked.contains(&s.start)));
}

#[test]
fn only_offered_starts_modes_and_horizons_are_bookable() {
    let policy = BookingPolicy::default();
    let now = ts("2026-11-20T12:00:00Z");
    let slot = offered_slot(
        &schedule(),
        ts("2026-11-23T08:20:00Z"),
        ConsultationMode::Video,
        now,
        &policy,
    )
    .unwrap();
    assert_eq!(slot.end, ts("2026-11-23T08:40:00Z"));
    let off_grid = offered_slot(
        &schedule(),
        ts("2026-11-23T08:25:00Z"),
        ConsultationMode::Video,
        now,
        &policy,
    );
    assert_eq!(off_grid, Err(SlotError::NotOffered));
    let weekend = offered_slot(
        &schedule(),
        ts("2026-11-22T08:20:00Z"),
        ConsultationMode::Video,
        now,
        &policy,
    );
    assert_eq!(weekend, Err(SlotError::NotOffered));
    let audio = offered_slot(
        &schedule(),
        ts("2026-11-23T08:20:00Z"),
        ConsultationMode::Audio,
        now,
        &policy,
    );
    assert_eq!(audio, Err(SlotError::ModeNotOffered));
    let far = offered_slot(
        &schedule(),
        ts("2027-02-01T08:20:00Z"),
        ConsultationMode::Video,
        now,
        &policy,
    );
    assert_eq!(far, Err(SlotError::BeyondHorizon(60)));
}

#[test]
fn reminders_only_in_the_future() {
    let start = ts("2026-11-23T08:00:00Z");
    let appointment = Appointment {
        id: AppointmentId::from_uuid(Uuid::from_u128(1)),
        practitioner: PractitionerId::from_uuid(Uuid::from_u128(2)),
        patient: PatientId::from_uuid(Uuid::from_u128(3)),
        booked_by: AccountId::from_uuid(Uuid::from_u128(4)),
        for_relative: None,
        start,
        end: ts("2026-11-23T08:20:00Z"),
        mode: ConsultationMode::Video,
        reason: String::new(),
        status: Status::Booked,
        created_at: start,
        patient_joined_at: None,
        practitioner_joined_at: None,
        call_started_at: None,
        call_ended_at: None,
        at_booth: false,
    };
    let policy = BookingPolicy::default();
    let early = reminders(&appointment, ts("2026-11-20T08:00:00Z"), &policy);
    assert_eq!(
        early.iter().map(|(due, _)| *due).collect::<Vec<_>>(),
        [ts("2026-11-22T08:00:00Z"), ts("2026-11-23T07:00:00Z")]
    );
    let late = reminders(&appointment, ts("2026-11-23T05:00:00Z"), &policy);
    assert_eq!(late.len(), 1, "the 24-hour reminder is past");
    assert!(reminders(&appointment, ts("2026-11-23T07:30:00Z"), &policy).is_empty());
}
