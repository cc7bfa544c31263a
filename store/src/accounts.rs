//! Accounts, login challenges, sessions and single-use tokens. Secrets are never stored: a
//! session token, challenge id or e-mailed token is kept only as its keyed hash (the record
//! key), so a copy of the database does not let anyone log in.

use teleconsult_core::account::{Account, LoginChallenge, OneTimeToken, Session, TokenPurpose};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;

use crate::audit;
use crate::error::StoreError;
use crate::notifications;
use crate::repo::{
    EMAIL, email_index, insert_patient_indexes, national_id_index, taken_patient_index,
};
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort};

/// The activation part of a self-registration: the token e-mailed (kept only as its hash), its
/// record, and the e-mail carrying it.
#[derive(Clone, Copy, Debug)]
pub struct Activation<'a> {
    pub token: &'a str,
    pub record: &'a OneTimeToken,
    pub email: &'a Notification,
}

/// What the uniqueness error names when a login is taken.
const LOGIN: &str = "login";

fn login_index(store: &Store, login: &str) -> [u8; 32] {
    store
        .shared()
        .crypto
        .blind_index("login", &login.trim().to_lowercase())
}

fn secret_key(store: &Store, kind: &str, secret: &str) -> [u8; 32] {
    store.shared().crypto.blind_index(kind, secret)
}

/// Inserts a new account and its login index; fails if the id or login exists.
fn insert_account(tx: &Tx<'_>, account: &Account, by_login: &[u8; 32]) -> TxResult<()> {
    let accounts = tx.encrypted(TreeId::Accounts);
    let logins = tx.raw(TreeId::AccountsByLogin);
    if accounts.contains_key(account.id.as_bytes())? || logins.get(by_login)?.is_some() {
        return Err(abort(StoreError::AlreadyExists(LOGIN)));
    }
    accounts.insert(account.id.as_bytes(), account)?;
    logins.insert(by_login, account.id.as_bytes())?;
    Ok(())
}

/// Replaces an existing account inside a transaction; a changed login moves its index entry
/// (`AlreadyExists` when the new login is taken).
fn replace_account(tx: &Tx<'_>, store: &Store, account: &Account) -> TxResult<()> {
    let accounts = tx.encrypted(TreeId::Accounts);
    let Some(old) = accounts.get::<Account>(account.id.as_bytes())? else {
        return Err(abort(StoreError::NotFound("account")));
    };
    if !old.login.eq_ignore_ascii_case(&account.login) {
        let logins = tx.raw(TreeId::AccountsByLogin);
        let new_login = login_index(store, &account.login);
        if logins.get(new_login)?.is_some() {
            return Err(abort(StoreError::AlreadyExists(LOGIN)));
        }
        logins.remove(&login_index(store, &old.login))?;
        logins.insert(&new_login, account.id.as_bytes())?;
    }
    accounts.insert(account.id.as_bytes(), account)
}

