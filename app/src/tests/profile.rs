//! Rectification of the caller's own data (`profile.rs`): names on their own, a new phone or
//! e-mail with the password and a confirmation code, the old address told.

use super::*;
use crate::profile::ProfileChange;
use teleconsult_core::account::ConfirmationPurpose;

#[test]
fn names_change_alone_a_new_e_mail_needs_the_password_and_a_code() {
    let s = site(SiteKind::Clinic);
    let names = ProfileChange {
        first_name: Some("Annette".into()),
        ..ProfileChange::default()
    };
    let (account, patient) = s.app.rectify(&s.patient, "session", &names, Plain).unwrap();
    assert_eq!(account.name, "Annette Weber");
    assert_eq!(patient.unwrap().first_name, "Annette");
    let mut email = ProfileChange {
        email: Some("annette@example.lu".into()),
        ..ProfileChange::default()
    };
    assert!(matches!(
        s.app.rectify(&s.patient, "session", &email, Plain),
        Err(AppError::ConfirmationRequired)
    ));
    s.app
        .send_confirmation_code(&s.patient, "session", ConfirmationPurpose::ContactChange)
        .unwrap();
    email.password = Some("x".into());
    email.code = Some(s.texts.last_secret());
    let queued = s.store.notifications_pending().unwrap();
    let (account, patient) = s.app.rectify(&s.patient, "session", &email, Plain).unwrap();
    assert_eq!(
        account.login, "annette@example.lu",
        "a patient's login moves"
    );
    assert_eq!(patient.unwrap().email, "annette@example.lu");
    assert_eq!(
        s.store.notifications_pending().unwrap(),
        queued + 1,
        "old address told"
    );
    assert!(
        s.store
            .account_by_login("annette@example.lu")
            .unwrap()
            .is_some()
    );
}

#[test]
fn invalid_fields_are_answered_at_once() {
    let s = site(SiteKind::Clinic);
    let bad = ProfileChange {
        first_name: Some(String::new()),
        phone: Some("12".into()),
        language: Some("xx".into()),
        ..ProfileChange::default()
    };
    match s.app.rectify(&s.patient, "session", &bad, Plain) {
        Err(AppError::Invalid(fields)) => {
            assert_eq!(
                fields.keys().collect::<Vec<_>>(),
                ["first_name", "language", "phone"]
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn thirty_rectifications_at_once_lose_none_and_keep_the_name_whole() {
    let s = site(SiteKind::Clinic);
    std::thread::scope(|scope| {
        for n in 0..30 {
            let s = &s;
            scope.spawn(move || {
                let change = if n % 2 == 0 {
                    ProfileChange {
                        first_name: Some(format!("Anne{}", ["a", "b", "c"][n % 3])),
                        ..ProfileChange::default()
                    }
                } else {
                    ProfileChange {
                        last_name: Some(format!("Weber{}", ["x", "y", "z"][n % 3])),
                        ..ProfileChange::default()
                    }
                };
                s.app
                    .rectify(&s.patient, "session", &change, Plain)
                    .unwrap();
            });
        }
    });
    let account = s.store.account(s.patient.id).unwrap().unwrap();
    let patient = s.app.own_patient(&account, Action::Read).unwrap().unwrap();
    assert!(patient.first_name.starts_with("Anne") && patient.first_name.len() == 5);
    assert!(patient.last_name.starts_with("Weber") && patient.last_name.len() == 6);
    assert_eq!(
        account.name,
        format!("{} {}", patient.first_name, patient.last_name),
        "the account's name follows the record as stored"
    );
}
