//! The caller's authenticator app (TOTP, RFC 6238): `GET|POST|DELETE /me/totp`,
//! `POST /me/totp/confirm`, and the administrators' reset for a lost phone.
//!
//! Setting one up takes the password (a stolen session alone cannot move the account's second
//! factor to another phone) and a first code from the app; removing it takes the password and
//! a current code. The owner is told by e-mail when one is set up, removed or reset. Rules in
//! core's `totp.rs`; each change is one transaction on the account as stored then. The pages
//! (`pages/totp.rs`) call the same functions.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::{AppState, Inner};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use teleconsult_app::users::{Administrator, Which};
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, Role};
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Notification;
use teleconsult_core::totp::{self, TotpError};
use utoipa::ToSchema;

/// Where the caller's authenticator app stands.
#[derive(Serialize, ToSchema)]
pub struct TotpStatus {
    /// The site offers authenticator apps (`auth.second_factors`).
    pub offered: bool,
    /// An app is set up and confirmed: logins ask for its code (when offered), not an SMS.
    pub enrolled: bool,
    /// A set-up waits for its first code (until `pending_expires_at`).
    pub pending: bool,
    /// RFC 3339.
    pub pending_expires_at: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpStart {
    /// The account's password.
    pub password: String,
}

/// A set-up just started: give the URI (as a QR code) or the secret to the app, then confirm
/// with its first code. Shown once; never again after the confirmation.
#[derive(Serialize, ToSchema)]
pub struct TotpStarted {
    /// `otpauth://totp/<site>:<login>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    pub otpauth_uri: String,
    /// The secret in base32, for apps that cannot scan.
    pub secret: String,
    /// RFC 3339: confirm before this, else start again.
    pub expires_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// The 6 digits the app shows now.
    pub code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpRemoval {
    pub password: String,
    /// The 6 digits the app shows now.
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct TotpChanged {
    /// `enrolled`, `removed` or `reset`.
    pub status: &'static str,
}

/// An e-mail to the owner about their authenticator app (`body`: its message id).
pub(crate) fn notice(
    site: &str,
    to: &teleconsult_app::Contact,
    body: &str,
    now: Timestamp,
) -> Notification {
    let args = [("site", site), ("name", to.name.as_str())];
    Notification::email(
        to.email.clone(),
        crate::i18n::text(to.language, "email-totp-subject", &[("site", site)]),
        crate::i18n::text(to.language, body, &args),
        now,
    )
}

pub(crate) fn status_of(state: &AppState, account: &Account) -> TotpStatus {
    let now = state.clock.now();
    let pending = account
        .totp
        .as_ref()
        .filter(|t| !t.is_active() && !t.pending_expired(now));
    TotpStatus {
        offered: state.settings.totp_offered,
        enrolled: account.uses_totp(),
        pending: pending.is_some(),
        pending_expires_at: pending
            .and_then(|t| t.created_at.checked_add(totp::PENDING_TTL).ok())
            .map(|t| t.to_string()),
    }
}

/// What a set-up shows: the URI for the QR code and the secret, with its deadline.
pub(crate) fn started(inner: &Inner, account: &Account) -> Option<TotpStarted> {
    let enrolment = account.totp.as_ref().filter(|t| !t.is_active())?;
    Some(TotpStarted {
        otpauth_uri: totp::otpauth_uri(
            &inner.settings.site_name,
            &account.login,
            &enrolment.secret,
        ),
        secret: enrolment.secret.base32(),
        expires_at: enrolment
            .created_at
            .checked_add(totp::PENDING_TTL)
            .map_or_else(|_| String::new(), |t| t.to_string()),
    })
}

/// Starts setting up the caller's authenticator app (`App::start_authenticator`): the
/// secret and its `otpauth://` link to show.
pub(crate) async fn start(
    state: &AppState,
    user: &AuthUser,
    password: String,
) -> Result<TotpStarted, ApiError> {
    let account = user.account.clone();
    let hashing = state.hashing_permit().await?;
    state
        .blocking(move |inner| {
            let account = inner
                .app
                .start_authenticator(&account, &password, hashing)?;
            started(inner, &account).ok_or_else(|| ApiError::internal("set-up not stored"))
        })
        .await
}

/// Confirms the caller's pending set-up with a first code (`App::confirm_authenticator`).
pub(crate) async fn confirm(
    state: &AppState,
    user: &AuthUser,
    code: String,
) -> Result<(), ApiError> {
    let account = user.account.clone();
    state
        .blocking(move |inner| Ok(inner.app.confirm_authenticator(&account, &code)?))
        .await?;
    state.wake_notifier();
    Ok(())
}

/// Removes the caller's authenticator app with the password and a current code
/// (`App::remove_authenticator`).
pub(crate) async fn remove(
    state: &AppState,
    user: &AuthUser,
    password: String,
    code: String,
) -> Result<(), ApiError> {
    let account = user.account.clone();
    let hashing = state.hashing_permit().await?;
    state
        .blocking(move |inner| {
            Ok(inner
                .app
                .remove_authenticator(&account, &password, &code, hashing)?)
        })
        .await?;
    state.wake_notifier();
    Ok(())
}

pub(crate) fn reset_notice(
    site: &str,
    to: &teleconsult_app::Contact,
    now: Timestamp,
) -> Notification {
    notice(site, to, "email-totp-reset-body", now)
}

#[utoipa::path(get, path = "/me/totp", tag = "me", security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's authenticator app", body = TotpStatus),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody)))]
pub async fn get_totp(State(state): State<AppState>, user: AuthUser) -> Json<TotpStatus> {
    Json(status_of(&state, &user.account))
}

/// Starts setting up an authenticator app (password required). Answers the `otpauth://` URI
/// to show as a QR code and the secret; confirm with `POST /me/totp/confirm` within 10 minutes.
#[utoipa::path(post, path = "/me/totp", tag = "me", request_body = TotpStart,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Set-up started", body = TotpStarted),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody),
        (status = 403, description = "`invalid_password`, or `totp_not_offered` (the site's `auth.second_factors` has no \"totp\")", body = crate::error::ErrorBody),
        (status = 409, description = "`totp_already_enrolled`: remove the current app first", body = crate::error::ErrorBody),
        (status = 429, description = "Account locked after too many failures, or `busy` (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn post_totp(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<TotpStart>,
) -> Result<(StatusCode, Json<TotpStarted>), ApiError> {
    let started = start(&state, &user, request.password).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// Confirms the set-up with the app's first code: from now on logins ask for the app's code
/// instead of an SMS.
#[utoipa::path(post, path = "/me/totp/confirm", tag = "me", request_body = TotpCode,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Set up", body = TotpChanged),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody),
        (status = 403, description = "`invalid_code` (wrong, or already used), or `totp_not_offered`", body = crate::error::ErrorBody),
        (status = 409, description = "`totp_not_started` (none waiting, or expired) or `totp_already_enrolled`", body = crate::error::ErrorBody)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<TotpCode>,
) -> Result<Json<TotpChanged>, ApiError> {
    confirm(&state, &user, request.code).await?;
    Ok(Json(TotpChanged { status: "enrolled" }))
}

/// Removes the caller's authenticator app (password and a current code required): logins ask
/// for an SMS code again.
#[utoipa::path(delete, path = "/me/totp", tag = "me", request_body = TotpRemoval,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Removed", body = TotpChanged),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody),
        (status = 403, description = "`invalid_password` or `invalid_code` (each counts toward the lockout)", body = crate::error::ErrorBody),
        (status = 409, description = "`totp_not_enrolled`", body = crate::error::ErrorBody),
        (status = 429, description = "Account locked after too many failures, or `busy` (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn delete_totp(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<TotpRemoval>,
) -> Result<Json<TotpChanged>, ApiError> {
    remove(&state, &user, request.password, request.code).await?;
    Ok(Json(TotpChanged { status: "removed" }))
}

/// Removes an account's authenticator app (a lost phone; administrators only): its next login
/// gets an SMS code. The owner is told by e-mail; audited.
#[utoipa::path(post, path = "/users/{id}/reset-totp", tag = "users", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reset (`reset`), or nothing to reset (`none`)", body = TotpChanged),
        (status = 403, description = "Not an administrator", body = crate::error::ErrorBody),
        (status = 404, description = "No such account", body = crate::error::ErrorBody)))]
pub async fn reset_user_totp(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<TotpChanged>, ApiError> {
    user.require(&[Role::Admin])?;
    let id: AccountId = id.parse().map_err(|_| ApiError::not_found())?;
    let had = state
        .blocking(move |inner| {
            let by = Administrator::Account(&user.account);
            Ok(inner.app.reset_authenticator(by, Which::Id(id))?)
        })
        .await?;
    if had.is_some() {
        state.wake_notifier();
    }
    Ok(Json(TotpChanged {
        status: if had.is_some() { "reset" } else { "none" },
    }))
}

impl From<TotpError> for ApiError {
    fn from(error: TotpError) -> Self {
        crate::error::totp_error(error)
    }
}
