//! The encoder's own `queue(leaky) ! videoscale ! videorate ! capsfilter` (issue #22 item 2),
//! and how a new rung of the degradation order reaches it.
//!
//! A rung is a new `caps` on the capsfilter (`enccaps`). Setting it sends a reconfigure event
//! up the branch, which marks `videorate` and then `videoscale` for renegotiation. Set from
//! another thread while a frame is between `videoscale` and `videorate`, the frame reaches
//! `videorate` in the old size after `videorate` has been marked: it renegotiates from that
//! old size, cannot change a size, and fails with not-negotiated. The error stops the branch's
//! queue task for good: the encoder gets no frame for the rest of the call while audio flows
//! on (a booth sending 32 kbit/s with `send_fps` 0 — seen in `degradation.rs` and in the 1
//! Mbit/s test of the first degradation policy, which was reverted for it). So the caps are set
//! from an idle probe on the queue's `src` pad: no frame is then anywhere in the branch, every
//! element is marked before the next frame leaves the queue, and `videoscale` renegotiates
//! first. Elsewhere in the pipeline nothing changes.

use super::pipeline::{el, encoder_caps, leaky_queue};
use crate::MediaError;
use crate::settings::VideoFormat;
use gstreamer as gst;
use gstreamer::prelude::*;

/// The branch, in order: the leaky queue (`encqueue`), `encscale`, `encrate`, `enccaps` —
/// passing `format` through until a rung changes it.
pub(crate) fn branch(format: VideoFormat) -> Result<[gst::Element; 4], MediaError> {
    let queue = leaky_queue("encqueue", 2, 0)?;
    let scale = el("videoscale", "encscale")?;
    let rate = el("videorate", "encrate")?;
    rate.set_property("drop-only", true);
    let caps = el("capsfilter", "enccaps")?;
    caps.set_property("caps", encoder_caps(format));
    Ok([queue, scale, rate, caps])
}

/// Sends what is encoded at `format` from the next frame the queue lets go (at once when the
/// branch is idle, else as soon as the frame in it has gone through).
pub(crate) fn apply(queue: &gst::Element, caps: &gst::Element, format: VideoFormat) {
    let Some(src) = queue.static_pad("src") else {
        return;
    };
    let caps = caps.clone();
    let new = encoder_caps(format);
    src.add_probe(gst::PadProbeType::IDLE, move |_, _| {
        caps.set_property("caps", &new);
        gst::PadProbeReturn::Remove
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Changes the branch's rung every few milliseconds for 2 s while a source pushes frames
    /// as fast as it can; the first error on the bus, if any. Without one, frames must then
    /// leave the branch in the last rung's format.
    fn change_rungs(set: impl Fn(&gst::Element, &gst::Element, VideoFormat)) -> Option<String> {
        crate::init().expect("gstreamer");
        let full = VideoFormat {
            width: 320,
            height: 180,
            fps: 30,
        };
        let src = gst::ElementFactory::make("videotestsrc")
            .build()
            .expect("videotestsrc");
        let camcaps = gst::ElementFactory::make("capsfilter")
            .property("caps", encoder_caps(full))
            .build()
            .expect("capsfilter");
        let [queue, scale, rate, caps] = branch(full).expect("branch");
        let sink = gst::ElementFactory::make("fakesink")
            .property("sync", false)
            .build()
            .expect("fakesink");
        let pipeline = gst::Pipeline::new();
        let chain = [&src, &camcaps, &queue, &scale, &rate, &caps, &sink];
        pipeline.add_many(chain).expect("add");
        gst::Element::link_many(chain).expect("link");
        pipeline.set_state(gst::State::Playing).expect("playing");
        let rungs = [
            (240, 136, 30),
            (160, 90, 30),
            (320, 180, 15),
            (240, 136, 10),
            (320, 180, 30),
        ];
        let bus = pipeline.bus().expect("bus");
        let start = Instant::now();
        let mut error = None;
        let mut last = full;
        for (i, (width, height, fps)) in rungs.iter().cycle().enumerate() {
            if start.elapsed() > Duration::from_secs(2) {
                break;
            }
            last = VideoFormat {
                width: *width,
                height: *height,
                fps: *fps,
            };
            set(&queue, &caps, last);
            std::thread::sleep(Duration::from_millis(3));
            if let Some(message) = bus.pop_filtered(&[gst::MessageType::Error]) {
                error = Some(format!("after {} rungs: {message:?}", i + 1));
                break;
            }
        }
        if error.is_none() {
            // The branch goes on, in the last rung's format (bounded wait).
            let pad = sink.static_pad("sink").expect("sink pad");
            let deadline = Instant::now() + Duration::from_secs(5);
            let wanted = encoder_caps(last);
            while pad.current_caps().is_none_or(|c| !c.is_subset(&wanted)) {
                if Instant::now() > deadline {
                    error = Some(format!("never got to {wanted}: {:?}", pad.current_caps()));
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        pipeline.set_state(gst::State::Null).expect("null");
        error
    }

    /// Issue #22: the degradation order set the capsfilter's caps from its own thread, and a
    /// change while a frame was inside the branch stopped it with not-negotiated (here within
    /// a few rungs; in a call, now and then at one of its few changes).
    #[test]
    fn rungs_changed_while_frames_flow_never_stop_the_branch() {
        let error = change_rungs(apply);
        assert_eq!(error, None, "the encoder's branch stopped");
    }
}
