//! The cabin's status and device check: who may, and how the platform link reads.

use super::*;
use crate::cabin::{
    CabinView, CheckRefused, DeviceCheck, Health, Measured, PlatformLink, platform_condition,
};

fn link(enabled: bool, circuit: &str, pending: u64, parked: u64) -> PlatformLink {
    PlatformLink {
        enabled,
        circuit: circuit.into(),
        pending,
        parked,
    }
}

#[test]
fn the_platform_link_reads_ok_degraded_or_absent_never_missing_when_offline() {
    let state = |l: &PlatformLink| platform_condition(l).state;
    assert_eq!(
        state(&link(false, "offline", 0, 0)),
        Health::Ok,
        "no platform"
    );
    assert_eq!(state(&link(true, "online", 3, 0)), Health::Ok);
    assert_eq!(
        state(&link(true, "online", 0, 2)),
        Health::Degraded,
        "parked"
    );
    assert_eq!(state(&link(true, "degraded", 0, 0)), Health::Degraded);
    let offline = platform_condition(&link(true, "offline", 7, 0));
    assert_eq!(offline.state, Health::Degraded, "the booth works on");
    assert!(
        offline.detail.contains("7 messages wait"),
        "{}",
        offline.detail
    );
}

#[test]
fn booth_staff_read_the_status_and_run_the_check_admins_only_read() {
    let s = site(SiteKind::Booth);
    let platform = link(false, "offline", 0, 0);
    let status = s.app.cabin_status(&s.staff, &platform).unwrap();
    assert_eq!(status.parts.view, CabinView::Welcome);
    let admin = account(9, Role::Admin);
    assert!(s.app.cabin_status(&admin, &platform).is_ok());
    for who in [&s.patient, &s.gp, &account(8, Role::Pharmacist)] {
        assert!(matches!(
            s.app.cabin_status(who, &platform),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            s.app.cabin_check(who),
            Err(AppError::Forbidden(_))
        ));
    }
    assert!(matches!(
        s.app.cabin_check(&admin),
        Err(AppError::Forbidden(_))
    ));
    let checked = s.app.cabin_check(&s.staff).unwrap();
    assert!(
        matches!(checked.camera, Measured::Failed(_)),
        "the test cabin has none"
    );
}

#[test]
fn clinic_staff_and_admins_find_no_cabin() {
    let s = site(SiteKind::Clinic);
    let platform = link(false, "offline", 0, 0);
    let admin = account(9, Role::Admin);
    for who in [&s.staff, &admin] {
        assert!(matches!(
            s.app.cabin_status(who, &platform),
            Err(AppError::NotFound)
        ));
    }
    assert!(matches!(
        s.app.cabin_check(&s.staff),
        Err(AppError::NotFound)
    ));
}

struct BusyCabin(CheckRefused);

impl Cabin for BusyCabin {
    fn reset(&self, _: BoothSessionId) {}
    fn join(&self, _: BoothSessionId, _: AppointmentId) {}
    fn check(&self) -> Result<DeviceCheck, CheckRefused> {
        Err(self.0)
    }
}

#[test]
fn a_check_during_a_call_or_another_check_is_a_conflict_naming_why() {
    let s = site(SiteKind::Booth);
    for (refused, code) in [
        (CheckRefused::InCall, "cabin_in_call"),
        (CheckRefused::Running, "check_running"),
    ] {
        s.app.set_cabin(Arc::new(BusyCabin(refused)));
        match s.app.cabin_check(&s.staff) {
            Err(AppError::Conflict { code: got, .. }) => assert_eq!(got, code),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_check_restarts_the_open_sessions_idle_time() {
    let s = site(SiteKind::Booth);
    let started = s
        .app
        .start_session(
            &s.staff,
            queue_request(walk_in(1, None), "general_practice"),
        )
        .unwrap();
    let id = started.view.session.id;
    let before = s.store.booth_session(id).unwrap().unwrap().last_activity;
    s.advance(10);
    s.app.cabin_check(&s.staff).unwrap();
    let after = s.store.booth_session(id).unwrap().unwrap().last_activity;
    assert!(after > before, "{before} → {after}");
}

#[test]
fn the_cabin_enters_only_its_open_sessions_room_and_only_once_it_opens() {
    use crate::cabin::CabinEntry;
    let s = site(SiteKind::Booth);
    // A slot 15 minutes ahead: its room opens 10 minutes before the start.
    let start = s
        .now()
        .checked_add(jiff::SignedDuration::from_mins(15))
        .unwrap();
    let started = s
        .app
        .start_session(&s.staff, slot_request(walk_in(30, None), &s.gp, start))
        .unwrap();
    let appointment = started.view.session.appointment().unwrap();
    match s.app.cabin_entry(appointment).unwrap() {
        CabinEntry::NotYet { opens_at } => assert_eq!(
            opens_at,
            start
                .checked_sub(jiff::SignedDuration::from_mins(10))
                .unwrap()
        ),
        other => panic!("{other:?}"),
    }
    let other = AppointmentId::from_uuid(Uuid::from_u128(0xdead));
    assert_eq!(s.app.cabin_entry(other).unwrap(), CabinEntry::Gone);
    s.advance(5);
    assert_eq!(s.app.cabin_entry(appointment).unwrap(), CabinEntry::Open);
    s.app
        .end_session(&s.staff, started.view.session.id)
        .unwrap();
    assert_eq!(
        s.app.cabin_entry(appointment).unwrap(),
        CabinEntry::Gone,
        "the session ended"
    );
}
