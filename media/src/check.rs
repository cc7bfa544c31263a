//! The device check before joining (DESIGN §7): the booth runs it on its own devices. Camera: a
//! short probe that must deliver frames; microphone: the `level` element's peak and RMS over the
//! same window; speaker: a short test tone played to the audio output. Blocking: run it with
//! [`check_devices`] (async, on a blocking thread) or [`check_devices_blocking`].

use crate::MediaError;
use crate::booth::pipeline::el;
use crate::devices::{self, MediaKind};
use crate::settings::{AudioOutput, MediaSettings};
use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Below this peak the microphone is reported silent (muted, unplugged jack, wrong input).
pub const SILENCE_DB: f64 = -60.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CameraProbe {
    pub device: String,
    pub frames: u64,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MicrophoneProbe {
    pub device: String,
    pub peak_db: f64,
    pub rms_db: f64,
    pub audible: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceCheckReport {
    pub camera: Result<CameraProbe, String>,
    pub microphone: Result<MicrophoneProbe, String>,
    pub speaker: Result<(), String>,
}

impl DeviceCheckReport {
    pub fn all_ok(&self) -> bool {
        self.camera.as_ref().is_ok_and(|c| c.frames > 0)
            && self.microphone.as_ref().is_ok_and(|m| m.audible)
            && self.speaker.is_ok()
    }
}

pub async fn check_devices(settings: MediaSettings, window: Duration) -> DeviceCheckReport {
    tokio::task::spawn_blocking(move || check_devices_blocking(&settings, window))
        .await
        .unwrap_or_else(|e| DeviceCheckReport {
            camera: Err(e.to_string()),
            microphone: Err(e.to_string()),
            speaker: Err(e.to_string()),
        })
}

pub fn check_devices_blocking(settings: &MediaSettings, window: Duration) -> DeviceCheckReport {
    DeviceCheckReport {
        camera: probe_camera(settings, window).map_err(|e| e.to_string()),
        microphone: probe_microphone(settings, window).map_err(|e| e.to_string()),
        speaker: play_test_tone(&settings.audio_output, window.min(Duration::from_secs(1)))
            .map_err(|e| e.to_string()),
    }
}

/// Runs `pipeline` for `window`, handing bus messages to `on_message`; fails on an error.
fn run_for(
    pipeline: &gst::Pipeline,
    window: Duration,
    mut on_message: impl FnMut(&gst::Message),
) -> Result<(), MediaError> {
    let bus = pipeline
        .bus()
        .ok_or_else(|| MediaError::Pipeline("no bus".into()))?;
    pipeline.set_state(gst::State::Playing)?;
    let deadline = Instant::now() + window;
    let mut failure = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(msg) = bus.timed_pop(gst::ClockTime::from_nseconds(left.as_nanos() as u64)) else {
            break;
        };
        if let gst::MessageView::Error(e) = msg.view() {
            failure = Some(e.error().to_string());
            break;
        }
        on_message(&msg);
    }
    let _ = pipeline.set_state(gst::State::Null);
    failure.map_or(Ok(()), |e| Err(MediaError::Pipeline(e)))
}

fn probe_camera(settings: &MediaSettings, window: Duration) -> Result<CameraProbe, MediaError> {
    let source = devices::select(MediaKind::Video, &settings.video_source)?;
    let pipeline = gst::Pipeline::with_name("camera-check");
    let src = source.make_element()?;
    let convert = el("videoconvert", "convert")?;
    let sink = el("fakesink", "sink")?;
    pipeline.add_many([&src, &convert, &sink])?;
    gst::Element::link_many([&src, &convert, &sink])?;
    let frames = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&frames);
    let pad = sink
        .static_pad("sink")
        .ok_or_else(|| MediaError::Pipeline("fakesink has no pad".into()))?;
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
        counted.fetch_add(1, Ordering::Relaxed);
        gst::PadProbeReturn::Ok
    });
    let mut size = (0, 0);
    run_for(&pipeline, window, |_| {
        if size == (0, 0)
            && let Some(s) = pad.current_caps().as_ref().and_then(|c| c.structure(0))
        {
            size = (
                s.get::<i32>("width").unwrap_or(0) as u32,
                s.get::<i32>("height").unwrap_or(0) as u32,
            );
        }
    })?;
    if size == (0, 0)
        && let Some(s) = pad.current_caps().as_ref().and_then(|c| c.structure(0))
    {
        size = (
            s.get::<i32>("width").unwrap_or(0) as u32,
            s.get::<i32>("height").unwrap_or(0) as u32,
        );
    }
    Ok(CameraProbe {
        device: source.name(),
        frames: frames.load(Ordering::Relaxed),
        width: size.0,
        height: size.1,
    })
}

fn probe_microphone(
    settings: &MediaSettings,
    window: Duration,
) -> Result<MicrophoneProbe, MediaError> {
    let source = devices::select(MediaKind::Audio, &settings.audio_source)?;
    let pipeline = gst::Pipeline::with_name("microphone-check");
    let src = source.make_element()?;
    let convert = el("audioconvert", "convert")?;
    let level = el("level", "level")?;
    level.set_property("interval", 100_000_000u64);
    level.set_property("post-messages", true);
    let sink = el("fakesink", "sink")?;
    pipeline.add_many([&src, &convert, &level, &sink])?;
    gst::Element::link_many([&src, &convert, &level, &sink])?;
    let (mut peak, mut rms) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut reports = 0;
    run_for(&pipeline, window, |msg| {
        let Some(s) = msg.structure().filter(|s| s.name() == "level") else {
            return;
        };
        let max = |field: &str| {
            s.get::<glib::ValueArray>(field).ok().and_then(|a| {
                a.iter()
                    .filter_map(|v| v.get::<f64>().ok())
                    .reduce(f64::max)
            })
        };
        if let (Some(p), Some(r)) = (max("peak"), max("rms")) {
            peak = peak.max(p);
            rms = rms.max(r);
            reports += 1;
        }
    })?;
    if reports == 0 {
        return Err(MediaError::Pipeline(format!(
            "{}: no level measured within {} ms",
            source.name(),
            window.as_millis()
        )));
    }
    Ok(MicrophoneProbe {
        device: source.name(),
        peak_db: peak.max(-200.0),
        rms_db: rms.max(-200.0),
        audible: peak > SILENCE_DB,
    })
}

/// A short 440 Hz tone to the audio output, so staff can hear the speaker works.
pub fn play_test_tone(output: &AudioOutput, duration: Duration) -> Result<(), MediaError> {
    let pipeline = gst::Pipeline::with_name("speaker-check");
    let src = el("audiotestsrc", "tone")?;
    src.set_property("is-live", true);
    src.set_property("volume", 0.3f64);
    let convert = el("audioconvert", "convert")?;
    let sink = el(
        match output {
            AudioOutput::Auto => "autoaudiosink",
            AudioOutput::Fake => "fakesink",
        },
        "speaker",
    )?;
    pipeline.add_many([&src, &convert, &sink])?;
    gst::Element::link_many([&src, &convert, &sink])?;
    run_for(&pipeline, duration, |_| {})
}
