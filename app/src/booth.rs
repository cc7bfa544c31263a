//! Booth sessions (DESIGN §4d, `docs/booth.md`): staff of a booth site start one for the
//! person they identified at the counter — waiting for the first practitioner free, or with a
//! chosen slot —, follow it, and end it; the daemon's sweeper ends it when the call ended or
//! nothing happened for `[booth] idle_limit_min`. One cabin, one open session.

use crate::booking::{Booked, SlotBooking, outbox_messages};
use crate::error::AppError;
use crate::texts::patient_side;
use crate::waiting::Waiting;
use crate::walk_in::{Identify, PatientSummary};
use crate::{App, actor_of, event, new_id};
use std::collections::BTreeMap;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Account;
use teleconsult_core::appointment::{self, Appointment, CancelledBy, Event, Status};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::booth::{BoothError, BoothSession, BoothSessionId, EndReason};
use teleconsult_core::ids::{AppointmentId, PractitionerId};
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::AppointmentChange;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::booking::AtTheBooth;
use teleconsult_core::ports::booth::SessionEnd;
use teleconsult_core::queue::{Origin, QueueEntry, QueueEntryId, validate_request};
use teleconsult_core::schedule::ConsultationMode;

/// A booth session to start.
#[derive(Clone, Debug)]
pub struct StartSession {
    pub patient: Identify,
    /// "First practitioner free now": the specialty (and optionally a language).
    pub specialty: Option<String>,
    pub language: Option<String>,
    /// A chosen slot: the practitioner and the slot's start.
    pub practitioner: Option<PractitionerId>,
    pub start: Option<Timestamp>,
    pub mode: ConsultationMode,
    /// Reason / symptoms, for the practitioner.
    pub reason: String,
}

/// The appointment of a session, as staff see it (no reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionAppointment {
    pub id: AppointmentId,
    pub practitioner_name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// `booked`, `waiting`, `in_call`, `completed`, `cancelled`, `no_show`.
    pub status: &'static str,
}

/// A booth session as its staff see it.
#[derive(Clone, Debug)]
pub struct SessionView {
    pub session: BoothSession,
    /// Empty names if the patient was erased since.
    pub patient: Option<PatientSummary>,
    /// While it waits for the first practitioner free.
    pub waiting: Option<Waiting>,
    pub appointment: Option<SessionAppointment>,
}

/// A started session, and whether its patient was known to the site before.
#[derive(Clone, Debug)]
pub struct Started {
    pub view: SessionView,
    pub known_patient: bool,
}

/// An ended session, and the appointment whose call room the end closed (its sockets are to
/// be told).
#[derive(Clone, Debug)]
pub struct Ended {
    pub view: SessionView,
    pub closed: Option<AppointmentId>,
}

/// Why a session is asked to end.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// Staff ended it from the console.
    Staff,
    /// The sweeper: only if core says it ends by itself (call ended, idle).
    ByItself,
}

impl App {
    /// Starts a booth session (staff of a booth site): identifies the person, then either
    /// queues them for the first practitioner free of `specialty` or books the chosen slot at
    /// the booth. 409 `cabin_busy` while another session is open.
    pub fn start_session(
        &self,
        actor: &Account,
        request: StartSession,
    ) -> Result<Started, AppError> {
        self.require_booth_staff(actor)?;
        let choice = self.choice(&request)?;
        // Refused early, before anything is registered; decided again in the transaction.
        if let Some(open) = self.store.cabin()? {
            return Err(AppError::CabinBusy { open });
        }
        let reason = crate::queue::checked_reason(&request.reason)?;
        let identified = self.identify(actor, request.patient)?;
        let patient = identified.patient;
        self.require_consents(&patient)?;
        let now = self.now();
        let who = actor_of(actor);
        let id = BoothSessionId::from_uuid(new_id());
        match choice {
            Choice::Queue {
                specialty,
                language,
            } => {
                let entry = QueueEntry {
                    id: QueueEntryId::from_uuid(new_id()),
                    patient: patient.id,
                    requested_by: actor.id,
                    origin: Origin::Booth,
                    specialty,
                    language,
                    mode: request.mode,
                    reason,
                    enqueued_at: now,
                    session: Some(id),
                };
                let session = BoothSession::queued(id, patient.id, actor.id, now, entry.id);
                let audit = event(now, &who, Action::Create, "booth_session", id);
                self.store
                    .start_waiting(&session, &entry, &audit)
                    .map_err(already_waiting)?;
            }
            Choice::Slot {
                practitioner,
                start,
            } => {
                let appointment = AppointmentId::from_uuid(new_id());
                let session = BoothSession::booked(id, patient.id, actor.id, now, appointment);
                let booked = self.book_from_cabin(
                    actor,
                    &patient,
                    CabinBooking {
                        practitioner,
                        start,
                        mode: request.mode,
                        reason,
                        appointment,
                        session,
                        opens: true,
                        ends_entry: None,
                    },
                )?;
                self.cabin().join(id, booked.appointment.id);
            }
        }
        let view = self.session_view(actor, id)?;
        Ok(Started {
            view,
            known_patient: identified.known,
        })
    }

