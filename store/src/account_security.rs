//! What protects an account beyond its login: the recorded use of sessions (idle timeout),
//! confirmation codes for the changes a stolen session alone must not make (phone, e-mail,
//! erasure), registrations that neither confirm nor deny what is already registered, and the
//! expiry of registrations never activated.
//!
//! Every read-modify-write here is one transaction that reads the record it changes.

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;
use teleconsult_core::account::{
    Account, ConfirmationPurpose, LoginChallenge, LoginPolicy, OneTimeToken, OtpError, Session,
};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;

use crate::accounts::{Activation, insert_account, login_index, secret_key};
use crate::audit;
use crate::error::StoreError;
use crate::notifications;
use crate::repo::{email_index, insert_patient_indexes, national_id_index};
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort};

/// The confirmation codes of an account: the one waiting to be typed, bound to the session
/// that asked for it and to what it confirms, and how many were sent in the current window
/// (kept after the code is used or void, so the budget holds).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PendingConfirmation {
    purpose: ConfirmationPurpose,
    /// The keyed hash of the session token, hex (the token itself is never stored).
    session: String,
    /// `None` once used or void.
    challenge: Option<LoginChallenge>,
    window_start: Timestamp,
    sent: u32,
}

/// A typed confirmation: in which session, for what, the code, and whether the password typed
/// with it was right (checked by the caller: hashing is no work for a transaction).
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    pub session_token: &'a str,
    pub purpose: ConfirmationPurpose,
    pub code: &'a str,
    pub password_ok: bool,
}

/// The answer to a typed password and confirmation code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Both right: the code is used up.
    Confirmed,
    /// No code was asked for this purpose in this session (or it was used or void).
    NoCode,
    /// Wrong password or code; the code stays usable `remaining` more times.
    Wrong { remaining: u32 },
    /// Wrong too often, or too old: the code is void.
    Void,
    /// The account is locked after repeated failures.
    Locked { until: Timestamp },
}

/// What a self-registration did. The caller answers the same in every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    /// The account, pending activation, and the activation e-mail.
    Created,
    /// The e-mail is registered: its owner was told, nothing was created.
    EmailTaken,
    /// The national id is registered (the e-mail is not): the address given was told that the
    /// registration could not be completed, the national id's owner that someone tried.
    NationalIdTaken,
}

/// The e-mails and audit records of each outcome of a registration, built by the caller (texts
/// and languages are not the store's business).
pub struct RegistrationMessages<'a> {
    /// Audited with a creation.
    pub created_event: &'a AuditEvent,
    /// To the owner of a registered e-mail address.
    pub email_taken: &'a Notification,
    /// To the address given, when the national id is registered.
    pub not_completed: &'a Notification,
    /// To the patient who holds the national id (their address and language).
    pub national_id_owner: &'a dyn Fn(&Patient) -> Notification,
    /// Audited instead of the creation (same amount of writing either way).
    pub refused_event: &'a AuditEvent,
}

/// Removes a registration never activated, when `account` is one that expired: the account,
/// its login, its patient record with both blind indexes (each only where it still points to
/// this patient) and any pending confirmation. Returns whether it did.
fn purge_if_expired(
    tx: &Tx<'_>,
    store: &Store,
    account: &Account,
    now: Timestamp,
    policy: &LoginPolicy,
) -> TxResult<bool> {
    if !account.registration_expired(now, policy) {
        return Ok(false);
    }
    let crypto = tx.crypto();
    tx.raw(TreeId::Accounts).remove(account.id.as_bytes())?;
    let by_login = login_index(store, &account.login);
    if tx.raw(TreeId::AccountsByLogin).get(by_login)?.as_deref() == Some(account.id.as_bytes()) {
        tx.raw(TreeId::AccountsByLogin).remove(&by_login)?;
    }
    tx.raw(TreeId::Confirmations)
        .remove(account.id.as_bytes())?;
    if let Some(patient_id) = account.patient
        && let Some(patient) = tx
            .encrypted(TreeId::Patients)
            .get::<Patient>(patient_id.as_bytes())?
    {
        tx.raw(TreeId::Patients).remove(patient_id.as_bytes())?;
        let by_id = national_id_index(crypto, patient.country, &patient.national_id);
        let by_email = email_index(crypto, &patient.email);
        for (tree, key) in [
            (TreeId::PatientsByNationalId, by_id),
            (TreeId::PatientsByEmail, by_email),
        ] {
            if tx.raw(tree).get(key)?.as_deref() == Some(patient_id.as_bytes()) {
                tx.raw(tree).remove(&key)?;
            }
        }
    }
    Ok(true)
}

