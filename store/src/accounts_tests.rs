//! Accounts, sessions, tokens and the notification queue on real sled.
#![allow(clippy::unwrap_used)]

use crate::test_support::{event, open, patient, reopen_key, ts};
use crate::{ChallengeOutcome, StoreError};
use teleconsult_core::account::{
    Account, AccountStatus, LoginChallenge, LoginPolicy, OneTimeToken, Role, Session, TokenPurpose,
};
use teleconsult_core::audit::Action;
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Channel;
use teleconsult_core::notification::Notification;
use teleconsult_core::site::Language;
use uuid::Uuid;

const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

fn account(n: u128) -> Account {
    let p = patient(n);
    Account {
        id: AccountId::from_uuid(Uuid::from_u128(0x9000 + n)),
        login: p.email.to_lowercase(),
        role: Role::Patient,
        name: format!("{} {}", p.first_name, p.last_name),
        email: p.email.clone(),
        phone: p.phone.clone(),
        language: Language::Fr,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        status: AccountStatus::PendingActivation,
        patient: Some(p.id),
        practitioner: None,
        failed_attempts: 0,
        locked_until: None,
        created_at: ts(0),
        sessions_not_before: None,
        relatives: Vec::new(),
        totp: None,
    }
}

fn mail(n: u128) -> Notification {
    Notification::email(
        format!("patient{n}@example.org"),
        "Activate".into(),
        format!("token=secret{n}"),
        ts(0),
    )
}

fn register(store: &crate::Store, n: u128) -> Result<(), StoreError> {
    let a = account(n);
    let token = OneTimeToken::new(
        TokenPurpose::Activation,
        a.id,
        ts(0),
        &LoginPolicy::default(),
    );
    let (token_value, email) = (format!("activation{n}"), mail(n));
    let activation = crate::Activation {
        token: &token_value,
        record: &token,
        email: &email,
    };
    store.register_patient(
        &a,
        &patient(n),
        Some(activation),
        &event(Action::Create, "p"),
    )
}

#[test]
fn registration_is_all_or_nothing_and_unique() {
    let (_dir, store) = open();
    register(&store, 1).unwrap();
    let audit = store.audit_len().unwrap();
    let queued = store.notifications_pending().unwrap();
    assert_eq!(queued, 1);
    // Same patient again: refused, nothing written (no second account, mail or audit record).
    let err = register(&store, 1).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err}");
    assert_eq!(store.audit_len().unwrap(), audit);
    assert_eq!(store.notifications_pending().unwrap(), queued);
    assert_eq!(store.accounts().unwrap().len(), 1);
    assert_eq!(
        store
            .account_by_login("PATIENT1@example.org")
            .unwrap()
            .map(|a| a.id),
        Some(account(1).id)
    );
}

#[test]
fn activation_tokens_are_single_use_purpose_bound_and_expire() {
    let (_dir, store) = open();
    register(&store, 2).unwrap();
    let activate = |token: &str, purpose, at| {
        store.redeem_token(
            token,
            purpose,
            at,
            |a| a.status = AccountStatus::Active,
            |a| event(Action::Update, a.id.to_string()),
        )
    };
    assert_eq!(
        activate("activation2", TokenPurpose::PasswordReset, ts(1)).unwrap(),
        None,
        "wrong purpose"
    );
    assert_eq!(
        activate("nope", TokenPurpose::Activation, ts(1)).unwrap(),
        None
    );
    let account = activate("activation2", TokenPurpose::Activation, ts(1))
        .unwrap()
        .unwrap();
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(
        store.account(account.id).unwrap().unwrap().status,
        AccountStatus::Active
    );
    assert_eq!(
        activate("activation2", TokenPurpose::Activation, ts(2)).unwrap(),
        None,
        "used"
    );

    register(&store, 3).unwrap();
    let expired = activate("activation3", TokenPurpose::Activation, ts(73 * 3600)).unwrap();
    assert_eq!(expired, None);
    assert_eq!(
        store.account(account_id(3)).unwrap().unwrap().status,
        AccountStatus::PendingActivation
    );
}

fn account_id(n: u128) -> AccountId {
    account(n).id
}

