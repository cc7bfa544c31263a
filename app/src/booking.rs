//! Booking a slot: a patient online (for themself or a relative), or booth staff for the person
//! in the cabin. One set of rules for both — the slot must be one the practitioner offers, in
//! the mode asked, within the horizon and free (`slot_taken`), the patient's consents active,
//! the reminders and the confirmation queued with the appointment, the booking account's open
//! appointments counted — and one write ([`BookingWrite`]) through the booking port.
//!
//! Decision (issue #19): the quota of open appointments per account (`[limits]
//! open_appointments_per_account`) applies to patient accounts. Booth staff book for the people
//! at their counter, one after the other, all day: a quota on the staff account would stop the
//! pharmacy, and the cabin already allows one session at a time. No quota applies to them.

use crate::error::AppError;
use crate::texts::Contact;
use crate::{App, actor_of, event, new_id};
use std::collections::BTreeMap;
use std::str::FromStr;
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, Role};
use teleconsult_core::appointment::{self, Appointment, Effect, NewAppointment, Relationship};
use teleconsult_core::audit::{Action, AuditEvent};
use teleconsult_core::booking::{SlotError, offered_slot, reminders};
use teleconsult_core::consent::may_book;
use teleconsult_core::ids::{AppointmentId, PatientId, PractitionerId};
use teleconsult_core::national_id::validate_national_id;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::booking::{AtTheBooth, BookingWrite, Outcome};
use teleconsult_core::queue::QueueEntryId;
use teleconsult_core::schedule::ConsultationMode;

/// A patient's booking request, parsed.
#[derive(Clone, Debug)]
pub struct BookRequest {
    pub practitioner: PractitionerId,
    pub start: Timestamp,
    pub mode: ConsultationMode,
    /// `None`: for the caller.
    pub for_whom: Option<ForWhom>,
    /// Reason / symptoms, for the practitioner.
    pub reason: String,
}

/// Who the appointment is for, when not the caller: a relative already linked to the caller's
/// account (`patient_id`), or a new one (identity fields). Checked here, field by field (the
/// field names are those of the API, under `for.`).
#[derive(Clone, Debug, Default)]
pub struct ForWhom {
    pub patient_id: Option<String>,
    pub relationship: Option<String>,
    pub national_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<String>,
}

/// A booking written (or to be written): the appointment and the names to show with it.
#[derive(Clone, Debug)]
pub struct Booked {
    pub appointment: Appointment,
    pub patient_name: String,
    pub practitioner_name: String,
}

/// A booking queued to the store: await [`Queued::written`].
pub struct Queued {
    pub booked: Booked,
    outcome: Outcome,
    reads: Vec<AuditEvent>,
}

/// A refused or failed booking, with the reads of health data it made that no transaction
/// recorded: the caller records them ([`App::record_reads`], a blocking call).
#[derive(Debug)]
pub struct BookFailure {
    pub error: AppError,
    pub unrecorded: Vec<AuditEvent>,
}

impl Queued {
    /// Waits until the booking is durable (or refused).
    pub async fn written(self) -> Result<Booked, BookFailure> {
        match self.outcome.await {
            Ok(()) => Ok(self.booked),
            // Refused: the store recorded the reads with the refusal.
            Err(
                e @ (RepositoryError::SlotTaken
                | RepositoryError::AlreadyExists(_)
                | RepositoryError::QuotaExceeded(_)
                | RepositoryError::CabinBusy(_)
                | RepositoryError::NotFound(_)),
            ) => Err(BookFailure {
                error: e.into(),
                unrecorded: Vec::new(),
            }),
            Err(e) => Err(BookFailure {
                error: e.into(),
                unrecorded: self.reads,
            }),
        }
    }
}

