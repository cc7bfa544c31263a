//! The adapter's error, and the one place that maps it to the domain's [`RepositoryError`].
//! Messages say what to do and never carry a stored value: PostgreSQL's own messages may quote
//! a row (a unique violation's `DETAIL`), so only their codes and constraint names are kept.

use teleconsult_core::ports::RepositoryError;
use tokio_postgres::error::SqlState;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// `[storage.postgres]` is not usable (URL, CA file).
    #[error("PostgreSQL settings: {0}")]
    Config(String),
    /// No connection could be had (server down, failover in progress, pool exhausted).
    #[error("PostgreSQL unavailable: {0}")]
    Unavailable(String),
    /// The schema could not be brought to this version, or is from another one.
    #[error("PostgreSQL schema: {0}")]
    Migration(String),
    /// The database's records were sealed with another key.
    #[error(
        "the storage key does not match the PostgreSQL database: its records were sealed with \
         another key (check [storage] key_file; every daemon of a site uses the same key)"
    )]
    KeyMismatch,
    /// A query failed (code and constraint only).
    #[error("PostgreSQL: {0}")]
    Query(String),
    /// Stored bytes do not open or decode.
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    /// A value could not be encoded or sealed.
    #[error("cannot encode: {0}")]
    Encode(String),
    /// The adapter's runtime failed.
    #[error("database runtime: {0}")]
    Runtime(String),
    /// A refusal of the domain (slot taken, quota...), passed through.
    #[error(transparent)]
    Refused(#[from] RepositoryError),
}

impl PgError {
    pub(crate) fn pool(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => Self::from(e),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// The constraint a unique violation broke.
pub(crate) fn violated(e: &tokio_postgres::Error) -> Option<&str> {
    let db = e.as_db_error()?;
    (db.code() == &SqlState::UNIQUE_VIOLATION).then(|| db.constraint())?
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        let Some(db) = e.as_db_error() else {
            // No answer from the server: the connection is gone (server down, failover).
            return Self::Unavailable(if e.is_closed() {
                "connection closed".to_owned()
            } else {
                "no answer from the server".to_owned()
            });
        };
        let code = db.code();
        let class = &code.code()[..2];
        // 08: connection exception; 57P0x: shutdown; 25006: a standby (read-only) answered;
        // 53: insufficient resources.
        if class == "08"
            || class == "53"
            || class == "57"
            || code == &SqlState::READ_ONLY_SQL_TRANSACTION
        {
            return Self::Unavailable(format!("server answered {}", code.code()));
        }
        if code == &SqlState::T_R_SERIALIZATION_FAILURE || code == &SqlState::T_R_DEADLOCK_DETECTED
        {
            return Self::Refused(RepositoryError::Conflict(format!(
                "concurrent change ({})",
                code.code()
            )));
        }
        Self::Query(match db.constraint() {
            Some(constraint) => format!("{} on {constraint}", code.code()),
            None => format!("{} in {}", code.code(), db.routine().unwrap_or("a query")),
        })
    }
}

impl From<PgError> for RepositoryError {
    fn from(e: PgError) -> Self {
        match e {
            PgError::Refused(refused) => refused,
            PgError::Unavailable(m) => RepositoryError::Unavailable(m),
            PgError::Corrupt(m) => RepositoryError::Corrupt(m),
            other => RepositoryError::Unavailable(other.to_string()),
        }
    }
}
