//! Slots booked on the national platform for this site's practitioners ("remote holds"), and
//! conflicts: the same slot booked on both sides while the site was offline. A conflict never
//! drops anything: the local appointment stays, the remote booking is recorded for staff.

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::{AppointmentId, PractitionerId};

use crate::audit;
use crate::booking::slot_key;
use crate::error::StoreError;
use crate::store::Store;
use crate::tree::TreeId;

/// A platform booking holding one of our slots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteHold {
    pub remote_id: String,
    pub practitioner: PractitionerId,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// The same slot booked locally and on the platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub remote_id: String,
    pub practitioner: PractitionerId,
    pub start: Timestamp,
    /// The local appointment holding the slot.
    pub local: AppointmentId,
    pub detected_at: Timestamp,
}

/// What recording a remote booking did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldOutcome {
    Held,
    /// Already recorded (the pull overlaps on purpose).
    AlreadyHeld,
    /// The slot has a local booking: both kept, the conflict recorded for staff.
    Conflict(AppointmentId),
}

/// Marks a slot-index value as held by a remote booking (local values are 16-byte ids).
const REMOTE_MARK: &[u8] = b"remote:";

impl Store {
    /// Records a platform booking: its slot is no longer offered here. When a local
    /// appointment already has the slot, both are kept and a conflict is recorded.
    pub fn hold_remote_slot(
        &self,
        hold: &RemoteHold,
        event: &AuditEvent,
    ) -> Result<HoldOutcome, StoreError> {
        let slot = slot_key(hold.practitioner, hold.start);
        let marker = [REMOTE_MARK, hold.remote_id.as_bytes()].concat();
        let key = hold.remote_id.as_bytes();
        self.inner().transact_durably(|tx| {
            let slots = tx.raw(TreeId::BookedSlots);
            let outcome = match slots.get(slot)? {
                Some(v) if v.as_ref() == marker.as_slice() => return Ok(HoldOutcome::AlreadyHeld),
                Some(v) if v.len() == 16 => {
                    let local =
                        AppointmentId::from_uuid(uuid::Uuid::from_slice(&v).map_err(|_| {
                            crate::tree::abort(StoreError::Corrupt(
                                "booked_slots: bad appointment id".into(),
                            ))
                        })?);
                    let conflicts = tx.encrypted(TreeId::Conflicts);
                    if conflicts.contains_key(key)? {
                        return Ok(HoldOutcome::Conflict(local));
                    }
                    let conflict = Conflict {
                        remote_id: hold.remote_id.clone(),
                        practitioner: hold.practitioner,
                        start: hold.start,
                        local,
                        detected_at: event.at,
                    };
                    conflicts.insert(key, &conflict)?;
                    HoldOutcome::Conflict(local)
                }
                // Free, or held by another remote booking (the platform's own double booking:
                // it is the platform's to resolve; the slot stays taken here either way).
                _ => {
                    slots.insert(&slot, marker.as_slice())?;
                    HoldOutcome::Held
                }
            };
            tx.encrypted(TreeId::RemoteHolds).insert(key, hold)?;
            audit::append(tx, event)?;
            Ok(outcome)
        })
    }

    /// A platform booking of `practitioner` was cancelled: its slot is offered again (unless a
    /// local booking holds it). Returns whether such a hold was known; a hold of another
    /// practitioner is left alone (a cancellation in one practitioner's feed cannot free
    /// another's slots).
    pub fn release_remote_slot(
        &self,
        remote_id: &str,
        practitioner: PractitionerId,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let key = remote_id.as_bytes();
        let marker = [REMOTE_MARK, key].concat();
        self.inner().transact_durably(|tx| {
            let holds = tx.encrypted(TreeId::RemoteHolds);
            let Some(hold) = holds.get::<RemoteHold>(key)? else {
                return Ok(false);
            };
            if hold.practitioner != practitioner {
                return Ok(false);
            }
            tx.raw(TreeId::RemoteHolds).remove(key)?;
            let slot = slot_key(hold.practitioner, hold.start);
            let slots = tx.raw(TreeId::BookedSlots);
            if slots
                .get(slot)?
                .is_some_and(|v| v.as_ref() == marker.as_slice())
            {
                slots.remove(&slot)?;
            }
            tx.raw(TreeId::Conflicts).remove(key)?;
            audit::append(tx, event)?;
            Ok(true)
        })
    }

    /// Conflicts waiting for staff, oldest first.
    pub fn conflicts(&self) -> Result<Vec<Conflict>, StoreError> {
        let mut all = self
            .inner()
            .encrypted(TreeId::Conflicts)
            .iter::<Conflict>()
            .map(|e| e.map(|(_, c)| c))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by_key(|c| c.detected_at);
        Ok(all)
    }
}