/// One slot booking, from any door, ready to be checked and written.
pub(crate) struct SlotBooking {
    pub(crate) id: AppointmentId,
    /// The offered slot ([`App::offered`]) and its practitioner.
    pub(crate) slot: Offered,
    pub(crate) mode: ConsultationMode,
    pub(crate) patient: Patient,
    pub(crate) booked_by: AccountId,
    pub(crate) for_relative: Option<Relationship>,
    pub(crate) new_relative: Option<Patient>,
    pub(crate) reason: String,
    pub(crate) at_booth: bool,
    pub(crate) open_limit: Option<u32>,
    /// Who gets the confirmation (the patient's side).
    pub(crate) recipient: Option<Contact>,
    pub(crate) ends_entry: Option<QueueEntryId>,
    pub(crate) booth: Option<AtTheBooth>,
    pub(crate) audit: AuditEvent,
}

use teleconsult_core::ids::AccountId;

/// A slot the practitioner offers, checked: its practitioner (and their name), start and end.
#[derive(Clone, Debug)]
pub(crate) struct Offered {
    pub(crate) practitioner: PractitionerId,
    pub(crate) practitioner_name: String,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
}

impl App {
    /// Whether a patient's booking for themself with `practitioner` reads only records the
    /// store holds in memory: the caller may then run [`App::book`] on its own task.
    pub fn booking_reads_kept(&self, practitioner: PractitionerId, patient: PatientId) -> bool {
        self.store.reads_kept_for_booking(practitioner, patient)
    }

    /// Books a free slot for a patient (themself, or a relative). Blocks only briefly on the
    /// CPU (records read from memory when kept): the write is awaited with
    /// [`Queued::written`]. 403 for other roles.
    pub fn book(&self, actor: &Account, request: BookRequest) -> Result<Queued, BookFailure> {
        let mut reads = Vec::new();
        let queued = self
            .book_for_patient(actor, request, &mut reads)
            .and_then(|slot| {
                // The reads are recorded with the booking (or its refusal).
                let (write, booked) = self.prepare(slot, reads.clone())?;
                Ok((self.store.queue_booking(write)?, booked))
            });
        match queued {
            Ok((outcome, booked)) => Ok(Queued {
                booked,
                outcome,
                reads,
            }),
            Err(error) => Err(BookFailure {
                error,
                unrecorded: reads,
            }),
        }
    }

    pub(crate) fn book_for_patient(
        &self,
        actor: &Account,
        request: BookRequest,
        reads: &mut Vec<AuditEvent>,
    ) -> Result<SlotBooking, AppError> {
        if actor.role != Role::Patient {
            return Err(AppError::Forbidden("only patients book online"));
        }
        let now = self.now();
        let slot = self.offered(request.practitioner, request.start, request.mode, now)?;
        let who = actor_of(actor);
        let own_id = actor
            .patient
            .ok_or(AppError::Forbidden("this account has no patient record"))?;
        let read = |id: PatientId, reads: &mut Vec<AuditEvent>| {
            reads.push(event(now, &who, Action::Read, "patient", id));
            self.store.patient_unaudited(id)?.ok_or(AppError::NotFound)
        };
        let own = read(own_id, reads)?;
        // Consents are the booker's: booking for a relative is done under the booker's consent.
        may_book(&own.consents, now).map_err(|e| AppError::field("consents", e.to_string()))?;
        let (patient, relationship, new_relative) = match request.for_whom {
            None => (own, None, None),
            Some(rel) => {
                let relationship = relationship(rel.relationship.as_deref())?;
                if let Some(id) = &rel.patient_id {
                    let id: PatientId = id.parse().map_err(|_| AppError::NotFound)?;
                    if !actor.relatives.contains(&id) {
                        return Err(AppError::NotFound);
                    }
                    (read(id, reads)?, Some(relationship), None)
                } else {
                    let new = self.new_relative(&rel, &own, now)?;
                    (new.clone(), Some(relationship), Some(new))
                }
            }
        };
        let id = AppointmentId::from_uuid(new_id());
        Ok(SlotBooking {
            id,
            slot,
            mode: request.mode,
            patient,
            booked_by: actor.id,
            for_relative: relationship,
            new_relative,
            reason: request.reason,
            // Booked online: never at the booth, wherever the patient books from.
            at_booth: false,
            open_limit: Some(self.settings.open_appointments),
            recipient: Some(Contact::from(actor)),
            ends_entry: None,
            booth: None,
            audit: event(now, &who, Action::Create, "appointment", id),
        })
    }

