//! # teleconsult-web — everything HTTP
//!
//! Owns the axum router, the JSON API under `/api/v1`, the error shape of DESIGN §4, the
//! OpenAPI document (generated from the handlers with utoipa), Prometheus metrics, the
//! server-rendered pages and the HTTPS server loop.
//!
//! **Must not**: know sled or GStreamer (it talks to storage through `teleconsult-store`'s
//! `Store`, which implements the core `Repository` port; new doors go through the use cases of
//! `teleconsult-app` in `AppState::app`), block the async runtime (store calls go
//! through [`state::AppState::blocking`]), or log request bodies or query strings (they may hold
//! health data).

pub mod agenda;
pub mod appointments;
pub mod auth;
pub mod booking_messages;
mod booth;
mod booth_status;
pub mod call;
mod call_attachments;
pub mod call_cabin;
pub mod call_media;
pub mod call_metrics;
pub mod call_room;
pub mod call_turn;
pub mod documents;
pub mod error;
mod extract;
mod health;
pub mod i18n;
pub mod live;
mod me;
mod me_confirm;
mod medical_record;
mod messages;
pub mod metrics;
mod openapi;
mod pages;
mod patients;
mod queue;
pub mod server;
mod signal;
pub mod state;
pub mod storage;
mod sync_status;
pub mod totp;
pub mod users;

pub use openapi::api_router;
pub use server::{router, serve};
pub use state::{AppState, Settings};

#[cfg(test)]
mod tests;
