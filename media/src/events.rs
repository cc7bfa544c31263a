//! Typed events out of a booth session: what the bus and webrtcbin said, in words the daemon can
//! show to staff (camera lost, recovered, connection state) without knowing GStreamer.

use crate::devices::MediaKind;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum MediaEvent {
    /// The pipeline runs (capture, self view, encoders); the call itself may not be connected.
    Started {
        encoder: String,
        camera: String,
        microphone: String,
    },
    IceConnectionState {
        state: String,
    },
    ConnectionState {
        state: String,
    },
    RemoteVideo {
        width: u32,
        height: u32,
    },
    RemoteAudio,
    /// A capture device failed or was unplugged; a placeholder (black / silence) stands in.
    DeviceLost {
        kind: MediaKind,
        device: String,
        reason: String,
    },
    /// The device (or, with `auto`, another one) is back in the call.
    DeviceRecovered {
        kind: MediaKind,
        device: String,
        attempts: u32,
    },
    /// Recovery gave up after its bounded attempts; the placeholder stays.
    DeviceUnavailable {
        kind: MediaKind,
        device: String,
        attempts: u32,
    },
    Warning {
        element: String,
        message: String,
    },
    Error {
        element: String,
        message: String,
    },
    Ended {
        reason: String,
    },
}
