//! The audit chain on PostgreSQL: table `audit` (`seq`, the record's JSON exactly as hashed),
//! the same links as the sled adapter's (`teleconsult_seal::chain`), one chain for every daemon
//! of the site.
//!
//! A change writes its audit events in its own transaction, into `audit_pending`: committed
//! with the change or not at all, and without waiting for any other transaction. Linking them
//! into the chain is the chainer's work ([`chain`]): one daemon at a time (the chain's advisory
//! lock), in batches, in the order the events were queued — so bookings commit in parallel
//! (PostgreSQL's group commit) instead of one after the other behind the chain's head. Every
//! daemon runs a chainer; a daemon that dies leaves its events pending for the others. Counting
//! or verifying the chain links what is pending first.
//!
//! The head `{seq, hash}` is sealed in `meta`, so a chain rewritten in the database without the
//! key is detected.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Transaction};
use serde::{Deserialize, Serialize};
use teleconsult_core::audit::AuditEvent;
use teleconsult_seal::Crypto;
use teleconsult_seal::chain::{End, GENESIS_HASH, decode_hash};

use crate::sql::Cached;

use crate::error::PgError;
use crate::sealed;

/// `pg_advisory_xact_lock` key of the chain.
const AUDIT_LOCK: i64 = 0x7465_6c65_636f_0002;
const HEAD: &str = "audit_head";
/// Events linked per transaction of the chainer.
const BATCH: i64 = 500;
/// How often a daemon's chainer looks for pending events.
const TICK: Duration = Duration::from_millis(20);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Head {
    pub seq: u64,
    pub hash: String,
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
        .exec(
            "INSERT INTO meta (key, sealed) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&HEAD, &sealed],
        )
        .await?;
    Ok(())
}

pub(crate) async fn head(client: &impl GenericClient, crypto: &Crypto) -> Result<Head, PgError> {
    let row = client
        .opt("SELECT sealed FROM meta WHERE key = $1", &[&HEAD])
        .await?
        .ok_or_else(|| PgError::Corrupt("meta/audit_head is missing".into()))?;
    let stored: Vec<u8> = row.try_get(0)?;
    sealed::open(crypto, "meta", HEAD.as_bytes(), &stored)
}

/// Writes `events`, in order, inside the caller's transaction (one statement).
pub(crate) async fn append(tx: &Transaction<'_>, events: &[&AuditEvent]) -> Result<(), PgError> {
    if events.is_empty() {
        return Ok(());
    }
    let encoded = events
        .iter()
        .map(|event| {
            serde_json::to_vec(event)
                .map_err(|e| PgError::Encode(format!("audit event: {:?}", e.classify())))
        })
        .collect::<Result<Vec<Vec<u8>>, PgError>>()?;
    tx.exec(
        "INSERT INTO audit_pending (event) SELECT e FROM unnest($1::bytea[]) WITH ORDINALITY AS t(e, n) ORDER BY n",
        &[&encoded],
    )
    .await?;
    Ok(())
}

/// Records `events` on their own, in a transaction of their own.
pub(crate) async fn record(
    client: &mut deadpool_postgres::ClientWrapper,
    events: &[&AuditEvent],
) -> Result<(), PgError> {
    let tx = client.transaction().await?;
    append(&tx, events).await?;
    tx.commit().await?;
    Ok(())
}

