//! Backup and restore of the whole store.
//!
//! A backup is a consistent copy of every tree ([`TreeId::ALL`]), taken while the daemon runs,
//! sealed with the storage key, behind a manifest that can be read and checked without the key:
//!
//! ```text
//! "TCBACKUP" | manifest length (u32 BE) | manifest (JSON) | sealed payload | SHA-256 of all before
//! ```
//!
//! - The trailing SHA-256 covers the whole file: a truncated or damaged copy is recognised
//!   without the key.
//! - The payload is the raw content of every tree (record values stay sealed as they are on
//!   disk), sealed once more with the store's AEAD (`crypto.rs`) under the context
//!   `backup-archive`, with the manifest as associated data: changing a count or the site id in
//!   the manifest makes the archive fail authentication.
//! - The manifest carries a key id (a keyed hash, revealing nothing about the key) so an archive
//!   made with another storage key is named as such instead of failing as "corrupt".
//!
//! **Consistency while running**: the copy is one instant of the store, taken while the daemon
//! serves (see `snapshot.rs`); a restore replaces every tree in one transaction, so a crash
//! mid-restore leaves the old store or the new one. The archive is built in memory: it is as
//! large as the store.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::IVec;
use teleconsult_core::Timestamp;
use zeroize::Zeroizing;

use crate::audit::AuditVerification;
use crate::error::StoreError;
use crate::meta::{self, FORMAT_VERSION};
use crate::snapshot::with_all_keys;
use crate::store::Store;
use crate::tree::TreeId;

/// The archive layout this build writes and reads.
pub const ARCHIVE_FORMAT: u32 = 1;

const MAGIC: &[u8; 8] = b"TCBACKUP";
/// The AEAD context ("tree" in `crypto.rs` terms) of the sealed payload.
const SEAL_CONTEXT: &str = "backup-archive";
const MAX_MANIFEST_BYTES: usize = 64 * 1024;
const TRAILER_BYTES: usize = 32;

/// What an archive says about itself, readable without the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupManifest {
    /// Layout of the archive file ([`ARCHIVE_FORMAT`]).
    pub archive_format: u32,
    /// Store format version of the data inside (`meta` `format_version`).
    pub store_format_version: u32,
    pub created_at: Timestamp,
    /// `site.id` of the site the backup was made on.
    pub site_id: String,
    /// Software that wrote it, e.g. `teleconsult-store 0.1.0`.
    pub producer: String,
    /// Identifies the storage key the archive is sealed with (see [`Store::key_id`]).
    pub key_id: String,
    /// Records per tree, by tree name.
    pub counts: BTreeMap<String, u64>,
    /// Hex SHA-256 of the clear payload, checked after decryption.
    pub payload_sha256: String,
    /// Length of the sealed payload in the file.
    pub sealed_bytes: u64,
}

impl BackupManifest {
    /// Records of one tree (0 when the tree is absent).
    pub fn count(&self, tree: &str) -> u64 {
        self.counts.get(tree).copied().unwrap_or(0)
    }

    /// Records in all trees.
    pub fn total_records(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// A complete archive file.
#[derive(Clone, Debug)]
pub struct BackupArchive {
    pub manifest: BackupManifest,
    /// The file's bytes, ready to be written.
    pub bytes: Vec<u8>,
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreReport {
    pub manifest: BackupManifest,
    /// Records the store held before, now replaced (the `meta` tree not counted).
    pub replaced_records: u64,
    /// Records written from the archive (all trees).
    pub restored_records: u64,
    /// The audit chain of the restored store, verified.
    pub audit: AuditVerification,
}

/// Why an archive was refused or could not be restored. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("not a teleconsult backup archive (it does not start with the archive signature)")]
    NotAnArchive,

    #[error("the backup archive is truncated ({0}): copy it again from where it was stored")]
    Truncated(String),

    #[error(
        "the backup archive is corrupt (its SHA-256 checksum does not match its content): copy \
         it again from where it was stored"
    )]
    ChecksumMismatch,

    #[error("the backup archive's manifest is unreadable: {0}")]
    BadManifest(String),

