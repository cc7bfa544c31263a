//! Call quality: a [`CallQuality`] sample (RTT, loss, jitter, bitrate, fps, resolution) built from
//! webrtcbin's `get-stats` plus frame counters the pipeline keeps itself (GStreamer 1.22's
//! webrtcbin reports no frame rates or sizes). The same struct carries a browser's getStats
//! summary in the `stats` signalling frame, so every field is optional.

use gstreamer as gst;
use gstreamer_webrtc as gst_webrtc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub use teleconsult_core::call::CallQuality;

/// Frame and byte counters updated from pad probes on streaming threads.
#[derive(Debug, Default)]
pub struct Counters {
    pub sent_frames: AtomicU64,
    pub recv_frames: AtomicU64,
    pub recv_audio_buffers: AtomicU64,
    pub display_frames: AtomicU64,
    pub camera_frames: AtomicU64,
    pub sent_size: Mutex<Option<(u32, u32)>>,
    pub recv_size: Mutex<Option<(u32, u32)>>,
    /// Peak level of the peer's audio (dBFS), from the `level` element on the remote branch.
    pub recv_audio_peak_db: Mutex<Option<f64>>,
    /// The latest bandwidth estimate for the whole session, kbit/s (0: none yet).
    pub estimate_kbps: AtomicU64,
    /// The video encoder's target bitrate, kbit/s (0: not under congestion control).
    pub video_target_kbps: AtomicU64,
    /// What the video gives up to fit the estimate ([`crate::degrade`]), `None` at the full
    /// picture.
    pub degradation: Mutex<Option<teleconsult_core::call::VideoDegradation>>,
    /// Opus's expected loss (`packet-loss-percentage`) as last set from the peer's reports.
    pub opus_loss_percent: AtomicU64,
    /// The receiving jitter buffers' latency as last set (webrtcbin `latency`), ms.
    pub jitter_latency_ms: AtomicU64,
    /// False while a placeholder stands in for a lost camera.
    pub camera_live: std::sync::atomic::AtomicBool,
}

/// Raw totals out of one `get-stats` reply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RtpTotals {
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub packets_received: u64,
    pub packets_lost: i64,
    pub jitter_s: Option<f64>,
    pub rtt_s: Option<f64>,
    pub remote_fraction_lost: Option<f64>,
}

/// Sums the RTP stream statistics of a webrtcbin `get-stats` reply (all streams, audio + video).
pub fn rtp_totals(stats: &gst::StructureRef) -> RtpTotals {
    let mut t = RtpTotals::default();
    for (_, value) in stats.iter() {
        let Ok(s) = value.get::<gst::Structure>() else {
            continue;
        };
        let Ok(kind) = s.get::<gst_webrtc::WebRTCStatsType>("type") else {
            continue;
        };
        match kind {
            gst_webrtc::WebRTCStatsType::OutboundRtp => {
                t.bytes_sent += s.get::<u64>("bytes-sent").unwrap_or(0);
            }
            gst_webrtc::WebRTCStatsType::InboundRtp => {
                t.bytes_received += s.get::<u64>("bytes-received").unwrap_or(0);
                t.packets_received += s.get::<u64>("packets-received").unwrap_or(0);
                t.packets_lost += s.get::<i64>("packets-lost").unwrap_or(0);
                if let Ok(j) = s.get::<f64>("jitter") {
                    t.jitter_s = Some(t.jitter_s.map_or(j, |old: f64| old.max(j)));
                }
            }
            gst_webrtc::WebRTCStatsType::RemoteInboundRtp => {
                if let Ok(rtt) = s.get::<f64>("round-trip-time")
                    && rtt > 0.0
                {
                    t.rtt_s = Some(t.rtt_s.map_or(rtt, |old: f64| old.max(rtt)));
                }
                if let Ok(f) = s.get::<f64>("fraction-lost") {
                    t.remote_fraction_lost =
                        Some(t.remote_fraction_lost.map_or(f, |old: f64| old.max(f)));
                }
            }
            _ => {}
        }
    }
    t
}

fn nonzero(counter: &AtomicU64) -> Option<f64> {
    match counter.load(Ordering::Relaxed) {
        0 => None,
        v => Some(v as f64),
    }
}

/// Turns successive totals into rates.
#[derive(Debug, Default)]
pub struct StatsSampler {
    previous: Option<(Instant, RtpTotals, u64, u64)>,
}

