//! The documents port: what printing a document needs from storage (issued documents and
//! their PDFs as sealed at issue time, the documents of a booth session's appointment). Every
//! read records its audit event in the same transaction.

use crate::audit::AuditEvent;
use crate::document::{IssuedDocument, SickLeavePart};
use crate::ids::{AppointmentId, DocumentId};
use crate::ports::RepositoryError;

/// Storage of issued documents.
pub trait DocumentStore: Send + Sync {
    /// Document `id`, read with `audit` recorded (found or not).
    fn document_record(
        &self,
        id: DocumentId,
        audit: &AuditEvent,
    ) -> Result<Option<IssuedDocument>, RepositoryError>;

    /// The PDF of document `id` as issued — `part` of a sick-leave certificate, else the
    /// document itself —, read with `audit` recorded.
    fn document_pdf(
        &self,
        id: DocumentId,
        part: Option<SickLeavePart>,
        audit: &AuditEvent,
    ) -> Result<Option<Vec<u8>>, RepositoryError>;

    /// Every document issued for one of `appointments` (current or superseded), newest first,
    /// read with each of `audit` recorded.
    fn documents_of_appointments(
        &self,
        appointments: &[AppointmentId],
        audit: &[AuditEvent],
    ) -> Result<Vec<IssuedDocument>, RepositoryError>;
}
