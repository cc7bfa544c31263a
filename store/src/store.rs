//! [`Store`]: the opened database, shared cheaply between threads.

use std::fmt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use teleconsult_core::national_id::Country;

use teleconsult_core::ids::PatientId;

use crate::crypto::Crypto;
use crate::error::StoreError;
use crate::group_commit::GroupCommit;
use crate::kept::Kept;
use crate::key::StorageKey;
use crate::meta;
use crate::tree::{EncryptedTree, TreeId, Trees, Tx, TxResult};
use crate::writer::Writer;
use teleconsult_core::account::{Account, Session};
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::patient::Patient;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::schedule::Schedule;

/// The store: encrypted records, blind indexes, audit chain and outbox in one sled database.
/// Cloning is cheap (one `Arc`); all clones share the database. Methods block on disk I/O:
/// call them from `spawn_blocking` in async code.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) path: PathBuf,
    pub(crate) db: sled::Db,
    pub(crate) trees: Trees,
    pub(crate) crypto: Crypto,
    /// Concurrent writers share flushes (see `group_commit.rs`).
    pub(crate) group_commit: GroupCommit,
    /// Bookings are applied in batches by one thread (see `writer.rs`).
    pub(crate) writer: Writer,
    /// Records kept decrypted in memory (see `kept.rs`): sessions with their accounts (by the
    /// session's key), practitioners, schedules, patients.
    pub(crate) sessions: Kept<[u8; 32], (Session, Account)>,
    pub(crate) practitioners: Kept<PractitionerId, Practitioner>,
    pub(crate) schedules: Kept<PractitionerId, Schedule>,
    pub(crate) patients: Kept<PatientId, Patient>,
}

impl Inner {
    pub(crate) fn transact<A>(&self, f: impl Fn(&Tx<'_>) -> TxResult<A>) -> Result<A, StoreError> {
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
    /// returns once a flush that started after this call has succeeded.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        self.group_commit
            .wait_durable(|| self.db.flush().map(drop).map_err(StoreError::from))
    }

    pub(crate) fn encrypted(&self, id: TreeId) -> EncryptedTree<'_> {
        self.trees.encrypted(id, &self.crypto)
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store in `dir`, checks the key and the format version, and
    /// migrates an older format. Only one process may hold a store open.
    pub fn open(dir: &Path, key: StorageKey) -> Result<Store, StoreError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::DirIo {
                path: dir.to_owned(),
                source,
            })?;
        let open_error = |source: sled::Error| map_open_error(dir, source);
        let db = open_db(dir)?;
        let trees = Trees::open(&db).map_err(open_error)?;
        let crypto = Crypto::new(&key);
        drop(key);
        let (writer, jobs) = Writer::new();
        let inner = Inner {
            path: dir.to_owned(),
            db,
            trees,
            crypto,
            group_commit: GroupCommit::default(),
            writer,
            sessions: Kept::default(),
            practitioners: Kept::default(),
            schedules: Kept::default(),
            patients: Kept::default(),
        };
        meta::prepare(&inner)?;
        let inner = Arc::new(inner);
        Writer::spawn(Arc::downgrade(&inner), jobs)?;
        tracing::info!(path = %dir.display(), "store opened");
        Ok(Store { inner })
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The directory of the store.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Cheap liveness probe for the watchdog: reads and decrypts the key-check record.
    pub fn health_check(&self) -> Result<(), StoreError> {
        meta::check_key(&self.inner)
    }

    /// Bytes used on disk by the database.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.size_on_disk()?)
    }

    /// Forces everything written so far to disk. Writes through the repository already do.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }

    /// The patient registered with this national id, found through its blind index.
    pub fn patient_id_by_national_id(
        &self,
        country: Country,
        national_id: &str,
    ) -> Result<Option<PatientId>, StoreError> {
        let key = crate::repo::national_id_index(&self.inner.crypto, country, national_id);
        self.index_lookup(TreeId::PatientsByNationalId, &key)
    }

    /// The patient registered with this e-mail address (case-insensitive), through its blind
    /// index. A patient's login is the e-mail address.
    pub fn patient_id_by_email(&self, email: &str) -> Result<Option<PatientId>, StoreError> {
        let key = crate::repo::email_index(&self.inner.crypto, email);
        self.index_lookup(TreeId::PatientsByEmail, &key)
    }

    fn index_lookup(&self, id: TreeId, key: &[u8]) -> Result<Option<PatientId>, StoreError> {
        let Some(value) = self.inner.trees.raw(id).get(key)? else {
            return Ok(None);
        };
        crate::repo::decode_patient_id(id, &value).map(Some)
    }
}

fn map_open_error(dir: &Path, source: sled::Error) -> StoreError {
    match &source {
        // sled reports a held lock file as an `Other` I/O error with this wording.
        sled::Error::Io(e) if e.to_string().contains("could not acquire lock") => {
            StoreError::Locked {
                path: dir.to_owned(),
            }
        }
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
        match sled::Config::new()
            .path(dir)
            .open()
            .map_err(|source| map_open_error(dir, source))
        {
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
