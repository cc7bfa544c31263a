//! Idle-timeout bookkeeping, confirmation codes and registrations that expire, on real sled.
#![allow(clippy::unwrap_used)]

use crate::test_support::{event, open, patient, ts};
use crate::{Registration, RegistrationMessages, Store};
use teleconsult_core::account::{
    Account, AccountStatus, LoginChallenge, LoginPolicy, OneTimeToken, Role, Session, TokenPurpose,
};
use teleconsult_core::audit::Action;
use teleconsult_core::ids::{AccountId, PatientId};
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::site::Language;
use uuid::Uuid;

fn account_of(p: &Patient, n: u128, at: i64) -> Account {
    Account {
        id: AccountId::from_uuid(Uuid::from_u128(0x9000 + n)),
        login: p.email.to_lowercase(),
        role: Role::Patient,
        name: p.first_name.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        language: Language::Fr,
        password_hash: String::new(),
        status: AccountStatus::PendingActivation,
        patient: Some(p.id),
        practitioner: None,
        failed_attempts: 0,
        locked_until: None,
        created_at: ts(at),
        sessions_not_before: None,
        relatives: Vec::new(),
        totp: None,
    }
}

fn mail(to: &str, subject: &str) -> Notification {
    Notification::email(to.into(), subject.into(), String::new(), ts(0))
}

/// Registers `p` (as account `n`) at `at` seconds; what the store did.
fn register(store: &Store, p: &Patient, n: u128, at: i64) -> Registration {
    let policy = LoginPolicy::default();
    let account = account_of(p, n, at);
    let record = OneTimeToken::new(TokenPurpose::Activation, account.id, ts(at), &policy);
    let (token, activation_mail) = (format!("token{n}"), mail(&p.email, "activate"));
    let (taken, incomplete) = (mail(&p.email, "taken"), mail(&p.email, "incomplete"));
    let owner = |o: &Patient| mail(&o.email, "tried");
    let refused = event(Action::Create, "refused");
    store
        .register_or_notify(
            &account,
            p,
            crate::Activation {
                token: &token,
                record: &record,
                email: &activation_mail,
            },
            &RegistrationMessages {
                created_event: &event(Action::Create, p.id.to_string()),
                email_taken: &taken,
                not_completed: &incomplete,
                national_id_owner: &owner,
                refused_event: &refused,
            },
            ts(at),
            &policy,
        )
        .unwrap()
}

fn other_person_with(p: &Patient, id: u128) -> Patient {
    Patient {
        id: PatientId::from_uuid(Uuid::from_u128(id)),
        ..p.clone()
    }
}

#[test]
fn a_registration_meeting_an_expired_one_frees_its_national_id_and_email_in_its_transaction() {
    let (_dir, store) = open();
    let first = patient(1);
    assert_eq!(register(&store, &first, 1, 0), Registration::Created);
    let again = other_person_with(&first, 0x77);
    // Within 48 hours: taken, nothing created.
    assert_eq!(
        register(&store, &again, 2, 47 * 3600),
        Registration::EmailTaken
    );
    let mut only_id = other_person_with(&first, 0x78);
    only_id.email = "someone.else@example.org".into();
    assert_eq!(
        register(&store, &only_id, 3, 47 * 3600),
        Registration::NationalIdTaken
    );
    assert_eq!(
        store.patient_id_by_email(&first.email).unwrap(),
        Some(first.id)
    );
    // After 48 hours the old registration goes, and the new one takes its place.
    assert_eq!(
        register(&store, &again, 2, 48 * 3600),
        Registration::Created
    );
    assert_eq!(
        store.patient_id_by_email(&first.email).unwrap(),
        Some(again.id)
    );
    assert_eq!(
        store
            .patient_id_by_national_id(first.country, &first.national_id)
            .unwrap(),
        Some(again.id)
    );
    let holder = store.account_by_login(&first.email).unwrap().unwrap();
    assert_eq!(holder.patient, Some(again.id));
    assert!(
        store
            .account(account_of(&first, 1, 0).id)
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_sweeper_removes_expired_registrations_only() {
    let (_dir, store) = open();
    let (old, young) = (patient(1), patient(2));
    register(&store, &old, 1, 0);
    register(&store, &young, 2, 10 * 3600);
    let swept = store
        .expire_registrations(ts(50 * 3600), &LoginPolicy::default(), |a| {
            event(Action::Delete, a.id.to_string())
        })
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(store.patient_id_by_email(&old.email).unwrap(), None);
    assert_eq!(
        store
            .patient_id_by_national_id(old.country, &old.national_id)
            .unwrap(),
        None
    );
    assert!(store.account_by_login(&old.email).unwrap().is_none());
    assert_eq!(
        store.patient_id_by_email(&young.email).unwrap(),
        Some(young.id)
    );
}

fn logged_in(store: &Store, n: u128) -> (Account, String) {
    let p = patient(n);
    register(store, &p, n, 0);
    let id = store.account_by_login(&p.email).unwrap().unwrap().id;
    let (account, ()) = store
        .change_account(
            id,
            |a| {
                a.status = AccountStatus::Active;
                Ok::<_, std::convert::Infallible>(())
            },
            None,
        )
        .unwrap()
        .unwrap();
    let token = format!("session{n}");
    store
        .start_challenge("c", account.id, |a| {
            let challenge =
                LoginChallenge::new(a.id, "111111".into(), ts(0), &LoginPolicy::default());
            Ok::<_, std::convert::Infallible>((challenge, Some(mail("x", "code"))))
        })
        .unwrap()
        .unwrap();
    let session = Session::new(&account, "csrf".into(), ts(0), &LoginPolicy::default());
    store
        .use_challenge("c", &token, |_, _| crate::ChallengeOutcome::<()>::Open {
            session: session.clone(),
            event: event(Action::Login, "a"),
        })
        .unwrap()
        .unwrap()
        .unwrap();
    (account, token)
}

#[test]
fn a_session_use_is_recorded_by_compare_and_swap() {
    let (_dir, store) = open();
    let (_, token) = logged_in(&store, 1);
    assert!(store.touch_session(&token, None, ts(60)).unwrap());
    assert!(
        !store.touch_session(&token, None, ts(61)).unwrap(),
        "someone else recorded it first"
    );
    assert!(store.touch_session(&token, Some(ts(60)), ts(120)).unwrap());
    let (session, _) = store.session_and_account(&token).unwrap().unwrap();
    assert_eq!(session.last_seen, Some(ts(120)));
    assert!(!store.touch_session("unknown", None, ts(1)).unwrap());
}