    #[error(
        "the backup archive has format {found}; this version reads format {supported}: \
         restore it with a newer teleconsult"
    )]
    UnsupportedFormat { found: u32, supported: u32 },

    #[error(
        "the backup archive was made with another storage key (archive key id {archive}, this \
         store's key id {store}): set [storage] key_file to the key of the site it came from"
    )]
    ForeignKey { archive: String, store: String },

    #[error(
        "the backup archive failed authentication: its manifest or content was altered after \
         it was written"
    )]
    Inauthentic,

    #[error("the backup archive's content is inconsistent: {0}")]
    Malformed(String),

    #[error(
        "the backup archive holds store format {found}, newer than this version supports \
         ({supported}): upgrade teleconsult before restoring it"
    )]
    NewerStoreFormat { found: u32, supported: u32 },

    #[error(
        "the backup archive holds a tree {0:?} this version does not know: upgrade teleconsult \
         before restoring it"
    )]
    UnknownTree(String),

    #[error(
        "the store already holds {records} records; restoring would replace them all \
         (use --force to replace them)"
    )]
    NotEmpty { records: u64 },

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BackupError {
    /// A stable snake_case code for scripts and the admin protocol.
    pub fn code(&self) -> &'static str {
        match self {
            BackupError::NotAnArchive => "not_an_archive",
            BackupError::Truncated(_) => "archive_truncated",
            BackupError::ChecksumMismatch => "archive_corrupt",
            BackupError::BadManifest(_) => "archive_manifest_unreadable",
            BackupError::UnsupportedFormat { .. } => "archive_format_unsupported",
            BackupError::ForeignKey { .. } => "archive_foreign_key",
            BackupError::Inauthentic => "archive_inauthentic",
            BackupError::Malformed(_) => "archive_malformed",
            BackupError::NewerStoreFormat { .. } => "archive_newer_store_format",
            BackupError::UnknownTree(_) => "archive_unknown_tree",
            BackupError::NotEmpty { .. } => "store_not_empty",
            BackupError::Store(_) => "store_error",
        }
    }
}

/// Reads and checks an archive's structure and checksum, without the key: what `restore`
/// checks first, and what an operator can check on any machine.
pub fn read_manifest(bytes: &[u8]) -> Result<BackupManifest, BackupError> {
    Ok(split_archive(bytes)?.manifest)
}

/// The parts of a structurally valid archive.
struct ArchiveParts<'a> {
    manifest: BackupManifest,
    manifest_bytes: &'a [u8],
    sealed: &'a [u8],
}

fn split_archive(bytes: &[u8]) -> Result<ArchiveParts<'_>, BackupError> {
    let header = MAGIC.len() + 4;
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if bytes.is_empty() {
            BackupError::Truncated("the file is empty".into())
        } else {
            BackupError::NotAnArchive
        });
    }
    if bytes.len() < header {
        return Err(BackupError::Truncated("the header is incomplete".into()));
    }
    let manifest_len = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    if manifest_len > MAX_MANIFEST_BYTES {
        return Err(BackupError::BadManifest(format!(
            "it claims {manifest_len} bytes, more than the {MAX_MANIFEST_BYTES} allowed"
        )));
    }
    let manifest_end = header + manifest_len;
    if bytes.len() < manifest_end {
        return Err(BackupError::Truncated("the manifest is incomplete".into()));
    }
    let manifest_bytes = &bytes[header..manifest_end];
    let manifest: BackupManifest = serde_json::from_slice(manifest_bytes)
        .map_err(|e| BackupError::BadManifest(e.to_string()))?;
    if manifest.archive_format != ARCHIVE_FORMAT {
        return Err(BackupError::UnsupportedFormat {
            found: manifest.archive_format,
            supported: ARCHIVE_FORMAT,
        });
    }
    let sealed_len = usize::try_from(manifest.sealed_bytes)
        .map_err(|_| BackupError::BadManifest("sealed_bytes does not fit in memory".into()))?;
    let expected = manifest_end
        .checked_add(sealed_len)
        .and_then(|n| n.checked_add(TRAILER_BYTES))
        .ok_or_else(|| BackupError::BadManifest("sealed_bytes is out of range".into()))?;
    if bytes.len() < expected {
        return Err(BackupError::Truncated(format!(
            "{} bytes, the manifest announces {expected}",
            bytes.len()
        )));
    }
    if bytes.len() > expected {
        return Err(BackupError::Malformed(format!(
            "{} bytes of unexpected data after the end of the archive",
            bytes.len() - expected
        )));
    }
    let (body, trailer) = bytes.split_at(expected - TRAILER_BYTES);
    if Sha256::digest(body).as_slice() != trailer {
        return Err(BackupError::ChecksumMismatch);
    }
    Ok(ArchiveParts {
        manifest,
        manifest_bytes,
        sealed: &body[manifest_end..],
    })
}

