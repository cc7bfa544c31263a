//! Logging in and out, activation and password reset — the rules of `docs/security.md`
//! ("Login"), one implementation for the JSON API and the pages. A login is two steps: the
//! password, then a 6-digit code (sent by SMS, or shown by the account's authenticator app);
//! failures count on the account as stored, so attempts in parallel each see the others'
//! and lock it after `LoginPolicy::max_failures`. Answers never say whether a login exists.
//! The per-address rate limits and the bound on password hashing at once are the door's.

use crate::error::AppError;
use crate::{App, Contact, event};
use base64::Engine;
use rand::RngExt;
use std::cell::RefCell;
use teleconsult_core::Timestamp;
use teleconsult_core::account::{
    Account, AccountStatus, LoginChallenge, LoginRefused, OneTimeToken, OtpError, Session,
    TokenPurpose,
};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::ids::AccountId;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::sessions::{CodeOutcome, CodeUsed};
use teleconsult_core::totp::Factor;

/// A new random secret: session and CSRF tokens, challenge ids, link tokens (256 bits,
/// URL-safe).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new 6-digit code for an SMS.
pub fn new_otp_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// Checks and makes password hashes. The door bounds how many run at once (each takes tens
/// of MB): it passes its permit, which the use case gives back as soon as the hash is done.
pub trait Passwords {
    /// Whether `password` matches the PHC string `stored`; with `None`, spends the same time
    /// and says no (so a missing login takes as long as a wrong password).
    fn verify(&mut self, password: &str, stored: Option<&str>) -> bool;
    /// The PHC string of `password` with a fresh salt.
    fn hash(&mut self, password: &str) -> Result<String, AppError>;
}

/// The first step passed: send back `challenge_id` with the code `factor` says.
#[derive(Clone, Debug)]
pub struct Challenge {
    pub challenge_id: String,
    pub factor: Factor,
}

/// A session just opened.
#[derive(Clone, Debug)]
pub struct Opened {
    /// The bearer token (also the cookie's value).
    pub token: String,
    pub session: Session,
}

/// What `finish_login` answers for a wrong code: the message the pages read the attempts
/// left from (`attempts_left`).
pub const WRONG_CODE_PREFIX: &str = "wrong code (";

fn invalid_credentials() -> AppError {
    AppError::Unauthenticated {
        code: "invalid_credentials",
        message: "the login or the password is wrong".into(),
    }
}

fn invalid_code() -> AppError {
    AppError::Unauthenticated {
        code: "invalid_code",
        message: "the code is wrong, expired or already used".into(),
    }
}

/// A refusal before any secret is checked.
fn refused(e: LoginRefused, now: Timestamp) -> AppError {
    match e {
        LoginRefused::Locked { until } => AppError::Locked { until, now },
        LoginRefused::NotActivated => AppError::NotActivated,
        LoginRefused::Disabled => invalid_credentials(),
    }
}

/// May `account` log in with a password just checked right? (A disabled account is told the
/// password is wrong: nothing to learn there.)
fn may_log_in(account: &Account, now: Timestamp) -> Result<(), AppError> {
    account
        .may_attempt_login(now)
        .map_err(|e| refused(e, now))?;
    account.may_log_in().map_err(|e| refused(e, now))
}

impl App {
    /// First login step: checks the password of `login` and, when right, sends a 6-digit
    /// code by SMS — or, for an account with a confirmed authenticator app on a site offering
    /// them, sends nothing: the app's code is expected. A wrong password counts on the
    /// account; a locked account is refused before its password is checked.
    pub fn start_login(
        &self,
        login: &str,
        password: &str,
        mut passwords: impl Passwords,
    ) -> Result<Challenge, AppError> {
        let now = self.now();
        let Some(account) = self.store.find_account_by_login(login)? else {
            passwords.verify(password, None);
            return Err(invalid_credentials());
        };
        account.may_attempt_login(now).map_err(|e| match e {
            LoginRefused::Locked { .. } => refused(e, now),
            _ => invalid_credentials(),
        })?;
        let checked_hash = account.password_hash.clone();
        let right = passwords.verify(password, Some(&checked_hash));
        drop(passwords);
        if !right {
            return Err(self.count_failure(&account, now));
        }
        may_log_in(&account, now)?;
        // The code goes out only if, as stored now, the account may still log in with the
        // password just checked (not locked, disabled or given a new password meanwhile).
        let challenge_id = new_secret();
        let code = new_otp_code();
        let refusal = RefCell::new(None);
        let issue = |stored: &Account| {
            let checked = may_log_in(stored, now).and_then(|()| {
                if stored.password_hash == checked_hash {
                    Ok(())
                } else {
                    Err(invalid_credentials())
                }
            });
            if let Err(e) = checked {
                *refusal.borrow_mut() = Some(e);
                return None;
            }
            let policy = &self.settings.login;
            if stored.login_factor(self.settings.totp_offered) == Factor::Totp {
                // Works with the SMS gateway (and the WAN) out of reach: nothing is sent.
                return Some((LoginChallenge::for_totp(stored.id, now, policy), None));
            }
            let sms = self.texts.login_code(&Contact::from(stored), &code, now);
            let challenge = LoginChallenge::new(stored.id, code.clone(), now, policy);
            Some((challenge, Some(sms)))
        };
        match self
            .store
            .start_challenge(&challenge_id, account.id, &issue)
        {
            Ok(Some(challenge)) => Ok(Challenge {
                challenge_id,
                factor: challenge.factor,
            }),
            Ok(None) => Err(refusal.take().unwrap_or_else(invalid_credentials)),
            Err(RepositoryError::NotFound(_)) => Err(invalid_credentials()),
            Err(other) => Err(other.into()),
        }
    }

