//! Confirmation codes (`confirmation.rs`): sent to the current phone, bound to the session,
//! checked with the password, used once.

use super::*;
use teleconsult_core::account::ConfirmationPurpose;
use teleconsult_core::confirmation::Confirmation;

const PURPOSE: ConfirmationPurpose = ConfirmationPurpose::ContactChange;

#[test]
fn a_code_is_checked_with_the_password_in_its_session_and_used_once() {
    let s = site(SiteKind::Clinic);
    let ttl = s
        .app
        .send_confirmation_code(&s.patient, "session-a", PURPOSE)
        .unwrap();
    assert_eq!(ttl, 300);
    let code = s.texts.last_secret();
    let check = |session, password, code: Option<&str>| {
        s.app
            .check_confirmation(&s.patient, session, PURPOSE, password, code, Plain)
    };
    assert!(matches!(
        check("session-a", None, Some(&code)),
        Err(AppError::ConfirmationRequired)
    ));
    assert!(matches!(
        check("session-b", Some("x"), Some(&code)),
        Err(AppError::NotConfirmed(Confirmation::NoCode))
    ));
    assert!(matches!(
        check("session-a", Some("wrong"), Some(&code)),
        Err(AppError::NotConfirmed(Confirmation::Wrong { remaining: 2 }))
    ));
    assert_eq!(
        s.store
            .account(s.patient.id)
            .unwrap()
            .unwrap()
            .failed_attempts,
        1
    );
    check("session-a", Some("x"), Some(&code)).unwrap();
    assert!(matches!(
        check("session-a", Some("x"), Some(&code)),
        Err(AppError::NotConfirmed(Confirmation::NoCode))
    ));
}

#[test]
fn thirty_right_confirmations_at_once_confirm_once() {
    let s = site(SiteKind::Clinic);
    s.app
        .send_confirmation_code(&s.patient, "session-a", PURPOSE)
        .unwrap();
    let code = s.texts.last_secret();
    let answers: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| {
                let (s, code) = (&s, &code);
                scope.spawn(move || {
                    s.app.check_confirmation(
                        &s.patient,
                        "session-a",
                        PURPOSE,
                        Some("x"),
                        Some(code),
                        Plain,
                    )
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(
        answers.iter().filter(|a| a.is_ok()).count(),
        1,
        "{answers:?}"
    );
}

#[test]
fn the_sixth_code_in_a_window_waits() {
    let s = site(SiteKind::Clinic);
    for _ in 0..5 {
        s.app
            .send_confirmation_code(&s.patient, "session-a", PURPOSE)
            .unwrap();
    }
    match s
        .app
        .send_confirmation_code(&s.patient, "session-a", PURPOSE)
    {
        Err(AppError::TooManyCodes { retry_after_s }) => assert_eq!(retry_after_s, 15 * 60),
        other => panic!("{other:?}"),
    }
}
