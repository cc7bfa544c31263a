//! Appointments booked or cancelled on the national platform, applied locally (the sync pull's
//! `RemoteAppointments` port):
//! - a platform booking for one of our practitioners holds its slot (no longer offered here);
//!   if a local booking has the slot, both are kept and the conflict is recorded for staff;
//! - a platform cancellation of one of our appointments cancels it here (by `platform`) and tells
//!   the patient; of a platform booking, frees its slot again — in both cases only when the
//!   appointment or booking belongs to the practitioner whose feed carried the cancellation.

use std::sync::Arc;
use teleconsult_app::texts::patient_side;
use teleconsult_core::appointment::{self, CancelledBy, Event};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ports::{Clock, Repository};
use teleconsult_store::{AppointmentChange, HoldOutcome, RemoteHold, Store};
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
        let booker = self.store.account(local.booked_by).map_err(port)?;
        // Held at the booth: the patient's own phone, never the staff who booked.
        let patient = match local.at_booth {
            true => Repository::patient(
                &self.store,
                local.patient,
                &self.event(Action::Read, "patient", local.patient.to_string()),
            )
            .map_err(port)?,
            false => None,
        };
        let recipient = patient_side(
            local.at_booth,
            booker.as_ref(),
            patient.as_ref(),
            teleconsult_core::site::Language::En,
        );
        let practitioner = self
            .store
            .practitioner(local.practitioner)
            .map_err(port)?
            .map(|p| p.name)
            .unwrap_or_default();
        let link = format!("{}/appointments/{}", self.public_url, local.id);
        let site = Site {
            name: &self.site_name,
            time_zone: &self.time_zone,
            organizer: &self.organizer,
        };
        let audit = self.event(Action::Update, "appointment", id.to_string());
        // Decided on the appointment as stored when written: a join or a local cancellation
        // in parallel is seen, never undone.
        let changed = self
            .store
            .change_appointment(
                id,
                |current| {
                    if current.status.is_final() {
                        return Ok::<_, appointment::TransitionError>(None);
                    }
                    let cancel = Event::Cancel {
                        by: CancelledBy::Platform,
                        reason: Some("cancelled on the national platform".into()),
                    };
                    let (next, _effects) = appointment::apply(current, cancel, now, &self.policy)?;
                    let notifications = recipient
                        .as_ref()
                        .map(|to| cancelled(site, to, &next, &practitioner, &link, now))
                        .unwrap_or_default();
                    // No outbox message: the platform is where the cancellation came from.
                    Ok(Some(AppointmentChange {
                        next,
                        notifications,
                        outbox: Vec::new(),
                    }))
                },
                None,
                &audit,
            )
            .map_err(port)?;
        match changed {
            Ok(Some(_)) => {
                self.live
                    .announce(teleconsult_web::live::Ended::Appointment(id));
                self.notifier.notify_one();
                Ok(Applied::Cancelled)
            }
            Ok(None) => Ok(Applied::Unchanged),
            // A call in progress is not cut by a remote cancellation: staff see the status.
            Err(e) => {
                tracing::warn!(appointment = %id, error = %e, remote = %change.remote_id, "platform cancellation not applicable");
                Ok(Applied::Ignored)
            }
        }
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
