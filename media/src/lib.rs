//! # teleconsult-media — camera, microphone and calls
//!
//! Owns the GStreamer side of DESIGN §7: device discovery and selection ([`devices`]), the
//! pre-call device check ([`check`]), the booth call pipeline driven by signalling frames
//! ([`booth::BoothSession`]: frames in → frames out) and call statistics ([`stats`]). The
//! signalling frames and the [`CallQuality`] sample are `teleconsult-core` types (the signalling
//! WebSocket speaks them too), re-exported here. It is the only crate that knows GStreamer; everything else sees
//! [`SignalMessage`]s, [`MediaEvent`]s and [`CallQuality`] values.
//!
//! **Must not**: block the async runtime (state changes, device probing and recovery run on
//! blocking threads; webrtcbin answers through promises awaited as futures), know HTTP
//! (signalling frames arrive as plain values), or hold domain rules (who may join a call is
//! decided in `teleconsult-core`).

pub mod booth;
pub mod check;
pub mod congestion;
pub mod degrade;
pub mod devices;
pub mod encoder;
mod error;
mod events;
pub mod fake_devices;
pub mod feedback;
pub mod glib_log;
pub mod retransmit;
pub mod settings;
pub mod signal;
pub mod stamp;
pub mod stats;

pub use booth::{BoothSession, BoothStatus, SessionChannels, WelcomeScreen};
pub use degrade::Degradation;
pub use error::MediaError;
pub use events::MediaEvent;
pub use settings::{
    AudioOutput, DisplaySink, MediaSettings, SourceChoice, VideoCodec, VideoFormat,
};
pub use signal::SignalMessage;
pub use stats::CallQuality;

use gstreamer as gst;

/// Initialises GStreamer once per process; cheap to call again. GLib's criticals are counted
/// from then on ([`glib_log`]).
pub fn init() -> Result<(), MediaError> {
    static INIT: std::sync::LazyLock<Result<(), String>> = std::sync::LazyLock::new(|| {
        glib_log::install();
        gst::init().map_err(|e| e.to_string())?;
        congestion::register().map_err(|e| e.to_string())
    });
    INIT.clone().map_err(MediaError::Init)
}
