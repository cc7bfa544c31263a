//! The audit anchor: the head of the audit chain (sequence number, hash, time of the record),
//! kept in a small file beside the database and in the log, so a store that went back to an
//! earlier state is recognised — the chain's own head lives in the database and goes back with
//! it.
//!
//! **Never ahead of the store.** After every successful flush, the head that flush made durable
//! (read before it started: everything committed then is covered) is handed to a thread that
//! writes it to the file and `fdatasync`s it; a crash between the two leaves the anchor behind,
//! which is harmless. Acknowledged writes do not wait for it; the thread writes the latest head
//! it was given, at most every 100 ms (each write is a sync competing with the store's), so
//! the anchor lags by at most that much activity; a clean close writes it at once.
//!
//! **Checked at open** (and by `verify_audit_chain` and the scrub): an anchor beyond the
//! store's head, or naming a record whose hash differs, means acknowledged data is gone; the
//! store is then fenced ([`crate::Rollback`]): every write, and so every audited read, is
//! refused until a restore resets the anchor.
//!
//! File layout (`audit-anchor`, 1,024 bytes): two slots at offsets 0 and 512, written in turn,
//! each `"TCANCHR1" | generation u64 | seq u64 | hash [32] | at (ms since the epoch, i64; MIN
//! when unknown) | HMAC-SHA256 of the rest with a key derived from the storage key`. The valid
//! slot with the highest generation counts, so a torn write loses one update, never the file.
//! Written to the log too: at open, and at most once a minute while it moves.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;

use crate::health::Health;
use teleconsult_seal::Crypto;

/// The anchor's file name, in the store's folder.
pub const ANCHOR_FILE: &str = "audit-anchor";
const MAGIC: &[u8; 8] = b"TCANCHR1";
const SLOT_OFFSETS: [u64; 2] = [0, 512];
const FILE_LEN: usize = 1024;
const BODY_LEN: usize = 8 + 8 + 8 + 32 + 8;
const SLOT_LEN: usize = BODY_LEN + 32;
const MAC_CONTEXT: &str = "audit-anchor";
/// How often, at most, the anchor goes to the log while it moves.
const LOG_EVERY: Duration = Duration::from_secs(60);
/// How often, at most, the file is written: each write is an `fdatasync` competing with the
/// store's own flushes (measured: writing after every flush cost a third of the bookings per
/// second of `Store::book` from 32 threads). The anchor lags by at most this much activity.
const WRITE_EVERY: Duration = Duration::from_millis(100);

/// A point of the audit chain: its last record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) seq: u64,
    pub(crate) hash: [u8; 32],
    pub(crate) at: Option<Timestamp>,
}

/// The anchor as `verify` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorReport {
    /// Where the anchor file is.
    pub path: std::path::PathBuf,
    /// The record it names (`None`: no readable anchor).
    pub seq: Option<u64>,
    /// Hex hash of that record.
    pub hash: Option<String>,
    /// When that record was written.
    pub at: Option<Timestamp>,
    /// `ok`, `behind` (the store went back), `diverged`, `missing` or `unreadable`.
    pub state: String,
}

/// What the file holds.
pub(crate) enum Loaded {
    Missing,
    Unreadable(String),
    Found(Mark),
}

/// The anchor of one store: its file, and the thread that writes it.
pub(crate) struct Anchor {
    path: PathBuf,
    crypto: Arc<Crypto>,
    health: Arc<Health>,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    file: Option<File>,
    generation: u64,
    /// On disk.
    written: Option<Mark>,
    /// Durable in the store, not yet on disk.
    pending: Option<Mark>,
    logged: Option<(Instant, u64)>,
}

impl std::fmt::Debug for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anchor").field("path", &self.path).finish()
    }
}

