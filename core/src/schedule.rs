//! Opening hours of a practitioner and the bookable slots they produce.
//!
//! Why here: the slot list is what patients book against and what the store enforces uniqueness
//! on, so it must be computed the same way everywhere, from the practitioner's *local* hours,
//! without reading the clock. The store keeps one [`Schedule`] per practitioner.
//!
//! How wall-clock hours become instants (the part that matters on DST change days):
//! - Each local boundary maps to an instant with a **monotonic** rule: a time in a spring-forward
//!   gap maps to the transition instant (so 02:30 on that night means "when the clock jumps to
//!   03:00"); a time in an autumn fold maps to its first occurrence. Because the mapping never
//!   goes backwards, ranges that do not overlap in local time never overlap as instants.
//! - Ranges of one day are merged in local time (overlapping *or touching* rules become one
//!   range) before the mapping, then slots are laid back to back in real time from the start of
//!   each merged range. A slot never starts at a local time that does not exist, slots never
//!   overlap, and a range spanning the autumn fold yields the extra hour's slots (they are real
//!   time the practitioner works).
//! - Exceptions: whole closed days win over everything (an absence is never overridden by an
//!   extra opening); closed hours are cut out of the day's ranges; extra hours are added to them.

use crate::Timestamp;
use jiff::SignedDuration;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// Longest allowed slot (8 hours).
pub const MAX_SLOT_MINUTES: u32 = 8 * 60;
/// [`slots`] never looks further than this many days past `from` (a guard against requests that
/// would build millions of slots; the API should refuse larger windows before calling).
pub const MAX_WINDOW_DAYS: i64 = 366;

/// How a consultation is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationMode {
    Video,
    Audio,
}

/// A bookable period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    pub modes: Vec<ConsultationMode>,
}

/// A local time range within one day, `start` inclusive, `end` exclusive (`end > start`; a range
/// cannot cross midnight — split it in two).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start: Time,
    pub end: Time,
}

impl TimeRange {
    /// A range, refused when `end <= start`.
    pub fn new(start: Time, end: Time) -> Result<Self, ScheduleError> {
        let range = TimeRange { start, end };
        range.check()?;
        Ok(range)
    }

    fn check(&self) -> Result<(), ScheduleError> {
        if self.end <= self.start {
            return Err(ScheduleError::EmptyRange {
                start: self.start,
                end: self.end,
            });
        }
        Ok(())
    }
}

/// Opening ranges per weekday (missing days are closed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Week {
    pub monday: Vec<TimeRange>,
    pub tuesday: Vec<TimeRange>,
    pub wednesday: Vec<TimeRange>,
    pub thursday: Vec<TimeRange>,
    pub friday: Vec<TimeRange>,
    pub saturday: Vec<TimeRange>,
    pub sunday: Vec<TimeRange>,
}

impl Week {
    /// The ranges of one weekday.
    pub fn day(&self, weekday: Weekday) -> &[TimeRange] {
        match weekday {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    fn all(&self) -> impl Iterator<Item = &TimeRange> {
        [
            &self.monday,
            &self.tuesday,
            &self.wednesday,
            &self.thursday,
            &self.friday,
            &self.saturday,
            &self.sunday,
        ]
        .into_iter()
        .flatten()
    }
}

/// The regular weekly hours of a practitioner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// IANA time zone name the hours are expressed in, e.g. `Europe/Luxembourg`.
    pub time_zone: String,
    /// Length of one slot, 1..=480 minutes.
    pub slot_minutes: u32,
    /// Modes offered in every slot (at least one).
    pub modes: Vec<ConsultationMode>,
    pub week: Week,
}

/// A departure from the weekly hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Exception {
    /// Closed all day from `from` to `to`, both inclusive (holidays, absence).
    Closed { from: Date, to: Date },
    /// Closed during `range` on `date` (cut out of that day's hours).
    ClosedHours { date: Date, range: TimeRange },
    /// Open during `range` on `date` in addition to the weekly hours.
    ExtraHours { date: Date, range: TimeRange },
}

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "time range {start}–{end} is empty: the end must be after the start (split ranges that cross midnight)"
    )]
    EmptyRange { start: Time, end: Time },
    #[error(
        "slot length of {minutes} minutes is not allowed: it must be between 1 and {MAX_SLOT_MINUTES} minutes"
    )]
    SlotLength { minutes: u32 },
    #[error("unknown time zone {name:?}: use an IANA name such as \"Europe/Luxembourg\"")]
    UnknownTimeZone { name: String },
    #[error("no consultation mode offered: give at least one of \"video\", \"audio\"")]
    NoModes,
    #[error("closed period from {from} to {to} ends before it starts")]
    ReversedPeriod { from: Date, to: Date },
}