/// The account that holds a patient record's registration: a self-registered patient's login
/// is their e-mail address.
fn account_of_patient(tx: &Tx<'_>, store: &Store, patient: &Patient) -> TxResult<Option<Account>> {
    let Some(id) = tx
        .raw(TreeId::AccountsByLogin)
        .get(login_index(store, &patient.email))?
    else {
        return Ok(None);
    };
    let account = tx.encrypted(TreeId::Accounts).get::<Account>(&id)?;
    Ok(account.filter(|a| a.patient == Some(patient.id)))
}

/// Frees the index entry `key` of `tree` when it belongs to a registration that expired.
/// Returns the patient still holding it, if any (`None`: free, or freed).
fn holder_after_expiry(
    tx: &Tx<'_>,
    store: &Store,
    tree: TreeId,
    key: &[u8; 32],
    now: Timestamp,
    policy: &LoginPolicy,
) -> TxResult<Option<Patient>> {
    let Some(id) = tx.raw(tree).get(key)? else {
        return Ok(None);
    };
    let Some(patient) = tx.encrypted(TreeId::Patients).get::<Patient>(&id)? else {
        // An index without its record: treat it as held (never overwrite what we do not know).
        return Err(abort(StoreError::AlreadyExists("patient")));
    };
    if let Some(account) = account_of_patient(tx, store, &patient)?
        && purge_if_expired(tx, store, &account, now, policy)?
    {
        return Ok(None);
    }
    Ok(Some(patient))
}

impl Store {
    /// Records that a session was used at `seen` — a compare-and-swap on the use recorded
    /// before (`expected`): when another request recorded it in between, nothing is written.
    /// Not flushed: a use lost in a crash only makes the session end a little earlier.
    /// Returns whether this call recorded it.
    pub fn touch_session(
        &self,
        token: &str,
        expected: Option<Timestamp>,
        seen: Timestamp,
    ) -> Result<bool, StoreError> {
        let key = secret_key(self, "session", token);
        self.inner().transact(|tx| {
            let sessions = tx.encrypted(TreeId::Sessions);
            let Some(mut session) = sessions.get::<Session>(&key)? else {
                return Ok(false);
            };
            if session.last_seen != expected || session.last_active() >= seen {
                return Ok(false);
            }
            session.last_seen = Some(seen);
            sessions.insert(&key, &session)?;
            Ok(true)
        })
    }

