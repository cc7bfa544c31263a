//! Records kept decrypted in memory: sessions with their accounts (every API request looks its
//! bearer token up), practitioners and their schedules (every booking and every slot search
//! reads both), patients (every booking reads its booker's record; the caller audits the read
//! whether it came from memory or not). Reading a sealed record means a sled look-up, a
//! decryption and a JSON decoding, and — for a session — a hop to a blocking thread; these are
//! read far more often than written.
//!
//! **Coherence.** Each [`Kept`] belongs to a set of trees. Every transaction that touches one of
//! them (read or write, committed or not) moves it to a new generation once the transaction has
//! ended, before its caller is answered (`Inner::transact`); entries of an older generation are
//! never returned. A reader notes the generation *before* reading sled and files what it read
//! under that generation: if a transaction on those trees ended in between, the entry is born
//! stale. So a logout, a disabled account, a changed role or new opening hours apply to every
//! request that starts after the change was acknowledged. All writes to the store go through
//! transactions.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Most entries kept; when full, stale entries go, then (if still full) all of them.
pub(crate) const CAPACITY: usize = 4096;

pub(crate) struct Kept<K, V> {
    generation: AtomicU64,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

pub(crate) struct Entry<V> {
    generation: u64,
    value: V,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Kept<K, V> {
    /// Every entry filed so far is stale from now on.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The generation to file a read under: call before reading sled.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.current(key, V::clone)
    }

    /// Whether [`Kept::get`] would answer `key` from memory now.
    pub(crate) fn has(&self, key: &K) -> bool {
        self.current(key, |_| ()).is_some()
    }

    /// `look` at the entry of `key` when it was filed under the current generation.
    fn current<T>(&self, key: &K, look: impl FnOnce(&V) -> T) -> Option<T> {
        let current = self.generation();
        self.lock()
            .get(key)
            .filter(|e| e.generation == current)
            .map(|e| look(&e.value))
    }

    /// Keeps `value`, read from sled after [`Kept::generation`] returned `generation`.
    pub(crate) fn fill(&self, key: K, generation: u64, value: &V) {
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
                value: value.clone(),
            },
        );
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<K, Entry<V>>> {
        // Entries are inserted and removed whole: a panic elsewhere leaves the map usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K, V> std::fmt::Debug for Kept<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("generation", &self.generation.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}
