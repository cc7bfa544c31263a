//! The accounts port: what the use cases on the site's accounts (`teleconsult-app::users`)
//! need from storage — look-ups, the creation of an account with (for a practitioner) its
//! directory entry, and a change decided on the account as stored. Every write is one
//! transaction with its audit records and notifications.

use crate::account::Account;
use crate::audit::AuditEvent;
use crate::ids::AccountId;
use crate::notification::Notification;
use crate::patient::Patient;
use crate::ports::RepositoryError;
use crate::practitioner::Practitioner;

/// Changes an account as stored: `true` when it changed (it is then saved), `false` to leave
/// it (nothing is written). May run more than once.
pub type ChangeAccount<'a> = dyn Fn(&mut Account) -> bool + 'a;

/// Changes an account and, for a patient, their record as stored: `true` when they changed
/// (both are then saved), `false` to leave them (nothing is written). May run more than once.
pub type ChangeProfile<'a> = dyn Fn(&mut Account, Option<&mut Patient>) -> bool + 'a;

/// Storage of the site's accounts.
pub trait AccountStore: Send + Sync {
    /// Account `id`, if any.
    fn find_account(&self, id: AccountId) -> Result<Option<Account>, RepositoryError>;

    /// The account with this login (case-insensitive), if any.
    fn find_account_by_login(&self, login: &str) -> Result<Option<Account>, RepositoryError>;

    /// Every account of the site, ordered by login.
    fn all_accounts(&self) -> Result<Vec<Account>, RepositoryError>;

    /// Stores a new account with `audit`, and — for a practitioner — their directory entry
    /// with its own audit event, in one transaction. [`RepositoryError::AlreadyExists`] when
    /// the login is taken (then nothing is written, the entry neither).
    fn create_account_listed(
        &self,
        account: &Account,
        listing: Option<(&Practitioner, &AuditEvent)>,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// Changes account `id` as `change` says, on the account as stored at the moment of
    /// writing (a concurrent change is never lost), queueing `notices` and recording `audit`
    /// (if any: a failed password's count has none) in the same transaction when it changed. The account as saved, or `None` when `change`
    /// left it (nothing written, nothing queued); [`RepositoryError::NotFound`] when there is
    /// no such account.
    fn change_account_with(
        &self,
        id: AccountId,
        change: &ChangeAccount<'_>,
        notices: &[Notification],
        audit: Option<&AuditEvent>,
    ) -> Result<Option<Account>, RepositoryError>;

    /// Changes account `id` and, for a patient, their record (rectification, consents) as
    /// `change` says, on both as stored at the moment of writing, queueing `notices` and
    /// recording `audit` in the same transaction when they changed. Both as saved, or `None`
    /// when `change` left them; [`RepositoryError::NotFound`] when the account (or its patient
    /// record) is gone, [`RepositoryError::AlreadyExists`] when a changed e-mail is taken.
    fn change_profile_with(
        &self,
        id: AccountId,
        change: &ChangeProfile<'_>,
        notices: &[Notification],
        audit: &AuditEvent,
    ) -> Result<Option<(Account, Option<Patient>)>, RepositoryError>;

    /// GDPR erasure (art. 17) of account `id`: the account, its login, sessions, links and
    /// confirmation codes, and — for a patient — their record with its indexes, short medical
    /// record, messages with practitioners and their files, what the calls of their
    /// appointments left (chat, shared files, quality records) and the queue entry they wait
    /// with; in one transaction with `notices` queued (to the address only: the last trace,
    /// gone once sent) and `audit` recorded. The appointments and issued documents stay (the
    /// practitioners' record the law makes them keep), so does the audit trail (identifiers
    /// only). [`RepositoryError::NotFound`] when there is no such account.
    fn erase_account(
        &self,
        id: AccountId,
        notices: &[Notification],
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// GDPR erasure (art. 17) of patient `id` who has no account (a walk-in registered at the
    /// counter): their record with its indexes and the traces [`AccountStore::erase_account`]
    /// removes with a patient, in one transaction with `audit` — recorded even when there is no
    /// such patient. How many records went, or `None` when there was no such patient.
    fn erase_patient(
        &self,
        id: crate::ids::PatientId,
        audit: &AuditEvent,
    ) -> Result<Option<u64>, RepositoryError>;
}
