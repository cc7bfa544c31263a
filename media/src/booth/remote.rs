//! The remote side on the booth: each stream webrtcbin exposes is decoded (decodebin); video
//! goes to the screen pipeline (screen.rs) through an `intervideosink`, audio through a `level` element
//! (the peer's loudness for staff and tests) to the speaker. Counters feed [`crate::stats`].

use super::pipeline::{ScreenChannels, el, leaky_queue};
use crate::feedback::KEYFRAME_REQUEST_INTERVAL;
use crate::settings::{AudioOutput, MediaSettings};
use crate::stats::Counters;
use crate::{MediaError, MediaEvent};
use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use gstreamer_sdp as gst_sdp;
use gstreamer_video as gst_video;
use gstreamer_webrtc as gst_webrtc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc::UnboundedSender;

pub(super) fn connect_remote_streams(
    pipeline: &gst::Pipeline,
    webrtcbin: &gst::Element,
    settings: &MediaSettings,
    channels: &ScreenChannels,
    counters: &Arc<Counters>,
    events: &UnboundedSender<MediaEvent>,
) {
    let screen = channels.remote.clone();
    let fake_audio = settings.audio_output == AudioOutput::Fake;
    let counters = Arc::clone(counters);
    let events = events.clone();
    webrtcbin.connect_pad_added(glib::clone!(
        #[weak]
        pipeline,
        move |_, pad| {
            if pad.direction() != gst::PadDirection::Src {
                return;
            }
            let result = decode_remote(&pipeline, pad, &screen, fake_audio, &counters, &events);
            if let Err(e) = result {
                let _ = events.send(MediaEvent::Error {
                    element: "decodebin".into(),
                    message: e.to_string(),
                });
            }
        }
    ));
}

/// Keeps NACK on the video the booth receives. webrtcbin (1.22 and still upstream) sets each
/// new jitter buffer's `do-retransmission` from *every* SSRC it knows in turn, not only the new
/// buffer's, so under max-bundle the last one wins — here the audio transceiver's `do-nack`
/// (off), which left the booth never asking Chromium to resend a lost video packet. After
/// webrtcbin's own handler, this sets it again from the remote description: on for an SSRC the
/// peer announced in a video section, off for one in an audio section (no NACK on audio:
/// pipeline.rs), and left alone for an SSRC the description does not name.
pub(super) fn keep_nack_on_video(webrtcbin: &gst::Element) {
    let Some(rtpbin) = webrtcbin
        .downcast_ref::<gst::Bin>()
        .and_then(|bin| bin.by_name("rtpbin"))
    else {
        tracing::warn!("webrtcbin has no rtpbin: NACK left as webrtcbin sets it");
        return;
    };
    let webrtcbin = webrtcbin.downgrade();
    rtpbin.connect("new-jitterbuffer", false, move |values| {
        let jitterbuffer = values.get(1).and_then(|v| v.get::<gst::Element>().ok());
        let ssrc = values.get(3).and_then(|v| v.get::<u32>().ok());
        let description = webrtcbin.upgrade().and_then(|w| {
            w.property::<Option<gst_webrtc::WebRTCSessionDescription>>("remote-description")
        });
        if let (Some(jitterbuffer), Some(ssrc), Some(description)) =
            (jitterbuffer, ssrc, description)
            && let Some(kind) = ssrc_kind(description.sdp(), ssrc)
        {
            let nack = kind == "video";
            tracing::debug!("jitter buffer for {kind} SSRC {ssrc}: do-retransmission {nack}");
            jitterbuffer.set_property("do-retransmission", nack);
        }
        None
    });
}

/// The media kind (`audio`, `video`) of the section of `sdp` that announces `ssrc` in an
/// `a=ssrc` line.
pub(crate) fn ssrc_kind(sdp: &gst_sdp::SDPMessageRef, ssrc: u32) -> Option<String> {
    sdp.medias()
        .find(|media| {
            media.attributes().any(|a| {
                a.key() == "ssrc"
                    && a.value()
                        .and_then(|v| v.split_whitespace().next())
                        .and_then(|v| v.parse::<u32>().ok())
                        == Some(ssrc)
            })
        })
        .and_then(|media| media.media().map(str::to_owned))
}

