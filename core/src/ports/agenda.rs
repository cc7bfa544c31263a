//! The agenda port: what managing a practitioner's agenda (`teleconsult-app::schedule`) writes
//! — their weekly hours and exceptions, their listing in the directory —, each with its audit
//! record in one transaction. (Reads go through [`crate::ports::booking::BookingStore`].)

use crate::audit::AuditEvent;
use crate::ids::PractitionerId;
use crate::ports::RepositoryError;
use crate::practitioner::Practitioner;
use crate::schedule::Schedule;

/// Edits a practitioner's listing as stored. May run more than once.
pub type ChangeListing<'a> = dyn Fn(&mut Practitioner) + 'a;

/// Storage of the practitioners' agendas.
pub trait AgendaStore: Send + Sync {
    /// Replaces the schedule of `practitioner`, durably, with `audit`.
    fn replace_schedule(
        &self,
        practitioner: PractitionerId,
        schedule: &Schedule,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// Changes the listing of `practitioner` as `change` says, on the record as stored at the
    /// moment of writing (a change in parallel is not lost), with `audit`. The record as
    /// saved; [`RepositoryError::NotFound`] when there is no such practitioner.
    fn change_listing(
        &self,
        practitioner: PractitionerId,
        change: &ChangeListing<'_>,
        audit: &AuditEvent,
    ) -> Result<Practitioner, RepositoryError>;
}
