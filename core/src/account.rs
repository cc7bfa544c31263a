//! Accounts and the rules of strong login: password, then a single-use SMS code or the code of
//! an authenticator app (see [`crate::totp`]); lockout after repeated failures; sessions with an absolute lifetime; single-use e-mailed tokens for
//! activation and password reset.
//!
//! Secrets (codes, tokens) are generated at the edge and passed in; this module only decides.

use crate::Timestamp;
use crate::ids::{AccountId, PatientId, PractitionerId};
use crate::site::Language;
use crate::totp::{Factor, TotpEnrolment, TotpError, TotpSecret};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

/// Where an account stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Registered; the activation link sent by e-mail has not been used yet. Cannot log in.
    PendingActivation,
    Active,
    /// Disabled by an administrator (or after erasure). Cannot log in.
    Disabled,
}

impl AccountStatus {
    /// Only active accounts may log in.
    pub fn may_log_in(self) -> bool {
        self == AccountStatus::Active
    }
}

/// What an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Patient,
    Practitioner,
    /// Booth operator or secretary.
    Staff,
    Pharmacist,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Patient,
        Role::Practitioner,
        Role::Staff,
        Role::Pharmacist,
        Role::Admin,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Practitioner => "practitioner",
            Role::Staff => "staff",
            Role::Pharmacist => "pharmacist",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown role {s:?}: expected patient, practitioner, staff, pharmacist or admin"
                )
            })
    }
}

/// A user account of any role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    /// What the user types to log in: the e-mail address for patients (lowercased).
    pub login: String,
    pub role: Role,
    /// Display name.
    pub name: String,
    pub email: String,
    /// E.164 mobile number receiving the login codes.
    pub phone: String,
    pub language: Language,
    /// argon2id PHC string (never the password itself).
    pub password_hash: String,
    pub status: AccountStatus,
    /// The patient record of a patient account.
    pub patient: Option<PatientId>,
    /// The practitioner record of a practitioner account.
    pub practitioner: Option<PractitionerId>,
    /// Consecutive failed passwords or codes since the last successful login.
    pub failed_attempts: u32,
    /// No login before this instant (too many failures).
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Sessions opened before this instant are void (set when the password changes).
    #[serde(default)]
    pub sessions_not_before: Option<Timestamp>,
    /// Patients this account books for (children, parents…): the account is their proxy.
    #[serde(default)]
    pub relatives: Vec<PatientId>,
    /// The account's authenticator app (TOTP), confirmed or waiting for its first code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpEnrolment>,
}

impl Account {
    /// Whether this account may act for `patient`: its own record or one of its relatives.
    pub fn acts_for(&self, patient: PatientId) -> bool {
        self.patient == Some(patient) || self.relatives.contains(&patient)
    }

    /// An authenticator app is set up and confirmed.
    pub fn uses_totp(&self) -> bool {
        self.totp.as_ref().is_some_and(TotpEnrolment::is_active)
    }

    /// The second factor a login of this account asks for, on a site that offers TOTP when
    /// `totp_offered`: the app's code once one is confirmed, else an SMS code.
    pub fn login_factor(&self, totp_offered: bool) -> Factor {
        if totp_offered && self.uses_totp() {
            Factor::Totp
        } else {
            Factor::Sms
        }
    }

    /// Starts setting up an authenticator app with `secret` (replacing a set-up still waiting
    /// for its first code). Refused while one is confirmed: it must be removed first.
    pub fn start_totp(&mut self, secret: TotpSecret, now: Timestamp) -> Result<(), TotpError> {
        if self.uses_totp() {
            return Err(TotpError::AlreadyEnrolled);
        }
        self.totp = Some(TotpEnrolment::pending(secret, now));
        Ok(())
    }

