//! What the client takes from a platform's answer besides its status: the body, read up to a
//! limit (a hostile or broken platform must not fill the site's memory), and `Retry-After`
//! (RFC 9110 §10.2.3: seconds, or an HTTP-date), which the worker honours in its back-off.

use crate::client::Failure;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::Duration;
use teleconsult_core::Timestamp;

/// Default largest answer read: a transaction echoing a document (the PDF as base64) fits
/// many times over; a search page of 100 appointments is a few hundred kilobytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// The longest wait a `Retry-After` can impose: a date years ahead must not silence the sync
/// for years (the status shows the wait; staff can `sync retry`).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// When the platform asked to be called again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 120`.
    Delay(Duration),
    /// `Retry-After: Fri, 31 Dec 1999 23:59:59 GMT`.
    At(Timestamp),
}

impl RetryAfter {
    /// `Retry-After` of an answer, when present and well-formed.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Self::Delay(Duration::from_secs(seconds)));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Timestamp::try_from(at).ok().map(Self::At)
    }

    /// How long to wait from `now`, at most [`MAX_RETRY_AFTER`] (a date in the past: no wait).
    pub fn delay(self, now: Timestamp) -> Duration {
        let wait = match self {
            Self::Delay(d) => d,
            Self::At(at) => Duration::try_from(now.duration_until(at)).unwrap_or(Duration::ZERO),
        };
        wait.min(MAX_RETRY_AFTER)
    }
}

/// The body, refused as soon as it is longer than `limit` (announced by `Content-Length` or
/// found while streaming): the platform is then treated as unavailable, with a clear reason.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
    on_error: impl Fn(reqwest::Error) -> Failure,
) -> Result<Vec<u8>, Failure> {
    let too_large = || {
        Failure::Unavailable(format!(
            "the platform's answer is larger than {} MiB: refused (a broken or hostile platform; check platform.base_url)",
            limit / (1024 * 1024)
        ))
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(&on_error)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        let seconds = RetryAfter::from_headers(&headers("120")).unwrap();
        assert_eq!(seconds.delay(now), Duration::from_secs(120));
        let date = RetryAfter::from_headers(&headers("Sun, 01 Mar 2026 12:05:00 GMT")).unwrap();
        assert_eq!(date.delay(now), Duration::from_secs(300));
        // The obsolete forms HTTP still allows.
        let rfc850 = RetryAfter::from_headers(&headers("Sunday, 01-Mar-26 12:01:00 GMT")).unwrap();
        assert_eq!(rfc850.delay(now), Duration::from_secs(60));
        // Past dates, absurd waits, garbage.
        let past = RetryAfter::from_headers(&headers("Sun, 01 Mar 2026 11:00:00 GMT")).unwrap();
        assert_eq!(past.delay(now), Duration::ZERO);
        let huge = RetryAfter::from_headers(&headers("99999999")).unwrap();
        assert_eq!(huge.delay(now), MAX_RETRY_AFTER);
        assert_eq!(RetryAfter::from_headers(&headers("soon")), None);
        assert_eq!(RetryAfter::from_headers(&headers("-5")), None);
        assert_eq!(RetryAfter::from_headers(&HeaderMap::new()), None);
    }
}
