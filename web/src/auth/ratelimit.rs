//! Per-client-address rate limits (fixed windows, in memory). Per-account limits are durable and
//! live on the account itself (`Account::record_failure`); these protect against one address
//! trying many accounts, and against floods of registrations or reset mails.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What is being limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Login,
    Otp,
    Register,
    PasswordReset,
    /// Confirmation codes asked for and typed (a change of phone or e-mail, an erasure): the
    /// same budget as login codes.
    Confirm,
}

/// Allowed requests per window, per scope.
#[derive(Clone, Debug)]
pub struct Limits {
    pub login_per_minute: u32,
    pub otp_per_minute: u32,
    pub register_per_hour: u32,
    pub password_reset_per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            login_per_minute: 10,
            otp_per_minute: 10,
            register_per_hour: 20,
            password_reset_per_hour: 5,
        }
    }
}

impl Limits {
    fn of(&self, scope: Scope) -> (u32, Duration) {
        match scope {
            Scope::Login => (self.login_per_minute, Duration::from_secs(60)),
            Scope::Otp | Scope::Confirm => (self.otp_per_minute, Duration::from_secs(60)),
            Scope::Register => (self.register_per_hour, Duration::from_secs(3600)),
            Scope::PasswordReset => (self.password_reset_per_hour, Duration::from_secs(3600)),
        }
    }
}

/// Bound on remembered (scope, address) pairs; expired windows are dropped past it.
const MAX_ENTRIES: usize = 100_000;

pub struct RateLimiter {
    limits: Limits,
    windows: Mutex<HashMap<(Scope, IpAddr), (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request; `Err(seconds)` to wait when over the limit. Requests without a known
    /// address are not limited here (they only happen in router-level tests).
    pub fn check(&self, scope: Scope, client: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let Some(ip) = client else { return Ok(()) };
        let (limit, window) = self.limits.of(scope);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= MAX_ENTRIES {
            windows.retain(|(s, _), (start, _)| now.duration_since(*start) < self.limits.of(*s).1);
        }
        let entry = windows.entry((scope, ip)).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            let wait = window.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_scope_and_address_then_resets_after_the_window() {
        let limiter = RateLimiter::new(Limits {
            login_per_minute: 2,
            ..Limits::default()
        });
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let t0 = Instant::now();
        assert_eq!(limiter.check(Scope::Login, Some(a), t0), Ok(()));
        assert_eq!(limiter.check(Scope::Login, Some(a), t0), Ok(()));
        assert_eq!(
            limiter.check(Scope::Login, Some(a), t0 + Duration::from_secs(20)),
            Err(40)
        );
        assert_eq!(
            limiter.check(Scope::Login, Some(b), t0),
            Ok(()),
            "other address"
        );
        assert_eq!(
            limiter.check(Scope::Otp, Some(a), t0),
            Ok(()),
            "other scope"
        );
        assert_eq!(
            limiter.check(Scope::Login, Some(a), t0 + Duration::from_secs(60)),
            Ok(())
        );
        assert_eq!(limiter.check(Scope::Login, None, t0), Ok(()));
    }
}
