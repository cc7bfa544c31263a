//! Sync with the national platform against a real FHIR R4 server (`tests/fhir-peer`): outages,
//! faults, `kill -9` while draining, poison entries, back-off, and the pull of remote
//! appointments. Outbox entries are real: written into a real store in the same transaction as
//! the patient and booking they come from. Most tests run the worker in-process on a store the
//! test opened (fast, observable); the `kill -9` test runs it inside the real daemon.

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use teleconsult_core::Timestamp;
use teleconsult_core::ports::Clock;
use teleconsult_store::{StorageKey, Store};
use teleconsult_sync::{
    Backoff, CircuitState, ClientConfig, IdentifierSystems, SyncHandle, SyncSettings, WorkerConfig,
};
use teleconsult_tests::fhir_peer::{FhirPeer, count_with_identifier, workload};
use teleconsult_tests::{Daemon, DaemonOptions, poll_until};
use tokio_util::sync::CancellationToken;

mod leases;
mod pull;
mod retry_after;

const SITE: &str = "test";

struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

fn fast() -> WorkerConfig {
    WorkerConfig {
        idle_poll: Duration::from_millis(100),
        entry_backoff: Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        circuit_backoff: Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        poll_interval: Duration::from_secs(3600),
        degraded_window: Duration::from_millis(300),
        ..WorkerConfig::default()
    }
}

fn settings(peer: &FhirPeer, worker: WorkerConfig) -> SyncSettings {
    SyncSettings {
        client: ClientConfig {
            request_timeout: Duration::from_secs(10),
            ..ClientConfig::new(&peer.base_url)
        },
        systems: IdentifierSystems::for_site(SITE),
        worker,
    }
}

/// A store in a temporary folder with a worker draining it in this process.
struct Site {
    _dir: tempfile::TempDir,
    store: Store,
    handle: SyncHandle,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

fn open_store() -> anyhow::Result<(tempfile::TempDir, Store)> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(
        &dir.path().join("data"),
        StorageKey::from_bytes(rand::random()),
    )?;
    Ok((dir, store))
}

impl Site {
    fn start(
        dir: tempfile::TempDir,
        store: Store,
        settings: &SyncSettings,
    ) -> anyhow::Result<Self> {
        teleconsult_tests::init_crypto();
        let handle = SyncHandle::new();
        let worker = teleconsult_sync::worker(
            settings,
            Arc::new(store.clone()),
            Arc::new(teleconsult_sync::IgnoreRemote),
            Arc::new(SystemClock),
            handle.clone(),
        )?;
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(worker.run(shutdown.clone()));
        Ok(Site {
            _dir: dir,
            store,
            handle,
            shutdown,
            task,
        })
    }

    async fn drained(&self, within: Duration) -> anyhow::Result<()> {
        let store = self.store.clone();
        poll_until("the outbox to drain", within, || {
            let store = store.clone();
            async move { (store.outbox_len().ok()? == 0).then_some(()) }
        })
        .await
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.task).await??;
        Ok(())
    }
}

/// Every queued booking and document is on the peer exactly once, with everything it brings.
async fn assert_exactly_once(peer: &FhirPeer, queued: &workload::Queued) -> anyhow::Result<()> {
    let outbox = IdentifierSystems::for_site(SITE).outbox();
    let appointments = peer.resources("Appointment").await?;
    for key in &queued.booking_keys {
        assert_eq!(
            count_with_identifier(&appointments, &outbox, key),
            1,
            "appointment {key}"
        );
    }
    assert_eq!(appointments.len(), queued.booking_keys.len());
    let references = peer.resources("DocumentReference").await?;
    for key in &queued.document_keys {
        assert_eq!(
            count_with_identifier(&references, &outbox, key),
            1,
            "document {key}"
        );
    }
    assert_eq!(references.len(), queued.document_keys.len());
    assert_eq!(
        peer.resources("Binary").await?.len(),
        queued.document_keys.len()
    );
    assert_eq!(
        peer.resources("MedicationRequest").await?.len(),
        queued.document_keys.len()
    );
    assert_eq!(
        peer.resources("ServiceRequest").await?.len(),
        queued.document_keys.len()
    );
    assert_eq!(
        peer.resources("Patient").await?.len(),
        queued.booking_keys.len()
    );
    assert_eq!(
        peer.resources("Slot").await?.len(),
        queued.booking_keys.len()
    );
    assert_eq!(
        peer.resources("Practitioner").await?.len(),
        queued.practitioners.len()
    );
    assert_eq!(
        peer.resources("Schedule").await?.len(),
        queued.practitioners.len()
    );
    Ok(())
}

