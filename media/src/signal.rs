//! Call signalling frames (DESIGN §4b): they live in `teleconsult-core` (the signalling
//! WebSocket in `teleconsult-web` speaks them too); re-exported here for the booth session and
//! the peer binary.

pub use teleconsult_core::signal::*;
