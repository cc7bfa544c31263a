//! The one end-to-end test binary: every test boots the real `teleconsultd` (see
//! `teleconsult_tests::Daemon`) on an ephemeral loopback port and checks it from outside.

mod auth;
mod authz;
mod booking;
mod booking_bench;
mod browser;
mod call;
mod config;
mod consultation_files;
mod ctl;
mod demo;
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
mod storage_damage;
mod storage_faults;
mod sync;