#[test]
fn challenges_and_sessions_are_kept_by_hash_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = crate::Store::open(dir.path(), reopen_key()).unwrap();
        register(&store, 4).unwrap();
        let a = account(4);
        start(&store, &a, "challenge-id");
        let session = open_session(&store, "challenge-id", "session-token");
        assert_eq!(session.unwrap().unwrap().account, a.id);
        let again = open_session(&store, "challenge-id", "other");
        assert!(again.is_none(), "the challenge is consumed");
    }
    // Neither the token nor the challenge id is on disk.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(13).any(|w| w == b"session-token"),
                "{}",
                path.display()
            );
        }
    }
    let store = crate::Store::open(dir.path(), reopen_key()).unwrap();
    assert_eq!(
        store
            .session_and_account("session-token")
            .unwrap()
            .map(|(s, _)| s.account),
        Some(account_id(4))
    );
    assert_eq!(store.challenge("challenge-id").unwrap(), None);
    store
        .close_session("session-token", &event(Action::Logout, "a"))
        .unwrap();
    assert_eq!(store.session_and_account("session-token").unwrap(), None);
}

#[test]
fn notification_queue_orders_retries_and_forgets_delivered() {
    let (_dir, store) = open();
    let first = store.enqueue_notification(&mail(1)).unwrap();
    let second = store.enqueue_notification(&mail(2)).unwrap();
    assert!(second > first);
    let due = store.due_notifications(ts(0), 10, &ALL).unwrap();
    assert_eq!(
        due.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [first, second]
    );
    let mut retry = due[0].1.clone();
    assert!(retry.schedule_retry(ts(0), "down".into()));
    store.notification_failed(first, &retry, false).unwrap();
    store.notification_delivered(second).unwrap();
    assert!(
        store.due_notifications(ts(5), 10, &ALL).unwrap().is_empty(),
        "first waits for its retry"
    );
    assert_eq!(
        store.due_notifications(ts(10), 10, &ALL).unwrap()[0]
            .1
            .attempts,
        1
    );
    assert!(
        store
            .due_notifications(ts(10), 10, &[Channel::Sms])
            .unwrap()
            .is_empty(),
        "filtered by channel"
    );
    store.notification_failed(first, &retry, true).unwrap();
    assert_eq!(store.notifications_pending().unwrap(), 0);
}

/// Demo mode: delivered messages leave the queue for the demo outbox (the latest 200 kept),
/// durably, through the store's writer.
#[test]
fn demo_delivery_moves_messages_to_the_demo_outbox_and_keeps_the_latest() {
    let (dir, store) = open();
    let queued: Vec<(u64, Notification)> = (0..203)
        .map(|n| {
            let message = mail(n);
            (store.enqueue_notification(&message).unwrap(), message)
        })
        .collect();
    store.demo_deliver(queued[..2].to_vec()).unwrap();
    assert_eq!(store.notifications_pending().unwrap(), 201);
    assert_eq!(
        store.demo_outbox(10).unwrap(),
        [mail(1), mail(0)],
        "newest first"
    );

    store.demo_deliver(queued[2..].to_vec()).unwrap();
    assert_eq!(store.notifications_pending().unwrap(), 0);
    drop(store);
    let store = crate::Store::open(dir.path(), reopen_key()).unwrap();
    let outbox = store.demo_outbox(1000).unwrap();
    assert_eq!(outbox.len(), 200, "only the latest are kept");
    assert_eq!((&outbox[0], &outbox[199]), (&mail(202), &mail(3)));
    assert_eq!(store.due_notifications(ts(0), 10, &ALL).unwrap(), []);
}

#[test]
fn erasure_frees_the_unique_values_and_keeps_the_audit_trail() {
    let (_dir, store) = open();
    register(&store, 5).unwrap();
    let audit = store.audit_len().unwrap();
    store
        .erase_account(account_id(5), &[], &event(Action::Delete, "a"))
        .unwrap();
    assert_eq!(store.audit_len().unwrap(), audit + 1);
    assert_eq!(
        store.account_by_login("patient5@example.org").unwrap(),
        None
    );
    assert_eq!(
        store.patient_id_by_email("patient5@example.org").unwrap(),
        None
    );
    register(&store, 5).unwrap();
    assert!(store.verify_audit_chain().is_ok());
}

