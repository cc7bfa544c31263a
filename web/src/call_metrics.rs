//! The call rooms' metrics (`/metrics`): frames by type, the quality samples' distributions
//! and the rooms open — counts and distributions only, never an appointment, a person or a
//! message.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets, linear_buckets};
use prometheus_client::registry::Registry;
use teleconsult_core::call::CallQuality;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FrameLabels {
    /// The frame's `type` (a fixed set), never its content.
    pub kind: String,
}

/// Call metrics: counts and distributions only, never an appointment, a person or a message.
#[derive(Clone)]
pub struct CallMetrics {
    pub frames: Family<FrameLabels, Counter>,
    pub rtt_seconds: Histogram,
    pub loss_ratio: Histogram,
    pub jitter_seconds: Histogram,
    pub receive_kbps: Histogram,
    pub receive_fps: Histogram,
    pub rooms: Gauge,
}

impl CallMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            frames: Family::default(),
            rtt_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 10)),
            loss_ratio: Histogram::new(exponential_buckets(0.001, 2.0, 10)),
            jitter_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 10)),
            receive_kbps: Histogram::new(exponential_buckets(50.0, 2.0, 10)),
            receive_fps: Histogram::new(linear_buckets(5.0, 5.0, 12)),
            rooms: Gauge::default(),
        };
        registry.register(
            "signal_frames",
            "Signalling frames received, by type",
            metrics.frames.clone(),
        );
        registry.register(
            "call_rtt_seconds",
            "Round-trip time reported by call clients",
            metrics.rtt_seconds.clone(),
        );
        registry.register(
            "call_loss_ratio",
            "Packet loss reported by call clients",
            metrics.loss_ratio.clone(),
        );
        registry.register(
            "call_jitter_seconds",
            "Jitter reported by call clients",
            metrics.jitter_seconds.clone(),
        );
        registry.register(
            "call_receive_kbps",
            "Receive bitrate reported by call clients",
            metrics.receive_kbps.clone(),
        );
        registry.register(
            "call_receive_fps",
            "Received video frame rate reported by call clients",
            metrics.receive_fps.clone(),
        );
        registry.register(
            "call_rooms",
            "Call rooms with someone connected",
            metrics.rooms.clone(),
        );
        metrics
    }

    pub(crate) fn observe(&self, q: &CallQuality) {
        if let Some(v) = q.rtt_ms {
            self.rtt_seconds.observe(v / 1000.0);
        }
        if let Some(v) = q.loss_pct {
            self.loss_ratio.observe(v / 100.0);
        }
        if let Some(v) = q.jitter_ms {
            self.jitter_seconds.observe(v / 1000.0);
        }
        if let Some(v) = q.recv_kbps {
            self.receive_kbps.observe(v);
        }
        if let Some(v) = q.recv_fps {
            self.receive_fps.observe(v);
        }
    }
}
