//! The remote side on the booth: each stream webrtcbin exposes is decoded (decodebin); video
//! goes to the screen pipeline (screen.rs) through an `intervideosink`, audio through a `level` element
//! (the peer's loudness for staff and tests) to the speaker. Counters feed [`crate::stats`].

use super::pipeline::{ScreenChannels, el, leaky_queue};
use crate::settings::{AudioOutput, MediaSettings};
use crate::stats::Counters;
use crate::{MediaError, MediaEvent};
use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use gstreamer_video as gst_video;
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
