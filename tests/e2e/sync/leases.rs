//! Issue #20: the outbox is leased, so several sync workers on one store (as several daemons
//! on one database will be) deliver each message once, and a dead worker's entries go to the
//! others when its leases end. Two workers run in this process on one real store, against the
//! FHIR peer; the peer's request log tells how often each message was sent.

use super::{SystemClock, assert_exactly_once, fast, open_store, settings};
use std::sync::Arc;
use std::time::Duration;
use teleconsult_core::Timestamp;
use teleconsult_core::ports::outbox::SyncStore;
use teleconsult_store::Store;
use teleconsult_sync::{IgnoreRemote, SyncHandle, SyncSettings, WorkerConfig};
use teleconsult_tests::fhir_peer::{FhirPeer, workload};
use teleconsult_tests::poll_until;
use tokio_util::sync::CancellationToken;

/// Starts one worker on `store`; returns its handle and its task.
fn worker(
    store: &Store,
    settings: &SyncSettings,
    shutdown: &CancellationToken,
) -> anyhow::Result<(SyncHandle, tokio::task::JoinHandle<()>)> {
    teleconsult_tests::init_crypto();
    let handle = SyncHandle::new();
    let worker = teleconsult_sync::worker(
        settings,
        Arc::new(store.clone()),
        Arc::new(IgnoreRemote),
        Arc::new(SystemClock),
        handle.clone(),
    )?;
    Ok((handle, tokio::spawn(worker.run(shutdown.clone()))))
}

/// The peer's log of FHIR transactions (`POST [base]`: one per booking or document sent), as
/// the times they came, in ms since the epoch.
async fn transactions(peer: &FhirPeer) -> anyhow::Result<Vec<i64>> {
    let stats = peer.stats().await?;
    let log = stats["log"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no request log in {stats}"))?;
    anyhow::ensure!(
        log.len() < 2000,
        "the peer's log is capped at 2000 requests"
    );
    Ok(log
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.trim_end_matches('/').ends_with("/fhir"))
        })
        .filter_map(|r| r["t"].as_i64())
        .collect())
}

async fn drained(store: &Store, within: Duration) -> anyhow::Result<()> {
    poll_until("the outbox to drain", within, || {
        let store = store.clone();
        async move { (store.outbox_len().ok()? == 0).then_some(()) }
    })
    .await
}

#[tokio::test]
async fn two_workers_on_one_store_send_each_message_once() -> anyhow::Result<()> {
    let peer = FhirPeer::start(false).await?;
    let (_dir, store) = open_store()?;
    let queued = workload::seed(&store, 3, 0, 80, 8, Timestamp::now())?;
    let messages = queued.booking_keys.len() + queued.document_keys.len();
    // Slow answers: both workers are busy at once for the whole drain.
    peer.slow(20).await?;
    let shutdown = CancellationToken::new();
    // Each leases ten entries at a time: both get their share of the backlog.
    let settings = settings(
        &peer,
        WorkerConfig {
            window: 10,
            ..fast()
        },
    );
    let (one, task_one) = worker(&store, &settings, &shutdown)?;
    let (two, task_two) = worker(&store, &settings, &shutdown)?;
    drained(&store, Duration::from_secs(120)).await?;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), task_one).await??;
    tokio::time::timeout(Duration::from_secs(15), task_two).await??;

    // No fault was injected: each message went out exactly once, by one of the workers.
    let sent = transactions(&peer).await?.len();
    assert_eq!(sent, messages, "transactions sent for {messages} messages");
    let (by_one, by_two) = (one.metrics().sent.get(), two.metrics().sent.get());
    assert_eq!(by_one + by_two, messages as u64);
    assert!(
        by_one > 0 && by_two > 0,
        "both workers delivered: {by_one} and {by_two}"
    );
    assert_exactly_once(&peer, &queued).await?;
    assert_eq!(store.parked_len()?, 0, "{:?}", store.parked_entries()?);
    peer.stop().await
}

#[tokio::test]
async fn entries_leased_by_a_dead_worker_are_sent_when_its_leases_end() -> anyhow::Result<()> {
    let peer = FhirPeer::start(false).await?;
    let (_dir, store) = open_store()?;
    let queued = workload::seed(&store, 1, 0, 4, 0, Timestamp::now())?;
    // A worker that leased the whole outbox, then died: its leases run for 3 more seconds.
    let leased_at = Timestamp::now();
    let lease_end = leased_at.checked_add(Duration::from_secs(3))?;
    let taken = SyncStore::lease(&store, "sync-dead-daemon", 100, leased_at, lease_end)?;
    assert_eq!(taken.len(), queued.booking_keys.len());

    let shutdown = CancellationToken::new();
    let (_handle, task) = worker(&store, &settings(&peer, fast()), &shutdown)?;
    drained(&store, Duration::from_secs(30)).await?;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), task).await??;

    let times = transactions(&peer).await?;
    assert_eq!(times.len(), queued.booking_keys.len());
    let end_ms = lease_end.as_millisecond();
    assert!(
        times.iter().all(|t| *t >= end_ms),
        "sent before the dead worker's leases ended ({end_ms}): {times:?}"
    );
    assert_exactly_once(&peer, &queued).await?;
    peer.stop().await
}

#[tokio::test]
async fn a_stopped_worker_leaves_its_entries_to_the_next_at_once() -> anyhow::Result<()> {
    let peer = FhirPeer::start(false).await?;
    // The platform is down while the first worker runs: it holds every entry, sends nothing.
    peer.outage(true).await?;
    let (_dir, store) = open_store()?;
    let queued = workload::seed(&store, 1, 0, 5, 0, Timestamp::now())?;
    let first_stop = CancellationToken::new();
    let (first, task) = worker(&store, &settings(&peer, fast()), &first_stop)?;
    poll_until(
        "the first worker to try and fail",
        Duration::from_secs(20),
        || {
            let status = first.status();
            async move { status.last_error.is_some().then_some(()) }
        },
    )
    .await?;
    first_stop.cancel();
    tokio::time::timeout(Duration::from_secs(15), task).await??;

    // Its leases (ten minutes by default) were released when it stopped: the next worker
    // sends at once.
    peer.outage(false).await?;
    let shutdown = CancellationToken::new();
    let (_second, task) = worker(&store, &settings(&peer, fast()), &shutdown)?;
    drained(&store, Duration::from_secs(30)).await?;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), task).await??;
    assert_exactly_once(&peer, &queued).await?;
    peer.stop().await
}
