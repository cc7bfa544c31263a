//! The sessions port: what logging in and out needs from storage — the login challenge (the
//! code step, with its attempt count), sessions (found by their bearer token, touched, closed)
//! and single-use tokens (activation and password-reset links). Secrets (challenge ids,
//! session tokens, link tokens) are never stored as such: adapters key their records by a
//! keyed hash of them. Every write is one transaction with its audit record and notification;
//! every count (failed attempts, lockout) is decided on the records as stored at that moment,
//! so attempts in parallel each see the others'.

use crate::Timestamp;
use crate::account::{Account, LoginChallenge, OneTimeToken, Session, TokenPurpose};
use crate::audit::AuditEvent;
use crate::confirmation::{Checked, Confirmation, PendingConfirmation};
use crate::ids::AccountId;
use crate::notification::Notification;
use crate::ports::RepositoryError;

/// Issues a login challenge from the account as stored: the challenge and, for an SMS code,
/// the SMS carrying it; `None` to refuse (nothing is written). May run more than once.
pub type IssueChallenge<'a> =
    dyn Fn(&Account) -> Option<(LoginChallenge, Option<Notification>)> + 'a;

/// Decides what a typed code does, from the challenge and its account as stored (both may be
/// changed: attempt count, failure counters). May run more than once.
pub type DecideCode<'a> = dyn Fn(&mut LoginChallenge, &mut Account) -> CodeOutcome + 'a;

/// Changes the account a redeemed token acts on (activates it, sets a new password).
pub type RedeemChange<'a> = dyn Fn(&mut Account) + 'a;

/// The audit record of a redeemed token, from the account as changed.
pub type RedeemAudit<'a> = dyn Fn(&Account) -> AuditEvent + 'a;

/// Issues a confirmation code from the account's record as stored (if any) and the session's
/// key: the new record and the SMS carrying the code, or the seconds to wait
/// (`PendingConfirmation::issue`). May run more than once.
pub type IssueConfirmation<'a> = dyn Fn(Option<&PendingConfirmation>, &str) -> Result<(PendingConfirmation, Notification), u64>
    + 'a;

/// Checks a typed confirmation on the account's record as stored (if any), its account and the
/// session's key (`PendingConfirmation::check`). May run more than once.
pub type DecideConfirmation<'a> =
    dyn Fn(Option<&mut PendingConfirmation>, &mut Account, &str) -> Checked + 'a;

/// What a typed code does, as [`DecideCode`] says.
#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per code typed and consumed at once: boxing buys nothing"
)]
pub enum CodeOutcome {
    /// The code is right: the challenge is consumed, `session` stored, the account saved as
    /// changed (its failure counters reset) and `audit` recorded.
    Open { session: Session, audit: AuditEvent },
    /// A wrong, expired or exhausted code: the account is saved as changed (its failure
    /// counters), and the challenge too when `keep` (its attempt count), else removed.
    Failed { keep: bool },
    /// Refused without counting anything (a locked or disabled account): nothing is written.
    Refused,
}

/// What a typed code did (the decision written by [`SessionStore::use_challenge`]).
#[derive(Clone, Debug)]
pub enum CodeUsed {
    /// A session was opened.
    Opened(Session),
    /// Counted as a failure.
    Failed,
    /// Refused without counting.
    Refused,
}

/// Storage of login challenges, sessions and single-use tokens.
pub trait SessionStore: Send + Sync {
    /// Stores the challenge `issue` gives for account `account` as stored at that moment,
    /// keyed by `challenge_id`, with its SMS queued in the same transaction. The challenge as
    /// stored, or `None` when `issue` refused; [`RepositoryError::NotFound`] when the account
    /// is gone.
    fn start_challenge(
        &self,
        challenge_id: &str,
        account: AccountId,
        issue: &IssueChallenge<'_>,
    ) -> Result<Option<LoginChallenge>, RepositoryError>;

    /// A code typed for challenge `challenge_id`: `decide` gets the challenge and its account
    /// as stored at that moment and says what to write (see [`CodeOutcome`]); an opened
    /// session is stored under `token`. What was written, or `None` when there is no such
    /// challenge (never issued, used, void) or its account is gone.
    fn use_challenge(
        &self,
        challenge_id: &str,
        token: &str,
        decide: &DecideCode<'_>,
    ) -> Result<Option<CodeUsed>, RepositoryError>;

    /// The session of bearer token `token` and its account (to authenticate a request);
    /// `None` when there is no such session or its account is gone. Whether the session is
    /// still valid is the caller's rule.
    fn session_and_account(
        &self,
        token: &str,
    ) -> Result<Option<(Session, Account)>, RepositoryError>;

    /// Like [`SessionStore::session_and_account`], from memory only — never waits on storage
    /// (for async code): `None` when not at hand. Adapters without such a memory say `None`.
    fn known_session_and_account(&self, _token: &str) -> Option<(Session, Account)> {
        None
    }

    /// Records that session `token` was used at `seen`, as a compare-and-swap on the use
    /// recorded before (`expected`): when another request recorded a use in between, or the
    /// session is gone, nothing is written. Need not be durable at once (a use lost in a crash
    /// only makes the session end a little earlier). Whether this call recorded it.
    fn record_session_use(
        &self,
        token: &str,
        expected: Option<Timestamp>,
        seen: Timestamp,
    ) -> Result<bool, RepositoryError>;

    /// Stores account `account`'s confirmation record as `issue` decides from the one stored
    /// and the key of session `session_token`, with the SMS queued, in one transaction; the
    /// seconds to wait when `issue` refuses (nothing written).
    fn start_confirmation(
        &self,
        account: AccountId,
        session_token: &str,
        issue: &IssueConfirmation<'_>,
    ) -> Result<Result<(), u64>, RepositoryError>;

    /// Checks a confirmation typed in session `session_token` as `decide` says, on account
    /// `account` and its confirmation record as stored, writing what it changed in one
    /// transaction — so confirmations typed in parallel each see the others' counts.
    /// [`Confirmation::NoCode`] when the account is gone.
    fn check_confirmation(
        &self,
        account: AccountId,
        session_token: &str,
        decide: &DecideConfirmation<'_>,
    ) -> Result<Confirmation, RepositoryError>;

    /// Logout: session `token` is gone for good, with `audit` recorded.
    fn close_session(&self, token: &str, audit: &AuditEvent) -> Result<(), RepositoryError>;

    /// Stores single-use token `token` and queues the e-mail carrying it, with `audit`.
    fn issue_token(
        &self,
        token: &str,
        record: &OneTimeToken,
        email: &Notification,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// The account token `token` would act on for `purpose` at `now`, without using it up.
    fn peek_token_account(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<Account>, RepositoryError>;

    /// Redeems token `token`: if it exists, serves `purpose` and has not expired at `now`, it
    /// is removed, `change` changes its account as stored, and both are saved with `audit`'s
    /// record in one transaction — so a token works once, however many use it at the same
    /// moment. The changed account, or `None` for an unknown, used, expired or
    /// foreign-purpose token (an expired one is removed too).
    fn redeem_token(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: Timestamp,
        change: &RedeemChange<'_>,
        audit: &RedeemAudit<'_>,
    ) -> Result<Option<Account>, RepositoryError>;
}
