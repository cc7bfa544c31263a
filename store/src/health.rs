//! What the store knows about its own condition: whether writes work, whether it went back to
//! an earlier state than its audit anchor says ([`Rollback`]), what the last scrub found.
//!
//! Kept outside the opened database (in the store's shared part) so it survives a re-open.
//! Changes of condition are written to the log once, when they happen — never once per request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;

use crate::error::StoreError;
use crate::scrub::ScrubSummary;
use crate::space::DiskSpace;

/// Why the store refuses writes at the moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteFault {
    /// The filesystem of the store is full (or the quota reached).
    pub full: bool,
    /// The storage engine no longer completes its writes (see `flusher.rs`): only a fresh
    /// process can open the store again.
    #[serde(default)]
    pub jammed: bool,
    /// What the storage engine reported (no stored value: engine errors carry none).
    pub reason: String,
}

impl WriteFault {
    /// The fault `error` reveals, when it is a failure to write to the disk. Corruption and
    /// refusals (a taken slot, a duplicate) are not write faults.
    pub(crate) fn of(error: &StoreError) -> Option<WriteFault> {
        let StoreError::Engine(sled::Error::Io(io)) = error else {
            return None;
        };
        let full = matches!(
            io.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        );
        Some(WriteFault {
            full,
            jammed: false,
            reason: if full {
                "the storage filesystem is full".to_owned()
            } else {
                format!("the storage engine cannot write: {io}")
            },
        })
    }
}

impl WriteFault {
    /// The error a write refused because of this fault reports (a full disk stays a full
    /// disk: [`StoreError::is_storage_full`]).
    pub(crate) fn error(&self) -> StoreError {
        if self.jammed {
            return StoreError::Jammed { full: self.full };
        }
        let kind = if self.full {
            std::io::ErrorKind::StorageFull
        } else {
            std::io::ErrorKind::Other
        };
        StoreError::Engine(sled::Error::Io(std::io::Error::new(
            kind,
            self.reason.clone(),
        )))
    }
}

impl std::fmt::Display for WriteFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The store is behind the audit anchor kept outside it: acknowledged data was lost (the
/// storage engine recovered to an earlier point, or an old copy of the files was put back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollback {
    /// The last audit record the store holds.
    pub store_seq: u64,
    /// When that record was written (`None` for an empty chain).
    pub store_at: Option<Timestamp>,
    /// The last audit record the anchor says was durable.
    pub anchor_seq: u64,
    /// When that record was written.
    pub anchor_at: Option<Timestamp>,
    /// The store's record at the anchor's sequence number has another hash: its history
    /// differs from the one anchored (not only shorter).
    pub diverged: bool,
}

impl std::fmt::Display for Rollback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let since = self
            .store_at
            .map_or_else(|| "its creation".to_owned(), |at| at.to_string());
        let until = self
            .anchor_at
            .map_or_else(String::new, |at| format!(" up to {at}"));
        if self.diverged {
            write!(
                f,
                "the store does not match its audit anchor: record {} of its audit chain differs \
                 from the one anchored outside the store (written{until}), so its content since \
                 {since} is not what was acknowledged; ",
                self.anchor_seq
            )?;
        } else {
            write!(
                f,
                "the store went back to an earlier state: it ends at audit record {} ({since}), \
                 its anchor outside the store says record {} was durable{until}, so everything \
                 recorded after {since} ({} audit records, with the changes they recorded) is \
                 missing; ",
                self.store_seq,
                self.anchor_seq,
                self.anchor_seq.saturating_sub(self.store_seq)
            )?;
        }
        f.write_str(
            "nothing is served until the latest backup is restored: as root run `teleconsultctl \
             restore --force FILE` with the most recent backup archive (teleconsultctl verify \
             says what else is damaged)",
        )
    }
}

/// The store's condition, as the daemon, `teleconsultctl status` and the staff pages show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCondition {
    /// Set while writes fail (disk full, I/O errors).
    pub write_fault: Option<WriteFault>,
    /// Set when the store is behind its audit anchor: it refuses to serve until restored.
    pub rollback: Option<Rollback>,
    /// The audit anchor cannot be written at the moment (the store still serves).
    pub anchor_problem: Option<String>,
    /// What was found about the anchor when the store was opened (missing, unreadable).
    pub anchor_notice: Option<String>,
    /// What the last scrub (see `scrub.rs`) found, once one has run.
    pub last_scrub: Option<ScrubSummary>,
    /// The storage filesystem as last measured ([`crate::Store::disk_space`]).
    pub disk: Option<DiskSpace>,
}

