//! "A doctor now" (DESIGN §4d, `docs/booth.md` rules 3–5): practitioners switch their
//! on-demand availability; walk-ins (from the cabin, or waiting at the counter) and patients at
//! home wait in one line per specialty; "next patient" hands each entry to exactly one
//! practitioner; the waiting side sees its place, an estimated wait and, after a while, the
//! first free slot — which it may book instead, ending its entry.

use crate::booking::outbox_messages;
use crate::booth::already_waiting;
use crate::error::AppError;
use crate::texts::Contact;
use crate::waiting::Waiting;
use crate::walk_in::{Identify, PatientSummary};
use crate::{App, actor_of, event, new_id, require};
use jiff::SignedDuration;
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, Role};
use teleconsult_core::appointment::{self, MAX_REASON_CHARS, NewAppointment};
use teleconsult_core::audit::Action;
use teleconsult_core::booth::{BoothSession, BoothSessionId};
use teleconsult_core::consent::may_book;
use teleconsult_core::ids::{AppointmentId, PatientId, PractitionerId};
use teleconsult_core::ports::booking::AtTheBooth;
use teleconsult_core::ports::booth::{Take, Taken};
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::queue::{
    Availability, Origin, QueueEntry, QueueEntryId, RequestError, next_takeable, position,
    slot_offer_due, validate_request,
};
use teleconsult_core::schedule::ConsultationMode;

/// How often a practitioner's "next" chooses again after losing an entry to another one; each
/// loss means some entry was handed out, so this bounds only pathological contention.
const TAKE_ATTEMPTS: usize = 64;

/// A request to wait for the first practitioner free.
#[derive(Clone, Debug)]
pub struct WaitRequest {
    pub specialty: String,
    pub language: Option<String>,
    pub mode: ConsultationMode,
    pub reason: String,
}

/// One waiting entry as its waiting side (the patient at home, or booth staff) sees it.
#[derive(Clone, Debug)]
pub struct EntryView {
    pub entry: QueueEntry,
    /// For booth staff: who waits.
    pub patient: Option<PatientSummary>,
    pub waiting: Waiting,
}

/// One line of `GET /queue`: never the reason, and the patient's names only for booth staff.
#[derive(Clone, Debug)]
pub struct QueueRow {
    pub entry: QueueEntryId,
    pub origin: Origin,
    pub specialty: String,
    pub language: Option<String>,
    pub mode: ConsultationMode,
    /// In its specialty's line.
    pub position: usize,
    pub waited: SignedDuration,
    /// A walk-in waiting at the counter (not yet in the cabin).
    pub at_the_counter: bool,
    pub session: Option<BoothSessionId>,
    pub slot_offer_due: bool,
    pub patient: Option<PatientSummary>,
}

/// The queue as the caller may see it.
#[derive(Clone, Debug)]
pub struct QueueView {
    pub rows: Vec<QueueRow>,
    /// Practitioners available on demand (of the caller's specialty, for a practitioner).
    pub available: usize,
    /// A practitioner's own switch.
    pub on_demand: Option<bool>,
}

/// An entry handed to a practitioner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenEntry {
    pub appointment: AppointmentId,
    pub patient: PatientId,
    pub waited: SignedDuration,
    pub at_booth: bool,
    pub session: Option<BoothSessionId>,
}

impl App {
    /// A practitioner switches their own on-demand availability (anyone else's: 404).
    pub fn set_availability(
        &self,
        actor: &Account,
        practitioner: PractitionerId,
        on_demand: bool,
    ) -> Result<Availability, AppError> {
        require(actor, &[Role::Practitioner])?;
        if actor.practitioner != Some(practitioner) {
            return Err(AppError::NotFound);
        }
        let now = self.now();
        let availability = Availability {
            practitioner,
            on_demand,
            since: now,
        };
        let audit = event(
            now,
            &actor_of(actor),
            Action::Update,
            "availability",
            practitioner,
        );
        self.store.set_on_demand(&availability, &audit)?;
        Ok(availability)
    }