    /// Counts a failed password or code on account `id` as stored now (failures in parallel
    /// all count). `Some(until)` when it was found locked meanwhile: not counted, as it would
    /// have been refused a moment later.
    pub(crate) fn record_failure(
        &self,
        id: AccountId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, RepositoryError> {
        let locked = RefCell::new(None);
        let count = |stored: &mut Account| {
            if let Err(LoginRefused::Locked { until }) = stored.may_attempt_login(now) {
                *locked.borrow_mut() = Some(until);
                return false;
            }
            stored.record_failure(now, &self.settings.login);
            true
        };
        self.store.change_account_with(id, &count, &[], None)?;
        Ok(locked.take())
    }

    /// A wrong password at login, counted (see [`App::record_failure`]): the answer to give.
    fn count_failure(&self, account: &Account, now: Timestamp) -> AppError {
        match self.record_failure(account.id, now) {
            Ok(None) | Err(RepositoryError::NotFound(_)) => invalid_credentials(),
            Ok(Some(until)) => AppError::Locked { until, now },
            Err(other) => other.into(),
        }
    }

    /// Second step: the code of challenge `challenge_id` (SMS or authenticator app) opens a
    /// session. A wrong code counts on the challenge (its attempts) and the account (its
    /// lockout), as stored at that moment.
    pub fn finish_login(&self, challenge_id: &str, code: &str) -> Result<Opened, AppError> {
        let now = self.now();
        let token = new_secret();
        let csrf = new_secret();
        let policy = &self.settings.login;
        let error = RefCell::new(None);
        let decide = |challenge: &mut LoginChallenge, account: &mut Account| {
            if let Err(LoginRefused::Locked { until }) = account.may_attempt_login(now) {
                *error.borrow_mut() = Some(AppError::Locked { until, now });
                return CodeOutcome::Refused;
            }
            if let Err(e) = challenge.verify(code, account, now, policy) {
                account.record_failure(now, policy);
                let keep = matches!(e, OtpError::Wrong { .. });
                *error.borrow_mut() = Some(match e {
                    OtpError::Wrong { remaining } => AppError::Unauthenticated {
                        code: "invalid_code",
                        message: format!("{WRONG_CODE_PREFIX}{remaining} attempt(s) left)"),
                    },
                    other => AppError::Unauthenticated {
                        code: "code_expired",
                        message: other.to_string(),
                    },
                });
                return CodeOutcome::Failed { keep };
            }
            if account.may_log_in().is_err() {
                *error.borrow_mut() = Some(invalid_code());
                return CodeOutcome::Refused;
            }
            account.record_success();
            let session = Session::new(account, csrf.clone(), now, policy);
            let actor = Actor::Account(account.id.to_string());
            let audit = event(now, &actor, Action::Login, "account", account.id);
            CodeOutcome::Open { session, audit }
        };
        match self.store.use_challenge(challenge_id, &token, &decide)? {
            Some(CodeUsed::Opened(session)) => Ok(Opened { token, session }),
            Some(CodeUsed::Failed | CodeUsed::Refused) => {
                Err(error.take().unwrap_or_else(invalid_code))
            }
            None => Err(invalid_code()),
        }
    }

    /// The session of bearer token `token` and its account, from memory only (never waits
    /// on storage): `None` when not at hand — then [`App::login_session`].
    pub fn known_session(&self, token: &str) -> Option<(Session, Account)> {
        self.store.known_session_and_account(token)
    }

    /// The session of bearer token `token` and its account, if any (valid or not: see
    /// [`App::live_session`]).
    pub fn login_session(&self, token: &str) -> Result<Option<(Session, Account)>, AppError> {
        Ok(self.store.session_and_account(token)?)
    }

    /// Whether `session` of `account` still authenticates at `now` (absolute lifetime, idle
    /// limit, the account's state and password changes); and whether its use is to be
    /// recorded (at most once a minute or so, see `Session::needs_touch`).
    pub fn live_session(&self, session: &Session, account: &Account, now: Timestamp) -> Live {
        if !session.is_live_for(account, now, &self.settings.login) || !account.status.may_log_in()
        {
            return Live::No;
        }
        if session.needs_touch(now, self.settings.login.idle_timeout) {
            Live::Touch
        } else {
            Live::Yes
        }
    }

    /// Records that session `token` was used at `now` (see [`App::live_session`]); a use
    /// recorded by another request in between wins.
    pub fn record_session_use(
        &self,
        token: &str,
        session: &Session,
        now: Timestamp,
    ) -> Result<(), AppError> {
        self.store
            .record_session_use(token, session.last_seen, now)?;
        Ok(())
    }

    /// Logout: `account`'s session `token` ends for good (audited).
    pub fn log_out(&self, account: &Account, token: &str) -> Result<(), AppError> {
        let actor = Actor::Account(account.id.to_string());
        let audit = event(self.now(), &actor, Action::Logout, "account", account.id);
        Ok(self.store.close_session(token, &audit)?)
    }

    /// Activates the account of activation token `token` (once); returns that account.
    pub fn activate(&self, token: &str) -> Result<Account, AppError> {
        let now = self.now();
        let activate = |account: &mut Account| {
            if account.status == AccountStatus::PendingActivation {
                account.status = AccountStatus::Active;
            }
        };
        let audit = |account: &Account| updated(account, now);
        self.store
            .redeem_token(token, TokenPurpose::Activation, now, &activate, &audit)?
            .ok_or(AppError::InvalidLink)
    }

    /// E-mails a password-reset link to `login`'s account if there is one and it is not
    /// disabled; says nothing either way. `client`: the requesting address, for the audit.
    pub fn request_password_reset(
        &self,
        login: &str,
        client: Option<String>,
    ) -> Result<(), AppError> {
        let now = self.now();
        let Some(account) = self.store.find_account_by_login(login)? else {
            return Ok(());
        };
        if account.status == AccountStatus::Disabled {
            return Ok(());
        }
        let token = new_secret();
        let email = self
            .texts
            .password_reset_link(&Contact::from(&account), &token, now);
        let record = OneTimeToken::new(
            TokenPurpose::PasswordReset,
            account.id,
            now,
            &self.settings.login,
        );
        let audit = event(
            now,
            &Actor::Anonymous(client),
            Action::Update,
            "password_reset",
            account.id,
        );
        Ok(self.store.issue_token(&token, &record, &email, &audit)?)
    }

    /// The account a still-usable password-reset token belongs to (nothing is redeemed).
    pub fn password_reset_account(&self, token: &str) -> Result<Option<Account>, AppError> {
        let now = self.now();
        Ok(self
            .store
            .peek_token_account(token, TokenPurpose::PasswordReset, now)?)
    }

    /// Sets a new password with reset token `token` (once): clears any lockout, and sessions
    /// opened with the old password end. A weak password leaves the token usable for a
    /// second try.
    pub fn confirm_password_reset(
        &self,
        token: &str,
        password: &str,
        mut passwords: impl Passwords,
    ) -> Result<Account, AppError> {
        let now = self.now();
        // The strength rule needs the login, known once the token is resolved.
        let account = self
            .store
            .peek_token_account(token, TokenPurpose::PasswordReset, now)?
            .ok_or(AppError::InvalidLink)?;
        teleconsult_core::validation::check_password(password, &account.login)
            .map_err(|e| AppError::field("password", e.to_string()))?;
        let hash = passwords.hash(password)?;
        drop(passwords);
        let change = |a: &mut Account| {
            a.password_hash = hash.clone();
            a.record_success();
            a.sessions_not_before = Some(now);
        };
        let audit = |a: &Account| updated(a, now);
        self.store
            .redeem_token(token, TokenPurpose::PasswordReset, now, &change, &audit)?
            .ok_or(AppError::InvalidLink)
    }
}

/// Whether a session authenticates (see [`App::live_session`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    No,
    Yes,
    /// Yes, and its use is to be recorded ([`App::record_session_use`]).
    Touch,
}

fn updated(account: &Account, now: Timestamp) -> teleconsult_core::audit::AuditEvent {
    let actor = Actor::Account(account.id.to_string());
    event(now, &actor, Action::Update, "account", account.id)
}
