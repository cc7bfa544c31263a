//! Issue #18 (11): a platform answering 429 or 503 with `Retry-After` is not asked again
//! before that time, whatever the worker's own (shorter) back-off would have done.

use super::{Site, assert_exactly_once, fast, open_store, settings};
use anyhow::Context;
use serde_json::json;
use std::time::Duration;
use teleconsult_core::Timestamp;
use teleconsult_sync::{Backoff, CircuitState, WorkerConfig};
use teleconsult_tests::fhir_peer::{FhirPeer, workload};
use teleconsult_tests::poll_until;

#[tokio::test]
async fn the_worker_waits_as_long_as_retry_after_says() -> anyhow::Result<()> {
    let peer = FhirPeer::start(false).await?;
    peer.fault(json!({"status": 429, "count": -1, "retry_after": "2"}))
        .await?;
    let (dir, store) = open_store()?;
    let queued = workload::seed(&store, 1, 0, 3, 0, Timestamp::now())?;
    // The worker's own pauses are ten times shorter than what the platform asks.
    let config = WorkerConfig {
        concurrency: 4,
        circuit_threshold: 3,
        circuit_backoff: Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(200),
        },
        ..fast()
    };
    let site = Site::start(dir, store, &settings(&peer, config))?;
    // The peer logs when each request came: wait until its log reaches past the 5.5 s observed
    // (a request that late, or 20 s without one), then read the whole interval from it.
    let times = poll_until(
        "the peer's log past 5.5 s",
        Duration::from_secs(20),
        || async {
            let times = match peer.stats().await {
                Ok(stats) => match stats["log"].as_array() {
                    Some(log) => log
                        .iter()
                        .map(|r| r["t"].as_i64().context("a request without its time"))
                        .collect::<anyhow::Result<Vec<i64>>>(),
                    None => Err(anyhow::anyhow!("no request log in {stats}")),
                },
                Err(e) => Err(e),
            };
            match times {
                Ok(times) if times.last().is_some_and(|t| t - times[0] >= 5500) => Some(Ok(times)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        },
    )
    .await??;
    assert!(!times.is_empty(), "the worker sent nothing");
    // The first round (the entries in flight at once, and the pull's first poll) goes at
    // once; everything after it waits for the time the platform gave: a probe every 2 s.
    let first_round = times.iter().filter(|t| **t - times[0] < 500).count();
    let later = &times[first_round..];
    let within = later.iter().filter(|t| **t - times[0] < 5500).count();
    assert!(
        (1..=3).contains(&within),
        "one probe per Retry-After (2 s) in 5.5 s: {times:?}"
    );
    let mut previous = times[first_round - 1];
    for t in later {
        assert!(
            t - previous >= 1990,
            "a request came {} ms after the previous one although the platform asked for 2 s: {times:?}",
            t - previous
        );
        previous = *t;
    }
    let status = site.handle.status();
    assert_eq!(status.state, CircuitState::Offline);
    let error = status.last_error.unwrap_or_default();
    assert!(error.contains("asked to retry after 2 s"), "{error}");

    peer.heal().await?;
    site.drained(Duration::from_secs(30)).await?;
    assert_exactly_once(&peer, &queued).await?;
    site.stop().await?;
    peer.stop().await
}
