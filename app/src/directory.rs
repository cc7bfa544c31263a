//! The practitioners' directory (DESIGN §4 "Agenda"): who is listed, their free slots, and the
//! earliest free slot across a specialty (booth staff use it for walk-in patients). Free slots
//! are core's (`booking::free_slots`): a practitioner's hours less what is booked, never in the
//! past, never beyond the booking horizon.

use crate::App;
use crate::error::AppError;
use jiff::SignedDuration;
use teleconsult_core::Timestamp;
use teleconsult_core::booking::free_slots;
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::schedule::{ConsultationMode, Schedule, Slot};

/// Longest window one request for free slots may cover.
pub const MAX_SLOT_WINDOW_DAYS: i64 = 31;
/// How far ahead the earliest free slot is looked for.
pub const FIRST_AVAILABLE_DAYS: i64 = 14;

/// A search of the directory: each given criterion must match.
#[derive(Clone, Debug, Default)]
pub struct DirectoryFilter {
    /// Part of the name, any case.
    pub q: Option<String>,
    pub specialty: Option<String>,
    /// A language the practitioner speaks (its code).
    pub language: Option<String>,
}

impl DirectoryFilter {
    fn matches(&self, p: &Practitioner) -> bool {
        let q_ok = self
            .q
            .as_deref()
            .is_none_or(|q| p.name.to_lowercase().contains(&q.trim().to_lowercase()));
        let s_ok = self
            .specialty
            .as_deref()
            .is_none_or(|s| p.specialty == s.trim());
        let l_ok = self
            .language
            .as_deref()
            .is_none_or(|l| p.languages.iter().any(|x| x == l.trim()));
        q_ok && s_ok && l_ok
    }
}

/// A practitioner of the directory with their hours (`None`: none set yet).
#[derive(Clone, Debug)]
pub struct Listed {
    pub practitioner: Practitioner,
    pub schedule: Option<Schedule>,
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

impl App {
    /// Every practitioner listed, without their hours (the landing page's names).
    pub fn practitioners(&self) -> Result<Vec<Practitioner>, AppError> {
        Ok(self.store.practitioners()?)
    }

    /// The practitioners `filter` matches, with their hours.
    pub fn directory(&self, filter: &DirectoryFilter) -> Result<Vec<Listed>, AppError> {
        let mut out = Vec::new();
        for practitioner in self.store.practitioners()? {
            if filter.matches(&practitioner) {
                let schedule = self.store.find_schedule(practitioner.id)?;
                out.push(Listed {
                    practitioner,
                    schedule,
                });
            }
        }
        Ok(out)
    }

    /// The free slots of practitioner `id` from `from` (default now, never before) to `to`
    /// (default and at most `from` + [`MAX_SLOT_WINDOW_DAYS`]), cut at the booking horizon;
    /// in time order. [`AppError::NotFound`] for no such practitioner.
    pub fn free_slots_of(
        &self,
        id: PractitionerId,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<Slot>, AppError> {
        let now = self.now();
        let from = from.unwrap_or(now).max(now);
        let window = days(MAX_SLOT_WINDOW_DAYS);
        let to = to.unwrap_or_else(|| from.checked_add(window).unwrap_or(from));
        if to <= from || to.duration_since(from) > window {
            return Err(AppError::field(
                "to",
                format!("must be after `from` and at most {MAX_SLOT_WINDOW_DAYS} days later"),
            ));
        }
        let horizon = now
            .checked_add(days(self.settings.booking.horizon_days))
            .unwrap_or(now);
        let to = to.min(horizon);
        if self.store.find_practitioner(id)?.is_none() {
            return Err(AppError::NotFound);
        }
        let Some(schedule) = self.store.find_schedule(id)? else {
            return Ok(Vec::new());
        };
        if to <= from {
            return Ok(Vec::new());
        }
        let booked = self.store.booked_starts_of(id, from, to)?;
        Ok(free_slots(&schedule, from, to, &booked))
    }

    /// The earliest free slot in the next [`FIRST_AVAILABLE_DAYS`] across the practitioners
    /// `filter` matches, in `mode` if given, with its practitioner; [`AppError::NotFound`]
    /// when there is none.
    pub fn first_available(
        &self,
        filter: &DirectoryFilter,
        mode: Option<ConsultationMode>,
    ) -> Result<(Slot, Listed), AppError> {
        let now = self.now();
        let to = now.checked_add(days(FIRST_AVAILABLE_DAYS)).unwrap_or(now);
        let mut best: Option<(Slot, Listed)> = None;
        for listed in self.directory(filter)? {
            let Some(schedule) = &listed.schedule else {
                continue;
            };
            let booked = self
                .store
                .booked_starts_of(listed.practitioner.id, now, to)?;
            let first = free_slots(schedule, now, to, &booked)
                .into_iter()
                .find(|s| mode.is_none_or(|m| s.modes.contains(&m)));
            if let Some(slot) = first
                && best.as_ref().is_none_or(|(b, _)| slot.start < b.start)
            {
                best = Some((slot, listed));
            }
        }
        best.ok_or(AppError::NotFound)
    }
}
