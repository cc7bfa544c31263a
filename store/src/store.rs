//! [`Store`]: the opened database, shared cheaply between threads.
//!
//! Every handle shares one [`Shared`] part: the store's folder, its keys, its condition
//! (`health.rs`), its audit anchor (`anchor.rs`) and a slot holding the opened database
//! ([`Inner`]). The slot can be emptied and filled again: after a failed write the storage
//! engine (sled 0.34) refuses every later write until the database is opened again — it keeps
//! the first I/O error and reports it on each write and flush — so [`Store::reopen`] closes the
//! database once the operations in flight have let go of it, and opens it afresh, without a
//! restart of the process. Operations that start meanwhile wait for it.

use std::fmt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use teleconsult_core::national_id::Country;

use teleconsult_core::ids::PatientId;

use crate::anchor::{Anchor, Loaded};
use crate::audit;
use crate::error::StoreError;
use crate::flusher::{FLUSH_LIMIT, Flusher};
use crate::group_commit::GroupCommit;
use crate::health::{Health, StoreCondition};
use crate::kept::Kept;
use crate::meta;
use crate::space::Reserve;
use crate::tree::{EncryptedTree, TreeId, Trees, Tx, TxResult};
use crate::writer::Writer;
use teleconsult_core::account::{Account, Session};
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::patient::Patient;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::schedule::Schedule;
use teleconsult_seal::Crypto;
use teleconsult_seal::StorageKey;

/// The store: encrypted records, blind indexes, audit chain and outbox in one sled database.
/// Cloning is cheap (one `Arc`); all clones share the database. Methods block on disk I/O:
/// call them from `spawn_blocking` in async code.
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

/// What every handle shares, and what outlives a re-open of the database.
pub(crate) struct Shared {
    pub(crate) path: PathBuf,
    pub(crate) crypto: Arc<Crypto>,
    pub(crate) health: Arc<Health>,
    pub(crate) anchor: Arc<Anchor>,
    pub(crate) reserve: Mutex<Reserve>,
    pub(crate) slot: Mutex<Slot>,
    /// Signalled when the slot is filled again.
    pub(crate) refilled: Condvar,
    /// One re-open at a time.
    pub(crate) reopening: Mutex<()>,
}

/// The opened database, absent while it is re-opened.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) current: Option<Arc<Inner>>,
    /// A re-open is under way: new operations wait for the new database.
    pub(crate) closing: bool,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last handle is gone: what the last flush made durable goes to the anchor now.
        self.anchor.finish();
    }
}

pub(crate) struct Inner {
    pub(crate) path: PathBuf,
    pub(crate) db: sled::Db,
    pub(crate) trees: Trees,
    pub(crate) crypto: Arc<Crypto>,
    /// The store's condition: write faults are recorded here, a rollback fences writes.
    pub(crate) health: Arc<Health>,
    /// Told what each successful flush made durable.
    pub(crate) anchor: Arc<Anchor>,
    /// Concurrent writers share flushes (see `group_commit.rs`)...
    pub(crate) group_commit: GroupCommit,
    /// ...run on a thread of their own, waited for a bounded time (see `flusher.rs`).
    pub(crate) flusher: Flusher,
    /// Bookings are applied in batches by one thread (see `writer.rs`).
    pub(crate) writer: Writer,
    /// Records kept decrypted in memory (see `kept.rs`): sessions with their accounts (by the
    /// session's key), practitioners, schedules, patients.
    pub(crate) sessions: Kept<[u8; 32], (Session, Account)>,
    pub(crate) practitioners: Kept<PractitionerId, Practitioner>,
    pub(crate) schedules: Kept<PractitionerId, Schedule>,
    pub(crate) patients: Kept<PatientId, Patient>,
    /// Random, new at every opening of the database: outbox leases taken under another
    /// opening are void (only one process opens a sled database, so their holder is gone —
    /// see `ports/outbox.rs`).
    pub(crate) opening: u64,
}

