//! Cancelling an appointment (the API's `POST /appointments/{id}/cancel` and the appointment
//! page's form): who may — the patient it is for or the account that booked it, until the
//! site's deadline; its practitioner or staff and administrators, at any time with a reason;
//! anyone else gets "no such appointment" —, and the unit of work: the cancelled appointment,
//! its freed slot, the patient side's notice, the platform's outbox message and the audit
//! record in one transaction, decided on the appointment as stored at that moment.

use crate::booking::outbox_messages;
use crate::error::AppError;
use crate::texts::patient_side;
use crate::{App, actor_of, event};
use teleconsult_core::account::{Account, Role};
use teleconsult_core::appointment::{self, Appointment, CancelledBy, Event, TransitionError};
use teleconsult_core::audit::Action;
use teleconsult_core::ids::AppointmentId;
use teleconsult_core::ports::{AppointmentChange, RepositoryError};

impl App {
    /// Cancels appointment `id` in `actor`'s name, `reason` told to the patient (required
    /// from practitioners and staff; blank is none). Returns the appointment as saved.
    /// [`AppError::NotFound`] when there is no such appointment or `actor` may not see it
    /// (a pharmacist never cancels); 422 on `reason` when it is missing or too long; 409
    /// `cannot_cancel` past the patient's deadline or once the appointment is final — a
    /// cancellation that lost a race to another one included.
    pub fn cancel(
        &self,
        actor: &Account,
        id: AppointmentId,
        reason: Option<String>,
    ) -> Result<Appointment, AppError> {
        let now = self.now();
        let who = actor_of(actor);
        let a = self.appointment(actor, id)?;
        let by = match actor.role {
            Role::Patient => CancelledBy::Patient,
            Role::Practitioner => CancelledBy::Practitioner,
            Role::Staff | Role::Admin => CancelledBy::Staff,
            Role::Pharmacist => return Err(AppError::NotFound),
        };
        let reason = reason.filter(|r| !r.trim().is_empty());
        // Who is told, read before the transaction. Held at the booth: the patient on their
        // own phone, never the staff account that booked it.
        let booker = self.store.find_account(a.booked_by)?;
        let patient = match a.at_booth {
            true => {
                let read = event(now, &who, Action::Read, "patient", a.patient);
                self.store.patient(a.patient, &read)?
            }
            false => None,
        };
        let side = patient_side(
            a.at_booth,
            booker.as_ref(),
            patient.as_ref(),
            self.settings.default_language(),
        );
        let practitioner = self
            .store
            .find_practitioner(a.practitioner)?
            .map(|p| p.name)
            .unwrap_or_default();
        let policy = &self.settings.appointments;
        let decide = |current: &Appointment| {
            let cancel = Event::Cancel {
                by,
                reason: reason.clone(),
            };
            let (cancelled, effects) = appointment::apply(current, cancel, now, policy)?;
            let notifications = side
                .as_ref()
                .map(|to| self.texts.cancelled(to, &cancelled, &practitioner, now))
                .unwrap_or_default();
            Ok(Some(AppointmentChange {
                next: cancelled,
                notifications,
                outbox: outbox_messages(effects),
            }))
        };
        let write = event(now, &who, Action::Update, "appointment", id);
        match self.store.change_booked(id, &decide, &write) {
            Ok(Ok(Some(cancelled))) => Ok(cancelled),
            Ok(Ok(None)) => Err(AppError::Internal("a cancellation changed nothing".into())),
            Ok(Err(refused)) => Err(cancel_refused(refused)),
            // Erased in the meantime: as if it never was.
            Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }
}

/// A cancellation core's rules refuse: the reason's field, or 409 `cannot_cancel`.
fn cancel_refused(e: TransitionError) -> AppError {
    match e {
        TransitionError::ReasonRequired | TransitionError::ReasonTooLong => {
            AppError::field("reason", e.to_string())
        }
        _ => AppError::conflict("cannot_cancel", e.to_string()),
    }
}
