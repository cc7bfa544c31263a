//! Messages to people (e-mail, SMS), queued durably and retried until delivered. They carry no
//! health data beyond what the recipient needs (never a diagnosis, never a document's content).

use crate::Timestamp;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

/// A file attached to an e-mail (e.g. an `.ics` invitation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

/// One message waiting for delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub channel: Channel,
    /// E-mail address or E.164 number.
    pub to: String,
    /// E-mail subject (unused for SMS).
    pub subject: String,
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    pub created_at: Timestamp,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed (transport error text, never the message).
    pub last_error: Option<String>,
}

/// Delivery attempts before a message is given up (about two days with the back-off below).
pub const MAX_ATTEMPTS: u32 = 60;

impl Notification {
    pub fn email(to: String, subject: String, body: String, now: Timestamp) -> Self {
        Self::new(Channel::Email, to, subject, body, now)
    }

    pub fn sms(to: String, body: String, now: Timestamp) -> Self {
        Self::new(Channel::Sms, to, String::new(), body, now)
    }

    fn new(channel: Channel, to: String, subject: String, body: String, now: Timestamp) -> Self {
        Self {
            channel,
            to,
            subject,
            body,
            attachments: Vec::new(),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
        }
    }

    /// A failed attempt: the next one waits 5 s × 2^attempts, at most one hour. Returns false
    /// when the message is given up.
    pub fn schedule_retry(&mut self, now: Timestamp, error: String) -> bool {
        self.attempts = self.attempts.saturating_add(1);
        self.last_error = Some(error);
        let secs = 5_i64
            .saturating_mul(1_i64 << self.attempts.min(20))
            .min(3600);
        self.next_attempt_at = now
            .checked_add(SignedDuration::from_secs(secs))
            .unwrap_or(now);
        self.attempts < MAX_ATTEMPTS
    }

    pub fn is_due(&self, now: Timestamp) -> bool {
        self.next_attempt_at <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour_then_give_up() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut n = Notification::sms("+352621000000".into(), "code 123456".into(), t0);
        assert!(n.is_due(t0));
        assert!(n.schedule_retry(t0, "connection refused".into()));
        assert_eq!(
            n.next_attempt_at,
            t0.checked_add(SignedDuration::from_secs(10)).unwrap()
        );
        assert!(!n.is_due(t0));
        for _ in 1..20 {
            n.schedule_retry(t0, "down".into());
        }
        assert_eq!(
            n.next_attempt_at,
            t0.checked_add(SignedDuration::from_secs(3600)).unwrap()
        );
        let mut last = true;
        for _ in 20..MAX_ATTEMPTS {
            last = n.schedule_retry(t0, "down".into());
        }
        assert!(!last, "given up after MAX_ATTEMPTS");
        assert_eq!(n.last_error.as_deref(), Some("down"));
    }
}
