//! The audit chain (link format in `teleconsult_seal::chain`): an append-only tree `audit`, key = sequence number as `u64` big-endian,
//! contiguous from 1; value = JSON [`AuditRecord`] in clear (audit events carry ids only).
//!
//! `hash = SHA-256(prev_hash (32 raw bytes) || canonical JSON of the event || seq (u64 BE))`,
//! the first record chaining to 32 zero bytes. Canonical JSON = no whitespace, object keys sorted
//! by their bytes: computed from the stored JSON value, so fields added to `AuditEvent` later do
//! not change the hash of older records.
//!
//! The head `{seq, hash}` lives sealed in `meta` and is read, advanced and written in the same
//! transaction as the change being audited: no gaps, and it cannot be forged without the key, so
//! rewriting the whole chain on disk is detected too.

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;
use teleconsult_core::audit::AuditEvent;
use teleconsult_seal::chain::{End, GENESIS_HASH, Link, decode_hash};

use crate::anchor::{AnchorReport, Loaded, Mark};
use crate::error::StoreError;
use crate::health::Rollback;
use crate::store::{Inner, Store};
use crate::tree::{TreeId, Tx, TxResult, abort};

pub(crate) const AUDIT_HEAD_KEY: &[u8] = b"audit_head";

/// One link of the audit chain, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub event: AuditEvent,
    /// Hex SHA-256 of the previous record (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of this record (see the module documentation).
    pub hash: String,
}

/// The outcome of a successful [`Store::verify_audit_chain`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerification {
    /// Number of records checked (the last sequence number).
    pub records: u64,
    /// Hex hash of the last record: note it down to detect a later rewrite.
    pub head: String,
    /// The anchor kept outside the store, compared with the chain (see `anchor.rs`).
    #[serde(default)]
    pub anchor: Option<AnchorReport>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct AuditHead {
    seq: u64,
    hash: String,
}

pub(crate) fn initialise_head(tx: &Tx<'_>) -> TxResult<()> {
    let head = AuditHead {
        seq: 0,
        hash: hex::encode(GENESIS_HASH),
    };
    tx.encrypted(TreeId::Meta).insert(AUDIT_HEAD_KEY, &head)
}

/// Appends `event` to the chain inside the caller's transaction; returns its sequence number.
pub(crate) fn append(tx: &Tx<'_>, event: &AuditEvent) -> TxResult<u64> {
    append_all(tx, &[event])
}

/// Appends `events` in order inside the caller's transaction, reading and writing the chain's
/// head once; returns the sequence number of the last one (the head's when `events` is empty).
pub(crate) fn append_all(tx: &Tx<'_>, events: &[&AuditEvent]) -> TxResult<u64> {
    let meta = tx.encrypted(TreeId::Meta);
    let head: AuditHead = meta
        .get(AUDIT_HEAD_KEY)?
        .ok_or_else(|| abort(StoreError::Corrupt("meta/audit_head is missing".to_owned())))?;
    if events.is_empty() {
        return Ok(head.seq);
    }
    let hash = decode_hash(&head.hash).ok_or_else(|| {
        abort(StoreError::Corrupt(
            "meta/audit_head hash is not hex".to_owned(),
        ))
    })?;
    let mut end = End {
        seq: head.seq,
        hash,
    };
    for event in events {
        let event = serde_json::to_value(event).map_err(|e| {
            abort(StoreError::Encode(format!(
                "audit event: {:?}",
                e.classify()
            )))
        })?;
        let (seq, bytes) = end.append(event).map_err(|e| {
            abort(StoreError::Encode(format!(
                "audit record: {:?}",
                e.classify()
            )))
        })?;
        tx.raw(TreeId::Audit).insert(&seq.to_be_bytes(), bytes)?;
    }
    let (seq, prev_hash) = (end.seq, hex::encode(end.hash));
    meta.insert(
        AUDIT_HEAD_KEY,
        &AuditHead {
            seq,
            hash: prev_hash,
        },
    )?;
    Ok(seq)
}

/// The chain's head as committed now, with the time of its record: what a flush starting now
/// makes durable (see `anchor.rs`).
pub(crate) fn head_mark(inner: &Inner) -> Result<Mark, StoreError> {
    let head = read_head(inner)?;
    let hash = decode_hash(&head.hash)
        .ok_or_else(|| StoreError::Corrupt("meta/audit_head hash is not hex".to_owned()))?;
    let at = if head.seq == 0 {
        None
    } else {
        record_time(inner, head.seq)?
    };
    Ok(Mark {
        seq: head.seq,
        hash,
        at,
    })
}

/// The hash and time of record `seq` (`None` when the chain has no such record).
pub(crate) fn record_mark(inner: &Inner, seq: u64) -> Result<Option<Mark>, StoreError> {
    if seq == 0 {
        return Ok(Some(Mark {
            seq,
            hash: GENESIS_HASH,
            at: None,
        }));
    }
    let Some(value) = inner.trees.raw(TreeId::Audit).get(seq.to_be_bytes())? else {
        return Ok(None);
    };
    let record: Link =
        serde_json::from_slice(&value).map_err(|_| broken(seq, "record does not decode"))?;
    let hash = decode_hash(&record.hash).ok_or_else(|| broken(seq, "hash is not hex"))?;
    Ok(Some(Mark {
        seq,
        hash,
        at: event_time(&record.event),
    }))
}

