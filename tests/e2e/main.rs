//! The one end-to-end test binary: every test boots the real `teleconsultd` (see
//! `teleconsult_tests::Daemon`) on an ephemeral loopback port and checks it from outside.

mod config;
mod demo;
mod durability;
mod health;
mod registration;
