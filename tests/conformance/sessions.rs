//! The sessions port (login challenges, sessions, single-use tokens) on both adapters: counts
//! decided on the records as stored, a code or a link used once, whatever the parallelism.

use std::sync::Arc;

use teleconsult_core::account::{
    Account, ConfirmationPurpose, LoginChallenge, LoginPolicy, OneTimeToken, Session, TokenPurpose,
};
use teleconsult_core::audit::Action;
use teleconsult_core::confirmation::{Attempt, Confirmation, PendingConfirmation};
use teleconsult_core::notification::Notification;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::sessions::{CodeOutcome, CodeUsed};

use crate::Under;
use crate::fixtures::{account, event, ts};

fn created(under: &Under, n: u128) -> Account {
    let a = account(n, teleconsult_core::account::Role::Staff);
    under
        .store
        .create_account_listed(&a, None, &event(Action::Create, "account", "x"))
        .unwrap();
    a
}

fn sms(n: u32) -> Notification {
    Notification::sms("+352621000000".into(), format!("code {n}"), ts(0))
}

/// The decision `App::finish_login` takes, reduced to the counts: the code "123456" is right.
fn decide(challenge: &mut LoginChallenge, account: &mut Account) -> CodeOutcome {
    let policy = LoginPolicy::default();
    if account.may_attempt_login(ts(0)).is_err() {
        return CodeOutcome::Refused;
    }
    match challenge.verify("000000", account, ts(0), &policy) {
        Ok(()) => unreachable!("the code is 123456"),
        Err(e) => {
            account.record_failure(ts(0), &policy);
            CodeOutcome::Failed {
                keep: matches!(e, teleconsult_core::account::OtpError::Wrong { .. }),
            }
        }
    }
}

