use super::*;
use crate::totp::{Factor, TotpError, TotpSecret};
use uuid::Uuid;

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn account() -> Account {
    Account {
        id: AccountId::from_uuid(Uuid::from_u128(1)),
        login: "anne@example.lu".into(),
        role: Role::Patient,
        name: "Anne".into(),
        email: "anne@example.lu".into(),
        phone: "+352621000000".into(),
        language: Language::Fr,
        password_hash: String::new(),
        status: AccountStatus::Active,
        patient: None,
        practitioner: None,
        failed_attempts: 0,
        locked_until: None,
        created_at: ts(0),
        sessions_not_before: None,
        relatives: Vec::new(),
        totp: None,
    }
}

#[test]
fn lockout_after_max_failures_doubles_and_is_capped() {
    let policy = LoginPolicy::default();
    let mut a = account();
    for _ in 0..4 {
        a.record_failure(ts(0), &policy);
        assert_eq!(a.may_attempt_login(ts(0)), Ok(()));
    }
    a.record_failure(ts(0), &policy);
    let first = ts(15 * 60);
    assert_eq!(
        a.may_attempt_login(ts(1)),
        Err(LoginRefused::Locked { until: first })
    );
    assert_eq!(a.may_attempt_login(first), Ok(()), "the lock ends");
    for _ in 0..5 {
        a.record_failure(first, &policy);
    }
    assert_eq!(
        a.locked_until,
        Some(ts(15 * 60 + 30 * 60)),
        "second series: doubled"
    );
    for _ in 0..100 {
        a.record_failure(first, &policy);
    }
    assert_eq!(
        a.locked_until,
        Some(ts(15 * 60 + 24 * 3600)),
        "capped at max_lockout"
    );
    a.record_success();
    assert_eq!((a.failed_attempts, a.locked_until), (0, None));
}

#[test]
fn only_active_accounts_get_a_session() {
    let mut a = account();
    assert_eq!(a.may_log_in(), Ok(()));
    a.status = AccountStatus::PendingActivation;
    assert_eq!(a.may_log_in(), Err(LoginRefused::NotActivated));
    a.status = AccountStatus::Disabled;
    assert_eq!(a.may_log_in(), Err(LoginRefused::Disabled));
}

#[test]
fn otp_accepts_the_right_code_once_within_its_lifetime() {
    let policy = LoginPolicy::default();
    let mut c = LoginChallenge::new(account().id, "123456".into(), ts(0), &policy);
    assert_eq!(
        c.verify(" 123456 ", &mut account(), ts(10), &policy),
        Ok(())
    );
    let mut late = LoginChallenge::new(account().id, "123456".into(), ts(0), &policy);
    assert_eq!(
        late.verify("123456", &mut account(), ts(5 * 60), &policy),
        Err(OtpError::Expired)
    );
}

#[test]
fn otp_wrong_codes_count_down_then_exhaust_even_for_the_right_code() {
    let policy = LoginPolicy::default();
    let mut c = LoginChallenge::new(account().id, "123456".into(), ts(0), &policy);
    assert_eq!(
        c.verify("000000", &mut account(), ts(1), &policy),
        Err(OtpError::Wrong { remaining: 2 })
    );
    assert_eq!(
        c.verify("12345", &mut account(), ts(1), &policy),
        Err(OtpError::Wrong { remaining: 1 })
    );
    assert_eq!(
        c.verify("111111", &mut account(), ts(1), &policy),
        Err(OtpError::Exhausted)
    );
    assert_eq!(
        c.verify("123456", &mut account(), ts(1), &policy),
        Err(OtpError::Exhausted)
    );
}

#[test]
fn constant_time_eq_compares_whole_values() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(constant_time_eq(b"", b""));
}

