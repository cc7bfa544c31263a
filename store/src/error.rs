//! The one error type of the crate, and the single place that maps it to the domain's
//! [`RepositoryError`]. Messages say what to do; none carries a stored value (health data).

use std::path::PathBuf;

use teleconsult_core::ports::RepositoryError;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "storage key file {path} does not exist; create one with: \
         install -m 600 /dev/null {path} && head -c 32 /dev/urandom > {path}"
    )]
    KeyFileMissing { path: PathBuf },

    #[error(
        "storage key file {path} is readable by group or others (mode {mode:04o}); \
         restrict it with: chmod 600 {path}"
    )]
    KeyFilePermissions { path: PathBuf, mode: u32 },

    #[error(
        "storage key file {path} is not a valid key ({reason}); it must hold 32 random bytes \
         or 64 hex characters"
    )]
    KeyFileInvalid { path: PathBuf, reason: String },

    #[error("storage key file {path} already exists; refusing to overwrite a key")]
    KeyFileExists { path: PathBuf },

    #[error("storage key file {path}: {source}")]
    KeyFileIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

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
}

impl From<StoreError> for RepositoryError {
    fn from(error: StoreError) -> Self {
        match error {
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
            | StoreError::AuditChainBroken { .. } => RepositoryError::Corrupt(error.to_string()),
            other => RepositoryError::Unavailable(other.to_string()),
        }
    }
}
