//! The outbox port (`SyncStore`) on PostgreSQL, for several daemons on one database: an entry
//! is leased to one worker at a time, per aggregate and per patient in order
//! (`teleconsult_core::ports::outbox::LeaseRule`, applied here in id order).
//!
//! A lease call, in one transaction: (1) reads the head of the outbox without locking it, so
//! every entry is seen; (2) locks those entries with `FOR UPDATE SKIP LOCKED` — an entry
//! another daemon is leasing at this very moment is skipped, not waited for — and reads their
//! leases as committed now; (3) feeds them to the rule in id order, an entry it could not lock
//! counting as leased to another holder (so the later entries of its aggregate and patient are
//! held back too, never sent out of order); (4) writes the leases it took.

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::outbox::{
    Held, LeaseRule, Parking, QueuedMessage, SyncStore, Verdict,
};

use crate::error::PgError;
use crate::sql::Cached;
use crate::{PgStore, from_sql_time, sealed, sql_time};

/// How many head entries a lease call looks at, per entry it may take (entries held back by
/// other holders' leases are passed over within this window).
const SCAN_PER_TAKE: usize = 16;
const SCAN_MIN: usize = 256;
/// An entry another daemon is leasing right now (locked): held by someone else.
const LOCKED_ELSEWHERE: &str = "\u{0}locked by another daemon";

fn id_of(id: u64) -> Result<i64, PgError> {
    i64::try_from(id).map_err(|_| PgError::Encode("outbox id beyond i64".into()))
}

fn place(id: i64) -> Result<[u8; 8], PgError> {
    u64::try_from(id)
        .map(u64::to_be_bytes)
        .map_err(|_| PgError::Corrupt("negative outbox id".into()))
}

fn time(t: std::time::SystemTime) -> Result<Timestamp, PgError> {
    from_sql_time(t).ok_or_else(|| PgError::Corrupt("outbox: time out of range".into()))
}

/// [`Parking`] as sealed (the platform's answer may quote content).
#[derive(Serialize, Deserialize)]
struct StoredParking {
    at: Timestamp,
    status: u16,
    reason: String,
    outcome: serde_json::Value,
}

impl SyncStore for PgStore {
    fn lease(
        &self,
        holder: &str,
        limit: usize,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<QueuedMessage>, RepositoryError> {
        let holder = holder.to_owned();
        self.run(move |inner| async move {
            let scan = i64::try_from(limit.saturating_mul(SCAN_PER_TAKE).max(SCAN_MIN))
                .unwrap_or(i64::MAX);
            let mut object = inner.client().await?;
            let tx = object.transaction().await?;
            let head = tx
                .all(
                    "SELECT id, enqueued_at, attempts, sealed FROM outbox ORDER BY id LIMIT $1",
                    &[&scan],
                )
                .await?;
            let ids: Vec<i64> = head
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            let locked = tx
                .all(
                    "SELECT id, leased_by, leased_until FROM outbox WHERE id = ANY($1) \
                     ORDER BY id FOR UPDATE SKIP LOCKED",
                    &[&ids],
                )
                .await?;
            let mut leases = std::collections::HashMap::new();
            for row in &locked {
                let id: i64 = row.try_get(0)?;
                let by: Option<String> = row.try_get(1)?;
                let until: Option<std::time::SystemTime> = row.try_get(2)?;
                leases.insert(id, (by, until.map(time).transpose()?));
            }
            let mut rule = LeaseRule::new(&holder, now, limit);
            let mut taken = Vec::new();
            for row in &head {
                let id: i64 = row.try_get(0)?;
                let bytes: Vec<u8> = row.try_get(3)?;
                let message: OutboxMessage =
                    sealed::open(&inner.crypto, "outbox", &place(id)?, &bytes)?;
                let held = match leases.get(&id) {
                    // Acknowledged or being leased by another daemon since the read above.
                    None => Some(Held {
                        holder: LOCKED_ELSEWHERE,
                        until: Timestamp::MAX,
                    }),
                    Some((Some(by), Some(until))) => Some(Held {
                        holder: by.as_str(),
                        until: *until,
                    }),
                    Some(_) => None,
                };
                match rule.offer(&message, held) {
                    Verdict::Take => {
                        let enqueued_at: std::time::SystemTime = row.try_get(1)?;
                        let attempts: i32 = row.try_get(2)?;
                        taken.push(QueuedMessage {
                            id: u64::try_from(id)
                                .map_err(|_| PgError::Corrupt("negative outbox id".into()))?,
                            message,
                            enqueued_at: time(enqueued_at)?,
                            attempts: u32::try_from(attempts).unwrap_or(0),
                        });
                    }
                    Verdict::Skip => {}
                    Verdict::Stop => break,
                }
            }
            let taken_ids = taken
                .iter()
                .map(|m| id_of(m.id))
                .collect::<Result<Vec<_>, _>>()?;
            if !taken_ids.is_empty() {
                tx.exec(
                    "UPDATE outbox SET leased_by = $1, leased_until = $2 WHERE id = ANY($3)",
                    &[&holder, &sql_time(until), &taken_ids],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(taken)
        })
    }

    fn release(&self, holder: &str) -> Result<u64, RepositoryError> {
        let holder = holder.to_owned();
        self.run(move |inner| async move {
            let object = inner.client().await?;
            Ok(object
                .exec(
                    "UPDATE outbox SET leased_by = NULL, leased_until = NULL WHERE leased_by = $1",
                    &[&holder],
                )
                .await?)
        })
    }

    fn ack(&self, id: u64) -> Result<(), RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            object
                .exec("DELETE FROM outbox WHERE id = $1", &[&id_of(id)?])
                .await?;
            Ok(())
        })
    }