/// Validated weekly hours plus exceptions, with the time zone resolved.
///
/// Built with [`Schedule::new`] (or deserialised, which runs the same checks), so slot
/// generation cannot fail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ScheduleSpec", into = "ScheduleSpec")]
pub struct Schedule {
    hours: WeeklyHours,
    exceptions: Vec<Exception>,
    tz: TimeZone,
}

/// The serialised form of a [`Schedule`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    pub hours: WeeklyHours,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

impl TryFrom<ScheduleSpec> for Schedule {
    type Error = ScheduleError;
    fn try_from(spec: ScheduleSpec) -> Result<Self, Self::Error> {
        Schedule::new(spec.hours, spec.exceptions)
    }
}

impl From<Schedule> for ScheduleSpec {
    fn from(schedule: Schedule) -> Self {
        ScheduleSpec {
            hours: schedule.hours,
            exceptions: schedule.exceptions,
        }
    }
}

impl Schedule {
    /// Checks every range, the slot length, the modes and the time zone. Modes are sorted and
    /// de-duplicated.
    pub fn new(mut hours: WeeklyHours, exceptions: Vec<Exception>) -> Result<Self, ScheduleError> {
        if hours.slot_minutes == 0 || hours.slot_minutes > MAX_SLOT_MINUTES {
            return Err(ScheduleError::SlotLength {
                minutes: hours.slot_minutes,
            });
        }
        hours.modes.sort();
        hours.modes.dedup();
        if hours.modes.is_empty() {
            return Err(ScheduleError::NoModes);
        }
        for range in hours.week.all() {
            range.check()?;
        }
        for exception in &exceptions {
            match exception {
                Exception::Closed { from, to } if to < from => {
                    return Err(ScheduleError::ReversedPeriod {
                        from: *from,
                        to: *to,
                    });
                }
                Exception::Closed { .. } => {}
                Exception::ClosedHours { range, .. } | Exception::ExtraHours { range, .. } => {
                    range.check()?;
                }
            }
        }
        let tz = TimeZone::get(&hours.time_zone).map_err(|_| ScheduleError::UnknownTimeZone {
            name: hours.time_zone.clone(),
        })?;
        Ok(Schedule {
            hours,
            exceptions,
            tz,
        })
    }

    pub fn hours(&self) -> &WeeklyHours {
        &self.hours
    }

