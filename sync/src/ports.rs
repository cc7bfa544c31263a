//! What the worker needs from the rest of the site, as traits.
//!
//! - [`SyncStore`]: storage — the outbox, leased (so that several workers, one per daemon,
//!   never deliver one message at once), parked entries, pull cursors, and through its
//!   supertrait [`Repository`](teleconsult_core::ports::Repository) the records a message refers
//!   to. It is core's port (`teleconsult_core::ports::outbox`), re-exported here; the sled store
//!   implements it, and so will any other storage adapter. This crate knows no storage engine.
//! - [`RemoteAppointments`]: where appointments booked or cancelled on the platform go (the
//!   daemon implements it on top of the store).
//!
//! All methods block (disk I/O): the worker calls them through `spawn_blocking`.

use teleconsult_core::Timestamp;
use teleconsult_core::ids::{AppointmentId, PractitionerId};
use teleconsult_core::ports::RepositoryError;

pub use teleconsult_core::ports::outbox::{Parking, QueuedMessage, SyncStore};

/// A storage failure, as text without content (store errors never carry health data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage: {0}")]
pub struct PortError(pub String);

impl From<RepositoryError> for PortError {
    fn from(e: RepositoryError) -> Self {
        PortError(e.to_string())
    }
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
