//! The waiting side of an entry: the patient at home who asked, or the booth's staff. They
//! follow it (place, wait, slot offer), leave the line, or book a slot instead (`docs/booth.md`
//! rule 5).

use crate::booking::{BookFailure, BookRequest, Booked};
use crate::booth::CabinBooking;
use crate::error::AppError;
use crate::queue::EntryView;
use crate::walk_in::PatientSummary;
use crate::{App, actor_of, event, new_id};
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, Role};
use teleconsult_core::audit::Action;
use teleconsult_core::booth::{BoothSession, BoothSessionId};
use teleconsult_core::ids::{AppointmentId, PractitionerId};
use teleconsult_core::queue::{Origin, QueueEntry, QueueEntryId};

impl App {
    /// One entry, for its waiting side: the patient who asked (own home entry), or booth
    /// staff (their booth's entries). Anyone else: 404 (practitioners see the queue instead).
    pub fn entry(&self, actor: &Account, id: QueueEntryId) -> Result<EntryView, AppError> {
        let entry = self.visible_entry(actor, id)?;
        let now = self.now();
        let patient = match actor.role {
            Role::Staff => {
                let read = event(
                    now,
                    &actor_of(actor),
                    Action::Read,
                    "patient",
                    entry.patient,
                );
                self.store
                    .patient(entry.patient, &read)?
                    .as_ref()
                    .map(PatientSummary::from)
            }
            _ => None,
        };
        self.entry_view(&entry, patient, now)
    }

    /// The waiting side leaves the line: the patient their home entry, staff a walk-in at the
    /// counter (a walk-in in the cabin leaves with their booth session: 409
    /// `end_the_session`).
    pub fn withdraw(&self, actor: &Account, id: QueueEntryId) -> Result<(), AppError> {
        let entry = self.visible_entry(actor, id)?;
        if entry.session.is_some() {
            return Err(AppError::conflict(
                "end_the_session",
                "this person waits in the cabin: end their booth session instead",
            ));
        }
        let audit = event(
            self.now(),
            &actor_of(actor),
            Action::Delete,
            "queue_entry",
            id,
        );
        self.store
            .withdraw(id, &audit)?
            .map(drop)
            .ok_or(AppError::NotFound)
    }

    /// The waiting side books a slot instead (the one offered, or another free one): the
    /// booking and the end of the entry are one write. A patient at home books for themself,
    /// under their quota; booth staff book at the booth for the walk-in (from the cabin: its
    /// session is booked; from the counter: a session opens and takes the cabin).
    pub fn book_instead(
        &self,
        actor: &Account,
        id: QueueEntryId,
        practitioner: PractitionerId,
        start: Timestamp,
    ) -> Result<Booked, BookFailure> {
        let fail = |error| BookFailure {
            error,
            unrecorded: Vec::new(),
        };
        let entry = self.visible_entry(actor, id).map_err(fail)?;
        if actor.role == Role::Patient {
            let request = BookRequest {
                practitioner,
                start,
                mode: entry.mode,
                for_whom: None,
                reason: entry.reason.clone(),
            };
            let mut reads = Vec::new();
            let slot = self.book_for_patient(actor, request, &mut reads);
            return match slot {
                Ok(mut slot) => {
                    slot.ends_entry = Some(id);
                    self.write_slot(slot, reads.clone())
                        .map_err(|error| BookFailure {
                            error,
                            unrecorded: reads,
                        })
                }
                Err(error) => Err(BookFailure {
                    error,
                    unrecorded: reads,
                }),
            };
        }
        let now = self.now();
        let read = event(
            now,
            &actor_of(actor),
            Action::Read,
            "patient",
            entry.patient,
        );
        let patient = self
            .store
            .patient(entry.patient, &read)
            .map_err(|e| fail(e.into()))?
            .ok_or(AppError::NotFound)
            .map_err(fail)?;
        let appointment = AppointmentId::from_uuid(new_id());
        let (session, opens) = match entry.session {
            Some(waiting) => {
                let session = self
                    .store
                    .booth_session(waiting)
                    .map_err(|e| fail(e.into()))?
                    .and_then(|s| s.book(appointment, now))
                    .ok_or(AppError::NotFound)
                    .map_err(fail)?;
                (session, false)
            }
            None => {
                let id = BoothSessionId::from_uuid(new_id());
                let session = BoothSession::booked(id, patient.id, actor.id, now, appointment);
                (session, true)
            }
        };
        let session_id = session.id;
        let booking = CabinBooking {
            practitioner,
            start,
            mode: entry.mode,
            reason: entry.reason.clone(),
            appointment,
            session,
            opens,
            ends_entry: Some(id),
        };
        let booked = self
            .book_from_cabin(actor, &patient, booking)
            .map_err(fail)?;
        self.cabin().join(session_id, appointment);
        Ok(booked)
    }

    /// Entry `id` if the caller is its waiting side; 404 otherwise.
    pub(crate) fn visible_entry(
        &self,
        actor: &Account,
        id: QueueEntryId,
    ) -> Result<QueueEntry, AppError> {
        match actor.role {
            Role::Patient => {}
            Role::Staff => self.require_booth_staff(actor)?,
            _ => {
                return Err(AppError::Forbidden(
                    "only the waiting side follows an entry",
                ));
            }
        }
        let entry = self.store.waiting_entry(id)?.ok_or(AppError::NotFound)?;
        let theirs = match actor.role {
            Role::Patient => entry.origin == Origin::Home && entry.requested_by == actor.id,
            _ => entry.origin == Origin::Booth,
        };
        if theirs {
            Ok(entry)
        } else {
            Err(AppError::NotFound)
        }
    }

    pub(crate) fn entry_view(
        &self,
        entry: &QueueEntry,
        patient: Option<PatientSummary>,
        now: Timestamp,
    ) -> Result<EntryView, AppError> {
        let waiting = self.waiting_of(&self.line()?, entry, now)?;
        Ok(EntryView {
            entry: entry.clone(),
            patient,
            waiting,
        })
    }
}