impl Inner {
    /// Runs `f` as one transaction over all trees. Refused while the store is fenced (it went
    /// back to an earlier state than its anchor: see `anchor.rs`), and while writes fail (a
    /// full disk): then nothing more is committed that could not be made durable — audited
    /// reads included, which fail closed. A failure to write is recorded in the store's
    /// condition; the daemon's monitor probes and lifts it (see [`Store::probe_write`]).
    pub(crate) fn transact<A>(&self, f: impl Fn(&Tx<'_>) -> TxResult<A>) -> Result<A, StoreError> {
        if let Some(rollback) = self.health.rollback() {
            return Err(StoreError::RolledBack(Box::new(rollback)));
        }
        if let Some(fault) = self.health.write_fault() {
            return Err(fault.error());
        }
        self.transact_unfenced(f)
    }

    /// [`Inner::transact`] without the rollback fence and the write-fault refusal: for backups
    /// and restores, which the administrator runs precisely on such a store, and for the probe
    /// that finds out whether writes work again.
    pub(crate) fn transact_unfenced<A>(
        &self,
        f: impl Fn(&Tx<'_>) -> TxResult<A>,
    ) -> Result<A, StoreError> {
        let touched = std::cell::Cell::new(0);
        let result = self.trees.transact(&self.crypto, &touched, f);
        let touched = touched.get();
        if touched & (TreeId::Sessions.bit() | TreeId::Accounts.bit()) != 0 {
            self.sessions.invalidate();
        }
        if touched & TreeId::Practitioners.bit() != 0 {
            self.practitioners.invalidate();
        }
        if touched & TreeId::Schedules.bit() != 0 {
            self.schedules.invalidate();
        }
        if touched & TreeId::Patients.bit() != 0 {
            self.patients.invalidate();
        }
        if let Err(error) = &result {
            self.health.write_failed(error);
        }
        result
    }

    /// The record `key` of the encrypted tree `id`, from `kept` when there (see `kept.rs`),
    /// else read and kept.
    pub(crate) fn kept_get<K, V>(
        &self,
        kept: &Kept<K, V>,
        id: TreeId,
        key: K,
        raw_key: &[u8],
    ) -> Result<Option<V>, StoreError>
    where
        K: Eq + std::hash::Hash,
        V: Clone + serde::de::DeserializeOwned,
    {
        if let Some(value) = kept.get(&key) {
            return Ok(Some(value));
        }
        let generation = kept.generation();
        let value = self.encrypted(id).get::<V>(raw_key)?;
        if let Some(value) = &value {
            kept.fill(key, generation, value);
        }
        Ok(value)
    }

    /// Like [`Inner::transact`], then flushes: the change survives a crash once this returns.
    pub(crate) fn transact_durably<A>(
        &self,
        f: impl Fn(&Tx<'_>) -> TxResult<A>,
    ) -> Result<A, StoreError> {
        let result = self.transact(f)?;
        self.flush()?;
        Ok(result)
    }

    /// Makes everything committed so far durable, sharing the flush with concurrent writers:
    /// returns once a flush that started after this call has succeeded. The audit chain's head
    /// that the flush made durable is handed to the anchor.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        let result = self.group_commit.wait_durable(|| {
            // Read before the flush starts: what it makes durable includes this head.
            let head = audit::head_mark(self);
            self.flusher
                .flush(FLUSH_LIMIT)
                .map_err(|error| match error {
                    StoreError::Jammed { .. } => StoreError::Jammed {
                        full: crate::space::nearly_full(&self.path),
                    },
                    other => other,
                })?;
            // A fenced store keeps its anchor as it was until a restore moves it: its own
            // head (possibly longer, on another history) must not replace it.
            if let (Ok(head), None) = (head, self.health.rollback()) {
                self.anchor.durable(head);
            }
            Ok(())
        });
        match &result {
            Ok(()) => self.health.write_succeeded(),
            Err(error) => self.health.write_failed(error),
        }
        result
    }

