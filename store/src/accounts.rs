//! Accounts, login challenges, sessions and single-use tokens. Secrets are never stored: a
//! session token, challenge id or e-mailed token is kept only as its keyed hash (the record
//! key), so a copy of the database does not let anyone log in.

use teleconsult_core::account::{Account, LoginChallenge, OneTimeToken, Session, TokenPurpose};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::practitioner::Practitioner;

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

/// What a code typed for a login challenge writes (see [`Store::use_challenge`]).
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per login code typed and consumed at once: boxing buys nothing"
)]
pub enum ChallengeOutcome<E> {
    /// The code is right: the challenge is consumed, `session` stored, the account saved as
    /// changed (its failure counters reset) and `event` audited.
    Open { session: Session, event: AuditEvent },
    /// A wrong, expired or exhausted code: the account is saved as changed (its failure
    /// counters) and the challenge too when `keep` (its attempt count), else removed; `error`
    /// is returned.
    Failed { keep: bool, error: E },
    /// Refused without counting anything (a locked or disabled account): nothing is written.
    Refused(E),
}

/// An account, its patient record (for a patient) and what a change of them returned, as
/// saved by [`Store::change_profile`].
pub type Profile<T> = (Account, Option<Patient>, T);

/// What the uniqueness error names when a login is taken.
const LOGIN: &str = "login";

pub(crate) fn login_index(store: &Store, login: &str) -> [u8; 32] {
    store
        .shared()
        .crypto
        .blind_index("login", &login.trim().to_lowercase())
}

pub(crate) fn secret_key(store: &Store, kind: &str, secret: &str) -> [u8; 32] {
    store.shared().crypto.blind_index(kind, secret)
}

