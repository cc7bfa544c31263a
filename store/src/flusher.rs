//! The thread that runs sled's flushes, so that a flush that never ends does not take its
//! caller with it.
//!
//! sled 0.34 has a flaw: when a value large enough to go to a blob file cannot be written
//! (the disk is full), the space it claimed in the log buffer stays claimed, and every later
//! flush waits for it forever — as does closing the database. A request whose write waits for
//! such a flush would hang until the process ends. So flushes run here, and a caller waits at
//! most [`FLUSH_LIMIT`]: then it gets [`StoreError::Jammed`], the store's condition says so
//! (writes are refused at once from then on), and the daemon starts afresh once the filesystem
//! has room (see its storage monitor). The thread holds a handle of the database: it ends, and
//! lets go of it, when the store's handle on it is dropped and no flush is under way.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::time::Duration;

use crate::error::StoreError;

/// How long a caller waits for a flush. A healthy flush of a small box's store takes
/// milliseconds; a slow card under load, seconds.
pub(crate) const FLUSH_LIMIT: Duration = Duration::from_secs(15);

type Reply = SyncSender<sled::Result<usize>>;

/// The queue to the flush thread of one opened database.
pub(crate) struct Flusher {
    requests: Sender<Reply>,
}

impl std::fmt::Debug for Flusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flusher").finish_non_exhaustive()
    }
}

impl Flusher {
    /// Starts the flush thread of `db`.
    pub(crate) fn spawn(db: sled::Db) -> Result<Flusher, StoreError> {
        let (requests, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("store-flush".into())
            .spawn(move || run(&db, &queue))
            .map_err(|e| StoreError::Engine(sled::Error::Io(e)))?;
        Ok(Flusher { requests })
    }

    /// Flushes; `Err(StoreError::Jammed)` when the flush has not ended within `limit` (it may
    /// still end later: what it wrote is then durable, but the caller was not told).
    pub(crate) fn flush(&self, limit: Duration) -> Result<(), StoreError> {
        let (reply, outcome) = mpsc::sync_channel(1);
        self.requests
            .send(reply)
            .map_err(|_| StoreError::Jammed { full: false })?;
        match outcome.recv_timeout(limit) {
            Ok(result) => result.map(drop).map_err(StoreError::from),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                Err(StoreError::Jammed { full: false })
            }
        }
    }
}

fn run(db: &sled::Db, queue: &Receiver<Reply>) {
    while let Ok(reply) = queue.recv() {
        // Requests that queued up meanwhile are covered by this flush too.
        let mut waiting = vec![reply];
        while let Ok(more) = queue.try_recv() {
            waiting.push(more);
        }
        let result = db.flush();
        for reply in waiting {
            // The caller may have given up waiting.
            let _ = reply.send(result.clone());
        }
    }
}
