//! Appointments (*rendez-vous*) and their life cycle as a pure state machine.
//!
//! Why a pure function: the same rules run for the HTTP API, the signalling WebSocket, the sync
//! worker (platform cancellations) and the tests. [`apply`] takes the current appointment, an
//! [`Event`] and "now", and returns the next appointment plus [`Effect`]s — plain data that the
//! adapters execute (the store queues [`Effect::Outbox`] messages in the same transaction, the
//! notifier sends [`Effect::Notify`]). Nothing here reads the clock.
//!
//! | state ↓ event → | Join | StartCall | EndCall | Cancel | MarkNoShow |
//! |---|---|---|---|---|---|
//! | Booked | → Waiting (from 10 min before start) | – | – | → Cancelled | → NoShow (after start + grace) |
//! | Waiting | stays (records who) | → InCall (patient present) | – | → Cancelled | → NoShow (patient never came) |
//! | InCall | stays (rejoin) | – | → Completed | – | – |
//! | Completed, Cancelled, NoShow | – | – | – | – | – |

use crate::Timestamp;
use crate::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use crate::outbox::OutboxMessage;
use crate::schedule::ConsultationMode;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// The call room opens this long before the start (DESIGN §4: 403 `too_early` before that).
pub const JOIN_OPENS_BEFORE_START: SignedDuration = SignedDuration::from_mins(10);
/// Longest accepted free-text reason (booking reason or cancellation reason), in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// Site-configurable timing rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// A patient may cancel until this long before the start (practitioner and staff may cancel
    /// any time, with a reason).
    pub patient_cancellation_deadline: SignedDuration,
    /// A no-show may be recorded once this long has passed after the start without the patient.
    pub no_show_after_start: SignedDuration,
    /// Nobody can join (or re-open the waiting room) later than this after the planned end.
    pub join_closes_after_end: SignedDuration,
}

impl Default for Policy {
    /// 1 hour cancellation deadline (same-day bookings are common at a pharmacy booth, so a
    /// 24-hour rule would make most of them non-cancellable), no-show after 15 minutes, joining
    /// closes 1 hour after the planned end.
    fn default() -> Self {
        Policy {
            patient_cancellation_deadline: SignedDuration::from_mins(60),
            no_show_after_start: SignedDuration::from_mins(15),
            join_closes_after_end: SignedDuration::from_mins(60),
        }
    }
}

/// Who the booker is to the patient when booking for someone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// The booker is the patient's parent.
    Parent,
    /// The booker is the patient's legal guardian.
    LegalGuardian,
    /// The booker is the patient's adult child.
    Child,
    /// The booker is the patient's spouse or partner.
    Partner,
    /// Any other relationship (e.g. a carer with the patient's consent).
    Other,
}

/// Who cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The patient, or the account that booked for them.
    Patient,
    Practitioner,
    /// Site staff (pharmacy booth operators, clinic secretaries).
    Staff,
    /// The national platform (a cancellation pulled by the sync worker).
    Platform,
}

/// Where an appointment stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    Booked,
    /// Someone is in the call room; nobody has started the call yet.
    Waiting,
    InCall,
    Completed,
    Cancelled {
        by: CancelledBy,
        reason: Option<String>,
        at: Timestamp,
    },
    NoShow,
}

impl Status {
    /// The snake_case name used in JSON and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Waiting => "waiting",
            Status::InCall => "in_call",
            Status::Completed => "completed",
            Status::Cancelled { .. } => "cancelled",
            Status::NoShow => "no_show",
        }
    }

    /// No event changes a finished appointment.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Status::Completed | Status::Cancelled { .. } | Status::NoShow
        )
    }
}

/// Who enters the call room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participant {
    Patient,
    Practitioner,
    /// The pharmacy booth, on the patient's side.
    Booth,
}

/// Something that happens to an appointment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Join {
        participant: Participant,
    },
    StartCall,
    EndCall,
    Cancel {
        by: CancelledBy,
        reason: Option<String>,
    },
    MarkNoShow,
}

