//! Retry timing: exponential back-off with jitter, and the circuit that stops hammering a
//! platform that is down.
//!
//! Delays are `base · 2^(n-1)`, capped, then scaled by a random factor in `[0.5, 1.0]`
//! ("equal jitter"): many sites coming back after a national outage do not retry in lock-step,
//! and a delay is never shorter than half its nominal value (which the tests rely on).

use std::time::Duration;

/// Exponential back-off parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s, doubling up to 5 minutes.
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// Nominal delay after `failures` consecutive failures (≥ 1), before jitter.
    pub fn nominal(&self, failures: u32) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        self.base
            .checked_mul(1u32 << exponent)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// The delay to wait, with `unit` ∈ [0, 1] the random draw (passed in for tests).
    pub fn delay(&self, failures: u32, unit: f64) -> Duration {
        let unit = unit.clamp(0.0, 1.0);
        self.nominal(failures).mul_f64(0.5 + 0.5 * unit)
    }

    /// [`Backoff::delay`] with a fresh random draw.
    pub fn jittered(&self, failures: u32) -> Duration {
        self.delay(failures, rand::random::<f64>())
    }
}

/// Circuit states, as shown in `/sync/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// The platform answers and everything flows.
    Online,
    /// The platform cannot be reached (or keeps failing): sending is paused, then probed.
    Offline,
    /// The platform answers, but not everything flows: recent failures or parked entries.
    Degraded,
}

impl CircuitState {
    pub fn name(self) -> &'static str {
        match self {
            CircuitState::Online => "online",
            CircuitState::Offline => "offline",
            CircuitState::Degraded => "degraded",
        }
    }
}

/// Consecutive platform failures open the circuit; while open, one probe is allowed per
/// back-off period; a success closes it.
#[derive(Clone, Debug)]
pub struct Circuit {
    pub threshold: u32,
    pub backoff: Backoff,
    consecutive_failures: u32,
    /// While open: when the next probe may go.
    open_until: Option<tokio::time::Instant>,
}

impl Circuit {
    pub fn new(threshold: u32, backoff: Backoff) -> Self {
        Circuit {
            threshold: threshold.max(1),
            backoff,
            consecutive_failures: 0,
            open_until: None,
        }
    }

    pub fn is_open(&self) -> bool {
        self.open_until.is_some()
    }

    /// When sending may resume (`None`: now).
    pub fn wait_until(&self, now: tokio::time::Instant) -> Option<tokio::time::Instant> {
        self.open_until.filter(|t| *t > now)
    }

    /// True when only one probe request should be in flight (open circuit, probe time reached).
    pub fn probing(&self) -> bool {
        self.open_until.is_some()
    }

    /// The platform asked for a pause (`Retry-After`): nothing goes before `until`, then one
    /// probe; a success closes the circuit again. Never shortens a pause already running.
    pub fn defer(&mut self, until: tokio::time::Instant) {
        self.open_until = Some(self.open_until.map_or(until, |t| t.max(until)));
    }

    /// Returns true when this success closed an open circuit.
    pub fn success(&mut self) -> bool {
        self.consecutive_failures = 0;
        self.open_until.take().is_some()
    }

    /// Records a platform failure; returns the pause when the circuit is (now) open. Failures
    /// of requests that were already in flight while the circuit was open do not stretch the
    /// pause: only a failed probe (or the failures that open it) count.
    pub fn failure(&mut self, now: tokio::time::Instant, unit: f64) -> Option<std::time::Duration> {
        if let Some(until) = self.open_until
            && now < until
        {
            return Some(until - now);
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.consecutive_failures < self.threshold {
            return None;
        }
        let opened_failures = self.consecutive_failures - self.threshold + 1;
        let pause = self.backoff.delay(opened_failures, unit);
        self.open_until = Some(now + pause);
        Some(pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_bounded_jitter() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        assert_eq!(b.nominal(1), Duration::from_millis(100));
        assert_eq!(b.nominal(2), Duration::from_millis(200));
        assert_eq!(b.nominal(4), Duration::from_millis(800));
        assert_eq!(b.nominal(5), Duration::from_millis(1000));
        assert_eq!(b.nominal(u32::MAX), Duration::from_millis(1000));
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(200));
        assert_eq!(b.delay(3, 1.0), Duration::from_millis(400));
        for _ in 0..100 {
            let d = b.jittered(3);
            assert!(
                d >= Duration::from_millis(200) && d <= Duration::from_millis(400),
                "{d:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn circuit_opens_after_threshold_and_closes_on_success() {
        let b = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(8),
        };
        let mut c = Circuit::new(3, b);
        let mut now = tokio::time::Instant::now();
        assert_eq!(c.failure(now, 1.0), None);
        assert_eq!(c.failure(now, 1.0), None);
        assert!(!c.is_open());
        assert_eq!(c.failure(now, 1.0), Some(Duration::from_secs(1)));
        assert!(c.is_open());
        assert_eq!(c.wait_until(now), Some(now + Duration::from_secs(1)));
        // Requests that were in flight when it opened do not stretch the pause.
        assert_eq!(c.failure(now, 1.0), Some(Duration::from_secs(1)));
        // Each failed probe doubles the pause, up to the cap.
        for expected in [2, 4, 8, 8] {
            now += Duration::from_secs(8);
            assert_eq!(c.wait_until(now), None);
            assert_eq!(c.failure(now, 1.0), Some(Duration::from_secs(expected)));
        }
        assert!(c.success());
        assert!(!c.is_open());
        assert!(!c.success());
        assert_eq!(c.failure(now, 1.0), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_pauses_everything_until_then_and_never_shortens_a_pause() {
        let mut c = Circuit::new(3, Backoff::default());
        let now = tokio::time::Instant::now();
        c.defer(now + Duration::from_secs(30));
        assert_eq!(c.wait_until(now), Some(now + Duration::from_secs(30)));
        assert!(c.probing(), "one probe once the pause is over");
        c.defer(now + Duration::from_secs(5));
        assert_eq!(c.wait_until(now), Some(now + Duration::from_secs(30)));
        assert_eq!(c.wait_until(now + Duration::from_secs(30)), None);
        assert!(c.success(), "the probe's success closes it");
    }
}
