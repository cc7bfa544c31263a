//! # teleconsult-media — camera, microphone and calls
//!
//! Will own the GStreamer pipelines (DESIGN §7): device discovery and checks, booth capture →
//! encoder → `webrtcbin`, the remote stream on the booth screen, and per-call statistics. It is
//! the only crate that knows GStreamer; everything else sees typed events and statistics.
//!
//! **Must not**: block the async runtime (GStreamer state changes run on their own threads),
//! know HTTP (signalling frames arrive as plain values from `teleconsult-web`), or hold domain
//! rules (who may join a call is decided in `teleconsult-core`).
//!
//! Status: the crate is in place so the workspace layout of DESIGN §2 holds; its pipelines land
//! with the consultation issue.