impl StatsSampler {
    pub fn sample(&mut self, now: Instant, totals: RtpTotals, counters: &Counters) -> CallQuality {
        let sent = counters.sent_frames.load(Ordering::Relaxed);
        let recv = counters.recv_frames.load(Ordering::Relaxed);
        let mut q = CallQuality {
            rtt_ms: totals.rtt_s.map(|s| s * 1000.0),
            jitter_ms: totals.jitter_s.map(|s| s * 1000.0),
            remote_loss_pct: totals.remote_fraction_lost.map(|f| f * 100.0),
            recv_frames_total: Some(recv),
            recv_audio_buffers_total: Some(counters.recv_audio_buffers.load(Ordering::Relaxed)),
            estimate_kbps: nonzero(&counters.estimate_kbps),
            target_kbps: nonzero(&counters.video_target_kbps),
            degradation: counters.degradation.lock().ok().and_then(|d| *d),
            ..CallQuality::default()
        };
        // The loudest the peer was since the previous sample (a short sound between two
        // samples counts), then a new interval starts.
        if let Ok(mut peak) = counters.recv_audio_peak_db.lock() {
            q.recv_audio_peak_db = peak.take();
        }
        if let Ok(size) = counters.sent_size.lock()
            && let Some((w, h)) = *size
        {
            q.send_width = Some(w);
            q.send_height = Some(h);
        }
        if let Ok(size) = counters.recv_size.lock()
            && let Some((w, h)) = *size
        {
            q.recv_width = Some(w);
            q.recv_height = Some(h);
        }
        if let Some((then, old, old_sent, old_recv)) = &self.previous {
            let secs = now.duration_since(*then).as_secs_f64();
            if secs > 0.0 {
                let kbps =
                    |new: u64, old: u64| new.saturating_sub(old) as f64 * 8.0 / 1000.0 / secs;
                q.send_kbps = Some(kbps(totals.bytes_sent, old.bytes_sent));
                q.recv_kbps = Some(kbps(totals.bytes_received, old.bytes_received));
                q.send_fps = Some(sent.saturating_sub(*old_sent) as f64 / secs);
                q.recv_fps = Some(recv.saturating_sub(*old_recv) as f64 / secs);
                let got = totals.packets_received.saturating_sub(old.packets_received) as f64;
                let lost = (totals.packets_lost - old.packets_lost).max(0) as f64;
                if got + lost > 0.0 {
                    q.loss_pct = Some(lost * 100.0 / (got + lost));
                }
            }
        }
        self.previous = Some((now, totals, sent, recv));
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn reply(bytes_sent: u64, bytes_received: u64, received: u64, lost: i64) -> gst::Structure {
        let outbound = gst::Structure::builder("rtp-outbound-stream-stats")
            .field("type", gst_webrtc::WebRTCStatsType::OutboundRtp)
            .field("bytes-sent", bytes_sent)
            .build();
        let inbound = gst::Structure::builder("rtp-inbound-stream-stats")
            .field("type", gst_webrtc::WebRTCStatsType::InboundRtp)
            .field("bytes-received", bytes_received)
            .field("packets-received", received)
            .field("packets-lost", lost)
            .field("jitter", 0.004f64)
            .build();
        let remote = gst::Structure::builder("rtp-remote-inbound-stream-stats")
            .field("type", gst_webrtc::WebRTCStatsType::RemoteInboundRtp)
            .field("round-trip-time", 0.021f64)
            .field("fraction-lost", 0.02f64)
            .build();
        gst::Structure::builder("application/x-webrtc-stats")
            .field("rtp-outbound-stream-stats_1", outbound)
            .field("rtp-inbound-stream-stats_2", inbound)
            .field("rtp-remote-inbound-stream-stats_3", remote)
            .field("peer-connection-stats", "ignored")
            .build()
    }

    #[test]
    fn rates_come_from_deltas_between_samples() {
        crate::init().expect("gstreamer");
        let counters = Counters::default();
        let mut sampler = StatsSampler::default();
        let t0 = Instant::now();
        let first = sampler.sample(t0, rtp_totals(&reply(0, 0, 0, 0)), &counters);
        assert_eq!(first.send_kbps, None, "no rate from a single sample");
        assert_eq!(first.rtt_ms, Some(21.0));
        assert_eq!(first.remote_loss_pct, Some(2.0));
        counters.sent_frames.store(60, Ordering::Relaxed);
        counters.recv_frames.store(50, Ordering::Relaxed);
        *counters.recv_size.lock().expect("lock") = Some((640, 360));
        let q = sampler.sample(
            t0 + Duration::from_secs(2),
            rtp_totals(&reply(500_000, 250_000, 980, 20)),
            &counters,
        );
        assert_eq!(q.send_kbps, Some(2000.0));
        assert_eq!(q.recv_kbps, Some(1000.0));
        assert_eq!(q.send_fps, Some(30.0));
        assert_eq!(q.recv_fps, Some(25.0));
        assert_eq!(q.loss_pct, Some(2.0));
        assert_eq!(q.jitter_ms, Some(4.0));
        assert_eq!((q.recv_width, q.recv_height), (Some(640), Some(360)));
        assert_eq!(q.recv_audio_peak_db, None);

        // The audio peak is the loudest since the previous sample, then starts again.
        if let Ok(mut peak) = counters.recv_audio_peak_db.lock() {
            *peak = Some(-12.5);
        }
        let q = sampler.sample(
            t0 + Duration::from_secs(3),
            rtp_totals(&reply(750_000, 375_000, 1010, 20)),
            &counters,
        );
        assert_eq!(q.recv_audio_peak_db, Some(-12.5));
        let q = sampler.sample(
            t0 + Duration::from_secs(4),
            rtp_totals(&reply(1_000_000, 500_000, 1040, 20)),
            &counters,
        );
        assert_eq!(q.recv_audio_peak_db, None);
    }
}
