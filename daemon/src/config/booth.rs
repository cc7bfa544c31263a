//! `[queue]` and `[booth]`: the on-demand queue and the booth's sessions (issue #19,
//! `docs/booth.md`). Minutes may have fractions (`0.05` is 3 seconds: for tests and demos).

use serde::{Deserialize, Serialize};
use teleconsult_core::booth::BoothPolicy;
use teleconsult_core::queue::QueuePolicy;

/// The on-demand queue ("a doctor now").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Minutes an entry waits before the waiting side is offered the first free slot of its
    /// specialty instead (it keeps its place).
    pub offer_slot_after_min: f64,
    /// Minutes an on-demand consultation is expected to last: the estimated wait, and the
    /// length of the appointment created when a practitioner takes an entry.
    pub expected_consultation_min: f64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        let policy = QueuePolicy::default();
        Self {
            offer_slot_after_min: minutes(policy.offer_slot_after),
            expected_consultation_min: minutes(policy.expected_consultation),
        }
    }
}

/// The booth's sessions (booth sites).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoothConfig {
    /// Minutes without activity after which a booth session ends by itself and the cabin is
    /// reset; a slot booked from the cabin must start within it.
    pub idle_limit_min: f64,
}

impl Default for BoothConfig {
    fn default() -> Self {
        Self {
            idle_limit_min: minutes(BoothPolicy::default().idle_limit),
        }
    }
}

fn minutes(d: jiff::SignedDuration) -> f64 {
    d.as_secs_f64() / 60.0
}

fn duration(minutes: f64) -> jiff::SignedDuration {
    jiff::SignedDuration::try_from_secs_f64(minutes * 60.0).unwrap_or(jiff::SignedDuration::ZERO)
}

impl QueueConfig {
    pub fn policy(&self) -> QueuePolicy {
        QueuePolicy {
            offer_slot_after: duration(self.offer_slot_after_min),
            expected_consultation: duration(self.expected_consultation_min),
        }
    }
}

impl BoothConfig {
    pub fn policy(&self) -> BoothPolicy {
        BoothPolicy {
            idle_limit: duration(self.idle_limit_min),
        }
    }
}

/// Range checks of `[queue]` and `[booth]`.
pub(super) fn validate(queue: &QueueConfig, booth: &BoothConfig, bad: &mut impl FnMut(&str, &str)) {
    let within = |v: f64, lo: f64, hi: f64| v.is_finite() && (lo..=hi).contains(&v);
    if !within(queue.offer_slot_after_min, 0.05, 1440.0) {
        bad(
            "queue.offer_slot_after_min",
            "must be between 0.05 (3 seconds) and 1440 (a day) minutes",
        );
    }
    if !within(queue.expected_consultation_min, 1.0, 240.0) {
        bad(
            "queue.expected_consultation_min",
            "must be between 1 and 240 minutes",
        );
    }
    if !within(booth.idle_limit_min, 0.05, 720.0) {
        bad(
            "booth.idle_limit_min",
            "must be between 0.05 (3 seconds) and 720 (12 hours) minutes",
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::config::{ConfigSource, load};

    const TLS: &str = "[http]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n";

    fn loaded(
        text: &str,
        env: &[(&str, &str)],
    ) -> Result<crate::config::Config, crate::config::ConfigErrors> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("teleconsult.toml");
        std::fs::write(&path, format!("{TLS}{text}")).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        load(ConfigSource::Explicit(&path), false, &env)
    }

    #[test]
    fn queue_and_booth_have_defaults_fractions_and_environment_values() {
        let config = loaded("", &[]).unwrap();
        let (queue, booth) = (config.queue.policy(), config.booth.policy());
        assert_eq!(queue.offer_slot_after.as_mins(), 15);
        assert_eq!(queue.expected_consultation.as_mins(), 15);
        assert_eq!(booth.idle_limit.as_mins(), 30);
        let config = loaded(
            "[queue]\noffer_slot_after_min = 0.05\nexpected_consultation_min = 20\n[booth]\nidle_limit_min = 45\n",
            &[],
        )
        .unwrap();
        assert_eq!(config.queue.policy().offer_slot_after.as_secs(), 3);
        assert_eq!(config.queue.policy().expected_consultation.as_mins(), 20);
        assert_eq!(config.booth.policy().idle_limit.as_mins(), 45);
        let config = loaded(
            "",
            &[
                ("TELECONSULT__BOOTH__IDLE_LIMIT_MIN", "0.5"),
                ("TELECONSULT__QUEUE__OFFER_SLOT_AFTER_MIN", "2"),
            ],
        )
        .unwrap();
        assert_eq!(config.booth.policy().idle_limit.as_secs(), 30);
        assert_eq!(config.queue.policy().offer_slot_after.as_secs(), 120);
    }

    #[test]
    fn every_queue_and_booth_mistake_is_reported_at_once() {
        let errors = loaded(
            "[queue]\noffer_slot_after_min = 0\nexpected_consultation_min = 500\n\
             [booth]\nidle_limit_min = -1\nsoon = true\n",
            &[],
        )
        .unwrap_err();
        let mut keys: Vec<&str> = errors.0.iter().map(|i| i.key.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "booth.idle_limit_min",
                "booth.soon",
                "queue.expected_consultation_min",
                "queue.offer_slot_after_min"
            ],
            "{errors}"
        );
        let errors = loaded("[booth]\nidle_limit_min = \"later\"\n", &[]).unwrap_err();
        assert_eq!(errors.0[0].key, "booth.idle_limit_min", "{errors}");
    }
}