#[tokio::test]
async fn after_an_outage_every_resource_reaches_the_platform_exactly_once_and_valid()
-> anyhow::Result<()> {
    let peer = FhirPeer::start(true).await?;
    peer.outage(true).await?;
    let (dir, store) = open_store()?;
    let queued = workload::seed(&store, 3, 0, 100, 5, Timestamp::now())?;
    assert_eq!(store.outbox_len()?, 120);
    let site = Site::start(dir, store, &settings(&peer, fast()))?;

    let handle = site.handle.clone();
    poll_until(
        "the state to show the outage",
        Duration::from_secs(10),
        || {
            let status = handle.status();
            async move {
                (status.state == CircuitState::Offline && status.last_error.is_some()).then_some(())
            }
        },
    )
    .await?;
    assert_eq!(site.handle.status().pending, 120);
    assert!(peer.resources("Appointment").await?.is_empty());

    peer.outage(false).await?;
    let started = std::time::Instant::now();
    site.drained(Duration::from_secs(90)).await?;
    println!(
        "drained 120 messages in {:?} after the outage",
        started.elapsed()
    );
    assert_exactly_once(&peer, &queued).await?;
    // Validation was on: nothing was refused.
    assert_eq!(
        site.store.parked_len()?,
        0,
        "{:?}",
        site.store.parked_entries()?
    );
    let handle = site.handle.clone();
    poll_until("the state to return online", Duration::from_secs(5), || {
        let status = handle.status();
        async move { (status.state == CircuitState::Online && status.pending == 0).then_some(()) }
    })
    .await?;
    assert!(site.handle.status().last_success.is_some());
    site.stop().await?;
    peer.stop().await
}

#[tokio::test]
async fn lost_answers_dropped_connections_slow_answers_and_5xx_never_duplicate()
-> anyhow::Result<()> {
    let peer = FhirPeer::start(false).await?;
    peer.fault(json!({"lose": 6, "drop": 3, "delay_ms": 20, "status": 503, "count": 5}))
        .await?;
    let (dir, store) = open_store()?;
    let queued = workload::seed(&store, 2, 0, 30, 5, Timestamp::now())?;
    let site = Site::start(dir, store, &settings(&peer, fast()))?;
    site.drained(Duration::from_secs(90)).await?;
    let stats = peer.stats().await?;
    assert_eq!(stats["lost"], 6, "{stats}");
    assert_eq!(stats["dropped"], 3, "{stats}");
    assert_eq!(stats["faulted"], 5, "{stats}");
    assert_exactly_once(&peer, &queued).await?;
    site.stop().await?;
    peer.stop().await
}

#[tokio::test]
async fn a_poison_entry_is_parked_with_its_outcome_and_blocks_nothing_else() -> anyhow::Result<()> {
    use teleconsult_core::outbox::OutboxMessage;
    let peer = FhirPeer::start(true).await?;
    let (dir, store) = open_store()?;
    let now = Timestamp::now();
    // Poison first, so everything else is queued behind it.
    let poison_source = workload::seed(&store, 1, 500, 1, 0, now)?;
    let broken = {
        let appointment = workload::booked_appointment(500, now)?;
        workload::prescription(500, &appointment, now, true)?
    };
    let broken_message = teleconsult_sync::message::document_issued(&broken)?;
    let follow_up = OutboxMessage {
        idempotency_key: format!("{}/again", broken_message.idempotency_key),
        ..broken_message.clone()
    };
    let unknown = OutboxMessage {
        idempotency_key: "x/1/teleported".into(),
        aggregate: "x/1".into(),
        kind: "appointment.teleported".into(),
        payload: json!({}),
    };
    workload::enqueue(&store, 900, &[broken_message, follow_up, unknown], now)?;
    let queued = workload::seed(&store, 1, 0, 10, 0, now)?;

    let site = Site::start(dir, store, &settings(&peer, fast()))?;
    site.drained(Duration::from_secs(60)).await?;
    let outbox = IdentifierSystems::for_site(SITE).outbox();
    let appointments = peer.resources("Appointment").await?;
    for key in queued
        .booking_keys
        .iter()
        .chain(&poison_source.booking_keys)
    {
        assert_eq!(
            count_with_identifier(&appointments, &outbox, key),
            1,
            "{key}"
        );
    }
    let parked = site.store.parked_entries()?;
    let summary: Vec<(u16, String)> = parked
        .iter()
        .map(|p| (p.status, p.entry.message.kind.clone()))
        .collect();
    assert_eq!(parked.len(), 3, "{summary:?}");
    assert_eq!(parked[0].status, 400);
    assert!(
        parked[0].reason.contains("Binary.data"),
        "{}",
        parked[0].reason
    );
    assert_eq!(parked[0].outcome["resourceType"], "OperationOutcome");
    assert_eq!(
        parked[1].status, 0,
        "the follow-up of the same document waits behind it"
    );
    assert!(
        parked[1].reason.contains("earlier message"),
        "{}",
        parked[1].reason
    );
    assert_eq!(parked[2].entry.message.kind, "appointment.teleported");
    assert!(peer.resources("DocumentReference").await?.is_empty());
    let status = site.handle.status();
    assert_eq!(
        (status.state, status.parked, status.pending),
        (CircuitState::Degraded, 3, 0)
    );
    assert!(
        !status.last_error.unwrap_or_default().contains("not base64"),
        "no content in errors"
    );
    site.stop().await?;
    peer.stop().await
}