fn decode_remote(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    screen: &str,
    fake_audio: bool,
    counters: &Arc<Counters>,
    events: &UnboundedSender<MediaEvent>,
) -> Result<(), MediaError> {
    let decodebin = gst::ElementFactory::make("decodebin")
        .build()
        .map_err(|_| MediaError::MissingElement("decodebin".into()))?;
    decodebin
        .downcast_ref::<gst::Bin>()
        .ok_or_else(|| MediaError::Pipeline("decodebin is not a bin".into()))?
        .connect_deep_element_added(|_, _, element| configure_decoding(element));
    pipeline.add(&decodebin)?;
    decodebin.sync_state_with_parent()?;
    let sink = decodebin
        .static_pad("sink")
        .ok_or_else(|| MediaError::Pipeline("decodebin has no sink".into()))?;
    pad.link(&sink)?;
    let counters = Arc::clone(counters);
    let events = events.clone();
    let screen = screen.to_owned();
    decodebin.connect_pad_added(glib::clone!(
        #[weak]
        pipeline,
        move |_, pad| {
            let Some(caps) = pad.current_caps() else {
                return;
            };
            let Some(name) = caps.structure(0).map(|s| s.name().to_string()) else {
                return;
            };
            let result = if name.starts_with("video/") {
                show_remote_video(&pipeline, pad, &screen, &counters, &events)
            } else if name.starts_with("audio/") {
                play_remote_audio(&pipeline, pad, fake_audio, &counters, &events)
            } else {
                Ok(())
            };
            if let Err(e) = result {
                let _ = events.send(MediaEvent::Error {
                    element: "remote stream".into(),
                    message: e.to_string(),
                });
            }
        }
    ));
    Ok(())
}

/// Sets up what `decodebin` plugs for the peer's streams (docs/media.md "Receiving"):
///
/// - Video decoders (every `GstVideoDecoder`: vp8dec, avdec_h264, hardware decoders) ask for a
///   keyframe when a frame is missing (the jitter buffer gave up on a packet) or cannot be
///   decoded, at most once per [`KEYFRAME_REQUEST_INTERVAL`] — GStreamer's own limiter. They
///   keep decoding meanwhile (`corrupt-output` without `discard-input`): a picture with
///   artefacts for the few hundred milliseconds until the keyframe, rather than a frozen one
///   until it arrives — GStreamer sends the request with the next RTCP packet it may send,
///   which can be seconds after an earlier one, and a frozen face is worse in a consultation.
/// - Depayloaders never ask themselves (`request-keyframe` off), so every request goes through
///   that limiter.
/// - The Opus decoder conceals a lost packet and uses the in-band FEC the booth asks for in its
///   SDP (`useinbandfec=1`).
fn configure_decoding(element: &gst::Element) {
    let has = |name: &str| element.find_property(name).is_some();
    if element.is::<gst_video::VideoDecoder>() {
        let interval = KEYFRAME_REQUEST_INTERVAL.as_nanos();
        element.set_property("automatic-request-sync-points", true);
        element.set_property(
            "min-force-key-unit-interval",
            u64::try_from(interval).unwrap_or(u64::MAX),
        );
        element.set_property(
            "automatic-request-sync-point-flags",
            gst_video::VideoDecoderRequestSyncPointFlags::CORRUPT_OUTPUT,
        );
        element.set_property("discard-corrupted-frames", false);
    } else if has("request-keyframe") {
        element.set_property("request-keyframe", false);
    } else if has("use-inband-fec") && has("plc") {
        element.set_property("plc", true);
        element.set_property("use-inband-fec", true);
    }
}

