//! The authenticator app's code under 30 parallel logins, on real sled: each step's code is
//! accepted once, whatever the number of challenges it is typed into at the same moment,
//! because the step used is recorded on the account inside the challenge's transaction.
#![allow(clippy::unwrap_used)]

use crate::ChallengeOutcome;
use crate::concurrency_tests::{PARALLEL, account, in_parallel};
use crate::test_support::{event, open, ts};
use teleconsult_core::account::{LoginChallenge, LoginPolicy, OtpError, Session};
use teleconsult_core::audit::Action;
use teleconsult_core::totp::{Factor, TotpSecret, step_of};

#[test]
fn one_code_typed_into_thirty_challenges_at_once_opens_one_session() {
    let (_dir, store) = open();
    let policy = LoginPolicy::default();
    let secret = TotpSecret::from_bytes([42; 20]);
    let now = ts(100);
    let mut a = account(77);
    a.start_totp(secret.clone(), now).unwrap();
    let first = step_of(now).unwrap();
    a.confirm_totp(&secret.code_at_step(first), now).unwrap();
    store
        .create_account(&a, &event(Action::Create, "account"))
        .unwrap();
    for i in 0..PARALLEL {
        let challenge = store
            .start_challenge(&format!("challenge {i}"), a.id, |stored| {
                let factor = stored.login_factor(true);
                assert_eq!(factor, Factor::Totp);
                Ok::<_, ()>((LoginChallenge::for_totp(stored.id, now, &policy), None))
            })
            .unwrap()
            .unwrap();
        assert_eq!(challenge.factor, Factor::Totp);
    }
    let code = secret.code_at_step(first + 1);
    let outcomes = in_parallel(&store, move |store, i| {
        store
            .use_challenge(
                &format!("challenge {i}"),
                &format!("token {i}"),
                |challenge, account| match challenge.verify(&code, account, now, &policy) {
                    Ok(()) => ChallengeOutcome::Open {
                        session: Session::new(account, "csrf".into(), now, &policy),
                        event: event(Action::Login, "account"),
                    },
                    Err(error) => {
                        account.record_failure(now, &policy);
                        ChallengeOutcome::Failed {
                            keep: matches!(error, OtpError::Wrong { .. }),
                            error,
                        }
                    }
                },
            )
            .unwrap()
            .unwrap()
    });
    let opened = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(opened, 1, "{outcomes:?}");
    let stored = store.account(a.id).unwrap().unwrap();
    assert_eq!(stored.totp.and_then(|t| t.last_step), Some(first + 1));
    assert_eq!(stored.failed_attempts, (PARALLEL - 1) as u32);
    // No SMS was queued for any of the thirty challenges.
    assert_eq!(store.notifications_pending().unwrap(), 0);
}
