//! The booth pipeline, built from named elements:
//!
//! ```text
//! camera ─ videoconvert ─ videoscale ─ videorate ─ caps(I420 WxH@fps) ─ tee ─ queue(leaky) ─ scale ─ rate ─ caps(rung) ─ encoder ─ pay ─ caps ─┐
//!                                                                        └─ queue(leaky) ─ scale ─ self view ─┐   │
//! mic ─ audioconvert ─ audioresample ─ caps(48 kHz) ─ queue(leaky) ─ opusenc ─ rtpopuspay ─ caps ──────────┐  │   │
//!                                                                                                    webrtcbin ◀┘
//! webrtcbin src ─ decodebin ─┬─ video ─ queue ─ videoconvert ─ videoscale ─ compositor(full screen) ─ display sink
//!                            └─ audio ─ queue ─ audioconvert ─ audioresample ─ level ─ audio sink
//! ```
//! With `display = none` (nothing to draw on) the tee and the self-view branch are left out.
//! The encoder's own `videoscale ! videorate ! capsfilter` (`enccaps`) pass the camera's
//! format through until the degradation policy picks a smaller picture or fewer frames
//! ([`crate::degrade`], applied by `adapt.rs` through `rung.rs`): the self view keeps the
//! camera's full picture.
//! The compositor draws the remote stream full screen with the self view as a small inset in
//! the bottom-right corner. Sources sit in [`SourceSlot`]s so a lost camera can be swapped for a
//! placeholder and back without touching the rest.

use crate::devices::{MediaKind, SelectedSource};
use crate::encoder;
use crate::settings::{DisplaySink, MediaSettings};
use crate::stats::Counters;
use crate::{MediaError, MediaEvent};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video as gst_video;
use gstreamer_webrtc as gst_webrtc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc::UnboundedSender;

pub(crate) fn el(factory: &str, name: &str) -> Result<gst::Element, MediaError> {
    gst::ElementFactory::make(factory)
        .name(name)
        .build()
        .map_err(|_| MediaError::MissingElement(factory.to_owned()))
}

fn capsfilter(name: &str, caps: gst::Caps) -> Result<gst::Element, MediaError> {
    let f = el("capsfilter", name)?;
    f.set_property("caps", caps);
    Ok(f)
}

pub(crate) fn leaky_queue(
    name: &str,
    buffers: u32,
    time_ms: u64,
) -> Result<gst::Element, MediaError> {
    let q = el("queue", name)?;
    q.set_property_from_str("leaky", "downstream");
    q.set_property("max-size-buffers", buffers);
    q.set_property("max-size-bytes", 0u32);
    q.set_property("max-size-time", time_ms * 1_000_000);
    Ok(q)
}

/// The camera thread must never wait on what is downstream of a branch queue: webrtcbin holds
/// its sink pads blocked until the call is negotiated, and the compositor can hold its input
/// while a new remote pad has no data yet, so a queue's streaming thread can sit in a push for
/// a long time. Serialized queries (allocation, drain) wait for that thread and froze the camera
/// with it: answer them at the queue instead.
fn never_wait_downstream(queue: &gst::Element) -> Result<(), MediaError> {
    let pad = queue
        .static_pad("sink")
        .ok_or_else(|| MediaError::Pipeline("queue has no sink pad".into()))?;
    pad.add_probe(gst::PadProbeType::QUERY_DOWNSTREAM, |_, info| {
        match info.query() {
            // Handled: the query stays the caller's and is answered "done" (Drop would unref it).
            Some(q) if q.is_serialized() => gst::PadProbeReturn::Handled,
            _ => gst::PadProbeReturn::Ok,
        }
    });
    Ok(())
}

/// A source that fails sends EOS after its error; the call must not end with it: EOS stops at
/// `pad`. The probe answers `Handled`, not `Drop`: gstreamer-rs has taken the event out of the
/// probe info, and GStreamer before 1.24.8 unrefs the info's empty data after a `Drop`, a GLib
/// critical (issue #22, docs/media.md "VP8 on a slow line").
fn keep_out_eos(pad: &gst::Pad) {
    pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, |_, info| {
        match info.event() {
            Some(e) if e.type_() == gst::EventType::Eos => {
                drop(info.take_event());
                gst::PadProbeReturn::Handled
            }
            _ => gst::PadProbeReturn::Ok,
        }
    });
}

