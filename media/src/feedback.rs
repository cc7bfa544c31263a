//! What the booth does with the path's feedback (issue #22 items 3 and 4, docs/media.md
//! "Audio first" and "Receiving"): pure policies, applied once a second by the booth session
//! from webrtcbin's statistics (`booth/adapt.rs`).
//!
//! - [`opus_loss_percent`]: Opus's expected loss (`opusenc` `packet-loss-percentage`) from the
//!   loss the peer reports in its RTCP receiver reports. libopus only spends bits on in-band FEC
//!   when this is above 0, so `inband-fec` alone protects nothing. The levels and margins are
//!   libwebrtc's (Chromium's own Opus sender, `OptimizePacketLossRate`): a few coarse steps with
//!   hysteresis, so the encoder does not toggle on every report.
//! - [`jitter_buffer_target_ms`] / [`next_latency_ms`]: the receiving jitter buffers' latency
//!   (webrtcbin `latency`) from the measured interarrival jitter and round-trip time, between
//!   [`MIN_LATENCY_MS`] and [`MAX_LATENCY_MS`].
//! - [`KEYFRAME_REQUEST_INTERVAL`]: the least time between two keyframe requests from the
//!   booth's video decoder (GStreamer's own limiter, `GstVideoDecoder`
//!   `min-force-key-unit-interval`, set in `booth/remote.rs`).

use std::time::Duration;

/// How often the booth reads its statistics and adapts.
pub const FEEDBACK_EVERY: Duration = Duration::from_secs(1);

/// Opus expected-loss levels (percent) and the margin around each one (percentage points):
/// reaching a level from below takes the level plus its margin, leaving it from above takes
/// the level less its margin.
const LOSS_LEVELS: [(u32, f64); 3] = [(20, 2.0), (10, 1.0), (5, 1.0)];
/// Below 1 % measured loss Opus spends nothing on FEC.
const LOSS_FLOOR: u32 = 1;

/// `packet-loss-percentage` for `opusenc` given the measured loss `fraction_lost` (0–1, as in an
/// RTCP receiver report) and the percentage currently set. One of 0, 1, 5, 10, 20: never above
/// 20 — past that FEC takes so much of the 32 kbit/s that speech itself suffers, and a path that
/// loses a fifth of its packets needs the bandwidth estimate to back off, not more redundancy.
pub fn opus_loss_percent(fraction_lost: f64, current: u32) -> u32 {
    let measured = if fraction_lost.is_finite() {
        fraction_lost.clamp(0.0, 1.0) * 100.0
    } else {
        0.0
    };
    for (level, margin) in LOSS_LEVELS {
        let threshold = if current < level {
            f64::from(level) + margin
        } else {
            f64::from(level) - margin
        };
        if measured >= threshold {
            return level;
        }
    }
    if measured >= f64::from(LOSS_FLOOR) {
        LOSS_FLOOR
    } else {
        0
    }
}

/// The jitter buffers' latency on a clean path, and the floor: what the booth used before it
/// measured anything (the media tests and benchmarks were measured with it).
pub const MIN_LATENCY_MS: u32 = 100;
/// The ceiling: past 400 ms of one-way delay a conversation breaks down (ITU-T G.114); a path
/// worse than that gets late packets dropped rather than a call nobody can talk over.
pub const MAX_LATENCY_MS: u32 = 400;
/// How many times the RFC 3550 interarrival jitter (a smoothed mean deviation) the buffer holds.
const JITTER_FACTOR: f64 = 4.0;
/// Time for the jitter buffer to notice a gap and send its NACK, on top of the round trip.
const NACK_MARGIN_MS: f64 = 30.0;
/// Latency changes smaller than this are not applied: each change briefly stretches or cuts
/// the audio, so the buffer follows the path in steps.
const LATENCY_STEP_MS: u32 = 25;

/// The latency (ms) the receiving jitter buffers need for a path with interarrival jitter
/// `jitter_ms` and round-trip time `rtt_ms`: enough to absorb the jitter and still receive one
/// retransmission (a NACK and its answer take a round trip), within
/// [`MIN_LATENCY_MS`]–[`MAX_LATENCY_MS`]. Unknown values count as zero.
pub fn jitter_buffer_target_ms(jitter_ms: Option<f64>, rtt_ms: Option<f64>) -> u32 {
    let finite = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0).unwrap_or(0.0);
    let want = JITTER_FACTOR * finite(jitter_ms) + finite(rtt_ms) + NACK_MARGIN_MS;
    let clamped = want.clamp(f64::from(MIN_LATENCY_MS), f64::from(MAX_LATENCY_MS));
    // Whole 10 ms steps, rounded up.
    ((clamped / 10.0).ceil() as u32 * 10).min(MAX_LATENCY_MS)
}

