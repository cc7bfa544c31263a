//! What protects an account beyond its login: the recorded use of sessions (idle timeout),
//! confirmation codes for the changes a stolen session alone must not make (phone, e-mail,
//! erasure), registrations that neither confirm nor deny what is already registered, and the
//! expiry of registrations never activated.
//!
//! Every read-modify-write here is one transaction that reads the record it changes.

use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, LoginPolicy, OneTimeToken, Session};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::confirmation::{Confirmation, PendingConfirmation};
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::sessions::{DecideConfirmation, IssueConfirmation};

use crate::accounts::{Activation, insert_account, login_index, secret_key};
use crate::audit;
use crate::error::StoreError;
use crate::notifications;
use crate::repo::{email_index, insert_patient_indexes, national_id_index};
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort};

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

    /// Stores account `account`'s confirmation record as `issue` decides (core
    /// `confirmation.rs`) from the one stored and the key of session `session_token`, with
    /// the SMS queued, in one transaction; the seconds to wait when `issue` refuses.
    pub fn start_confirmation(
        &self,
        account: AccountId,
        session_token: &str,
        issue: &IssueConfirmation<'_>,
    ) -> Result<Result<(), u64>, StoreError> {
        let session = hex::encode(secret_key(self, "session", session_token));
        let key = account.as_bytes();
        self.inner().transact_durably(|tx| {
            let pending = tx.encrypted(TreeId::Confirmations);
            let previous = pending.get::<PendingConfirmation>(key)?;
            let (record, sms) = match issue(previous.as_ref(), &session) {
                Ok(issued) => issued,
                Err(wait) => return Ok(Err(wait)),
            };
            pending.insert(key, &record)?;
            notifications::enqueue(tx, &sms)?;
            Ok(Ok(()))
        })
    }

    /// Checks a confirmation typed in session `session_token` as `decide` says (core
    /// `confirmation.rs`), on the account and its confirmation record as stored, writing what
    /// it changed in one transaction. `NoCode` when the account is gone.
    pub fn check_confirmation(
        &self,
        account: AccountId,
        session_token: &str,
        decide: &DecideConfirmation<'_>,
    ) -> Result<Confirmation, StoreError> {
        let session = hex::encode(secret_key(self, "session", session_token));
        let key = account.as_bytes();
        self.inner().transact_durably(|tx| {
            let accounts = tx.encrypted(TreeId::Accounts);
            let Some(mut holder) = accounts.get::<Account>(key)? else {
                return Ok(Confirmation::NoCode);
            };
            let pending = tx.encrypted(TreeId::Confirmations);
            let mut record = pending.get::<PendingConfirmation>(key)?;
            let checked = decide(record.as_mut(), &mut holder, &session);
            if checked.account_changed {
                accounts.insert(key, &holder)?;
            }
            if checked.record_changed
                && let Some(record) = &record
            {
                pending.insert(key, record)?;
            }
            Ok(checked.answer)
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
