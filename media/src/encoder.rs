//! Encoder choice (hardware when the registry offers one for the codec, else x264 zerolatency
//! or vp8 realtime) and the small element chains around it: encoder → RTP payloader → caps that
//! webrtcbin turns into the SDP (payload type, NACK via the transceiver, transport-cc).

use crate::MediaError;
use crate::settings::{VideoCodec, VideoFormat};
use gstreamer as gst;
use gstreamer::prelude::*;

/// Transport-wide congestion control header extension (RTP header extension URI).
pub const TWCC_URI: &str =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
pub const VIDEO_PT: i32 = 96;
pub const AUDIO_PT: i32 = 111;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncoderCandidate {
    pub factory: String,
    pub rank: i32,
    pub hardware: bool,
}

fn codec_caps(codec: VideoCodec) -> &'static str {
    match codec {
        VideoCodec::Vp8 => "video/x-vp8",
        VideoCodec::H264 => "video/x-h264",
    }
}

/// Every encoder in the registry that can produce `codec`.
pub fn candidates(codec: VideoCodec) -> Vec<EncoderCandidate> {
    let caps = gst::Caps::builder(codec_caps(codec)).build();
    gst::ElementFactory::factories_with_type(
        gst::ElementFactoryType::ENCODER | gst::ElementFactoryType::MEDIA_VIDEO,
        gst::Rank::NONE,
    )
    .into_iter()
    .filter(|f| f.can_src_any_caps(&caps))
    .map(|f| EncoderCandidate {
        factory: f.name().to_string(),
        rank: f.rank().into(),
        hardware: f
            .metadata(gst::ELEMENT_METADATA_KLASS)
            .is_some_and(|k| k.contains("Hardware")),
    })
    .collect()
}

/// The best hardware encoder by rank; else the software encoder we tune ourselves.
pub fn pick(codec: VideoCodec, candidates: &[EncoderCandidate]) -> Option<String> {
    let hardware = candidates
        .iter()
        .filter(|c| c.hardware)
        .max_by_key(|c| c.rank);
    if let Some(hw) = hardware {
        return Some(hw.factory.clone());
    }
    let preferred: &[&str] = match codec {
        VideoCodec::Vp8 => &["vp8enc"],
        VideoCodec::H264 => &["x264enc", "openh264enc"],
    };
    preferred
        .iter()
        .find(|p| candidates.iter().any(|c| c.factory == **p))
        .map(|p| (*p).to_owned())
}

pub fn make(factory: &str) -> Result<gst::Element, MediaError> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| MediaError::MissingElement(factory.to_owned()))
}

/// The encoder element, tuned for real time at `kbps` for pictures of `format`.
pub fn video_encoder(
    factory: &str,
    kbps: u32,
    format: VideoFormat,
) -> Result<gst::Element, MediaError> {
    let enc = make(factory)?;
    let keyframe_interval = format.fps.saturating_mul(2).max(1);
    match factory {
        "vp8enc" => {
            enc.set_property("deadline", 1i64);
            enc.set_property("cpu-used", 8i32);
            enc.set_property_from_str("end-usage", "cbr");
            enc.set_property("lag-in-frames", 0i32);
            enc.set_property("threads", 2i32);
            enc.set_property("keyframe-max-dist", keyframe_interval as i32);
            enc.set_property("buffer-initial-size", 100i32);
            enc.set_property("buffer-optimal-size", 120i32);
            enc.set_property("buffer-size", 150i32);
            // CBR alone is not a ceiling for vp8enc: on a picture it cannot compress (a
            // camera's noise in a dim booth, the fake camera's noise patch) it overshoots its
            // target whatever the target (3 Mbit/s for 300 kbit/s at 720p, docs/media.md "VP8
            // on a slow line"). It holds the target only when it may drop a frame once its
            // rate buffer runs low (libwebrtc's VP8 setting, 30 %), with the whole quantizer
            // range to spend first (libvpx's default ceiling, 63: at 56 it drops most frames
            // where a coarser picture would do), and keyframes capped at 3 frames' budget.
            enc.set_property("dropframe-threshold", VP8_DROPFRAME_PERCENT);
            enc.set_property("max-quantizer", 63i32);
            enc.set_property("max-intra-bitrate", VP8_MAX_INTRA_PERCENT);
            enc.set_property_from_str("error-resilient", "default");
        }
        "x264enc" => {
            enc.set_property_from_str("tune", "zerolatency");
            enc.set_property_from_str("speed-preset", "ultrafast");
            // Constant bitrate with a short rate buffer: the target is a ceiling (VBV max rate =
            // bitrate), and no frame — a keyframe included — may be larger than X264_VBV_MS of
            // it, so a keyframe never leaves as a burst the bottleneck's queue cannot hold.
            enc.set_property_from_str("pass", "cbr");
            enc.set_property("vbv-buf-capacity", X264_VBV_MS);
            enc.set_property("key-int-max", keyframe_interval);
            // Up to 720p one thread keeps up with room to spare (about 7 ms a frame on the
            // 2-core reference box) and costs a tenth less CPU than sliced threads, for the same
            // glass-to-glass latency (docs/benchmarks.md); bigger pictures keep x264's threads.
            if u64::from(format.width) * u64::from(format.height) <= 1280 * 720 {
                enc.set_property("threads", 1u32);
            }
        }
        _ => {}
    }
    set_bitrate(&enc, kbps);
    Ok(enc)
}