impl Store {
    /// Self-registration: the patient record, its account and — when given — the activation
    /// token and e-mail, in one transaction. Fails with `AlreadyExists` naming the national id,
    /// e-mail or login when taken; then nothing is written.
    pub fn register_patient(
        &self,
        account: &Account,
        patient: &Patient,
        activation: Option<Activation<'_>>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let inner = self.inner();
        let by_national_id =
            national_id_index(&inner.crypto, patient.country, &patient.national_id);
        let by_email = email_index(&inner.crypto, &patient.email);
        let by_login = login_index(self, &account.login);
        let token_key = activation
            .as_ref()
            .map(|a| secret_key(self, "token", a.token));
        inner.transact_durably(|tx| {
            if let Some(taken) = taken_patient_index(tx, &by_national_id, Some(&by_email))? {
                return Err(abort(StoreError::AlreadyExists(taken)));
            }
            let patients = tx.encrypted(TreeId::Patients);
            if patients.contains_key(patient.id.as_bytes())? {
                return Err(abort(StoreError::AlreadyExists("patient")));
            }
            insert_account(tx, account, &by_login)?;
            patients.insert(patient.id.as_bytes(), patient)?;
            insert_patient_indexes(tx, &by_national_id, Some(&by_email), patient.id.as_bytes())?;
            if let (Some(activation), Some(key)) = (&activation, &token_key) {
                tx.encrypted(TreeId::Tokens)
                    .insert(key, activation.record)?;
                notifications::enqueue(tx, activation.email)?;
            }
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// A staff, practitioner, pharmacist or admin account (created by an administrator).
    pub fn create_account(&self, account: &Account, event: &AuditEvent) -> Result<(), StoreError> {
        let by_login = login_index(self, &account.login);
        self.inner().transact_durably(|tx| {
            insert_account(tx, account, &by_login)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    pub fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.inner().encrypted(TreeId::Accounts).get(id.as_bytes())
    }

    /// The account with this login (case-insensitive), through its blind index.
    pub fn account_by_login(&self, login: &str) -> Result<Option<Account>, StoreError> {
        let by_login = login_index(self, login);
        let Some(id) = self
            .inner()
            .trees
            .raw(TreeId::AccountsByLogin)
            .get(by_login)?
        else {
            return Ok(None);
        };
        self.inner().encrypted(TreeId::Accounts).get(&id)
    }

    /// Every account, ordered by login.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut all = self
            .inner()
            .encrypted(TreeId::Accounts)
            .iter::<Account>()
            .map(|entry| entry.map(|(_, account)| account))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| a.login.cmp(&b.login));
        Ok(all)
    }

    /// Replaces an account (the login may change: its index follows, and a taken login fails
    /// with `AlreadyExists`). Audited when `event` is given (security counters are not).
    pub fn update_account(
        &self,
        account: &Account,
        event: Option<&AuditEvent>,
    ) -> Result<(), StoreError> {
        self.inner().transact_durably(|tx| {
            replace_account(tx, self, account)?;
            if let Some(event) = event {
                audit::append(tx, event)?;
            }
            Ok(())
        })
    }

    /// First login step passed: stores the challenge, the account (its counters) and queues the
    /// SMS with the code, in one transaction.
    pub fn start_challenge(
        &self,
        challenge_id: &str,
        challenge: &LoginChallenge,
        account: &Account,
        sms: &Notification,
    ) -> Result<(), StoreError> {
        let key = secret_key(self, "challenge", challenge_id);
        self.inner().transact_durably(|tx| {
            tx.encrypted(TreeId::Challenges).insert(&key, challenge)?;
            tx.encrypted(TreeId::Accounts)
                .insert(account.id.as_bytes(), account)?;
            notifications::enqueue(tx, sms)?;
            Ok(())
        })
    }

    pub fn challenge(&self, challenge_id: &str) -> Result<Option<LoginChallenge>, StoreError> {
        let key = secret_key(self, "challenge", challenge_id);
        self.inner().encrypted(TreeId::Challenges).get(&key)
    }

    /// A wrong code: keeps the challenge with its new attempt count (or removes it when void)
    /// and saves the account's failure counters, together.
    pub fn fail_challenge(
        &self,
        challenge_id: &str,
        challenge: Option<&LoginChallenge>,
        account: &Account,
    ) -> Result<(), StoreError> {
        let key = secret_key(self, "challenge", challenge_id);
        self.inner().transact_durably(|tx| {
            match challenge {
                Some(c) => tx.encrypted(TreeId::Challenges).insert(&key, c)?,
                None => {
                    tx.raw(TreeId::Challenges).remove(&key)?;
                }
            }
            tx.encrypted(TreeId::Accounts)
                .insert(account.id.as_bytes(), account)?;
            Ok(())
        })
    }

    /// Login complete: the challenge is consumed, the session stored, the account's counters
    /// reset and the login audited, in one transaction. Fails with `NotFound` if the challenge
    /// was consumed concurrently (the code is single-use).
    pub fn open_session(
        &self,
        token: &str,
        session: &Session,
        challenge_id: &str,
        account: &Account,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let challenge_key = secret_key(self, "challenge", challenge_id);
        let session_key = secret_key(self, "session", token);
        self.inner().transact_durably(|tx| {
            if tx.raw(TreeId::Challenges).remove(&challenge_key)?.is_none() {
                return Err(abort(StoreError::NotFound("login challenge")));
            }
            tx.encrypted(TreeId::Sessions)
                .insert(&session_key, session)?;
            tx.encrypted(TreeId::Accounts)
                .insert(account.id.as_bytes(), account)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// The session of `token` and its account, for authenticating a request: from memory
    /// when known (see `kept.rs`), else read from the store and kept. `None` when there
    /// is no such session or its account is gone.
    pub fn session_and_account(
        &self,
        token: &str,
    ) -> Result<Option<(Session, Account)>, StoreError> {
        let key = secret_key(self, "session", token);
        let cache = &self.inner().sessions;
        if let Some(found) = cache.get(&key) {
            return Ok(Some(found));
        }
        let generation = cache.generation();
        let Some(session) = self
            .inner()
            .encrypted(TreeId::Sessions)
            .get::<Session>(&key)?
        else {
            return Ok(None);
        };
        let Some(account) = self.account(session.account)? else {
            return Ok(None);
        };
        let found = (session, account);
        cache.fill(key, generation, &found);
        Ok(Some(found))
    }

    /// Like [`Store::session_and_account`] from memory only: never reads the disk, never
    /// blocks on it (for async code). `None` when not known.
    pub fn cached_session_and_account(&self, token: &str) -> Option<(Session, Account)> {
        let key = secret_key(self, "session", token);
        self.try_inner()?.sessions.get(&key)
    }

    /// Logout: the session is gone for good.
    pub fn close_session(&self, token: &str, event: &AuditEvent) -> Result<(), StoreError> {
        let key = secret_key(self, "session", token);
        self.inner().transact_durably(|tx| {
            tx.raw(TreeId::Sessions).remove(&key)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// Stores a single-use token and queues the e-mail carrying it.
    pub fn issue_token(
        &self,
        token: &str,
        record: &OneTimeToken,
        email: &Notification,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let key = secret_key(self, "token", token);
        self.inner().transact_durably(|tx| {
            tx.encrypted(TreeId::Tokens).insert(&key, record)?;
            notifications::enqueue(tx, email)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// The account a single-use token would act on, without using the token up.
    pub fn peek_token_account(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: teleconsult_core::Timestamp,
    ) -> Result<Option<Account>, StoreError> {
        let key = secret_key(self, "token", token);
        let Some(record) = self
            .inner()
            .encrypted(TreeId::Tokens)
            .get::<OneTimeToken>(&key)?
        else {
            return Ok(None);
        };
        if !record.is_valid_for(purpose, now) {
            return Ok(None);
        }
        self.account(record.account)
    }

    /// Redeems a single-use token: if it exists, serves `purpose` and has not expired at `now`,
    /// it is removed, `apply` changes the account, and both are saved with the audit record in
    /// one transaction. Returns the changed account, or `None` for an unknown, expired or
    /// foreign-purpose token (an expired one is removed too).
    pub fn redeem_token(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: teleconsult_core::Timestamp,
        apply: impl Fn(&mut Account),
        event: impl Fn(&Account) -> AuditEvent,
    ) -> Result<Option<Account>, StoreError> {
        let key = secret_key(self, "token", token);
        self.inner().transact_durably(|tx| {
            let tokens = tx.encrypted(TreeId::Tokens);
            let Some(record) = tokens.get::<OneTimeToken>(&key)? else {
                return Ok(None);
            };
            if record.purpose != purpose {
                return Ok(None);
            }
            tx.raw(TreeId::Tokens).remove(&key)?;
            if !record.is_valid_for(purpose, now) {
                return Ok(None);
            }
            let accounts = tx.encrypted(TreeId::Accounts);
            let Some(mut account) = accounts.get::<Account>(record.account.as_bytes())? else {
                return Ok(None);
            };
            apply(&mut account);
            accounts.insert(account.id.as_bytes(), &account)?;
            audit::append(tx, &event(&account))?;
            Ok(Some(account))
        })
    }

    /// Rectification: the account and, for a patient, the patient record, together. A changed
    /// login or e-mail moves its index (`AlreadyExists` when taken).
    pub fn update_profile(
        &self,
        account: &Account,
        patient: Option<&Patient>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let inner = self.inner();
        inner.transact_durably(|tx| {
            replace_account(tx, self, account)?;
            if let Some(patient) = patient {
                let patients = tx.encrypted(TreeId::Patients);
                let Some(old) = patients.get::<Patient>(patient.id.as_bytes())? else {
                    return Err(abort(StoreError::NotFound("patient")));
                };
                if !old.email.eq_ignore_ascii_case(&patient.email) {
                    let emails = tx.raw(TreeId::PatientsByEmail);
                    let new = email_index(&inner.crypto, &patient.email);
                    if emails.get(new)?.is_some() {
                        return Err(abort(StoreError::AlreadyExists(EMAIL)));
                    }
                    emails.remove(&email_index(&inner.crypto, &old.email))?;
                    emails.insert(&new, patient.id.as_bytes())?;
                }
                patients.insert(patient.id.as_bytes(), patient)?;
            }
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// GDPR erasure: the account, its login index, its patient record with both blind
    /// indexes, their short medical record and what the calls of the patient's appointments
    /// left (chat, shared files, quality records) are removed in one transaction. The audit trail stays (legal
    /// obligation; it holds identifiers only), so do appointments and issued documents (the
    /// practitioners' medical record). Open sessions die with the account.
    pub fn erase_account(&self, id: AccountId, event: &AuditEvent) -> Result<(), StoreError> {
        let inner = self.inner();
        let patient = inner
            .encrypted(TreeId::Accounts)
            .get::<Account>(id.as_bytes())?
            .and_then(|a| a.patient);
        let traces = match patient {
            Some(patient) => crate::call::PatientTraces::of(self, patient)?,
            None => crate::call::PatientTraces::default(),
        };
        inner.transact_durably(|tx| {
            let accounts = tx.encrypted(TreeId::Accounts);
            let Some(account) = accounts.get::<Account>(id.as_bytes())? else {
                return Err(abort(StoreError::NotFound("account")));
            };
            tx.raw(TreeId::Accounts).remove(id.as_bytes())?;
            tx.raw(TreeId::AccountsByLogin).remove(
                &inner
                    .crypto
                    .blind_index("login", &account.login.trim().to_lowercase()),
            )?;
            if let Some(patient_id) = account.patient
                && let Some(patient) = tx
                    .encrypted(TreeId::Patients)
                    .get::<Patient>(patient_id.as_bytes())?
            {
                tx.raw(TreeId::Patients).remove(patient_id.as_bytes())?;
                tx.raw(TreeId::PatientsByNationalId)
                    .remove(&national_id_index(
                        &inner.crypto,
                        patient.country,
                        &patient.national_id,
                    ))?;
                tx.raw(TreeId::PatientsByEmail)
                    .remove(&email_index(&inner.crypto, &patient.email))?;
                traces.remove(tx)?;
            }
            audit::append(tx, event)?;
            Ok(())
        })
    }
}
