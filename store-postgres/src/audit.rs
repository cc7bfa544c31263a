//! The audit chain on PostgreSQL: table `audit` (`seq`, the record's JSON exactly as hashed),
//! the same links as the sled adapter's (`teleconsult_seal::chain`), one chain for every daemon
//! of the site. A transaction appends its records last, after taking the chain's advisory lock
//! (held to its commit): the sequence has no gaps and no two daemons link to the same record.
//! The head `{seq, hash}` is sealed in `meta`, so a chain rewritten in the database without the
//! key is detected.

use serde::{Deserialize, Serialize};
use teleconsult_core::audit::AuditEvent;
use teleconsult_seal::Crypto;
use teleconsult_seal::chain::{GENESIS_HASH, chain_hash, decode_hash};
use tokio_postgres::GenericClient;

use crate::error::PgError;
use crate::sealed;

/// `pg_advisory_xact_lock` key of the chain.
const AUDIT_LOCK: i64 = 0x7465_6c65_636f_0002;
const HEAD: &str = "audit_head";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Head {
    pub seq: u64,
    pub hash: String,
}

/// The stored record: the event as a JSON value, so verification hashes what was written.
#[derive(Serialize, Deserialize)]
struct RawRecord {
    seq: u64,
    event: serde_json::Value,
    prev_hash: String,
    hash: String,
}

pub(crate) async fn initialise(
    client: &impl GenericClient,
    crypto: &Crypto,
) -> Result<(), PgError> {
    let genesis = Head {
        seq: 0,
        hash: hex::encode(GENESIS_HASH),
    };
    let sealed = sealed::seal(crypto, "meta", HEAD.as_bytes(), &genesis)?;
    client
        .execute(
            "INSERT INTO meta (key, sealed) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&HEAD, &sealed],
        )
        .await?;
    Ok(())
}

pub(crate) async fn head(client: &impl GenericClient, crypto: &Crypto) -> Result<Head, PgError> {
    let row = client
        .query_opt("SELECT sealed FROM meta WHERE key = $1", &[&HEAD])
        .await?
        .ok_or_else(|| PgError::Corrupt("meta/audit_head is missing".into()))?;
    let stored: Vec<u8> = row.try_get(0)?;
    sealed::open(crypto, "meta", HEAD.as_bytes(), &stored)
}

/// Appends `events` in order inside the caller's transaction; returns the last sequence
/// number. Call it last in the transaction: the chain's lock is held until the commit.
pub(crate) async fn append(
    tx: &tokio_postgres::Transaction<'_>,
    crypto: &Crypto,
    events: &[&AuditEvent],
) -> Result<u64, PgError> {
    if events.is_empty() {
        return Ok(head(tx, crypto).await?.seq);
    }
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
        .await?;
    let Head { mut seq, hash } = head(tx, crypto).await?;
    let mut prev = decode_hash(&hash)
        .ok_or_else(|| PgError::Corrupt("meta/audit_head hash is not hex".into()))?;
    let mut prev_hash = hash;
    let insert = tx
        .prepare("INSERT INTO audit (seq, record) VALUES ($1, $2)")
        .await?;
    for event in events {
        seq += 1;
        let event = serde_json::to_value(event)
            .map_err(|e| PgError::Encode(format!("audit event: {:?}", e.classify())))?;
        let link = chain_hash(&prev, &event, seq);
        let hash = hex::encode(link);
        let record = RawRecord {
            seq,
            event,
            prev_hash,
            hash: hash.clone(),
        };
        let bytes = serde_json::to_vec(&record)
            .map_err(|e| PgError::Encode(format!("audit record: {:?}", e.classify())))?;
        tx.execute(&insert, &[&to_i64(seq)?, &bytes]).await?;
        prev = link;
        prev_hash = hash;
    }
    let sealed = sealed::seal(
        crypto,
        "meta",
        HEAD.as_bytes(),
        &Head {
            seq,
            hash: prev_hash,
        },
    )?;
    tx.execute(
        "UPDATE meta SET sealed = $2 WHERE key = $1",
        &[&HEAD, &sealed],
    )
    .await?;
    Ok(seq)
}

/// Records `events` on their own, in a transaction of their own.
pub(crate) async fn record(
    client: &mut tokio_postgres::Client,
    crypto: &Crypto,
    events: &[&AuditEvent],
) -> Result<(), PgError> {
    let tx = client.transaction().await?;
    append(&tx, crypto, events).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks every link from 1 to the sealed head; returns the number of records.
pub(crate) async fn verify(client: &impl GenericClient, crypto: &Crypto) -> Result<u64, PgError> {
    let head = head(client, crypto).await?;
    let broken = |seq: u64, why: &str| {
        PgError::Corrupt(format!("audit chain broken at record {seq}: {why}"))
    };
    let mut prev = GENESIS_HASH;
    let mut expected = 1u64;
    // In pages, so a long chain is not held in memory at once.
    loop {
        let rows = client
            .query(
                "SELECT seq, record FROM audit WHERE seq >= $1 ORDER BY seq LIMIT 1000",
                &[&to_i64(expected)?],
            )
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let seq: i64 = row.try_get(0)?;
            if u64::try_from(seq).ok() != Some(expected) {
                return Err(broken(expected, "missing"));
            }
            let bytes: Vec<u8> = row.try_get(1)?;
            let record: RawRecord =
                serde_json::from_slice(&bytes).map_err(|_| broken(expected, "does not decode"))?;
            if record.seq != expected || decode_hash(&record.prev_hash) != Some(prev) {
                return Err(broken(expected, "does not link to the previous record"));
            }
            let computed = chain_hash(&prev, &record.event, expected);
            if decode_hash(&record.hash) != Some(computed) {
                return Err(broken(expected, "hash does not match its content"));
            }
            prev = computed;
            expected += 1;
        }
    }
    let records = expected - 1;
    if records != head.seq || decode_hash(&head.hash) != Some(prev) {
        return Err(PgError::Corrupt(format!(
            "audit chain has {records} records, its sealed head says {}",
            head.seq
        )));
    }
    Ok(records)
}

fn to_i64(seq: u64) -> Result<i64, PgError> {
    i64::try_from(seq).map_err(|_| PgError::Corrupt("audit sequence beyond i64".into()))
}
