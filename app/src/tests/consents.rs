//! Withdrawing a consent (`consents.rs`): on the record as stored, never undoing a withdrawal
//! made in parallel.

use super::*;

fn consents(s: &Site) -> Vec<Consent> {
    s.store
        .patient(s.patient.patient.unwrap(), &audit())
        .unwrap()
        .unwrap()
        .consents
}

#[test]
fn only_a_patient_withdraws_their_own_consents() {
    let s = site(SiteKind::Clinic);
    for someone in [&s.staff, &s.gp] {
        assert!(matches!(
            s.app.withdraw_consent(someone, ConsentKind::DataProcessing),
            Err(AppError::NotFound)
        ));
    }
    s.advance(5);
    let now = s
        .app
        .withdraw_consent(&s.patient, ConsentKind::Teleconsultation)
        .unwrap();
    assert_eq!(now, consents(&s));
    let withdrawn: Vec<_> = now.iter().map(|c| (c.kind, c.withdrawn_at)).collect();
    assert_eq!(
        withdrawn,
        [
            (ConsentKind::DataProcessing, None),
            (ConsentKind::Teleconsultation, Some(s.now())),
        ]
    );
    let updates = s
        .store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.event.action == Action::Update
                && r.event.object_type == "patient"
                && r.event.actor == Actor::Account(s.patient.id.to_string())
        })
        .count();
    assert_eq!(updates, 1);
}

#[test]
fn thirty_parallel_withdrawals_of_both_kinds_lose_neither() {
    let s = site(SiteKind::Clinic);
    s.advance(5);
    let kinds = [ConsentKind::DataProcessing, ConsentKind::Teleconsultation];
    let app = &s.app;
    let patient = &s.patient;
    std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|n| scope.spawn(move || app.withdraw_consent(patient, kinds[n % 2]).unwrap()))
            .collect();
        for t in tries {
            t.join().unwrap();
        }
    });
    let after = consents(&s);
    assert_eq!(after.len(), 2, "nothing added: {after:?}");
    assert!(
        after.iter().all(|c| c.withdrawn_at == Some(s.now())),
        "{after:?}"
    );
}
