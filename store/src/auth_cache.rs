//! Sessions and their accounts, decrypted, kept in memory for authentication: every API
//! request looks its bearer token up, and reading two sealed records from sled on a blocking
//! thread cost more than many requests' own work.
//!
//! **Coherence.** Every transaction that touches the sessions or the accounts tree (read or
//! write, committed or not) moves the cache to a new generation once it has ended, before its
//! caller is answered; entries of an older generation are never returned. A reader notes the
//! generation *before* reading sled and files what it read under that generation: if a write
//! to those trees ended in between, the entry is born stale. So a logout, a disabled account or
//! a changed role takes effect for every request that starts after the write was acknowledged.
//! All writes to those trees go through transactions (`Inner::transact`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use teleconsult_core::account::{Account, Session};

/// Most sessions kept; when full, stale entries go, then (if still full) all of them.
pub(crate) const CAPACITY: usize = 4096;

#[derive(Default)]
pub(crate) struct AuthCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

pub(crate) struct Entry {
    generation: u64,
    session: Session,
    account: Account,
}

impl AuthCache {
    /// Every entry filed so far is stale from now on.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The generation to file a read under: call before reading sled.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn get(&self, key: &[u8; 32]) -> Option<(Session, Account)> {
        let current = self.generation();
        let entries = self.lock();
        let entry = entries.get(key).filter(|e| e.generation == current)?;
        Some((entry.session.clone(), entry.account.clone()))
    }

    pub(crate) fn fill(
        &self,
        key: [u8; 32],
        generation: u64,
        session: &Session,
        account: &Account,
    ) {
        let current = self.generation();
        if generation != current {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.retain(|_, e| e.generation == current);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                generation,
                session: session.clone(),
                account: account.clone(),
            },
        );
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<[u8; 32], Entry>> {
        // Entries are inserted and removed whole: a panic elsewhere leaves the map usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for AuthCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthCache")
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}