#[tokio::test]
async fn while_the_platform_fails_the_worker_backs_off_exponentially() -> anyhow::Result<()> {
    let peer = FhirPeer::start(false).await?;
    peer.error_burst(503, -1).await?;
    let (dir, store) = open_store()?;
    let queued = workload::seed(&store, 1, 0, 5, 0, Timestamp::now())?;
    let base = Duration::from_millis(200);
    let config = WorkerConfig {
        concurrency: 4,
        circuit_threshold: 3,
        circuit_backoff: Backoff {
            base,
            max: Duration::from_millis(800),
        },
        ..fast()
    };
    let site = Site::start(dir, store, &settings(&peer, config))?;
    // The first round — ≤ 4 messages in flight, refilled until the third failure opens the
    // circuit (≤ 4 + 2), and the pull's first poll — may spread over hundreds of milliseconds
    // on a loaded machine, so time cannot tell it from the probes that follow. What follows it
    // is one probe per pause, each pause at least half its nominal value (200, 400, 800, 800…
    // ms): the first three probes come within 600 ms of the end of the first round, and from
    // then on every pause is at least 395 ms. So: after SETTLED (the first round and the first
    // two pauses are over, with room for a slow first round), consecutive requests are at least
    // 395 ms apart; and before it come at most 7 + 4 requests. A worker that does not back off
    // (a fixed 200-ms pause) sends 100–200 ms apart and fails both. Wait (bounded) for three
    // requests after SETTLED: no fixed window.
    const SETTLED: i64 = 1500;
    let times = poll_until(
        "three probes once the pauses reached their maximum",
        Duration::from_secs(20),
        || async {
            let stats = peer.stats().await.ok()?;
            let times: Vec<i64> = stats["log"]
                .as_array()?
                .iter()
                .filter_map(|r| r["t"].as_i64())
                .collect();
            let settled = times.iter().filter(|t| **t - times[0] >= SETTLED).count();
            (settled >= 3).then_some(times)
        },
    )
    .await?;
    assert_eq!(site.handle.status().state, CircuitState::Offline);
    let early = times.iter().filter(|t| **t - times[0] < SETTLED).count();
    assert!(
        (1..=11).contains(&early),
        "{early} requests early: {times:?}"
    );
    let late: Vec<i64> = times[early..].to_vec();
    let floor = base.as_millis() as i64 * 4 / 2 - 5;
    for pair in late.windows(2) {
        assert!(
            pair[1] - pair[0] >= floor,
            "a probe came {} ms after the previous one (at least {floor} once backed off): \
             {times:?}",
            pair[1] - pair[0]
        );
    }
    peer.heal().await?;
    site.drained(Duration::from_secs(30)).await?;
    assert_exactly_once(&peer, &queued).await?;
    site.stop().await?;
    peer.stop().await
}