    /// Stores a confirmation code for `purpose`, bound to the session of `session_token`, and
    /// queues the SMS carrying it, replacing any earlier code of the account. Refused (with
    /// the seconds to wait) once `policy.confirmation_codes` were sent in the current
    /// `policy.confirmation_window`.
    pub fn start_confirmation(
        &self,
        session_token: &str,
        purpose: ConfirmationPurpose,
        challenge: &LoginChallenge,
        sms: &Notification,
        policy: &LoginPolicy,
    ) -> Result<Result<(), u64>, StoreError> {
        let session = hex::encode(secret_key(self, "session", session_token));
        let key = challenge.account.as_bytes();
        let now = challenge.created_at;
        self.inner().transact_durably(|tx| {
            let pending = tx.encrypted(TreeId::Confirmations);
            let (mut window_start, mut sent) = (now, 0);
            if let Some(previous) = pending.get::<PendingConfirmation>(key)?
                && let Ok(end) = previous
                    .window_start
                    .checked_add(policy.confirmation_window)
                && end > now
            {
                if previous.sent >= policy.confirmation_codes {
                    let wait = end.duration_since(now).as_secs().max(1);
                    return Ok(Err(u64::try_from(wait).unwrap_or(1)));
                }
                (window_start, sent) = (previous.window_start, previous.sent);
            }
            let record = PendingConfirmation {
                purpose,
                session: session.clone(),
                challenge: Some(challenge.clone()),
                window_start,
                sent: sent + 1,
            };
            pending.insert(key, &record)?;
            notifications::enqueue(tx, sms)?;
            Ok(Ok(()))
        })
    }

    /// Checks a password (verified by the caller) and a typed confirmation code for its
    /// purpose in its session (see [`Attempt`]). In one transaction with the account as
    /// it is now: a wrong password or code counts against the code (void after
    /// `policy.otp_attempts`) and against the account (locked after `policy.max_failures`);
    /// a right pair uses the code up.
    pub fn check_confirmation(
        &self,
        account: AccountId,
        attempt: Attempt<'_>,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Result<Confirmation, StoreError> {
        let Attempt {
            session_token,
            purpose,
            code,
            password_ok,
        } = attempt;
        let session = hex::encode(secret_key(self, "session", session_token));
        let key = account.as_bytes();
        self.inner().transact_durably(|tx| {
            let accounts = tx.encrypted(TreeId::Accounts);
            let Some(mut holder) = accounts.get::<Account>(key)? else {
                return Ok(Confirmation::NoCode);
            };
            if let Err(teleconsult_core::account::LoginRefused::Locked { until }) =
                holder.may_attempt_login(now)
            {
                return Ok(Confirmation::Locked { until });
            }
            let pending = tx.encrypted(TreeId::Confirmations);
            let mut record = pending.get::<PendingConfirmation>(key)?;
            let found = record
                .as_mut()
                .filter(|p| p.purpose == purpose && p.session == session)
                .and_then(|p| p.challenge.clone().map(|c| (c, p)));
            let Some((mut challenge, record)) = found else {
                if !password_ok {
                    holder.record_failure(now, policy);
                    accounts.insert(key, &holder)?;
                }
                return Ok(Confirmation::NoCode);
            };
            // A wrong password is a wrong attempt: typed as a code that cannot match.
            let typed = if password_ok { code } else { "" };
            // An SMS code: the account is not changed by the check.
            let outcome = challenge.verify(typed, &mut holder, now, policy);
            let answer = match outcome {
                Ok(()) => {
                    record.challenge = None;
                    Confirmation::Confirmed
                }
                Err(error) => {
                    holder.record_failure(now, policy);
                    accounts.insert(key, &holder)?;
                    match error {
                        OtpError::Wrong { remaining } => {
                            record.challenge = Some(challenge);
                            Confirmation::Wrong { remaining }
                        }
                        OtpError::Expired | OtpError::Exhausted => {
                            record.challenge = None;
                            Confirmation::Void
                        }
                    }
                }
            };
            pending.insert(key, &*record)?;
            Ok(answer)
        })
    }