    /// The queue: a practitioner sees the entries of their specialty (no names, no reason:
    /// not theirs yet), booth staff the entries of their booth with the patients' names; one
    /// audit record for the list.
    pub fn queue(&self, actor: &Account) -> Result<QueueView, AppError> {
        require(actor, &[Role::Practitioner, Role::Staff])?;
        let now = self.now();
        let line = self.line()?;
        let own = match actor.role {
            Role::Practitioner => Some(self.own_practitioner(actor)?),
            _ => None,
        };
        let mut rows = Vec::new();
        for e in &line.entries {
            let visible = match &own {
                Some(p) => e.specialty == p.specialty,
                None => e.origin == Origin::Booth,
            };
            if !visible {
                continue;
            }
            let patient = match own {
                Some(_) => None,
                None => self
                    .store
                    .patient_unaudited(e.patient)?
                    .as_ref()
                    .map(PatientSummary::from),
            };
            rows.push(QueueRow {
                entry: e.id,
                origin: e.origin,
                specialty: e.specialty.clone(),
                language: e.language.clone(),
                mode: e.mode,
                position: position(e.id, &line.entries).unwrap_or(1),
                waited: now.duration_since(e.enqueued_at),
                at_the_counter: e.at_the_counter(),
                session: e.session,
                slot_offer_due: slot_offer_due(e, now, &self.settings.queue),
                patient,
            });
        }
        rows.sort_by_key(|r| (r.specialty.clone(), r.position));
        let available = line
            .available
            .iter()
            .filter(|p| own.as_ref().is_none_or(|o| o.specialty == p.specialty))
            .count();
        let on_demand = match &own {
            Some(p) => Some(line.available.iter().any(|a| a.id == p.id)),
            None => None,
        };
        self.store.record_audit(&event(
            now,
            &actor_of(actor),
            Action::Read,
            "queue",
            actor.id,
        ))?;
        Ok(QueueView {
            rows,
            available,
            on_demand,
        })
    }

    /// "Next patient": hands the oldest entry the practitioner may take to them, once — an
    /// appointment starting now (at the booth for a walk-in), the walk-in's session booked,
    /// a patient at home told to join. `None`: nobody they may take waits. 409
    /// `not_on_demand` while their switch is off.
    pub fn next(&self, actor: &Account) -> Result<Option<TakenEntry>, AppError> {
        require(actor, &[Role::Practitioner])?;
        let practitioner = self.own_practitioner(actor)?;
        let not_on_demand = || {
            AppError::conflict(
                "not_on_demand",
                "switch your on-demand availability on before taking patients",
            )
        };
        // Checked first to refuse early; the take's transaction checks the switch again, as
        // stored when the entry is handed out (a switch-off may come in between).
        let on = self
            .store
            .on_demand()?
            .into_iter()
            .any(|a| a.practitioner == practitioner.id && a.on_demand);
        if !on {
            return Err(not_on_demand());
        }
        for _ in 0..TAKE_ATTEMPTS {
            let now = self.now();
            let waiting = self.store.waiting()?;
            let cabin_free = self.store.cabin()?.is_none();
            let Some(entry) = next_takeable(&practitioner, &waiting, cabin_free) else {
                return Ok(None);
            };
            let Some(take) = self.take_of(actor, &practitioner, entry, now)? else {
                continue;
            };
            match self.store.take(&take)? {
                Taken::Taken => {
                    let session = take.session.as_ref().map(|s| s.session.id);
                    if let Some(session) = session {
                        self.cabin().join(session, take.appointment.id);
                    }
                    return Ok(Some(TakenEntry {
                        appointment: take.appointment.id,
                        patient: entry.patient,
                        waited: now.duration_since(entry.enqueued_at),
                        at_booth: take.appointment.at_booth,
                        session,
                    }));
                }
                Taken::NotOnDemand => return Err(not_on_demand()),
                Taken::Gone | Taken::CabinBusy => {}
            }
        }
        Err(AppError::Busy)
    }

    /// What taking `entry` writes; `None` when its session no longer waits (choose again).
    fn take_of(
        &self,
        actor: &Account,
        practitioner: &Practitioner,
        entry: &QueueEntry,
        now: Timestamp,
    ) -> Result<Option<Take>, AppError> {
        let id = AppointmentId::from_uuid(new_id());
        let length = self.settings.queue.expected_consultation;
        let new = NewAppointment {
            id,
            practitioner: practitioner.id,
            patient: entry.patient,
            booked_by: entry.requested_by,
            for_relative: None,
            start: now,
            end: now.saturating_add(length).unwrap_or(now),
            mode: entry.mode,
            reason: entry.reason.clone(),
            at_booth: entry.origin == Origin::Booth,
        };
        let (appointment, effects) = appointment::book_now(new, now)
            .map_err(|e| AppError::conflict("cannot_take", e.to_string()))?;
        let session = match (entry.origin, entry.session) {
            (Origin::Booth, Some(waiting)) => {
                let booked = self
                    .store
                    .booth_session(waiting)?
                    .and_then(|s| s.book(id, now));
                match booked {
                    Some(session) => Some(AtTheBooth {
                        session,
                        opens: false,
                    }),
                    None => return Ok(None),
                }
            }
            // Called from the counter into the cabin: the session opens now.
            (Origin::Booth, None) => Some(AtTheBooth {
                session: BoothSession::booked(
                    BoothSessionId::from_uuid(new_id()),
                    entry.patient,
                    entry.requested_by,
                    now,
                    id,
                ),
                opens: true,
            }),
            (Origin::Home, _) => None,
        };
        let notifications = match entry.origin {
            Origin::Home => match self.store.account_record(entry.requested_by)? {
                Some(requester) => self.texts.ready(
                    &Contact::from(&requester),
                    &appointment,
                    &practitioner.name,
                    now,
                ),
                None => Vec::new(),
            },
            Origin::Booth => Vec::new(),
        };
        let who = actor_of(actor);
        Ok(Some(Take {
            entry: entry.id,
            session,
            notifications,
            outbox: outbox_messages(effects),
            audit: vec![
                event(now, &who, Action::Update, "queue_entry", entry.id),
                event(now, &who, Action::Create, "appointment", id),
            ],
            appointment,
        }))
    }

