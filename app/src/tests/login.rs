//! Logging in and out, activation and password reset (`login.rs`): the two steps, the counts
//! that lock an account — decided on the account as stored, so 30 attempts at once count as
//! 30 one after the other would — and single-use links.

use super::*;
use crate::login::Live;
use teleconsult_core::account::{OneTimeToken, TokenPurpose};
use teleconsult_core::ports::sessions::SessionStore;
use teleconsult_core::totp::Factor;

/// The patient of the site logs in (password "x", see `account`): the challenge id and the
/// code sent by SMS.
fn challenge(s: &Site) -> (String, String) {
    let started = s.app.start_login("account4", "x", Plain).unwrap();
    assert_eq!(started.factor, Factor::Sms);
    (started.challenge_id, s.texts.last_secret())
}

fn set_status(s: &Site, status: AccountStatus) {
    s.store
        .change_account(
            s.patient.id,
            |a| {
                a.status = status;
                Ok::<_, ()>(())
            },
            None,
        )
        .unwrap()
        .unwrap();
}

fn stored(s: &Site, id: AccountId) -> Account {
    s.store.account(id).unwrap().unwrap()
}

#[test]
fn a_password_then_the_sms_code_open_a_session_that_authenticates_and_ends_at_logout() {
    let s = site(SiteKind::Clinic);
    let (id, code) = challenge(&s);
    assert_eq!(s.texts.sent().last().unwrap().0, "login_code");
    let opened = s.app.finish_login(&id, &code).unwrap();
    assert_eq!(opened.session.account, s.patient.id);
    let (session, account) = s.app.login_session(&opened.token).unwrap().unwrap();
    assert_eq!(account.id, s.patient.id);
    assert_eq!(s.app.live_session(&session, &account, at(T0)), Live::Yes);
    // The code works once.
    assert!(matches!(
        s.app.finish_login(&id, &code),
        Err(AppError::Unauthenticated {
            code: "invalid_code",
            ..
        })
    ));
    s.app.log_out(&account, &opened.token).unwrap();
    assert!(s.app.login_session(&opened.token).unwrap().is_none());
    let logins: Vec<_> = s
        .store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .filter(|a| matches!(a, Action::Login | Action::Logout))
        .collect();
    assert_eq!(logins, [Action::Login, Action::Logout]);
}

#[test]
fn an_unknown_login_and_a_wrong_password_get_the_same_answer() {
    let s = site(SiteKind::Clinic);
    for (login, password) in [("nobody", "x"), ("account4", "wrong")] {
        match s.app.start_login(login, password, Plain) {
            Err(AppError::Unauthenticated { code, .. }) => assert_eq!(code, "invalid_credentials"),
            other => panic!("{login}: {other:?}"),
        }
    }
    assert_eq!(stored(&s, s.patient.id).failed_attempts, 1);
}

#[test]
fn thirty_wrong_passwords_at_once_lock_the_account_after_exactly_five() {
    let s = site(SiteKind::Clinic);
    let answers: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| s.app.start_login("account4", "wrong", Plain)))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let wrong = answers
        .iter()
        .filter(|a| matches!(a, Err(AppError::Unauthenticated { .. })))
        .count();
    let locked = answers
        .iter()
        .filter(|a| matches!(a, Err(AppError::Locked { .. })))
        .count();
    assert_eq!((wrong, locked), (5, 25), "{answers:?}");
    let account = stored(&s, s.patient.id);
    assert_eq!(account.failed_attempts, 5);
    assert!(account.locked_until.is_some_and(|until| until > at(T0)));
    // Locked: even the right password is refused, without counting.
    assert!(matches!(
        s.app.start_login("account4", "x", Plain),
        Err(AppError::Locked { .. })
    ));
    assert_eq!(stored(&s, s.patient.id).failed_attempts, 5);
}

#[test]
fn thirty_wrong_codes_at_once_count_three_on_the_challenge_which_then_is_void() {
    let s = site(SiteKind::Clinic);
    let (id, code) = challenge(&s);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let answers: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| s.app.finish_login(&id, wrong)))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(answers.iter().all(Result::is_err));
    let counted = answers
        .iter()
        .filter(|a| {
            matches!(a, Err(AppError::Unauthenticated { message, .. })
                if message.starts_with(crate::login::WRONG_CODE_PREFIX)
                    || message.contains("too many wrong codes"))
        })
        .count();
    // otp_attempts = 3: two "wrong code (n left)", one "too many"; the rest found it void.
    assert_eq!(counted, 3, "{answers:?}");
    assert_eq!(stored(&s, s.patient.id).failed_attempts, 3);
    assert!(
        s.app.finish_login(&id, &code).is_err(),
        "the challenge is void"
    );
}

#[test]
fn thirty_right_codes_at_once_open_one_session() {
    let s = site(SiteKind::Clinic);
    let (id, code) = challenge(&s);
    let opened: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| s.app.finish_login(&id, &code)))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let sessions: Vec<_> = opened.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(sessions.len(), 1, "{opened:?}");
    assert_eq!(stored(&s, s.patient.id).failed_attempts, 0);
}

