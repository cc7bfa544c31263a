//! The caller's authenticator app (`authenticator.rs`): set up with the password and a first
//! code, removed with both; wrong proofs count toward the lockout, parallel ones too.

use super::*;
use teleconsult_core::totp::{TotpError, step_of};

fn code_now(s: &Site, account: &Account) -> String {
    let secret = &account.totp.as_ref().unwrap().secret;
    secret.code_at_step(step_of(s.clock.now()).unwrap())
}

#[test]
fn an_app_is_set_up_with_the_password_and_a_first_code_and_the_owner_is_told() {
    let s = site(SiteKind::Clinic);
    assert!(matches!(
        s.app.start_authenticator(&s.patient, "wrong", Plain),
        Err(AppError::WrongPassword)
    ));
    let pending = s.app.start_authenticator(&s.patient, "x", Plain).unwrap();
    assert!(!pending.uses_totp());
    assert!(matches!(
        s.app.confirm_authenticator(&s.patient, "000000"),
        Err(AppError::Totp(TotpError::WrongCode))
    ));
    s.app
        .confirm_authenticator(&s.patient, &code_now(&s, &pending))
        .unwrap();
    assert!(s.store.account(s.patient.id).unwrap().unwrap().uses_totp());
    assert_eq!(s.texts.sent().last().unwrap().0, "authenticator_set_up");
    // Removing takes a current code (each code works once: the next step's).
    s.advance(1);
    let enrolled = s.store.account(s.patient.id).unwrap().unwrap();
    let before = enrolled.failed_attempts;
    assert!(matches!(
        s.app.remove_authenticator(&s.patient, "x", "000000", Plain),
        Err(AppError::Totp(TotpError::WrongCode))
    ));
    assert_eq!(
        s.store
            .account(s.patient.id)
            .unwrap()
            .unwrap()
            .failed_attempts,
        before + 1,
        "a wrong code counts"
    );
    s.app
        .remove_authenticator(&s.patient, "x", &code_now(&s, &enrolled), Plain)
        .unwrap();
    assert!(!s.store.account(s.patient.id).unwrap().unwrap().uses_totp());
    assert_eq!(s.texts.sent().last().unwrap().0, "authenticator_removed");
}

#[test]
fn thirty_wrong_passwords_at_once_lock_the_account_after_five() {
    let s = site(SiteKind::Clinic);
    let answers: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| s.app.start_authenticator(&s.patient, "wrong", Plain)))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let wrong = answers
        .iter()
        .filter(|a| matches!(a, Err(AppError::WrongPassword)))
        .count();
    let locked = answers
        .iter()
        .filter(|a| matches!(a, Err(AppError::Locked { .. })))
        .count();
    assert_eq!((wrong, locked), (5, 25), "{answers:?}");
    let account = s.store.account(s.patient.id).unwrap().unwrap();
    assert_eq!(account.failed_attempts, 5);
    assert!(account.totp.is_none());
}

#[test]
fn thirty_confirmations_at_once_set_the_app_up_once_and_tell_the_owner_once() {
    let s = site(SiteKind::Clinic);
    let pending = s.app.start_authenticator(&s.patient, "x", Plain).unwrap();
    let code = code_now(&s, &pending);
    let queued = s.store.notifications_pending().unwrap();
    let answers: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| s.app.confirm_authenticator(&s.patient, &code)))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(
        answers.iter().filter(|a| a.is_ok()).count(),
        1,
        "{answers:?}"
    );
    // Told once: only the confirmation that was written queued its e-mail.
    assert_eq!(s.store.notifications_pending().unwrap(), queued + 1);
}

#[test]
fn a_site_without_authenticator_apps_refuses_a_set_up() {
    let mut s = site(SiteKind::Clinic);
    let mut settings = s.app.settings().clone();
    settings.totp_offered = false;
    s.app = App::new(
        Arc::new(s.store.clone()),
        s.clock.clone(),
        s.texts.clone(),
        settings,
    );
    assert!(matches!(
        s.app.start_authenticator(&s.patient, "x", Plain),
        Err(AppError::TotpNotOffered)
    ));
}