/// Links pending events into the chain, one batch; returns how many. `wait`: wait for another
/// daemon's chainer to finish (else give up at once when it holds the chain).
pub(crate) async fn chain(
    client: &mut deadpool_postgres::ClientWrapper,
    crypto: &Crypto,
    wait: bool,
) -> Result<usize, PgError> {
    let tx = client.transaction().await?;
    if wait {
        tx.exec("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
            .await?;
    } else {
        let locked: bool = tx
            .one("SELECT pg_try_advisory_xact_lock($1)", &[&AUDIT_LOCK])
            .await?
            .try_get(0)?;
        if !locked {
            return Ok(0);
        }
    }
    let pending = tx
        .all(
            "SELECT id, event FROM audit_pending ORDER BY id LIMIT $1",
            &[&BATCH],
        )
        .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let Head { seq, hash } = head(&tx, crypto).await?;
    let hash = decode_hash(&hash)
        .ok_or_else(|| PgError::Corrupt("meta/audit_head hash is not hex".into()))?;
    let mut end = End { seq, hash };
    // Hashing a batch is CPU work: off the runtime's workers, which carry every request's
    // queries (a batch on a worker showed as latency in the bookings' tail).
    let (ids, seqs, records) = tokio::task::block_in_place(|| {
        let (mut ids, mut seqs, mut records) = (Vec::new(), Vec::new(), Vec::new());
        for row in &pending {
            let id: i64 = row.try_get(0)?;
            let bytes: Vec<u8> = row.try_get(1)?;
            let event: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|_| PgError::Corrupt(format!("audit_pending/{id} does not decode")))?;
            let (seq, record) = end
                .append(event)
                .map_err(|e| PgError::Encode(format!("audit record: {:?}", e.classify())))?;
            records.push(record);
            seqs.push(to_i64(seq)?);
            ids.push(id);
        }
        Ok::<_, PgError>((ids, seqs, records))
    })?;
    tx.exec(
        "INSERT INTO audit (seq, record) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
        &[&seqs, &records],
    )
    .await?;
    tx.exec("DELETE FROM audit_pending WHERE id = ANY($1)", &[&ids])
        .await?;
    let sealed = sealed::seal(
        crypto,
        "meta",
        HEAD.as_bytes(),
        &Head {
            seq: end.seq,
            hash: hex::encode(end.hash),
        },
    )?;
    tx.exec(
        "UPDATE meta SET sealed = $2 WHERE key = $1",
        &[&HEAD, &sealed],
    )
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Links everything pending now (waiting for other daemons' chainers).
pub(crate) async fn chain_all(
    client: &mut deadpool_postgres::ClientWrapper,
    crypto: &Crypto,
) -> Result<(), PgError> {
    while chain(client, crypto, true).await? > 0 {}
    Ok(())
}

/// The daemon's chainer: runs on the adapter's runtime until it stops.
pub(crate) async fn chainer(pool: deadpool_postgres::Pool, crypto: Arc<Crypto>) {
    let mut failing = false;
    loop {
        let linked = async {
            let mut object = pool.get().await.map_err(PgError::pool)?;
            let client: &mut deadpool_postgres::ClientWrapper = &mut object;
            chain(client, &crypto, false).await
        }
        .await;
        match linked {
            Ok(n) => {
                if failing {
                    tracing::info!("audit chainer: linking again");
                    failing = false;
                }
                if n > 0 {
                    // More may be waiting: go on at once.
                    continue;
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "audit chainer: cannot link pending audit events; retrying");
                    failing = true;
                }
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Checks every link from 1 to the sealed head; returns the number of records.
pub(crate) async fn verify(client: &impl GenericClient, crypto: &Crypto) -> Result<u64, PgError> {
    let head = head(client, crypto).await?;
    let broken = |seq: u64, why: &str| {
        PgError::Corrupt(format!("audit chain broken at record {seq}: {why}"))
    };
    let mut end = End::GENESIS;
    // In pages, so a long chain is not held in memory at once.
    loop {
        let rows = client
            .all(
                "SELECT seq, record FROM audit WHERE seq > $1 ORDER BY seq LIMIT 1000",
                &[&to_i64(end.seq)?],
            )
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let expected = end.seq + 1;
            let seq: i64 = row.try_get(0)?;
            if u64::try_from(seq).ok() != Some(expected) {
                return Err(broken(expected, "missing"));
            }
            let bytes: Vec<u8> = row.try_get(1)?;
            end.follow(&bytes).map_err(|why| broken(expected, &why))?;
        }
    }
    let records = end.seq;
    if records != head.seq || decode_hash(&head.hash) != Some(end.hash) {
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
