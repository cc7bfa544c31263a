//! The sessions port (`SessionStore`) on PostgreSQL: login challenges, sessions and single-use
//! tokens, each a sealed row keyed by a blind index of its secret (as sled keys them). A code
//! or a token is decided on its row and its account, both locked, so attempts in parallel
//! queue one behind the other: each sees the counts the others wrote, and a token is redeemed
//! once. Locks are taken in one order — the challenge or token, then the account — as every
//! other change of an account takes the account alone.

use std::sync::Arc;

use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, LoginChallenge, OneTimeToken, Session, TokenPurpose};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::confirmation::{Checked, Confirmation, PendingConfirmation};
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Notification;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::sessions::{
    CodeOutcome, CodeUsed, DecideCode, DecideConfirmation, IssueChallenge, IssueConfirmation,
    RedeemAudit, RedeemChange, SessionStore,
};
use teleconsult_seal::Crypto;

use crate::accounts::{open_account, replace};
use crate::error::PgError;
use crate::repo::enqueue;
use crate::sql::Cached;
use crate::{PgStore, audit, sealed};

/// The row key of `secret` of `kind` (`challenge`, `session`, `token`): the sled adapter's.
fn key(crypto: &Crypto, kind: &str, secret: &str) -> Vec<u8> {
    crypto.blind_index(kind, secret).to_vec()
}

/// Account `id`, locked for the transaction (`FOR UPDATE`, or `FOR SHARE` when only read).
async fn account_locked(
    tx: &deadpool_postgres::Transaction<'_>,
    crypto: &Crypto,
    id: AccountId,
    share: bool,
) -> Result<Option<Account>, PgError> {
    let query = if share {
        "SELECT id, sealed FROM accounts WHERE id = $1 FOR SHARE"
    } else {
        "SELECT id, sealed FROM accounts WHERE id = $1 FOR UPDATE"
    };
    let row = tx.opt(query, &[&id.0]).await?;
    row.map(|row| open_account(crypto, &row)).transpose()
}

/// The sealed record of `table` at `key`, if any (locked when `lock`).
async fn record<T: serde::de::DeserializeOwned>(
    client: &impl Cached,
    crypto: &Crypto,
    table: &'static str,
    key: &[u8],
    lock: bool,
) -> Result<Option<T>, PgError> {
    let query = match (table, lock) {
        ("challenges", true) => "SELECT sealed FROM challenges WHERE key = $1 FOR UPDATE",
        ("challenges", false) => "SELECT sealed FROM challenges WHERE key = $1",
        ("sessions", true) => "SELECT sealed FROM sessions WHERE key = $1 FOR UPDATE",
        ("sessions", false) => "SELECT sealed FROM sessions WHERE key = $1",
        ("tokens", true) => "SELECT sealed FROM tokens WHERE key = $1 FOR UPDATE",
        _ => "SELECT sealed FROM tokens WHERE key = $1",
    };
    let Some(row) = client.opt(query, &[&key]).await? else {
        return Ok(None);
    };
    let bytes: Vec<u8> = row.try_get(0)?;
    sealed::open(crypto, table, key, &bytes).map(Some)
}

/// Account `account`'s confirmation record, if any (its account row locked by the caller).
async fn confirmation(
    tx: &deadpool_postgres::Transaction<'_>,
    crypto: &Crypto,
    account: AccountId,
) -> Result<Option<PendingConfirmation>, PgError> {
    let Some(row) = tx
        .opt(
            "SELECT sealed FROM confirmations WHERE account = $1",
            &[&account.0],
        )
        .await?
    else {
        return Ok(None);
    };
    let bytes: Vec<u8> = row.try_get(0)?;
    sealed::open(crypto, "confirmations", account.as_bytes(), &bytes).map(Some)
}

async fn write_confirmation(
    tx: &deadpool_postgres::Transaction<'_>,
    crypto: &Crypto,
    account: AccountId,
    record: &PendingConfirmation,
) -> Result<(), PgError> {
    let sealed = sealed::seal(crypto, "confirmations", account.as_bytes(), record)?;
    tx.exec(
        "INSERT INTO confirmations (account, sealed) VALUES ($1, $2) \
         ON CONFLICT (account) DO UPDATE SET sealed = EXCLUDED.sealed",
        &[&account.0, &sealed],
    )
    .await?;
    Ok(())
}

