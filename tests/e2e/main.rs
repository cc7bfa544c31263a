//! The one end-to-end test binary: every test boots the real `teleconsultd` (see
//! `teleconsult_tests::Daemon`) on an ephemeral loopback port and checks it from outside.

mod auth;
mod authz;
mod booking;
mod browser;
mod config;
mod ctl;
mod demo;
mod durability;
mod health;
mod packaging;
mod registration;
mod remote;
mod sync;
