//! The booth screen, a pipeline of its own: the remote stream full screen with the self view as
//! a small inset in the bottom-right corner, composited into the display sink. It reads both
//! from `intervideosrc` channels fed by the call pipeline, so the screen never holds back
//! capture or decoding (a compositor waiting on a new input once froze the camera thread), and
//! it keeps drawing (black where a stream is missing) while the call renegotiates.

use super::pipeline::{ScreenChannels, el};
use crate::MediaError;
use crate::settings::{DisplaySink, MediaSettings};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video as gst_video;

/// Whether the machine has anything to draw on: an X or Wayland display, or a DRM device
/// (`kmssink` on the console of a booth box).
fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
        || std::fs::read_dir("/dev/dri").is_ok_and(|mut entries| {
            entries.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("card")))
        })
}

pub(super) fn display_sink(settings: &MediaSettings) -> Result<gst::Element, MediaError> {
    let factory = match &settings.display {
        // With nothing to draw on, autovideosink ends up trying dfbvideosink, which crashes
        // the process (GStreamer 1.22): draw nowhere instead, and say so.
        DisplaySink::Auto if !display_available() => {
            tracing::warn!(
                "no display (DISPLAY, WAYLAND_DISPLAY, /dev/dri): the booth screen is not drawn"
            );
            "fakesink"
        }
        DisplaySink::Auto => "autovideosink",
        DisplaySink::Ximage => "ximagesink",
        DisplaySink::Fake => "fakesink",
        DisplaySink::Element(name) => name.as_str(),
        DisplaySink::None => "fakesink",
    };
    let sink = el(factory, "display")?;
    if sink.find_property("sync").is_some() {
        // Show frames as they come: the sources already pace the screen.
        sink.set_property("sync", false);
    }
    Ok(sink)
}

/// One input: `intervideosrc` → convert → scale → caps → compositor pad at (x, y, z).
fn input(
    screen: &gst::Pipeline,
    compositor: &gst::Element,
    name: &str,
    channel: &str,
    (x, y, w, h): (i32, i32, i32, i32),
    zorder: u32,
    fps: i32,
) -> Result<(), MediaError> {
    let src = el("intervideosrc", &format!("{name}src"))?;
    src.set_property("channel", channel);
    // Black after one second without frames: the peer or the camera is gone.
    src.set_property("timeout", 1_000_000_000u64);
    let convert = el("videoconvert", &format!("{name}convert"))?;
    let scale = el("videoscale", &format!("{name}scale"))?;
    let caps = el("capsfilter", &format!("{name}caps"))?;
    caps.set_property(
        "caps",
        gst_video::VideoCapsBuilder::new()
            .format(gst_video::VideoFormat::I420)
            .width(w)
            .height(h)
            .framerate(gst::Fraction::new(fps, 1))
            .pixel_aspect_ratio(gst::Fraction::new(1, 1))
            .build(),
    );
    screen.add_many([&src, &convert, &scale, &caps])?;
    gst::Element::link_many([&src, &convert, &scale, &caps])?;
    let pad = compositor
        .request_pad_simple("sink_%u")
        .ok_or_else(|| MediaError::Pipeline("compositor gave no pad".into()))?;
    pad.set_property("xpos", x);
    pad.set_property("ypos", y);
    pad.set_property("zorder", zorder);
    caps.static_pad("src")
        .ok_or_else(|| MediaError::Pipeline("capsfilter has no src".into()))?
        .link(&pad)?;
    Ok(())
}

/// The screen pipeline and its display sink (for a frame counter). With [`DisplaySink::None`]
/// the pipeline stays empty.
pub(crate) fn build(
    settings: &MediaSettings,
    channels: &ScreenChannels,
) -> Result<(gst::Pipeline, Option<gst::Element>), MediaError> {
    let screen = gst::Pipeline::with_name("screen");
    if settings.display == DisplaySink::None {
        return Ok((screen, None));
    }
    let (w, h) = (
        settings.display_size.0 as i32,
        settings.display_size.1 as i32,
    );
    let fps = settings.capture.fps.max(1) as i32;
    let compositor = el("compositor", "compositor")?;
    compositor.set_property_from_str("background", "black");
    let convert = el("videoconvert", "displayconvert")?;
    let display = display_sink(settings)?;
    screen.add_many([&compositor, &convert, &display])?;
    gst::Element::link_many([&compositor, &convert, &display])?;
    input(
        &screen,
        &compositor,
        "remote",
        &channels.remote,
        (0, 0, w, h),
        1,
        fps,
    )?;
    let (iw, ih) = (w / 4 / 2 * 2, h / 4 / 2 * 2);
    input(
        &screen,
        &compositor,
        "selfview",
        &channels.self_view,
        (w - iw - 16, h - ih - 16, iw, ih),
        2,
        fps,
    )?;
    Ok((screen, Some(display)))
}