impl SessionStore for PgStore {
    fn start_challenge(
        &self,
        challenge_id: &str,
        account: AccountId,
        issue: &IssueChallenge<'_>,
    ) -> Result<Option<LoginChallenge>, RepositoryError> {
        let key = key(&self.inner.crypto, "challenge", challenge_id);
        let inner = Arc::clone(&self.inner);
        Ok(self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    let stored = account_locked(&tx, &inner.crypto, account, true)
                        .await?
                        .ok_or(RepositoryError::NotFound("account"))?;
                    let issued: Option<(LoginChallenge, Option<Notification>)> =
                        handover.exchange(stored).await?;
                    let Some((challenge, sms)) = issued else {
                        return Ok(None);
                    };
                    let sealed = sealed::seal(&inner.crypto, "challenges", &key, &challenge)?;
                    tx.exec(
                        "INSERT INTO challenges (key, account, sealed) VALUES ($1, $2, $3)",
                        &[&key, &account.0, &sealed],
                    )
                    .await?;
                    if let Some(sms) = sms {
                        let at = sms.created_at;
                        enqueue(&tx, &inner.crypto, &[sms], &[], at).await?;
                    }
                    tx.commit().await?;
                    Ok(Some(challenge))
                })
            },
            |account: Account| issue(&account),
        )?)
    }

    fn use_challenge(
        &self,
        challenge_id: &str,
        token: &str,
        decide: &DecideCode<'_>,
    ) -> Result<Option<CodeUsed>, RepositoryError> {
        let crypto = &self.inner.crypto;
        let (challenge_key, session_key) = (
            key(crypto, "challenge", challenge_id),
            key(crypto, "session", token),
        );
        let inner = Arc::clone(&self.inner);
        Ok(self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let crypto = &inner.crypto;
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    let Some(challenge) =
                        record::<LoginChallenge>(&tx, crypto, "challenges", &challenge_key, true)
                            .await?
                    else {
                        return Ok(None);
                    };
                    let Some(account) =
                        account_locked(&tx, crypto, challenge.account, false).await?
                    else {
                        return Ok(None);
                    };
                    let (outcome, challenge, account): (CodeOutcome, LoginChallenge, Account) =
                        handover.exchange((challenge, account)).await?;
                    let used = match outcome {
                        CodeOutcome::Refused => return Ok(Some(CodeUsed::Refused)),
                        CodeOutcome::Failed { keep: true } => {
                            let sealed =
                                sealed::seal(crypto, "challenges", &challenge_key, &challenge)?;
                            tx.exec(
                                "UPDATE challenges SET sealed = $2 WHERE key = $1",
                                &[&challenge_key, &sealed],
                            )
                            .await?;
                            CodeUsed::Failed
                        }
                        CodeOutcome::Failed { keep: false } => {
                            tx.exec("DELETE FROM challenges WHERE key = $1", &[&challenge_key])
                                .await?;
                            CodeUsed::Failed
                        }
                        CodeOutcome::Open { session, audit } => {
                            tx.exec("DELETE FROM challenges WHERE key = $1", &[&challenge_key])
                                .await?;
                            let sealed = sealed::seal(crypto, "sessions", &session_key, &session)?;
                            tx.exec(
                                "INSERT INTO sessions (key, account, sealed) VALUES ($1, $2, $3)",
                                &[&session_key, &account.id.0, &sealed],
                            )
                            .await?;
                            audit::append(&tx, &[&audit]).await?;
                            CodeUsed::Opened(session)
                        }
                    };
                    replace(&tx, crypto, &account).await?;
                    tx.commit().await?;
                    Ok(Some(used))
                })
            },
            |(mut challenge, mut account): (LoginChallenge, Account)| {
                let outcome = decide(&mut challenge, &mut account);
                (outcome, challenge, account)
            },
        )?)
    }

    fn session_and_account(
        &self,
        token: &str,
    ) -> Result<Option<(Session, Account)>, RepositoryError> {
        let session_key = key(&self.inner.crypto, "session", token);
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let Some(session) =
                record::<Session>(&object, &inner.crypto, "sessions", &session_key, false).await?
            else {
                return Ok(None);
            };
            let row = object
                .opt(
                    "SELECT id, sealed FROM accounts WHERE id = $1",
                    &[&session.account.0],
                )
                .await?;
            let account = row
                .map(|row| open_account(&inner.crypto, &row))
                .transpose()?;
            Ok(account.map(|account| (session, account)))
        })
    }

    fn record_session_use(
        &self,
        token: &str,
        expected: Option<Timestamp>,
        seen: Timestamp,
    ) -> Result<bool, RepositoryError> {
        let session_key = key(&self.inner.crypto, "session", token);
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let tx = object.transaction().await?;
            let Some(mut session) =
                record::<Session>(&tx, &inner.crypto, "sessions", &session_key, true).await?
            else {
                return Ok(false);
            };
            if session.last_seen != expected || session.last_active() >= seen {
                return Ok(false);
            }
            session.last_seen = Some(seen);
            let sealed = sealed::seal(&inner.crypto, "sessions", &session_key, &session)?;
            tx.exec(
                "UPDATE sessions SET sealed = $2 WHERE key = $1",
                &[&session_key, &sealed],
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    fn start_confirmation(
        &self,
        account: AccountId,
        session_token: &str,
        issue: &IssueConfirmation<'_>,
    ) -> Result<Result<(), u64>, RepositoryError> {
        let session = hex::encode(key(&self.inner.crypto, "session", session_token));
        let inner = Arc::clone(&self.inner);
        Ok(self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let crypto = &inner.crypto;
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    // The account's row orders the requests: the record may not exist yet.
                    account_locked(&tx, crypto, account, false)
                        .await?
                        .ok_or(RepositoryError::NotFound("account"))?;
                    let previous = confirmation(&tx, crypto, account).await?;
                    let issued: Result<(PendingConfirmation, Notification), u64> =
                        handover.exchange(previous).await?;
                    let (record, sms) = match issued {
                        Ok(issued) => issued,
                        Err(wait) => return Ok(Err(wait)),
                    };
                    write_confirmation(&tx, crypto, account, &record).await?;
                    let at = sms.created_at;
                    enqueue(&tx, crypto, &[sms], &[], at).await?;
                    tx.commit().await?;
                    Ok(Ok(()))
                })
            },
            |previous: Option<PendingConfirmation>| issue(previous.as_ref(), &session),
        )?)
    }

    fn check_confirmation(
        &self,
        account: AccountId,
        session_token: &str,
        decide: &DecideConfirmation<'_>,
    ) -> Result<Confirmation, RepositoryError> {
        let session = hex::encode(key(&self.inner.crypto, "session", session_token));
        let inner = Arc::clone(&self.inner);
        Ok(self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let crypto = &inner.crypto;
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    let Some(holder) = account_locked(&tx, crypto, account, false).await? else {
                        return Ok(Confirmation::NoCode);
                    };
                    let record = confirmation(&tx, crypto, account).await?;
                    let (checked, record, holder): (Checked, Option<PendingConfirmation>, Account) =
                        handover.exchange((record, holder)).await?;
                    if checked.account_changed {
                        replace(&tx, crypto, &holder).await?;
                    }
                    if checked.record_changed
                        && let Some(record) = &record
                    {
                        write_confirmation(&tx, crypto, account, record).await?;
                    }
                    tx.commit().await?;
                    Ok(checked.answer)
                })
            },
            |(mut record, mut holder): (Option<PendingConfirmation>, Account)| {
                let checked = decide(record.as_mut(), &mut holder, &session);
                (checked, record, holder)
            },
        )?)
    }

    fn close_session(&self, token: &str, audit: &AuditEvent) -> Result<(), RepositoryError> {
        let session_key = key(&self.inner.crypto, "session", token);
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    tx.exec("DELETE FROM sessions WHERE key = $1", &[&session_key])
                        .await?;
                    Ok(())
                })
                .await
        })
    }

    fn issue_token(
        &self,
        token: &str,
        record: &OneTimeToken,
        email: &Notification,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let crypto = &self.inner.crypto;
        let token_key = key(crypto, "token", token);
        let sealed = sealed::seal(crypto, "tokens", &token_key, record)?;
        let (account, email, event) = (record.account, email.clone(), audit.clone());
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let tx = object.transaction().await?;
            let inserted = tx
                .exec(
                    "INSERT INTO tokens (key, account, sealed) VALUES ($1, $2, $3)",
                    &[&token_key, &account.0, &sealed],
                )
                .await;
            if let Err(e) = inserted {
                return Err(match crate::error::violated(&e) {
                    Some("tokens_account_fkey") => RepositoryError::NotFound("account").into(),
                    _ => e.into(),
                });
            }
            let at = email.created_at;
            enqueue(&tx, &inner.crypto, &[email], &[], at).await?;
            audit::append(&tx, &[&event]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn peek_token_account(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<Account>, RepositoryError> {
        let token_key = key(&self.inner.crypto, "token", token);
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let Some(record) =
                record::<OneTimeToken>(&object, &inner.crypto, "tokens", &token_key, false).await?
            else {
                return Ok(None);
            };
            if !record.is_valid_for(purpose, now) {
                return Ok(None);
            }
            let row = object
                .opt(
                    "SELECT id, sealed FROM accounts WHERE id = $1",
                    &[&record.account.0],
                )
                .await?;
            row.map(|row| open_account(&inner.crypto, &row)).transpose()
        })
    }

    fn redeem_token(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: Timestamp,
        change: &RedeemChange<'_>,
        audit: &RedeemAudit<'_>,
    ) -> Result<Option<Account>, RepositoryError> {
        let token_key = key(&self.inner.crypto, "token", token);
        let inner = Arc::clone(&self.inner);
        Ok(self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let crypto = &inner.crypto;
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    let Some(record) =
                        record::<OneTimeToken>(&tx, crypto, "tokens", &token_key, true).await?
                    else {
                        return Ok(None);
                    };
                    if record.purpose != purpose {
                        return Ok(None);
                    }
                    // Used up, or expired: gone either way.
                    tx.exec("DELETE FROM tokens WHERE key = $1", &[&token_key])
                        .await?;
                    let account = if record.is_valid_for(purpose, now) {
                        account_locked(&tx, crypto, record.account, false).await?
                    } else {
                        None
                    };
                    let Some(account) = account else {
                        tx.commit().await?;
                        return Ok(None);
                    };
                    let (changed, event): (Account, AuditEvent) =
                        handover.exchange(account).await?;
                    replace(&tx, crypto, &changed).await?;
                    audit::append(&tx, &[&event]).await?;
                    tx.commit().await?;
                    Ok(Some(changed))
                })
            },
            |mut account: Account| {
                change(&mut account);
                let event = audit(&account);
                (account, event)
            },
        )?)
    }
}
