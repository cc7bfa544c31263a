//! What every page handler starts from: the [`Page`] context — who is logged in (by the session
//! cookie only, never a bearer token), which language to speak, and the CSRF token to put in
//! forms — and the language resolution rule.

use super::csrf::PreSessionToken;
use crate::auth::{AuthUser, authenticate, cookie, session_cookie_token};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use std::convert::Infallible;
use std::str::FromStr;
use teleconsult_core::site::Language;

/// The cookie remembering the language picked with the switcher (for visitors not logged in;
/// logged-in users have it stored on their account).
pub const LANG_COOKIE: &str = "tc_lang";

/// The request as pages see it.
pub struct Page {
    pub state: AppState,
    /// The language of the answer.
    pub lang: Language,
    /// The logged-in user, authenticated by the session cookie.
    pub user: Option<AuthUser>,
    /// Put in every form as the hidden `csrf` field: the session's token when logged in, else
    /// the pre-session (double-submit) token.
    pub csrf: String,
    /// The pre-session token the browser sent in its cookie (absent on a first visit).
    pub(super) sent_pre_session: Option<String>,
    /// The pre-session token forms carry once nobody is logged in (sent or being set).
    pre_session: Option<String>,
    /// Path and query of this request, for the language switcher to come back to.
    pub path: String,
    /// `Sec-Fetch-Site` as sent by the browser.
    pub(super) fetch_site: Option<String>,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = match session_cookie_token(&parts.headers) {
            Some(token) => authenticate(state, &token)
                .await
                .ok()
                .map(|(session, account)| AuthUser {
                    account,
                    session,
                    token,
                    via_cookie: true,
                }),
            _ => None,
        };
        let lang = resolve_language(
            user.as_ref().map(|u| u.account.language),
            cookie(&parts.headers, LANG_COOKIE).as_deref(),
            header_str(&parts.headers, header::ACCEPT_LANGUAGE),
            &state.settings.languages,
        );
        let pre_session = parts.extensions.get::<PreSessionToken>().cloned();
        let csrf = match (&user, &pre_session) {
            (Some(u), _) => u.session.csrf_token.clone(),
            (None, Some(t)) => t.token.clone(),
            (None, None) => String::new(),
        };
        Ok(Self {
            state: state.clone(),
            lang,
            user,
            csrf,
            sent_pre_session: pre_session
                .as_ref()
                .and_then(|t| t.sent.then(|| t.token.clone())),
            pre_session: pre_session.map(|t| t.token),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            fetch_site: header_str(&parts.headers, "sec-fetch-site").map(str::to_owned),
        })
    }
}

impl Page {
    /// The UI text `id` in the page's language.
    pub fn t(&self, id: &str) -> String {
        crate::i18n::text(self.lang, id, &[])
    }

    /// The UI text `id` with arguments.
    pub fn t_args(&self, id: &str, args: &[(&'static str, &str)]) -> String {
        crate::i18n::text(self.lang, id, args)
    }

    /// The same request once the session ended (logout, erasure): forms fall back to the
    /// pre-session token.
    pub fn logged_out(mut self) -> Self {
        self.user = None;
        self.csrf = self.pre_session.clone().unwrap_or_default();
        self
    }

    /// Forms are left out of the page (e.g. the demo outbox, read by scripts looking for codes).
    pub fn without_forms(mut self) -> Self {
        self.csrf.clear();
        self
    }

    /// The same request in another language (pages reached from an e-mail link know whose
    /// language to speak before anyone logs in).
    pub fn in_language(mut self, lang: Language) -> Self {
        self.lang = lang;
        self
    }
}

fn header_str(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The language of a page: the logged-in user's account language, else the language cookie,
/// else the best match of `Accept-Language` among the site's languages, else the site's first
/// language (French when the list is empty, which configuration validation prevents).
pub fn resolve_language(
    account: Option<Language>,
    cookie: Option<&str>,
    accept_language: Option<&str>,
    site: &[Language],
) -> Language {
    account
        .or_else(|| cookie.and_then(|c| Language::from_str(c).ok()))
        .or_else(|| accept_language.and_then(|h| best_accepted(h, site)))
        .or_else(|| site.first().copied())
        .unwrap_or(Language::Fr)
}

/// The site language the browser prefers most (`Accept-Language`, RFC 9110 §12.5.4): quality
/// values respected, regions ignored (`de-LU` counts as `de`), `q=0` means "not this one".
fn best_accepted(header: &str, site: &[Language]) -> Option<Language> {
    let mut ranked: Vec<(u16, usize, Language)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut pieces = item.split(';');
            let tag = pieces.next()?.trim();
            let primary = tag.split(['-', '_']).next()?;
            let language = Language::from_str(primary).ok()?;
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_quality)?;
            (quality > 0 && site.contains(&language)).then_some((quality, position, language))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.first().map(|&(_, _, language)| language)
}

/// `q` in thousandths (`0.8` → 800); `None` when malformed.
fn parse_quality(text: &str) -> Option<u16> {
    let value: f32 = text.trim().parse().ok()?;
    // The cast cannot truncate: the value is clamped to 0..=1 first.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::{De, En, Fr, Lb, Pt};

    const ALL: &[Language] = &[Fr, De, En, Pt, Lb];

    #[test]
    fn the_account_language_wins_over_everything() {
        assert_eq!(resolve_language(Some(Pt), Some("de"), Some("en"), ALL), Pt);
    }

    #[test]
    fn then_the_cookie_then_accept_language_then_the_site_default() {
        assert_eq!(resolve_language(None, Some("lb"), Some("en"), ALL), Lb);
        assert_eq!(resolve_language(None, Some("xx"), Some("en"), ALL), En);
        assert_eq!(
            resolve_language(None, None, Some("en-GB,en;q=0.9"), ALL),
            En
        );
        assert_eq!(resolve_language(None, None, None, &[De, Fr]), De);
        assert_eq!(resolve_language(None, None, None, &[]), Fr);
    }

    #[test]
    fn accept_language_respects_quality_and_the_site_list() {
        let header = "it-IT,it;q=0.9,pt-BR;q=0.5,de-LU;q=0.8,en;q=0.1";
        assert_eq!(best_accepted(header, ALL), Some(De));
        assert_eq!(best_accepted(header, &[Fr, Pt, En]), Some(Pt));
        assert_eq!(best_accepted("de;q=0, fr;q=0.2", ALL), Some(Fr));
        assert_eq!(best_accepted("es, it", ALL), None);
        assert_eq!(best_accepted("fr;q=abc, de", ALL), Some(De));
        assert_eq!(best_accepted("", ALL), None);
        // Equal quality: the browser's order decides.
        assert_eq!(best_accepted("pt, fr", ALL), Some(Pt));
    }
}