impl Event {
    fn name(&self) -> &'static str {
        match self {
            Event::Join { .. } => "join",
            Event::StartCall => "start the call of",
            Event::EndCall => "end the call of",
            Event::Cancel { .. } => "cancel",
            Event::MarkNoShow => "mark as no-show",
        }
    }
}

/// A booked consultation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: AppointmentId,
    pub practitioner: PractitionerId,
    /// The person being consulted.
    pub patient: PatientId,
    /// The account that booked; it receives the patient-side notifications.
    pub booked_by: AccountId,
    /// Set when `booked_by` booked for a relative rather than for themself.
    pub for_relative: Option<Relationship>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub mode: ConsultationMode,
    /// Free text from the patient (health data: stored encrypted, never logged).
    pub reason: String,
    pub status: Status,
    pub created_at: Timestamp,
    /// First time the patient side (patient or booth) entered the room.
    pub patient_joined_at: Option<Timestamp>,
    /// First time the practitioner entered the room.
    pub practitioner_joined_at: Option<Timestamp>,
    pub call_started_at: Option<Timestamp>,
    pub call_ended_at: Option<Timestamp>,
    /// Held *at the booth*: started by the booth's staff for a walk-in (DESIGN §4d,
    /// `POST /booth/sessions`), so on a booth site its staff are its patient's side while its
    /// call room is open (`crate::call::role_in_call`). False for every appointment a patient
    /// books, wherever they book from: nothing ties those to the booth. Absent in records
    /// written before it existed (they are not at the booth).
    #[serde(default)]
    pub at_booth: bool,
}

/// Who a notification is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Recipient {
    /// An account (for the patient side: the booking account).
    Account(AccountId),
    Practitioner(PractitionerId),
}

/// What to tell them (the notifier renders text in the recipient's language).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    Booked {
        appointment: AppointmentId,
        start: Timestamp,
    },
    PatientWaiting {
        appointment: AppointmentId,
    },
    Cancelled {
        appointment: AppointmentId,
        by: CancelledBy,
        reason: Option<String>,
    },
}

/// A side effect for the adapters to carry out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    Notify {
        to: Recipient,
        notification: Notification,
    },
    /// Queue for the national platform in the same transaction as the change.
    Outbox(OutboxMessage),
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the call room opens 10 minutes before the appointment, at {opens_at}")]
    TooEarly { opens_at: Timestamp },
    #[error("the call room closed at {closed_at}, after the end of the appointment")]
    TooLate { closed_at: Timestamp },
    #[error("cannot {event} an appointment that is {status}")]
    NotAllowed {
        event: &'static str,
        status: &'static str,
    },
    #[error("patients can cancel online until {deadline}; after that, please contact the practice")]
    CancellationDeadlinePassed { deadline: Timestamp },
    #[error("a cancellation by the practitioner or staff must give the patient a reason")]
    ReasonRequired,
    #[error("the reason is too long: at most {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    #[error("the patient is not in the call room yet: wait for them before starting the call")]
    PatientNotPresent,
    #[error("a no-show can be recorded from {allowed_from}")]
    NoShowTooEarly { allowed_from: Timestamp },
    #[error("the patient joined this appointment: it cannot be recorded as a no-show")]
    PatientJoined,
}

/// Why a booking was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    #[error("the appointment must end after it starts")]
    EmptyPeriod,
    #[error("the appointment starts in the past: choose a later slot")]
    InPast,
    #[error("the reason is too long: at most {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
}

/// What the booking endpoint has collected; checking that the slot is offered and free is the
/// caller's job (against [`crate::schedule::slots`] and the store's uniqueness rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAppointment {
    pub id: AppointmentId,
    pub practitioner: PractitionerId,
    pub patient: PatientId,
    pub booked_by: AccountId,
    pub for_relative: Option<Relationship>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub mode: ConsultationMode,
    pub reason: String,
    /// See [`Appointment::at_booth`]; false for online bookings.
    #[serde(default)]
    pub at_booth: bool,
}

