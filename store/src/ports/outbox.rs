//! The outbox port of `teleconsult-core` ([`SyncStore`]) for [`Store`]: the outbox leased to
//! sync workers, parked entries, pull cursors.
//!
//! **Leases on sled.** A lease is a record of tree `sync` beside the entry it leases,
//! `lease/` + id `u64` BE → sealed [`LeaseRecord`] (holder, end, opening). A lease call reads
//! the outbox's head and the leases, chooses by core's [`LeaseRule`], then checks its choice
//! again and writes the leases in one transaction, applying the rule to what the transaction
//! reads — so two holders asking at once never both get an entry, nor entries of one aggregate
//! (or one patient) out of order. Leases need not be durable: a lease written under an earlier opening of the
//! database is void (only one process opens a sled database, so the worker that held it is
//! gone), and a daemon restarted after a crash offers its outbox again at once rather than
//! after the leases' end. An entry acknowledged or parked takes its lease with it; a lease
//! left without its entry (a crash in between, an erased patient's messages) is removed by a
//! later lease call.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::outbox::{
    Held, LeaseRule, Parking, QueuedMessage, SyncStore, Verdict,
};

use crate::error::StoreError;
use crate::outbox::OutboxEntry;
use crate::store::{Inner, Store};
use crate::tree::{TreeId, unseal};

const LEASE: &[u8] = b"lease/";

/// Key of the lease of outbox entry `id` in tree `sync`.
pub(crate) fn lease_key(id: u64) -> Vec<u8> {
    [LEASE, &id.to_be_bytes()].concat()
}

/// A lease of one outbox entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LeaseRecord {
    pub(crate) holder: String,
    pub(crate) until: Timestamp,
    /// The opening of the database it was taken under ([`Inner::opening`]).
    pub(crate) opening: u64,
}

impl LeaseRecord {
    /// As the rule sees it: absent when void (taken under an earlier opening).
    fn held(&self, inner: &Inner) -> Option<Held<'_>> {
        (self.opening == inner.opening).then_some(Held {
            holder: &self.holder,
            until: self.until,
        })
    }
}

