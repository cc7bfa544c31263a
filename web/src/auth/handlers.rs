//! `/api/v1/auth/*` and `/api/v1/patients/activate`.
//!
//! Each JSON handler is a thin wrapper around a function (`start_login`, `finish_login`,
//! `end_session`, `activate_account`, `request_password_reset`, `confirm_password_reset`) that
//! the HTML forms of `crate::pages` call too, so both front doors keep exactly the same rules.

use super::ratelimit::Scope;
use super::{AuthUser, session_cookie};
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Instant;
use teleconsult_app::login::WRONG_CODE_PREFIX;
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, Session};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::totp::Factor;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address for patients; the login an administrator gave for other roles.
    pub login: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChallengeResponse {
    /// To send back with the code.
    pub challenge_id: String,
    /// Which code to send back: `sms` (sent to the account's phone now) or `totp` (the code
    /// the account's authenticator app shows; no SMS is sent).
    #[schema(value_type = String, example = "sms")]
    pub factor: &'static str,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    pub challenge_id: String,
    /// The 6-digit code received by SMS, or shown by the authenticator app when the login
    /// answered `"factor": "totp"`.
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    /// Use as `Authorization: Bearer <token>`; also set as the `__Host-tc_session` cookie.
    pub token: String,
    /// Cookie-authenticated requests with side effects must send it as `X-CSRF-Token`.
    pub csrf_token: String,
    /// `patient`, `practitioner`, `staff`, `pharmacist` or `admin`.
    pub role: String,
    /// RFC 3339.
    pub expires_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The `token` parameter of the link received by e-mail.
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub login: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub token: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatusResponse {
    pub status: &'static str,
}

pub(crate) fn event(
    at: Timestamp,
    actor: Actor,
    action: Action,
    object_type: &str,
    object_id: String,
) -> AuditEvent {
    AuditEvent {
        at,
        actor,
        action,
        object_type: object_type.into(),
        object_id,
    }
}

fn rate_limited(wait_s: u64) -> ApiError {
    ApiError {
        retry_after_s: Some(wait_s),
        ..ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many attempts: wait and try again",
        )
    }
}

pub(crate) fn check_rate(
    state: &AppState,
    scope: Scope,
    client: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    state
        .limiter
        .check(scope, client, Instant::now())
        .map_err(rate_limited)
}

/// Checks the password of `login` and, when right, sends a 6-digit code by SMS — or, for an
/// account with a confirmed authenticator app on a site offering them, sends nothing: the
/// app's code is expected (`App::start_login`). Returns the challenge id to send back with the
/// code and which code it takes. Never says whether the login exists.
pub(crate) async fn start_login(
    state: &AppState,
    client: Option<IpAddr>,
    login: String,
    password: String,
) -> Result<(String, Factor), ApiError> {
    check_rate(state, Scope::Login, client)?;
    // At most a few password checks at once (each takes tens of MB): a burst waits here.
    let hashing = state.hashing_permit().await?;
    let started = state
        .blocking(move |inner| Ok(inner.app.start_login(&login, &password, hashing)?))
        .await?;
    if started.factor == Factor::Sms {
        state.wake_notifier();
    }
    Ok((started.challenge_id, started.factor))
}

/// First step of a login: the password. On success a 6-digit code is sent by SMS to the
/// account's phone — unless the account has an authenticator app (and the site offers them):
/// then nothing is sent and `factor` is `totp`. The answer never says whether the login exists.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Password right: code sent by SMS (`factor`: `sms`), or the authenticator app's code expected (`factor`: `totp`)", body = ChallengeResponse),
        (status = 401, description = "Login or password wrong", body = crate::error::ErrorBody),
        (status = 403, description = "Account not activated yet", body = crate::error::ErrorBody),
        (status = 429, description = "`too_many_attempts`: this address's rate limit, or the account is locked; `busy`: too many password checks at this moment (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<ChallengeResponse>, ApiError> {
    let (challenge_id, factor) =
        start_login(&state, client, request.login, request.password).await?;
    Ok(Json(ChallengeResponse {
        challenge_id,
        factor: factor.code(),
    }))
}

/// A session just opened by [`finish_login`].
pub(crate) struct OpenedSession {
    /// The bearer token (also the cookie value).
    pub token: String,
    pub session: Session,
}

impl OpenedSession {
    /// The `Set-Cookie` value carrying this session, expiring with it.
    pub fn cookie(&self, now: Timestamp) -> Option<HeaderValue> {
        let max_age = self.session.expires_at.duration_since(now).as_secs();
        HeaderValue::from_str(&session_cookie(&self.token, max_age)).ok()
    }
}

/// How many codes may still be tried after a wrong one (`None` for any other error).
pub(crate) fn attempts_left(error: &ApiError) -> Option<u32> {
    let rest = error.message.strip_prefix(WRONG_CODE_PREFIX)?;
    rest.split(' ').next()?.parse().ok()
}