    /// Books a slot at the booth for the person in the cabin (a chosen slot, or an offer
    /// accepted): booked by the staff member, at the booth, no quota, the patient's side told
    /// on their own phone.
    pub(crate) fn book_from_cabin(
        &self,
        actor: &Account,
        patient: &Patient,
        c: CabinBooking,
    ) -> Result<Booked, AppError> {
        let now = self.now();
        let latest = self.settings.booth.latest_slot_start(now);
        if c.start > latest {
            return Err(AppError::field(
                "start",
                BoothError::SlotTooLate { latest }.to_string(),
            ));
        }
        let slot = self.offered(c.practitioner, c.start, c.mode, now)?;
        let recipient = patient_side(
            true,
            Some(actor),
            Some(patient),
            self.settings.default_language(),
        );
        let b = SlotBooking {
            id: c.appointment,
            slot,
            mode: c.mode,
            patient: patient.clone(),
            booked_by: actor.id,
            for_relative: None,
            new_relative: None,
            reason: c.reason,
            at_booth: true,
            open_limit: None,
            recipient,
            ends_entry: c.ends_entry,
            booth: Some(AtTheBooth {
                session: c.session,
                opens: c.opens,
            }),
            audit: event(
                now,
                &actor_of(actor),
                Action::Create,
                "appointment",
                c.appointment,
            ),
        };
        self.write_slot(b, Vec::new())
    }

    /// A booth session (staff of a booth site): its state, its patient's minimum, its place
    /// in the queue or its appointment. The read is audited.
    pub fn session(&self, actor: &Account, id: BoothSessionId) -> Result<SessionView, AppError> {
        self.require_booth_staff(actor)?;
        self.session_view(actor, id)
    }

    pub(crate) fn session_view(
        &self,
        actor: &Account,
        id: BoothSessionId,
    ) -> Result<SessionView, AppError> {
        let now = self.now();
        let who = actor_of(actor);
        let session = self.store.booth_session(id)?.ok_or(AppError::NotFound)?;
        self.store
            .record_audit(&event(now, &who, Action::Read, "booth_session", id))?;
        let patient_read = event(now, &who, Action::Read, "patient", session.patient);
        let patient = self
            .store
            .patient(session.patient, &patient_read)?
            .as_ref()
            .map(PatientSummary::from);
        let waiting = match session.entry() {
            Some(entry) => match self.store.waiting_entry(entry)? {
                Some(e) => Some(self.waiting_of(&self.line()?, &e, now)?),
                None => None,
            },
            None => None,
        };
        let appointment = match session.appointment() {
            Some(a) => {
                let read = event(now, &who, Action::Read, "appointment", a);
                match self.store.appointment_record(a, &read)? {
                    Some(a) => Some(self.session_appointment(&a)?),
                    None => None,
                }
            }
            None => None,
        };
        Ok(SessionView {
            session,
            patient,
            waiting,
            appointment,
        })
    }

    fn session_appointment(&self, a: &Appointment) -> Result<SessionAppointment, AppError> {
        Ok(SessionAppointment {
            id: a.id,
            practitioner_name: self
                .store
                .find_practitioner(a.practitioner)?
                .map(|p| p.name)
                .unwrap_or_default(),
            start: a.start,
            end: a.end,
            status: a.status.name(),
        })
    }

