//! An administrator's export and erasure of a patient (`gdpr.rs`).

use super::*;
use crate::users::Administrator;

#[test]
fn the_operator_exports_then_erases_a_registered_patient_with_their_account() {
    let s = site(SiteKind::Clinic);
    let id = s.patient.patient.unwrap();
    let (patient, record) = s
        .app
        .export_patient(Administrator::Operator("root (uid 0)"), id)
        .unwrap();
    assert_eq!(patient.id, id);
    assert_eq!(record, None);
    let erased = s
        .app
        .erase_patient(Administrator::Operator("root (uid 0)"), id)
        .unwrap();
    assert_eq!(erased.accounts, [s.patient.id]);
    assert!(s.store.account(s.patient.id).unwrap().is_none());
    assert!(matches!(
        s.app
            .export_patient(Administrator::Operator("root (uid 0)"), id),
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        s.app
            .erase_patient(Administrator::Operator("root (uid 0)"), id),
        Err(AppError::NotFound)
    ));
    let deleted = s
        .store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == Action::Delete && r.event.object_id == id.to_string())
        .map(|r| r.event.actor)
        .collect::<Vec<_>>();
    assert_eq!(deleted[0], Actor::Admin("root (uid 0)".into()));
}

#[test]
fn only_an_administrator_s_account_may_erase_a_patient() {
    let s = site(SiteKind::Clinic);
    let id = s.patient.patient.unwrap();
    for who in [&s.staff, &s.gp, &s.patient] {
        assert!(matches!(
            s.app.erase_patient(Administrator::Account(who), id),
            Err(AppError::Forbidden(_))
        ));
    }
    assert!(s.store.account(s.patient.id).unwrap().is_some());
}
