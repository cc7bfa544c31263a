//! Appointments booked or cancelled on the national platform, applied locally (the sync pull's
//! `RemoteAppointments` port):
//! - a platform booking for one of our practitioners holds its slot (no longer offered here);
//!   if a local booking has the slot, both are kept and the conflict is recorded for staff;
//! - a platform cancellation of one of our appointments cancels it here (by `platform`) and tells
//!   the patient; of a platform booking, frees its slot again — in both cases only when the
//!   appointment or booking belongs to the practitioner whose feed carried the cancellation.

use std::sync::Arc;
use teleconsult_core::appointment::{self, CancelledBy, Event};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ports::Clock;
use teleconsult_store::{HoldOutcome, RemoteHold, Store};
use teleconsult_sync::ports::PortError;
use teleconsult_sync::{Applied, RemoteAppointment, RemoteAppointments, RemoteStatus};
use teleconsult_web::booking_messages::{Site, cancelled};

/// The store-backed implementation of the port.
pub struct LocalBooking {
    /// Told of cancellations: the call room's sockets close.
    pub live: Arc<teleconsult_web::live::Live>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub site_name: String,
    pub time_zone: String,
    /// `[notify.email] from`: organizer of the calendar invitations.
    pub organizer: String,
    pub public_url: String,
    pub policy: appointment::Policy,
    /// Woken when messages were queued.
    pub notifier: Arc<tokio::sync::Notify>,
}

fn port<E: std::fmt::Display>(e: E) -> PortError {
    PortError(e.to_string())
}

impl LocalBooking {
    fn event(&self, action: Action, object_type: &str, object_id: String) -> AuditEvent {
        AuditEvent {
            at: self.clock.now(),
            actor: Actor::System("sync".into()),
            action,
            object_type: object_type.into(),
            object_id,
        }
    }

    fn cancel_local(
        &self,
        change: &RemoteAppointment,
        id: teleconsult_core::ids::AppointmentId,
    ) -> Result<Applied, PortError> {
        let read = self.event(Action::Read, "appointment", id.to_string());
        let Some(local) = self.store.appointment(id, &read).map_err(port)? else {
            return Ok(Applied::Ignored);
        };
        if local.practitioner != change.practitioner {
            // The cancellation came in another practitioner's feed: whatever the platform (or
            // whoever answers in its name) says, it may cancel only that practitioner's
            // appointments.
            tracing::warn!(appointment = %id, remote = %change.remote_id, "platform cancellation of another practitioner's appointment ignored");
            return Ok(Applied::Ignored);
        }
        if local.status.is_final() {
            return Ok(Applied::Unchanged);
        }
        let now = self.clock.now();
        let cancel = Event::Cancel {
            by: CancelledBy::Platform,
            reason: Some("cancelled on the national platform".into()),
        };
        let (next, _effects) = match appointment::apply(&local, cancel, now, &self.policy) {
            Ok(done) => done,
            // A call in progress is not cut by a remote cancellation: staff see the status.
            Err(e) => {
                tracing::warn!(appointment = %id, error = %e, remote = %change.remote_id, "platform cancellation not applicable");
                return Ok(Applied::Ignored);
            }
        };
        let booker = self.store.account(next.booked_by).map_err(port)?;
        let practitioner = self
            .store
            .practitioner(next.practitioner)
            .map_err(port)?
            .map(|p| p.name)
            .unwrap_or_default();
        let link = format!("{}/appointments/{}", self.public_url, next.id);
        let site = Site {
            name: &self.site_name,
            time_zone: &self.time_zone,
            organizer: &self.organizer,
        };
        let messages = booker
            .map(|b| cancelled(site, &b, &next, &practitioner, &link, now))
            .unwrap_or_default();
        let audit = self.event(Action::Update, "appointment", id.to_string());
        // No outbox message: the platform is where the cancellation came from.
        self.store
            .update_appointment(&next, true, &messages, &[], &audit)
            .map_err(port)?;
        self.live
            .announce(teleconsult_web::live::Ended::Appointment(id));
        self.notifier.notify_one();
        Ok(Applied::Cancelled)
    }
}

impl RemoteAppointments for LocalBooking {
    fn apply(&self, change: &RemoteAppointment) -> Result<Applied, PortError> {
        match (&change.status, change.local) {
            (RemoteStatus::Cancelled, Some(id)) => self.cancel_local(change, id),
            (RemoteStatus::Cancelled, None) => {
                let audit = self.event(
                    Action::Update,
                    "remote_appointment",
                    change.remote_id.clone(),
                );
                let known = self
                    .store
                    .release_remote_slot(&change.remote_id, change.practitioner, &audit)
                    .map_err(port)?;
                Ok(if known {
                    Applied::Cancelled
                } else {
                    Applied::Unchanged
                })
            }
            // Our own booking coming back from the platform.
            (RemoteStatus::Booked, Some(_)) => Ok(Applied::Unchanged),
            (RemoteStatus::Booked, None) => {
                let hold = RemoteHold {
                    remote_id: change.remote_id.clone(),
                    practitioner: change.practitioner,
                    start: change.start,
                    end: change.end,
                };
                let audit = self.event(
                    Action::Create,
                    "remote_appointment",
                    change.remote_id.clone(),
                );
                Ok(
                    match self.store.hold_remote_slot(&hold, &audit).map_err(port)? {
                        HoldOutcome::Held => Applied::Booked,
                        HoldOutcome::AlreadyHeld => Applied::Unchanged,
                        HoldOutcome::Conflict(local) => {
                            tracing::warn!(%local, remote = %change.remote_id, "slot booked both here and on the platform: both kept, staff must resolve");
                            Applied::Conflict
                        }
                    },
                )
            }
            (RemoteStatus::Other(_), _) => Ok(Applied::Ignored),
        }
    }
}
