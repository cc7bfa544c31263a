//! An authenticator app for tests, written from RFC 4226/6238 apart from the daemon's (which
//! uses the `totp-rs` crate): base32 secrets, HMAC-SHA-1 codes of 6 digits per 30-second step,
//! and the bookkeeping a person does without thinking — never type the same step twice. Also
//! the login and set-up steps of an account with an app, through the API.

use crate::Daemon;
use crate::accounts::Login;
use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An app holding one account's secret.
#[derive(Clone, Debug)]
pub struct App {
    secret: Vec<u8>,
    /// The last step whose code was typed (the daemon accepts each step once).
    last: Option<u64>,
}

impl App {
    /// From the base32 secret a page or the API gave (spaces ignored).
    pub fn from_base32(text: &str) -> anyhow::Result<Self> {
        Ok(Self {
            secret: base32_decode(text)?,
            last: None,
        })
    }

    /// From the `secret` parameter of an `otpauth://` URI.
    pub fn from_uri(uri: &str) -> anyhow::Result<Self> {
        let query = uri
            .split_once('?')
            .context("no query in the otpauth URI")?
            .1;
        let secret = query
            .split('&')
            .find_map(|p| p.strip_prefix("secret="))
            .context("no secret in the otpauth URI")?;
        Self::from_base32(secret)
    }

    /// The code of `step`.
    pub fn code_at(&self, step: u64) -> String {
        code(&self.secret, step)
    }

    /// A code the daemon takes now and was never typed: the current step's, or the next one's
    /// (one step ahead is accepted) when the current one was used; waits for the clock when
    /// both were (at most a step). Marks it used.
    pub async fn fresh_code(&mut self) -> anyhow::Result<String> {
        let last = self.last;
        let now = crate::poll_until(
            &format!("the clock to reach step {last:?}"),
            Duration::from_secs(35),
            || async {
                let now = current_step();
                last.is_none_or(|l| now >= l).then_some(now)
            },
        )
        .await?;
        let step = last.map_or(now, |l| (l + 1).max(now));
        self.last = Some(step);
        Ok(self.code_at(step))
    }

    /// The code [`App::fresh_code`] would give now, without marking it used (for a request
    /// that must fail for another reason and leave the code unused).
    pub fn peek_code(&self) -> String {
        let now = current_step();
        self.code_at(self.last.map_or(now, |l| (l + 1).max(now)))
    }

    /// The code typed last (to try it again).
    pub fn last_code(&self) -> Option<String> {
        self.last.map(|s| self.code_at(s))
    }
}

/// The time step of now.
pub fn current_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 30)
}

/// A six-digit code none of the steps around now gives for `app` (a wrong code).
pub fn wrong_code(app: &App) -> String {
    let now = current_step();
    let taken: Vec<String> = (now.saturating_sub(2)..=now + 2)
        .map(|s| app.code_at(s))
        .collect();
    (0..1000u32)
        .map(|n| format!("{:06}", 123_457 + n * 7))
        .find(|c| !taken.contains(c))
        .unwrap_or_else(|| "000000".into())
}

/// `POST /api/v1/auth/login` (the password step), anonymously: status and body
/// (`challenge_id`, `factor`: `sms` or `totp`).
pub async fn password_step(
    daemon: &Daemon,
    login: &str,
    password: &str,
) -> anyhow::Result<(u16, Value)> {
    let body = json!({"login": login, "password": password});
    daemon
        .send(None, Method::POST, "/api/v1/auth/login", Some(&body))
        .await
}

/// `POST /api/v1/auth/otp` (the code step) for `challenge`, anonymously: status and body.
pub async fn code_step(
    daemon: &Daemon,
    challenge: &str,
    code: &str,
) -> anyhow::Result<(u16, Value)> {
    let body = json!({"challenge_id": challenge, "code": code});
    daemon
        .send(None, Method::POST, "/api/v1/auth/otp", Some(&body))
        .await
}

/// The password step of an account with an app: it must answer `factor: totp`. The challenge.
pub async fn app_challenge(daemon: &Daemon, login: &str, password: &str) -> anyhow::Result<String> {
    let (status, body) = password_step(daemon, login, password).await?;
    anyhow::ensure!(status == 200, "{login}: {status} {body}");
    anyhow::ensure!(
        body["factor"] == "totp",
        "{login}: not asked for the app: {body}"
    );
    Ok(body["challenge_id"]
        .as_str()
        .context("no challenge")?
        .to_owned())
}

/// Logs in an account with an app: the password, then the app's next code.
pub async fn login_with_app(
    daemon: &Daemon,
    app: &mut App,
    login: &str,
    password: &str,
) -> anyhow::Result<Login> {
    let challenge = app_challenge(daemon, login, password).await?;
    let (status, body) = code_step(daemon, &challenge, &app.fresh_code().await?).await?;
    anyhow::ensure!(status == 200, "{login}: app code refused: {status} {body}");
    Ok(Login {
        token: body["token"].as_str().context("no token")?.to_owned(),
        csrf: body["csrf_token"].as_str().context("no csrf")?.to_owned(),
        role: body["role"].as_str().context("no role")?.to_owned(),
    })
}

/// Sets up an app for `who` through the API (`POST /api/v1/me/totp` with the password, then
/// `/confirm` with its first code), checking the `otpauth://` URI on the way; the app.
pub async fn set_up_app(daemon: &Daemon, who: &Login, password: &str) -> anyhow::Result<App> {
    let start = json!({"password": password});
    let (status, started) = daemon.post(who, "/api/v1/me/totp", &start).await?;
    anyhow::ensure!(status == 201, "start: {status} {started}");
    let uri = started["otpauth_uri"].as_str().context("no uri")?;
    let secret = started["secret"].as_str().context("no secret")?;
    anyhow::ensure!(uri.starts_with("otpauth://totp/"), "{uri}");
    anyhow::ensure!(
        uri.contains(&format!("?secret={secret}&issuer="))
            && uri.ends_with("&algorithm=SHA1&digits=6&period=30"),
        "{uri}"
    );
    let mut app = App::from_uri(uri)?;
    let code = json!({"code": app.fresh_code().await?});
    let (status, body) = daemon.post(who, "/api/v1/me/totp/confirm", &code).await?;
    anyhow::ensure!(status == 200, "confirm: {status} {body}");
    Ok(app)
}

/// RFC 4226 §5.3: HMAC-SHA-1 of the step, dynamic truncation, 6 digits.
fn code(secret: &[u8], step: u64) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let value = (u32::from(hash[offset] & 0x7f) << 24)
        | (u32::from(hash[offset + 1]) << 16)
        | (u32::from(hash[offset + 2]) << 8)
        | u32::from(hash[offset + 3]);
    format!("{:06}", value % 1_000_000)
}

/// RFC 4648 base32 (upper or lower case, padding and spaces ignored).
fn base32_decode(text: &str) -> anyhow::Result<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut count = 0u32;
    let mut out = Vec::new();
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .with_context(|| format!("{:?} is not base32", char::from(c)))?;
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push(((bits >> count) & 0xff) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc_6238_sha1_vectors_last_six_digits() {
        let secret = b"12345678901234567890";
        assert_eq!(super::code(secret, 59 / 30), "287082");
        assert_eq!(super::code(secret, 1_111_111_109 / 30), "081804");
        assert_eq!(super::code(secret, 20_000_000_000 / 30), "353130");
        assert_eq!(
            super::base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
            secret
        );
    }
}
