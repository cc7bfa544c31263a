//! Ports: what the domain needs from the outside world. Adapters live in other crates
//! (`teleconsult-store` — sled — and `teleconsult-store-postgres` implement [`Repository`],
//! [`accounts::AccountStore`], [`booking::BookingStore`], [`booth::BoothStore`],
//! [`outbox::SyncStore`] — the sync worker's, with outbox leases — and the others here; the
//! daemon provides the system [`Clock`]). The use cases that drive
//! them live in `teleconsult-app`.

pub mod accounts;
pub mod agenda;
pub mod booking;
pub mod booth;
pub mod call;
pub mod documents;
pub mod medical_records;
pub mod messages;
pub mod outbox;
pub mod registration;
pub mod sessions;

use crate::Timestamp;
use crate::audit::AuditEvent;
use crate::ids::PatientId;
use crate::outbox::OutboxMessage;
use crate::patient::Patient;
use crate::practitioner::Practitioner;

/// A change of an appointment decided from it as stored (a call's join, start or end, a booth
/// session's end): the next state, with its notifications and outbox messages written in the
/// same transaction.
#[derive(Clone, Debug)]
pub struct AppointmentChange {
    pub next: crate::appointment::Appointment,
    pub notifications: Vec<crate::notification::Notification>,
    pub outbox: Vec<OutboxMessage>,
}

/// The source of "now". Tests pass a fixed or stepping clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// Why a repository operation failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RepositoryError {
    /// A uniqueness rule was violated (which one is said, without the value).
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// The slot is booked already (someone else was faster).
    #[error("slot already booked")]
    SlotTaken,
    /// The record the operation needs is not (or no longer) there.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A quota of the account (or appointment) is reached: nothing was written.
    #[error("{0}")]
    QuotaExceeded(crate::quota::QuotaExceeded),
    /// The booth's cabin holds another open session (one cabin, one session).
    #[error("the cabin is in use by booth session {0}")]
    CabinBusy(crate::booth::BoothSessionId),
    /// A concurrent change won; the caller may retry or report a conflict.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The storage engine failed (disk full, I/O error): a server fault.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored bytes do not decrypt or decode: wrong key or corruption.
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    /// The storage filesystem is full: nothing can be written, and health data cannot be read
    /// either (its access cannot be recorded).
    #[error("storage full: {0}")]
    StorageFull(String),
    /// A large write (a file) refused to keep room for the essentials: free space on the
    /// storage filesystem is below its reserve.
    #[error("not enough storage: {0}")]
    InsufficientStorage(String),
    /// The store went back to an earlier state than its audit anchor: nothing is served until
    /// a backup is restored.
    #[error("store rolled back: {0}")]
    RolledBack(String),
}

/// Durable storage of the domain. Every method that returns `Ok` after a write has made it
/// durable (flushed). Every read or write of health data records the given audit event in the
/// same transaction; outbox messages are queued in the same transaction as the change.
pub trait Repository: Send + Sync {
    /// Stores a new patient. Fails with [`RepositoryError::AlreadyExists`] when the national id or
    /// the e-mail address is already registered.
    fn create_patient(
        &self,
        patient: &Patient,
        audit: &AuditEvent,
        outbox: &[OutboxMessage],
    ) -> Result<(), RepositoryError>;

    /// Reads a patient, recording the access.
    fn patient(
        &self,
        id: PatientId,
        audit: &AuditEvent,
    ) -> Result<Option<Patient>, RepositoryError>;

    /// Creates or replaces a practitioner.
    fn upsert_practitioner(
        &self,
        practitioner: &Practitioner,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// All practitioners of the site, ordered by name.
    fn practitioners(&self) -> Result<Vec<Practitioner>, RepositoryError>;

    /// Records an audit event on its own (e.g. a login).
    fn record_audit(&self, event: &AuditEvent) -> Result<(), RepositoryError>;

    /// Number of outbox messages not yet acknowledged by the platform.
    fn outbox_pending(&self) -> Result<u64, RepositoryError>;
}
