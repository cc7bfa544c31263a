//! The sessions and registration ports on sled: the store's own operations (`accounts.rs`,
//! `account_security.rs`), with its session memory (`kept.rs`) answering
//! [`SessionStore::known_session_and_account`].

use teleconsult_core::Timestamp;
use teleconsult_core::account::{
    Account, LoginChallenge, LoginPolicy, OneTimeToken, Session, TokenPurpose,
};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::confirmation::Confirmation;
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Notification;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::registration::{
    NewRegistration, Registered, RegistrationRefusal, RegistrationStore,
};
use teleconsult_core::ports::sessions::{
    CodeOutcome, CodeUsed, DecideCode, DecideConfirmation, IssueChallenge, IssueConfirmation,
    RedeemAudit, RedeemChange, SessionStore,
};

use crate::accounts::ChallengeOutcome;
use crate::store::Store;

type Result<T> = std::result::Result<T, RepositoryError>;

impl SessionStore for Store {
    fn start_challenge(
        &self,
        challenge_id: &str,
        account: AccountId,
        issue: &IssueChallenge<'_>,
    ) -> Result<Option<LoginChallenge>> {
        let issued = Store::start_challenge(self, challenge_id, account, |stored| {
            issue(stored).ok_or(())
        })?;
        Ok(issued.ok())
    }

    fn use_challenge(
        &self,
        challenge_id: &str,
        token: &str,
        decide: &DecideCode<'_>,
    ) -> Result<Option<CodeUsed>> {
        let used = Store::use_challenge(
            self,
            challenge_id,
            token,
            |challenge, account| match decide(challenge, account) {
                CodeOutcome::Open { session, audit } => ChallengeOutcome::Open {
                    session,
                    event: audit,
                },
                CodeOutcome::Failed { keep } => ChallengeOutcome::Failed {
                    keep,
                    error: CodeUsed::Failed,
                },
                CodeOutcome::Refused => ChallengeOutcome::Refused(CodeUsed::Refused),
            },
        )?;
        Ok(used.map(|outcome| match outcome {
            Ok(session) => CodeUsed::Opened(session),
            Err(not) => not,
        }))
    }

    fn session_and_account(&self, token: &str) -> Result<Option<(Session, Account)>> {
        Ok(Store::session_and_account(self, token)?)
    }

    fn known_session_and_account(&self, token: &str) -> Option<(Session, Account)> {
        self.cached_session_and_account(token)
    }

    fn record_session_use(
        &self,
        token: &str,
        expected: Option<Timestamp>,
        seen: Timestamp,
    ) -> Result<bool> {
        Ok(Store::touch_session(self, token, expected, seen)?)
    }

    fn start_confirmation(
        &self,
        account: AccountId,
        session_token: &str,
        issue: &IssueConfirmation<'_>,
    ) -> Result<std::result::Result<(), u64>> {
        Ok(Store::start_confirmation(
            self,
            account,
            session_token,
            issue,
        )?)
    }

    fn check_confirmation(
        &self,
        account: AccountId,
        session_token: &str,
        decide: &DecideConfirmation<'_>,
    ) -> Result<Confirmation> {
        Ok(Store::check_confirmation(
            self,
            account,
            session_token,
            decide,
        )?)
    }

    fn close_session(&self, token: &str, audit: &AuditEvent) -> Result<()> {
        Ok(Store::close_session(self, token, audit)?)
    }

    fn issue_token(
        &self,
        token: &str,
        record: &OneTimeToken,
        email: &Notification,
        audit: &AuditEvent,
    ) -> Result<()> {
        Ok(Store::issue_token(self, token, record, email, audit)?)
    }

    fn peek_token_account(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<Account>> {
        Ok(Store::peek_token_account(self, token, purpose, now)?)
    }

    fn redeem_token(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: Timestamp,
        change: &RedeemChange<'_>,
        audit: &RedeemAudit<'_>,
    ) -> Result<Option<Account>> {
        Ok(Store::redeem_token(
            self, token, purpose, now, change, audit,
        )?)
    }
}

impl RegistrationStore for Store {
    fn register_or_notify(
        &self,
        new: &NewRegistration<'_>,
        refusal: &RegistrationRefusal<'_>,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Result<Registered> {
        let activation = crate::accounts::Activation {
            token: new.activation_token,
            record: new.activation,
            email: new.activation_email,
        };
        let messages = crate::account_security::RegistrationMessages {
            created_event: new.created,
            email_taken: refusal.email_taken,
            not_completed: refusal.not_completed,
            national_id_owner: refusal.national_id_owner,
            refused_event: refusal.refused,
        };
        let done = Store::register_or_notify(
            self,
            new.account,
            new.patient,
            activation,
            &messages,
            now,
            policy,
        )?;
        Ok(match done {
            crate::account_security::Registration::Created => Registered::Created,
            crate::account_security::Registration::EmailTaken => Registered::EmailTaken,
            crate::account_security::Registration::NationalIdTaken => Registered::NationalIdTaken,
        })
    }
}
