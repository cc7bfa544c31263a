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
    pub calls: crate::call_room::CallMetrics,
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
        let calls = crate::call_room::CallMetrics::register(&mut registry);
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
        }
    }

    /// OpenMetrics text of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
