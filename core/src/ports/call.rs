//! The call port: what a call room's use cases (`teleconsult-app::call`) need from storage —
//! the appointment's transitions as its call goes (join, start, end), the chat and the quality
//! samples. Every write is one transaction with its audit record; every transition is decided
//! on the appointment as stored at the moment of writing.

use crate::appointment::{Appointment, TransitionError};
use crate::audit::AuditEvent;
use crate::call::{ChatMessage, QualitySample};
use crate::ids::AppointmentId;
use crate::ports::{AppointmentChange, RepositoryError};

/// Decides an appointment's change from it as stored: `Ok(None)` when nothing changes, `Err`
/// when the transition is refused (then nothing is written). May run more than once.
pub type DecideChange<'a> =
    dyn Fn(&Appointment) -> Result<Option<AppointmentChange>, TransitionError> + 'a;

/// Storage of what happens in a call.
pub trait CallStore: Send + Sync {
    /// Changes appointment `id` as `decide` says, in one transaction with `read` (recorded
    /// whatever is decided) and `write` (recorded when something is written). The appointment
    /// as saved (`None`: unchanged), or the refusal; `NotFound` when there is no such
    /// appointment.
    fn change_for_call(
        &self,
        id: AppointmentId,
        decide: &DecideChange<'_>,
        read: &AuditEvent,
        write: &AuditEvent,
    ) -> Result<Result<Option<Appointment>, TransitionError>, RepositoryError>;

    /// The call's chat in the order it was written, read with `audit` recorded.
    fn chat(
        &self,
        appointment: AppointmentId,
        audit: &AuditEvent,
    ) -> Result<Vec<ChatMessage>, RepositoryError>;

    /// Adds `message` to its call's chat, durably, with `audit`.
    fn append_chat(&self, message: &ChatMessage, audit: &AuditEvent)
    -> Result<(), RepositoryError>;

    /// The appointment attachment `id` belongs to, read with `audit` recorded; `None` when
    /// there is no such attachment.
    fn attachment_appointment(
        &self,
        id: uuid::Uuid,
        audit: &AuditEvent,
    ) -> Result<Option<AppointmentId>, RepositoryError>;

    /// Adds quality samples to the call's record, with `audit`.
    fn add_quality_samples(
        &self,
        appointment: AppointmentId,
        samples: &[QualitySample],
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;
}