    /// The first code of the app being set up: from now on logins ask for the app's code.
    pub fn confirm_totp(&mut self, typed: &str, now: Timestamp) -> Result<(), TotpError> {
        let Some(enrolment) = self.totp.as_mut() else {
            return Err(TotpError::NoPendingEnrolment);
        };
        if enrolment.is_active() {
            return Err(TotpError::AlreadyEnrolled);
        }
        if enrolment.pending_expired(now) {
            return Err(TotpError::NoPendingEnrolment);
        }
        enrolment.accept(typed, now)?;
        enrolment.confirmed_at = Some(now);
        Ok(())
    }

    /// Removes the confirmed app, given one of its current codes (the caller checks the
    /// password): logins ask for an SMS code again.
    pub fn remove_totp(&mut self, typed: &str, now: Timestamp) -> Result<(), TotpError> {
        match self.totp.as_mut() {
            Some(enrolment) if enrolment.is_active() => {
                enrolment.accept(typed, now)?;
                self.totp = None;
                Ok(())
            }
            _ => Err(TotpError::NotEnrolled),
        }
    }
}

/// The knobs of login security. Defaults follow common guidance (NIST SP 800-63B, ANSSI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures that lock the account.
    pub max_failures: u32,
    /// First lockout; each further series of failures doubles it, up to `max_lockout`.
    pub lockout: SignedDuration,
    pub max_lockout: SignedDuration,
    /// How long an SMS code is valid.
    pub otp_ttl: SignedDuration,
    /// Wrong codes accepted per challenge before it is void.
    pub otp_attempts: u32,
    /// Absolute lifetime of a session.
    pub session_ttl: SignedDuration,
    /// A session unused this long is over (`auth.idle_timeout_min`), whatever its absolute
    /// lifetime says.
    pub idle_timeout: SignedDuration,
    /// How long an activation link is valid; an account still unactivated then is a
    /// registration that expired (its national id and e-mail are free again).
    pub activation_ttl: SignedDuration,
    pub password_reset_ttl: SignedDuration,
    /// Confirmation codes one account may ask for per [`LoginPolicy::confirmation_window`]
    /// (each is an SMS to the account's phone).
    pub confirmation_codes: u32,
    pub confirmation_window: SignedDuration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: SignedDuration::from_mins(15),
            max_lockout: SignedDuration::from_hours(24),
            otp_ttl: SignedDuration::from_mins(5),
            otp_attempts: 3,
            session_ttl: SignedDuration::from_hours(8),
            idle_timeout: SignedDuration::from_mins(15),
            activation_ttl: SignedDuration::from_hours(48),
            password_reset_ttl: SignedDuration::from_hours(1),
            confirmation_codes: 5,
            confirmation_window: SignedDuration::from_mins(15),
        }
    }
}

/// Why a login cannot proceed for an account whose password was right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginRefused {
    #[error("the account is not activated yet: use the link in the activation e-mail")]
    NotActivated,
    #[error("the account is disabled")]
    Disabled,
    #[error("too many failed attempts: try again later")]
    Locked { until: Timestamp },
}

impl Account {
    /// Whether this account may attempt a login now (before any secret is checked, so that a
    /// locked account gives nothing away, not even whether the password is right).
    pub fn may_attempt_login(&self, now: Timestamp) -> Result<(), LoginRefused> {
        if let Some(until) = self.locked_until
            && until > now
        {
            return Err(LoginRefused::Locked { until });
        }
        Ok(())
    }

    /// Whether the (authenticated) account may receive a session.
    pub fn may_log_in(&self) -> Result<(), LoginRefused> {
        match self.status {
            AccountStatus::Active => Ok(()),
            AccountStatus::PendingActivation => Err(LoginRefused::NotActivated),
            AccountStatus::Disabled => Err(LoginRefused::Disabled),
        }
    }

