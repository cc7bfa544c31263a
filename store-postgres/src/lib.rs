//! # teleconsult-store-postgres — the PostgreSQL adapter
//!
//! The same ports of `teleconsult-core` as the sled adapter, on PostgreSQL, for a site that
//! outgrows one box: several daemons on one database, high availability by PostgreSQL's own
//! replication (DESIGN §5). Health data is sealed by the application with `teleconsult-seal`
//! exactly as with sled — the database sees ciphertext, blind indexes and the ids, times and
//! states its constraints need.
//!
//! - `connect.rs`: the libpq URL (multi-host, `target_session_attrs=read-write`), TLS through
//!   rustls, the pool.
//! - `migrations/`: the schema, versioned; [`PgStore::open`] applies what is missing under an
//!   advisory lock (several daemons may start at once) and refuses a database that has a
//!   migration this binary does not know or one that differs from its own.
//! - `bridge.rs`: the ports are synchronous (the sled adapter blocks on its disk); this adapter
//!   runs its queries on a runtime of its own and blocks the calling thread — never a thread of
//!   the caller's runtime's async workers when called, as the ports are, from blocking threads.
//! - `audit.rs`: the audit chain, one chain for every daemon: events committed with their
//!   change, linked in batches by one daemon's chainer at a time (an advisory lock).
//! - `booking.rs`, `repo.rs`: the `BookingStore` and `Repository` ports; `appointments.rs`:
//!   changes of an appointment decided on it as stored (the caller's closure, over channels,
//!   while the row is locked).
//!
//! **Architecture invariants**: uniqueness by constraints (one booking per slot, one session in
//! the cabin, one patient per national id), never by a read then a write; every write that
//! returns `Ok` is committed (PostgreSQL's `synchronous_commit` decides how durable: on by
//! default, and `remote_apply`/`on` with a synchronous standby for failover without loss); an
//! audit record is written in the transaction of what it records.
//!
//! **Must not**: hold domain rules (`core` decides), know HTTP, read the clock (times come with
//! the audited events), or put a value of a health record in a plain column or a log line.
//!
//! Implemented so far (issue #20 builds it port by port): `Repository`, `BookingStore`,
//! `SyncStore` (the outbox, leased: `outbox.rs`), `AccountStore` (`accounts.rs`),
//! `AgendaStore` and `MedicalRecordStore` (`agenda.rs`), `MessageStore` (`messages.rs`),
//! `CallStore` (`call.rs`), `SessionStore` (`sessions.rs`), appointment changes and
//! schedules. The
//! daemon cannot run on it yet: `[storage] backend` accepts only `sled`.

mod accounts;
mod agenda;
mod appointments;
mod audit;
mod booking;
mod bridge;
mod call;
mod connect;
mod error;
mod messages;
mod outbox;
mod registration;
mod repo;
mod sealed;
mod sessions;
mod sql;

pub use connect::PgOptions;
pub use error::PgError;

use std::sync::Arc;

use teleconsult_core::Timestamp;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::schedule::Schedule;
use teleconsult_seal::{Crypto, StorageKey};

use crate::sql::Cached;

/// The site's data on PostgreSQL. Cheap to clone: clones share the pool and the runtime.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    bridge: bridge::Bridge,
    pool: deadpool_postgres::Pool,
    crypto: Arc<Crypto>,
}

impl PgStore {
    /// Connects, applies the migrations this database lacks and checks that `key` is the key
    /// its records were sealed with. Fails with a message that says what to do.
    pub fn open(options: &PgOptions, key: &StorageKey) -> Result<Self, PgError> {
        let bridge = bridge::Bridge::new()?;
        let pool = connect::pool(options)?;
        let crypto = Arc::new(Crypto::new(key));
        let inner = Arc::new(Inner {
            bridge,
            pool,
            crypto,
        });
        let prepared = Arc::clone(&inner);
        inner.bridge.run(async move {
            let mut object = prepared.client().await?;
            connect::migrate(&mut object).await?;
            let client = &object;
            sealed::check_key(client, &prepared.crypto).await?;
            audit::initialise(client, &prepared.crypto).await
        })??;
        // Stops with the runtime, when the last clone of the store is dropped.
        let chainer = audit::chainer(inner.pool.clone(), Arc::clone(&inner.crypto));
        // Detached: dropping its handle does not stop it.
        drop(inner.bridge.spawn(chainer)?);
        Ok(Self { inner })
    }