/// A tree's records, in key order.
type Entries = Vec<(IVec, IVec)>;

/// The content of every tree, in [`TreeId::ALL`] order.
type TreeContents = Vec<(TreeId, Entries)>;

impl Store {
    /// A short public identifier of the storage key: a keyed hash, so it says which key an
    /// archive needs without revealing anything about it.
    pub fn key_id(&self) -> String {
        let mac = self
            .inner()
            .crypto
            .blind_index("backup_key_id", "teleconsult storage key id v1");
        hex::encode(&mac[..8])
    }

    /// Records per tree, by tree name (the `meta` tree included).
    pub fn record_counts(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        Ok(TreeId::ALL
            .iter()
            .map(|&id| {
                (
                    id.name().to_owned(),
                    self.inner().trees.raw(id).len() as u64,
                )
            })
            .collect())
    }

    /// Whether the store holds any record besides its metadata (a new store does not).
    pub fn holds_data(&self) -> Result<bool, StoreError> {
        for id in TreeId::ALL {
            if id != TreeId::Meta && !self.inner().trees.raw(id).is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Takes a consistent backup of the whole store (safe while other threads write) and seals
    /// it with the storage key. `site_id` and `created_at` go into the manifest (the store does
    /// not read the clock).
    pub fn backup(
        &self,
        site_id: &str,
        created_at: Timestamp,
    ) -> Result<BackupArchive, StoreError> {
        let inner = &self.inner();
        let contents = with_all_keys(inner, |tx, keys| {
            let mut contents: TreeContents = Vec::with_capacity(keys.len());
            for (&id, keys) in TreeId::ALL.iter().zip(keys) {
                let view = tx.raw(id);
                let mut entries = Vec::with_capacity(keys.len());
                for key in keys {
                    if let Some(value) = view.get(key)? {
                        entries.push((key.clone(), value));
                    }
                }
                contents.push((id, entries));
            }
            Ok(contents)
        })?;
        let store_format_version = contents
            .iter()
            .find(|(id, _)| *id == TreeId::Meta)
            .and_then(|(_, entries)| {
                entries
                    .iter()
                    .find(|(k, _)| k.as_ref() == meta::FORMAT_VERSION_KEY)
            })
            .and_then(|(_, v)| <[u8; 4]>::try_from(v.as_ref()).ok())
            .map_or(FORMAT_VERSION, u32::from_be_bytes);
        let payload = Zeroizing::new(encode_payload(&contents));
        let counts = contents
            .iter()
            .map(|(id, entries)| (id.name().to_owned(), entries.len() as u64))
            .collect();
        let manifest = BackupManifest {
            archive_format: ARCHIVE_FORMAT,
            store_format_version,
            created_at,
            site_id: site_id.to_owned(),
            producer: concat!("teleconsult-store ", env!("CARGO_PKG_VERSION")).to_owned(),
            key_id: self.key_id(),
            counts,
            payload_sha256: hex::encode(Sha256::digest(payload.as_slice())),
            // version byte + nonce + tag, see `crypto.rs`.
            sealed_bytes: (payload.len() + 1 + 24 + 16) as u64,
        };
        let manifest_bytes = serde_json::to_vec(&manifest)
            .map_err(|e| StoreError::Encode(format!("backup manifest: {e}")))?;
        let sealed = inner
            .crypto
            .seal(SEAL_CONTEXT, &manifest_bytes, &payload)
            .map_err(|_| StoreError::Encode("backup too large to encrypt".into()))?;
        if sealed.len() as u64 != manifest.sealed_bytes {
            return Err(StoreError::Encode(format!(
                "sealed backup is {} bytes, expected {}",
                sealed.len(),
                manifest.sealed_bytes
            )));
        }
        let manifest_len = u32::try_from(manifest_bytes.len())
            .map_err(|_| StoreError::Encode("backup manifest too large".into()))?;
        let mut bytes = Vec::with_capacity(
            MAGIC.len() + 4 + manifest_bytes.len() + sealed.len() + TRAILER_BYTES,
        );
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&manifest_len.to_be_bytes());
        bytes.extend_from_slice(&manifest_bytes);
        bytes.extend_from_slice(&sealed);
        let checksum = Sha256::digest(&bytes);
        bytes.extend_from_slice(&checksum);
        Ok(BackupArchive { manifest, bytes })
    }

    /// Checks an archive completely (structure, checksum, key, authenticity, content), then
    /// replaces the whole store with it in one transaction. Refuses a store that holds data
    /// unless `force`. Safe while other threads use the store: they see the old content or the
    /// new one. The restored audit chain is verified before returning.
    pub fn restore(&self, archive: &[u8], force: bool) -> Result<RestoreReport, BackupError> {
        let inner = &self.inner();
        let (manifest, trees) = self.open_archive(archive)?;
        if manifest.store_format_version > FORMAT_VERSION {
            return Err(BackupError::NewerStoreFormat {
                found: manifest.store_format_version,
                supported: FORMAT_VERSION,
            });
        }
        let outcome = with_all_keys(inner, |tx, keys| {
            let mut existing = 0u64;
            for (&id, keys) in TreeId::ALL.iter().zip(keys) {
                if id == TreeId::Meta {
                    continue;
                }
                let view = tx.raw(id);
                for key in keys {
                    if view.get(key)?.is_some() {
                        existing += 1;
                    }
                }
            }
            if existing > 0 && !force {
                return Ok(Err(existing));
            }
            let mut restored = 0u64;
            for ((&id, keys), (_, entries)) in TreeId::ALL.iter().zip(keys).zip(&trees) {
                let view = tx.raw(id);
                let incoming: BTreeSet<&[u8]> = entries.iter().map(|(k, _)| k.as_ref()).collect();
                for key in keys {
                    if !incoming.contains(key.as_ref()) {
                        view.remove(key.as_ref())?;
                    }
                }
                for (key, value) in entries {
                    view.insert(key.as_ref(), value.clone())?;
                    restored += 1;
                }
            }
            Ok(Ok((existing, restored)))
        })?;
        let (replaced_records, restored_records) =
            outcome.map_err(|records| BackupError::NotEmpty { records })?;
        inner.db.flush().map_err(StoreError::from)?;
        meta::check_key(inner)?;
        // The store went back on purpose: the anchor follows it, and a rollback fence (the
        // reason for many a restore) is lifted.
        let head = crate::audit::head_mark(inner)?;
        self.shared()
            .anchor
            .reset(head)
            .map_err(|e| StoreError::Engine(sled::Error::Io(e)))?;
        self.shared().health.clear_rollback();
        if manifest.store_format_version < FORMAT_VERSION {
            meta::run_migrations(
                inner,
                manifest.store_format_version,
                FORMAT_VERSION,
                meta::MIGRATIONS,
            )?;
        }
        let audit = self.verify_audit_chain()?;
        tracing::info!(
            restored_records,
            replaced_records,
            audit_records = audit.records,
            "store restored from a backup"
        );
        Ok(RestoreReport {
            manifest,
            replaced_records,
            restored_records,
            audit,
        })
    }

    /// Verifies everything about an archive that can be verified without writing: structure,
    /// checksum, key, authenticity and content.
    pub fn verify_archive(&self, archive: &[u8]) -> Result<BackupManifest, BackupError> {
        Ok(self.open_archive(archive)?.0)
    }

    /// Checks and decrypts an archive; returns its manifest and its trees in [`TreeId::ALL`]
    /// order (trees absent from the archive are empty).
    fn open_archive(&self, archive: &[u8]) -> Result<(BackupManifest, TreeContents), BackupError> {
        let parts = split_archive(archive)?;
        let key_id = self.key_id();
        if parts.manifest.key_id != key_id {
            return Err(BackupError::ForeignKey {
                archive: parts.manifest.key_id.clone(),
                store: key_id,
            });
        }
        let payload = self
            .inner()
            .crypto
            .open(SEAL_CONTEXT, parts.manifest_bytes, parts.sealed)
            .map_err(|_| BackupError::Inauthentic)?;
        if hex::encode(Sha256::digest(payload.as_slice())) != parts.manifest.payload_sha256 {
            return Err(BackupError::Malformed(
                "the payload does not match the manifest's checksum".into(),
            ));
        }
        let decoded = decode_payload(&payload)?;
        let mut trees: TreeContents = TreeId::ALL.iter().map(|&id| (id, Vec::new())).collect();
        for (name, entries) in decoded {
            let Some(slot) = trees.iter_mut().find(|(id, _)| id.name() == name) else {
                return Err(BackupError::UnknownTree(name));
            };
            slot.1 = entries;
        }
        for (id, entries) in &trees {
            let announced = parts.manifest.count(id.name());
            if announced != entries.len() as u64 {
                return Err(BackupError::Malformed(format!(
                    "tree {} holds {} records, the manifest says {announced}",
                    id.name(),
                    entries.len()
                )));
            }
        }
        if trees
            .iter()
            .find(|(id, _)| *id == TreeId::Meta)
            .is_none_or(|(_, entries)| {
                !entries
                    .iter()
                    .any(|(k, _)| k.as_ref() == meta::KEY_CHECK_KEY)
            })
        {
            return Err(BackupError::Malformed(
                "no key-check record: not a complete store".into(),
            ));
        }
        Ok((parts.manifest, trees))
    }
}

/// `u16 name length | name | u64 entries | (u32 key length | key | u32 value length | value)*`
/// per tree.
fn encode_payload(contents: &TreeContents) -> Vec<u8> {
    let size: usize = contents
        .iter()
        .map(|(id, entries)| {
            10 + id.name().len()
                + entries
                    .iter()
                    .map(|(k, v)| 8 + k.len() + v.len())
                    .sum::<usize>()
        })
        .sum();
    let mut out = Vec::with_capacity(size);
    for (id, entries) in contents {
        let name = id.name().as_bytes();
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&(entries.len() as u64).to_be_bytes());
        for (key, value) in entries {
            out.extend_from_slice(&(key.len() as u32).to_be_bytes());
            out.extend_from_slice(key);
            out.extend_from_slice(&(value.len() as u32).to_be_bytes());
            out.extend_from_slice(value);
        }
    }
    out
}

