//! The messaging port: what sending a secure message (`teleconsult-app::messages`) needs from
//! storage — whether a conversation has started, the two parties' appointments together, and
//! the message written with its file, its notices and its audit record in one transaction.

use crate::appointment::Appointment;
use crate::audit::AuditEvent;
use crate::ids::{PatientId, PractitionerId};
use crate::message::Message;
use crate::notification::Notification;
use crate::ports::RepositoryError;

/// Storage of the conversations between patients and practitioners.
pub trait MessageStore: Send + Sync {
    /// Whether `patient` and `practitioner` have written to each other.
    fn conversation_started(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool, RepositoryError>;

    /// The appointments of `patient` with `practitioner`, read with `audit` recorded.
    fn appointments_together(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
        audit: &AuditEvent,
    ) -> Result<Vec<Appointment>, RepositoryError>;

    /// Appends `message` to its conversation, durably, with its file's content — counted
    /// against its author's uploads of the (UTC) day, at most `per_day`: refused with
    /// [`RepositoryError::QuotaExceeded`], nothing written, once reached; refused with
    /// [`RepositoryError::InsufficientStorage`] below the storage reserve —, the
    /// `notifications` telling the other side and `audit`, in one transaction.
    fn append_message_with(
        &self,
        message: &Message,
        file: Option<(&[u8], u32)>,
        notifications: &[Notification],
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;
}
