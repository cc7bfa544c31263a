//! The booth and queue port: what booth sessions, the on-demand queue and practitioners'
//! availability need from storage. Every write is one transaction with its audit records,
//! outbox messages and notifications; every change that depends on what is stored (the cabin
//! being free, an entry still waiting, a session still open) is decided inside it.

use crate::Timestamp;
use crate::appointment::Appointment;
use crate::audit::AuditEvent;
use crate::booth::{BoothSession, BoothSessionId};
use crate::consent::Consent;
use crate::ids::{AppointmentId, PatientId};
use crate::national_id::Country;
use crate::notification::Notification;
use crate::outbox::OutboxMessage;
use crate::patient::Patient;
use crate::ports::booking::AtTheBooth;
use crate::ports::{AppointmentChange, RepositoryError};
use crate::queue::{Availability, QueueEntry, QueueEntryId};

/// The patient record a walk-in's identification led to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkIn {
    /// A new record (no account), with the consents given at the counter.
    Registered(Patient),
    /// The national id was registered already: that patient, with the counter's consents
    /// added where they had none active.
    Known(Patient),
}

impl WalkIn {
    pub fn patient(&self) -> &Patient {
        match self {
            WalkIn::Registered(p) | WalkIn::Known(p) => p,
        }
    }
}

/// What a practitioner taking a waiting entry writes, in one transaction: the entry leaves the
/// queue (refused when it already left), the appointment is created, the walk-in's booth
/// session moves on, and the audit records, outbox messages and notifications go with it.
#[derive(Clone, Debug)]
pub struct Take {
    pub entry: QueueEntryId,
    pub appointment: Appointment,
    /// For a walk-in: their session once booked — the one waiting in the cabin, or, called
    /// from the counter, a new one that takes the cabin.
    pub session: Option<AtTheBooth>,
    pub notifications: Vec<Notification>,
    pub outbox: Vec<OutboxMessage>,
    pub audit: Vec<AuditEvent>,
}

/// How a take ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    Taken,
    /// The entry left the queue meanwhile (another practitioner was faster, or it ended):
    /// nothing was written.
    Gone,
    /// A walk-in at the counter, and the cabin was taken meanwhile: nothing was written.
    CabinBusy,
    /// The practitioner's on-demand switch is off (switched off meanwhile): nothing was
    /// written.
    NotOnDemand,
}

/// How a booth session ends, decided from it and its appointment as stored.
#[derive(Clone, Debug)]
pub struct SessionEnd {
    /// The ended session.
    pub session: BoothSession,
    /// Its appointment's change, written with it.
    pub appointment: Option<AppointmentChange>,
}

/// Decides the end of a session from the session and its appointment as stored; `None`: it
/// does not end (already ended). May run more than once.
pub type DecideEnd<'a> = dyn Fn(&BoothSession, Option<&Appointment>) -> Option<SessionEnd> + 'a;

/// Consents to add to a known patient's record at the counter, from their consents as stored.
pub type CounterConsents<'a> = dyn Fn(&[Consent]) -> Vec<Consent> + 'a;

/// The audit event of a walk-in found registered already (their record is read, and changed
/// when consents are added).
pub type KnownEvent<'a> = dyn Fn(&Patient) -> AuditEvent + 'a;

/// Storage of booth sessions, the queue and availability.
pub trait BoothStore: Send + Sync {
    /// The patient registered with this national id, read with `audit` recorded.
    fn patient_by_national_id(
        &self,
        country: Country,
        national_id: &str,
        audit: &AuditEvent,
    ) -> Result<Option<Patient>, RepositoryError>;

    /// Registers a walk-in in one transaction: a new record when the national id is free (no
    /// e-mail, no account; `created` audited), else the registered patient with
    /// `counter_consents` of their record added (the event `known` gives for them audited).
    /// Two counters registering the same person at once get the same record.
    fn register_walk_in(
        &self,
        walk_in: &Patient,
        counter_consents: &CounterConsents<'_>,
        created: &AuditEvent,
        known: &KnownEvent<'_>,
    ) -> Result<WalkIn, RepositoryError>;

    /// The open session holding the cabin, if any.
    fn cabin(&self) -> Result<Option<BoothSessionId>, RepositoryError>;

    fn booth_session(&self, id: BoothSessionId) -> Result<Option<BoothSession>, RepositoryError>;

    /// The session (open or ended) that held `appointment` at the booth, if any.
    fn booth_session_of_appointment(
        &self,
        patient: PatientId,
        appointment: AppointmentId,
    ) -> Result<Option<BoothSession>, RepositoryError>;

    /// The sessions that ended at or after `since` (the staff console's recent sessions,
    /// whose documents still print), the latest end first.
    fn booth_sessions_ended_since(
        &self,
        since: Timestamp,
    ) -> Result<Vec<BoothSession>, RepositoryError>;

    /// Starts `session`, waiting in the queue with `entry`: refused with `CabinBusy` when an
    /// open session holds the cabin, `AlreadyExists` when the patient already waits.
    fn start_waiting(
        &self,
        session: &BoothSession,
        entry: &QueueEntry,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// Puts `entry` in the queue: `AlreadyExists` when its patient already waits.
    fn enqueue(&self, entry: &QueueEntry, audit: &AuditEvent) -> Result<(), RepositoryError>;

    /// Every waiting entry (unordered).
    fn waiting(&self) -> Result<Vec<QueueEntry>, RepositoryError>;

    fn waiting_entry(&self, id: QueueEntryId) -> Result<Option<QueueEntry>, RepositoryError>;

    /// The entry `patient` waits with, if any.
    fn waiting_entry_of(&self, patient: PatientId) -> Result<Option<QueueEntry>, RepositoryError>;

    /// Removes entry `id` (one without a booth session: a session's entry ends with the
    /// session); the entry removed, `None` when it no longer waited.
    fn withdraw(
        &self,
        id: QueueEntryId,
        audit: &AuditEvent,
    ) -> Result<Option<QueueEntry>, RepositoryError>;

    /// Hands entry `take.entry` to one practitioner (see [`Take`]).
    fn take(&self, take: &Take) -> Result<Taken, RepositoryError>;

    /// Ends session `id` as `decide` says, in one transaction with its queue entry (removed),
    /// its appointment's change, the cabin (freed) and `audit`. Returns what was written;
    /// `None` when `decide` said nothing ends; `NotFound` when there is no such session.
    fn end_session(
        &self,
        id: BoothSessionId,
        decide: &DecideEnd<'_>,
        audit: &AuditEvent,
    ) -> Result<Option<SessionEnd>, RepositoryError>;

    fn set_on_demand(
        &self,
        availability: &Availability,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// Every practitioner's on-demand switch, as last set.
    fn on_demand(&self) -> Result<Vec<Availability>, RepositoryError>;

    /// An appointment, read with `audit` recorded.
    fn appointment_record(
        &self,
        id: AppointmentId,
        audit: &AuditEvent,
    ) -> Result<Option<Appointment>, RepositoryError>;

    /// An account (the requester of a queue entry, to tell them).
    fn account_record(
        &self,
        id: crate::ids::AccountId,
    ) -> Result<Option<crate::account::Account>, RepositoryError>;

    /// Records activity in open session `id` at `at` (someone in the call room, a device
    /// check): its idle time starts again. Nothing for an ended session.
    fn touch_session(&self, id: BoothSessionId, at: Timestamp) -> Result<(), RepositoryError>;
}
