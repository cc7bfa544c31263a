//! # teleconsultd — the daemon and its admin CLI
//!
//! Owns the edges of the process: configuration (DESIGN §3), logging (journald/JSON/pretty),
//! systemd integration (`sd_notify` READY/STATUS/WATCHDOG/STOPPING), signals (SIGTERM graceful
//! and time-boxed, SIGHUP reload), TLS set-up, demo seeding, the system clock, and the wiring of
//! store, web, media and sync.
//!
//! **Must not**: hold domain rules (they live in `teleconsult-core`) or HTTP handlers (in
//! `teleconsult-web`). It is the only place that reads the real clock for the domain.

pub mod admin;
pub mod booth;
pub mod cabin;
pub mod clock;
pub mod config;
pub mod ctl;
pub mod demo;
pub mod logging;
pub mod notify;
pub mod registrations;
pub mod reminders;
pub mod remote;
pub mod run;
pub mod storage;
pub mod tls;
