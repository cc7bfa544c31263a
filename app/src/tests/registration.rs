//! A patient registering themself (`registration.rs`): all problems at once, the same answer
//! whatever is registered, the messages to the mailboxes concerned, activation then login.

use super::*;
use crate::registration::RegistrationForm;

fn form(email: &str, national_id: &str) -> RegistrationForm {
    RegistrationForm {
        national_id: national_id.into(),
        first_name: "Marie".into(),
        last_name: "Schmit".into(),
        birth_date: "1990-05-17".into(),
        phone: "+352 621 555 123".into(),
        email: email.into(),
        language: "fr".into(),
        password: "Correct-Horse-42-battery".into(),
        consent_data_processing: true,
        consent_teleconsultation: true,
    }
}

/// A valid Luxembourg national id born on 1990-05-17 (check digits computed by core).
fn national_id(serial: u32) -> String {
    let base = format!("19900517{serial:03}");
    (0..=99)
        .map(|d| format!("{base}{d:02}"))
        .find(|id| teleconsult_core::national_id::validate_national_id(Country::LU, id).is_ok())
        .unwrap()
}

#[test]
fn every_problem_of_a_form_is_answered_at_once() {
    let s = site(SiteKind::Clinic);
    let mut bad = form("not-an-email", "123");
    bad.birth_date = "2990-01-01".into();
    bad.consent_teleconsultation = false;
    match s.app.register_patient(&bad, None, Plain) {
        Err(AppError::Invalid(fields)) => {
            for field in [
                "email",
                "national_id",
                "birth_date",
                "consents.teleconsultation",
            ] {
                assert!(fields.contains_key(field), "{field}: {fields:?}");
            }
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_registration_is_activated_by_its_link_then_logs_in() {
    let s = site(SiteKind::Clinic);
    let queued = s.store.notifications_pending().unwrap();
    let id = s
        .app
        .register_patient(&form("marie@example.lu", &national_id(1)), None, Plain)
        .unwrap();
    // Only the activation e-mail is queued (the refusals' are written only when refused).
    assert_eq!(s.store.notifications_pending().unwrap(), queued + 1);
    assert!(matches!(
        s.app
            .start_login("marie@example.lu", "Correct-Horse-42-battery", Plain),
        Err(AppError::NotActivated)
    ));
    let account = s.app.activate(&s.texts.last_secret()).unwrap();
    assert_eq!(account.patient, Some(id));
    s.app
        .start_login("MARIE@example.lu", "Correct-Horse-42-battery", Plain)
        .unwrap();
}

#[test]
fn a_taken_e_mail_or_national_id_gets_the_same_answer_and_tells_the_owners() {
    let s = site(SiteKind::Clinic);
    let first = national_id(2);
    s.app
        .register_patient(&form("marie@example.lu", &first), None, Plain)
        .unwrap();
    let queued = s.store.notifications_pending().unwrap();
    // Same e-mail: a fresh id all the same; its owner is told.
    s.app
        .register_patient(&form("Marie@Example.lu", &national_id(3)), None, Plain)
        .unwrap();
    assert_eq!(s.store.notifications_pending().unwrap(), queued + 1);
    // Same national id, another e-mail: the address given and the id's owner are told.
    s.app
        .register_patient(&form("other@example.lu", &first), None, Plain)
        .unwrap();
    assert_eq!(s.store.notifications_pending().unwrap(), queued + 3);
    assert!(
        s.store
            .account_by_login("other@example.lu")
            .unwrap()
            .is_none()
    );
}

#[test]
fn thirty_registrations_of_one_e_mail_at_once_create_one_account() {
    let s = site(SiteKind::Clinic);
    let ids: Vec<_> = (10..40).map(national_id).collect();
    let answers: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = ids
            .iter()
            .map(|id| {
                let s = &s;
                scope.spawn(move || {
                    s.app
                        .register_patient(&form("same@example.lu", id), None, Plain)
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    let account = s
        .store
        .account_by_login("same@example.lu")
        .unwrap()
        .unwrap();
    let created: Vec<_> = answers
        .iter()
        .filter(|a| account.patient == a.as_ref().ok().copied())
        .collect();
    assert_eq!(created.len(), 1);
}