/// Inserts a new account and its login index; fails if the id or login exists.
pub(crate) fn insert_account(tx: &Tx<'_>, account: &Account, by_login: &[u8; 32]) -> TxResult<()> {
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
pub(crate) fn replace_account(tx: &Tx<'_>, store: &Store, account: &Account) -> TxResult<()> {
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
        self.create_account_listed(account, None, event)
    }

    /// Like [`Store::create_account`], with the practitioner's directory entry written in the
    /// same transaction (`listing`: the record and its audit event): a login taken meanwhile
    /// (`AlreadyExists`) leaves no entry behind — no practitioner is listed, and bookable,
    /// without an account.
    pub fn create_account_listed(
        &self,
        account: &Account,
        listing: Option<(&Practitioner, &AuditEvent)>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let by_login = login_index(self, &account.login);
        self.inner().transact_durably(|tx| {
            insert_account(tx, account, &by_login)?;
            if let Some((practitioner, listed)) = listing {
                tx.encrypted(TreeId::Practitioners)
                    .insert(practitioner.id.as_bytes(), practitioner)?;
                audit::append(tx, listed)?;
            }
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

    /// Changes account `id` in one transaction: `change` gets the account as stored at that
    /// moment (never a copy read earlier, so concurrent changes are not lost) and either
    /// changes it — then it is saved, its login index following a changed login
    /// (`AlreadyExists` when taken), with `event` when given (security counters are not
    /// audited) — or refuses, and nothing is written. `change` may run more than once. Returns
    /// the account as saved and what `change` returned; `NotFound` when there is no account.
    pub fn change_account<T, E>(
        &self,
        id: AccountId,
        change: impl Fn(&mut Account) -> Result<T, E>,
        event: Option<&AuditEvent>,
    ) -> Result<Result<(Account, T), E>, StoreError> {
        self.change_account_noticed(id, change, &[], event)
    }

    /// Like [`Store::change_account`], queueing `notices` (e.g. an e-mail telling the owner
    /// that their second factor changed) with the change, in the same transaction; nothing
    /// is queued when `change` refuses.
    pub fn change_account_noticed<T, E>(
        &self,
        id: AccountId,
        change: impl Fn(&mut Account) -> Result<T, E>,
        notices: &[Notification],
        event: Option<&AuditEvent>,
    ) -> Result<Result<(Account, T), E>, StoreError> {
        self.inner().transact_durably(|tx| {
            let Some(mut account) = tx
                .encrypted(TreeId::Accounts)
                .get::<Account>(id.as_bytes())?
            else {
                return Err(abort(StoreError::NotFound("account")));
            };
            let outcome = match change(&mut account) {
                Ok(outcome) => outcome,
                Err(refused) => return Ok(Err(refused)),
            };
            replace_account(tx, self, &account)?;
            for notice in notices {
                notifications::enqueue(tx, notice)?;
            }
            if let Some(event) = event {
                audit::append(tx, event)?;
            }
            Ok(Ok((account, outcome)))
        })
    }

    /// First login step passed: `issue` decides from the account as stored at that moment
    /// (still active, not locked, the password checked still the one stored) and gives the
    /// challenge and, for an SMS code, the SMS carrying it (none for an authenticator app's
    /// code); both are stored in one transaction. When `issue` refuses, nothing is written.
    /// Returns the challenge as stored; `NotFound` when the account is gone.
    pub fn start_challenge<E>(
        &self,
        challenge_id: &str,
        account: AccountId,
        issue: impl Fn(&Account) -> Result<(LoginChallenge, Option<Notification>), E>,
    ) -> Result<Result<LoginChallenge, E>, StoreError> {
        let key = secret_key(self, "challenge", challenge_id);
        self.inner().transact_durably(|tx| {
            let Some(account) = tx
                .encrypted(TreeId::Accounts)
                .get::<Account>(account.as_bytes())?
            else {
                return Err(abort(StoreError::NotFound("account")));
            };
            let (challenge, sms) = match issue(&account) {
                Ok(issued) => issued,
                Err(refused) => return Ok(Err(refused)),
            };
            tx.encrypted(TreeId::Challenges).insert(&key, &challenge)?;
            if let Some(sms) = &sms {
                notifications::enqueue(tx, sms)?;
            }
            Ok(Ok(challenge))
        })
    }

    pub fn challenge(&self, challenge_id: &str) -> Result<Option<LoginChallenge>, StoreError> {
        let key = secret_key(self, "challenge", challenge_id);
        self.inner().encrypted(TreeId::Challenges).get(&key)
    }

    /// A code typed for challenge `challenge_id`: `decide` gets the challenge and its account
    /// as stored at that moment — so parallel attempts each see the others' counts — and says
    /// what to write (see [`ChallengeOutcome`]), all in one transaction. `None` when there is
    /// no such challenge (never issued, used, void) or its account is gone.
    pub fn use_challenge<E>(
        &self,
        challenge_id: &str,
        token: &str,
        decide: impl Fn(&mut LoginChallenge, &mut Account) -> ChallengeOutcome<E>,
    ) -> Result<Option<Result<Session, E>>, StoreError> {
        let challenge_key = secret_key(self, "challenge", challenge_id);
        let session_key = secret_key(self, "session", token);
        self.inner().transact_durably(|tx| {
            let challenges = tx.encrypted(TreeId::Challenges);
            let Some(mut challenge) = challenges.get::<LoginChallenge>(&challenge_key)? else {
                return Ok(None);
            };
            let accounts = tx.encrypted(TreeId::Accounts);
            let Some(mut account) = accounts.get::<Account>(challenge.account.as_bytes())? else {
                return Ok(None);
            };
            match decide(&mut challenge, &mut account) {
                ChallengeOutcome::Refused(error) => Ok(Some(Err(error))),
                ChallengeOutcome::Failed { keep, error } => {
                    if keep {
                        challenges.insert(&challenge_key, &challenge)?;
                    } else {
                        tx.raw(TreeId::Challenges).remove(&challenge_key)?;
                    }
                    accounts.insert(account.id.as_bytes(), &account)?;
                    Ok(Some(Err(error)))
                }
                ChallengeOutcome::Open { session, event } => {
                    tx.raw(TreeId::Challenges).remove(&challenge_key)?;
                    tx.encrypted(TreeId::Sessions)
                        .insert(&session_key, &session)?;
                    accounts.insert(account.id.as_bytes(), &account)?;
                    audit::append(tx, &event)?;
                    Ok(Some(Ok(session)))
                }
            }
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

    /// Rectification, consents: `change` gets account `id` and, for a patient, its patient
    /// record as stored at that moment, and changes them; both are saved with `event` in one
    /// transaction (nothing when `change` refuses). A changed login or e-mail moves its index
    /// (`AlreadyExists` when taken). `NotFound` when the account (or its patient record) is gone.
    /// `notices` (e.g. to the old address of a changed e-mail) are queued with the change.
    pub fn change_profile<T, E>(
        &self,
        id: AccountId,
        change: impl Fn(&mut Account, Option<&mut Patient>) -> Result<T, E>,
        notices: &[Notification],
        event: &AuditEvent,
    ) -> Result<Result<Profile<T>, E>, StoreError> {
        let inner = self.inner();
        inner.transact_durably(|tx| {
            let Some(mut account) = tx
                .encrypted(TreeId::Accounts)
                .get::<Account>(id.as_bytes())?
            else {
                return Err(abort(StoreError::NotFound("account")));
            };
            let patients = tx.encrypted(TreeId::Patients);
            let old = match account.patient {
                Some(patient_id) => match patients.get::<Patient>(patient_id.as_bytes())? {
                    Some(patient) => Some(patient),
                    None => return Err(abort(StoreError::NotFound("patient"))),
                },
                None => None,
            };
            let mut patient = old.clone();
            let outcome = match change(&mut account, patient.as_mut()) {
                Ok(outcome) => outcome,
                Err(refused) => return Ok(Err(refused)),
            };
            replace_account(tx, self, &account)?;
            if let (Some(old), Some(patient)) = (&old, &patient) {
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
            for notice in notices {
                notifications::enqueue(tx, notice)?;
            }
            audit::append(tx, event)?;
            Ok(Ok((account, patient, outcome)))
        })
    }

    /// GDPR erasure: the account, its login index, its patient record with both blind
    /// indexes, their short medical record and what the calls of the patient's appointments
    /// left (chat, shared files, quality records) are removed in one transaction. The audit trail stays (legal
    /// obligation; it holds identifiers only), so do appointments and issued documents (the
    /// practitioners' medical record). Open sessions die with the account.
    pub fn erase_account(
        &self,
        id: AccountId,
        notices: &[Notification],
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
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
            crate::quotas::forget_account(tx, id)?;
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
            // Sessions and links die with the account (they find it no more).
            tx.raw(TreeId::Confirmations).remove(id.as_bytes())?;
            for notice in notices {
                notifications::enqueue(tx, notice)?;
            }
            audit::append(tx, event)?;
            Ok(())
        })
    }
}