    /// Ends a booth session (staff of a booth site): its queue entry leaves the queue, an
    /// appointment not yet held is cancelled by staff with a reason (the patient's side is
    /// told), a running call is ended; the cabin is reset. Ending an ended session changes
    /// nothing (the answer is the session as it ended).
    pub fn end_session(&self, actor: &Account, id: BoothSessionId) -> Result<Ended, AppError> {
        self.require_booth_staff(actor)?;
        let closed = self.end(id, Ending::Staff, &actor_of(actor))?.flatten();
        Ok(Ended {
            view: self.session_view(actor, id)?,
            closed,
        })
    }

    /// The daemon's sweeper: ends the open session when its call ended or nothing happened
    /// for `[booth] idle_limit_min`. Reads nothing while the session is recently active; while
    /// someone is in the call room it records that as activity. Returns the ended session's
    /// id and the appointment whose room closed, if any.
    pub fn sweep_booth(&self) -> Result<Option<(BoothSessionId, Option<AppointmentId>)>, AppError> {
        let Some(id) = self.store.cabin()? else {
            return Ok(None);
        };
        let Some(session) = self.store.booth_session(id)? else {
            return Ok(None);
        };
        let now = self.now();
        let policy = &self.settings.booth;
        if !session.is_idle(now, policy) {
            return Ok(None);
        }
        let system = Actor::System("booth".into());
        let appointment = match session.appointment() {
            Some(a) => self
                .store
                .appointment_record(a, &event(now, &system, Action::Read, "appointment", a))?,
            None => None,
        };
        if session
            .ends_by_itself(appointment.as_ref(), now, policy)
            .is_none()
        {
            // Someone is in the call room, or the slot is still ahead: that is activity.
            self.store.touch_session(id, now)?;
            return Ok(None);
        }
        let closed = self.end(id, Ending::ByItself, &system)?.flatten();
        Ok(Some((id, closed)))
    }

    /// The call of `appointment` ended (its room recorded the end): the cabin's open session
    /// for it ends at once, `call_ended`, and the cabin returns to its welcome view — without
    /// waiting for the sweeper, which leaves a recently active session alone until its idle
    /// limit. Whether this call ended it (when several say so at once, one does); nothing
    /// happens for an appointment not in the cabin.
    pub fn call_ended(&self, appointment: AppointmentId) -> Result<bool, AppError> {
        let Some(id) = self.store.cabin()? else {
            return Ok(false);
        };
        let Some(session) = self.store.booth_session(id)? else {
            return Ok(false);
        };
        if !session.is_open() || session.appointment() != Some(appointment) {
            return Ok(false);
        }
        // Decided again inside the transaction: it ends only if the appointment is completed.
        let ended = self.end(id, Ending::ByItself, &Actor::System("booth".into()))?;
        Ok(ended.is_some())
    }

    /// The open session holding the cabin, for the daemon's own cabin adapters (the screen,
    /// the pipeline, the printer): no account, nothing audited — a session holds who sits in
    /// the cabin and its appointment's id, no health data.
    pub fn cabin_session(&self) -> Result<Option<BoothSession>, AppError> {
        let Some(id) = self.store.cabin()? else {
            return Ok(None);
        };
        Ok(self.store.booth_session(id)?.filter(BoothSession::is_open))
    }

    /// Something happened in the cabin (someone joined its call, a device check): the open
    /// session's idle time starts again. Nothing when the cabin is free.
    pub fn cabin_activity(&self) -> Result<(), AppError> {
        if let Some(id) = self.store.cabin()? {
            self.store.touch_session(id, self.now())?;
        }
        Ok(())
    }

