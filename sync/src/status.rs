//! [`SyncHandle`]: what the rest of the daemon sees of the worker — the `/api/v1/sync/status`
//! value, Prometheus metrics, and a way to wake the worker (new outbox entries, staff "retry").
//! Cheap to clone; all clones share one state.

use crate::backoff::CircuitState;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use teleconsult_core::Timestamp;
use tokio::sync::Notify;

/// `GET /api/v1/sync/status` (DESIGN §4, contract: fields may be added, never removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub state: CircuitState,
    /// Outbox entries not yet delivered.
    pub pending: u64,
    pub last_success: Option<Timestamp>,
    /// Status code and error class only: never resource content or identifiers.
    pub last_error: Option<String>,
    /// Entries set aside for staff (refused by the platform).
    pub parked: u64,
    /// False when `[platform] base_url` is not set: nothing is sent.
    pub enabled: bool,
}

#[derive(Debug)]
struct State {
    status: SyncStatus,
}

/// Metrics of the sync worker (no labels carrying identifiers).
#[derive(Clone, Debug, Default)]
pub struct SyncMetrics {
    pub pending: Gauge,
    pub parked: Gauge,
    /// Messages delivered (acknowledged by the platform).
    pub sent: Counter,
    /// Failed delivery attempts (any class).
    pub failed: Counter,
    /// Messages parked for staff.
    pub parked_total: Counter,
    /// Remote appointment changes seen by the pull.
    pub pulled: Counter,
    /// Unix time of the last delivery or successful poll, seconds.
    pub last_success_seconds: Gauge<f64, AtomicU64>,
    /// 1 for the current state, 0 for the others.
    pub state: Family<Vec<(String, String)>, Gauge>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    wake: Notify,
    metrics: SyncMetrics,
}

/// Shared view of the sync worker. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SyncHandle(Arc<Shared>);

impl SyncHandle {
    /// A handle for a running (or about to run) worker: starts `offline` until the first answer.
    pub fn new() -> Self {
        Self::with(true)
    }

    /// For a site without `[platform] base_url`: reports `offline`, `enabled: false`.
    pub fn disabled() -> Self {
        let handle = Self::with(false);
        handle
            .update(|s| s.last_error = Some("sync is not configured ([platform] base_url)".into()));
        handle
    }

    fn with(enabled: bool) -> Self {
        let handle = SyncHandle(Arc::new(Shared {
            state: Mutex::new(State {
                status: SyncStatus {
                    state: CircuitState::Offline,
                    pending: 0,
                    last_success: None,
                    last_error: None,
                    parked: 0,
                    enabled,
                },
            }),
            wake: Notify::new(),
            metrics: SyncMetrics::default(),
        }));
        handle.publish_state(CircuitState::Offline);
        handle
    }

    /// The current status (what `/api/v1/sync/status` returns).
    pub fn status(&self) -> SyncStatus {
        self.0
            .state
            .lock()
            .map(|s| s.status.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().status.clone())
    }

    pub fn metrics(&self) -> &SyncMetrics {
        &self.0.metrics
    }

    /// Registers the metrics as `<prefix>_sync_*` (call once, on the process registry).
    pub fn register_metrics(&self, registry: &mut Registry) {
        let sub = registry.sub_registry_with_prefix("sync");
        let m = &self.0.metrics;
        sub.register(
            "pending",
            "Outbox entries waiting for the national platform",
            m.pending.clone(),
        );
        sub.register(
            "parked",
            "Outbox entries parked for staff",
            m.parked.clone(),
        );
        sub.register(
            "sent",
            "Messages delivered to the national platform",
            m.sent.clone(),
        );
        sub.register("failed", "Failed delivery attempts", m.failed.clone());
        sub.register(
            "parked_entries",
            "Messages parked for staff since start",
            m.parked_total.clone(),
        );
        sub.register(
            "pulled",
            "Remote appointment changes received",
            m.pulled.clone(),
        );
        sub.register(
            "last_success_timestamp_seconds",
            "Unix time of the last successful exchange with the platform",
            m.last_success_seconds.clone(),
        );
        sub.register("state", "Circuit state (1 = current)", m.state.clone());
    }

    /// Wakes the worker now (new outbox entries were written, or staff asked for a retry).
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.0.wake.notified().await;
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut SyncStatus)) {
        let mut guard = match self.0.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard.status);
    }

    pub(crate) fn set_counts(&self, pending: u64, parked: u64) {
        self.update(|s| {
            s.pending = pending;
            s.parked = parked;
        });
        self.0
            .metrics
            .pending
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
        self.0
            .metrics
            .parked
            .set(i64::try_from(parked).unwrap_or(i64::MAX));
    }

    pub(crate) fn set_state(&self, state: CircuitState) {
        self.update(|s| s.state = state);
        self.publish_state(state);
    }

    fn publish_state(&self, current: CircuitState) {
        for state in [
            CircuitState::Online,
            CircuitState::Offline,
            CircuitState::Degraded,
        ] {
            self.0
                .metrics
                .state
                .get_or_create(&vec![("state".to_owned(), state.name().to_owned())])
                .set(i64::from(state == current));
        }
    }

    pub(crate) fn succeeded(&self, at: Timestamp) {
        self.update(|s| s.last_success = Some(at));
        self.0
            .metrics
            .last_success_seconds
            .set(at.as_millisecond() as f64 / 1000.0);
    }

    pub(crate) fn failed(&self, error: String) {
        self.0.metrics.failed.inc();
        self.update(|s| s.last_error = Some(error));
    }
}

impl Default for SyncHandle {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn status_json_is_the_contract_shape() {
        let h = SyncHandle::new();
        h.set_counts(3, 1);
        h.set_state(CircuitState::Degraded);
        h.succeeded(Timestamp::from_second(1_750_000_000).unwrap());
        h.failed("platform unavailable: HTTP 503 on POST".into());
        let json = serde_json::to_value(h.status()).unwrap();
        assert_eq!(json["state"], "degraded");
        assert_eq!(json["pending"], 3);
        assert_eq!(json["last_success"], "2025-06-15T15:06:40Z");
        assert_eq!(json["last_error"], "platform unavailable: HTTP 503 on POST");
        let disabled = serde_json::to_value(SyncHandle::disabled().status()).unwrap();
        assert_eq!(disabled["state"], "offline");
        assert_eq!(disabled["last_success"], serde_json::Value::Null);
    }

    #[test]
    fn metrics_are_exported() {
        let h = SyncHandle::new();
        let mut registry = Registry::with_prefix("teleconsult");
        h.register_metrics(&mut registry);
        h.set_counts(7, 0);
        h.metrics().sent.inc();
        h.set_state(CircuitState::Online);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("teleconsult_sync_pending 7"), "{text}");
        assert!(text.contains("teleconsult_sync_sent_total 1"), "{text}");
        assert!(
            text.contains("teleconsult_sync_state{state=\"online\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("teleconsult_sync_state{state=\"offline\"} 0"),
            "{text}"
        );
    }
}