    /// Self-registration that says nothing about what is registered: creates the patient, its
    /// account (pending activation) and the activation e-mail when the national id and the
    /// e-mail are free — a registration never activated that expired frees them first, in the
    /// same transaction — and otherwise creates nothing and queues the notices instead.
    pub fn register_or_notify(
        &self,
        account: &Account,
        patient: &Patient,
        activation: Activation<'_>,
        notices: &RegistrationMessages<'_>,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Result<Registration, StoreError> {
        let inner = self.inner();
        let by_national_id =
            national_id_index(&inner.crypto, patient.country, &patient.national_id);
        let by_email = email_index(&inner.crypto, &patient.email);
        let by_login = login_index(self, &account.login);
        let token_key = secret_key(self, "token", activation.token);
        inner.transact_durably(|tx| {
            let email_holder =
                holder_after_expiry(tx, self, TreeId::PatientsByEmail, &by_email, now, policy)?;
            let login_holder = match tx.raw(TreeId::AccountsByLogin).get(by_login)? {
                None => None,
                Some(id) => match tx.encrypted(TreeId::Accounts).get::<Account>(&id)? {
                    Some(a) if purge_if_expired(tx, self, &a, now, policy)? => None,
                    other => other,
                },
            };
            if email_holder.is_some() || login_holder.is_some() {
                notifications::enqueue(tx, notices.email_taken)?;
                audit::append(tx, notices.refused_event)?;
                return Ok(Registration::EmailTaken);
            }
            let id_holder = holder_after_expiry(
                tx,
                self,
                TreeId::PatientsByNationalId,
                &by_national_id,
                now,
                policy,
            )?;
            if let Some(owner) = id_holder {
                notifications::enqueue(tx, notices.not_completed)?;
                notifications::enqueue(tx, &(notices.national_id_owner)(&owner))?;
                audit::append(tx, notices.refused_event)?;
                return Ok(Registration::NationalIdTaken);
            }
            let patients = tx.encrypted(TreeId::Patients);
            if patients.contains_key(patient.id.as_bytes())? {
                return Err(abort(StoreError::AlreadyExists("patient")));
            }
            insert_account(tx, account, &by_login)?;
            patients.insert(patient.id.as_bytes(), patient)?;
            insert_patient_indexes(tx, &by_national_id, Some(&by_email), patient.id.as_bytes())?;
            tx.encrypted(TreeId::Tokens)
                .insert(&token_key, activation.record)?;
            notifications::enqueue(tx, activation.email)?;
            audit::append(tx, notices.created_event)?;
            Ok(Registration::Created)
        })
    }

    /// Removes every registration never activated whose activation time is over (see
    /// [`Account::registration_expired`]), each in its own transaction that checks again,
    /// audited with `event`, and every e-mailed token past its validity. Returns how many
    /// registrations went.
    pub fn expire_registrations(
        &self,
        now: Timestamp,
        policy: &LoginPolicy,
        event: impl Fn(&Account) -> AuditEvent,
    ) -> Result<usize, StoreError> {
        let inner = self.inner();
        let candidates: Vec<AccountId> = inner
            .encrypted(TreeId::Accounts)
            .iter::<Account>()
            .filter_map(|entry| match entry {
                Ok((_, a)) if a.registration_expired(now, policy) => Some(Ok(a.id)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()?;
        let mut removed = 0;
        for id in candidates {
            let purged = inner.transact_durably(|tx| {
                let Some(account) = tx
                    .encrypted(TreeId::Accounts)
                    .get::<Account>(id.as_bytes())?
                else {
                    return Ok(false);
                };
                let purged = purge_if_expired(tx, self, &account, now, policy)?;
                if purged {
                    audit::append(tx, &event(&account))?;
                }
                Ok(purged)
            })?;
            removed += usize::from(purged);
        }
        let expired_tokens: Vec<sled::IVec> = inner
            .encrypted(TreeId::Tokens)
            .iter::<OneTimeToken>()
            .filter_map(|entry| match entry {
                Ok((key, t)) if t.expires_at <= now => Some(Ok(key)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()?;
        for key in expired_tokens {
            inner.transact_durably(|tx| {
                if let Some(t) = tx.encrypted(TreeId::Tokens).get::<OneTimeToken>(&key)?
                    && t.expires_at <= now
                {
                    tx.raw(TreeId::Tokens).remove(&key)?;
                }
                Ok(())
            })?;
        }
        Ok(removed)
    }
}
