//! The one place that maps failures to HTTP statuses and the JSON error shape
//! `{"error":"<snake_case_code>","message":"<human text>"}` (DESIGN §4).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use teleconsult_core::ports::RepositoryError;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_input`, `not_found`, `slot_taken`.
    pub error: String,
    /// Human-readable explanation.
    pub message: String,
    /// For `invalid_input`: a message per offending field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// An error answered to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Option<BTreeMap<String, String>>,
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: None,
            retry_after_s: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422 with one message per field; `fields` must not be empty.
    pub fn invalid_fields(fields: BTreeMap<String, String>) -> Self {
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let message = format!("invalid value for: {}", names.join(", "));
        Self {
            fields: Some(fields),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// A real server fault. The detail goes to the log (it never holds health data: callers pass
    /// error descriptions, not records), the client gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// The call room is not open yet (DESIGN §4: 403 `too_early`).
    pub fn too_early(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "too_early", message)
    }

    /// The call room has closed (some time after the appointment's end).
    pub fn too_late(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "too_late", message)
    }

    /// The appointment is finished (completed, cancelled, no-show): no call any more.
    pub fn call_closed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "call_closed", message)
    }

    /// A body over the endpoint's size limit.
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// A body of a type the endpoint does not take.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    /// A request that needs a WebSocket upgrade arrived as plain HTTP.
    pub fn upgrade_required(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UPGRADE_REQUIRED, "websocket_required", message)
    }

    /// The account is locked after too many failures: 429, `Retry-After` until the lock ends.
    pub fn locked(until: teleconsult_core::Timestamp, now: teleconsult_core::Timestamp) -> Self {
        let wait = until.duration_since(now).as_secs().max(1);
        Self {
            retry_after_s: Some(u64::try_from(wait).unwrap_or(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "too many attempts: wait and try again",
            )
        }
    }

    /// The site's `auth.second_factors` has no "totp".
    pub fn totp_not_offered() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "totp_not_offered",
            "this site does not offer authenticator apps: logins use a code sent by SMS",
        )
    }
}

/// An authenticator-app operation refused by core's rules.
pub(crate) fn totp_error(error: teleconsult_core::totp::TotpError) -> ApiError {
    use teleconsult_core::totp::TotpError;
    let (status, code) = match error {
        TotpError::AlreadyEnrolled => (StatusCode::CONFLICT, "totp_already_enrolled"),
        TotpError::NotEnrolled => (StatusCode::CONFLICT, "totp_not_enrolled"),
        TotpError::NoPendingEnrolment => (StatusCode::CONFLICT, "totp_not_started"),
        // Authenticated already: a wrong proof is "not allowed", not "log in first".
        TotpError::WrongCode => (StatusCode::FORBIDDEN, "invalid_code"),
    };
    ApiError::new(status, code, error.to_string())
}

impl From<RepositoryError> for ApiError {
    fn from(err: RepositoryError) -> Self {
        match err {
            RepositoryError::AlreadyExists(what) => Self::new(
                StatusCode::CONFLICT,
                "already_exists",
                format!("an account with this {what} already exists; log in or reset the password"),
            ),
            RepositoryError::NotFound(_) => Self::not_found(),
            RepositoryError::SlotTaken => Self::new(
                StatusCode::CONFLICT,
                "slot_taken",
                "this slot has just been booked by someone else: choose another one",
            ),
            RepositoryError::Conflict(msg) => Self::new(StatusCode::CONFLICT, "conflict", msg),
            RepositoryError::QuotaExceeded(quota) => quota.into(),
            RepositoryError::CabinBusy(open) => cabin_busy(open),
            RepositoryError::Unavailable(msg) => {
                tracing::error!(error = %msg, "storage unavailable");
                Self::unavailable("storage is unavailable, try again later")
            }
            RepositoryError::Corrupt(msg) => Self::internal(format!("corrupt record: {msg}")),
            // The store logs the change of condition once; not once per request.
            RepositoryError::StorageFull(_) => crate::storage::storage_full(),
            RepositoryError::InsufficientStorage(msg) => Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "insufficient_storage",
                msg,
            ),
            RepositoryError::RolledBack(msg) => crate::storage::rolled_back(&msg),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
            fields: self.fields,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_s
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Answer for routes that do not exist (JSON under the API, like every other error).
pub async fn fallback() -> ApiError {
    ApiError::not_found()
}

/// Answer for a known route with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this resource",
    )
}