fn show_remote_video(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    screen: &str,
    counters: &Arc<Counters>,
    events: &UnboundedSender<MediaEvent>,
) -> Result<(), MediaError> {
    let queue = leaky_queue("remotevideoqueue", 3, 0)?;
    let convert = el("videoconvert", "remotevideoconvert")?;
    let out = el("intervideosink", "remotevideoout")?;
    out.set_property("channel", screen);
    pipeline.add_many([&queue, &convert, &out])?;
    gst::Element::link_many([&queue, &convert, &out])?;
    for e in [&queue, &convert, &out] {
        e.sync_state_with_parent()?;
    }
    let c = Arc::clone(counters);
    let events = events.clone();
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, _| {
        // The sender may change size (Chromium starts small and ramps up): look again every
        // second or so.
        let n = c.recv_frames.fetch_add(1, Ordering::Relaxed);
        if n.is_multiple_of(30)
            && let Some(info) = pad
                .current_caps()
                .and_then(|caps| gst_video::VideoInfo::from_caps(&caps).ok())
        {
            if let Ok(mut size) = c.recv_size.lock() {
                *size = Some((info.width(), info.height()));
            }
            if n == 0 {
                let _ = events.send(MediaEvent::RemoteVideo {
                    width: info.width(),
                    height: info.height(),
                });
            }
        }
        gst::PadProbeReturn::Ok
    });
    pad.link(
        &queue
            .static_pad("sink")
            .ok_or_else(|| MediaError::Pipeline("no sink".into()))?,
    )?;
    Ok(())
}