/// Creates a booked appointment, with its outbox message and notifications.
pub fn book(
    new: NewAppointment,
    now: Timestamp,
) -> Result<(Appointment, Vec<Effect>), BookingError> {
    if new.end <= new.start {
        return Err(BookingError::EmptyPeriod);
    }
    if new.start <= now {
        return Err(BookingError::InPast);
    }
    create(new, now)
}

/// Creates an appointment that starts at once: a practitioner took a waiting patient from the
/// on-demand queue (`crate::queue`), so its start is `now` — which [`book`] refuses as past.
/// The same record, outbox message and notifications as a booking.
pub fn book_now(
    new: NewAppointment,
    now: Timestamp,
) -> Result<(Appointment, Vec<Effect>), BookingError> {
    if new.end <= new.start {
        return Err(BookingError::EmptyPeriod);
    }
    if new.start < now {
        return Err(BookingError::InPast);
    }
    create(new, now)
}

fn create(new: NewAppointment, now: Timestamp) -> Result<(Appointment, Vec<Effect>), BookingError> {
    let reason = new.reason.trim().to_owned();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(BookingError::ReasonTooLong);
    }
    let appointment = Appointment {
        id: new.id,
        practitioner: new.practitioner,
        patient: new.patient,
        booked_by: new.booked_by,
        for_relative: new.for_relative,
        start: new.start,
        end: new.end,
        mode: new.mode,
        reason,
        status: Status::Booked,
        created_at: now,
        patient_joined_at: None,
        practitioner_joined_at: None,
        call_started_at: None,
        call_ended_at: None,
        at_booth: new.at_booth,
    };
    let notification = Notification::Booked {
        appointment: appointment.id,
        start: appointment.start,
    };
    let effects = vec![
        outbox(&appointment, "booked", now),
        Effect::Notify {
            to: Recipient::Practitioner(appointment.practitioner),
            notification: notification.clone(),
        },
        Effect::Notify {
            to: Recipient::Account(appointment.booked_by),
            notification,
        },
    ];
    Ok((appointment, effects))
}

/// Applies `event` at `now`: the next state and what to do about it, or why not.
pub fn apply(
    appointment: &Appointment,
    event: Event,
    now: Timestamp,
    policy: &Policy,
) -> Result<(Appointment, Vec<Effect>), TransitionError> {
    let not_allowed = || TransitionError::NotAllowed {
        event: event.name(),
        status: appointment.status.name(),
    };
    let mut next = appointment.clone();
    let mut effects = Vec::new();
    match (&appointment.status, &event) {
        (Status::Booked | Status::Waiting, Event::Join { participant }) => {
            check_join_window(appointment, now, policy)?;
            next.status = Status::Waiting;
            if record_join(&mut next, *participant, now)
                && *participant != Participant::Practitioner
            {
                effects.push(Effect::Notify {
                    to: Recipient::Practitioner(next.practitioner),
                    notification: Notification::PatientWaiting {
                        appointment: next.id,
                    },
                });
            }
        }
        // Re-joining a running call (dropped connection, page reload) changes nothing.
        (Status::InCall, Event::Join { participant }) => {
            record_join(&mut next, *participant, now);
        }
        (Status::Waiting, Event::StartCall) => {
            if appointment.patient_joined_at.is_none() {
                return Err(TransitionError::PatientNotPresent);
            }
            next.status = Status::InCall;
            next.call_started_at = Some(now);
            next.practitioner_joined_at.get_or_insert(now);
        }
        (Status::InCall, Event::EndCall) => {
            next.status = Status::Completed;
            next.call_ended_at = Some(now);
            effects.push(outbox(&next, "completed", now));
        }
        (Status::Booked | Status::Waiting, Event::Cancel { by, reason }) => {
            let reason = check_cancellation(appointment, *by, reason.as_deref(), now, policy)?;
            next.status = Status::Cancelled {
                by: *by,
                reason: reason.clone(),
                at: now,
            };
            effects.extend(cancellation_effects(&next, *by, reason, now));
        }
        (Status::Booked | Status::Waiting, Event::MarkNoShow) => {
            if appointment.patient_joined_at.is_some() {
                return Err(TransitionError::PatientJoined);
            }
            let allowed_from = add(appointment.start, policy.no_show_after_start);
            if now < allowed_from {
                return Err(TransitionError::NoShowTooEarly { allowed_from });
            }
            next.status = Status::NoShow;
            effects.push(outbox(&next, "no_show", now));
        }
        _ => return Err(not_allowed()),
    }
    Ok((next, effects))
}

