//! # teleconsult-store — the sled adapter
//!
//! Owns everything on disk under `[storage] path`: the sled database, encryption at rest and
//! blind indexes for unique look-ups without plaintext (through `teleconsult-seal`, shared with
//! the PostgreSQL adapter), the audit hash chain, the outbox, and the store's format version
//! and migrations. Implements [`teleconsult_core::ports::Repository`] for [`Store`].
//!
//! **Architecture invariants**
//! - This is the only crate that knows sled: no sled type appears in its public API, so the
//!   engine can be swapped behind the `Repository` port.
//! - A write returns `Ok` only once it is flushed to disk, and it is one transaction with its
//!   indexes, its audit record and its outbox messages.
//! - Health data never reaches the disk, a log line or an error message in clear.
//!
//! **Must not**: hold domain rules (validation, booking logic, consent: `core` decides, the store
//! records), talk to the network, or read the clock (times come with the audited events).
//!
//! On-disk layout: `tree.rs` (`TreeId`) lists the trees and their keys; `meta.rs` the metadata
//! records; `audit.rs` the chain; `outbox.rs` the queue; `tree.rs` the sealing of records (format in `teleconsult-seal`);
//! `backup.rs` the backup archive; `maintenance.rs` erasure and outbox retries; `booth.rs` and
//! `queue.rs` booth sessions, walk-ins and the on-demand queue; `ports.rs` the core ports
//! (`Repository` is in `repo.rs`); `anchor.rs` the audit chain's head kept outside the database
//! (rollback detection); `health.rs` the store's condition (write faults, rollback); `reopen.rs`
//! opening the database again in the process; `flusher.rs` flushes with a time limit; `scrub.rs`
//! the check of every record; `space.rs` free space and the reserve kept for the essentials.

mod account_security;
mod accounts;
mod anchor;
mod audit;
mod backup;
mod booking;
mod booth;
mod call;
mod documents;
mod error;
mod flusher;
mod group_commit;
mod health;
mod kept;
mod maintenance;
mod medical_records;
mod messages;
mod meta;
mod notifications;
mod outbox;
mod parked;
mod ports;
mod queue;
mod quotas;
mod remote;
mod reopen;
mod repo;
mod scrub;
mod snapshot;
mod space;
mod store;
mod tree;
mod writer;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use account_security::{Registration, RegistrationMessages};
pub use accounts::{Activation, ChallengeOutcome};
pub use anchor::{ANCHOR_FILE, AnchorReport};
pub use audit::{AuditRecord, AuditVerification};
pub use backup::{
    ARCHIVE_FORMAT, BackupArchive, BackupError, BackupManifest, RestoreReport, read_manifest,
};
pub use booking::{AppointmentChange, Booking};
pub use documents::{DocumentChange, IssueOutcome, NewDocument, Rendition};
pub use error::StoreError;
pub use health::{Rollback, StoreCondition, WriteFault};
pub use maintenance::Erasure;
pub use messages::{ConversationSummary, MessageWithFile};
pub use meta::FORMAT_VERSION;
pub use outbox::OutboxEntry;
pub use parked::{ParkedEntry, Parking};
pub use quotas::UploadQuota;
pub use remote::{Conflict, HoldOutcome, RemoteHold};
pub use scrub::{Damage, ScrubReport, ScrubSummary};
pub use space::{DiskSpace, Reserve};
pub use store::Store;
pub use teleconsult_seal::{KEY_LEN, KeyError, StorageKey};
pub use writer::Pending;
#[cfg(test)]
mod account_security_tests;
#[cfg(test)]
mod accounts_tests;
#[cfg(test)]
mod booking_tests;
#[cfg(test)]
mod concurrency_documents_tests;
#[cfg(test)]
mod concurrency_tests;
#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod queue_tests;
#[cfg(test)]
mod totp_tests;
