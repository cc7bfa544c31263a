//! What the waiting side sees (`docs/booth.md` rule 5): its place in its specialty's line, an
//! estimated wait from the practitioners available for it, and — once it has waited
//! `[queue] offer_slot_after_min` — the first free slot of its specialty instead.

use crate::App;
use crate::error::AppError;
use jiff::SignedDuration;
use std::collections::BTreeSet;
use teleconsult_core::Timestamp;
use teleconsult_core::booking::{free_slots, offered_slot};
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::queue::{
    QueueEntry, QueueEntryId, estimated_wait, may_take, position, slot_offer_due,
};
use teleconsult_core::schedule::ConsultationMode;

/// How far ahead the first free slot is looked for.
const OFFER_HORIZON: SignedDuration = SignedDuration::from_hours(24 * 14);

/// An entry's place in the line, as its waiting side sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub entry: QueueEntryId,
    /// 1-based, among the entries of its specialty.
    pub position: usize,
    /// Practitioners available on demand who may take it now.
    pub available: usize,
    /// `None`: nobody is available ("no practitioner is available right now").
    pub estimated_wait: Option<SignedDuration>,
    pub waited: SignedDuration,
    /// The first free slot of the specialty, once the entry has waited long enough.
    pub offered_slot: Option<SlotOffer>,
}

/// A free slot offered instead of waiting longer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotOffer {
    pub practitioner: PractitionerId,
    pub practitioner_name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub mode: ConsultationMode,
}

/// The queue as it stands: the waiting entries and the practitioners available on demand.
pub(crate) struct Line {
    pub(crate) entries: Vec<QueueEntry>,
    pub(crate) available: Vec<Practitioner>,
}

impl App {
    /// The queue as it stands now.
    pub(crate) fn line(&self) -> Result<Line, AppError> {
        let on: BTreeSet<PractitionerId> = self
            .store
            .on_demand()?
            .into_iter()
            .filter(|a| a.on_demand)
            .map(|a| a.practitioner)
            .collect();
        let available = self
            .store
            .practitioners()?
            .into_iter()
            .filter(|p| on.contains(&p.id))
            .collect();
        Ok(Line {
            entries: self.store.waiting()?,
            available,
        })
    }

    /// What the waiting side of `entry` sees at `now`.
    pub(crate) fn waiting_of(
        &self,
        line: &Line,
        entry: &QueueEntry,
        now: Timestamp,
    ) -> Result<Waiting, AppError> {
        let position = position(entry.id, &line.entries).unwrap_or(1);
        let available = line.available.iter().filter(|p| may_take(p, entry)).count();
        let offered_slot = if slot_offer_due(entry, now, &self.settings.queue) {
            self.first_free_slot(entry, now)?
        } else {
            None
        };
        Ok(Waiting {
            entry: entry.id,
            position,
            available,
            estimated_wait: estimated_wait(position, available, &self.settings.queue),
            waited: now.duration_since(entry.enqueued_at),
            offered_slot,
        })
    }

    /// The earliest free slot of a practitioner who may take `entry` (its specialty, its
    /// language), in its mode, within the booking horizon.
    fn first_free_slot(
        &self,
        entry: &QueueEntry,
        now: Timestamp,
    ) -> Result<Option<SlotOffer>, AppError> {
        let to = now.saturating_add(OFFER_HORIZON).unwrap_or(now);
        let mut best: Option<SlotOffer> = None;
        for p in self.store.practitioners()? {
            if !may_take(&p, entry) {
                continue;
            }
            let Some(schedule) = self.store.find_schedule(p.id)? else {
                continue;
            };
            let booked = self.store.booked_starts_of(p.id, now, to)?;
            let first = free_slots(&schedule, now, to, &booked)
                .into_iter()
                .find(|s| {
                    s.modes.contains(&entry.mode)
                        && offered_slot(&schedule, s.start, entry.mode, now, &self.settings.booking)
                            .is_ok()
                });
            if let Some(slot) = first
                && best.as_ref().is_none_or(|b| slot.start < b.start)
            {
                best = Some(SlotOffer {
                    practitioner: p.id,
                    practitioner_name: p.name.clone(),
                    start: slot.start,
                    end: slot.end,
                    mode: entry.mode,
                });
            }
        }
        Ok(best)
    }
}
