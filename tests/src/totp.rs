//! An authenticator app for tests, written from RFC 4226/6238 apart from the daemon's (which
//! uses the `totp-rs` crate): base32 secrets, HMAC-SHA-1 codes of 6 digits per 30-second step,
//! and the bookkeeping a person does without thinking — never type the same step twice.

use anyhow::{Context, bail};
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
        let deadline = tokio::time::Instant::now() + Duration::from_secs(35);
        let now = loop {
            let now = current_step();
            if last.is_none_or(|l| now >= l) {
                break now;
            }
            if tokio::time::Instant::now() >= deadline {
                bail!("the clock did not reach step {last:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
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
