//! Sealed records, as in the sled adapter: JSON, sealed by `teleconsult-seal` for its place
//! (the table's name, which is the sled tree's, and the record key, which is the sled key), so
//! a record moves between the adapters unchanged.

use serde::Serialize;
use serde::de::DeserializeOwned;
use teleconsult_seal::Crypto;
use zeroize::Zeroizing;

use crate::error::PgError;
use crate::sql::Cached;

pub(crate) fn seal<T: Serialize>(
    crypto: &Crypto,
    table: &str,
    key: &[u8],
    value: &T,
) -> Result<Vec<u8>, PgError> {
    let plain = Zeroizing::new(
        serde_json::to_vec(value)
            .map_err(|e| PgError::Encode(format!("{table} record: {:?}", e.classify())))?,
    );
    crypto
        .seal(table, key, &plain)
        .map_err(|_| PgError::Encode(format!("{table} record too large to encrypt")))
}

/// Errors name the table and key, never the content (serde's messages may quote values).
pub(crate) fn open<T: DeserializeOwned>(
    crypto: &Crypto,
    table: &str,
    key: &[u8],
    sealed: &[u8],
) -> Result<T, PgError> {
    let plain = crypto
        .open(table, key, sealed)
        .map_err(|e| PgError::Corrupt(format!("{table}/{}: {e}", hex::encode(key))))?;
    serde_json::from_slice(&plain).map_err(|e| {
        PgError::Corrupt(format!(
            "{table}/{}: does not decode ({:?})",
            hex::encode(key),
            e.classify()
        ))
    })
}

const KEY_CHECK: &str = "key_check";
const KEY_CHECK_VALUE: &str = "teleconsult storage key check v1";

/// The first daemon writes a sealed known value; every later start must open it with its key.
pub(crate) async fn check_key(
    client: &deadpool_postgres::Client,
    crypto: &Crypto,
) -> Result<(), PgError> {
    let sealed = seal(crypto, "meta", KEY_CHECK.as_bytes(), &KEY_CHECK_VALUE)?;
    client
        .exec(
            "INSERT INTO meta (key, sealed) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&KEY_CHECK, &sealed],
        )
        .await?;
    let row = client
        .one("SELECT sealed FROM meta WHERE key = $1", &[&KEY_CHECK])
        .await?;
    let stored: Vec<u8> = row.try_get(0)?;
    match open::<String>(crypto, "meta", KEY_CHECK.as_bytes(), &stored) {
        Ok(value) if value == KEY_CHECK_VALUE => Ok(()),
        _ => Err(PgError::KeyMismatch),
    }
}
