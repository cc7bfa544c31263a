//! Congestion control on the booth's sending side (issue #22, docs/media.md "Bandwidth
//! estimation"). Nothing here is hand-written estimation: gst-plugins-rs's `rtpgccbwe` (Google
//! Congestion Control, crate `gst-plugin-rtp`, registered statically by [`register`]) sits in
//! front of webrtcbin's RTP session, the way webrtcsink plugs it in (webrtcbin's
//! `request-aux-sender`). It reads the peer's transport-cc feedback (delay and loss), paces what it
//! forwards, and publishes `estimated-bitrate`; [`attach`] follows that estimate and sets the
//! video encoder's target within [`RateLimits`].
//!
//! The estimate covers everything the session sends at the RTP level (video, audio, their
//! headers); the video encoder gets what is left once the audio and the per-packet overhead are
//! set aside ([`RateLimits::video_kbps`]).

use crate::MediaError;
use crate::stats::Counters;
use gstreamer as gst;
use gstreamer::prelude::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The audio stream at the RTP level: Opus at 32 kbit/s plus 50 RTP headers a second.
pub const AUDIO_KBPS: u32 = 40;
/// RTP header and transport-cc extension on a ~1200-byte video packet (about 2 %), plus a
/// margin for retransmissions: the share of the estimate the video encoder does not get.
const VIDEO_OVERHEAD: f64 = 0.04;
/// Where the estimate starts before any feedback (clamped to the limits): below the published
/// upstream of most pharmacy lines (0.6–2 Mbit/s), so the first seconds of a call do not flood
/// a slow line; GCC then ramps up about 8 % a second while the path allows it.
pub const START_KBPS: u32 = 1000;

/// The video encoder's target bitrate range, kbit/s: `media.min_bitrate_kbps` and
/// `media.max_bitrate_kbps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub min_kbps: u32,
    pub max_kbps: u32,
}

impl RateLimits {
    /// `min` above `max` is read as `max` (the daemon's config check refuses it anyway).
    pub fn new(min_kbps: u32, max_kbps: u32) -> Self {
        Self {
            min_kbps: min_kbps.min(max_kbps),
            max_kbps,
        }
    }

    /// What the whole session sends (bit/s, RTP level) when the video encoder is at `kbps`.
    fn session_bps(kbps: u32) -> u32 {
        let video = f64::from(kbps) / (1.0 - VIDEO_OVERHEAD);
        ((video + f64::from(AUDIO_KBPS)) * 1000.0).round() as u32
    }

    /// The bounds given to the estimator (bit/s): the session at the video encoder's minimum
    /// and maximum.
    pub fn estimator_bounds(&self) -> (u32, u32) {
        (
            Self::session_bps(self.min_kbps),
            Self::session_bps(self.max_kbps),
        )
    }

    /// The estimator's starting value (bit/s).
    pub fn start_bps(&self) -> u32 {
        let (min, max) = self.estimator_bounds();
        (START_KBPS * 1000).clamp(min, max)
    }

    /// The video encoder's target (kbit/s) for an estimate of `estimate_bps` for the session.
    pub fn video_kbps(&self, estimate_bps: u32) -> u32 {
        let left = (f64::from(estimate_bps) / 1000.0 - f64::from(AUDIO_KBPS)).max(0.0);
        let video = (left * (1.0 - VIDEO_OVERHEAD)).floor() as u32;
        video.clamp(self.min_kbps, self.max_kbps)
    }
}

/// Registers gst-plugins-rs's RTP plugin in this process (once, from [`crate::init`]). Only
/// its estimator is used: its RTP payloaders and depayloaders get rank NONE, so `decodebin`
/// keeps picking the ones of gst-plugins-good it picked before.
pub(crate) fn register() -> Result<(), MediaError> {
    gstrsrtp::plugin_register_static()
        .map_err(|e| MediaError::Init(format!("rtpgccbwe (gst-plugin-rtp): {e}")))?;
    for feature in gst::Registry::get().features_by_plugin("rsrtp") {
        if feature.name() != "rtpgccbwe" {
            feature.set_rank(gst::Rank::NONE);
        }
    }
    Ok(())
}

