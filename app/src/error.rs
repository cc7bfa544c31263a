//! Why a use case refused or failed. The HTTP adapter maps each to a status in one place
//! (`web/src/error.rs`); messages say what to do and never carry health data.

use std::collections::BTreeMap;
use teleconsult_core::booth::BoothSessionId;
use teleconsult_core::ports::RepositoryError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The caller's role never does this (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such object, or not the caller's: the same answer (404).
    #[error("no such resource")]
    NotFound,
    /// Invalid input: one message per field (422).
    #[error("invalid value for: {}", .0.keys().cloned().collect::<Vec<_>>().join(", "))]
    Invalid(BTreeMap<String, String>),
    /// The booth's cabin holds another open session (409 `cabin_busy`).
    #[error(
        "the cabin is in use by booth session {open}: end that session before starting another"
    )]
    CabinBusy { open: BoothSessionId },
    /// A refusal that waiting will not change, with its code (409).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The printer did not take the job: CUPS unreachable, refused or too slow (503
    /// `printer_unavailable`; the log says why).
    #[error("the printer is not available at the moment")]
    PrinterUnavailable,
    /// The call room is not open to the caller now (403 `too_early` / `too_late`, 409
    /// `call_closed`).
    #[error("{0}")]
    Room(teleconsult_core::call::EntryError),
    /// A file of a type the site does not take (415).
    #[error("{0}")]
    UnsupportedType(String),
    /// Not authenticated: a wrong login or password, a wrong, expired or used code (401, with
    /// its code: `invalid_credentials`, `invalid_code`, `code_expired`).
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    /// The account is locked after too many failures, until `until` (429 with Retry-After).
    #[error("too many attempts: wait and try again")]
    Locked {
        until: teleconsult_core::Timestamp,
        now: teleconsult_core::Timestamp,
    },
    /// The password is right but the account was never activated (403 `not_activated`).
    #[error("the account is not activated yet: open the link in the activation e-mail")]
    NotActivated,
    /// An activation or password-reset link unknown, used or expired (400 `invalid_token`).
    #[error("the link is invalid, already used or expired")]
    InvalidLink,
    /// The site offers no authenticator apps (`auth.second_factors`; 403 `totp_not_offered`).
    #[error("this site does not offer authenticator apps")]
    TotpNotOffered,
    /// The caller's own password, asked again for a sensitive change, is wrong (403
    /// `invalid_password`).
    #[error("the password is wrong")]
    WrongPassword,
    /// The password was changed between its check and the change it allowed (403
    /// `invalid_password`).
    #[error("the password changed meanwhile: try again")]
    PasswordChanged,
    /// An authenticator app's rule refused (core `totp.rs`; 409, or 403 for a wrong code).
    #[error("{0}")]
    Totp(teleconsult_core::totp::TotpError),
    /// A change that needs the password and a confirmation code came without them (403
    /// `confirmation_required`).
    #[error("this change needs your password and a code sent by SMS to your current phone")]
    ConfirmationRequired,
    /// The password or confirmation code was not accepted (403 `invalid_confirmation`; the
    /// reason says whether to try again or ask for a new code).
    #[error("the password or the confirmation code was not accepted")]
    NotConfirmed(teleconsult_core::confirmation::Confirmation),
    /// The window's confirmation codes were all sent (429 with Retry-After).
    #[error("too many codes asked for: wait and try again")]
    TooManyCodes { retry_after_s: u64 },
    /// Too many changes raced for the same records; trying again will do (503).
    #[error("the queue is busy: try again")]
    Busy,
    /// A fault of this server (a library failing): the detail is for the log, never the
    /// client (500).
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Repository(RepositoryError),
}

impl From<RepositoryError> for AppError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::CabinBusy(open) => AppError::CabinBusy { open },
            other => AppError::Repository(other),
        }
    }
}

impl AppError {
    /// 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
}
