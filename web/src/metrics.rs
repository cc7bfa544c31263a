//! Prometheus metrics (OpenMetrics text). Labels never carry identifiers or health data: only
//! method, route template and status.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route template (`/api/v1/patients/{id}`), never the concrete path.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

/// All metrics of the process, registered once.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub outbox_pending: Gauge,
    pub notifications_pending: Gauge,
    pub audit_records: Gauge,
    pub store_size_bytes: Gauge,
    pub ready: Gauge,
    /// Signalling and call quality (`teleconsult_signal_*`, `teleconsult_call_*`).
    pub calls: crate::call_metrics::CallMetrics,
    /// The storage filesystem and the store's condition (`teleconsult_storage_*`,
    /// `teleconsult_store_*`).
    pub storage: StorageMetrics,
}

/// Free space and the store's condition: what a site's monitoring alerts on before the disk is
/// full, and when the store refuses writes, went back to an earlier state or holds damage.
#[derive(Clone, Debug, Default)]
pub struct StorageMetrics {
    pub capacity_bytes: Gauge,
    pub free_bytes: Gauge,
    pub reserve_bytes: Gauge,
    pub used_percent: Gauge,
    pub writable: Gauge,
    pub rolled_back: Gauge,
    pub damaged_records: Gauge,
    pub checked_records: Gauge,
    /// Unix time of the end of the last scrub (set by the daemon, which owns the clock).
    pub last_check_seconds: Gauge,
}

impl StorageMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        let gauges: [(&str, &str, &Gauge); 9] = [
            (
                "storage_capacity_bytes",
                "Size of the filesystem holding the store",
                &metrics.capacity_bytes,
            ),
            (
                "storage_free_bytes",
                "Free space on the filesystem holding the store (for the daemon's user)",
                &metrics.free_bytes,
            ),
            (
                "storage_reserve_bytes",
                "Free space files may not use ([storage] reserve_mb, reserve_percent)",
                &metrics.reserve_bytes,
            ),
            (
                "storage_used_percent",
                "Share of the storage filesystem in use",
                &metrics.used_percent,
            ),
            (
                "store_writable",
                "1 while the store accepts writes",
                &metrics.writable,
            ),
            (
                "store_rolled_back",
                "1 while the store is behind its audit anchor (nothing is served)",
                &metrics.rolled_back,
            ),
            (
                "store_damaged_records",
                "Damaged records found by the last store check",
                &metrics.damaged_records,
            ),
            (
                "store_checked_records",
                "Records read by the last store check",
                &metrics.checked_records,
            ),
            (
                "store_last_check_timestamp_seconds",
                "When the last store check ended (Unix time; 0 before the first)",
                &metrics.last_check_seconds,
            ),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
        metrics
    }

    /// Sets the gauges from the store's condition and a fresh measurement of the filesystem.
    pub fn update(
        &self,
        condition: &teleconsult_store::StoreCondition,
        space: Option<teleconsult_store::DiskSpace>,
        reserve: teleconsult_store::Reserve,
    ) {
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        if let Some(space) = space.or(condition.disk) {
            self.capacity_bytes.set(clamp(space.capacity_bytes));
            self.free_bytes.set(clamp(space.available_bytes));
            self.reserve_bytes
                .set(clamp(reserve.bytes(space.capacity_bytes)));
            self.used_percent.set(i64::from(space.used_percent()));
        }
        self.writable.set(i64::from(condition.refusal().is_none()));
        self.rolled_back
            .set(i64::from(condition.rollback.is_some()));
        if let Some(scrub) = &condition.last_scrub {
            self.damaged_records.set(clamp(scrub.damaged));
            self.checked_records.set(clamp(scrub.records));
        }
    }
}

impl Metrics {
    /// All metrics, including the sync worker's (`teleconsult_sync_*`).
    pub fn new(sync: &teleconsult_sync::SyncHandle) -> Self {
        let mut registry = Registry::with_prefix("teleconsult");
        sync.register_metrics(&mut registry);
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            http_duration.clone(),
        );
        let outbox_pending = Gauge::default();
        registry.register(
            "outbox_pending",
            "Messages waiting for the national platform",
            outbox_pending.clone(),
        );
        let notifications_pending = Gauge::default();
        registry.register(
            "notifications_pending",
            "E-mails and SMS waiting for delivery (or retrying)",
            notifications_pending.clone(),
        );
        let audit_records = Gauge::default();
        registry.register(
            "audit_records",
            "Records in the audit chain",
            audit_records.clone(),
        );
        let store_size_bytes = Gauge::default();
        registry.register(
            "store_size_bytes",
            "Size of the local store on disk",
            store_size_bytes.clone(),
        );
        let ready = Gauge::default();
        registry.register("ready", "1 when the service is ready", ready.clone());
        let build_info = Family::<Vec<(String, String)>, Gauge>::default();
        build_info
            .get_or_create(&vec![(
                "version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )])
            .set(1);
        registry.register("build_info", "Build information", build_info);
        let calls = crate::call_metrics::CallMetrics::register(&mut registry);
        let storage = StorageMetrics::register(&mut registry);
        Self {
            registry: Arc::new(registry),
            http_requests,
            http_duration,
            outbox_pending,
            notifications_pending,
            audit_records,
            store_size_bytes,
            ready,
            calls,
            storage,
        }
    }

    /// OpenMetrics text of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