    pub(crate) fn encrypted(&self, id: TreeId) -> EncryptedTree<'_> {
        self.trees.encrypted(id, &self.crypto)
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.shared.path)
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values are replaced in one step: a panic elsewhere leaves them whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// Opens (or creates) the store in `dir`, checks the key and the format version, migrates
    /// an older format, and compares the audit chain with its anchor: a store behind its anchor
    /// opens fenced (see [`Store::condition`]), so that the administrator can still back it up
    /// and restore it. Only one process may hold a store open.
    pub fn open(dir: &Path, key: StorageKey) -> Result<Store, StoreError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::DirIo {
                path: dir.to_owned(),
                source,
            })?;
        let crypto = Arc::new(Crypto::new(&key));
        drop(key);
        let health = Arc::new(Health::default());
        let anchor = Arc::new(Anchor::new(dir, crypto.clone(), health.clone()));
        let inner = open_inner(dir, &crypto, &health, &anchor)?;
        let store = Store {
            shared: Arc::new(Shared {
                path: dir.to_owned(),
                crypto,
                health,
                anchor,
                reserve: Mutex::new(Reserve::NONE),
                slot: Mutex::new(Slot {
                    current: Some(inner),
                    closing: false,
                }),
                refilled: Condvar::new(),
                reopening: Mutex::new(()),
            }),
        };
        store.check_anchor_at_open()?;
        Anchor::spawn(&store.shared.anchor).map_err(|e| StoreError::Engine(sled::Error::Io(e)))?;
        tracing::info!(path = %dir.display(), "store opened");
        Ok(store)
    }

    /// Compares the chain's head with the anchor: fences the store when it is behind; writes
    /// the anchor when it is missing, unreadable or behind the store (a crash right after a
    /// flush, or a store written by `teleconsultctl` meanwhile).
    pub(crate) fn check_anchor_at_open(&self) -> Result<(), StoreError> {
        let inner = self.inner();
        let head = audit::head_mark(&inner)?;
        let anchor = &self.shared.anchor;
        let health = &self.shared.health;
        let write = |notice: Option<String>| {
            if let Err(e) = anchor.reset(head) {
                health.set_anchor_notice(format!(
                    "cannot write the audit anchor {}: {e}",
                    anchor.path().display()
                ));
            } else if let Some(notice) = notice {
                health.set_anchor_notice(notice);
            }
        };
        match anchor.load() {
            Loaded::Found(mark) => {
                anchor.adopt(mark);
                match audit::rollback(&inner, &mark, head.seq)? {
                    Some(rollback) => health.set_rollback(rollback),
                    None if head.seq > mark.seq => write(None),
                    None => {}
                }
            }
            Loaded::Missing if head.seq == 0 => write(None),
            Loaded::Missing => write(Some(format!(
                "no audit anchor was found beside the store (made by an older version, or the \
                 file {} was removed): a new one was written at record {}",
                anchor.path().display(),
                head.seq
            ))),
            Loaded::Unreadable(why) => write(Some(format!(
                "the audit anchor {} was unreadable ({why}): it was written again at record {}; \
                 a rollback before this start cannot be ruled out (compare with the anchor in \
                 the log)",
                anchor.path().display(),
                head.seq
            ))),
        }
        anchor.announce();
        Ok(())
    }

    /// The opened database; waits while it is being re-opened.
    ///
    /// A re-open that failed leaves the store closed and this waiting for good: the daemon
    /// ends the process then (see [`Store::reopen`]).
    pub(crate) fn inner(&self) -> Arc<Inner> {
        let mut slot = lock(&self.shared.slot);
        loop {
            if !slot.closing
                && let Some(inner) = &slot.current
            {
                return inner.clone();
            }
            slot = self
                .shared
                .refilled
                .wait(slot)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The opened database, or `None` while it is re-opened (never waits: for code on an async
    /// runtime thread, which falls back to a blocking path).
    pub(crate) fn try_inner(&self) -> Option<Arc<Inner>> {
        let slot = lock(&self.shared.slot);
        if slot.closing {
            return None;
        }
        slot.current.clone()
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The store's condition: write faults, rollback, anchor, last scrub, free space.
    pub fn condition(&self) -> StoreCondition {
        self.shared.health.condition()
    }

    /// Set while the store is behind its audit anchor (cheap: for every request).
    pub fn rollback(&self) -> Option<crate::Rollback> {
        self.shared.health.rollback()
    }

    /// How long the flush under way has been running, if one is: a flush that does not end
    /// means the storage engine is jammed (see the daemon's storage monitor). Never waits.
    pub fn flush_running_for(&self) -> Option<Duration> {
        self.try_inner()?.group_commit.running_for()
    }

    /// Records that the storage engine does not complete its writes (a flush or a probe that
    /// did not end): every write is refused at once from now on, rather than waiting for it.
    /// `full`: the filesystem is full, which is the known cause.
    pub fn report_jammed(&self, full: bool) {
        self.shared.health.jammed(full);
    }

    /// A small durable write (a counter in `meta`): whether writes work now.
    pub fn probe_write(&self) -> Result<(), StoreError> {
        let inner = self.inner();
        if let Some(rollback) = inner.health.rollback() {
            return Err(StoreError::RolledBack(Box::new(rollback)));
        }
        inner.transact_unfenced(|tx| meta::next_counter(tx, meta::WRITE_PROBE_KEY).map(drop))?;
        inner.flush()
    }

    /// The directory of the store.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Cheap liveness probe for the watchdog: reads and decrypts the key-check record.
    pub fn health_check(&self) -> Result<(), StoreError> {
        meta::check_key(&self.inner())
    }

    /// Bytes used on disk by the database.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner().db.size_on_disk()?)
    }

    /// Forces everything written so far to disk. Writes through the repository already do.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner().flush()
    }

    /// Writes the anchor now (what the last flush made durable) and sends it to the log: at a
    /// clean shutdown.
    pub fn close_anchor(&self) {
        self.shared.anchor.finish();
        self.shared.anchor.announce();
    }

    /// The patient registered with this national id, found through its blind index.
    pub fn patient_id_by_national_id(
        &self,
        country: Country,
        national_id: &str,
    ) -> Result<Option<PatientId>, StoreError> {
        let key = crate::repo::national_id_index(&self.shared.crypto, country, national_id);
        self.index_lookup(TreeId::PatientsByNationalId, &key)
    }

    /// The patient registered with this e-mail address (case-insensitive), through its blind
    /// index. A patient's login is the e-mail address.
    pub fn patient_id_by_email(&self, email: &str) -> Result<Option<PatientId>, StoreError> {
        let key = crate::repo::email_index(&self.shared.crypto, email);
        self.index_lookup(TreeId::PatientsByEmail, &key)
    }

    fn index_lookup(&self, id: TreeId, key: &[u8]) -> Result<Option<PatientId>, StoreError> {
        let Some(value) = self.inner().trees.raw(id).get(key)? else {
            return Ok(None);
        };
        crate::repo::decode_patient_id(id, &value).map(Some)
    }
}

/// Opens the database in `dir`, checks and prepares it, and starts its writer thread.
pub(crate) fn open_inner(
    dir: &Path,
    crypto: &Arc<Crypto>,
    health: &Arc<Health>,
    anchor: &Arc<Anchor>,
) -> Result<Arc<Inner>, StoreError> {
    let open_error = |source: sled::Error| map_open_error(dir, source);
    let db = open_db(dir)?;
    let trees = Trees::open(&db).map_err(open_error)?;
    let (writer, jobs) = Writer::new();
    let flusher = Flusher::spawn(db.clone())?;
    let inner = Inner {
        path: dir.to_owned(),
        flusher,
        db,
        trees,
        crypto: crypto.clone(),
        health: health.clone(),
        anchor: anchor.clone(),
        group_commit: GroupCommit::default(),
        writer,
        sessions: Kept::default(),
        practitioners: Kept::default(),
        schedules: Kept::default(),
        patients: Kept::default(),
        opening: rand::random(),
    };
    meta::prepare(&inner).map_err(|error| match error {
        StoreError::Engine(source @ sled::Error::Corruption { .. }) => map_open_error(dir, source),
        other => other,
    })?;
    let inner = Arc::new(inner);
    Writer::spawn(Arc::downgrade(&inner), jobs)?;
    Ok(inner)
}

fn map_open_error(dir: &Path, source: sled::Error) -> StoreError {
    match &source {
        // sled reports a held lock file as an `Other` I/O error with this wording.
        sled::Error::Io(e) if e.to_string().contains("could not acquire lock") => {
            StoreError::Locked {
                path: dir.to_owned(),
            }
        }
        sled::Error::Corruption { .. } => StoreError::Damaged {
            path: dir.to_owned(),
            reason: source.to_string(),
        },
        _ => StoreError::Open {
            path: dir.to_owned(),
            source,
        },
    }
}

/// How long opening waits for a lock that is being released: sled's background threads let go
/// of the database file shortly after the last handle is dropped (a store closed and reopened
/// at once in the same process, or a daemon restarting right after its predecessor exited).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

fn open_db(dir: &Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        // sled 0.34 may panic on files it cannot make sense of (damaged): that is damage too.
        let opened =
            std::panic::catch_unwind(|| sled::Config::new().path(dir).open()).map_err(|_| {
                StoreError::Damaged {
                    path: dir.to_owned(),
                    reason: "the storage engine failed while reading its files".into(),
                }
            })?;
        match opened.map_err(|source| map_open_error(dir, source)) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_support::{open, reopen_key};

    #[test]
    fn a_second_open_of_the_same_store_is_refused_as_locked() {
        let (dir, _store) = open();
        let err = Store::open(dir.path(), reopen_key()).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
        assert!(err.to_string().contains("already running"), "{err}");
    }

    #[test]
    fn health_check_and_size_work_on_an_open_store() {
        let (_dir, store) = open();
        store.health_check().unwrap();
        store.flush().unwrap();
        assert!(store.size_on_disk().unwrap() > 0);
    }
}
