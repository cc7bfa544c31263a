//! Confirmation codes: what a stolen session alone must not do — change the phone number or
//! e-mail address, erase the account — takes the password and a code sent by SMS to the
//! phone the account has *now*. The code is bound to the session and the purpose it was asked
//! for, single-use, valid `LoginPolicy::otp_ttl`, `otp_attempts` wrong tries; wrong passwords
//! and codes count toward the account's lockout; at most `confirmation_codes` codes per
//! account per `confirmation_window`. These are the rules; adapters store the record (one per
//! account) and run them on it and the account as stored, in one transaction.

use crate::Timestamp;
use crate::account::OtpError;
use crate::account::{Account, ConfirmationPurpose, LoginChallenge, LoginPolicy, LoginRefused};
use serde::{Deserialize, Serialize};

/// The confirmation codes of an account: the one waiting to be typed, bound to the session
/// that asked for it and to what it confirms, and how many were sent in the current window
/// (kept after the code is used or void, so the budget holds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingConfirmation {
    pub purpose: ConfirmationPurpose,
    /// The session's key: the adapter's keyed hash of its token, hex (the token itself is
    /// never stored).
    pub session: String,
    /// `None` once used or void.
    pub challenge: Option<LoginChallenge>,
    pub window_start: Timestamp,
    pub sent: u32,
}

/// A typed confirmation: in which session (its key, as [`PendingConfirmation::session`]), for
/// what, the code, and whether the password typed with it was right (checked by the caller:
/// hashing is no work for a transaction).
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    pub session: &'a str,
    pub purpose: ConfirmationPurpose,
    pub code: &'a str,
    pub password_ok: bool,
}

/// The answer to a typed password and confirmation code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Both right: the code is used up.
    Confirmed,
    /// No code was asked for this purpose in this session (or it was used or void).
    NoCode,
    /// Wrong password or code; the code stays usable `remaining` more times.
    Wrong { remaining: u32 },
    /// Wrong too often, or too old: the code is void.
    Void,
    /// The account is locked after repeated failures.
    Locked { until: Timestamp },
}

/// What a check changed, for the adapter to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    pub answer: Confirmation,
    /// The account's failure counters changed.
    pub account_changed: bool,
    /// The record changed (the code used, counted or void).
    pub record_changed: bool,
}

impl PendingConfirmation {
    /// The record after a new code `challenge` for `purpose` in `session` is sent, from the
    /// account's record as stored (`previous`): it replaces any earlier code. Refused with the
    /// seconds to wait once `policy.confirmation_codes` were sent in the current window.
    pub fn issue(
        previous: Option<&Self>,
        purpose: ConfirmationPurpose,
        session: String,
        challenge: LoginChallenge,
        policy: &LoginPolicy,
    ) -> Result<Self, u64> {
        let now = challenge.created_at;
        let (mut window_start, mut sent) = (now, 0);
        if let Some(previous) = previous
            && let Ok(end) = previous
                .window_start
                .checked_add(policy.confirmation_window)
            && end > now
        {
            if previous.sent >= policy.confirmation_codes {
                let wait = end.duration_since(now).as_secs().max(1);
                return Err(u64::try_from(wait).unwrap_or(1));
            }
            (window_start, sent) = (previous.window_start, previous.sent);
        }
        Ok(Self {
            purpose,
            session,
            challenge: Some(challenge),
            window_start,
            sent: sent + 1,
        })
    }

    /// Checks `attempt` against the record as stored (`record`, if any) and its account
    /// `holder` as stored: a wrong password or code counts against the code (void after
    /// `policy.otp_attempts`) and against the account (locked after `policy.max_failures`); a
    /// right pair uses the code up. A locked account is refused before anything is checked.
    pub fn check(
        record: Option<&mut Self>,
        holder: &mut Account,
        attempt: Attempt<'_>,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Checked {
        let answer = |answer, account_changed, record_changed| Checked {
            answer,
            account_changed,
            record_changed,
        };
        if let Err(LoginRefused::Locked { until }) = holder.may_attempt_login(now) {
            return answer(Confirmation::Locked { until }, false, false);
        }
        let found = record
            .filter(|p| p.purpose == attempt.purpose && p.session == attempt.session)
            .and_then(|p| p.challenge.clone().map(|c| (c, p)));
        let Some((mut challenge, record)) = found else {
            if attempt.password_ok {
                return answer(Confirmation::NoCode, false, false);
            }
            holder.record_failure(now, policy);
            return answer(Confirmation::NoCode, true, false);
        };
        // A wrong password is a wrong attempt: typed as a code that cannot match.
        let typed = if attempt.password_ok {
            attempt.code
        } else {
            ""
        };
        match challenge.verify(typed, holder, now, policy) {
            Ok(()) => {
                record.challenge = None;
                answer(Confirmation::Confirmed, false, true)
            }
            Err(error) => {
                holder.record_failure(now, policy);
                let confirmation = match error {
                    OtpError::Wrong { remaining } => {
                        record.challenge = Some(challenge);
                        Confirmation::Wrong { remaining }
                    }
                    OtpError::Expired | OtpError::Exhausted => {
                        record.challenge = None;
                        Confirmation::Void
                    }
                };
                answer(confirmation, true, true)
            }
        }
    }
}