impl StoreCondition {
    /// Why the store refuses writes (and therefore audited reads), if it does.
    pub fn refusal(&self) -> Option<String> {
        if let Some(rollback) = &self.rollback {
            return Some(rollback.to_string());
        }
        self.write_fault.as_ref().map(|fault| fault.reason.clone())
    }

    /// Records found damaged by the last scrub.
    pub fn damaged_records(&self) -> u64 {
        self.last_scrub.as_ref().map_or(0, |scrub| scrub.damaged)
    }
}

/// The condition, shared by every handle of one store and by the databases it re-opens.
#[derive(Debug, Default)]
pub(crate) struct Health {
    /// Fast checks without the lock: a write fault is set, the store is fenced (rollback).
    faulty: AtomicBool,
    fenced: AtomicBool,
    state: Mutex<StoreCondition>,
}

impl Health {
    fn lock(&self) -> MutexGuard<'_, StoreCondition> {
        // Plain data updated in one step: a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn condition(&self) -> StoreCondition {
        self.lock().clone()
    }

    /// A write failed with `error`: records the fault, and logs it when it is new.
    pub(crate) fn write_failed(&self, error: &StoreError) {
        if let StoreError::Jammed { full } = error {
            return self.jammed(*full);
        }
        let Some(fault) = WriteFault::of(error) else {
            return;
        };
        let mut state = self.lock();
        if state.write_fault.is_none() {
            tracing::error!(
                reason = %fault.reason,
                "the store refuses writes; they resume once the cause is gone (free space on \
                 the storage filesystem if it is full)"
            );
        }
        state.write_fault = Some(fault);
        self.faulty.store(true, Ordering::Release);
    }

    /// Writes do not complete (see [`crate::Store::report_jammed`]).
    pub(crate) fn jammed(&self, full: bool) {
        let reason = if full {
            "the storage filesystem is full (and the storage engine no longer completes writes)"
        } else {
            "the storage engine no longer completes writes"
        };
        let fault = WriteFault {
            full,
            jammed: true,
            reason: reason.to_owned(),
        };
        let mut state = self.lock();
        if state.write_fault.as_ref() != Some(&fault) {
            tracing::error!(reason = %fault.reason, "the store refuses writes; they resume once the cause is gone (free space on the storage filesystem if it is full)");
        }
        state.write_fault = Some(fault);
        self.faulty.store(true, Ordering::Release);
    }

    /// A flush succeeded: writes work.
    pub(crate) fn write_succeeded(&self) {
        if !self.faulty.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.lock();
        if let Some(fault) = state.write_fault.take() {
            tracing::info!(was = %fault.reason, "the store accepts writes again");
        }
        self.faulty.store(false, Ordering::Release);
    }

    /// The current write fault (cheap when there is none).
    pub(crate) fn write_fault(&self) -> Option<WriteFault> {
        if !self.faulty.load(Ordering::Acquire) {
            return None;
        }
        self.lock().write_fault.clone()
    }

    /// Fences the store: every write is refused with [`StoreError::RolledBack`].
    pub(crate) fn set_rollback(&self, rollback: Rollback) {
        tracing::error!(
            store_seq = rollback.store_seq,
            anchor_seq = rollback.anchor_seq,
            "{rollback}"
        );
        self.lock().rollback = Some(rollback);
        self.fenced.store(true, Ordering::Release);
    }

    /// Lifts the fence (a restore replaced the store).
    pub(crate) fn clear_rollback(&self) {
        let mut state = self.lock();
        if state.rollback.take().is_some() {
            tracing::info!("the store was restored: the rollback fence is lifted");
        }
        self.fenced.store(false, Ordering::Release);
    }

    pub(crate) fn rollback(&self) -> Option<Rollback> {
        if !self.fenced.load(Ordering::Acquire) {
            return None;
        }
        self.lock().rollback.clone()
    }

    pub(crate) fn set_anchor_problem(&self, problem: Option<String>) {
        let mut state = self.lock();
        match (&state.anchor_problem, &problem) {
            (None, Some(problem)) => tracing::error!(%problem, "audit anchor problem"),
            (Some(_), None) => tracing::info!("the audit anchor is written again"),
            _ => {}
        }
        state.anchor_problem = problem;
    }

    pub(crate) fn set_anchor_notice(&self, notice: String) {
        tracing::warn!(%notice, "audit anchor");
        self.lock().anchor_notice = Some(notice);
    }

    pub(crate) fn set_disk(&self, space: DiskSpace) {
        self.lock().disk = Some(space);
    }

    pub(crate) fn set_scrub(&self, summary: ScrubSummary) {
        self.lock().last_scrub = Some(summary);
    }
}