#[test]
fn sessions_and_tokens_expire() {
    let policy = LoginPolicy::default();
    let s = Session::new(&account(), "csrf".into(), ts(0), &policy);
    assert!(s.is_valid(ts(8 * 3600 - 1)));
    assert!(!s.is_valid(ts(8 * 3600)));
    let t = OneTimeToken::new(TokenPurpose::Activation, account().id, ts(0), &policy);
    assert!(t.is_valid_for(TokenPurpose::Activation, ts(47 * 3600)));
    assert!(
        !t.is_valid_for(TokenPurpose::PasswordReset, ts(1)),
        "a token serves one purpose"
    );
    assert!(!t.is_valid_for(TokenPurpose::Activation, ts(48 * 3600)));
}

#[test]
fn an_unused_session_ends_after_the_idle_timeout_and_use_is_recorded_sparingly() {
    let policy = LoginPolicy {
        idle_timeout: SignedDuration::from_mins(15),
        ..LoginPolicy::default()
    };
    let a = account();
    let mut s = Session::new(&a, "csrf".into(), ts(0), &policy);
    assert!(s.is_live_for(&a, ts(15 * 60 - 1), &policy));
    assert!(
        !s.is_live_for(&a, ts(15 * 60), &policy),
        "idle for 15 minutes"
    );
    assert!(
        !s.needs_touch(ts(59), policy.idle_timeout),
        "at most once a minute"
    );
    assert!(s.needs_touch(ts(60), policy.idle_timeout));
    s.last_seen = Some(ts(14 * 60));
    assert!(s.is_live_for(&a, ts(28 * 60), &policy), "use extends it");
    s.last_seen = Some(ts(8 * 3600 - 60));
    assert!(
        !s.is_live_for(&a, ts(8 * 3600), &policy),
        "the absolute limit stays"
    );
    // A short timeout is recorded more often: a quarter of it.
    assert_eq!(
        Session::touch_interval(SignedDuration::from_secs(8)),
        SignedDuration::from_secs(2)
    );
}

#[test]
fn a_registration_expires_unactivated_after_the_activation_lifetime() {
    let policy = LoginPolicy::default();
    let mut a = account();
    a.status = AccountStatus::PendingActivation;
    a.created_at = ts(0);
    assert!(!a.registration_expired(ts(48 * 3600 - 1), &policy));
    assert!(a.registration_expired(ts(48 * 3600), &policy));
    a.status = AccountStatus::Active;
    assert!(
        !a.registration_expired(ts(100 * 3600), &policy),
        "active accounts stay"
    );
}

#[test]
fn roles_parse_and_print() {
    for role in Role::ALL {
        assert_eq!(role.code().parse::<Role>(), Ok(role));
        assert_eq!(
            serde_json::to_string(&role).unwrap(),
            format!("\"{}\"", role.code())
        );
    }
    assert!("root".parse::<Role>().is_err());
}

#[test]
fn a_password_change_voids_older_sessions() {
    let policy = LoginPolicy::default();
    let mut a = account();
    let old = Session::new(&a, "c".into(), ts(0), &policy);
    assert!(old.is_valid_for(&a, ts(10)));
    a.sessions_not_before = Some(ts(5));
    assert!(!old.is_valid_for(&a, ts(10)));
    let new = Session::new(&a, "c".into(), ts(6), &policy);
    assert!(new.is_valid_for(&a, ts(10)));
    let mut other = account();
    other.id = AccountId::from_uuid(Uuid::from_u128(2));
    assert!(!new.is_valid_for(&other, ts(10)));
}

fn totp_account(secret: &TotpSecret, at: Timestamp) -> Account {
    let mut a = account();
    a.start_totp(secret.clone(), at).unwrap();
    let step = crate::totp::step_of(at).unwrap();
    a.confirm_totp(&secret.code_at_step(step), at).unwrap();
    a
}

