//! The one end-to-end test binary: every test boots the real `teleconsultd` (see
//! `teleconsult_tests::Daemon`) on an ephemeral loopback port and checks it from outside.

mod account_changes;
mod auth;
mod authz;
mod booking;
mod booking_bench;
mod booth_privilege;
mod browser;
mod calendar;
mod call;
mod concurrency;
mod concurrency_records;
mod config;
mod consultation_files;
mod ctl;
mod demo;
mod demo_network;
mod document_form_pages;
mod document_pages;
mod documents;
mod durability;
mod fee_memo_sync;
mod health;
mod medical_record;
mod messaging;
mod national_ids;
mod packaging;
mod platform_auth;
mod printing;
mod registration;
mod remote;
mod remote_scope;
mod session_security;
mod sync;
mod totp;
mod transports;
