//! The scrub: reads every record of every tree and checks it, so damage is found before someone
//! needs the record (`teleconsultctl verify`, and periodically in the daemon).
//!
//! - The storage engine checks its own checksums as it reads: a page it cannot read is reported
//!   with the tree and the last key read before it.
//! - Sealed values are authenticated (AEAD, bound to their tree and key: flipped bits, or a
//!   value moved from another record, fail) and, when they hold JSON, decoded.
//! - Values kept in clear are checked for their shape: index entries hold an id, counters eight
//!   bytes, the audit chain its hashes (see [`Store::verify_audit_chain`]).
//! - The audit chain is compared with its anchor outside the store: a store that went back to
//!   an earlier state has no damaged record, only missing ones.
//!
//! Damage is named by tree ("kind") and key — ids or keyed hashes, never content.

use serde::{Deserialize, Serialize};

use crate::anchor::AnchorReport;
use crate::audit::AuditVerification;
use crate::error::StoreError;
use crate::health::Rollback;
use crate::meta;
use crate::store::{Inner, Store};
use crate::tree::TreeId;

/// At most this many damaged records are listed (the count is exact).
const LISTED: usize = 200;
/// The condition keeps this many of them for the staff pages and the status.
const SUMMARISED: usize = 10;

/// One damaged record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Damage {
    /// The tree: what kind of record (`patients`, `appointments`, `audit`…).
    pub kind: String,
    /// The record's key: a UUID for 16-byte ids, else hex. For an unreadable page: the last
    /// key read before it (or `start`).
    pub key: String,
    /// What is wrong.
    pub problem: String,
}

/// What a scrub found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScrubReport {
    /// Records read and checked.
    pub records: u64,
    /// Damaged records found (exact; `damage` lists the first ones).
    pub damaged: u64,
    pub damage: Vec<Damage>,
    /// The audit chain, when it verified.
    pub audit: Option<AuditVerification>,
    /// The anchor outside the store.
    pub anchor: Option<AnchorReport>,
    /// Set when the store is behind its anchor.
    pub rollback: Option<Rollback>,
    /// Trees that could not be read to the end for another reason than damage (an I/O error:
    /// sled may write while it reads, and a full disk stops it), with the reason.
    #[serde(default)]
    pub unchecked: Vec<String>,
}

impl ScrubReport {
    /// Nothing damaged, nothing missing (in what could be read: see [`ScrubReport::unchecked`]).
    pub fn is_clean(&self) -> bool {
        self.damaged == 0 && self.rollback.is_none()
    }
}

/// The last scrub, as the store's condition keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScrubSummary {
    pub records: u64,
    pub damaged: u64,
    /// The first damaged records.
    pub first: Vec<Damage>,
    /// The store is behind its anchor.
    pub rolled_back: bool,
}

/// How a tree's values are stored.
enum Content {
    /// Sealed JSON.
    SealedJson,
    /// Sealed raw bytes (file contents, PDFs).
    SealedBytes,
    /// An id of `n` bytes in clear (blind indexes).
    Id(usize),
    /// The booked-slot index: an appointment id, or a remote hold's marker.
    Slot,
    /// The audit chain: checked as a chain.
    Audit,
    /// Metadata: a mix, per key.
    Meta,
    /// Quota counts, in clear (`quotas.rs`).
    Quota,
}

fn content(id: TreeId) -> Content {
    match id {
        TreeId::Meta => Content::Meta,
        TreeId::Audit => Content::Audit,
        TreeId::PatientsByNationalId
        | TreeId::PatientsByEmail
        | TreeId::AccountsByLogin
        | TreeId::RetrievalTokens => Content::Id(16),
        TreeId::MessagesById => Content::Id(40),
        TreeId::BookedSlots => Content::Slot,
        TreeId::Quotas => Content::Quota,
        TreeId::AttachmentContent | TreeId::DocumentPdfs | TreeId::MessageFiles => {
            Content::SealedBytes
        }
        _ => Content::SealedJson,
    }
}

fn key_text(key: &[u8]) -> String {
    match <[u8; 16]>::try_from(key) {
        Ok(bytes) => uuid::Uuid::from_bytes(bytes).to_string(),
        Err(_) => hex::encode(key),
    }
}