#[test]
fn an_authenticator_app_s_account_gets_no_sms() {
    let s = site(SiteKind::Clinic);
    let mut account = stored(&s, s.patient.id);
    let secret =
        teleconsult_core::totp::TotpSecret::from_bytes([3; teleconsult_core::totp::SECRET_BYTES]);
    account.start_totp(secret.clone(), at(T0)).unwrap();
    let code_at = |t| secret.code_at_step(teleconsult_core::totp::step_of(t).unwrap());
    let code = code_at(at(T0));
    account.confirm_totp(&code, at(T0)).unwrap();
    s.store
        .change_account(
            account.id,
            |a| {
                a.clone_from(&account);
                Ok::<_, ()>(())
            },
            None,
        )
        .unwrap()
        .unwrap();
    let sent = s.texts.sent().len();
    let started = s.app.start_login("account4", "x", Plain).unwrap();
    assert_eq!(started.factor, Factor::Totp);
    assert_eq!(s.texts.sent().len(), sent, "no SMS");
    s.advance(1);
    let now_code = code_at(s.clock.now());
    s.app
        .finish_login(&started.challenge_id, &now_code)
        .unwrap();
}

#[test]
fn a_disabled_or_unactivated_account_gets_no_code() {
    let s = site(SiteKind::Clinic);
    for (status, expected) in [
        (AccountStatus::PendingActivation, "not_activated"),
        (AccountStatus::Disabled, "invalid_credentials"),
    ] {
        set_status(&s, status);
        let code = match s.app.start_login("account4", "x", Plain) {
            Err(AppError::NotActivated) => "not_activated",
            Err(AppError::Unauthenticated { code, .. }) => code,
            other => panic!("{status:?}: {other:?}"),
        };
        assert_eq!(code, expected);
    }
}

#[test]
fn thirty_uses_of_one_reset_link_at_once_change_the_password_once_and_end_older_sessions() {
    let s = site(SiteKind::Clinic);
    let (id, code) = challenge(&s);
    let before = s.app.finish_login(&id, &code).unwrap();
    s.app.request_password_reset("ACCOUNT4 ", None).unwrap();
    assert_eq!(s.texts.sent().last().unwrap().0, "password_reset");
    let token = s.texts.last_secret();
    // A weak password leaves the link usable.
    assert!(matches!(
        s.app.confirm_password_reset(&token, "short", Plain),
        Err(AppError::Invalid(_))
    ));
    s.advance(1);
    let changed: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|n| {
                let (s, token) = (&s, &token);
                scope.spawn(move || {
                    let password = format!("Correct-Horse-{n:02}-battery");
                    s.app.confirm_password_reset(token, &password, Plain)
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let done: Vec<_> = changed.iter().filter_map(|c| c.as_ref().ok()).collect();
    assert_eq!(done.len(), 1, "{changed:?}");
    assert!(
        changed
            .iter()
            .all(|c| c.is_ok() || matches!(c, Err(AppError::InvalidLink)))
    );
    let account = stored(&s, s.patient.id);
    assert_eq!(account.password_hash, done[0].password_hash);
    let (session, account) = s.app.login_session(&before.token).unwrap().unwrap();
    assert_eq!(
        s.app.live_session(&session, &account, s.clock.now()),
        Live::No,
        "opened with the old password"
    );
    // Unknown, used or for another purpose: the same answer.
    assert!(s.app.password_reset_account(&token).unwrap().is_none());
    assert!(matches!(s.app.activate(&token), Err(AppError::InvalidLink)));
}

#[test]
fn a_disabled_account_gets_no_reset_link() {
    let s = site(SiteKind::Clinic);
    set_status(&s, AccountStatus::Disabled);
    let sent = s.texts.sent().len();
    s.app.request_password_reset("account4", None).unwrap();
    s.app.request_password_reset("nobody", None).unwrap();
    assert_eq!(s.texts.sent().len(), sent);
}

#[test]
fn thirty_activations_at_once_with_one_link_activate_once() {
    let s = site(SiteKind::Clinic);
    set_status(&s, AccountStatus::PendingActivation);
    let record = OneTimeToken::new(
        TokenPurpose::Activation,
        s.patient.id,
        at(T0),
        &Default::default(),
    );
    let email = Notification::email("a@example.lu".into(), "s".into(), "b".into(), at(T0));
    SessionStore::issue_token(&s.store, "the-link", &record, &email, &audit()).unwrap();
    let results: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| s.app.activate("the-link")))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(stored(&s, s.patient.id).status, AccountStatus::Active);
}

#[test]
fn thirty_uses_of_a_session_at_once_record_one() {
    let s = site(SiteKind::Clinic);
    let (id, code) = challenge(&s);
    let opened = s.app.finish_login(&id, &code).unwrap();
    s.advance(5);
    let now = s.clock.now();
    let recorded: Vec<_> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| {
                let (s, opened) = (&s, &opened);
                scope.spawn(move || {
                    s.store
                        .record_session_use(&opened.token, opened.session.last_seen, now)
                        .unwrap()
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(recorded.iter().filter(|r| **r).count(), 1);
    let (session, _) = s.app.login_session(&opened.token).unwrap().unwrap();
    assert_eq!(session.last_seen, Some(now));
}