/// Stores a login challenge (code `123456`) for `a`.
fn start(store: &crate::Store, a: &Account, challenge_id: &str) {
    let policy = LoginPolicy::default();
    store
        .start_challenge(challenge_id, a.id, |stored| {
            let challenge = LoginChallenge::new(stored.id, "123456".into(), ts(0), &policy);
            let sms = Notification::sms(stored.phone.clone(), "code 123456".into(), ts(0));
            Ok::<_, ()>((challenge, Some(sms)))
        })
        .unwrap()
        .unwrap();
}

/// Types the right code for `challenge_id`: the session opened under `token`.
fn open_session(
    store: &crate::Store,
    challenge_id: &str,
    token: &str,
) -> Option<Result<Session, ()>> {
    let policy = LoginPolicy::default();
    store
        .use_challenge(challenge_id, token, |_, account| {
            account.record_success();
            ChallengeOutcome::Open {
                session: Session::new(account, "csrf".into(), ts(1), &policy),
                event: event(Action::Login, "a"),
            }
        })
        .unwrap()
}

/// Logs account `n` in with session token `token` (registration, challenge, session).
fn logged_in(store: &crate::Store, n: u128, token: &str) -> Account {
    register(store, n).unwrap();
    let a = store.account(account_id(n)).unwrap().unwrap();
    let challenge_id = format!("challenge {token}");
    start(store, &a, &challenge_id);
    open_session(store, &challenge_id, token).unwrap().unwrap();
    a
}

#[test]
fn authentication_is_served_from_memory_until_the_session_or_account_changes() {
    let (_dir, store) = crate::test_support::open();
    let a = logged_in(&store, 5, "token-5");
    logged_in(&store, 6, "token-6");
    assert!(store.cached_session_and_account("token-5").is_none());
    let (session, account) = store.session_and_account("token-5").unwrap().unwrap();
    assert_eq!((session.account, &account), (a.id, &a));
    assert_eq!(
        store.cached_session_and_account("token-5"),
        Some((session, account)),
        "kept after the first read"
    );
    assert_eq!(store.session_and_account("no-such-token").unwrap(), None);
    assert_eq!(store.cached_session_and_account("no-such-token"), None);

    // A changed account is seen at once: the cached entry is not served any more.
    store
        .change_account(
            a.id,
            |stored| {
                stored.status = AccountStatus::Disabled;
                Ok::<_, ()>(())
            },
            Some(&event(Action::Update, "a")),
        )
        .unwrap()
        .unwrap();
    assert_eq!(store.cached_session_and_account("token-5"), None);
    let (_, account) = store.session_and_account("token-5").unwrap().unwrap();
    assert_eq!(account.status, AccountStatus::Disabled);

    // So is a closed session, and another's logout leaves none of the stale entries.
    store.session_and_account("token-6").unwrap().unwrap();
    store
        .close_session("token-6", &event(Action::Logout, "b"))
        .unwrap();
    assert_eq!(store.cached_session_and_account("token-6"), None);
    assert_eq!(store.cached_session_and_account("token-5"), None);
    assert_eq!(store.session_and_account("token-6").unwrap(), None);
    assert!(store.session_and_account("token-5").unwrap().is_some());
}

#[test]
fn a_session_read_that_a_write_overtook_is_not_kept_and_the_cache_stays_bounded() {
    use crate::kept::{CAPACITY, Kept};
    let cache = Kept::default();
    let a = account(7);
    let session = Session::new(&a, "csrf".into(), ts(1), &LoginPolicy::default());
    // Generation noted, then a write to the trees ends before the read is filed.
    let before = cache.generation();
    cache.invalidate();
    cache.fill([1; 32], before, &(session.clone(), a.clone()));
    assert!(cache.get(&[1; 32]).is_none());
    // Filed under the current generation it is kept, until the next write.
    cache.fill([1; 32], cache.generation(), &(session.clone(), a.clone()));
    assert_eq!(cache.get(&[1; 32]), Some((session.clone(), a.clone())));
    cache.invalidate();
    assert!(cache.get(&[1; 32]).is_none());

    for n in 0..CAPACITY as u32 * 2 {
        let mut key = [0; 32];
        key[..4].copy_from_slice(&n.to_be_bytes());
        cache.fill(key, cache.generation(), &(session.clone(), a.clone()));
    }
    assert!(cache.lock().len() <= CAPACITY);
}