    /// Sets the weekly schedule of `practitioner`, recording `event`.
    pub fn set_schedule(
        &self,
        practitioner: PractitionerId,
        schedule: &Schedule,
        event: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let sealed = sealed::seal(
            &self.inner.crypto,
            "schedules",
            practitioner.as_bytes(),
            schedule,
        )?;
        let event = event.clone();
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let client: &mut deadpool_postgres::ClientWrapper = &mut object;
            let tx = client.transaction().await?;
            tx.exec(
                "INSERT INTO schedules (practitioner, sealed) VALUES ($1, $2) \
                 ON CONFLICT (practitioner) DO UPDATE SET sealed = EXCLUDED.sealed",
                &[&practitioner.0, &sealed],
            )
            .await?;
            audit::append(&tx, &[&event]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Number of records in the audit chain.
    pub fn audit_len(&self) -> Result<u64, RepositoryError> {
        self.run(|inner| async move {
            let mut object = inner.client().await?;
            audit::chain_all(&mut object, &inner.crypto).await?;
            audit::head(&object, &inner.crypto)
                .await
                .map(|head| head.seq)
        })
    }

    /// Checks the whole audit chain: every link, contiguous from 1, up to the sealed head.
    /// Returns the number of records.
    pub fn verify_audit_chain(&self) -> Result<u64, RepositoryError> {
        self.run(|inner| async move {
            let mut object = inner.client().await?;
            audit::chain_all(&mut object, &inner.crypto).await?;
            audit::verify(&object, &inner.crypto).await
        })
    }

    /// Runs `work` on the adapter's runtime and blocks until it is done.
    fn run<T, F, Fut>(&self, work: F) -> Result<T, RepositoryError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Inner>) -> Fut,
        Fut: std::future::Future<Output = Result<T, PgError>> + Send + 'static,
    {
        let fut = work(Arc::clone(&self.inner));
        Ok(self.inner.bridge.run(fut)??)
    }
}

/// An instant as PostgreSQL's `timestamptz` (microseconds; ours are whole seconds or finer
/// than PostgreSQL keeps only in tests' generated times).
pub(crate) fn sql_time(t: Timestamp) -> std::time::SystemTime {
    let since = std::time::Duration::new(
        t.as_second().unsigned_abs(),
        t.subsec_nanosecond().unsigned_abs(),
    );
    if t.as_second() >= 0 && t.subsec_nanosecond() >= 0 {
        std::time::UNIX_EPOCH + since
    } else {
        std::time::UNIX_EPOCH - since
    }
}

/// A `timestamptz` back to an instant (`None` beyond jiff's range).
pub(crate) fn from_sql_time(t: std::time::SystemTime) -> Option<Timestamp> {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => Timestamp::new(
            i64::try_from(after.as_secs()).ok()?,
            after.subsec_nanos() as i32,
        )
        .ok(),
        Err(before) => {
            let before = before.duration();
            let seconds = -i64::try_from(before.as_secs()).ok()?;
            let nanos = -(before.subsec_nanos() as i32);
            Timestamp::new(seconds, nanos).ok()
        }
    }
}

impl Inner {
    /// Runs `work` in one transaction of a pooled connection, records `events` in it and
    /// commits: the frame of every audited read or write. An error from `work` rolls back.
    async fn audited<T>(
        &self,
        events: &[&AuditEvent],
        work: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>) -> Result<T, PgError>,
    ) -> Result<T, PgError> {
        let mut object = self.client().await?;
        let tx = object.transaction().await?;
        let out = work(&tx).await?;
        audit::append(&tx, events).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, PgError> {
        self.pool.get().await.map_err(PgError::pool)
    }
}