/// A source element and the element it feeds; the source can be replaced while playing.
#[derive(Debug)]
pub(crate) struct SourceSlot {
    pub kind: MediaKind,
    pub source: SelectedSource,
    pub element: gst::Element,
    pub downstream: gst::Element,
    pub placeholder: bool,
}

impl SourceSlot {
    fn new(
        pipeline: &gst::Pipeline,
        kind: MediaKind,
        source: SelectedSource,
        downstream: &gst::Element,
    ) -> Result<Self, MediaError> {
        let element = source.make_element()?;
        pipeline.add(&element)?;
        element.link(downstream)?;
        if let Some(pad) = downstream.static_pad("sink") {
            keep_out_eos(&pad);
        }
        Ok(Self {
            kind,
            source,
            element,
            downstream: downstream.clone(),
            placeholder: false,
        })
    }

    /// Swaps the source element. Blocking: state changes, run on a blocking thread.
    pub fn swap(
        &mut self,
        pipeline: &gst::Pipeline,
        new: gst::Element,
        placeholder: bool,
    ) -> Result<(), MediaError> {
        let old = std::mem::replace(&mut self.element, new.clone());
        let _ = old.set_state(gst::State::Null);
        old.unlink(&self.downstream);
        let _ = pipeline.remove(&old);
        pipeline.add(&new)?;
        new.link(&self.downstream)?;
        new.sync_state_with_parent()?;
        self.placeholder = placeholder;
        Ok(())
    }

    /// What stands in for a lost device: black video / silence, live like the device.
    pub fn placeholder_element(&self) -> Result<gst::Element, MediaError> {
        match self.kind {
            MediaKind::Video => gst::ElementFactory::make("videotestsrc")
                .property("is-live", true)
                .property_from_str("pattern", "black")
                .build(),
            MediaKind::Audio => gst::ElementFactory::make("audiotestsrc")
                .property("is-live", true)
                .property_from_str("wave", "silence")
                .build(),
        }
        .map_err(|_| MediaError::MissingElement("test source".into()))
    }
}

/// Names of the inter-pipeline channels between the call pipeline and the screen pipeline;
/// unique per session so two sessions in one process never see each other's video.
#[derive(Clone, Debug)]
pub(crate) struct ScreenChannels {
    pub self_view: String,
    pub remote: String,
}

impl ScreenChannels {
    fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Self {
            self_view: format!("teleconsult-self-{}-{n}", std::process::id()),
            remote: format!("teleconsult-remote-{}-{n}", std::process::id()),
        }
    }
}

pub(crate) struct Built {
    pub pipeline: gst::Pipeline,
    /// The booth screen: remote full screen, self view inset, into the display sink.
    pub screen: gst::Pipeline,
    pub webrtcbin: gst::Element,
    pub video: SourceSlot,
    pub audio: SourceSlot,
    pub encoder: String,
}