    pub fn exceptions(&self) -> &[Exception] {
        &self.exceptions
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The open local ranges of `date`, merged and sorted, after exceptions.
    pub fn open_ranges(&self, date: Date) -> Vec<TimeRange> {
        let closed_all_day = self
            .exceptions
            .iter()
            .any(|e| matches!(e, Exception::Closed { from, to } if *from <= date && date <= *to));
        if closed_all_day {
            return Vec::new();
        }
        let mut ranges: Vec<TimeRange> = self.hours.week.day(date.weekday()).to_vec();
        ranges.extend(self.exceptions.iter().filter_map(|e| match e {
            Exception::ExtraHours { date: d, range } if *d == date => Some(*range),
            _ => None,
        }));
        let mut open = merge(ranges);
        for e in &self.exceptions {
            if let Exception::ClosedHours { date: d, range } = e
                && *d == date
            {
                open = subtract(open, *range);
            }
        }
        open
    }
}

/// Sorts and merges overlapping or touching ranges.
fn merge(mut ranges: Vec<TimeRange>) -> Vec<TimeRange> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<TimeRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// Removes `cut` from each range (a range may split in two).
fn subtract(ranges: Vec<TimeRange>, cut: TimeRange) -> Vec<TimeRange> {
    let mut out = Vec::with_capacity(ranges.len() + 1);
    for r in ranges {
        if cut.end <= r.start || r.end <= cut.start {
            out.push(r);
            continue;
        }
        if r.start < cut.start {
            out.push(TimeRange {
                start: r.start,
                end: cut.start,
            });
        }
        if cut.end < r.end {
            out.push(TimeRange {
                start: cut.end,
                end: r.end,
            });
        }
    }
    out
}

/// Maps a local date-time to an instant, monotonically (see module docs): gap → transition
/// instant, fold → first occurrence.
fn to_instant(tz: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok(),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(dt).ok(),
        AmbiguousOffset::Gap { after, .. } => {
            // With the post-transition offset the instant falls before the transition; the
            // next transition from there is the one that created the gap.
            let before_transition = after.to_timestamp(dt).ok()?;
            tz.following(before_transition)
                .next()
                .map(|t| t.timestamp())
        }
    }
}

/// The slot starting exactly at `start`, if the schedule offers one: the same answer as looking
/// for it among [`slots`] around `start`, without generating the day's other slots (booking
/// checks one instant; a day of 1-minute slots is 1 440 of them).
///
/// A slot belongs to a range of its own local date: ranges never cross midnight, and slots step
/// from the range's opening instant in absolute time, as in [`slots`].
pub fn slot_starting_at(schedule: &Schedule, start: Timestamp) -> Option<Slot> {
    let tz = &schedule.tz;
    let length = SignedDuration::from_mins(i64::from(schedule.hours.slot_minutes));
    if length <= SignedDuration::ZERO {
        return None;
    }
    let date = tz.to_datetime(start).date();
    schedule.open_ranges(date).into_iter().find_map(|range| {
        let open = to_instant(tz, date.to_datetime(range.start))?;
        let close = to_instant(tz, date.to_datetime(range.end))?;
        let end = start.checked_add(length).ok()?;
        let offset = start.duration_since(open);
        let on_step = offset.as_secs() % length.as_secs() == 0 && offset.subsec_nanos() == 0;
        (start >= open && end <= close && on_step).then(|| Slot {
            start,
            end,
            modes: schedule.hours.modes.clone(),
        })
    })
}

/// The slots of `schedule` that lie entirely within `[from, to)`, in order.
///
/// The window is capped at [`MAX_WINDOW_DAYS`] after `from`. Returns nothing when `to <= from`.
pub fn slots(schedule: &Schedule, from: Timestamp, to: Timestamp) -> Vec<Slot> {
    let mut out = Vec::new();
    let Ok(cap) = from.checked_add(SignedDuration::from_hours(24 * MAX_WINDOW_DAYS)) else {
        return out;
    };
    let to = to.min(cap);
    if to <= from {
        return out;
    }
    let tz = &schedule.tz;
    let length = SignedDuration::from_mins(i64::from(schedule.hours.slot_minutes));
    let last_date = tz.to_datetime(to).date();
    let mut date = tz.to_datetime(from).date();
    loop {
        for range in schedule.open_ranges(date) {
            let (Some(open), Some(close)) = (
                to_instant(tz, date.to_datetime(range.start)),
                to_instant(tz, date.to_datetime(range.end)),
            ) else {
                continue;
            };
            let mut start = open;
            while let Ok(end) = start.checked_add(length) {
                if end > close || start >= to {
                    break;
                }
                if start >= from && end <= to {
                    out.push(Slot {
                        start,
                        end,
                        modes: schedule.hours.modes.clone(),
                    });
                }
                start = end;
            }
        }
        match date.tomorrow() {
            Ok(next) if next <= last_date => date = next,
            _ => break,
        }
    }
    out
}