/// 409 `cabin_busy`, naming the open session (`docs/booth.md` rule 1).
fn cabin_busy(open: teleconsult_core::booth::BoothSessionId) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "cabin_busy",
        format!(
            "the cabin is in use by booth session {open}: end that session before starting another"
        ),
    )
}

/// The use cases' refusals (`teleconsult-app`).
impl From<teleconsult_app::AppError> for ApiError {
    fn from(err: teleconsult_app::AppError) -> Self {
        use teleconsult_app::AppError as E;
        let err_message = err.to_string();
        match err {
            E::Forbidden(message) => Self::forbidden(message),
            E::NotFound => Self::not_found(),
            E::Invalid(fields) => Self::invalid_fields(fields),
            E::CabinBusy { open } => cabin_busy(open),
            E::Conflict { code, message } => Self::new(StatusCode::CONFLICT, code, message),
            // CUPS or the printer: the site's fault, perhaps passing (paper jam, queue paused).
            // The detail (logged by the use case) stays out of the answer.
            E::PrinterUnavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "printer_unavailable",
                "the printer is not available at the moment: ask the pharmacy staff, or download the PDF",
            ),
            E::Busy => Self {
                retry_after_s: Some(1),
                ..Self::unavailable("too many requests for the same records at once: try again")
            },
            E::Room(e) => crate::call::entry_error(e),
            E::Unauthenticated { code, message } => {
                Self::new(StatusCode::UNAUTHORIZED, code, message)
            }
            E::Locked { until, now } => Self::locked(until, now),
            E::NotActivated => Self::new(
                StatusCode::FORBIDDEN,
                "not_activated",
                "the account is not activated yet: open the link in the activation e-mail",
            ),
            E::TotpNotOffered => Self::totp_not_offered(),
            E::ConfirmationRequired => Self::new(
                StatusCode::FORBIDDEN,
                "confirmation_required",
                "changing the phone number or e-mail address, or erasing the account, needs your \
                 password and a code sent by SMS to your current phone: ask for one with \
                 POST /api/v1/me/confirmation-code",
            ),
            E::NotConfirmed(refused) => {
                use teleconsult_core::confirmation::Confirmation as C;
                let message = match refused {
                    C::Wrong { remaining } => {
                        format!("the password or the code is wrong ({remaining} attempt(s) left)")
                    }
                    C::Void => {
                        "the code has expired or was mistyped too often: ask for a new one".into()
                    }
                    _ => "no code is waiting for this in this session (never asked, used, or \
                          replaced): ask for a new one"
                        .into(),
                };
                Self::new(StatusCode::FORBIDDEN, "invalid_confirmation", message)
            }
            E::TooManyCodes { retry_after_s } => Self {
                retry_after_s: Some(retry_after_s),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    "too many codes asked for: wait and try again",
                )
            },
            E::WrongPassword | E::PasswordChanged => {
                Self::new(StatusCode::FORBIDDEN, "invalid_password", err_message)
            }
            E::Totp(e) => totp_error(e),
            E::InvalidLink => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "the link is invalid, already used or expired",
            ),
            E::UnsupportedType(message) => Self::unsupported_media_type(message),
            E::Internal(detail) => Self::internal(detail),
            E::Repository(e) => e.into(),
        }
    }
}

impl From<teleconsult_store::StoreError> for ApiError {
    fn from(err: teleconsult_store::StoreError) -> Self {
        match err {
            teleconsult_store::StoreError::QuotaExceeded(quota) => quota.into(),
            other => RepositoryError::from(other).into(),
        }
    }
}

