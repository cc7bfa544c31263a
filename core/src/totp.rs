//! The second factor that needs no network: time-based one-time passwords (TOTP, RFC 6238) from
//! an authenticator app, as an alternative to the SMS code of a login.
//!
//! HMAC-SHA-1, 6 digits, 30-second steps — what every authenticator app reads from an
//! `otpauth://totp/…` QR code —, codes of the step before and after the current one accepted
//! (clocks drift, people type slowly), and **each step's code accepted once**: the step of the
//! last accepted code is kept with the enrolment, and a code of that step or an earlier one is
//! refused (RFC 6238 §5.2), so a code seen over a shoulder or typed twice opens nothing. The
//! caller keeps that rule race-free by deciding inside the transaction that writes the account.
//!
//! The secret (160 bits, drawn by the caller from the OS's generator) lives sealed with the
//! account; it is never logged (`Debug` redacts it) and shown only while enrolling.

use crate::Timestamp;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Length of a time step, in seconds.
pub const STEP_S: u64 = 30;
/// Steps accepted on either side of the current one.
pub const SKEW_STEPS: u64 = 1;
/// Length of a secret: 160 bits, RFC 4226's recommendation.
pub const SECRET_BYTES: usize = 20;
/// How long an enrolment waits for its first code before a new one must be started.
pub const PENDING_TTL: SignedDuration = SignedDuration::from_mins(10);

/// Which second factor a login asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// A 6-digit code sent by SMS to the account's phone.
    #[default]
    Sms,
    /// The current code of the account's authenticator app.
    Totp,
}

impl Factor {
    pub const ALL: [Factor; 2] = [Factor::Sms, Factor::Totp];

    pub const fn code(self) -> &'static str {
        match self {
            Factor::Sms => "sms",
            Factor::Totp => "totp",
        }
    }
}

impl std::str::FromStr for Factor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Factor::ALL
            .into_iter()
            .find(|f| f.code() == s.trim())
            .ok_or_else(|| format!("unknown second factor {s:?}: expected \"sms\" or \"totp\""))
    }
}

/// A TOTP secret. Stored as base32 text (what authenticator apps are given); its `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// A secret from random bytes drawn by the caller.
    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> Self {
        Self(bytes.to_vec())
    }

    /// RFC 4648 base32 without padding: what a person types into an app that cannot scan.
    pub fn base32(&self) -> String {
        totp_rs::Secret::from(self.0.as_slice())
            .to_base32()
            .to_string()
    }

    /// The code of time step `step` (Unix time / 30 s).
    pub fn code_at_step(&self, step: u64) -> String {
        self.token(step).to_string()
    }

    fn generator(&self) -> totp_rs::Totp {
        totp_rs::Builder::new()
            .with_secret(self.0.as_slice())
            .with_digits(DIGITS)
            .with_skew(0)
            .with_step_duration(STEP_S)
            .build_noncompliant()
    }

    fn token(&self, step: u64) -> totp_rs::Token {
        self.generator().generate(step.saturating_mul(STEP_S))
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TryFrom<String> for TotpSecret {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        let secret = totp_rs::Secret::try_from_base32(&text)
            .map_err(|_| "a TOTP secret must be base32 text".to_owned())?;
        if secret.len() < 16 {
            return Err("a TOTP secret must have at least 128 bits".to_owned());
        }
        Ok(Self(secret.to_vec()))
    }
}

impl From<TotpSecret> for String {
    fn from(secret: TotpSecret) -> Self {
        secret.base32()
    }
}

/// The time step of `now` (`None` before 1970: no code is accepted then).
pub fn step_of(now: Timestamp) -> Option<u64> {
    u64::try_from(now.as_second()).ok().map(|s| s / STEP_S)
}

/// Why a TOTP operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("an authenticator app is already set up for this account: remove it first")]
    AlreadyEnrolled,
    #[error("no authenticator app is set up for this account")]
    NotEnrolled,
    #[error("no set-up of an authenticator app is waiting, or it expired: start again")]
    NoPendingEnrolment,
    #[error("wrong code, or a code already used: type the code your app shows now")]
    WrongCode,
}

/// An account's authenticator app: pending until a first code confirms it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    pub secret: TotpSecret,
    pub created_at: Timestamp,
    /// When a first code confirmed the set-up; `None` while pending (then it is not used to log
    /// in, and expires [`PENDING_TTL`] after `created_at`).
    pub confirmed_at: Option<Timestamp>,
    /// The step of the last code accepted: codes of it and of earlier steps are refused.
    pub last_step: Option<u64>,
}

impl TotpEnrolment {
    /// A set-up waiting for its first code.
    pub fn pending(secret: TotpSecret, now: Timestamp) -> Self {
        Self {
            secret,
            created_at: now,
            confirmed_at: None,
            last_step: None,
        }
    }

    /// Confirmed: the account logs in with it.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some()
    }

    /// A pending set-up whose time ran out.
    pub fn pending_expired(&self, now: Timestamp) -> bool {
        !self.is_active()
            && self
                .created_at
                .checked_add(PENDING_TTL)
                .is_ok_and(|end| end <= now)
    }

    /// Checks `typed` at `now`: right for the current step or one step either side, and for a
    /// step later than the last accepted one. Records the step and returns it. Spaces are
    /// ignored (apps show `123 456`); each candidate is compared in constant time.
    pub fn accept(&mut self, typed: &str, now: Timestamp) -> Result<u64, TotpError> {
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if typed.len() != usize::from(DIGITS) || !typed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpError::WrongCode);
        }
        let current = step_of(now).ok_or(TotpError::WrongCode)?;
        let mut matched = None;
        for step in current.saturating_sub(SKEW_STEPS)..=current.saturating_add(SKEW_STEPS) {
            let right = crate::account::constant_time_eq(
                self.secret.code_at_step(step).as_bytes(),
                typed.as_bytes(),
            );
            let unused = self.last_step.is_none_or(|last| step > last);
            // Every candidate is computed whatever the earlier ones gave.
            if right && unused && matched.is_none() {
                matched = Some(step);
            }
        }
        let step = matched.ok_or(TotpError::WrongCode)?;
        self.last_step = Some(step);
        Ok(step)
    }
}

/// The `otpauth://` URI of the Key URI Format that authenticator apps read from a QR code:
/// `otpauth://totp/<issuer>:<login>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
/// The issuer (the site's name) and the login are percent-encoded; a colon in the issuer,
/// which would end it early in some apps, becomes a space.
pub fn otpauth_uri(issuer: &str, login: &str, secret: &TotpSecret) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let issuer = issuer.replace(':', " ");
    let issuer = utf8_percent_encode(issuer.trim(), NON_ALPHANUMERIC).to_string();
    let login = utf8_percent_encode(login.trim(), NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{issuer}:{login}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_S}",
        secret.base32()
    )
}

#[cfg(test)]
#[path = "totp_tests.rs"]
mod tests;
