//! `cargo xtask bench sync`: how fast the worker drains a backlog after an outage, against
//! the peer's own ingest ceiling for the very same requests, measured side by side.

use super::{FhirPeer, workload};
use std::sync::Arc;
use std::time::{Duration, Instant};
use teleconsult_core::Timestamp;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ports::Repository;
use teleconsult_store::{StorageKey, Store};
use teleconsult_sync::fhir::Reference;
use teleconsult_sync::mapping::Mapper;
use teleconsult_sync::message::SyncMessage;
use teleconsult_sync::{
    Backoff, ClientConfig, FhirClient, IdentifierSystems, SyncHandle, SyncSettings, WorkerConfig,
};

/// Messages in flight at once, for the worker and for the ceiling client alike.
pub const CONCURRENCY: usize = 8;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Figures {
    pub drain_per_s: f64,
    pub peer_ceiling_per_s: f64,
    pub drain_ratio: f64,
    pub messages: u32,
    /// From the end of the outage to the first delivery (the circuit's probe pause).
    pub recovery_ms: f64,
    /// Every round's figures, in order (the spread tells how noisy the machine was).
    pub ceilings: Vec<f64>,
    pub drains: Vec<f64>,
}

struct Clock;
impl teleconsult_core::ports::Clock for Clock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

fn store() -> anyhow::Result<(tempfile::TempDir, Store)> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(
        &dir.path().join("data"),
        StorageKey::from_bytes(rand::random()),
    )?;
    Ok((dir, store))
}

/// The peer's ceiling: the worker's own transaction bundles for `n` bookings, posted by a
/// bare client with the same concurrency, no store in between.
async fn ceiling(peer: &FhirPeer, n: u32, systems: &IdentifierSystems) -> anyhow::Result<f64> {
    let (_dir, store) = store()?;
    let queued = workload::seed(&store, 3, 0, n, 0, Timestamp::now())?;
    let client = FhirClient::new(&ClientConfig::new(&peer.base_url))?;
    let mapper = Mapper::new(systems.clone());
    let mut refs = std::collections::HashMap::new();
    for p in Repository::practitioners(&store).map_err(|e| anyhow::anyhow!("{e}"))? {
        let practitioner = client
            .conditional_create(
                &mapper.practitioner(&p),
                &mapper.local_condition("practitioner", p.id),
            )
            .await
            .map_err(|f| anyhow::anyhow!(f.describe()))?;
        let reference = format!("Practitioner/{}", practitioner.body.id.unwrap_or_default());
        let schedule = client
            .conditional_create(
                &mapper.schedule(&p, Reference::to(&reference)),
                &mapper.local_condition("schedule", p.id),
            )
            .await
            .map_err(|f| anyhow::anyhow!(f.describe()))?;
        refs.insert(
            p.id,
            (
                reference,
                format!("Schedule/{}", schedule.body.id.unwrap_or_default()),
            ),
        );
    }
    let mut bundles = Vec::new();
    for entry in store
        .outbox_peek(queued.booking_keys.len())
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        let Ok(SyncMessage::Appointment { payload, .. }) = SyncMessage::parse(&entry.message)
        else {
            continue;
        };
        let a = &payload.appointment;
        // Read as the worker reads it: audited.
        let audit = AuditEvent {
            at: Timestamp::now(),
            actor: Actor::System("sync".to_owned()),
            action: Action::Read,
            object_type: "patient".to_owned(),
            object_id: a.patient.to_string(),
        };
        let patient = Repository::patient(&store, a.patient, &audit)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .as_ref()
            .map(teleconsult_sync::message::PatientRecord::from)
            .ok_or_else(|| anyhow::anyhow!("patient missing"))?;
        let (practitioner, schedule) = refs.get(&a.practitioner).cloned().unwrap_or_default();
        bundles.push(mapper.booking_bundle(
            a,
            &entry.message.idempotency_key,
            &patient,
            Reference::to(practitioner),
            Reference::to(schedule),
        ));
    }
    let bundles = Arc::new(tokio::sync::Mutex::new(bundles));
    let started = Instant::now();
    let mut tasks: tokio::task::JoinSet<anyhow::Result<()>> = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, bundles) = (client.clone(), bundles.clone());
        tasks.spawn(async move {
            loop {
                let Some(bundle) = bundles.lock().await.pop() else {
                    return Ok(());
                };
                client
                    .transaction(&bundle)
                    .await
                    .map_err(|f| anyhow::anyhow!(f.describe()))?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(f64::from(n) / started.elapsed().as_secs_f64())
}

/// Outage, `n` bookings queued, platform back: drain rate from the first delivery on.
async fn drain(peer: &FhirPeer, n: u32, systems: &IdentifierSystems) -> anyhow::Result<(f64, f64)> {
    peer.outage(true).await?;
    let (_dir, store) = store()?;
    workload::seed(&store, 3, 0, n, 0, Timestamp::now())?;
    let settings = SyncSettings {
        client: ClientConfig::new(&peer.base_url),
        systems: systems.clone(),
        worker: WorkerConfig {
            concurrency: CONCURRENCY,
            idle_poll: Duration::from_millis(50),
            circuit_backoff: Backoff {
                base: Duration::from_millis(100),
                max: Duration::from_millis(400),
            },
            poll_interval: Duration::from_secs(3600),
            ..WorkerConfig::default()
        },
    };
    let worker = teleconsult_sync::worker(
        &settings,
        Arc::new(store.clone()),
        Arc::new(teleconsult_sync::IgnoreRemote),
        Arc::new(Clock),
        SyncHandle::new(),
    )?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(worker.run(shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    peer.outage(false).await?;
    let back = Instant::now();
    let deadline = back + Duration::from_secs(600);
    let total = u64::from(n);
    let (first, left_at_first) = loop {
        let left = store.outbox_len()?;
        if left < total {
            break (Instant::now(), left);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "nothing delivered after the outage"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    while store.outbox_len()? > 0 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the backlog did not drain within 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = left_at_first as f64 / first.elapsed().as_secs_f64();
    shutdown.cancel();
    task.await?;
    Ok((rate, (first - back).as_secs_f64() * 1000.0))
}

/// Rounds of (ceiling, drain), interleaved so that load from anything else on the machine
/// hits both alike; the figures are the medians.
pub const ROUNDS: usize = 3;

/// Both measurements on one peer process, emptied before each (the same starting point).
pub async fn run(n: u32) -> anyhow::Result<Figures> {
    crate::init_crypto();
    let peer = FhirPeer::start(false).await?;
    let systems = IdentifierSystems::for_site("bench");
    // Warm the peer's JIT first: a cold peer would understate its ceiling.
    ceiling(&peer, n / 4, &systems).await?;
    let (mut ceilings, mut drains, mut recoveries) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        peer.reset().await?;
        ceilings.push(ceiling(&peer, n, &systems).await?);
        peer.reset().await?;
        let (rate, recovery) = drain(&peer, n, &systems).await?;
        drains.push(rate);
        recoveries.push(recovery);
    }
    let rounds = (ceilings.clone(), drains.clone());
    let (peer_ceiling_per_s, drain_per_s) = (median(&mut ceilings), median(&mut drains));
    let recovery_ms = median(&mut recoveries);
    anyhow::ensure!(
        peer.resources("Appointment").await?.len() == n as usize,
        "not every booking arrived once"
    );
    peer.stop().await?;
    Ok(Figures {
        drain_per_s,
        peer_ceiling_per_s,
        drain_ratio: drain_per_s / peer_ceiling_per_s,
        messages: n,
        recovery_ms,
        ceilings: rounds.0,
        drains: rounds.1,
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