    /// Ends session `id` in one transaction (see [`App::end_session`]): `None` when it did not
    /// end now (ended already, or nothing says it ends), else the appointment whose room it
    /// closed, if any. The cabin is reset when the session ended now.
    fn end(
        &self,
        id: BoothSessionId,
        ending: Ending,
        actor: &Actor,
    ) -> Result<Option<Option<AppointmentId>>, AppError> {
        let now = self.now();
        let session = self.store.booth_session(id)?.ok_or(AppError::NotFound)?;
        // Who to tell if its appointment is cancelled, read before the transaction.
        let (contact, practitioner) = match session.appointment() {
            Some(a) if session.is_open() => {
                let read = event(now, actor, Action::Read, "appointment", a);
                match self.store.appointment_record(a, &read)? {
                    Some(a) => {
                        let read = event(now, actor, Action::Read, "patient", a.patient);
                        let patient = self.store.patient(a.patient, &read)?;
                        let contact = patient_side(
                            a.at_booth,
                            None,
                            patient.as_ref(),
                            self.settings.default_language(),
                        );
                        (contact, self.session_appointment(&a)?.practitioner_name)
                    }
                    None => (None, String::new()),
                }
            }
            _ => (None, String::new()),
        };
        let reason = self.texts.left_the_booth(self.settings.default_language());
        let policy = self.settings.booth;
        let appointments = self.settings.appointments;
        let decide = |current: &BoothSession, appointment: Option<&Appointment>| {
            let why = match ending {
                Ending::Staff => EndReason::Staff,
                Ending::ByItself => current.ends_by_itself(appointment, now, &policy)?,
            };
            let ended = current.end(now, why)?;
            let change = appointment.and_then(|a| {
                let event = match a.status {
                    Status::Booked | Status::Waiting => Event::Cancel {
                        by: CancelledBy::Staff,
                        reason: Some(reason.clone()),
                    },
                    Status::InCall => Event::EndCall,
                    _ => return None,
                };
                let (next, effects) = appointment::apply(a, event, now, &appointments).ok()?;
                let notifications = match (&next.status, &contact) {
                    (Status::Cancelled { .. }, Some(to)) => {
                        self.texts.cancelled(to, &next, &practitioner, now)
                    }
                    _ => Vec::new(),
                };
                Some(AppointmentChange {
                    next,
                    notifications,
                    outbox: outbox_messages(effects),
                })
            });
            Some(SessionEnd {
                session: ended,
                appointment: change,
            })
        };
        let audit = event(now, actor, Action::Update, "booth_session", id);
        let Some(end) = self.store.end_session(id, &decide, &audit)? else {
            return Ok(None);
        };
        self.cabin().reset(id);
        Ok(Some(end.appointment.map(|a| a.next.id)))
    }

    /// The request's choice: the queue or a slot, checked.
    fn choice(&self, request: &StartSession) -> Result<Choice, AppError> {
        match (&request.practitioner, &request.specialty) {
            (Some(_), Some(_)) => Err(AppError::field(
                "practitioner_id",
                "choose either a practitioner's slot or the first practitioner free of a specialty",
            )),
            (Some(practitioner), None) => match request.start {
                Some(start) => Ok(Choice::Slot {
                    practitioner: *practitioner,
                    start,
                }),
                None => Err(AppError::field(
                    "start",
                    "a chosen slot needs its start (RFC 3339)",
                )),
            },
            (None, Some(specialty)) => {
                let (specialty, language) =
                    validate_request(specialty, request.language.as_deref()).map_err(|e| {
                        let field = match e {
                            teleconsult_core::queue::RequestError::Specialty(_) => "specialty",
                            teleconsult_core::queue::RequestError::Language => "language",
                        };
                        AppError::field(field, e.to_string())
                    })?;
                Ok(Choice::Queue {
                    specialty,
                    language,
                })
            }
            (None, None) => Err(AppError::Invalid(BTreeMap::from([(
                "specialty".to_owned(),
                "give a specialty (first practitioner free) or a practitioner_id and start (a chosen slot)"
                    .to_owned(),
            )]))),
        }
    }
}

/// A slot booked from the cabin.
pub(crate) struct CabinBooking {
    pub(crate) practitioner: PractitionerId,
    pub(crate) start: Timestamp,
    pub(crate) mode: ConsultationMode,
    pub(crate) reason: String,
    pub(crate) appointment: AppointmentId,
    /// The booth session once booked.
    pub(crate) session: BoothSession,
    /// The session takes the cabin now (else it waits in it with `ends_entry`).
    pub(crate) opens: bool,
    /// The queue entry the booking ends (an offer accepted).
    pub(crate) ends_entry: Option<QueueEntryId>,
}

enum Choice {
    Queue {
        specialty: String,
        language: Option<String>,
    },
    Slot {
        practitioner: PractitionerId,
        start: Timestamp,
    },
}

/// A patient already waiting: 409 `already_waiting`.
pub(crate) fn already_waiting(error: RepositoryError) -> AppError {
    match error {
        RepositoryError::AlreadyExists(_) => AppError::conflict(
            "already_waiting",
            "this patient already waits for a practitioner: see the queue",
        ),
        other => other.into(),
    }
}
