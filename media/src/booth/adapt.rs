//! The booth follows its path once a second ([`crate::feedback`]): webrtcbin's statistics (the
//! peer's RTCP receiver reports, the booth's own jitter measurement) set Opus's expected loss
//! (`packet-loss-percentage`, which is what makes its in-band FEC carry anything) and the
//! latency of the receiving jitter buffers (webrtcbin `latency`, passed on by its `rtpbin` to
//! every jitter buffer; their latency message makes the bus task recompute the pipeline's).
//! Under congestion control it also applies the degradation policy ([`crate::degrade`]) to
//! the video encoder's target: a smaller picture or fewer frames through the caps of the
//! encoder's `capsfilter` (`enccaps`, set while no frame is in that branch: `rung.rs`), which
//! the encoder follows by renegotiating.

use super::Inner;
use crate::feedback::{self, FEEDBACK_EVERY};
use crate::stats::{RtpTotals, rtp_totals};
use gstreamer as gst;
use gstreamer::prelude::*;
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::oneshot;

/// A `get-stats` reply that does not come within this is skipped (webrtcbin stopping drops its
/// pending promises).
const STATS_TIMEOUT: Duration = Duration::from_secs(2);

/// webrtcbin's `get-stats` for the whole session, awaited without blocking; `None` when it does
/// not answer.
pub(super) async fn stats(webrtcbin: &gst::Element) -> Option<gst::Structure> {
    let (tx, rx) = oneshot::channel();
    let promise = gst::Promise::with_change_func(move |reply| {
        let _ = tx.send(reply.ok().flatten().map(gst::StructureRef::to_owned));
    });
    webrtcbin.emit_by_name::<()>("get-stats", &[&None::<gst::Pad>, &promise]);
    tokio::time::timeout(STATS_TIMEOUT, rx)
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
}

/// Runs until the session ends or is dropped; holds no strong reference across a wait.
pub(super) async fn run(session: Weak<Inner>) {
    // The first reading a second in: nothing to read while the call is being negotiated.
    let mut ticker =
        tokio::time::interval_at(tokio::time::Instant::now() + FEEDBACK_EVERY, FEEDBACK_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let webrtcbin = match session.upgrade() {
            Some(inner) if !inner.ended.load(Ordering::SeqCst) => {
                degrade(&inner);
                inner.webrtcbin.clone()
            }
            _ => break,
        };
        let Some(reply) = stats(&webrtcbin).await else {
            continue;
        };
        match session.upgrade() {
            Some(inner) if !inner.ended.load(Ordering::SeqCst) => {
                apply(&inner, &rtp_totals(&reply));
            }
            _ => break,
        }
    }
}

/// The degradation policy for the current video target, once a second (not on every
/// estimate: the hold times are in seconds and a caps change costs a keyframe).
fn degrade(inner: &Inner) {
    let Some(degrader) = &inner.degrader else {
        return;
    };
    let target = inner.counters.video_target_kbps.load(Ordering::Relaxed);
    let target = u32::try_from(target).unwrap_or(u32::MAX);
    if target == 0 {
        return;
    }
    let mut degrader = super::lock(degrader);
    let Some(rung) = degrader.decide(target, inner.started.elapsed()) else {
        return;
    };
    let format = rung.format;
    tracing::info!(
        "video target {target} kbit/s: the booth sends {}x{} at {} fps ({:?})",
        format.width,
        format.height,
        format.fps,
        degrader.degradation()
    );
    if let Ok(mut now) = inner.counters.degradation.lock() {
        *now = degrader.degradation();
    }
    if let (Some(queue), Some(caps)) = (
        inner.pipeline.by_name("encqueue"),
        inner.pipeline.by_name("enccaps"),
    ) {
        super::rung::apply(&queue, &caps, format);
    }
}

fn apply(inner: &Inner, totals: &RtpTotals) {
    let counters = &inner.counters;
    // The loss the peer reports for what the booth sends (audio and video share the path and
    // its bottleneck queue: the worse of the two).
    if let Some(fraction) = totals.remote_fraction_lost {
        let current = counters.opus_loss_percent.load(Ordering::Relaxed);
        let current = u32::try_from(current).unwrap_or(u32::MAX);
        let next = feedback::opus_loss_percent(fraction, current);
        if next != current
            && let Some(opusenc) = inner.pipeline.by_name("opusenc")
        {
            tracing::debug!(
                "peer reports {:.1} % loss: Opus expects {next} %",
                fraction * 100.0
            );
            opusenc.set_property("packet-loss-percentage", i32::try_from(next).unwrap_or(20));
            counters
                .opus_loss_percent
                .store(u64::from(next), Ordering::Relaxed);
        }
    }
    // Nothing received yet (or a send-only call): nothing to size the buffers from.
    if totals.packets_received == 0 || totals.jitter_s.is_none() {
        return;
    }
    let target = feedback::jitter_buffer_target_ms(
        totals.jitter_s.map(|s| s * 1000.0),
        totals.rtt_s.map(|s| s * 1000.0),
    );
    let current = counters.jitter_latency_ms.load(Ordering::Relaxed);
    let current = u32::try_from(current).unwrap_or(u32::MAX);
    if let Some(next) = feedback::next_latency_ms(current, target) {
        tracing::debug!(
            "jitter {:?} s, round trip {:?} s: jitter buffers {current} → {next} ms",
            totals.jitter_s,
            totals.rtt_s
        );
        inner.webrtcbin.set_property("latency", next);
        counters
            .jitter_latency_ms
            .store(u64::from(next), Ordering::Relaxed);
    }
}
