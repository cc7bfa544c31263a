//! Quotas: how much one account may hold or do — open future appointments, files uploaded,
//! exports of its data. They keep one account (or a stolen session) from filling the site's
//! agenda or disk, or from keeping the box busy.
//!
//! The rules are here as plain data and functions; the store keeps the counts and applies
//! them inside the transaction of the change they limit, so parallel requests are counted
//! exactly (see ARCHITECTURE.md, "every read-modify-write is one transaction").

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Which quota was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quota {
    /// Appointments an account has booked (for itself or relatives) that are still open
    /// (not cancelled, completed or missed) and start in the future: one that has started no
    /// longer counts.
    OpenAppointments,
    /// Files shared in one appointment (by all its parties together).
    UploadsPerAppointment,
    /// Files one account uploads in a (UTC) day: call attachments and message files.
    UploadsPerDay,
    /// Exports of one's own data (GDPR access) in a (UTC) hour.
    ExportsPerHour,
}

/// A refusal: the quota, its limit and, for a quota over a window of time, how long until the
/// window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{quota:?} quota reached (limit {limit})")]
pub struct QuotaExceeded {
    pub quota: Quota,
    pub limit: u32,
    /// Seconds until the window of the quota ends (`None` for a quota not over time).
    pub retry_after_s: Option<u64>,
}

/// A fixed window of time, aligned on UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Hour,
    Day,
}

impl Window {
    const fn seconds(self) -> i64 {
        match self {
            Window::Hour => 3600,
            Window::Day => 86_400,
        }
    }

    /// The number of the window holding `at` (counted from the epoch).
    pub fn index(self, at: Timestamp) -> i64 {
        at.as_second().div_euclid(self.seconds())
    }

    /// Seconds from `at` to the end of its window (at least 1).
    pub fn remaining(self, at: Timestamp) -> u64 {
        let left = self.seconds() - at.as_second().rem_euclid(self.seconds());
        u64::try_from(left).unwrap_or(1).max(1)
    }
}

/// How much of a windowed quota was used, as stored: the window and the count in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowCount {
    pub window: i64,
    pub count: u32,
}

impl WindowCount {
    /// Uses one unit at `at`: a new window starts from zero. Refused when `limit` units were
    /// already used in the window of `at`; then nothing changes.
    pub fn take(
        &mut self,
        quota: Quota,
        window: Window,
        limit: u32,
        at: Timestamp,
    ) -> Result<(), QuotaExceeded> {
        let current = window.index(at);
        if self.window != current {
            *self = WindowCount {
                window: current,
                count: 0,
            };
        }
        if self.count >= limit {
            return Err(QuotaExceeded {
                quota,
                limit,
                retry_after_s: Some(window.remaining(at)),
            });
        }
        self.count += 1;
        Ok(())
    }
}

/// Takes one unit of a quota that is not over time (`count` used so far).
pub fn take_count(count: &mut u32, quota: Quota, limit: u32) -> Result<(), QuotaExceeded> {
    if *count >= limit {
        return Err(QuotaExceeded {
            quota,
            limit,
            retry_after_s: None,
        });
    }
    *count += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn windows_are_utc_aligned_and_say_how_long_is_left() {
        assert_eq!(Window::Hour.index(at(3599)), 0);
        assert_eq!(Window::Hour.index(at(3600)), 1);
        assert_eq!(Window::Hour.remaining(at(3599)), 1);
        assert_eq!(Window::Hour.remaining(at(3600)), 3600);
        assert_eq!(Window::Day.remaining(at(86_400 + 400)), 86_000);
        assert_eq!(Window::Day.index(at(-1)), -1, "before the epoch too");
    }

    #[test]
    fn a_window_count_refuses_past_the_limit_until_the_next_window() {
        let mut used = WindowCount::default();
        let q = Quota::UploadsPerDay;
        for _ in 0..3 {
            used.take(q, Window::Day, 3, at(100)).unwrap();
        }
        let refused = used.take(q, Window::Day, 3, at(200)).unwrap_err();
        assert_eq!(refused.retry_after_s, Some(86_400 - 200));
        assert_eq!(refused.limit, 3);
        assert_eq!(used.count, 3, "a refusal uses nothing");
        used.take(q, Window::Day, 3, at(86_400)).unwrap();
        assert_eq!(
            used,
            WindowCount {
                window: 1,
                count: 1
            }
        );
    }

    #[test]
    fn a_plain_count_refuses_at_the_limit() {
        let mut count = 1;
        take_count(&mut count, Quota::UploadsPerAppointment, 2).unwrap();
        let refused = take_count(&mut count, Quota::UploadsPerAppointment, 2).unwrap_err();
        assert_eq!((count, refused.retry_after_s), (2, None));
    }
}
