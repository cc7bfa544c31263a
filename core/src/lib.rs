//! # teleconsult-core — the domain
//!
//! Owns the words and rules of teleconsultation: patients, practitioners, sites, schedules and
//! slots, appointments and their state machine, issued documents, consents, audit events, outbox
//! messages and national identifier validation. It also defines the *ports* (traits) the adapters
//! implement: [`ports::Clock`], [`ports::Repository`].
//!
//! **Must not**: do any I/O, read the clock or randomness (time and identifiers are passed in;
//! `clippy.toml` here forbids `now()` and `new_v4()`), or depend on another workspace crate.

pub mod access;
pub mod account;
pub mod appointment;
pub mod audit;
pub mod booking;
pub mod booth;
pub mod calendar;
pub mod call;
pub mod confirmation;
pub mod consent;
pub mod document;
pub mod ids;
pub mod medical_record;
pub mod message;
pub mod national_id;
pub mod notification;
pub mod outbox;
pub mod patient;
pub mod ports;
pub mod practitioner;
pub mod printing;
pub mod queue;
pub mod quota;
pub mod schedule;
pub mod signal;
pub mod site;
pub mod totp;
pub mod validation;

pub use jiff::Timestamp;