/// Rate buffer of x264 in milliseconds of the target bitrate (its default is 600).
pub const X264_VBV_MS: u32 = 250;

/// vp8enc drops the next frame when its rate buffer is below this share of its size (libvpx's
/// `rc_dropframe_thresh`; 0, its default, never drops and lets the encoder overshoot).
pub const VP8_DROPFRAME_PERCENT: i32 = 30;
/// A vp8enc keyframe may cost at most this share of a frame's budget (libvpx's
/// `rc_max_intra_bitrate_pct`; libwebrtc's floor for VP8).
pub const VP8_MAX_INTRA_PERCENT: i32 = 300;

/// Sets the encoder's target bitrate while it runs (every encoder we tune takes a new target
/// between two frames). Returns false for an encoder without a rate property we know.
pub fn set_bitrate(enc: &gst::Element, kbps: u32) -> bool {
    let factory = enc
        .factory()
        .map(|f| f.name().to_string())
        .unwrap_or_default();
    let bps = kbps.saturating_mul(1000);
    match factory.as_str() {
        "vp8enc" => enc.set_property("target-bitrate", i32::try_from(bps).unwrap_or(i32::MAX)),
        "x264enc" => enc.set_property("bitrate", kbps),
        "openh264enc" => enc.set_property("bitrate", bps),
        _ => {
            // Hardware encoders name their rate control differently; set what is there (kbit/s
            // for the `bitrate` of the VA-API and NVENC elements GStreamer ships).
            match enc.find_property("bitrate") {
                Some(p) if p.value_type() == u32::static_type() => {
                    enc.set_property("bitrate", kbps)
                }
                _ => return false,
            }
        }
    }
    true
}

/// RTP payloader for the codec.
pub fn video_payloader(codec: VideoCodec) -> Result<gst::Element, MediaError> {
    let pay = match codec {
        VideoCodec::Vp8 => {
            let pay = make("rtpvp8pay")?;
            pay.set_property_from_str("picture-id-mode", "15-bit");
            pay
        }
        VideoCodec::H264 => {
            let pay = make("rtph264pay")?;
            pay.set_property("config-interval", -1i32);
            pay.set_property_from_str("aggregate-mode", "zero-latency");
            pay
        }
    };
    pay.set_property("mtu", 1200u32);
    pay.set_property("pt", VIDEO_PT as u32);
    Ok(pay)
}

/// Caps after the video payloader: they become the video m-line (transport-cc included).
pub fn video_rtp_caps(codec: VideoCodec) -> gst::Caps {
    let name = match codec {
        VideoCodec::Vp8 => "VP8",
        VideoCodec::H264 => "H264",
    };
    let mut b = gst::Caps::builder("application/x-rtp")
        .field("media", "video")
        .field("encoding-name", name)
        .field("payload", VIDEO_PT)
        .field("clock-rate", 90_000i32)
        .field("extmap-1", TWCC_URI)
        .field("rtcp-fb-transport-cc", true);
    if codec == VideoCodec::H264 {
        b = b.field("packetization-mode", "1");
    }
    b.build()
}