/// The latency to set now, or `None` to keep `current`: a change of less than
/// [`LATENCY_STEP_MS`] is not worth a glitch.
pub fn next_latency_ms(current: u32, target: u32) -> Option<u32> {
    (current.abs_diff(target) >= LATENCY_STEP_MS).then_some(target)
}

/// The least time between two keyframe requests (PLI) the booth sends for the video it
/// receives. A keyframe on a slow line takes a round trip plus a few hundred milliseconds to
/// arrive; asking again before it can have arrived only makes the sender spend more of a lossy
/// link on keyframes. Chromium itself answers at most one request per 300 ms.
pub const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(500);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opus_expects_the_measured_loss_in_coarse_steps() {
        assert_eq!(opus_loss_percent(0.0, 0), 0);
        assert_eq!(opus_loss_percent(0.005, 0), 0);
        assert_eq!(opus_loss_percent(0.01, 0), 1);
        assert_eq!(opus_loss_percent(0.03, 0), 1);
        assert_eq!(opus_loss_percent(0.06, 0), 5);
        assert_eq!(opus_loss_percent(0.12, 0), 10);
        assert_eq!(opus_loss_percent(0.25, 0), 20);
        // Never above 20 %, whatever the path loses; nonsense reads as no loss.
        assert_eq!(opus_loss_percent(1.0, 0), 20);
        assert_eq!(opus_loss_percent(7.0, 20), 20);
        assert_eq!(opus_loss_percent(-0.5, 5), 0);
        assert_eq!(opus_loss_percent(f64::NAN, 10), 0);
    }

    #[test]
    fn opus_loss_levels_do_not_toggle_around_a_threshold() {
        // From below, 5 % needs 6 %; from above, it holds down to 4 %.
        assert_eq!(opus_loss_percent(0.055, 1), 1);
        assert_eq!(opus_loss_percent(0.06, 1), 5);
        assert_eq!(opus_loss_percent(0.045, 5), 5);
        assert_eq!(opus_loss_percent(0.035, 5), 1);
        // 10 %: 11 up, 9 down; 20 %: 22 up, 18 down.
        assert_eq!(opus_loss_percent(0.105, 5), 5);
        assert_eq!(opus_loss_percent(0.095, 10), 10);
        assert_eq!(opus_loss_percent(0.21, 10), 10);
        assert_eq!(opus_loss_percent(0.19, 20), 20);
        assert_eq!(opus_loss_percent(0.17, 20), 10);
    }

    #[test]
    fn the_jitter_buffer_holds_the_jitter_and_one_retransmission_within_bounds() {
        // A clean path keeps the floor.
        assert_eq!(jitter_buffer_target_ms(None, None), MIN_LATENCY_MS);
        assert_eq!(jitter_buffer_target_ms(Some(1.0), Some(2.0)), 100);
        // 4G: 15 ms jitter, 80 ms round trip → 4 × 15 + 80 + 30 = 170.
        assert_eq!(jitter_buffer_target_ms(Some(15.0), Some(80.0)), 170);
        // Rounded up to 10 ms.
        assert_eq!(jitter_buffer_target_ms(Some(20.5), Some(50.0)), 170);
        // Never above the ceiling; nonsense is ignored.
        assert_eq!(
            jitter_buffer_target_ms(Some(200.0), Some(300.0)),
            MAX_LATENCY_MS
        );
        assert_eq!(
            jitter_buffer_target_ms(Some(f64::INFINITY), Some(-3.0)),
            MIN_LATENCY_MS
        );
        assert_eq!(
            jitter_buffer_target_ms(Some(f64::NAN), None),
            MIN_LATENCY_MS
        );
    }

    #[test]
    fn the_latency_moves_only_in_steps_worth_a_glitch() {
        assert_eq!(next_latency_ms(100, 100), None);
        assert_eq!(next_latency_ms(100, 120), None);
        assert_eq!(next_latency_ms(100, 130), Some(130));
        assert_eq!(next_latency_ms(170, 150), None);
        assert_eq!(next_latency_ms(170, 100), Some(100));
    }
}
