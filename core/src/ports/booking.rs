//! The booking port: what booking an appointment needs from storage — the practitioner, their
//! schedule and booked slots, the patient records it reads, and one write that either books or
//! refuses (`SlotTaken`, `AlreadyExists`, `QuotaExceeded`, `CabinBusy`, `NotFound`).
//!
//! The write is asynchronous: the adapter may queue it to a writer that applies bookings in
//! batches (one transaction and one flush for many), and the caller awaits the outcome
//! without parking a thread ([`Outcome`]).

use crate::Timestamp;
use crate::appointment::{Appointment, TransitionError};
use crate::audit::AuditEvent;
use crate::booking::Reminder;
use crate::booth::BoothSession;
use crate::ids::{AppointmentId, PatientId, PractitionerId};
use crate::notification::Notification;
use crate::outbox::OutboxMessage;
use crate::patient::Patient;
use crate::ports::RepositoryError;
use crate::ports::call::DecideChange;
use crate::practitioner::Practitioner;
use crate::queue::QueueEntryId;
use crate::schedule::Schedule;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

/// What a booking for a person in the booth's cabin writes besides the appointment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtTheBooth {
    /// The booth session as it is once the appointment exists (booked).
    pub session: BoothSession,
    /// The session is new and takes the cabin: refused with [`RepositoryError::CabinBusy`]
    /// when another open session holds it. Otherwise the session as stored must still be
    /// open and waiting with the entry the booking ends ([`BookingWrite::ends_entry`]), else
    /// [`RepositoryError::NotFound`].
    pub opens: bool,
}

/// Everything one booking writes, in one transaction.
#[derive(Clone, Debug)]
pub struct BookingWrite {
    pub appointment: Appointment,
    /// A relative booked for the first time by a patient: their own patient record (no
    /// account), unique by national id, added to the booking account's relatives.
    pub new_relative: Option<Patient>,
    /// The most open future appointments the booking account may hold, this one included
    /// (`None`: no limit), counted in the booking's transaction.
    pub open_limit: Option<u32>,
    pub notifications: Vec<Notification>,
    pub reminders: Vec<(Timestamp, Reminder)>,
    pub outbox: Vec<OutboxMessage>,
    /// Reads of health data done to decide the booking, recorded with it (also when it is
    /// refused; when it fails otherwise, [`Outcome`] says so and the caller records them).
    pub reads: Vec<AuditEvent>,
    /// The creation event.
    pub audit: AuditEvent,
    /// A queue entry the booking ends (a slot offered to someone waiting, accepted): refused
    /// with [`RepositoryError::NotFound`] when it no longer waits.
    pub ends_entry: Option<QueueEntryId>,
    pub booth: Option<AtTheBooth>,
}

/// The outcome of a queued booking: resolves once it is durable (or refused).
pub type Outcome = Pin<Box<dyn Future<Output = Result<(), RepositoryError>> + Send>>;

/// Storage for bookings.
pub trait BookingStore: Send + Sync {
    fn find_practitioner(
        &self,
        id: PractitionerId,
    ) -> Result<Option<Practitioner>, RepositoryError>;

    fn find_schedule(
        &self,
        practitioner: PractitionerId,
    ) -> Result<Option<Schedule>, RepositoryError>;

    /// Starts of the booked slots of `practitioner` in `[from, to)`.
    fn booked_starts_of(
        &self,
        practitioner: PractitionerId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeSet<Timestamp>, RepositoryError>;

    /// A patient record read without recording the access: the caller records it with the
    /// booking ([`BookingWrite::reads`]) or on its own.
    fn patient_unaudited(&self, id: PatientId) -> Result<Option<Patient>, RepositoryError>;

    /// Whether a booking by `patient` with `practitioner` reads only records held in memory
    /// (a hint for where to run it: no disk, no blocking thread needed).
    fn reads_kept_for_booking(&self, practitioner: PractitionerId, patient: PatientId) -> bool;

    /// Writes the booking; returns once it is durable or refused (blocks on the disk).
    fn write_booking(&self, write: BookingWrite) -> Result<(), RepositoryError>;

    /// Queues the booking; blocks only briefly on the CPU (sealing), never on the disk.
    fn queue_booking(&self, write: BookingWrite) -> Result<Outcome, RepositoryError>;

    /// Changes booked appointment `id` as `decide` says (a cancellation), decided on it as
    /// stored at the moment of writing — a join or another cancellation in parallel is seen,
    /// never undone — in one transaction with its notifications, outbox messages and `write`
    /// (recorded when something is written). A cancelled appointment's slot is freed. The
    /// appointment as saved (`None`: unchanged), or the refusal (nothing written); `NotFound`
    /// when there is no such appointment.
    fn change_booked(
        &self,
        id: AppointmentId,
        decide: &DecideChange<'_>,
        write: &AuditEvent,
    ) -> Result<Result<Option<Appointment>, TransitionError>, RepositoryError>;
}
