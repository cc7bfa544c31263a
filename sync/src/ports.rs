//! What the worker needs from the rest of the site, as traits (so tests can fake them and the
//! storage engine stays swappable), and their implementation for [`teleconsult_store::Store`].
//!
//! - [`SyncStore`]: the outbox (peek, acknowledge, count attempts, park), the records a message
//!   refers to (patient, practitioners) and the pull cursor. Candidate for `core::ports` once
//!   core is open for changes; it only uses core types plus [`QueuedMessage`].
//! - [`RemoteAppointments`]: where appointments booked or cancelled on the platform go. Booking
//!   (issue 5) implements it on top of the store; until then the daemon uses [`IgnoreRemote`].
//!
//! All methods block (disk I/O): the worker calls them through `spawn_blocking`.

use crate::message::PatientRecord;
use teleconsult_core::Timestamp;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::{AppointmentId, PatientId, PractitionerId};
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::ports::Repository;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_store::{Parking, Store};

/// A storage failure, as text without content (store errors never carry health data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage: {0}")]
pub struct PortError(pub String);

/// One outbox entry as the worker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Position in the outbox (monotonic).
    pub id: u64,
    pub message: OutboxMessage,
    pub enqueued_at: Timestamp,
    /// Delivery attempts so far, persisted across restarts.
    pub attempts: u32,
}

/// Storage as the sync worker needs it.
pub trait SyncStore: Send + Sync + 'static {
    /// The oldest `limit` queued messages, oldest first.
    fn peek(&self, limit: usize) -> Result<Vec<QueuedMessage>, PortError>;
    /// Removes a delivered message (absent ids are fine: a retried acknowledgement). Need not
    /// be durable at once: a lost acknowledgement only causes an idempotent re-send.
    fn ack(&self, id: u64) -> Result<(), PortError>;
    /// Counts one more attempt; returns the new count (`None` when no longer queued).
    fn record_attempt(&self, id: u64) -> Result<Option<u32>, PortError>;
    /// Moves a message to the parked entries (durably, in one step).
    fn park(&self, id: u64, parking: &Parking) -> Result<(), PortError>;
    fn pending_len(&self) -> Result<u64, PortError>;
    fn parked_len(&self) -> Result<u64, PortError>;
    /// Aggregates with a parked entry: their later entries wait behind it (and are parked too).
    fn parked_aggregates(&self) -> Result<Vec<String>, PortError>;
    /// The patient a message refers to (an audited read by the sync worker).
    fn patient(&self, id: PatientId, at: Timestamp) -> Result<Option<PatientRecord>, PortError>;
    fn practitioners(&self) -> Result<Vec<Practitioner>, PortError>;
    fn cursor(&self, name: &str) -> Result<Option<Timestamp>, PortError>;
    fn set_cursor(&self, name: &str, at: Timestamp) -> Result<(), PortError>;
}

/// Appointment changes made on the platform, for the site's practitioners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteAppointment {
    /// Platform resource id and version.
    pub remote_id: String,
    pub version: Option<String>,
    pub last_updated: Option<Timestamp>,
    pub practitioner: PractitionerId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub status: RemoteStatus,
    /// Set when the appointment was created by this site (it carries our identifier).
    pub local: Option<AppointmentId>,
    /// The patient's national identifier as `(system, value)`, when the platform gave one.
    pub patient_identifier: Option<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteStatus {
    /// Booked (or pending/arrived: the slot is taken).
    Booked,
    Cancelled,
    /// Fulfilled, no-show, entered-in-error or an unknown code: nothing to book or cancel.
    Other(String),
}

/// What applying a remote change did (for metrics and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Booked,
    Cancelled,
    /// Already known in this state (the pull overlaps on purpose).
    Unchanged,
    /// Both sides booked the same slot: kept both, staff told (DESIGN §6).
    Conflict,
    /// Not for this site, or nothing to do.
    Ignored,
}

/// Where remote bookings and cancellations are applied (issue 5 implements it).
pub trait RemoteAppointments: Send + Sync + 'static {
    fn apply(&self, change: &RemoteAppointment) -> Result<Applied, PortError>;
}

/// Until booking implements [`RemoteAppointments`]: changes are counted, not applied.
#[derive(Clone, Copy, Debug, Default)]
pub struct IgnoreRemote;

impl RemoteAppointments for IgnoreRemote {
    fn apply(&self, _change: &RemoteAppointment) -> Result<Applied, PortError> {
        Ok(Applied::Ignored)
    }
}

fn port<E: std::fmt::Display>(e: E) -> PortError {
    PortError(e.to_string())
}

impl SyncStore for Store {
    fn peek(&self, limit: usize) -> Result<Vec<QueuedMessage>, PortError> {
        Ok(self
            .outbox_peek(limit)
            .map_err(port)?
            .into_iter()
            .map(|e| QueuedMessage {
                id: e.id,
                message: e.message,
                enqueued_at: e.enqueued_at,
                attempts: e.attempts,
            })
            .collect())
    }

    fn ack(&self, id: u64) -> Result<(), PortError> {
        self.outbox_ack_unflushed(id).map(drop).map_err(port)
    }

    fn record_attempt(&self, id: u64) -> Result<Option<u32>, PortError> {
        self.outbox_record_attempt(id).map_err(port)
    }

    fn park(&self, id: u64, parking: &Parking) -> Result<(), PortError> {
        self.outbox_park(id, parking).map(drop).map_err(port)
    }

    fn pending_len(&self) -> Result<u64, PortError> {
        self.outbox_len().map_err(port)
    }

    fn parked_len(&self) -> Result<u64, PortError> {
        Store::parked_len(self).map_err(port)
    }

    fn parked_aggregates(&self) -> Result<Vec<String>, PortError> {
        Ok(self
            .parked_entries()
            .map_err(port)?
            .into_iter()
            .map(|p| p.entry.message.aggregate)
            .collect())
    }

    fn patient(&self, id: PatientId, at: Timestamp) -> Result<Option<PatientRecord>, PortError> {
        let audit = AuditEvent {
            at,
            actor: Actor::System("sync".to_owned()),
            action: Action::Read,
            object_type: "patient".to_owned(),
            object_id: id.to_string(),
        };
        Ok(Repository::patient(self, id, &audit)
            .map_err(port)?
            .as_ref()
            .map(PatientRecord::from))
    }

    fn practitioners(&self) -> Result<Vec<Practitioner>, PortError> {
        Repository::practitioners(self).map_err(port)
    }

    fn cursor(&self, name: &str) -> Result<Option<Timestamp>, PortError> {
        self.sync_cursor(name).map_err(port)
    }

    fn set_cursor(&self, name: &str, at: Timestamp) -> Result<(), PortError> {
        self.set_sync_cursor(name, at).map_err(port)
    }
}