pub fn thirty_wrong_codes_count_three_on_the_challenge_then_it_is_void(under: &Under) {
    let store = &under.store;
    let owner = created(under, 1);
    let policy = LoginPolicy::default();
    let issued = store
        .start_challenge("challenge-1", owner.id, &|stored| {
            let challenge = LoginChallenge::new(stored.id, "123456".into(), ts(0), &policy);
            Some((challenge, Some(sms(1))))
        })
        .unwrap()
        .unwrap();
    assert_eq!(issued.account, owner.id);
    let used: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|n| {
                let store = Arc::clone(&under.store);
                scope.spawn(move || {
                    store
                        .use_challenge("challenge-1", &format!("token-{n}"), &decide)
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failed = used
        .iter()
        .filter(|u| matches!(u, Some(CodeUsed::Failed)))
        .count();
    let void = used.iter().filter(|u| u.is_none()).count();
    // otp_attempts = 3: the third wrong code voids the challenge; the others find none.
    assert_eq!((failed, void), (3, 27), "{used:?}");
    let stored = store.find_account(owner.id).unwrap().unwrap();
    assert_eq!(stored.failed_attempts, 3);
    assert!(
        store
            .use_challenge("challenge-1", "late", &|_, _| unreachable!("void"))
            .unwrap()
            .is_none()
    );
}

pub fn thirty_right_codes_open_one_session_found_by_its_token(under: &Under) {
    let store = &under.store;
    let owner = created(under, 2);
    let policy = LoginPolicy::default();
    let before = store.audit_records();
    store
        .start_challenge("challenge-2", owner.id, &|stored| {
            let challenge = LoginChallenge::new(stored.id, "123456".into(), ts(0), &policy);
            Some((challenge, None))
        })
        .unwrap()
        .unwrap();
    let used: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|n| {
                let (store, policy) = (Arc::clone(&under.store), policy);
                scope.spawn(move || {
                    let open = |challenge: &mut LoginChallenge, account: &mut Account| {
                        challenge.verify("123456", account, ts(1), &policy).unwrap();
                        account.record_success();
                        CodeOutcome::Open {
                            session: Session::new(account, format!("csrf-{n}"), ts(1), &policy),
                            audit: event(Action::Login, "account", account.id.to_string()),
                        }
                    };
                    let token = format!("session-{n}");
                    (
                        token.clone(),
                        store.use_challenge("challenge-2", &token, &open).unwrap(),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let opened: Vec<_> = used
        .iter()
        .filter_map(|(token, u)| match u {
            Some(CodeUsed::Opened(session)) => Some((token, session)),
            _ => None,
        })
        .collect();
    assert_eq!(opened.len(), 1, "{used:?}");
    assert_eq!(store.audit_records(), before + 1, "one login recorded");
    let (token, session) = opened[0];
    let (found, account) = store.session_and_account(token).unwrap().unwrap();
    assert_eq!((&found, account.id), (session, owner.id));
    // The others' tokens open nothing.
    for (other, _) in used.iter().filter(|(t, _)| t != token) {
        assert!(store.session_and_account(other).unwrap().is_none());
    }
    // Thirty uses recorded at once: one wins the compare-and-swap.
    let touched: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|_| {
                let (store, token, seen) =
                    (Arc::clone(&under.store), token.clone(), session.last_seen);
                scope.spawn(move || store.record_session_use(&token, seen, ts(60)).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(touched.iter().filter(|t| **t).count(), 1);
    let (found, _) = store.session_and_account(token).unwrap().unwrap();
    assert_eq!(found.last_seen, Some(ts(60)));
    // Logout: gone for good, recorded.
    store
        .close_session(token, &event(Action::Logout, "account", "x"))
        .unwrap();
    assert!(store.session_and_account(token).unwrap().is_none());
    assert_eq!(store.audit_records(), before + 2);
    assert_eq!(store.verify_audit(), store.audit_records());
}

pub fn a_challenge_refused_or_for_a_missing_account_writes_nothing(under: &Under) {
    let store = &under.store;
    let owner = created(under, 3);
    let before = store.audit_records();
    assert_eq!(
        store
            .start_challenge("refused", owner.id, &|_| None)
            .unwrap(),
        None
    );
    assert!(
        store
            .use_challenge("refused", "t", &|_, _| unreachable!("never stored"))
            .unwrap()
            .is_none()
    );
    let missing = account(99, teleconsult_core::account::Role::Staff).id;
    assert_eq!(
        store.start_challenge("gone", missing, &|_| unreachable!("no account")),
        Err(RepositoryError::NotFound("account"))
    );
    assert_eq!(store.audit_records(), before);
}

pub fn thirty_redemptions_of_one_token_redeem_it_once(under: &Under) {
    let store = &under.store;
    let owner = created(under, 4);
    let policy = LoginPolicy::default();
    let record = OneTimeToken::new(TokenPurpose::PasswordReset, owner.id, ts(0), &policy);
    let email = Notification::email("a@example.lu".into(), "s".into(), "b".into(), ts(0));
    store
        .issue_token(
            "link-4",
            &record,
            &email,
            &event(Action::Update, "password_reset", "x"),
        )
        .unwrap();
    assert_eq!(
        store
            .peek_token_account("link-4", TokenPurpose::PasswordReset, ts(1))
            .unwrap()
            .map(|a| a.id),
        Some(owner.id)
    );
    // Another purpose neither finds nor uses it up.
    assert!(
        store
            .peek_token_account("link-4", TokenPurpose::Activation, ts(1))
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .redeem_token("link-4", TokenPurpose::Activation, ts(1), &|_| {}, &|_| {
                unreachable!("not redeemed")
            })
            .unwrap()
            .is_none()
    );
    let before = store.audit_records();
    let redeemed: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30u32)
            .map(|n| {
                let store = Arc::clone(&under.store);
                scope.spawn(move || {
                    store
                        .redeem_token(
                            "link-4",
                            TokenPurpose::PasswordReset,
                            ts(2),
                            &|a| a.password_hash = format!("hash-{n}"),
                            &|a| event(Action::Update, "account", a.id.to_string()),
                        )
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let done: Vec<_> = redeemed.iter().flatten().collect();
    assert_eq!(done.len(), 1);
    let stored = store.find_account(owner.id).unwrap().unwrap();
    assert_eq!(stored.password_hash, done[0].password_hash);
    assert_eq!(store.audit_records(), before + 1);
    // An expired token is refused and removed.
    store
        .issue_token(
            "link-old",
            &OneTimeToken::new(TokenPurpose::Activation, owner.id, ts(0), &policy),
            &email,
            &event(Action::Update, "activation", "x"),
        )
        .unwrap();
    let late = ts(policy.activation_ttl.as_secs() + 1);
    assert!(
        store
            .redeem_token("link-old", TokenPurpose::Activation, late, &|_| {}, &|_| {
                unreachable!("expired")
            })
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .peek_token_account("link-old", TokenPurpose::Activation, ts(1))
            .unwrap()
            .is_none(),
        "removed"
    );
}

/// Registration `n` of patient `patient` (an e-mail, a national id), pending activation.
fn registration(
    n: u128,
    patient: &teleconsult_core::patient::Patient,
    at: i64,
) -> (Account, OneTimeToken) {
    let mut a = account(1000 + n, teleconsult_core::account::Role::Patient);
    a.login = patient.email.clone();
    a.email = patient.email.clone();
    a.status = teleconsult_core::account::AccountStatus::PendingActivation;
    a.patient = Some(patient.id);
    a.created_at = ts(at);
    let token = OneTimeToken::new(
        TokenPurpose::Activation,
        a.id,
        ts(at),
        &LoginPolicy::default(),
    );
    (a, token)
}

fn register(
    under: &Under,
    n: u128,
    patient: &teleconsult_core::patient::Patient,
    at: i64,
) -> teleconsult_core::ports::registration::Registered {
    use teleconsult_core::ports::registration::{NewRegistration, RegistrationRefusal};
    let (account, token) = registration(n, patient, at);
    let mail =
        |what: &str| Notification::email(patient.email.clone(), what.into(), "b".into(), ts(at));
    let owner = |owner: &teleconsult_core::patient::Patient| {
        Notification::email(owner.email.clone(), "tried".into(), "b".into(), ts(at))
    };
    under
        .store
        .register_or_notify(
            &NewRegistration {
                account: &account,
                patient,
                activation_token: &format!("activation-{n}"),
                activation: &token,
                activation_email: &mail("activate"),
                created: &event(Action::Create, "patient", patient.id.to_string()),
            },
            &RegistrationRefusal {
                email_taken: &mail("taken"),
                not_completed: &mail("incomplete"),
                national_id_owner: &owner,
                refused: &event(Action::Create, "registration_refused", "x"),
            },
            ts(at),
            &LoginPolicy::default(),
        )
        .unwrap()
}

pub fn thirty_registrations_of_one_e_mail_or_one_national_id_create_one(under: &Under) {
    use teleconsult_core::ports::registration::Registered;
    let store = &under.store;
    let before = store.audit_records();
    // Thirty people, one e-mail address (and thirty national ids).
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30u128)
            .map(|n| {
                scope.spawn(move || {
                    let mut p = crate::fixtures::patient(100 + n);
                    p.email = "Shared@Example.org".into();
                    register(under, n, &p, 0)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = outcomes
        .iter()
        .filter(|o| **o == Registered::Created)
        .count();
    let taken = outcomes
        .iter()
        .filter(|o| **o == Registered::EmailTaken)
        .count();
    assert_eq!((created, taken), (1, 29), "{outcomes:?}");
    // Thirty e-mail addresses, one national id.
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30u128)
            .map(|n| {
                scope.spawn(move || {
                    let mut p = crate::fixtures::patient(200 + n);
                    p.national_id = crate::fixtures::patient(200).national_id;
                    register(under, 100 + n, &p, 0)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = outcomes
        .iter()
        .filter(|o| **o == Registered::Created)
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| **o == Registered::NationalIdTaken)
        .count();
    assert_eq!((created, refused), (1, 29), "{outcomes:?}");
    // Every one of the sixty recorded, the chain whole.
    assert_eq!(store.audit_records(), before + 60);
    assert_eq!(store.verify_audit(), store.audit_records());
    // The registration created can be activated once.
    let winner = (0..30u128)
        .find(|n| {
            store
                .peek_token_account(&format!("activation-{n}"), TokenPurpose::Activation, ts(1))
                .unwrap()
                .is_some()
        })
        .unwrap();
    let activated = store
        .redeem_token(
            &format!("activation-{winner}"),
            TokenPurpose::Activation,
            ts(1),
            &|a| a.status = teleconsult_core::account::AccountStatus::Active,
            &|a| event(Action::Update, "account", a.id.to_string()),
        )
        .unwrap()
        .unwrap();
    assert_eq!(activated.login, "Shared@Example.org");
}

pub fn an_expired_registration_frees_its_e_mail_and_national_id(under: &Under) {
    use teleconsult_core::ports::registration::Registered;
    let first = crate::fixtures::patient(300);
    assert_eq!(register(under, 300, &first, 0), Registered::Created);
    let ttl = LoginPolicy::default().activation_ttl.as_secs();
    // Within the link's lifetime, both are held.
    let mut again = crate::fixtures::patient(301);
    again.email = first.email.clone();
    again.national_id = first.national_id.clone();
    assert_eq!(
        register(under, 301, &again, ttl - 1),
        Registered::EmailTaken
    );
    // Once it expired, a new registration with the same e-mail and national id is created.
    let mut later = crate::fixtures::patient(302);
    later.email = first.email.clone();
    later.national_id = first.national_id.clone();
    assert_eq!(register(under, 302, &later, ttl + 1), Registered::Created);
    let store = &under.store;
    let holder = store.find_account_by_login(&first.email).unwrap().unwrap();
    assert_eq!(holder.patient, Some(later.id));
    assert!(
        store
            .peek_token_account("activation-300", TokenPurpose::Activation, ts(1))
            .unwrap()
            .is_none(),
        "the expired registration's link went with it"
    );
}

/// Checks confirmations typed in session `session` of `owner` with core's rules.
fn confirm(
    under: &Under,
    owner: &Account,
    session: &str,
    purpose: ConfirmationPurpose,
    typed: &str,
    password_ok: bool,
) -> Confirmation {
    let policy = LoginPolicy::default();
    under
        .store
        .check_confirmation(owner.id, session, &|record, holder, key| {
            let attempt = Attempt {
                session: key,
                purpose,
                code: typed,
                password_ok,
            };
            PendingConfirmation::check(record, holder, attempt, ts(1), &policy)
        })
        .unwrap()
}

/// Sends a confirmation code "424242" at `at` in session `session` of `owner`.
fn send_code(under: &Under, owner: &Account, session: &str, at: i64) -> Result<(), u64> {
    let policy = LoginPolicy::default();
    let challenge = LoginChallenge::new(owner.id, "424242".into(), ts(at), &policy);
    under
        .store
        .start_confirmation(owner.id, session, &|previous, key| {
            let record = PendingConfirmation::issue(
                previous,
                ConfirmationPurpose::ContactChange,
                key.to_owned(),
                challenge.clone(),
                &policy,
            )?;
            Ok((record, sms(at as u32)))
        })
        .unwrap()
}

pub fn confirmation_codes_are_bound_counted_and_used_once(under: &Under) {
    let owner = created(under, 5);
    let contact = ConfirmationPurpose::ContactChange;
    send_code(under, &owner, "session-5", 0).unwrap();
    let check = |session, purpose, typed, ok| confirm(under, &owner, session, purpose, typed, ok);
    // Another session, or another purpose: no code.
    assert_eq!(
        check("other", contact, "424242", true),
        Confirmation::NoCode
    );
    assert_eq!(
        check("session-5", ConfirmationPurpose::Erasure, "424242", true),
        Confirmation::NoCode
    );
    // A wrong password with the right code is a wrong attempt.
    assert_eq!(
        check("session-5", contact, "424242", false),
        Confirmation::Wrong { remaining: 2 }
    );
    assert_eq!(
        check("session-5", contact, "424242", true),
        Confirmation::Confirmed
    );
    assert_eq!(
        check("session-5", contact, "424242", true),
        Confirmation::NoCode,
        "used once"
    );
    // Three wrong tries void a code; each counts against the account.
    send_code(under, &owner, "session-5", 2).unwrap();
    assert_eq!(
        check("session-5", contact, "000000", true),
        Confirmation::Wrong { remaining: 2 }
    );
    assert_eq!(
        check("session-5", contact, "000000", true),
        Confirmation::Wrong { remaining: 1 }
    );
    assert_eq!(
        check("session-5", contact, "000000", true),
        Confirmation::Void
    );
    assert_eq!(
        check("session-5", contact, "424242", true),
        Confirmation::NoCode
    );
    let counted = under.store.find_account(owner.id).unwrap().unwrap();
    assert_eq!(counted.failed_attempts, 4);
    // Five codes per window, then the wait until it ends.
    for at in 3..6 {
        send_code(under, &owner, "session-5", at).unwrap();
    }
    assert_eq!(send_code(under, &owner, "session-5", 6), Err(15 * 60 - 6));
    send_code(under, &owner, "session-5", 15 * 60).unwrap();
}

pub fn thirty_code_requests_send_five_and_thirty_wrong_codes_count_three(under: &Under) {
    let owner = created(under, 6);
    let sent: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|_| {
                let owner = &owner;
                scope.spawn(move || send_code(under, owner, "session-6", 0))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sent.iter().filter(|s| s.is_ok()).count(), 5, "{sent:?}");
    let answers: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|_| {
                let owner = &owner;
                scope.spawn(move || {
                    confirm(
                        under,
                        owner,
                        "session-6",
                        ConfirmationPurpose::ContactChange,
                        "000000",
                        true,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let counted = answers
        .iter()
        .filter(|a| matches!(a, Confirmation::Wrong { .. } | Confirmation::Void))
        .count();
    assert_eq!(counted, 3, "{answers:?}");
    let stored = under.store.find_account(owner.id).unwrap().unwrap();
    assert_eq!(stored.failed_attempts, 3);
}
