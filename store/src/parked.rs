//! Parked outbox entries and sync cursors, in tree `sync`.
//!
//! An entry the national platform refuses for its content (a "poison" entry) must neither block
//! the queue nor vanish: the sync worker moves it here, with the platform's OperationOutcome, in
//! one transaction; staff then retry it (back into the outbox under its original id, so the
//! per-aggregate order holds) or discard it (audited).
//!
//! | key | value |
//! |---|---|
//! | `parked/` + id `u64` BE | sealed [`ParkedEntry`] |
//! | `cursor/` + name | sealed timestamp (e.g. the pull cursor of remote appointments) |
//! | `lease/` + id `u64` BE | sealed lease of the queued outbox entry `id` (see `ports/outbox.rs`) |

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;
use teleconsult_core::audit::AuditEvent;

use crate::error::StoreError;
use crate::outbox::OutboxEntry;
use crate::store::Store;
use crate::tree::{TreeId, unseal};

const PARKED: &[u8] = b"parked/";
const CURSOR: &[u8] = b"cursor/";

/// An outbox entry set aside for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedEntry {
    pub entry: OutboxEntry,
    pub parked_at: Timestamp,
    /// HTTP status of the refusal; 0 when the worker refused it itself (unknown kind, bad
    /// payload).
    pub status: u16,
    /// One line for staff: issue codes and element paths, never resource content.
    pub reason: String,
    /// The platform's OperationOutcome as received (may quote content: sealed like the entry).
    pub outcome: serde_json::Value,
}

pub use teleconsult_core::ports::outbox::Parking;

fn parked_key(id: u64) -> Vec<u8> {
    [PARKED, &id.to_be_bytes()].concat()
}

fn cursor_key(name: &str) -> Vec<u8> {
    [CURSOR, name.as_bytes()].concat()
}

impl Store {
    /// Moves outbox entry `id` to the parked entries, durably, in one transaction. Returns
    /// false when the entry is no longer queued (already acknowledged or parked).
    pub fn outbox_park(&self, id: u64, parking: &Parking) -> Result<bool, StoreError> {
        let outbox_key = id.to_be_bytes();
        let key = parked_key(id);
        self.inner().transact_durably(|tx| {
            let outbox = tx.encrypted(TreeId::Outbox);
            let Some(entry) = outbox.get::<OutboxEntry>(&outbox_key)? else {
                return Ok(false);
            };
            tx.raw(TreeId::Outbox).remove(&outbox_key)?;
            tx.raw(TreeId::Sync)
                .remove(crate::ports::lease_key(id).as_slice())?;
            let parked = ParkedEntry {
                entry,
                parked_at: parking.at,
                status: parking.status,
                reason: parking.reason.clone(),
                outcome: parking.outcome.clone(),
            };
            tx.encrypted(TreeId::Sync).insert(&key, &parked)?;
            Ok(true)
        })
    }

    /// All parked entries, oldest outbox id first.
    pub fn parked_entries(&self) -> Result<Vec<ParkedEntry>, StoreError> {
        let inner = self.inner();
        inner
            .trees
            .raw(TreeId::Sync)
            .scan_prefix(PARKED)
            .map(|item| {
                let (key, sealed) = item?;
                unseal(&inner.crypto, TreeId::Sync, &key, &sealed)
            })
            .collect()
    }

    /// Number of parked entries.
    pub fn parked_len(&self) -> Result<u64, StoreError> {
        let mut n = 0;
        for item in self.inner().trees.raw(TreeId::Sync).scan_prefix(PARKED) {
            item?;
            n += 1;
        }
        Ok(n)
    }

    /// Puts parked entry `id` back into the outbox under its original id (so it keeps its place
    /// before later entries of its aggregate), with its attempt count reset. Returns false when
    /// no such parked entry exists.
    pub fn parked_retry(&self, id: u64) -> Result<bool, StoreError> {
        let key = parked_key(id);
        self.inner().transact_durably(|tx| {
            let Some(parked) = tx.encrypted(TreeId::Sync).get::<ParkedEntry>(&key)? else {
                return Ok(false);
            };
            tx.raw(TreeId::Sync).remove(key.as_slice())?;
            // A fresh start: no lease from before it was parked.
            tx.raw(TreeId::Sync)
                .remove(crate::ports::lease_key(id).as_slice())?;
            let entry = OutboxEntry {
                attempts: 0,
                ..parked.entry
            };
            tx.encrypted(TreeId::Outbox)
                .insert(&entry.id.to_be_bytes(), &entry)?;
            Ok(true)
        })
    }

    /// Drops parked entry `id` for good, recording `audit` in the same transaction (a message
    /// the platform will never receive is a decision someone must answer for).
    pub fn parked_discard(&self, id: u64, audit: &AuditEvent) -> Result<bool, StoreError> {
        let key = parked_key(id);
        self.inner().transact_durably(|tx| {
            if !tx.encrypted(TreeId::Sync).contains_key(&key)? {
                return Ok(false);
            }
            tx.raw(TreeId::Sync).remove(key.as_slice())?;
            crate::audit::append(tx, audit)?;
            Ok(true)
        })
    }