    fn record_attempt(&self, id: u64) -> Result<Option<u32>, RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let row = object
                .opt(
                    "UPDATE outbox SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
                    &[&id_of(id)?],
                )
                .await?;
            Ok(match row {
                Some(row) => Some(u32::try_from(row.try_get::<_, i32>(0)?).unwrap_or(0)),
                None => None,
            })
        })
    }

    fn park(&self, id: u64, parking: &Parking) -> Result<(), RepositoryError> {
        let key = id.to_be_bytes();
        let sealed = sealed::seal(
            &self.inner.crypto,
            "outbox_parked",
            &key,
            &StoredParking {
                at: parking.at,
                status: parking.status,
                reason: parking.reason.clone(),
                outcome: parking.outcome.clone(),
            },
        )?;
        let at = sql_time(parking.at);
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let tx = object.transaction().await?;
            // One statement: the entry leaves the outbox and is parked, or neither (absent).
            tx.exec(
                "WITH moved AS (DELETE FROM outbox WHERE id = $1 \
                   RETURNING id, aggregate, enqueued_at, attempts, sealed) \
                 INSERT INTO outbox_parked (id, aggregate, enqueued_at, attempts, parked_at, message, parking) \
                 SELECT id, aggregate, enqueued_at, attempts, $2, sealed, $3 FROM moved",
                &[&id_of(id)?, &at, &sealed],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn pending_len(&self) -> Result<u64, RepositoryError> {
        self.count("SELECT count(*) FROM outbox")
    }

    fn parked_len(&self) -> Result<u64, RepositoryError> {
        self.count("SELECT count(*) FROM outbox_parked")
    }

    fn parked_aggregates(&self) -> Result<Vec<String>, RepositoryError> {
        self.run(|inner| async move {
            let object = inner.client().await?;
            let rows = object
                .all(
                    "SELECT DISTINCT aggregate FROM outbox_parked ORDER BY aggregate",
                    &[],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?)
        })
    }

    fn cursor(&self, name: &str) -> Result<Option<Timestamp>, RepositoryError> {
        let name = name.to_owned();
        self.run(move |inner| async move {
            let object = inner.client().await?;
            match object
                .opt("SELECT at FROM sync_cursors WHERE name = $1", &[&name])
                .await?
            {
                Some(row) => Ok(Some(time(row.try_get(0)?)?)),
                None => Ok(None),
            }
        })
    }

    fn set_cursor(&self, name: &str, at: Timestamp) -> Result<(), RepositoryError> {
        let name = name.to_owned();
        self.run(move |inner| async move {
            let object = inner.client().await?;
            object
                .exec(
                    "INSERT INTO sync_cursors (name, at) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET at = EXCLUDED.at",
                    &[&name, &sql_time(at)],
                )
                .await?;
            Ok(())
        })
    }
}

impl PgStore {
    fn count(&self, query: &'static str) -> Result<u64, RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let count: i64 = object.one(query, &[]).await?.try_get(0)?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }
}
