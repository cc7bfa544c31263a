//! The port through which the signalling room reaches the booth's own media pipeline, without
//! knowing GStreamer: on a booth site the daemon implements [`BoothMedia`] with the media
//! crate's `BoothSession`, and the room hands the practitioner's `offer` / `answer` / `ice` /
//! `restart` / `hangup` frames to the [`MediaPeer`] instead of a browser (DESIGN §4b: "the
//! server … answers itself when the booth pipeline is the peer").

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use teleconsult_core::call::CallQuality;
use teleconsult_core::signal::SignalMessage;
use tokio::sync::mpsc;

/// A boxed, sendable future (the traits are object-safe: the daemon picks the implementation).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A started media peer and the frames it sends to the other side of the call.
pub type StartedPeer = (Arc<dyn MediaPeer>, mpsc::UnboundedReceiver<SignalMessage>);

/// Starts the booth's pipeline for one call.
pub trait BoothMedia: Send + Sync {
    /// Opens camera and microphone and gets ready to negotiate. Errors are texts for staff
    /// (a missing camera, a missing GStreamer plugin); they never contain health data.
    fn start(&self) -> BoxFuture<'static, Result<StartedPeer, String>>;
}

/// One running call of the booth pipeline.
pub trait MediaPeer: Send + Sync {
    /// A frame from the practitioner's browser.
    fn handle(&self, frame: SignalMessage) -> BoxFuture<'_, Result<(), String>>;
    /// A quality sample (rates since the previous sample).
    fn quality(&self) -> BoxFuture<'_, Option<CallQuality>>;
    /// Ends the call and stops the pipeline.
    fn hangup(&self) -> BoxFuture<'_, ()>;
}
