//! Authentication: password + SMS code login, sessions (bearer token or `__Host-tc_session`
//! cookie with CSRF protection), activation and password reset by e-mailed single-use tokens,
//! idle timeout, and the [`AuthUser`] extractor every protected handler takes.

mod handlers;
pub mod hashing;
pub mod ratelimit;

pub use handlers::*;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use rand::RngExt;
use std::sync::OnceLock;
use teleconsult_app::login::Live;
use teleconsult_core::account::{Account, Role, Session};

/// The session cookie (HttpOnly, Secure, SameSite=Strict, Path=/, no Domain: the `__Host-`
/// prefix makes browsers refuse it from anywhere else, so no other site or sub-domain can plant
/// a session).
pub const SESSION_COOKIE: &str = "__Host-tc_session";
/// The session cookie's name before the `__Host-` prefix: still read (only when the new one is
/// absent) so that sessions opened before the upgrade last until they end; never set.
pub const LEGACY_SESSION_COOKIE: &str = "tc_session";
/// Header that cookie-authenticated requests with side effects must carry (CSRF protection).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// 32 random bytes, URL-safe base64: session tokens, challenge ids, e-mailed tokens.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A 6-digit login code.
pub fn new_otp_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// argon2id with the crate's default parameters (OWASP's recommendation) and a random salt.
/// Requests use a [`hashing::HashingPermit`] instead (bounded memory); this is for the
/// administration tools and the demo set-up.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Ok(teleconsult_app::password::hash(password)?)
}

/// Checks a password against a stored PHC string. For an unknown login, pass `None`: a dummy
/// hash is checked so that the answer takes as long as for a real account.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    use argon2::password_hash::PasswordVerifier;
    use argon2::password_hash::phc::PasswordHash;
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// A hash of a random password, checked for unknown logins (made once).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_secret()).unwrap_or_default())
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "log in first (session missing or expired)",
    )
}

/// The token of the request: `Authorization: Bearer`, else the session cookie (then CSRF
/// applies). Never the query string: a token in a URL ends up in logs, histories and
/// `Referer` headers (only the signalling WebSocket takes `?token=`, see `signal.rs`).
pub(crate) fn request_token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some((token.trim().to_owned(), false));
    }
    session_cookie_token(headers).map(|token| (token, true))
}

/// The session token of the cookie: `__Host-tc_session`, else the legacy `tc_session`.
pub fn session_cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
        .filter(|t| !t.is_empty())
        .or_else(|| cookie(headers, LEGACY_SESSION_COOKIE).filter(|t| !t.is_empty()))
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// `Set-Cookie` value for a new session.
pub fn session_cookie(token: &str, max_age_s: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={max_age_s}"
    )
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
}

/// `Set-Cookie` value that removes the legacy session cookie (sent with the one above).
pub fn clear_legacy_session_cookie() -> String {
    format!("{LEGACY_SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
}

/// Adds the `Set-Cookie` headers that remove both session cookies.
pub fn clear_session_cookies(headers: &mut HeaderMap) {
    for value in [clear_session_cookie(), clear_legacy_session_cookie()] {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// The logged-in caller. Taking it as an argument makes a handler require authentication.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub account: Account,
    pub session: Session,
    /// The session token (to log out).
    pub token: String,
    /// Authenticated by cookie (forms must then prove same-origin with the CSRF token).
    pub via_cookie: bool,
}

impl AuthUser {
    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.account.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden("your role does not allow this"))
        }
    }
}

/// The valid session and its active account for `token`, or 401.
pub(crate) async fn authenticate(
    state: &AppState,
    token: &str,
) -> Result<(Session, Account), ApiError> {
    // Known sessions come from the store's memory without a blocking hop (the sled adapter's
    // `kept.rs`); others are read on a blocking thread.
    let found = match state.app.known_session(token) {
        Some(found) => Some(found),
        None => {
            let lookup = token.to_owned();
            state
                .blocking(move |inner| Ok(inner.app.login_session(&lookup)?))
                .await?
        }
    };
    let (session, account) = found.ok_or_else(unauthenticated)?;
    let now = state.clock.now();
    match state.app.live_session(&session, &account, now) {
        Live::No => return Err(unauthenticated()),
        Live::Touch => touch(state, token, &session, now).await,
        Live::Yes => {}
    }
    Ok((session, account))
}

/// Records that the session of `token` was used at `now` (compare-and-swap on the use the
/// caller saw; see `App::record_session_use`). A failure only makes the session end sooner.
pub(crate) async fn touch(
    state: &AppState,
    token: &str,
    session: &Session,
    now: teleconsult_core::Timestamp,
) {
    let (token, session) = (token.to_owned(), session.clone());
    let touched = state
        .blocking(move |inner| Ok(inner.app.record_session_use(&token, &session, now)?))
        .await;
    if let Err(e) = touched {
        tracing::warn!(error = %e.message, "session use not recorded");
    }
}

/// Whether `sent` is the CSRF token of `session` (constant time; empty never matches).
pub fn csrf_matches(session: &Session, sent: &str) -> bool {
    !sent.is_empty()
        && teleconsult_core::account::constant_time_eq(
            sent.as_bytes(),
            session.csrf_token.as_bytes(),
        )
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, via_cookie) = request_token(&parts.headers).ok_or_else(unauthenticated)?;
        let (session, account) = authenticate(state, &token).await?;
        if via_cookie && !parts.method.is_safe() {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !csrf_matches(&session, sent) {
                return Err(ApiError::forbidden(
                    "missing or wrong CSRF token (send the X-CSRF-Token header)",
                ));
            }
        }
        Ok(Self {
            account,
            session,
            token,
            via_cookie,
        })
    }
}
