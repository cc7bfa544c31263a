//! Confirmation of the changes a stolen session alone must not make (core `confirmation.rs`):
//! a code sent by SMS to the account's current phone, bound to the session and purpose it
//! was asked for, then typed with the password. The doors ask for a code here and check it
//! before the change it allows (a new phone or e-mail, erasure).

use crate::error::AppError;
use crate::login::{Passwords, new_otp_code};
use crate::{App, Contact};
use teleconsult_core::account::{Account, ConfirmationPurpose, LoginChallenge};
use teleconsult_core::confirmation::{Attempt, Confirmation, PendingConfirmation};
use teleconsult_core::ports::RepositoryError;

impl App {
    /// Sends a confirmation code for `purpose` by SMS to `actor`'s current phone, bound to
    /// their session `session_token` (replacing any earlier code). The seconds it stays valid;
    /// [`AppError::TooManyCodes`] once the window's budget is spent.
    pub fn send_confirmation_code(
        &self,
        actor: &Account,
        session_token: &str,
        purpose: ConfirmationPurpose,
    ) -> Result<i64, AppError> {
        let now = self.now();
        let policy = &self.settings.login;
        let code = new_otp_code();
        let sms = self
            .texts
            .confirmation_code(&Contact::from(actor), purpose, &code, now);
        let challenge = LoginChallenge::new(actor.id, code, now, policy);
        let issue = |previous: Option<&PendingConfirmation>, session: &str| {
            let record = PendingConfirmation::issue(
                previous,
                purpose,
                session.to_owned(),
                challenge.clone(),
                policy,
            )?;
            Ok((record, sms.clone()))
        };
        match self
            .store
            .start_confirmation(actor.id, session_token, &issue)
        {
            Ok(Ok(())) => Ok(policy.otp_ttl.as_secs()),
            Ok(Err(wait)) => Err(AppError::TooManyCodes {
                retry_after_s: wait,
            }),
            Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }

    /// Checks the password and code `actor` typed in session `session_token` for `purpose`;
    /// `Ok` uses the code up. Wrong ones count toward the code's tries and the account's
    /// lockout, on both as stored.
    pub fn check_confirmation(
        &self,
        actor: &Account,
        session_token: &str,
        purpose: ConfirmationPurpose,
        password: Option<&str>,
        code: Option<&str>,
        mut passwords: impl Passwords,
    ) -> Result<(), AppError> {
        let (Some(password), Some(code)) = (password, code) else {
            return Err(AppError::ConfirmationRequired);
        };
        let now = self.now();
        let current = self
            .store
            .find_account(actor.id)?
            .ok_or(AppError::NotFound)?;
        let password_ok = passwords.verify(password, Some(&current.password_hash));
        drop(passwords);
        let policy = &self.settings.login;
        let decide =
            |record: Option<&mut PendingConfirmation>, holder: &mut Account, session: &str| {
                let attempt = Attempt {
                    session,
                    purpose,
                    code,
                    password_ok,
                };
                PendingConfirmation::check(record, holder, attempt, now, policy)
            };
        match self
            .store
            .check_confirmation(actor.id, session_token, &decide)?
        {
            Confirmation::Confirmed => Ok(()),
            Confirmation::Locked { until } => Err(AppError::Locked { until, now }),
            refused => Err(AppError::NotConfirmed(refused)),
        }
    }
}