/// Puts an `rtpgccbwe` in front of webrtcbin's RTP session for each transport it makes (one
/// with `max-bundle`) and follows its estimate: each new estimate sets the target bitrate of
/// `encoder` ([`RateLimits::video_kbps`]) and is recorded in `counters` for the quality record.
/// The encoder starts at the target of the starting estimate.
pub(crate) fn attach(
    webrtcbin: &gst::Element,
    encoder: &gst::Element,
    limits: RateLimits,
    counters: &Arc<Counters>,
) {
    let start = limits.video_kbps(limits.start_bps());
    crate::encoder::set_bitrate(encoder, start);
    counters
        .video_target_kbps
        .store(u64::from(start), Ordering::Relaxed);
    let encoder = encoder.downgrade();
    let counters = Arc::clone(counters);
    webrtcbin.connect("request-aux-sender", false, move |_| {
        let bwe = match gst::ElementFactory::make("rtpgccbwe").build() {
            Ok(bwe) => bwe,
            Err(e) => {
                tracing::error!("no bandwidth estimation, the bitrate stays fixed: {e}");
                return None;
            }
        };
        let (min, max) = limits.estimator_bounds();
        bwe.set_property("min-bitrate", min);
        bwe.set_property("max-bitrate", max);
        bwe.set_property("estimated-bitrate", limits.start_bps());
        let encoder = encoder.clone();
        let counters = Arc::clone(&counters);
        bwe.connect_notify(Some("estimated-bitrate"), move |bwe, _| {
            let estimate = bwe.property::<u32>("estimated-bitrate");
            counters
                .estimate_kbps
                .store(u64::from(estimate / 1000), Ordering::Relaxed);
            let target = limits.video_kbps(estimate);
            let before = counters
                .video_target_kbps
                .swap(u64::from(target), Ordering::Relaxed);
            if before != u64::from(target)
                && let Some(encoder) = encoder.upgrade()
            {
                crate::encoder::set_bitrate(&encoder, target);
            }
        });
        Some(bwe.to_value())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_video_gets_the_estimate_less_audio_and_overhead_within_the_limits() {
        let limits = RateLimits::new(150, 2500);
        // 1 Mbit/s for the session: 40 for audio, 4 % of the rest for headers and repairs.
        assert_eq!(limits.video_kbps(1_000_000), 921);
        assert_eq!(limits.video_kbps(600_000), 537);
        // Never below the minimum, never above the maximum.
        assert_eq!(limits.video_kbps(50_000), 150);
        assert_eq!(limits.video_kbps(0), 150);
        assert_eq!(limits.video_kbps(u32::MAX), 2500);
    }

    #[test]
    fn the_estimator_is_bounded_by_the_session_at_the_encoder_limits() {
        let limits = RateLimits::new(150, 2500);
        let (min, max) = limits.estimator_bounds();
        assert_eq!(limits.video_kbps(min), 150);
        assert_eq!(limits.video_kbps(max), 2500);
        assert!(min < 250_000 && max < 2_700_000, "{min} {max}");
        // It starts at 1 Mbit/s, or inside the limits when they exclude it.
        assert_eq!(limits.start_bps(), 1_000_000);
        assert_eq!(RateLimits::new(100, 500).start_bps(), 560_833);
        assert_eq!(
            RateLimits::new(1500, 2500).video_kbps(RateLimits::new(1500, 2500).start_bps()),
            1500
        );
    }

    #[test]
    fn a_minimum_above_the_maximum_is_the_maximum() {
        assert_eq!(
            RateLimits::new(3000, 2000),
            RateLimits {
                min_kbps: 2000,
                max_kbps: 2000
            }
        );
    }

    #[test]
    fn the_estimator_is_registered_and_the_other_rust_rtp_elements_are_not_autoplugged() {
        crate::init().expect("gstreamer");
        let bwe = gst::ElementFactory::find("rtpgccbwe").expect("rtpgccbwe registered");
        assert_eq!(bwe.rank(), gst::Rank::NONE);
        let vp8depay2 = gst::ElementFactory::find("rtpvp8depay2").expect("registered too");
        assert_eq!(vp8depay2.rank(), gst::Rank::NONE);
        assert!(gst::ElementFactory::make("rtpgccbwe").build().is_ok());
    }
}