#[tokio::test]
async fn later_changes_update_the_same_resources_with_if_match() -> anyhow::Result<()> {
    use teleconsult_core::appointment::{CancelledBy, Effect, Event, Policy, apply};
    let peer = FhirPeer::start(true).await?;
    let (dir, store) = open_store()?;
    let now = Timestamp::now();
    let queued = workload::seed(&store, 1, 0, 2, 0, now)?;
    // Appointment 0 is cancelled by staff; patient 1 changes phone number.
    let booked = workload::booked_appointment(0, now)?;
    let (_, effects) = apply(
        &booked,
        Event::Cancel {
            by: CancelledBy::Staff,
            reason: Some("practitioner ill".into()),
        },
        now,
        &Policy::default(),
    )?;
    let mut messages: Vec<_> = effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Outbox(m) => Some(m),
            Effect::Notify { .. } => None,
        })
        .collect();
    let mut patient = teleconsult_core::patient::Patient {
        id: booked.patient,
        national_id: "1980010000001".into(),
        country: teleconsult_core::national_id::Country::LU,
        first_name: "Test1".into(),
        last_name: "Patient".into(),
        birth_date: jiff::civil::date(1980, 1, 1),
        phone: "+352621999999".into(),
        email: "patient1@example.org".into(),
        language: "fr".into(),
        created_at: now,
        consents: Vec::new(),
    };
    patient.id = workload::booked_appointment(1, now)?.patient;
    messages.push(teleconsult_sync::message::patient_updated(&patient, "1"));
    workload::enqueue(&store, 700, &messages, now)?;

    let site = Site::start(dir, store, &settings(&peer, fast()))?;
    site.drained(Duration::from_secs(60)).await?;
    assert_eq!(
        site.store.parked_len()?,
        0,
        "{:?}",
        site.store.parked_entries()?
    );
    let systems = IdentifierSystems::for_site(SITE);
    let appointments = peer.resources("Appointment").await?;
    let local = systems.local("appointment");
    let cancelled: Vec<_> = appointments
        .iter()
        .filter(|a| {
            count_with_identifier(std::slice::from_ref(a), &local, &booked.id.to_string()) == 1
        })
        .collect();
    assert_eq!(cancelled.len(), 1, "updated in place, not created again");
    assert_eq!(cancelled[0]["status"], "cancelled");
    assert_eq!(
        cancelled[0]["cancelationReason"]["coding"][0]["code"],
        "other"
    );
    let slots = peer.resources("Slot").await?;
    let freed = count_with_identifier(&slots, &systems.local("slot"), &booked.id.to_string());
    assert_eq!(freed, 1);
    assert!(slots.iter().any(|s| s["status"] == "free"));
    // Still one Patient per booking; patient 1 has the new phone.
    let patients = peer.resources("Patient").await?;
    assert_eq!(patients.len(), queued.booking_keys.len());
    let updated = patients
        .iter()
        .find(|p| {
            count_with_identifier(
                std::slice::from_ref(p),
                "urn:oid:1.3.182.4.4",
                "1980010000001",
            ) == 1
        })
        .ok_or_else(|| anyhow::anyhow!("patient 1 missing"))?;
    assert_eq!(updated["telecom"][0]["value"], "+352621999999");
    site.stop().await?;
    peer.stop().await
}

#[tokio::test]
async fn kill_9_while_draining_still_delivers_everything_exactly_once() -> anyhow::Result<()> {
    let peer = FhirPeer::start(false).await?;
    let mut daemon = Daemon::start(DaemonOptions {
        extra_config: format!(
            "[platform]\nbase_url = \"{}\"\npoll_interval_s = 3600\n",
            peer.base_url
        ),
        ..DaemonOptions::default()
    })
    .await?;
    daemon.terminate(Duration::from_secs(15)).await?;
    let queued = {
        let store = teleconsult_tests::daemon::open_store(&daemon)?;
        workload::seed(&store, 3, 0, 100, 10, Timestamp::now())?
    };
    let total = queued.booking_keys.len();
    // Slow answers stretch the drain so the kills land in the middle of it.
    peer.slow(60).await?;
    for round in 1..=3usize {
        daemon.spawn().await?;
        let target = round * total / 5;
        poll_until(
            "some deliveries before the kill",
            Duration::from_secs(60),
            || async {
                let n = peer.resources("Appointment").await.ok()?.len();
                (n >= target).then_some(())
            },
        )
        .await?;
        daemon.kill9().await?;
        let delivered = peer.resources("Appointment").await?.len();
        assert!(
            delivered < total,
            "round {round}: drained before the kill ({delivered}); log:\n{}",
            daemon.logs()
        );
    }
    peer.slow(0).await?;
    daemon.spawn().await?;
    poll_until(
        "all appointments on the platform",
        Duration::from_secs(90),
        || async { (peer.resources("Appointment").await.ok()?.len() >= total).then_some(()) },
    )
    .await?;
    poll_until(
        "all documents on the platform",
        Duration::from_secs(30),
        || async {
            (peer.resources("DocumentReference").await.ok()?.len() >= queued.document_keys.len())
                .then_some(())
        },
    )
    .await?;
    daemon.terminate(Duration::from_secs(20)).await?;
    let store = teleconsult_tests::daemon::open_store(&daemon)?;
    assert_eq!(store.outbox_len()?, 0, "log:\n{}", daemon.logs());
    assert_eq!(store.parked_len()?, 0);
    assert_exactly_once(&peer, &queued).await?;
    peer.stop().await
}

/// `cargo xtask bench sync` runs this (ignored in the suite) and reads the figures it writes.
/// Multi-threaded like the daemon's runtime (both measurements run in it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with cargo xtask bench sync"]
async fn bench_drain_rate_against_peer_ceiling() -> anyhow::Result<()> {
    let n = std::env::var("TELECONSULT_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let figures = teleconsult_tests::fhir_peer::bench::run(n).await?;
    println!("{figures:?}");
    if let Some(out) = std::env::var_os("TELECONSULT_BENCH_OUT") {
        std::fs::write(out, serde_json::to_vec(&figures)?)?;
    }
    Ok(())
}
