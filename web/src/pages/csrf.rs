//! CSRF protection of HTML forms.
//!
//! - **Logged in**: every form carries the session's CSRF token in the hidden `csrf` field
//!   (the same token the API wants in `X-CSRF-Token`); the server compares it with the session.
//! - **Before login** (login, code, registration, password reset, language switch): a
//!   double-submit token. Every page response makes sure the browser holds a random token in the
//!   `__Host-tc_csrf` cookie (HttpOnly, Secure, host-only thanks to the `__Host-` prefix, so a
//!   sibling host cannot plant one) and the page writes the same value into its forms; a POST is
//!   accepted only when field and cookie agree. An attacker's page can make the browser send
//!   the cookie but can neither read it nor set it, so it cannot fill in the field.
//!
//! Chosen over an `Origin`/`Sec-Fetch-Site`-only check because it does not depend on how old
//! the booth's or patient's browser is, nor on reverse proxies rewriting `Host`. As defence in
//! depth, a POST that the browser itself labels `Sec-Fetch-Site: cross-site` or `same-site` is
//! refused whatever it carries.

use super::context::Page;
use crate::auth::{AuthUser, cookie, csrf_matches, new_secret};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use teleconsult_core::account::constant_time_eq;

/// The double-submit cookie of visitors who are not logged in.
pub const CSRF_COOKIE: &str = "__Host-tc_csrf";

/// The pre-session token of a request: the one the browser sent, or a fresh one being set.
#[derive(Clone, Debug)]
pub struct PreSessionToken {
    pub token: String,
    /// Whether the browser sent it (a fresh token proves nothing yet).
    pub sent: bool,
}

/// Tokens are [`new_secret`]s: 43 URL-safe base64 characters. Anything else is ignored.
fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Middleware of the page routes: gives the browser a pre-session token if it has none.
pub async fn ensure_token(mut request: Request, next: Next) -> Response {
    let sent = cookie(request.headers(), CSRF_COOKIE).filter(|t| well_formed(t));
    let token = PreSessionToken {
        token: sent.clone().unwrap_or_else(new_secret),
        sent: sent.is_some(),
    };
    let fresh = (!token.sent).then(|| token.token.clone());
    request.extensions_mut().insert(token);
    let mut response = next.run(request).await;
    if let Some(value) = fresh
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            // SameSite=Lax, not Strict: a visitor arriving from a link in an e-mail must keep
            // the token their other tabs already use. Secrecy, not SameSite, protects it.
            "{CSRF_COOKIE}={value}; HttpOnly; Secure; SameSite=Lax; Path=/"
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Why a form was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused;

/// The browser said the form came from another site.
fn cross_site(page: &Page) -> bool {
    matches!(page.fetch_site.as_deref(), Some("cross-site" | "same-site"))
}

/// Checks a form that may be sent before login: the session's token when logged in, else the
/// pre-session token must match its cookie.
pub fn check_public(page: &Page, sent: &str) -> Result<(), Refused> {
    if cross_site(page) || sent.is_empty() {
        return Err(Refused);
    }
    if let Some(user) = &page.user
        && csrf_matches(&user.session, sent)
    {
        return Ok(());
    }
    match &page.sent_pre_session {
        Some(cookie) if constant_time_eq(cookie.as_bytes(), sent.as_bytes()) => Ok(()),
        _ => Err(Refused),
    }
}

/// A posted form read as its fields, once it is readable (else the bad-form page) and carries
/// the session's token (else the refused page): what every logged-in form handler starts with.
pub fn session_form(
    page: &Page,
    form: Result<
        axum::extract::Form<Vec<(String, String)>>,
        axum::extract::rejection::FormRejection,
    >,
) -> Result<Vec<(String, String)>, Response> {
    let Ok(axum::extract::Form(pairs)) = form else {
        return Err(super::errors::bad_form(page));
    };
    let sent = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    check_session(page, sent).map_err(|_| super::errors::refused(page))?;
    Ok(pairs)
}

/// Checks a form of a logged-in user: the session's own token is required. Returns the user.
pub fn check_session<'p>(page: &'p Page, sent: &str) -> Result<&'p AuthUser, Refused> {
    match &page.user {
        Some(user) if !cross_site(page) && csrf_matches(&user.session, sent) => Ok(user),
        _ => Err(Refused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_secrets_of_the_right_shape_are_taken_from_the_cookie() {
        assert!(well_formed(&new_secret()));
        assert!(!well_formed(""));
        assert!(!well_formed("short"));
        assert!(!well_formed(&"a;".repeat(21)));
        assert!(!well_formed(&format!("{}=", &new_secret()[..42])));
    }
}
