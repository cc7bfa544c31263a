//! The caller's authenticator app (TOTP, RFC 6238; rules in core `totp.rs`): set up with the
//! password and a first code, removed with the password and a current code — a stolen session
//! alone cannot move the account's second factor to another phone. A wrong password or code
//! counts toward the account's lockout, as at login. The owner is told by e-mail when an app is
//! set up or removed. Each change is one transaction on the account as stored then.

use crate::error::AppError;
use crate::login::Passwords;
use crate::{App, Contact, actor_of, event};
use std::cell::RefCell;
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, LoginRefused};
use teleconsult_core::audit::{Action, AuditEvent};
use teleconsult_core::notification::Notification;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::totp::{self, TotpError, TotpSecret};

/// What the owner is told by e-mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthenticatorChange {
    /// A first code confirmed a new app.
    SetUp,
    /// The owner removed their app.
    Removed,
}

fn changed(actor: &Account, now: Timestamp) -> AuditEvent {
    event(now, &actor_of(actor), Action::Update, "totp", actor.id)
}

/// A new secret from the system's randomness.
fn new_secret() -> Result<TotpSecret, AppError> {
    use rand::TryRng;
    let mut bytes = [0u8; totp::SECRET_BYTES];
    rand::rngs::SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| AppError::Internal(format!("no randomness from the system: {e}")))?;
    Ok(TotpSecret::from_bytes(bytes))
}

impl App {
    fn totp_offered(&self) -> Result<(), AppError> {
        if self.settings.totp_offered {
            Ok(())
        } else {
            Err(AppError::TotpNotOffered)
        }
    }

    /// Checks `account`'s password as stored now; a wrong one counts toward the lockout. The
    /// hash checked, to make sure the change that follows sees the same.
    fn check_own_password(
        &self,
        account: &Account,
        password: &str,
        mut passwords: impl Passwords,
        now: Timestamp,
    ) -> Result<String, AppError> {
        let stored = self
            .store
            .find_account(account.id)?
            .ok_or(AppError::NotFound)?;
        if let Err(LoginRefused::Locked { until }) = stored.may_attempt_login(now) {
            return Err(AppError::Locked { until, now });
        }
        if passwords.verify(password, Some(&stored.password_hash)) {
            return Ok(stored.password_hash);
        }
        drop(passwords);
        self.count_proof_failure(account, now)?;
        Err(AppError::WrongPassword)
    }

    /// A wrong password or code of a logged-in account, counted on it as stored now.
    fn count_proof_failure(&self, account: &Account, now: Timestamp) -> Result<(), AppError> {
        match self.record_failure(account.id, now) {
            Ok(None) => Ok(()),
            Ok(Some(until)) => Err(AppError::Locked { until, now }),
            Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }

    /// Starts setting up an authenticator app for `actor`'s own account: checks the password
    /// and stores a new secret, pending until [`App::confirm_authenticator`]. The account as
    /// saved (its pending set-up holds the secret to show).
    pub fn start_authenticator(
        &self,
        actor: &Account,
        password: &str,
        passwords: impl Passwords,
    ) -> Result<Account, AppError> {
        self.totp_offered()?;
        let now = self.now();
        let checked = self.check_own_password(actor, password, passwords, now)?;
        let secret = new_secret()?;
        let start = |stored: &mut Account| {
            if stored.password_hash != checked {
                return Err(AppError::PasswordChanged);
            }
            stored
                .start_totp(secret.clone(), now)
                .map_err(AppError::Totp)
        };
        self.change_own_app(actor, &start, &[], now)
    }

    /// Confirms `actor`'s pending set-up with a first code from the app; the owner is told.
    pub fn confirm_authenticator(&self, actor: &Account, code: &str) -> Result<(), AppError> {
        self.totp_offered()?;
        let now = self.now();
        let told = self.texts.authenticator_changed(
            &Contact::from(actor),
            AuthenticatorChange::SetUp,
            now,
        );
        let confirm = |stored: &mut Account| stored.confirm_totp(code, now).map_err(AppError::Totp);
        self.change_own_app(actor, &confirm, &[told], now).map(drop)
    }

    /// Removes `actor`'s authenticator app with the password and a current code; the owner is
    /// told. A wrong code counts toward the lockout, as a wrong password does.
    pub fn remove_authenticator(
        &self,
        actor: &Account,
        password: &str,
        code: &str,
        passwords: impl Passwords,
    ) -> Result<(), AppError> {
        let now = self.now();
        self.check_own_password(actor, password, passwords, now)?;
        let told = self.texts.authenticator_changed(
            &Contact::from(actor),
            AuthenticatorChange::Removed,
            now,
        );
        let remove = |stored: &mut Account| {
            if let Err(LoginRefused::Locked { until }) = stored.may_attempt_login(now) {
                return Err(AppError::Locked { until, now });
            }
            stored.remove_totp(code, now).map_err(AppError::Totp)
        };
        match self.change_own_app(actor, &remove, &[told], now) {
            Ok(_) => Ok(()),
            Err(refused @ AppError::Totp(TotpError::WrongCode)) => {
                self.count_proof_failure(actor, now)?;
                Err(refused)
            }
            Err(other) => Err(other),
        }
    }

    /// Changes `actor`'s own account as stored with `change` — its refusal returned, nothing
    /// written —, queueing `notices` and recording the change of their authenticator app.
    fn change_own_app(
        &self,
        actor: &Account,
        change: &dyn Fn(&mut Account) -> Result<(), AppError>,
        notices: &[Notification],
        now: Timestamp,
    ) -> Result<Account, AppError> {
        let refusal = RefCell::new(None);
        let apply = |stored: &mut Account| match change(stored) {
            Ok(()) => true,
            Err(e) => {
                *refusal.borrow_mut() = Some(e);
                false
            }
        };
        let audit = changed(actor, now);
        match self
            .store
            .change_account_with(actor.id, &apply, notices, Some(&audit))
        {
            Ok(Some(account)) => Ok(account),
            Ok(None) => Err(refusal.take().unwrap_or_else(|| {
                AppError::Internal("the authenticator app did not change".into())
            })),
            Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }
}