pub(crate) fn build(
    settings: &MediaSettings,
    video: SelectedSource,
    audio: SelectedSource,
    counters: &Arc<Counters>,
    events: &UnboundedSender<MediaEvent>,
) -> Result<Built, MediaError> {
    let pipeline = gst::Pipeline::with_name("booth");
    let channels = ScreenChannels::new();
    let fmt = settings.capture;
    let (screen_w, screen_h) = settings.display_size;

    let webrtcbin = el("webrtcbin", "webrtc")?;
    webrtcbin.set_property_from_str("bundle-policy", "max-bundle");
    // The jitter buffers start at the floor and follow the measured jitter (booth/adapt.rs).
    webrtcbin.set_property("latency", crate::feedback::MIN_LATENCY_MS);
    counters.jitter_latency_ms.store(
        u64::from(crate::feedback::MIN_LATENCY_MS),
        Ordering::Relaxed,
    );
    if let Some(stun) = settings.stun_servers.first() {
        webrtcbin.set_property("stun-server", stun.replacen("stun:", "stun://", 1));
    }
    for turn in &settings.turn_servers {
        if !webrtcbin.emit_by_name::<bool>("add-turn-server", &[turn]) {
            return Err(MediaError::Pipeline(format!(
                "TURN server rejected: {turn}"
            )));
        }
    }

    // Camera → tee.
    let convert = el("videoconvert", "camconvert")?;
    let scale = el("videoscale", "camscale")?;
    let rate = el("videorate", "camrate")?;
    rate.set_property("drop-only", true);
    let raw_caps = encoder_caps(fmt);
    let camcaps = capsfilter("camcaps", raw_caps)?;
    // Encoder branch.
    let [encqueue, encscale, encrate, enccaps] = super::rung::branch(fmt)?;
    let candidates = encoder::candidates(settings.video_codec);
    let encoder_name = encoder::pick(settings.video_codec, &candidates)
        .ok_or_else(|| MediaError::MissingElement(format!("{:?} encoder", settings.video_codec)))?;
    let venc = encoder::video_encoder(&encoder_name, settings.max_bitrate_kbps, fmt)?;
    if settings.congestion_control {
        let limits = crate::congestion::RateLimits::new(
            settings.min_bitrate_kbps,
            settings.max_bitrate_kbps,
        );
        crate::congestion::attach(&webrtcbin, &venc, limits, counters);
    }
    let vpay = encoder::video_payloader(settings.video_codec)?;
    let vrtpcaps = capsfilter(
        "videortpcaps",
        encoder::video_rtp_caps(settings.video_codec),
    )?;
    // Microphone → webrtcbin.
    let aconvert = el("audioconvert", "micconvert")?;
    let aresample = el("audioresample", "micresample")?;
    let acaps = capsfilter(
        "miccaps",
        gst::Caps::builder("audio/x-raw")
            .field("rate", 48_000i32)
            .field("channels", 1i32)
            .build(),
    )?;
    // A leaky queue before opusenc: without it a start-up burst adds 150–250 ms of audio delay.
    let aqueue = leaky_queue("micqueue", 0, 60)?;
    let opusenc = el("opusenc", "opusenc")?;
    opusenc.set_property("bitrate", 32_000i32);
    opusenc.set_property_from_str("frame-size", "20");
    // In-band FEC, spent only once the peer reports loss: the booth feeds the measured loss
    // into `packet-loss-percentage` (booth/adapt.rs). No DTX: docs/media.md "Audio first".
    opusenc.set_property("inband-fec", true);
    opusenc.set_property("packet-loss-percentage", 0i32);
    opusenc.set_property("dtx", false);
    let apay = el("rtpopuspay", "opuspay")?;
    apay.set_property("pt", encoder::AUDIO_PT as u32);
    let artpcaps = capsfilter("audiortpcaps", encoder::audio_rtp_caps())?;

    pipeline.add_many([
        &webrtcbin, &convert, &scale, &rate, &camcaps, &encqueue, &encscale, &encrate, &enccaps,
        &venc, &vpay, &vrtpcaps, &aconvert, &aresample, &acaps, &aqueue, &opusenc, &apay,
        &artpcaps,
    ])?;
    gst::Element::link_many([&convert, &scale, &rate, &camcaps])?;
    gst::Element::link_many([
        &encqueue, &encscale, &encrate, &enccaps, &venc, &vpay, &vrtpcaps,
    ])?;
    // Without a screen nobody sees the self view: no tee, no scaling of every frame for it.
    if settings.display == DisplaySink::None {
        camcaps.link(&encqueue)?;
    } else {
        let tee = el("tee", "camtee")?;
        let selfqueue = self_view_branch(&pipeline, &tee, &channels, (screen_w, screen_h))?;
        camcaps.link(&tee)?;
        tee.link(&encqueue)?;
        never_wait_downstream(&selfqueue)?;
    }
    gst::Element::link_many([
        &aconvert, &aresample, &acaps, &aqueue, &opusenc, &apay, &artpcaps,
    ])?;

    for (src, is_video) in [(&vrtpcaps, true), (&artpcaps, false)] {
        let sink = webrtcbin
            .request_pad_simple("sink_%u")
            .ok_or_else(|| MediaError::Pipeline("webrtcbin gave no sink pad".into()))?;
        src.static_pad("src")
            .ok_or_else(|| MediaError::Pipeline("no src pad".into()))?
            .link(&sink)?;
        let transceiver = sink.property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver");
        transceiver.set_property(
            "direction",
            gst_webrtc::WebRTCRTPTransceiverDirection::Sendrecv,
        );
        // NACK/RTX on video only: on audio it broke calls with Chromium.
        transceiver.set_property("do-nack", is_video);
    }

    for queue in [&encqueue, &aqueue] {
        never_wait_downstream(queue)?;
    }
    add_counting_probes(&camcaps, &enccaps, &convert, settings, counters)?;
    super::remote::keep_nack_on_video(&webrtcbin);
    crate::retransmit::attach(&webrtcbin, counters, settings.max_bitrate_kbps);
    super::remote::connect_remote_streams(
        &pipeline, &webrtcbin, settings, &channels, counters, events,
    );
    let (screen, display) = super::screen::build(settings, &channels)?;
    if let Some(display) = display {
        let c = Arc::clone(counters);
        display
            .static_pad("sink")
            .ok_or_else(|| MediaError::Pipeline("display sink has no pad".into()))?
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                c.display_frames.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
    }

    let video = SourceSlot::new(&pipeline, MediaKind::Video, video, &convert)?;
    let audio = SourceSlot::new(&pipeline, MediaKind::Audio, audio, &aconvert)?;
    counters.camera_live.store(true, Ordering::Relaxed);
    Ok(Built {
        pipeline,
        screen,
        webrtcbin,
        video,
        audio,
        encoder: encoder_name,
    })
}

