//! Opening the database again without a restart of the process: after a failed write sled
//! 0.34 refuses every later write until the database is opened again (it keeps the first I/O
//! error), and a store the engine cannot read any more is replaced by a new one for a restore.
//!
//! The opened database sits in a slot of the store's shared part (see `store.rs`). To open it
//! again, the slot is marked closing (new operations wait), the operations in flight are given
//! a few seconds to let go of it, the last handle is dropped (sled closes its files), and the
//! database is opened afresh and put back. If the operations in flight do not let go in time,
//! nothing changes ([`StoreError::Busy`]: try again later).

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::StoreError;
use crate::store::{Inner, Store, lock, open_inner};

/// How long a re-open waits for the operations in flight to let go of the database.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// How long a re-open keeps trying to open the database again.
const REOPEN_WAIT: Duration = Duration::from_secs(10);

impl Store {
    /// Closes the database and opens it again, waiting for the operations in flight to let go
    /// of it (at most a few seconds; then [`StoreError::Busy`] and nothing changed). What
    /// was committed but not flushed when a write failed is lost, as after a restart: it was
    /// never acknowledged. Meanwhile new operations wait.
    ///
    /// On another error the store stays closed and every operation waits: the process must
    /// end (the daemon exits, and systemd starts it again).
    pub fn reopen(&self) -> Result<(), StoreError> {
        let _one = lock(&self.shared().reopening);
        let old = self.close(CLOSE_WAIT)?;
        drop(old);
        let opened = self.open_again();
        self.refill(opened)?;
        tracing::info!(path = %self.shared().path.display(), "store re-opened");
        Ok(())
    }

    /// Replaces the database with a new, empty one, for a restore into a store the storage
    /// engine can no longer read: its files are set aside (see [`Store::set_aside`]), not
    /// deleted. The new store is fenced (it is behind its anchor) until the restore. Returns
    /// the folder the old files went to.
    pub fn replace_with_empty(&self) -> Result<PathBuf, StoreError> {
        let _one = lock(&self.shared().reopening);
        let old = self.close(CLOSE_WAIT)?;
        drop(old);
        let aside = Store::set_aside(&self.shared().path);
        // Set aside or not, something must be opened again.
        let opened = self.open_again();
        self.refill(opened)?;
        let aside = aside?;
        tracing::warn!(path = %self.shared().path.display(), aside = %aside.display(), "the store's files were set aside; a new, empty store replaces them");
        self.check_anchor_at_open()?;
        Ok(aside)
    }

    /// Moves the storage engine's files of the store in `dir` (`conf`, `db`, `blobs`,
    /// `snap.*`) into a new folder `dir/damaged-N`, and returns it. The anchor and anything
    /// else in `dir` stay.
    pub fn set_aside(dir: &Path) -> Result<PathBuf, StoreError> {
        let io = |source| StoreError::DirIo {
            path: dir.to_owned(),
            source,
        };
        let mut n = 1;
        let aside = loop {
            let candidate = dir.join(format!("damaged-{n}"));
            if !candidate.exists() {
                break candidate;
            }
            n += 1;
        };
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&aside)
            .map_err(io)?;
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if matches!(name.as_ref(), "conf" | "db" | "blobs") || name.starts_with("snap.") {
                std::fs::rename(entry.path(), aside.join(name.as_ref())).map_err(io)?;
            }
        }
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        Ok(aside)
    }

    fn open_again(&self) -> Result<Arc<Inner>, StoreError> {
        let deadline = Instant::now() + REOPEN_WAIT;
        loop {
            match open_inner(
                &self.shared().path,
                &self.shared().crypto,
                &self.shared().health,
                &self.shared().anchor,
            ) {
                Err(StoreError::Locked { .. }) if Instant::now() < deadline => {
                    // sled's threads let go of the files shortly after the last handle.
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// Puts the database opened again in the slot, and lets waiting operations go on.
    fn refill(&self, opened: Result<Arc<Inner>, StoreError>) -> Result<(), StoreError> {
        let mut slot = lock(&self.shared().slot);
        slot.closing = false;
        let result = match opened {
            Ok(inner) => {
                slot.current = Some(inner);
                Ok(())
            }
            Err(error) => {
                tracing::error!(path = %self.shared().path.display(), %error, "cannot open the store again");
                Err(error)
            }
        };
        drop(slot);
        self.shared().refilled.notify_all();
        result
    }

    /// Takes the database out of the slot once nothing else holds it, or gives up after
    /// `wait` and leaves it in place.
    /// `None`: it was closed already (a re-open failed).
    fn close(&self, wait: Duration) -> Result<Option<Inner>, StoreError> {
        let deadline = Instant::now() + wait;
        let mut slot = lock(&self.shared().slot);
        slot.closing = true;
        loop {
            let Some(current) = slot.current.take() else {
                return Ok(None);
            };
            match Arc::try_unwrap(current) {
                Ok(inner) => return Ok(Some(inner)),
                Err(current) => {
                    slot.current = Some(current);
                    if Instant::now() >= deadline {
                        slot.closing = false;
                        drop(slot);
                        self.shared().refilled.notify_all();
                        return Err(StoreError::Busy(
                            "operations in flight kept the store busy".into(),
                        ));
                    }
                }
            }
            drop(slot);
            std::thread::sleep(Duration::from_millis(10));
            slot = lock(&self.shared().slot);
        }
    }
}