/// A quota reached (see `docs/security.md`, "Quotas"): 409 for what the account holds (its
/// open appointments, an appointment's files) — it lasts until something is cancelled or
/// takes place —, 429 with `Retry-After` for what it does per hour or day.
impl From<teleconsult_core::quota::QuotaExceeded> for ApiError {
    fn from(err: teleconsult_core::quota::QuotaExceeded) -> Self {
        use teleconsult_core::quota::Quota;
        let limit = err.limit;
        let (status, code, message) = match err.quota {
            Quota::OpenAppointments => (
                StatusCode::CONFLICT,
                "too_many_open_appointments",
                format!(
                    "you already have {limit} upcoming appointments, the most one account may \
                     hold: cancel one, or book again once one has taken place"
                ),
            ),
            Quota::UploadsPerAppointment => (
                StatusCode::CONFLICT,
                "too_many_files",
                format!("this appointment already has {limit} files, the most it may hold"),
            ),
            Quota::UploadsPerDay => (
                StatusCode::TOO_MANY_REQUESTS,
                "upload_quota_exceeded",
                format!("you have sent {limit} files today, the most allowed: try again tomorrow"),
            ),
            Quota::ExportsPerHour => (
                StatusCode::TOO_MANY_REQUESTS,
                "export_quota_exceeded",
                format!(
                    "your data was exported {limit} times this hour, the most allowed: try again \
                     later"
                ),
            ),
        };
        Self {
            retry_after_s: err.retry_after_s,
            ..Self::new(status, code, message)
        }
    }
}

impl From<teleconsult_core::document::FieldErrors> for ApiError {
    fn from(err: teleconsult_core::document::FieldErrors) -> Self {
        Self::invalid_fields(err.0)
    }
}

impl From<teleconsult_core::document::DispenseError> for ApiError {
    fn from(err: teleconsult_core::document::DispenseError) -> Self {
        use teleconsult_core::document::DispenseError as E;
        let message = err.to_string();
        match err {
            E::AlreadyDispensed | E::ItemAlreadyDispensed(_) => {
                Self::new(StatusCode::CONFLICT, "already_dispensed", message)
            }
            E::Superseded => Self::new(StatusCode::CONFLICT, "superseded", message),
            // A pharmacist only reaches prescriptions: anything else does not exist for them.
            E::NotAPrescription => Self::not_found(),
            E::NoItems | E::UnknownItem(_) | E::DuplicateItem(_) => {
                Self::invalid_fields(BTreeMap::from([("items".to_owned(), message)]))
            }
        }
    }
}

impl From<teleconsult_core::document::PaymentError> for ApiError {
    fn from(err: teleconsult_core::document::PaymentError) -> Self {
        use teleconsult_core::document::PaymentError as E;
        let message = err.to_string();
        match err {
            // Not theirs: like a document that does not exist (the same body).
            E::NotTheIssuer => Self::not_found(),
            E::AlreadyPaid => Self::new(StatusCode::CONFLICT, "already_paid", message),
            E::Superseded => Self::new(StatusCode::CONFLICT, "superseded", message),
            E::NotAFeeMemo => Self::new(StatusCode::CONFLICT, "not_a_fee_memo", message),
        }
    }
}

impl From<teleconsult_core::document::SupersedeError> for ApiError {
    fn from(err: teleconsult_core::document::SupersedeError) -> Self {
        use teleconsult_core::document::SupersedeError as E;
        let message = err.to_string();
        match err {
            E::AlreadySuperseded { .. } => {
                Self::new(StatusCode::CONFLICT, "already_superseded", message)
            }
            E::AlreadyDispensed => Self::new(StatusCode::CONFLICT, "already_dispensed", message),
            E::KindMismatch { .. } => {
                Self::invalid_fields(BTreeMap::from([("kind".to_owned(), message)]))
            }
            // Built by the server itself: a mismatch is a bug, not the caller's fault.
            E::SameDocument | E::PatientMismatch | E::NotLinked => Self::internal(message),
        }
    }
}