    /// A failed password or code: counts it and locks the account after every
    /// `max_failures`-th consecutive one, doubling the lock each time.
    pub fn record_failure(&mut self, now: Timestamp, policy: &LoginPolicy) {
        self.failed_attempts = self.failed_attempts.saturating_add(1);
        if policy.max_failures > 0 && self.failed_attempts.is_multiple_of(policy.max_failures) {
            let series = self.failed_attempts / policy.max_failures;
            let factor = 1_i32
                .checked_shl(series.saturating_sub(1).min(16))
                .unwrap_or(i32::MAX);
            let lock = policy
                .lockout
                .checked_mul(factor)
                .unwrap_or(policy.max_lockout)
                .min(policy.max_lockout);
            self.locked_until = now.checked_add(lock).ok();
        }
    }

    /// A complete login: failures are forgotten.
    pub fn record_success(&mut self) {
        self.failed_attempts = 0;
        self.locked_until = None;
    }

    /// A self-registration never activated within the activation link's lifetime: it is
    /// removed, and its national id and e-mail are free for a new registration.
    pub fn registration_expired(&self, now: Timestamp, policy: &LoginPolicy) -> bool {
        self.status == AccountStatus::PendingActivation
            && self
                .created_at
                .checked_add(policy.activation_ttl)
                .is_ok_and(|end| end <= now)
    }
}

/// What a confirmation code (sent by SMS to the account's current phone, typed together with
/// the password) authorises: the changes a stolen session alone must not be able to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationPurpose {
    /// A new phone number or e-mail address (the e-mail is a patient's login).
    ContactChange,
    /// Erasure of the account (GDPR art. 17).
    Erasure,
}

impl ConfirmationPurpose {
    pub const fn code(self) -> &'static str {
        match self {
            ConfirmationPurpose::ContactChange => "contact_change",
            ConfirmationPurpose::Erasure => "erasure",
        }
    }
}

/// The second step of a login: a code sent by SMS, or the code of the account's authenticator
/// app, waiting to be typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginChallenge {
    pub account: AccountId,
    /// Which code it takes (challenges stored before TOTP existed are SMS ones).
    #[serde(default)]
    pub factor: Factor,
    /// The SMS code: six digits, generated at the edge (empty for [`Factor::Totp`]).
    pub code: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Wrong codes typed so far.
    pub attempts: u32,
}

/// Why a code was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    #[error("the code has expired: log in again to get a new one")]
    Expired,
    #[error("wrong code")]
    Wrong { remaining: u32 },
    #[error("too many wrong codes: log in again to get a new one")]
    Exhausted,
}

impl LoginChallenge {
    /// A challenge answered by the SMS code `code`.
    pub fn new(account: AccountId, code: String, now: Timestamp, policy: &LoginPolicy) -> Self {
        let expires_at = now.checked_add(policy.otp_ttl).unwrap_or(now);
        Self {
            account,
            factor: Factor::Sms,
            code,
            created_at: now,
            expires_at,
            attempts: 0,
        }
    }

    /// A challenge answered by the code of the account's authenticator app (nothing is sent);
    /// same lifetime and attempts as an SMS code.
    pub fn for_totp(account: AccountId, now: Timestamp, policy: &LoginPolicy) -> Self {
        Self {
            factor: Factor::Totp,
            ..Self::new(account, String::new(), now, policy)
        }
    }