/// Checks the code of a challenge (SMS or authenticator app) and opens a session
/// (`App::finish_login`).
pub(crate) async fn finish_login(
    state: &AppState,
    client: Option<IpAddr>,
    challenge_id: String,
    code: String,
) -> Result<OpenedSession, ApiError> {
    check_rate(state, Scope::Otp, client)?;
    let opened = state
        .blocking(move |inner| Ok(inner.app.finish_login(&challenge_id, &code)?))
        .await?;
    Ok(OpenedSession {
        token: opened.token,
        session: opened.session,
    })
}

/// Second step: the code received by SMS, or the authenticator app's code when the login
/// answered `"factor": "totp"` (same attempts and lockout; each app code works once). Opens a
/// session (cookie and bearer token).
#[utoipa::path(post, path = "/auth/otp", tag = "auth", request_body = OtpRequest,
    responses(
        (status = 200, description = "Logged in", body = SessionResponse),
        (status = 401, description = "Wrong, expired or used code", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn otp(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<OtpRequest>,
) -> Result<Response, ApiError> {
    let opened = finish_login(&state, client, request.challenge_id, request.code).await?;
    let cookie = opened.cookie(state.clock.now());
    let body = SessionResponse {
        token: opened.token,
        csrf_token: opened.session.csrf_token.clone(),
        role: opened.session.role.code().to_owned(),
        expires_at: opened.session.expires_at.to_string(),
    };
    let mut response = Json(body).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Ends `user`'s session (audited), and its sockets.
pub(crate) async fn end_session(state: &AppState, user: &AuthUser) -> Result<(), ApiError> {
    let (account, token) = (user.account.clone(), user.token.clone());
    state
        .blocking(move |inner| Ok(inner.app.log_out(&account, &token)?))
        .await?;
    state
        .live
        .announce(crate::live::Ended::Session(user.token.clone()));
    Ok(())
}

/// Ends the session (token and cookie).
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<Response, ApiError> {
    end_session(&state, &user).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    super::clear_session_cookies(response.headers_mut());
    Ok(response)
}

/// Activates the account of an activation token; returns that account.
pub(crate) async fn activate_account(state: &AppState, token: String) -> Result<Account, ApiError> {
    state
        .blocking(move |inner| Ok(inner.app.activate(&token)?))
        .await
}

/// Activates a registered account with the token of the activation e-mail.
#[utoipa::path(post, path = "/patients/activate", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "Account active", body = StatusResponse),
        (status = 400, description = "Unknown, used or expired token", body = crate::error::ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<Json<StatusResponse>, ApiError> {
    activate_account(&state, request.token).await?;
    Ok(Json(StatusResponse { status: "active" }))
}

/// E-mails a password-reset link to `login`'s account if there is one (and it is not disabled).
pub(crate) async fn request_password_reset(
    state: &AppState,
    client: Option<IpAddr>,
    login: String,
) -> Result<(), ApiError> {
    check_rate(state, Scope::PasswordReset, client)?;
    let client = client.map(|c| c.to_string());
    state
        .blocking(move |inner| Ok(inner.app.request_password_reset(&login, client)?))
        .await?;
    state.wake_notifier();
    Ok(())
}

/// Asks for a password-reset link by e-mail. Always 202, whether the login exists or not.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses(
        (status = 202, description = "If the account exists, a link was e-mailed", body = StatusResponse),
        (status = 429, description = "Too many requests", body = crate::error::ErrorBody)))]
pub async fn password_reset(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<StatusResponse>), ApiError> {
    request_password_reset(&state, client, request.login).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StatusResponse { status: "accepted" }),
    ))
}

/// The account a still-usable password-reset token belongs to (nothing is redeemed).
pub(crate) async fn password_reset_account(
    state: &AppState,
    token: String,
) -> Result<Option<Account>, ApiError> {
    state
        .blocking(move |inner| Ok(inner.app.password_reset_account(&token)?))
        .await
}

/// Sets a new password with a reset token; clears any lockout and ends older sessions.
pub(crate) async fn confirm_password_reset(
    state: &AppState,
    token: String,
    password: String,
) -> Result<Account, ApiError> {
    let hashing = state.hashing_permit().await?;
    let changed = state
        .blocking(move |inner| {
            Ok(inner
                .app
                .confirm_password_reset(&token, &password, hashing)?)
        })
        .await?;
    // Sessions opened with the old password ended: so do their sockets.
    state.live.announce(crate::live::Ended::Account(changed.id));
    Ok(changed)
}

/// Sets a new password with the token of the reset e-mail; clears any lockout.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirm,
    responses(
        (status = 200, description = "Password changed", body = StatusResponse),
        (status = 400, description = "Unknown, used or expired token", body = crate::error::ErrorBody),
        (status = 422, description = "Password too weak", body = crate::error::ErrorBody),
        (status = 429, description = "`busy`: too many password checks at this moment (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn password_reset_confirm(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ResetConfirm>,
) -> Result<Json<StatusResponse>, ApiError> {
    confirm_password_reset(&state, request.token, request.password).await?;
    Ok(Json(StatusResponse { status: "changed" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_left_is_read_back_from_the_wrong_code_error() {
        let wrong = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_code",
            format!("{WRONG_CODE_PREFIX}2 attempt(s) left)"),
        );
        assert_eq!(attempts_left(&wrong), Some(2));
        let credentials = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the login or the password is wrong",
        );
        assert_eq!(attempts_left(&credentials), None);
    }
}
