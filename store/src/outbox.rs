//! The outbox: messages for the national platform, queued in the same transaction as the change
//! that caused them. Tree `outbox`, key = id as `u64` big-endian from a counter in `meta`
//! (`outbox_last_id`), so ids only grow, even after every entry was acknowledged; value = sealed
//! [`OutboxEntry`] (payloads may hold health data).

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;
use teleconsult_core::outbox::OutboxMessage;

use crate::error::StoreError;
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult};

const OUTBOX_LAST_ID_KEY: &[u8] = b"outbox_last_id";

/// One queued message with its delivery bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Position in the queue; also the record key.
    pub id: u64,
    pub message: OutboxMessage,
    /// When the change that caused it happened (the audited event's time).
    pub enqueued_at: Timestamp,
    /// Delivery attempts made so far (see [`Store::outbox_record_attempt`]).
    pub attempts: u32,
}

/// An [`OutboxEntry`] as first written: the same fields, serialised the same way, with the
/// message borrowed (a payload is a JSON tree: cloning it costs more than sealing it).
#[derive(Serialize)]
struct NewEntry<'a> {
    id: u64,
    message: &'a OutboxMessage,
    enqueued_at: Timestamp,
    attempts: u32,
}

/// Queues `message` inside the caller's transaction; returns its id.
pub(crate) fn enqueue(tx: &Tx<'_>, message: &OutboxMessage, at: Timestamp) -> TxResult<u64> {
    let id = crate::meta::next_counter(tx, OUTBOX_LAST_ID_KEY)?;
    let entry = NewEntry {
        id,
        message,
        enqueued_at: at,
        attempts: 0,
    };
    tx.encrypted(TreeId::Outbox)
        .insert(&id.to_be_bytes(), &entry)?;
    Ok(id)
}

impl Store {
    /// The oldest `limit` entries not yet acknowledged, oldest first.
    pub fn outbox_peek(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner()
            .encrypted(TreeId::Outbox)
            .iter::<OutboxEntry>()
            .take(limit)
            .map(|entry| entry.map(|(_, value)| value))
            .collect()
    }

    /// Removes a delivered entry, durably. Acknowledging an absent id is not an error (the
    /// worker may retry an acknowledgement after a crash); returns whether it was present.
    pub fn outbox_ack(&self, id: u64) -> Result<bool, StoreError> {
        let removed = self.outbox_ack_unflushed(id)?;
        self.inner().flush()?;
        Ok(removed)
    }

    /// Counts one more delivery attempt of entry `id`; returns the new count, or `None` when
    /// the entry is no longer queued.
    pub fn outbox_record_attempt(&self, id: u64) -> Result<Option<u32>, StoreError> {
        let key = id.to_be_bytes();
        self.inner().transact_durably(|tx| {
            let outbox = tx.encrypted(TreeId::Outbox);
            let Some(mut entry) = outbox.get::<OutboxEntry>(&key)? else {
                return Ok(None);
            };
            entry.attempts = entry.attempts.saturating_add(1);
            outbox.insert(&key, &entry)?;
            Ok(Some(entry.attempts))
        })
    }

    /// Number of entries not yet acknowledged.
    pub fn outbox_len(&self) -> Result<u64, StoreError> {
        Ok(self.inner().trees.raw(TreeId::Outbox).len() as u64)
    }
}