fn play_remote_audio(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    fake_audio: bool,
    counters: &Arc<Counters>,
    events: &UnboundedSender<MediaEvent>,
) -> Result<(), MediaError> {
    let queue = el("queue", "remoteaudioqueue")?;
    let convert = el("audioconvert", "remoteaudioconvert")?;
    let resample = el("audioresample", "remoteaudioresample")?;
    let level = el("level", "remotelevel")?;
    level.set_property("interval", 200_000_000u64);
    level.set_property("post-messages", true);
    let sink = el(
        if fake_audio {
            "fakesink"
        } else {
            "autoaudiosink"
        },
        "speaker",
    )?;
    if fake_audio {
        sink.set_property("sync", true);
    }
    pipeline.add_many([&queue, &convert, &resample, &level, &sink])?;
    gst::Element::link_many([&queue, &convert, &resample, &level, &sink])?;
    for e in [&queue, &convert, &resample, &level, &sink] {
        e.sync_state_with_parent()?;
    }
    let c = Arc::clone(counters);
    let events = events.clone();
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
        if c.recv_audio_buffers.fetch_add(1, Ordering::Relaxed) == 0 {
            let _ = events.send(MediaEvent::RemoteAudio);
        }
        gst::PadProbeReturn::Ok
    });
    pad.link(
        &queue
            .static_pad("sink")
            .ok_or_else(|| MediaError::Pipeline("no sink".into()))?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gstreamer_app as gst_app;
    use std::sync::atomic::AtomicUsize;

    /// `n` VP8 frames of a test pattern at 30 fps (running time 0 to n/30 s), only the first a
    /// keyframe.
    fn vp8_frames(n: u32) -> (gst::Caps, Vec<gst::Buffer>) {
        let pipeline = gst::parse::launch(&format!(
            "videotestsrc num-buffers={n} ! video/x-raw,width=160,height=120,framerate=30/1 \
             ! vp8enc deadline=1 keyframe-max-dist=100000 ! appsink name=out sync=false"
        ))
        .expect("encoding pipeline")
        .downcast::<gst::Pipeline>()
        .expect("a pipeline");
        let sink = pipeline
            .by_name("out")
            .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
            .expect("appsink");
        pipeline.set_state(gst::State::Playing).expect("playing");
        let mut caps = None;
        let mut frames = Vec::new();
        // Blocks until a sample or the end of the stream.
        while let Ok(sample) = sink.pull_sample() {
            caps = caps.or_else(|| sample.caps_owned());
            frames.extend(sample.buffer_owned());
        }
        pipeline.set_state(gst::State::Null).expect("stopped");
        (caps.expect("caps"), frames)
    }

    /// Feeds `frames` into a `vp8dec` set up as the booth sets up its decoders, a missing-data
    /// gap (what the jitter buffer reports for a packet it gave up on) before every frame after
    /// the first, and counts the keyframe requests the decoder sends upstream.
    fn keyframe_requests(min_interval: Option<u64>) -> usize {
        let (caps, frames) = vp8_frames(60);
        let dec = gst::ElementFactory::make("vp8dec").build().expect("vp8dec");
        configure_decoding(&dec);
        if let Some(ns) = min_interval {
            dec.set_property("min-force-key-unit-interval", ns);
        }
        let sink = gst::ElementFactory::make("fakesink")
            .property("sync", false)
            .property("async", false)
            .build()
            .expect("fakesink");
        let pipeline = gst::Pipeline::new();
        pipeline.add_many([&dec, &sink]).expect("add");
        dec.link(&sink).expect("link");
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&requests);
        let src = gst::Pad::builder(gst::PadDirection::Src)
            .event_function(move |_, _, event| {
                if gst_video::UpstreamForceKeyUnitEvent::parse(&event).is_ok() {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                true
            })
            .build();
        src.set_active(true).expect("active");
        src.link(&dec.static_pad("sink").expect("sink pad"))
            .expect("link src");
        pipeline.set_state(gst::State::Playing).expect("playing");
        assert!(src.push_event(gst::event::StreamStart::new("keyframes")));
        assert!(src.push_event(gst::event::Caps::new(&caps)));
        let segment = gst::FormattedSegment::<gst::ClockTime>::new();
        assert!(src.push_event(gst::event::Segment::new(&segment)));
        for (i, frame) in frames.into_iter().enumerate() {
            if i > 0
                && let Some(pts) = frame.pts()
            {
                let gap = gst::event::Gap::builder(pts)
                    .duration(gst::ClockTime::from_mseconds(33))
                    .gap_flags(gst::GapFlags::DATA)
                    .build();
                src.push_event(gap);
            }
            let _ = src.push(frame);
        }
        pipeline.set_state(gst::State::Null).expect("stopped");
        requests.load(Ordering::SeqCst)
    }

    #[test]
    fn a_decoder_asks_for_a_keyframe_after_a_loss_at_most_once_per_interval() {
        crate::init().expect("gstreamer");
        // Two seconds of stream with a loss before every frame: one request at the first loss,
        // then at most one per 500 ms of stream time (the limiter counts in running time, so
        // this does not depend on how fast the machine is).
        let limited = keyframe_requests(None);
        assert!((2..=5).contains(&limited), "{limited} requests in 2 s");
        // The limiter is what holds it: without it every loss and every frame dropped while
        // waiting asks again.
        let unlimited = keyframe_requests(Some(0));
        assert!(unlimited > 30, "{unlimited} requests without the limiter");
    }

    #[test]
    fn an_ssrc_is_of_the_kind_of_the_section_that_announces_it() {
        crate::init().expect("gstreamer");
        let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
                   m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n\
                   a=ssrc:1111 cname:x\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:1\r\n\
                   a=ssrc-group:FID 2222 3333\r\na=ssrc:2222 cname:x\r\na=ssrc:2222 msid:a b\r\n\
                   a=ssrc:3333 cname:x\r\n";
        let sdp = gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes()).expect("sdp");
        assert_eq!(ssrc_kind(&sdp, 1111).as_deref(), Some("audio"));
        assert_eq!(ssrc_kind(&sdp, 2222).as_deref(), Some("video"));
        assert_eq!(ssrc_kind(&sdp, 3333).as_deref(), Some("video"));
        assert_eq!(ssrc_kind(&sdp, 4444), None);
    }
}