/// Every lease record, by outbox id.
fn leases(inner: &Inner) -> Result<BTreeMap<u64, LeaseRecord>, StoreError> {
    let mut all = BTreeMap::new();
    for item in inner.trees.raw(TreeId::Sync).scan_prefix(LEASE) {
        let (key, sealed) = item?;
        let Some(id) = key
            .get(LEASE.len()..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
        else {
            continue;
        };
        all.insert(id, unseal(&inner.crypto, TreeId::Sync, &key, &sealed)?);
    }
    Ok(all)
}

impl Store {
    /// Leases to `holder` until `until` the oldest outbox entries it may take at `now`, at most
    /// `limit` (see [`SyncStore::lease`] and core's [`LeaseRule`]).
    pub fn outbox_lease(
        &self,
        holder: &str,
        limit: usize,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let inner = self.inner();
        let leases = leases(&inner)?;
        // First pass, outside the transaction: the entries the rule would give now.
        let mut rule = LeaseRule::new(holder, now, limit);
        let mut candidates = Vec::new();
        let mut seen = HashSet::new();
        let mut last_seen = None;
        let mut complete = true;
        for item in inner.encrypted(TreeId::Outbox).iter::<OutboxEntry>() {
            let (_, entry) = item?;
            let held = leases.get(&entry.id).and_then(|l| l.held(&inner));
            let verdict = rule.offer(&entry.message, held);
            if verdict == Verdict::Stop {
                complete = false;
                break;
            }
            seen.insert(entry.id);
            last_seen = Some(entry.id);
            if verdict == Verdict::Take {
                candidates.push(entry);
            }
        }
        // Leases of entries no longer queued: below the last entry looked at, or any when the
        // whole outbox was read.
        let orphans: Vec<u64> = leases
            .keys()
            .copied()
            .filter(|id| complete || last_seen.is_some_and(|last| *id < last))
            .filter(|id| !seen.contains(id))
            .collect();
        if candidates.is_empty() && orphans.is_empty() {
            return Ok(Vec::new());
        }
        let record = LeaseRecord {
            holder: holder.to_owned(),
            until,
            opening: inner.opening,
        };
        // Second pass, in one transaction: the rule again, over what is stored now.
        let taken = inner.transact(|tx| {
            let outbox = tx.raw(TreeId::Outbox);
            let sync = tx.encrypted(TreeId::Sync);
            let mut rule = LeaseRule::new(holder, now, limit);
            let mut taken = HashSet::with_capacity(candidates.len());
            for entry in &candidates {
                if outbox.get(entry.id.to_be_bytes())?.is_none() {
                    continue; // acknowledged or parked meanwhile
                }
                let key = lease_key(entry.id);
                let current = sync.get::<LeaseRecord>(&key)?;
                let held = current.as_ref().and_then(|l| l.held(&inner));
                match rule.offer(&entry.message, held) {
                    Verdict::Take => {
                        sync.insert(&key, &record)?;
                        taken.insert(entry.id);
                    }
                    Verdict::Skip => {}
                    Verdict::Stop => break,
                }
            }
            for id in &orphans {
                if outbox.get(id.to_be_bytes())?.is_none() {
                    tx.raw(TreeId::Sync).remove(lease_key(*id))?;
                }
            }
            Ok(taken)
        })?;
        Ok(candidates
            .into_iter()
            .filter(|e| taken.contains(&e.id))
            .collect())
    }

    /// Ends every lease `holder` has under this opening; returns how many.
    pub fn outbox_release(&self, holder: &str) -> Result<u64, StoreError> {
        let inner = self.inner();
        let mine: Vec<u64> = leases(&inner)?
            .into_iter()
            .filter(|(_, l)| l.holder == holder && l.opening == inner.opening)
            .map(|(id, _)| id)
            .collect();
        if mine.is_empty() {
            return Ok(0);
        }
        inner.transact(|tx| {
            let sync = tx.encrypted(TreeId::Sync);
            let mut released = 0;
            for id in &mine {
                let key = lease_key(*id);
                // Another holder may have taken it over since (expired): not ours to end.
                if sync
                    .get::<LeaseRecord>(&key)?
                    .is_some_and(|l| l.holder == holder && l.opening == inner.opening)
                {
                    tx.raw(TreeId::Sync).remove(key)?;
                    released += 1;
                }
            }
            Ok(released)
        })
    }

    /// The lease of outbox entry `id` under this opening, if any (running or expired): for
    /// status and tests.
    pub fn outbox_lease_of(&self, id: u64) -> Result<Option<(String, Timestamp)>, StoreError> {
        let inner = self.inner();
        let record = inner
            .encrypted(TreeId::Sync)
            .get::<LeaseRecord>(&lease_key(id))?;
        Ok(record
            .filter(|l| l.opening == inner.opening)
            .map(|l| (l.holder, l.until)))
    }
}

fn queued(entry: OutboxEntry) -> QueuedMessage {
    QueuedMessage {
        id: entry.id,
        message: entry.message,
        enqueued_at: entry.enqueued_at,
        attempts: entry.attempts,
    }
}

type PortResult<T> = std::result::Result<T, RepositoryError>;

impl SyncStore for Store {
    fn lease(
        &self,
        holder: &str,
        limit: usize,
        now: Timestamp,
        until: Timestamp,
    ) -> PortResult<Vec<QueuedMessage>> {
        Ok(self
            .outbox_lease(holder, limit, now, until)?
            .into_iter()
            .map(queued)
            .collect())
    }

    fn release(&self, holder: &str) -> PortResult<u64> {
        Ok(self.outbox_release(holder)?)
    }

    fn ack(&self, id: u64) -> PortResult<()> {
        self.outbox_ack_unflushed(id)?;
        Ok(())
    }

    fn record_attempt(&self, id: u64) -> PortResult<Option<u32>> {
        Ok(self.outbox_record_attempt(id)?)
    }

    fn park(&self, id: u64, parking: &Parking) -> PortResult<()> {
        self.outbox_park(id, parking)?;
        Ok(())
    }

    fn pending_len(&self) -> PortResult<u64> {
        Ok(self.outbox_len()?)
    }

    fn parked_len(&self) -> PortResult<u64> {
        Ok(Store::parked_len(self)?)
    }

    fn parked_aggregates(&self) -> PortResult<Vec<String>> {
        Ok(self
            .parked_entries()?
            .into_iter()
            .map(|p| p.entry.message.aggregate)
            .collect())
    }

    fn cursor(&self, name: &str) -> PortResult<Option<Timestamp>> {
        Ok(self.sync_cursor(name)?)
    }

    fn set_cursor(&self, name: &str, at: Timestamp) -> PortResult<()> {
        Ok(self.set_sync_cursor(name, at)?)
    }
}

#[cfg(test)]
mod tests;
