//! The crate's one error type: every failure says what to check (a missing plugin package, a
//! device name that is not plugged in, a peer that sent a bad description).

use gstreamer as gst;
use gstreamer::glib;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum MediaError {
    #[error("GStreamer could not be initialised: {0}")]
    Init(String),
    #[error(
        "GStreamer element {0:?} is missing: install the GStreamer plugin packages (see xtask deps)"
    )]
    MissingElement(String),
    #[error("no {kind} named {wanted:?}; available: {available:?}")]
    DeviceNotFound {
        kind: &'static str,
        wanted: String,
        available: Vec<String>,
    },
    #[error("no {0} found (auto)")]
    NoDevice(&'static str),
    #[error("pipeline: {0}")]
    Pipeline(String),
    #[error("the peer's session description is not valid SDP: {0}")]
    BadSdp(String),
    #[error("signalling message {0:?} is not for the booth pipeline")]
    NotForBooth(&'static str),
    #[error("webrtcbin: {0}")]
    Negotiation(String),
    #[error("the session has ended")]
    Ended,
}

impl From<glib::BoolError> for MediaError {
    fn from(e: glib::BoolError) -> Self {
        Self::Pipeline(e.to_string())
    }
}

impl From<gst::StateChangeError> for MediaError {
    fn from(e: gst::StateChangeError) -> Self {
        Self::Pipeline(format!("state change failed: {e}"))
    }
}

impl From<gst::PadLinkError> for MediaError {
    fn from(e: gst::PadLinkError) -> Self {
        Self::Pipeline(format!("pad link failed: {e:?}"))
    }
}