    /// Removes a delivered outbox entry *without* waiting for the disk (sled writes it out
    /// within its flush interval, or with the next durable write). For the sync worker only:
    /// an acknowledgement lost in a crash just makes it send the entry again, which the
    /// platform recognises (every send is idempotent) — so it need not pay one `fsync` per
    /// message while draining a backlog. Returns whether the entry was present.
    pub fn outbox_ack_unflushed(&self, id: u64) -> Result<bool, StoreError> {
        let inner = self.inner();
        let removed = inner.trees.raw(TreeId::Outbox).remove(id.to_be_bytes())?;
        // Its lease ends with it (a lease left behind by a crash in between is void, and
        // removed by the next lease call).
        inner
            .trees
            .raw(TreeId::Sync)
            .remove(crate::ports::lease_key(id))?;
        Ok(removed.is_some())
    }

    /// A named sync cursor (e.g. `appointments`): the newest remote change already applied.
    pub fn sync_cursor(&self, name: &str) -> Result<Option<Timestamp>, StoreError> {
        self.inner().encrypted(TreeId::Sync).get(&cursor_key(name))
    }

    /// Stores a named sync cursor, durably.
    pub fn set_sync_cursor(&self, name: &str, at: Timestamp) -> Result<(), StoreError> {
        let key = cursor_key(name);
        self.inner().transact_durably(|tx| {
            tx.encrypted(TreeId::Sync).insert(&key, &at)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_support::{event, message, open, patient, reopen_key, ts};
    use teleconsult_core::audit::Action;
    use teleconsult_core::ports::Repository;

    fn parking(status: u16) -> Parking {
        Parking {
            at: ts(10),
            status,
            reason: "error invalid at Patient.birthDate".into(),
            outcome: serde_json::json!({"resourceType": "OperationOutcome", "issue": []}),
        }
    }

    fn queue_three(store: &Store) {
        for n in 1..=3 {
            store
                .create_patient(
                    &patient(n),
                    &event(Action::Create, n.to_string()),
                    &[message(n, "patient.registered")],
                )
                .unwrap();
        }
    }

    #[test]
    fn park_moves_an_entry_out_of_the_queue_and_survives_reopening() {
        let (dir, store) = open();
        queue_three(&store);
        assert!(store.outbox_park(2, &parking(422)).unwrap());
        assert!(
            !store.outbox_park(2, &parking(422)).unwrap(),
            "already parked"
        );
        let ids: Vec<u64> = store
            .outbox_peek(10)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, [1, 3]);
        assert_eq!(store.outbox_len().unwrap(), 2);
        drop(store);
        let store = Store::open(dir.path(), reopen_key()).unwrap();
        let parked = store.parked_entries().unwrap();
        assert_eq!(parked.len(), 1);
        assert_eq!(store.parked_len().unwrap(), 1);
        assert_eq!(parked[0].entry.id, 2);
        assert_eq!(parked[0].status, 422);
        assert_eq!(parked[0].entry.message, message(2, "patient.registered"));
    }

    #[test]
    fn retry_puts_the_entry_back_in_its_place_with_attempts_reset() {
        let (_dir, store) = open();
        queue_three(&store);
        store.outbox_record_attempt(1).unwrap();
        assert!(store.outbox_park(1, &parking(400)).unwrap());
        assert!(store.parked_retry(1).unwrap());
        assert!(!store.parked_retry(1).unwrap());
        let queue = store.outbox_peek(10).unwrap();
        assert_eq!(queue.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(queue[0].attempts, 0);
        assert_eq!(store.parked_len().unwrap(), 0);
    }

    #[test]
    fn discard_is_audited() {
        let (_dir, store) = open();
        queue_three(&store);
        store.outbox_park(3, &parking(400)).unwrap();
        let before = store.verify_audit_chain().unwrap().records;
        assert!(
            store
                .parked_discard(3, &event(Action::Delete, "outbox/3"))
                .unwrap()
        );
        assert!(
            !store
                .parked_discard(3, &event(Action::Delete, "outbox/3"))
                .unwrap()
        );
        assert_eq!(store.verify_audit_chain().unwrap().records, before + 1);
        assert!(store.parked_entries().unwrap().is_empty());
        assert_eq!(store.outbox_len().unwrap(), 2);
    }

    #[test]
    fn unflushed_ack_removes_the_entry() {
        let (_dir, store) = open();
        queue_three(&store);
        assert!(store.outbox_ack_unflushed(2).unwrap());
        assert!(!store.outbox_ack_unflushed(2).unwrap());
        let ids: Vec<u64> = store
            .outbox_peek(10)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, [1, 3]);
    }

    #[test]
    fn cursors_are_durable_and_named() {
        let (dir, store) = open();
        assert_eq!(store.sync_cursor("appointments").unwrap(), None);
        store.set_sync_cursor("appointments", ts(5)).unwrap();
        store.set_sync_cursor("other", ts(7)).unwrap();
        drop(store);
        let store = Store::open(dir.path(), reopen_key()).unwrap();
        assert_eq!(store.sync_cursor("appointments").unwrap(), Some(ts(5)));
        assert_eq!(store.sync_cursor("other").unwrap(), Some(ts(7)));
        assert_eq!(
            store.parked_len().unwrap(),
            0,
            "cursors are not parked entries"
        );
    }
}