#[test]
fn totp_set_up_needs_a_first_code_in_time_and_then_replaces_the_sms() {
    let secret = TotpSecret::from_bytes([5; 20]);
    let mut a = account();
    assert_eq!(a.login_factor(true), Factor::Sms);
    assert_eq!(
        a.confirm_totp("123456", ts(0)),
        Err(TotpError::NoPendingEnrolment)
    );
    a.start_totp(secret.clone(), ts(0)).unwrap();
    assert!(!a.uses_totp(), "pending until confirmed");
    assert_eq!(a.login_factor(true), Factor::Sms);
    let step = crate::totp::step_of(ts(0)).unwrap();
    let wrong = if secret.code_at_step(step) == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert_eq!(a.confirm_totp(wrong, ts(1)), Err(TotpError::WrongCode));
    let late = ts(10 * 60);
    let code = secret.code_at_step(crate::totp::step_of(late).unwrap());
    assert_eq!(
        a.clone().confirm_totp(&code, late),
        Err(TotpError::NoPendingEnrolment)
    );
    a.confirm_totp(&secret.code_at_step(step), ts(1)).unwrap();
    assert!(a.uses_totp());
    assert_eq!(a.login_factor(true), Factor::Totp);
    assert_eq!(
        a.login_factor(false),
        Factor::Sms,
        "a site without TOTP sends SMS"
    );
    assert_eq!(
        a.start_totp(TotpSecret::from_bytes([6; 20]), ts(2)),
        Err(TotpError::AlreadyEnrolled)
    );
    assert_eq!(
        a.confirm_totp("123456", ts(2)),
        Err(TotpError::AlreadyEnrolled)
    );
}

#[test]
fn removing_totp_needs_a_current_unused_code() {
    let secret = TotpSecret::from_bytes([8; 20]);
    let mut a = totp_account(&secret, ts(0));
    let step = crate::totp::step_of(ts(0)).unwrap();
    assert_eq!(
        a.remove_totp(&secret.code_at_step(step), ts(0)),
        Err(TotpError::WrongCode),
        "the confirmation's code is used"
    );
    assert!(a.uses_totp());
    a.remove_totp(&secret.code_at_step(step + 1), ts(0))
        .unwrap();
    assert_eq!(a.totp, None);
    assert_eq!(a.remove_totp("123456", ts(0)), Err(TotpError::NotEnrolled));
}

#[test]
fn a_totp_challenge_takes_the_app_code_once_and_counts_wrong_ones() {
    let policy = LoginPolicy::default();
    let secret = TotpSecret::from_bytes([2; 20]);
    let mut a = totp_account(&secret, ts(0));
    let step = crate::totp::step_of(ts(30)).unwrap();
    let mut c = LoginChallenge::for_totp(a.id, ts(30), &policy);
    assert_eq!(c.factor, Factor::Totp);
    assert_eq!(
        c.verify("", &mut a, ts(30), &policy),
        Err(OtpError::Wrong { remaining: 2 }),
        "the empty SMS code of a TOTP challenge is never a match"
    );
    let code = secret.code_at_step(step);
    assert_eq!(c.verify(&code, &mut a, ts(30), &policy), Ok(()));
    assert_eq!(a.totp.as_ref().and_then(|t| t.last_step), Some(step));
    let mut again = LoginChallenge::for_totp(a.id, ts(31), &policy);
    assert_eq!(
        again.verify(&code, &mut a, ts(31), &policy),
        Err(OtpError::Wrong { remaining: 2 }),
        "a code works once, whatever the challenge"
    );
    let mut reset = a.clone();
    reset.totp = None;
    let mut void = LoginChallenge::for_totp(a.id, ts(31), &policy);
    assert_eq!(
        void.verify(&secret.code_at_step(step + 1), &mut reset, ts(31), &policy),
        Err(OtpError::Expired),
        "an app reset meanwhile voids the challenge"
    );
}

#[test]
fn an_sms_challenge_ignores_the_app() {
    let policy = LoginPolicy::default();
    let secret = TotpSecret::from_bytes([4; 20]);
    let mut a = totp_account(&secret, ts(0));
    let mut c = LoginChallenge::new(a.id, "123456".into(), ts(30), &policy);
    let app = secret.code_at_step(crate::totp::step_of(ts(30)).unwrap());
    if app != "123456" {
        assert!(c.verify(&app, &mut a, ts(30), &policy).is_err());
    }
    assert_eq!(c.verify("123456", &mut a, ts(30), &policy), Ok(()));
}