/// Checks one value; `None` when it is sound.
fn check_value(inner: &Inner, id: TreeId, key: &[u8], value: &[u8]) -> Option<String> {
    let open = |bytes_only: bool| -> Option<String> {
        match inner.crypto.open(id.name(), key, value) {
            Err(e) => Some(e.to_string()),
            Ok(_) if bytes_only => None,
            Ok(plain) => serde_json::from_slice::<serde::de::IgnoredAny>(&plain)
                .err()
                .map(|e| format!("decrypts but does not decode ({:?})", e.classify())),
        }
    };
    match content(id) {
        Content::SealedJson => open(false),
        Content::SealedBytes => open(true),
        Content::Id(n) => (value.len() != n)
            .then(|| format!("index entry of {} bytes, expected {n}", value.len())),
        Content::Slot => (value.len() != 16 && !value.starts_with(b"remote:"))
            .then(|| format!("slot entry of {} bytes", value.len())),
        Content::Quota => crate::quotas::check_entry(key, value),
        // Checked as a chain, after the scan.
        Content::Audit => None,
        Content::Meta => match key {
            meta::FORMAT_VERSION_KEY => (value.len() != 4).then(|| "not a version".to_owned()),
            meta::KEY_CHECK_KEY => open(true),
            crate::audit::AUDIT_HEAD_KEY => open(false),
            // Counters (u64) and the last document number (text) are in clear.
            _ if value.len() == 8 || std::str::from_utf8(value).is_ok() => None,
            _ => open(false),
        },
    }
}

/// Scans tree `id`, adding what it finds to `report`.
fn scan(inner: &Inner, id: TreeId, report: &mut ScrubReport) {
    let mut last: Option<sled::IVec> = None;
    let note = |report: &mut ScrubReport, damage: Damage| {
        report.damaged += 1;
        if report.damage.len() < LISTED {
            report.damage.push(damage);
        }
    };
    let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for entry in inner.trees.raw(id).iter() {
            match entry {
                Ok((key, value)) => {
                    report.records += 1;
                    if let Some(problem) = check_value(inner, id, &key, &value) {
                        note(
                            report,
                            Damage {
                                kind: id.name().to_owned(),
                                key: key_text(&key),
                                problem,
                            },
                        );
                    }
                    last = Some(key);
                }
                Err(sled::Error::Io(error)) => {
                    // Not damage: the engine could not do its work (it may write while it
                    // reads, e.g. on a full disk). The rest of the tree is not checked.
                    report.unchecked.push(format!(
                        "{} (after {}): {error}",
                        id.name(),
                        last.as_deref()
                            .map_or_else(|| "its start".to_owned(), key_text)
                    ));
                    return;
                }
                Err(error) => {
                    note(report, unreadable(id, last.as_deref(), &error.to_string()));
                    // sled cannot step over a page it cannot read: the rest of the tree is
                    // out of reach.
                    return;
                }
            }
        }
    }));
    if scanned.is_err() {
        note(
            report,
            unreadable(id, last.as_deref(), "the storage engine failed reading it"),
        );
    }
}

fn unreadable(id: TreeId, after: Option<&[u8]>, why: &str) -> Damage {
    Damage {
        kind: id.name().to_owned(),
        key: after.map_or_else(|| "start".to_owned(), key_text),
        problem: format!("unreadable after this key, to the end of the tree: {why}"),
    }
}

impl Store {
    /// Reads and checks every record (see the module documentation). Safe while other threads
    /// write: records written meanwhile may or may not be checked. Remembers a summary in the
    /// store's condition.
    pub fn scrub(&self) -> ScrubReport {
        let inner = self.inner();
        let mut report = ScrubReport {
            records: 0,
            damaged: 0,
            damage: Vec::new(),
            audit: None,
            anchor: None,
            rollback: None,
            unchecked: Vec::new(),
        };
        for id in TreeId::ALL {
            scan(&inner, id, &mut report);
        }
        drop(inner);
        match self.verify_audit_chain() {
            Ok(verification) => {
                report.anchor = verification.anchor.clone();
                report.audit = Some(verification);
            }
            Err(StoreError::RolledBack(rollback)) => report.rollback = Some(*rollback),
            Err(StoreError::AuditChainBroken { seq, reason }) => {
                report.damaged += 1;
                report.damage.push(Damage {
                    kind: TreeId::Audit.name().to_owned(),
                    key: seq.to_string(),
                    problem: reason,
                });
            }
            Err(other) => {
                report.damaged += 1;
                report.damage.push(Damage {
                    kind: TreeId::Audit.name().to_owned(),
                    key: "chain".to_owned(),
                    problem: other.to_string(),
                });
            }
        }
        if let Some(rollback) = self.shared().health.rollback() {
            report.rollback.get_or_insert(rollback);
        }
        if !report.unchecked.is_empty() {
            tracing::warn!(unchecked = ?report.unchecked, "store check: some records could not be read (not damage)");
        }
        if report.is_clean() {
            tracing::info!(records = report.records, "store check: no damage found");
        } else {
            let first: Vec<String> = report
                .damage
                .iter()
                .take(SUMMARISED)
                .map(|d| format!("{}/{}: {}", d.kind, d.key, d.problem))
                .collect();
            tracing::error!(
                records = report.records,
                damaged = report.damaged,
                rolled_back = report.rollback.is_some(),
                first = ?first,
                "store check: damage found; restore the latest backup (teleconsultctl verify lists it)"
            );
        }
        self.shared().health.set_scrub(ScrubSummary {
            records: report.records,
            damaged: report.damaged,
            first: report.damage.iter().take(SUMMARISED).cloned().collect(),
            rolled_back: report.rollback.is_some(),
        });
        report
    }
}
