//! The call port: what a call room's use cases (`teleconsult-app::call`) need from storage —
//! the appointment's transitions as its call goes (join, start, end), the chat and the quality
//! samples. Every write is one transaction with its audit record; every transition is decided
//! on the appointment as stored at the moment of writing.

use crate::appointment::{Appointment, TransitionError};
use crate::audit::AuditEvent;
use crate::call::{Attachment, ChatMessage, QualitySample};
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

    /// The files shared in appointment `appointment`, oldest first, read with `audit`
    /// recorded.
    fn attachments_of_appointment(
        &self,
        appointment: AppointmentId,
        audit: &AuditEvent,
    ) -> Result<Vec<Attachment>, RepositoryError>;

    /// Stores a file shared in its appointment, sealed, durably, with `audit` — counted, in
    /// the same transaction, against the appointment's files (at most `per_appointment`) and
    /// its uploader's files of the (UTC) day (at most `per_day`): refused with
    /// [`RepositoryError::QuotaExceeded`], nothing written, once either is reached; refused
    /// with [`RepositoryError::InsufficientStorage`] below the storage reserve.
    fn save_shared_file(
        &self,
        attachment: &Attachment,
        content: &[u8],
        per_appointment: u32,
        per_day: u32,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// Shared file `id` and its content, read with `audit` recorded; `None` when there is no
    /// such file.
    fn shared_file(
        &self,
        id: uuid::Uuid,
        audit: &AuditEvent,
    ) -> Result<Option<(Attachment, Vec<u8>)>, RepositoryError>;
}