    /// A patient at home asks for the first practitioner free ("as soon as possible"): one
    /// entry at a time (409 `already_waiting`), under their consents.
    pub fn ask_asap(&self, actor: &Account, request: WaitRequest) -> Result<EntryView, AppError> {
        require(actor, &[Role::Patient])?;
        let own = actor
            .patient
            .ok_or(AppError::Forbidden("this account has no patient record"))?;
        let (specialty, language, reason) = checked(&request)?;
        let now = self.now();
        let who = actor_of(actor);
        let patient = self
            .store
            .patient(own, &event(now, &who, Action::Read, "patient", own))?
            .ok_or(AppError::NotFound)?;
        may_book(&patient.consents, now).map_err(|e| AppError::field("consents", e.to_string()))?;
        let entry = QueueEntry {
            id: QueueEntryId::from_uuid(new_id()),
            patient: own,
            requested_by: actor.id,
            origin: Origin::Home,
            specialty,
            language,
            mode: request.mode,
            reason,
            enqueued_at: now,
            session: None,
        };
        let audit = event(now, &who, Action::Create, "queue_entry", entry.id);
        self.store
            .enqueue(&entry, &audit)
            .map_err(already_waiting)?;
        self.entry_view(&entry, None, now)
    }

    /// The entry the patient waits with (404 when they do not wait: taken, withdrawn).
    pub fn own_entry(&self, actor: &Account) -> Result<EntryView, AppError> {
        require(actor, &[Role::Patient])?;
        let own = actor.patient.ok_or(AppError::NotFound)?;
        let entry = self
            .store
            .waiting_entry_of(own)?
            .filter(|e| e.requested_by == actor.id)
            .ok_or(AppError::NotFound)?;
        self.entry_view(&entry, None, self.now())
    }

    /// Booth staff put a walk-in in the line at the counter (the cabin is busy or they prefer
    /// to wait outside it): their booth session opens when a practitioner takes them.
    pub fn add_walk_in(
        &self,
        actor: &Account,
        patient: Identify,
        request: WaitRequest,
    ) -> Result<(EntryView, bool), AppError> {
        self.require_booth_staff(actor)?;
        let (specialty, language, reason) = checked(&request)?;
        let identified = self.identify(actor, patient)?;
        self.require_consents(&identified.patient)?;
        let now = self.now();
        let entry = QueueEntry {
            id: QueueEntryId::from_uuid(new_id()),
            patient: identified.patient.id,
            requested_by: actor.id,
            origin: Origin::Booth,
            specialty,
            language,
            mode: request.mode,
            reason,
            enqueued_at: now,
            session: None,
        };
        let audit = event(
            now,
            &actor_of(actor),
            Action::Create,
            "queue_entry",
            entry.id,
        );
        self.store
            .enqueue(&entry, &audit)
            .map_err(already_waiting)?;
        let summary = PatientSummary::from(&identified.patient);
        Ok((
            self.entry_view(&entry, Some(summary), now)?,
            identified.known,
        ))
    }

    /// The practitioner record of a practitioner account (403 without one).
    fn own_practitioner(&self, actor: &Account) -> Result<Practitioner, AppError> {
        let id = actor.practitioner.ok_or(AppError::Forbidden(
            "this account has no practitioner record",
        ))?;
        self.store.find_practitioner(id)?.ok_or(AppError::NotFound)
    }
}

/// The request's specialty, language and reason, checked.
fn checked(request: &WaitRequest) -> Result<(String, Option<String>, String), AppError> {
    let (specialty, language) = validate_request(&request.specialty, request.language.as_deref())
        .map_err(|e| {
        let field = match e {
            RequestError::Specialty(_) => "specialty",
            RequestError::Language => "language",
        };
        AppError::field(field, e.to_string())
    })?;
    Ok((specialty, language, checked_reason(&request.reason)?))
}

/// A reason (symptoms) for the practitioner, trimmed, at most [`MAX_REASON_CHARS`].
pub(crate) fn checked_reason(raw: &str) -> Result<String, AppError> {
    let reason = raw.trim().to_owned();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::field(
            "reason",
            format!("the reason is too long: at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(reason)
}