impl Anchor {
    pub(crate) fn new(dir: &Path, crypto: Arc<Crypto>, health: Arc<Health>) -> Self {
        Self {
            path: dir.join(ANCHOR_FILE),
            crypto,
            health,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file.
    pub(crate) fn load(&self) -> Loaded {
        let mut bytes = Vec::with_capacity(FILE_LEN);
        let read = File::open(&self.path).and_then(|mut file| {
            file.by_ref()
                .take(FILE_LEN as u64 + 1)
                .read_to_end(&mut bytes)
        });
        match read {
            Err(e) if e.kind() == ErrorKind::NotFound => return Loaded::Missing,
            Err(e) => return Loaded::Unreadable(e.to_string()),
            Ok(_) => {}
        }
        let best = SLOT_OFFSETS
            .iter()
            .filter_map(|&offset| {
                let offset = offset as usize;
                bytes
                    .get(offset..offset + SLOT_LEN)
                    .and_then(|slot| self.decode(slot))
            })
            .max_by_key(|(generation, _)| *generation);
        match best {
            Some((_, mark)) => Loaded::Found(mark),
            None => Loaded::Unreadable(
                "no slot passes its check (damaged, or written with another storage key)".into(),
            ),
        }
    }

    fn decode(&self, slot: &[u8]) -> Option<(u64, Mark)> {
        let (body, mac) = slot.split_at(BODY_LEN);
        if &body[..8] != MAGIC || self.crypto.mac(MAC_CONTEXT, body).as_slice() != mac {
            return None;
        }
        let number =
            |range: std::ops::Range<usize>| -> Option<[u8; 8]> { body.get(range)?.try_into().ok() };
        let generation = u64::from_be_bytes(number(8..16)?);
        let seq = u64::from_be_bytes(number(16..24)?);
        let hash: [u8; 32] = body.get(24..56)?.try_into().ok()?;
        let at_ms = i64::from_be_bytes(number(56..64)?);
        let at = (at_ms != i64::MIN)
            .then(|| Timestamp::from_millisecond(at_ms).ok())
            .flatten();
        Some((generation, Mark { seq, hash, at }))
    }

    fn encode(&self, generation: u64, mark: &Mark) -> [u8; SLOT_LEN] {
        let mut slot = [0u8; SLOT_LEN];
        slot[..8].copy_from_slice(MAGIC);
        slot[8..16].copy_from_slice(&generation.to_be_bytes());
        slot[16..24].copy_from_slice(&mark.seq.to_be_bytes());
        slot[24..56].copy_from_slice(&mark.hash);
        let at = mark.at.map_or(i64::MIN, |at| at.as_millisecond());
        slot[56..64].copy_from_slice(&at.to_be_bytes());
        let mac = self.crypto.mac(MAC_CONTEXT, &slot[..BODY_LEN]);
        slot[BODY_LEN..].copy_from_slice(&mac);
        slot
    }

    /// Takes note of what the file held at open, without writing.
    pub(crate) fn adopt(&self, mark: Mark) {
        self.lock().written = Some(mark);
    }

    /// Writes `mark` now, whatever the file held (at open, and after a restore replaced the
    /// store). Creates the file when missing.
    pub(crate) fn reset(&self, mark: Mark) -> std::io::Result<()> {
        let mut state = self.lock();
        state.pending = None;
        self.write(&mut state, mark, true)
    }

    /// `mark` is durable in the store: the thread writes it (unless the file is already
    /// there or beyond).
    pub(crate) fn durable(&self, mark: Mark) {
        let mut state = self.lock();
        let newest = state.pending.or(state.written).map_or(0, |known| known.seq);
        if mark.seq > newest || state.written.is_none() && state.pending.is_none() {
            state.pending = Some(mark);
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Writes what is pending, on the caller's thread (when the store closes).
    pub(crate) fn finish(&self) {
        let mut state = self.lock();
        if let Some(mark) = state.pending.take()
            && let Err(e) = self.write(&mut state, mark, false)
        {
            tracing::error!(path = %self.path.display(), error = %e, "cannot write the audit anchor");
        }
    }

    /// Starts the thread that writes pending marks; it ends with the last handle.
    pub(crate) fn spawn(this: &Arc<Anchor>) -> std::io::Result<()> {
        let weak = Arc::downgrade(this);
        std::thread::Builder::new()
            .name("audit-anchor".into())
            .spawn(move || run(&weak))
            .map(drop)
    }

    /// Writes `mark` in the next slot and syncs it. `create`: make the file when missing.
    fn write(&self, state: &mut State, mark: Mark, create: bool) -> std::io::Result<()> {
        if state.file.is_none() {
            match OpenOptions::new().read(true).write(true).open(&self.path) {
                Ok(file) => {
                    state.file = Some(file);
                    state.generation = state.generation.max(self.current_generation());
                }
                Err(e) if e.kind() == ErrorKind::NotFound && create => {
                    self.create(mark)?;
                    state.generation = 1;
                    state.written = Some(mark);
                    state.file = Some(OpenOptions::new().read(true).write(true).open(&self.path)?);
                    self.log(state, mark);
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        let Some(file) = &state.file else {
            return Err(std::io::Error::other("the anchor file is not open"));
        };
        let generation = state.generation + 1;
        let offset = SLOT_OFFSETS[(generation % 2) as usize];
        let written = file
            .write_all_at(&self.encode(generation, &mark), offset)
            .and_then(|()| file.sync_data());
        match written {
            Ok(()) => {
                state.generation = generation;
                state.written = Some(mark);
                self.health.set_anchor_problem(None);
                self.log(state, mark);
                Ok(())
            }
            Err(e) => {
                // Opened again next time: the file may have been replaced.
                state.file = None;
                self.health.set_anchor_problem(Some(format!(
                    "cannot write the audit anchor {}: {e}",
                    self.path.display()
                )));
                Err(e)
            }
        }
    }

    fn current_generation(&self) -> u64 {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return 0;
        };
        SLOT_OFFSETS
            .iter()
            .filter_map(|&offset| {
                let offset = offset as usize;
                bytes
                    .get(offset..offset + SLOT_LEN)
                    .and_then(|slot| self.decode(slot))
            })
            .map(|(generation, _)| generation)
            .max()
            .unwrap_or(0)
    }

    /// A new file holding `mark`, put in place atomically (temporary file, sync, rename, sync
    /// of the folder).
    fn create(&self, mark: Mark) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let temporary = dir.join(format!(".{ANCHOR_FILE}.tmp"));
        let mut bytes = vec![0u8; FILE_LEN];
        bytes[..SLOT_LEN].copy_from_slice(&self.encode(1, &mark));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all_at(&bytes, 0)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &self.path)?;
        File::open(dir)?.sync_all()
    }

    fn log(&self, state: &mut State, mark: Mark) {
        let due = state
            .logged
            .is_none_or(|(when, seq)| seq != mark.seq && when.elapsed() >= LOG_EVERY);
        if due {
            state.logged = Some((Instant::now(), mark.seq));
            tracing::info!(
                seq = mark.seq,
                hash = %hex::encode(mark.hash),
                at = ?mark.at.map(|at| at.to_string()),
                "audit anchor"
            );
        }
    }

    /// Sends the current anchor to the log (at open and at shutdown), whatever the rate, unless
    /// it has just gone there.
    pub(crate) fn announce(&self) {
        let mut state = self.lock();
        if let Some(mark) = state.pending.or(state.written) {
            if state.logged.is_some_and(|(_, seq)| seq == mark.seq) {
                return;
            }
            state.logged = None;
            self.log(&mut state, mark);
        }
    }
}

fn run(anchor: &Weak<Anchor>) {
    let mut last_write: Option<Instant> = None;
    loop {
        if let Some(wait) = last_write.and_then(|at| WRITE_EVERY.checked_sub(at.elapsed())) {
            std::thread::sleep(wait);
        }
        let Some(anchor) = anchor.upgrade() else {
            return;
        };
        let mut state = anchor.lock();
        if state.pending.is_none() {
            state = anchor
                .wake
                .wait_timeout(state, Duration::from_secs(1))
                .map(|(state, _)| state)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        if let Some(mark) = state.pending.take() {
            // A failure is recorded in the store's condition (and logged once); the next flush
            // hands the head over again.
            let _ = anchor.write(&mut state, mark, true);
            last_write = Some(Instant::now());
        }
    }
}

impl AnchorReport {
    pub(crate) fn new(anchor: &Anchor, loaded: &Loaded, state: &str) -> Self {
        let mark = match loaded {
            Loaded::Found(mark) => Some(*mark),
            _ => None,
        };
        AnchorReport {
            path: anchor.path().to_owned(),
            seq: mark.map(|m| m.seq),
            hash: mark.map(|m| hex::encode(m.hash)),
            at: mark.and_then(|m| m.at),
            state: state.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::StorageKey;

    fn anchor(dir: &Path, key: u8) -> Anchor {
        let crypto = Arc::new(Crypto::new(&StorageKey::from_bytes([key; 32])));
        Anchor::new(dir, crypto, Arc::new(Health::default()))
    }

    fn mark(seq: u64) -> Mark {
        Mark {
            seq,
            hash: [seq as u8; 32],
            at: Timestamp::from_second(1_750_000_000 + seq as i64).ok(),
        }
    }

    #[test]
    fn the_latest_mark_is_read_back_and_a_torn_slot_loses_only_the_last_update() {
        let dir = tempfile::tempdir().unwrap();
        let a = anchor(dir.path(), 1);
        assert!(matches!(a.load(), Loaded::Missing));
        a.reset(mark(3)).unwrap();
        for seq in 4..=7 {
            a.durable(mark(seq));
            a.finish();
        }
        assert!(matches!(a.load(), Loaded::Found(m) if m == mark(7)));
        // Tear the slot written last (generation 5 → slot 1): the one before counts.
        let file = OpenOptions::new().write(true).open(a.path()).unwrap();
        file.write_all_at(&[0xff; 10], SLOT_OFFSETS[1] + 20)
            .unwrap();
        assert!(matches!(a.load(), Loaded::Found(m) if m == mark(6)));
        // Another key cannot read (or forge) it.
        assert!(matches!(
            anchor(dir.path(), 2).load(),
            Loaded::Unreadable(_)
        ));
    }

    #[test]
    fn a_mark_not_beyond_the_written_one_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let a = anchor(dir.path(), 1);
        a.reset(mark(10)).unwrap();
        a.durable(mark(9));
        a.finish();
        assert!(matches!(a.load(), Loaded::Found(m) if m.seq == 10));
        // A reset writes whatever it is given (a restore goes back on purpose).
        a.reset(mark(2)).unwrap();
        assert!(matches!(a.load(), Loaded::Found(m) if m.seq == 2));
    }
}
