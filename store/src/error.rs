//! The one error type of the crate, and the single place that maps it to the domain's
//! [`RepositoryError`]. Messages say what to do; none carries a stored value (health data).

use std::path::PathBuf;

use teleconsult_core::ports::RepositoryError;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage key file is missing, unreadable or unsafe.
    #[error(transparent)]
    Key(#[from] teleconsult_seal::KeyError),

    #[error("storage directory {path}: {source}")]
    DirIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "store at {path} is locked by another process: is teleconsultd already running? \
         (stop it, or use teleconsultctl which talks to the running daemon)"
    )]
    Locked { path: PathBuf },

    #[error("cannot open store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },

    #[error(
        "the storage key does not match the store at {path}: it was created with another key; \
         point [storage] key_file at the key used when the store was created"
    )]
    WrongKey { path: PathBuf },

    #[error(
        "store at {path} was written by a newer teleconsult (format version {found}, this build \
         supports up to {supported}): upgrade teleconsult, or restore a backup made by this version"
    )]
    NewerFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error(
        "store at {path} has format version {found} and no migration leads from it to {target}"
    )]
    NoMigration {
        path: PathBuf,
        found: u32,
        target: u32,
    },

    #[error("storage engine error: {0} (check free disk space and the filesystem)")]
    Engine(#[from] sled::Error),

    /// Stored bytes do not decrypt or decode. The message names the tree and record key only.
    #[error("stored data unreadable: {0}")]
    Corrupt(String),

    #[error("cannot encode record: {0}")]
    Encode(String),

    /// A uniqueness rule was violated (which one is said, never the value).
    #[error("{0} already exists")]
    AlreadyExists(&'static str),

    /// The slot already has a booking.
    #[error("slot already booked")]
    SlotTaken,

    /// A quota of the account (or appointment) is reached: nothing was written.
    #[error("{0}")]
    QuotaExceeded(teleconsult_core::quota::QuotaExceeded),

    /// The booth's cabin holds another open session (one cabin, one session).
    #[error("the cabin is in use by booth session {0}")]
    CabinBusy(teleconsult_core::booth::BoothSessionId),

    /// The record an update or a single-use step needs is not (or no longer) there.
    #[error("no such {0}")]
    NotFound(&'static str),

    #[error("audit chain broken at record {seq}: {reason}")]
    AuditChainBroken { seq: u64, reason: String },

    /// The store is behind its audit anchor (see `anchor.rs`): acknowledged data was lost.
    #[error("{0}")]
    RolledBack(Box<crate::health::Rollback>),

    /// The storage engine does not complete its writes (see `flusher.rs`); `full`: the storage
    /// filesystem is full, the known cause.
    #[error(
        "the storage engine does not complete its writes{}",
        if *full { ": the storage filesystem is full" } else { "" }
    )]
    Jammed { full: bool },

    /// A re-open could not take the database (see [`crate::Store::reopen`]).
    #[error("the store is busy: {0}")]
    Busy(String),

    /// A file refused to keep the storage reserve (see `space.rs`).
    #[error(
        "not enough free space on the storage filesystem for this file: {available_mb} MB free, \
         {reserve_mb} MB are kept for appointments, documents and the audit trail; ask the \
         site's administrator to free space"
    )]
    ReserveReached { available_mb: u64, reserve_mb: u64 },

    /// The storage engine could not read the store's files.
    #[error(
        "the store at {path} is damaged ({reason}): restore the latest backup with \
         `teleconsultctl restore --force FILE` (the damaged files are set aside, not deleted)"
    )]
    Damaged { path: PathBuf, reason: String },
}

impl StoreError {
    /// The filesystem of the store is full (or the quota reached): writes fail.
    pub fn is_storage_full(&self) -> bool {
        match self {
            StoreError::Engine(sled::Error::Io(io)) => matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            ),
            StoreError::Jammed { full } => *full,
            _ => false,
        }
    }
}

impl From<StoreError> for RepositoryError {
    fn from(error: StoreError) -> Self {
        if error.is_storage_full() {
            return RepositoryError::StorageFull(error.to_string());
        }
        match error {
            StoreError::RolledBack(_) => RepositoryError::RolledBack(error.to_string()),
            StoreError::ReserveReached { .. } => {
                RepositoryError::InsufficientStorage(error.to_string())
            }
            StoreError::AlreadyExists(what) => RepositoryError::AlreadyExists(what),
            StoreError::NotFound(what) => RepositoryError::NotFound(what),
            StoreError::SlotTaken => RepositoryError::SlotTaken,
            StoreError::QuotaExceeded(e) => RepositoryError::QuotaExceeded(e),
            StoreError::CabinBusy(open) => RepositoryError::CabinBusy(open),
            StoreError::Engine(sled::Error::Corruption { .. })
            | StoreError::Corrupt(_)
            | StoreError::WrongKey { .. }
            | StoreError::NewerFormat { .. }
            | StoreError::NoMigration { .. }
            | StoreError::Damaged { .. }
            | StoreError::AuditChainBroken { .. } => RepositoryError::Corrupt(error.to_string()),
            other => RepositoryError::Unavailable(other.to_string()),
        }
    }
}