/// The self view: `tee` → leaky queue → scaled to a quarter of the screen → the screen
/// pipeline's self-view channel (screen.rs). Returns the queue.
fn self_view_branch(
    pipeline: &gst::Pipeline,
    tee: &gst::Element,
    channels: &ScreenChannels,
    (screen_w, screen_h): (u32, u32),
) -> Result<gst::Element, MediaError> {
    let queue = leaky_queue("selfqueue", 2, 0)?;
    let scale = el("videoscale", "selfscale")?;
    let caps = capsfilter(
        "selfcaps",
        gst_video::VideoCapsBuilder::new()
            .width((screen_w / 4) as i32)
            .height((screen_h / 4) as i32)
            .pixel_aspect_ratio(gst::Fraction::new(1, 1))
            .build(),
    )?;
    // The self view leaves the call pipeline here: the screen is its own pipeline.
    let out = el("intervideosink", "selfout")?;
    out.set_property("channel", &channels.self_view);
    pipeline.add_many([tee, &queue, &scale, &caps, &out])?;
    gst::Element::link_many([tee, &queue, &scale, &caps, &out])?;
    Ok(queue)
}

/// The encoder's input caps for a picture of `format` (a rung of the degradation ladder; the
/// camera's own format passes through unchanged).
pub(crate) fn encoder_caps(format: crate::settings::VideoFormat) -> gst::Caps {
    gst_video::VideoCapsBuilder::new()
        .format(gst_video::VideoFormat::I420)
        .width(format.width as i32)
        .height(format.height as i32)
        .framerate(gst::Fraction::new(format.fps as i32, 1))
        .pixel_aspect_ratio(gst::Fraction::new(1, 1))
        .build()
}

