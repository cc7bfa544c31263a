//! Group commit: writers that have each committed a transaction share one flush to disk
//! instead of flushing one after another.
//!
//! A flush makes durable everything committed before it *started*. So a writer, once its
//! transaction has committed, asks for a flush whose generation is higher than that of every
//! flush already started: the flush running at that moment may have begun before the commit and
//! does not count. One writer at a time leads: it runs the flush on its own thread while those
//! arriving meanwhile wait; when it ends, one of them leads the next flush, which covers them
//! all. Under load a flush serves every writer that committed during the previous one; alone, a
//! writer flushes at once, as before.
//!
//! **Invariant**: [`GroupCommit::wait_durable`] returns `Ok` only after a flush that started after
//! it was called has succeeded. A writer whose covering flushes all failed runs a flush itself,
//! so that it reports its own error.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Flush coordinator shared by all writers of one database.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    finished: Condvar,
}

/// Flushes are numbered from 1 in the order they start; they never overlap.
#[derive(Debug, Default)]
struct State {
    /// Generation of the latest flush started (0: none yet).
    started: u64,
    /// Whether flush `started` is still running.
    running: bool,
    /// Generation of the latest flush that ended, successfully or not.
    ended: u64,
    /// Generation of the latest flush that succeeded.
    succeeded: u64,
    /// When the running flush started (a flush that never ends is how a jammed storage engine
    /// shows: see the daemon's storage monitor).
    running_since: Option<Instant>,
}

impl GroupCommit {
    /// Returns once everything the caller committed before calling is durable: after a flush
    /// that started after this call has succeeded. `flush` runs on this thread when the caller
    /// leads a group (at most once, or once more when the flushes of its group failed).
    pub(crate) fn wait_durable<E>(&self, flush: impl Fn() -> Result<(), E>) -> Result<(), E> {
        let mut state = self.lock();
        // Any flush starting from now on covers the caller's commit; the running one may not.
        let needed = state.started + 1;
        loop {
            if state.succeeded >= needed {
                return Ok(());
            }
            if state.ended >= needed {
                // Every flush that covered us failed: flush once more ourselves and report
                // what happens.
                drop(state);
                return flush();
            }
            if !state.running {
                state.running = true;
                state.running_since = Some(Instant::now());
                state.started += 1;
                let generation = state.started;
                drop(state);
                // Marks the flush ended even if `flush` panics, so waiters are never stranded.
                let mut lead = Lead {
                    group: self,
                    generation,
                    ok: false,
                };
                let result = flush();
                lead.ok = result.is_ok();
                drop(lead);
                return result;
            }
            state = self
                .finished
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// How long the running flush has been running, if one is.
    pub(crate) fn running_for(&self) -> Option<Duration> {
        let state = self.lock();
        state
            .running
            .then_some(state.running_since)
            .flatten()
            .map(|since| since.elapsed())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few counters updated in one step each: a panic elsewhere cannot leave
        // them half-written, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running flush of a group leader; records its outcome and wakes the waiters when dropped.
struct Lead<'a> {
    group: &'a GroupCommit,
    generation: u64,
    ok: bool,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let mut state = self.group.lock();
        state.running = false;
        state.running_since = None;
        state.ended = self.generation;
        if self.ok {
            state.succeeded = self.generation;
        }
        drop(state);
        self.group.finished.notify_all();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::time::Duration;

    /// A model of the disk: a commit counter, and what a flush made durable (everything
    /// committed when it started). Flush number `fail` (counting from 1) fails.
    #[derive(Default)]
    struct Disk {
        committed: AtomicU64,
        durable: AtomicU64,
        flushes: AtomicU64,
        fail: u64,
    }

    impl Disk {
        fn commit(&self) -> u64 {
            self.committed.fetch_add(1, SeqCst) + 1
        }

        fn flush(&self, delay: Duration) -> Result<(), &'static str> {
            let covers = self.committed.load(SeqCst);
            let number = self.flushes.fetch_add(1, SeqCst) + 1;
            std::thread::sleep(delay);
            if number == self.fail {
                return Err("disk full");
            }
            self.durable.fetch_max(covers, SeqCst);
            Ok(())
        }
    }

    type Outcome = (u64, Result<(), &'static str>, u64);

    /// `n` writers each commit, then wait for durability; each returns its commit number, the
    /// outcome and what was durable when it was acknowledged.
    fn writers(
        group: &Arc<GroupCommit>,
        disk: &Arc<Disk>,
        n: usize,
        delay: Duration,
    ) -> Vec<std::thread::JoinHandle<Outcome>> {
        (0..n)
            .map(|_| {
                let (group, disk) = (Arc::clone(group), Arc::clone(disk));
                std::thread::spawn(move || {
                    let mine = disk.commit();
                    let result = group.wait_durable(|| disk.flush(delay));
                    (mine, result, disk.durable.load(SeqCst))
                })
            })
            .collect()
    }

    #[test]
    fn a_lone_writer_flushes_at_once() {
        let (group, disk) = (GroupCommit::default(), Disk::default());
        for n in 1..=3 {
            let mine = disk.commit();
            group.wait_durable(|| disk.flush(Duration::ZERO)).unwrap();
            assert!(disk.durable.load(SeqCst) >= mine);
            assert_eq!(disk.flushes.load(SeqCst), n);
        }
    }

    #[test]
    fn concurrent_writers_share_flushes_and_each_is_durable_when_acknowledged() {
        let (group, disk) = (Arc::new(GroupCommit::default()), Arc::new(Disk::default()));
        let n = 64;
        for handle in writers(&group, &disk, n, Duration::from_millis(20)) {
            let (mine, result, durable_at_ack) = handle.join().unwrap();
            assert_eq!(result, Ok(()));
            assert!(
                durable_at_ack >= mine,
                "commit {mine} acknowledged with only {durable_at_ack} durable"
            );
        }
        let flushes = disk.flushes.load(SeqCst);
        assert!(
            flushes < n as u64 / 2,
            "{flushes} flushes for {n} writers: not grouped"
        );
    }

    #[test]
    fn writers_whose_group_flush_failed_flush_again_and_only_its_leader_sees_the_error() {
        let disk = Arc::new(Disk {
            fail: 2,
            ..Disk::default()
        });
        let group = Arc::new(GroupCommit::default());
        // Flush 1 is slow; sixteen writers commit while it runs (it does not cover them), so
        // they wait for flush 2, which fails.
        let first = writers(&group, &disk, 1, Duration::from_millis(300));
        while disk.flushes.load(SeqCst) == 0 {
            std::thread::yield_now();
        }
        let handles = writers(&group, &disk, 16, Duration::from_millis(5));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while disk.committed.load(SeqCst) < 17 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        for handle in first {
            assert_eq!(handle.join().unwrap().1, Ok(()));
        }
        let mut failed = 0;
        for handle in handles {
            let (mine, result, durable_at_ack) = handle.join().unwrap();
            match result {
                Ok(()) => assert!(durable_at_ack >= mine, "{mine} vs {durable_at_ack}"),
                Err(_) => failed += 1,
            }
        }
        assert_eq!(failed, 1, "the leader of the failed flush reports it");
        assert_eq!(disk.durable.load(SeqCst), 17);
    }
}