/// Caps after the Opus payloader: they become the audio m-line. `useinbandfec=1` goes into its
/// `a=fmtp` (webrtcbin copies caps fields it does not know there): the booth decodes Opus FEC
/// and says so, and Chromium sends it FEC once it measures loss (RFC 7587 §6.1). No `usedtx`:
/// the booth asks nobody for DTX (docs/media.md "Audio first").
pub fn audio_rtp_caps() -> gst::Caps {
    gst::Caps::builder("application/x-rtp")
        .field("media", "audio")
        .field("encoding-name", "OPUS")
        .field("payload", AUDIO_PT)
        .field("clock-rate", 48_000i32)
        .field("encoding-params", "2")
        .field("useinbandfec", "1")
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(factory: &str, rank: i32, hardware: bool) -> EncoderCandidate {
        EncoderCandidate {
            factory: factory.into(),
            rank,
            hardware,
        }
    }

    #[test]
    fn hardware_wins_by_rank_else_the_tuned_software_encoder() {
        let soft = [c("openh264enc", 256, false), c("x264enc", 128, false)];
        assert_eq!(pick(VideoCodec::H264, &soft).as_deref(), Some("x264enc"));
        let with_hw = [
            c("x264enc", 128, false),
            c("vaapih264enc", 0, true),
            c("v4l2h264enc", 256, true),
        ];
        assert_eq!(
            pick(VideoCodec::H264, &with_hw).as_deref(),
            Some("v4l2h264enc")
        );
        assert_eq!(
            pick(VideoCodec::H264, &[c("openh264enc", 256, false)]).as_deref(),
            Some("openh264enc")
        );
        assert_eq!(pick(VideoCodec::Vp8, &[c("x264enc", 128, false)]), None);
    }

    #[test]
    fn x264_runs_one_thread_up_to_720p_and_its_own_threads_above() {
        crate::init().expect("gstreamer");
        let threads = |width, height| {
            let format = VideoFormat {
                width,
                height,
                fps: 30,
            };
            video_encoder("x264enc", 2500, format)
                .expect("x264enc builds")
                .property::<u32>("threads")
        };
        assert_eq!(threads(1280, 720), 1);
        assert_eq!(threads(640, 360), 1);
        assert_eq!(threads(1920, 1080), 0, "0 = x264 picks");
    }

    #[test]
    fn the_registry_offers_the_software_encoders_this_machine_has() {
        crate::init().expect("gstreamer");
        for codec in [VideoCodec::Vp8, VideoCodec::H264] {
            let found = candidates(codec);
            let chosen = pick(codec, &found).expect("an encoder for each codec");
            let enc = video_encoder(&chosen, 1500, VideoFormat::default()).expect("encoder builds");
            assert!(enc.factory().is_some());
        }
    }

    /// What `factory`, tuned as the booth tunes it for `kbps`, makes of `frames` frames of
    /// the fake camera's picture (moving SMPTE bars with their patch of noise) at 720p30, in
    /// kbit/s of stream time.
    fn encoded_kbps(factory: &str, kbps: u32, frames: i32) -> f64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        crate::init().expect("gstreamer");
        let format = VideoFormat {
            width: 1280,
            height: 720,
            fps: 30,
        };
        let src = gst::ElementFactory::make("videotestsrc")
            .property_from_str("pattern", "smpte")
            .property("horizontal-speed", 2i32)
            .property("num-buffers", frames)
            .build()
            .expect("videotestsrc");
        let caps = gst::ElementFactory::make("capsfilter")
            .property(
                "caps",
                gstreamer_video::VideoCapsBuilder::new()
                    .format(gstreamer_video::VideoFormat::I420)
                    .width(format.width as i32)
                    .height(format.height as i32)
                    .framerate(gst::Fraction::new(format.fps as i32, 1))
                    .build(),
            )
            .build()
            .expect("capsfilter");
        let enc = video_encoder(factory, kbps, format).expect("encoder");
        let sink = gst::ElementFactory::make("fakesink")
            .property("sync", false)
            .build()
            .expect("fakesink");
        let pipeline = gst::Pipeline::new();
        pipeline.add_many([&src, &caps, &enc, &sink]).expect("add");
        gst::Element::link_many([&src, &caps, &enc, &sink]).expect("link");
        let bytes = std::sync::Arc::new(AtomicU64::new(0));
        let counted = std::sync::Arc::clone(&bytes);
        enc.static_pad("src").expect("src pad").add_probe(
            gst::PadProbeType::BUFFER,
            move |_, info| {
                if let Some(buffer) = info.buffer() {
                    counted.fetch_add(buffer.size() as u64, Ordering::Relaxed);
                }
                gst::PadProbeReturn::Ok
            },
        );
        pipeline.set_state(gst::State::Playing).expect("playing");
        let bus = pipeline.bus().expect("bus");
        let msg = bus
            .timed_pop_filtered(
                gst::ClockTime::from_seconds(120),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            )
            .expect("the encoder finishes");
        assert_eq!(msg.type_(), gst::MessageType::Eos, "{msg:?}");
        pipeline.set_state(gst::State::Null).expect("null");
        let secs = f64::from(frames) / f64::from(format.fps);
        bytes.load(Ordering::Relaxed) as f64 * 8.0 / 1000.0 / secs
    }

    /// Issue #22, VP8 on a slow line: vp8enc sent about 3 Mbit/s of this picture for a
    /// 300 kbit/s target (and for any other), so no bandwidth estimate could hold it.
    #[test]
    fn the_software_encoders_hold_a_low_target_on_a_picture_they_cannot_compress() {
        for factory in ["vp8enc", "x264enc"] {
            let kbps = encoded_kbps(factory, 300, 150);
            assert!(
                kbps < 300.0 * 1.25,
                "{factory} sent {kbps:.0} kbit/s for a 300 kbit/s target"
            );
        }
    }
}