fn check_join_window(
    appointment: &Appointment,
    now: Timestamp,
    policy: &Policy,
) -> Result<(), TransitionError> {
    let opens_at = add(appointment.start, -JOIN_OPENS_BEFORE_START);
    if now < opens_at {
        return Err(TransitionError::TooEarly { opens_at });
    }
    let closed_at = add(appointment.end, policy.join_closes_after_end);
    if now > closed_at {
        return Err(TransitionError::TooLate { closed_at });
    }
    Ok(())
}

/// Records the first join of each side; true when this side had not joined before.
fn record_join(appointment: &mut Appointment, participant: Participant, now: Timestamp) -> bool {
    let slot = match participant {
        Participant::Patient | Participant::Booth => &mut appointment.patient_joined_at,
        Participant::Practitioner => &mut appointment.practitioner_joined_at,
    };
    let first = slot.is_none();
    slot.get_or_insert(now);
    first
}

/// Checks who may cancel when; returns the trimmed reason (`None` when blank).
fn check_cancellation(
    appointment: &Appointment,
    by: CancelledBy,
    reason: Option<&str>,
    now: Timestamp,
    policy: &Policy,
) -> Result<Option<String>, TransitionError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(TransitionError::ReasonTooLong);
    }
    match by {
        CancelledBy::Patient => {
            let deadline = add(appointment.start, -policy.patient_cancellation_deadline);
            if now > deadline {
                return Err(TransitionError::CancellationDeadlinePassed { deadline });
            }
        }
        CancelledBy::Practitioner | CancelledBy::Staff if reason.is_none() => {
            return Err(TransitionError::ReasonRequired);
        }
        CancelledBy::Practitioner | CancelledBy::Staff | CancelledBy::Platform => {}
    }
    Ok(reason.map(str::to_owned))
}

fn cancellation_effects(
    appointment: &Appointment,
    by: CancelledBy,
    reason: Option<String>,
    now: Timestamp,
) -> Vec<Effect> {
    let notification = Notification::Cancelled {
        appointment: appointment.id,
        by,
        reason,
    };
    let patient_side = Recipient::Account(appointment.booked_by);
    let practitioner = Recipient::Practitioner(appointment.practitioner);
    let recipients: &[Recipient] = match by {
        CancelledBy::Patient => &[practitioner],
        CancelledBy::Practitioner => &[patient_side],
        CancelledBy::Staff | CancelledBy::Platform => &[patient_side, practitioner],
    };
    let mut effects: Vec<Effect> = recipients
        .iter()
        .map(|to| Effect::Notify {
            to: *to,
            notification: notification.clone(),
        })
        .collect();
    // A cancellation that came from the platform is not sent back to it.
    if by != CancelledBy::Platform {
        effects.insert(0, outbox(appointment, "cancelled", now));
    }
    effects
}

/// The outbox message for a change of `appointment`. One message per kind and appointment, so
/// the idempotency key is stable across retries.
fn outbox(appointment: &Appointment, change: &str, now: Timestamp) -> Effect {
    let aggregate = format!("appointment/{}", appointment.id);
    Effect::Outbox(OutboxMessage {
        idempotency_key: format!("{aggregate}/{change}"),
        kind: format!("appointment.{change}"),
        aggregate,
        payload: serde_json::json!({
            "appointment": appointment,
            "at": now,
        }),
    })
}

/// `t + d`, saturating at the representable range (only reachable with absurd inputs).
fn add(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.saturating_add(d).unwrap_or(t)
}
