//! A consistent view of every tree while other threads write: what backup and restore need.
//!
//! sled 0.34 has no snapshot. The view is made in two steps: every tree's keys are scanned with
//! a change subscription open (writers keep going), then one transaction re-reads every key
//! scanned plus every key the subscription saw change. A sled transaction holds sled's global
//! write lock from before its closure runs until it commits, and every sled write completes
//! (including notifying subscribers) under that lock's read side, so inside the closure the set
//! of keys is complete and the values are one instant of the store. Other store operations wait
//! only for that final step (measured: under 0.1 s for 5,000 patients in a debug build).
//! `backup_tests.rs` checks it with concurrent writers, and fails when the subscription part is
//! left out.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sled::IVec;

use crate::error::StoreError;
use crate::store::Inner;
use crate::tree::{TreeId, Tx, TxResult, abort};

/// Bounds the final drain of change notifications (each subscriber buffers at most 1024).
const MAX_DRAINED_EVENTS: usize = 10_000_000;

/// Runs `f` in one transaction over all trees, handing it every key each tree holds at that
/// instant (a key may since have been removed: read it through the transaction). See the module
/// documentation for why the key set is complete.
pub(crate) fn with_all_keys<A>(
    inner: &Inner,
    f: impl Fn(&Tx<'_>, &[BTreeSet<IVec>]) -> TxResult<A>,
) -> Result<A, StoreError> {
    // Subscribe first, so a key written after its tree was scanned is seen as an event.
    let watcher = Mutex::new(Some(Watcher::start(inner)?));
    let scanned = Mutex::new(Some(scan_keys(inner)));
    // Backups and restores are what an administrator runs on a fenced store (see `anchor.rs`).
    inner.transact_unfenced(|tx| {
        // Inside the transaction no write is in flight: every change since the subscription
        // has been announced, and the subscriptions can be dropped without blocking a writer.
        // The closure runs once (it never reports a conflict); a second run finds nothing.
        let watcher = watcher.lock().ok().and_then(|mut slot| slot.take());
        let scanned = scanned.lock().ok().and_then(|mut slot| slot.take());
        let (Some(watcher), Some(scanned)) = (watcher, scanned) else {
            return Err(abort(StoreError::Engine(sled::Error::ReportableBug(
                "the backup transaction ran twice".into(),
            ))));
        };
        let touched = watcher.finish().map_err(abort)?;
        let scanned = scanned.map_err(abort)?;
        let keys: Vec<BTreeSet<IVec>> = scanned
            .iter()
            .zip(touched)
            .map(|(scanned, touched)| scanned.union(&touched).cloned().collect())
            .collect();
        f(tx, &keys)
    })
}

fn scan_keys(inner: &Inner) -> Result<Vec<BTreeSet<IVec>>, StoreError> {
    TreeId::ALL
        .iter()
        .map(|&id| {
            inner
                .trees
                .raw(id)
                .iter()
                .keys()
                .collect::<Result<BTreeSet<_>, _>>()
                .map_err(StoreError::from)
        })
        .collect()
}

/// Change subscriptions on every tree, drained by a thread: sled blocks a writer when a
/// subscriber's buffer (1024 events) is full, and a transaction waits for writers, so someone
/// must keep reading until the transaction holds the lock.
struct Watcher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Drained>>,
}

type Drained = (Vec<sled::Subscriber>, Vec<BTreeSet<IVec>>);

impl Watcher {
    fn start(inner: &Inner) -> Result<Self, StoreError> {
        let subscribers: Vec<sled::Subscriber> = TreeId::ALL
            .iter()
            .map(|&id| inner.trees.raw(id).watch_prefix([]))
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("backup-watch".into())
            .spawn(move || {
                let mut subscribers = subscribers;
                let mut touched = vec![BTreeSet::new(); subscribers.len()];
                while !stopped.load(Ordering::Acquire) {
                    if drain(&mut subscribers, &mut touched, usize::MAX) == 0 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                (subscribers, touched)
            })
            .map_err(|e| StoreError::Engine(sled::Error::Io(e)))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the thread, reads what is left and drops the subscriptions (so later writes,
    /// including a restore's own, notify nobody). Call with the transaction lock held.
    fn finish(mut self) -> Result<Vec<BTreeSet<IVec>>, StoreError> {
        self.stop.store(true, Ordering::Release);
        let joined = self.thread.take().map(std::thread::JoinHandle::join);
        let Some(Ok((mut subscribers, mut touched))) = joined else {
            return Err(StoreError::Engine(sled::Error::ReportableBug(
                "the backup change watcher failed".into(),
            )));
        };
        drain(&mut subscribers, &mut touched, MAX_DRAINED_EVENTS);
        drop(subscribers);
        Ok(touched)
    }
}

impl Drop for Watcher {
    /// Only reached without [`Watcher::finish`] when the transaction could not start at all.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads every notification already delivered, recording the keys; returns how many.
fn drain(
    subscribers: &mut [sled::Subscriber],
    touched: &mut [BTreeSet<IVec>],
    limit: usize,
) -> usize {
    let mut seen = 0;
    for (subscriber, keys) in subscribers.iter_mut().zip(touched.iter_mut()) {
        while seen < limit {
            match subscriber.next_timeout(Duration::ZERO) {
                Ok(event) => {
                    keys.insert(event.key().clone());
                    seen += 1;
                }
                Err(_) => break,
            }
        }
    }
    seen
}