fn record_time(inner: &Inner, seq: u64) -> Result<Option<Timestamp>, StoreError> {
    Ok(record_mark(inner, seq)?.and_then(|mark| mark.at))
}

fn event_time(event: &serde_json::Value) -> Option<Timestamp> {
    event.get("at")?.as_str()?.parse().ok()
}

fn read_head(inner: &Inner) -> Result<AuditHead, StoreError> {
    inner
        .encrypted(TreeId::Meta)
        .get(AUDIT_HEAD_KEY)?
        .ok_or_else(|| StoreError::Corrupt("meta/audit_head is missing".to_owned()))
}

fn broken(seq: u64, reason: impl Into<String>) -> StoreError {
    StoreError::AuditChainBroken {
        seq,
        reason: reason.into(),
    }
}

impl Store {
    /// Number of audit records (the sequence number of the last one).
    pub fn audit_len(&self) -> Result<u64, StoreError> {
        Ok(self.audit_head()?.seq)
    }

    fn audit_head(&self) -> Result<AuditHead, StoreError> {
        read_head(&self.inner())
    }

    /// Up to `limit` records from sequence number `from_seq` on, in order.
    pub fn audit_records(
        &self,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.inner()
            .trees
            .raw(TreeId::Audit)
            .range(from_seq.to_be_bytes()..)
            .take(limit)
            .map(|entry| {
                let (key, value) = entry?;
                serde_json::from_slice(&value).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "audit/{}: does not decode ({:?})",
                        hex::encode(key),
                        e.classify()
                    ))
                })
            })
            .collect()
    }

    /// Re-computes the whole chain: every record present from 1 to the head, each hash right,
    /// each linked to the previous one, and the last one equal to the head kept in `meta`.
    /// Safe while other threads append.
    pub fn verify_audit_chain(&self) -> Result<AuditVerification, StoreError> {
        let inner = self.inner();
        let tree = inner.trees.raw(TreeId::Audit);
        let mut seq = 0u64;
        let mut hash = GENESIS_HASH;
        loop {
            let before = seq;
            for entry in tree.range((seq + 1).to_be_bytes()..) {
                let (key, value) = entry?;
                let expected = seq + 1;
                let key_seq = <[u8; 8]>::try_from(key.as_ref())
                    .map(u64::from_be_bytes)
                    .map_err(|_| broken(expected, "record key is not a u64"))?;
                if key_seq != expected {
                    return Err(broken(
                        expected,
                        format!("missing (next record is {key_seq})"),
                    ));
                }
                let mut end = End { seq, hash };
                end.follow(&value).map_err(|why| broken(expected, why))?;
                seq = end.seq;
                hash = end.hash;
            }
            // Read the head after the scan: a concurrent append may have moved it on.
            let head = self.audit_head()?;
            if head.seq == seq {
                if decode_hash(&head.hash) != Some(hash) {
                    return Err(broken(
                        seq,
                        "last record differs from the chain head in meta",
                    ));
                }
                let anchor = self.check_anchor(seq)?;
                return Ok(AuditVerification {
                    records: seq,
                    head: hex::encode(hash),
                    anchor: Some(anchor),
                });
            }
            if head.seq < seq {
                return Err(broken(
                    head.seq + 1,
                    format!("records beyond the chain head ({})", head.seq),
                ));
            }
            if seq == before {
                return Err(broken(
                    seq + 1,
                    format!("missing (the chain head is at {})", head.seq),
                ));
            }
        }
    }
}

impl Store {
    /// Compares the anchor kept outside the store with a chain that ends at record `head_seq`:
    /// [`StoreError::RolledBack`] when the anchor is beyond it or names a record whose hash
    /// differs (the chain itself may be intact: it went back as a whole).
    pub(crate) fn check_anchor(&self, head_seq: u64) -> Result<AnchorReport, StoreError> {
        let inner = self.inner();
        let anchor = &self.shared().anchor;
        let loaded = anchor.load();
        let state = match &loaded {
            Loaded::Missing => "missing",
            Loaded::Unreadable(_) => "unreadable",
            Loaded::Found(mark) => match rollback(&inner, mark, head_seq)? {
                Some(rollback) => return Err(StoreError::RolledBack(Box::new(rollback))),
                None => "ok",
            },
        };
        Ok(AnchorReport::new(anchor, &loaded, state))
    }
}

/// The rollback `anchored` reveals in a store whose chain ends at `head_seq`, if any.
pub(crate) fn rollback(
    inner: &Inner,
    anchored: &Mark,
    head_seq: u64,
) -> Result<Option<Rollback>, StoreError> {
    let store_at = if head_seq == 0 {
        None
    } else {
        record_mark(inner, head_seq)?.and_then(|mark| mark.at)
    };
    let rolled_back = |diverged| Rollback {
        store_seq: head_seq,
        store_at,
        anchor_seq: anchored.seq,
        anchor_at: anchored.at,
        diverged,
    };
    if anchored.seq > head_seq {
        return Ok(Some(rolled_back(false)));
    }
    match record_mark(inner, anchored.seq)? {
        Some(mark) if mark.hash == anchored.hash => Ok(None),
        _ => Ok(Some(rolled_back(true))),
    }
}