    /// Checks a typed code against the SMS code, or — for a TOTP challenge — against
    /// `account`'s authenticator app, recording the step used on it (a code works once). On
    /// `Wrong` the caller stores the updated challenge; on any other error the challenge is
    /// void and must be deleted. A TOTP challenge whose account no longer has a confirmed app
    /// (reset meanwhile) is void.
    pub fn verify(
        &mut self,
        typed: &str,
        account: &mut Account,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Result<(), OtpError> {
        if now >= self.expires_at {
            return Err(OtpError::Expired);
        }
        if self.attempts >= policy.otp_attempts {
            return Err(OtpError::Exhausted);
        }
        let right = match self.factor {
            Factor::Sms => {
                self.code.len() == 6
                    && constant_time_eq(typed.trim().as_bytes(), self.code.as_bytes())
            }
            Factor::Totp => match account.totp.as_mut() {
                Some(enrolment) if enrolment.is_active() && account.id == self.account => {
                    enrolment.accept(typed, now).is_ok()
                }
                _ => return Err(OtpError::Expired),
            },
        };
        if right {
            return Ok(());
        }
        self.attempts += 1;
        if self.attempts >= policy.otp_attempts {
            Err(OtpError::Exhausted)
        } else {
            Err(OtpError::Wrong {
                remaining: policy.otp_attempts - self.attempts,
            })
        }
    }
}

/// Compares without an early exit, so timing does not tell how many leading characters match.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A logged-in session. The token itself is never stored: the store keys sessions by its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub account: AccountId,
    pub role: Role,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Token that cookie-authenticated forms and requests must echo (CSRF protection).
    pub csrf_token: String,
    /// Last time the session was seen in use, recorded at most every
    /// [`Session::touch_interval`] (sessions stored before idle timeouts existed have none:
    /// their creation counts).
    #[serde(default)]
    pub last_seen: Option<Timestamp>,
}

impl Session {
    pub fn new(
        account: &Account,
        csrf_token: String,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Self {
        Self {
            account: account.id,
            role: account.role,
            created_at: now,
            expires_at: now.checked_add(policy.session_ttl).unwrap_or(now),
            csrf_token,
            last_seen: None,
        }
    }

    pub fn is_valid(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }

    /// When the session was last recorded in use.
    pub fn last_active(&self) -> Timestamp {
        self.last_seen.unwrap_or(self.created_at)
    }

    /// Unused for `idle` or longer (as far as recorded: see [`Session::touch_interval`]).
    pub fn is_idle(&self, now: Timestamp, idle: SignedDuration) -> bool {
        self.last_active()
            .checked_add(idle)
            .is_ok_and(|end| end <= now)
    }

    /// How stale the recorded use may get before a request records it again: a minute, or a
    /// quarter of the idle timeout when that is shorter, so that the session ends at most this
    /// much before `idle` has passed since its last real use, and the store is written at most
    /// once per interval per session rather than on every request.
    pub fn touch_interval(idle: SignedDuration) -> SignedDuration {
        SignedDuration::from_secs(60).min(idle / 4)
    }

    /// Whether a request at `now` should record the session's use.
    pub fn needs_touch(&self, now: Timestamp, idle: SignedDuration) -> bool {
        self.last_active()
            .checked_add(Self::touch_interval(idle))
            .is_ok_and(|due| due <= now)
    }

    /// Valid at `now` for `account`, counting the idle timeout too.
    pub fn is_live_for(&self, account: &Account, now: Timestamp, policy: &LoginPolicy) -> bool {
        self.is_valid_for(account, now) && !self.is_idle(now, policy.idle_timeout)
    }

    /// Valid at `now` for `account` (same account, not voided by a password change).
    pub fn is_valid_for(&self, account: &Account, now: Timestamp) -> bool {
        self.is_valid(now)
            && self.account == account.id
            && account
                .sessions_not_before
                .is_none_or(|t| self.created_at >= t)
    }
}

/// What an e-mailed single-use token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    Activation,
    PasswordReset,
}

/// A single-use token sent by e-mail (stored by the hash of its value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeToken {
    pub purpose: TokenPurpose,
    pub account: AccountId,
    pub expires_at: Timestamp,
}

impl OneTimeToken {
    pub fn new(
        purpose: TokenPurpose,
        account: AccountId,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Self {
        let ttl = match purpose {
            TokenPurpose::Activation => policy.activation_ttl,
            TokenPurpose::PasswordReset => policy.password_reset_ttl,
        };
        Self {
            purpose,
            account,
            expires_at: now.checked_add(ttl).unwrap_or(now),
        }
    }

    /// Usable for `purpose` at `now`.
    pub fn is_valid_for(&self, purpose: TokenPurpose, now: Timestamp) -> bool {
        self.purpose == purpose && now < self.expires_at
    }
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
