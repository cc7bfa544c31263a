//! The notification queue (e-mail, SMS): tree `notifications`, key = `u64` BE id from the
//! `notification_last_id` counter, value = sealed [`Notification`]. Messages are queued in the
//! transaction of the change that causes them and removed only once delivered, so a crash
//! loses none (a crash between delivery and removal may send one twice: at-least-once).

use teleconsult_core::notification::Notification;

use crate::error::StoreError;
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult};
use crate::writer::Work;
use teleconsult_core::audit::AuditEvent;

const LAST_ID_KEY: &[u8] = b"notification_last_id";
const DEMO_LAST_ID_KEY: &[u8] = b"demo_outbox_last_id";
/// Messages kept on the demo outbox page.
const DEMO_OUTBOX_KEEP: usize = 200;

/// Queues `notification` inside the caller's transaction; returns its id.
pub(crate) fn enqueue(tx: &Tx<'_>, notification: &Notification) -> TxResult<u64> {
    let id = crate::meta::next_counter(tx, LAST_ID_KEY)?;
    tx.encrypted(TreeId::Notifications)
        .insert(&id.to_be_bytes(), notification)?;
    Ok(id)
}

impl Store {
    /// Queues a message on its own, durably.
    pub fn enqueue_notification(&self, notification: &Notification) -> Result<u64, StoreError> {
        self.inner()
            .transact_durably(|tx| enqueue(tx, notification))
    }

    /// Up to `limit` messages of `channels` due at `now`, oldest first, with their ids.
    pub fn due_notifications(
        &self,
        now: teleconsult_core::Timestamp,
        limit: usize,
        channels: &[teleconsult_core::notification::Channel],
    ) -> Result<Vec<(u64, Notification)>, StoreError> {
        let mut due = Vec::new();
        for entry in self
            .inner()
            .encrypted(TreeId::Notifications)
            .iter::<Notification>()
        {
            let (key, notification) = entry?;
            if notification.is_due(now) && channels.contains(&notification.channel) {
                let id = <[u8; 8]>::try_from(key.as_ref())
                    .map(u64::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt("notifications: key is not a u64".into()))?;
                due.push((id, notification));
                if due.len() == limit {
                    break;
                }
            }
        }
        Ok(due)
    }

    /// Messages still queued (waiting or retrying).
    pub fn notifications_pending(&self) -> Result<u64, StoreError> {
        Ok(self.inner().trees.raw(TreeId::Notifications).len() as u64)
    }

    /// Delivered: removed from the queue, durably (by the store's writer, in the flush of
    /// whatever else is being written: see `writer.rs`).
    pub fn notification_delivered(&self, id: u64) -> Result<(), StoreError> {
        self.inner().writer.apply(Delivered {
            ids: vec![id],
            demo: Vec::new(),
        })
    }

    /// A failed attempt: `notification` carries the new schedule. `give_up` removes it instead.
    /// Not flushed: after a crash the message is simply retried a little earlier. A message no
    /// longer queued (delivered or erased meanwhile) is not written back.
    pub fn notification_failed(
        &self,
        id: u64,
        notification: &Notification,
        give_up: bool,
    ) -> Result<(), StoreError> {
        let key = id.to_be_bytes();
        self.inner().transact(|tx| {
            let queue = tx.raw(TreeId::Notifications);
            if give_up {
                queue.remove(&key)?;
            } else if queue.get(key)?.is_some() {
                tx.encrypted(TreeId::Notifications)
                    .insert(&key, notification)?;
            }
            Ok(())
        })
    }

    /// Demo mode: messages "delivered" to the local outbox page (only the latest are kept) and
    /// removed from the queue, all in one durable write: one flush for a whole batch, shared
    /// with whatever else the store's writer is writing.
    pub fn demo_deliver(&self, delivered: Vec<(u64, Notification)>) -> Result<(), StoreError> {
        if delivered.is_empty() {
            return Ok(());
        }
        self.inner().writer.apply(Delivered {
            ids: Vec::new(),
            demo: delivered,
        })
    }

    /// Demo mode: the latest "delivered" messages, newest first.
    pub fn demo_outbox(&self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        let inner = self.inner();
        let tree = inner.encrypted(TreeId::DemoOutbox);
        let mut all = tree
            .iter::<Notification>()
            .map(|e| e.map(|(_, n)| n))
            .collect::<Result<Vec<_>, _>>()?;
        all.reverse();
        all.truncate(limit);
        Ok(all)
    }
}

/// Delivered messages leaving the queue, as a job of the store's writer: `ids` were sent,
/// `demo` were "delivered" to the demo outbox.
struct Delivered {
    ids: Vec<u64>,
    demo: Vec<(u64, Notification)>,
}

impl Work for Delivered {
    fn apply(&self, tx: &Tx<'_>) -> TxResult<Result<(), StoreError>> {
        let queue = tx.raw(TreeId::Notifications);
        for id in &self.ids {
            queue.remove(&id.to_be_bytes())?;
        }
        for (queued, notification) in &self.demo {
            let id = crate::meta::next_counter(tx, DEMO_LAST_ID_KEY)?;
            tx.encrypted(TreeId::DemoOutbox)
                .insert(&id.to_be_bytes(), notification)?;
            if let Some(old) = id.checked_sub(DEMO_OUTBOX_KEEP as u64) {
                tx.raw(TreeId::DemoOutbox).remove(&old.to_be_bytes())?;
            }
            queue.remove(&queued.to_be_bytes())?;
        }
        Ok(Ok(()))
    }

    fn audit(&self, _applied: bool) -> Vec<&AuditEvent> {
        Vec::new()
    }
}