    /// The slot of `practitioner` starting at `start` in `mode`, if they offer it (within the
    /// booking horizon from `now`); 422 naming the field otherwise. Whether it is free is
    /// decided by the write (`slot_taken`).
    pub(crate) fn offered(
        &self,
        practitioner: PractitionerId,
        start: Timestamp,
        mode: ConsultationMode,
        now: Timestamp,
    ) -> Result<Offered, AppError> {
        let record = self
            .store
            .find_practitioner(practitioner)?
            .ok_or_else(|| AppError::field("practitioner_id", "no such practitioner"))?;
        let schedule = self
            .store
            .find_schedule(practitioner)?
            .ok_or_else(|| AppError::field("start", "this practitioner has no opening hours"))?;
        let slot = offered_slot(&schedule, start, mode, now, &self.settings.booking).map_err(
            |e| match e {
                SlotError::ModeNotOffered => AppError::field("mode", e.to_string()),
                _ => AppError::field("start", e.to_string()),
            },
        )?;
        Ok(Offered {
            practitioner,
            practitioner_name: record.name,
            start: slot.start,
            end: slot.end,
        })
    }

    /// The write of `b` (with `reads` recorded in it) and what it books.
    pub(crate) fn prepare(
        &self,
        b: SlotBooking,
        reads: Vec<AuditEvent>,
    ) -> Result<(BookingWrite, Booked), AppError> {
        let now = b.audit.at;
        let new = NewAppointment {
            id: b.id,
            practitioner: b.slot.practitioner,
            patient: b.patient.id,
            booked_by: b.booked_by,
            for_relative: b.for_relative,
            start: b.slot.start,
            end: b.slot.end,
            mode: b.mode,
            reason: b.reason,
            at_booth: b.at_booth,
        };
        let (appointment, effects) = appointment::book(new, now)
            .map_err(|e| AppError::field(booking_field(&e), e.to_string()))?;
        let notifications = b
            .recipient
            .as_ref()
            .map(|to| {
                self.texts
                    .booked(to, &appointment, &b.slot.practitioner_name, now)
            })
            .unwrap_or_default();
        let booked = Booked {
            appointment: appointment.clone(),
            patient_name: format!("{} {}", b.patient.first_name, b.patient.last_name),
            practitioner_name: b.slot.practitioner_name,
        };
        let write = BookingWrite {
            reminders: reminders(&appointment, now, &self.settings.booking),
            appointment,
            new_relative: b.new_relative,
            open_limit: b.open_limit,
            notifications,
            outbox: outbox_messages(effects),
            reads,
            audit: b.audit,
            ends_entry: b.ends_entry,
            booth: b.booth,
        };
        Ok((write, booked))
    }

    /// Writes `b`, blocking until it is durable or refused.
    pub(crate) fn write_slot(
        &self,
        b: SlotBooking,
        reads: Vec<AuditEvent>,
    ) -> Result<Booked, AppError> {
        let (write, booked) = self.prepare(b, reads)?;
        self.store.write_booking(write)?;
        Ok(booked)
    }