fn add_counting_probes(
    camcaps: &gst::Element,
    enccaps: &gst::Element,
    convert: &gst::Element,
    settings: &MediaSettings,
    counters: &Arc<Counters>,
) -> Result<(), MediaError> {
    let pad = |e: &gst::Element, name: &str| {
        e.static_pad(name)
            .ok_or_else(|| MediaError::Pipeline(format!("{} has no {name} pad", e.name())))
    };
    // What the encoder gets: frames and their size, which the degradation policy changes.
    let c = Arc::clone(counters);
    pad(enccaps, "src")?.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM,
        move |_, probe| {
            match probe.event() {
                Some(event) => {
                    if let gst::EventView::Caps(caps) = event.view()
                        && let Ok(i) = gst_video::VideoInfo::from_caps(caps.caps())
                        && let Ok(mut size) = c.sent_size.lock()
                    {
                        *size = Some((i.width(), i.height()));
                    }
                }
                None => {
                    c.sent_frames.fetch_add(1, Ordering::Relaxed);
                }
            }
            gst::PadProbeReturn::Ok
        },
    );
    let stamp = settings.stamp_capture_time;
    let info: std::sync::Mutex<Option<gst_video::VideoInfo>> = std::sync::Mutex::new(None);
    pad(camcaps, "src")?.add_probe(gst::PadProbeType::BUFFER, move |pad, probe| {
        if !stamp {
            return gst::PadProbeReturn::Remove;
        }
        let Ok(mut info) = info.lock() else {
            return gst::PadProbeReturn::Ok;
        };
        if info.is_none()
            && let Some(caps) = pad.current_caps()
        {
            *info = gst_video::VideoInfo::from_caps(&caps).ok();
        }
        if let (Some(i), Some(buffer)) = (info.as_ref(), probe.buffer_mut()) {
            let buffer = buffer.make_mut();
            if let Ok(mut frame) = gst_video::VideoFrameRef::from_buffer_ref_writable(buffer, i) {
                crate::stamp::draw(&mut frame, crate::stamp::now_ms_low32());
            }
        }
        gst::PadProbeReturn::Ok
    });
    let c = Arc::clone(counters);
    pad(convert, "sink")?.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
        if c.camera_live.load(Ordering::Relaxed) {
            c.camera_frames.fetch_add(1, Ordering::Relaxed);
        }
        gst::PadProbeReturn::Ok
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{Duration, Instant};

    /// A source that ends (here after one frame) sends EOS: it stops at the pad, the pipeline
    /// never sees it, and GStreamer reports no critical for it.
    #[test]
    fn a_sources_eos_stops_at_the_pad_it_feeds_without_a_glib_critical() {
        let _alone = crate::glib_log::counting_alone();
        crate::init().expect("gstreamer");
        let src = gst::ElementFactory::make("videotestsrc")
            .property("num-buffers", 1i32)
            .build()
            .expect("videotestsrc");
        let queue = gst::ElementFactory::make("queue").build().expect("queue");
        let sink = gst::ElementFactory::make("fakesink")
            .property("sync", false)
            .build()
            .expect("fakesink");
        let pipeline = gst::Pipeline::new();
        pipeline.add_many([&src, &queue, &sink]).expect("add");
        gst::Element::link_many([&src, &queue, &sink]).expect("link");
        let pad = queue.static_pad("sink").expect("sink pad");
        // Added first, this probe sees the EOS before `keep_out_eos` stops it.
        let arrived = Arc::new(AtomicU32::new(0));
        let seen = Arc::clone(&arrived);
        pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
            if info.event().map(|e| e.type_()) == Some(gst::EventType::Eos) {
                seen.fetch_add(1, Ordering::Relaxed);
            }
            gst::PadProbeReturn::Ok
        });
        keep_out_eos(&pad);
        let before = crate::glib_log::criticals();
        pipeline.set_state(gst::State::Playing).expect("playing");
        let deadline = Instant::now() + Duration::from_secs(10);
        while arrived.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let bus = pipeline.bus().expect("bus");
        let eos = bus.timed_pop_filtered(
            gst::ClockTime::from_mseconds(200),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        );
        // Down, its streaming threads are done: whatever they reported is counted.
        pipeline.set_state(gst::State::Null).expect("null");
        let after = crate::glib_log::criticals();
        assert_eq!(
            arrived.load(Ordering::Relaxed),
            1,
            "the source sent its EOS"
        );
        assert!(eos.is_none(), "the EOS went through: {eos:?}");
        assert_eq!(after.count, before.count, "{after:?}");
    }
}