fn decode_payload(mut input: &[u8]) -> Result<Vec<(String, Entries)>, BackupError> {
    fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], BackupError> {
        if input.len() < n {
            return Err(BackupError::Malformed("the payload ends early".into()));
        }
        let (head, rest) = input.split_at(n);
        *input = rest;
        Ok(head)
    }
    fn number<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], BackupError> {
        let bytes = take(input, N)?;
        <[u8; N]>::try_from(bytes).map_err(|_| BackupError::Malformed("bad length".into()))
    }
    let mut trees = Vec::new();
    while !input.is_empty() {
        let name_len = u16::from_be_bytes(number::<2>(&mut input)?) as usize;
        let name = std::str::from_utf8(take(&mut input, name_len)?)
            .map_err(|_| BackupError::Malformed("a tree name is not UTF-8".into()))?
            .to_owned();
        if trees.iter().any(|(n, _)| *n == name) {
            return Err(BackupError::Malformed(format!("tree {name} appears twice")));
        }
        let count = u64::from_be_bytes(number::<8>(&mut input)?);
        let mut entries = Vec::new();
        for _ in 0..count {
            let key_len = u32::from_be_bytes(number::<4>(&mut input)?) as usize;
            let key = IVec::from(take(&mut input, key_len)?);
            let value_len = u32::from_be_bytes(number::<4>(&mut input)?) as usize;
            let value = IVec::from(take(&mut input, value_len)?);
            entries.push((key, value));
        }
        trees.push((name, entries));
    }
    Ok(trees)
}

#[cfg(test)]
#[path = "backup_tests.rs"]
mod tests;