    /// A relative booked for the first time: a record of their own, checked field by field.
    fn new_relative(
        &self,
        rel: &ForWhom,
        own: &Patient,
        now: Timestamp,
    ) -> Result<Patient, AppError> {
        let mut errors = BTreeMap::new();
        let identity = identity(
            self.settings.country,
            "for.",
            rel.national_id.as_deref(),
            rel.first_name.as_deref(),
            rel.last_name.as_deref(),
            rel.birth_date.as_deref(),
            &mut errors,
        );
        let Some((national_id, first_name, last_name, birth_date)) = identity else {
            return Err(AppError::Invalid(errors));
        };
        Ok(Patient {
            id: PatientId::from_uuid(new_id()),
            national_id,
            country: self.settings.country,
            first_name,
            last_name,
            birth_date,
            // Reached through the proxy: no contact data of their own.
            phone: String::new(),
            email: String::new(),
            language: own.language.clone(),
            created_at: now,
            consents: Vec::new(),
        })
    }
}

/// The relationship given (absent: `other`).
fn relationship(raw: Option<&str>) -> Result<Relationship, AppError> {
    match raw {
        None => Ok(Relationship::Other),
        Some(r) => {
            serde_json::from_value(serde_json::Value::String(r.trim().to_owned())).map_err(|_| {
                AppError::field(
                    "for.relationship",
                    "expected parent, legal_guardian, child, partner or other",
                )
            })
        }
    }
}

/// A person's identity as entered (national id of the site's country, names, birth date that
/// agrees with the national id), each problem reported under `prefix` + its field name.
pub(crate) fn identity(
    country: teleconsult_core::national_id::Country,
    prefix: &str,
    national_id: Option<&str>,
    first_name: Option<&str>,
    last_name: Option<&str>,
    birth_date: Option<&str>,
    errors: &mut BTreeMap<String, String>,
) -> Option<(String, String, String, jiff::civil::Date)> {
    let national_id = validate_national_id(country, national_id.unwrap_or_default())
        .map_err(|e| errors.insert(format!("{prefix}national_id"), e.to_string()))
        .ok();
    let mut name = |field: &str, value: Option<&str>| {
        teleconsult_core::validation::validate_person_name(value.unwrap_or_default())
            .map_err(|e| errors.insert(format!("{prefix}{field}"), e.to_string()))
            .ok()
    };
    let first_name = name("first_name", first_name);
    let last_name = name("last_name", last_name);
    let birth_date = match jiff::civil::Date::from_str(birth_date.unwrap_or_default().trim()) {
        Ok(d)
            if national_id
                .as_ref()
                .is_none_or(|id| id.agrees_with_birth_date(d)) =>
        {
            Some(d)
        }
        Ok(_) => {
            errors.insert(
                format!("{prefix}birth_date"),
                "does not match the birth date encoded in the national id".into(),
            );
            None
        }
        Err(_) => {
            errors.insert(
                format!("{prefix}birth_date"),
                "expected a date as YYYY-MM-DD".into(),
            );
            None
        }
    };
    Some((national_id?.value, first_name?, last_name?, birth_date?))
}

/// The platform messages among a transition's effects (notifications are built by the
/// caller, in the recipient's language).
pub fn outbox_messages(effects: Vec<Effect>) -> Vec<OutboxMessage> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Outbox(m) => Some(m),
            Effect::Notify { .. } => None,
        })
        .collect()
}

/// The request field a refused booking names: the reason when it is too long, else the start
/// (in the past, or a period that ends before it starts).
fn booking_field(e: &appointment::BookingError) -> &'static str {
    match e {
        appointment::BookingError::ReasonTooLong => "reason",
        appointment::BookingError::EmptyPeriod | appointment::BookingError::InPast => "start",
    }
}

#[cfg(test)]
mod field_tests {
    use super::booking_field;
    use teleconsult_core::appointment::BookingError;

    #[test]
    fn a_refused_booking_names_the_field_at_fault() {
        assert_eq!(booking_field(&BookingError::ReasonTooLong), "reason");
        assert_eq!(booking_field(&BookingError::InPast), "start");
        assert_eq!(booking_field(&BookingError::EmptyPeriod), "start");
    }
}
