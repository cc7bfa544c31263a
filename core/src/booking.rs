//! Booking rules on top of schedules: which slots are free, whether a requested slot is one the
//! practitioner offers, and which reminders an appointment gets.

use crate::Timestamp;
use crate::appointment::Appointment;
use crate::ids::AppointmentId;
use crate::schedule::{ConsultationMode, Schedule, Slot, slot_starting_at, slots};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Site-configurable booking knobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingPolicy {
    /// Reminders go out this long before the start (e.g. 24 h and 1 h).
    pub reminder_offsets: Vec<SignedDuration>,
    /// How far ahead slots are offered and bookable.
    pub horizon_days: i64,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        Self {
            reminder_offsets: vec![
                SignedDuration::from_hours(24),
                SignedDuration::from_hours(1),
            ],
            horizon_days: 60,
        }
    }
}

/// Why a requested slot cannot be booked (besides being taken, which the store decides).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("the practitioner offers no slot starting at that time")]
    NotOffered,
    #[error("this slot is not offered in that mode")]
    ModeNotOffered,
    #[error("slots can be booked at most {0} days ahead")]
    BeyondHorizon(i64),
}

/// The practitioner's slots in `[from, to)` minus those whose start is in `booked`.
pub fn free_slots(
    schedule: &Schedule,
    from: Timestamp,
    to: Timestamp,
    booked: &BTreeSet<Timestamp>,
) -> Vec<Slot> {
    slots(schedule, from, to)
        .into_iter()
        .filter(|s| !booked.contains(&s.start))
        .collect()
}

/// The offered slot starting exactly at `start` and offering `mode`, if the practitioner has one,
/// within the booking horizon from `now`.
pub fn offered_slot(
    schedule: &Schedule,
    start: Timestamp,
    mode: ConsultationMode,
    now: Timestamp,
    policy: &BookingPolicy,
) -> Result<Slot, SlotError> {
    let horizon = now
        .checked_add(SignedDuration::from_hours(24 * policy.horizon_days))
        .unwrap_or(now);
    if start >= horizon {
        return Err(SlotError::BeyondHorizon(policy.horizon_days));
    }
    let slot = slot_starting_at(schedule, start).ok_or(SlotError::NotOffered)?;
    if slot.modes.contains(&mode) {
        Ok(slot)
    } else {
        Err(SlotError::ModeNotOffered)
    }
}

/// A reminder waiting to be sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub appointment: AppointmentId,
    /// How long before the start it goes out.
    pub before: SignedDuration,
}

/// The reminders of an appointment booked at `now`, with their due times: only those still in
/// the future (a 24-hour reminder makes no sense for a booking 2 hours ahead — the confirmation
/// covers it).
pub fn reminders(
    appointment: &Appointment,
    now: Timestamp,
    policy: &BookingPolicy,
) -> Vec<(Timestamp, Reminder)> {
    policy
        .reminder_offsets
        .iter()
        .filter_map(|before| {
            let due = appointment.start.checked_sub(*before).ok()?;
            let reminder = Reminder {
                appointment: appointment.id,
                before: *before,
            };
            (due > now).then_some((due, reminder))
        })
        .collect()
}

#[cfg(test)]
#[path = "booking_tests.rs"]
mod tests;
