//! Durability: writes through the API while the daemon is `kill -9`ed at random moments. Every
//! write that got a 2xx must be there after restart, decrypt, and have exactly one audit record
//! of its creation in an intact chain. Before the kill, every write must be acknowledged: a
//! refusal (a 5xx, a 429) or a lost connection fails the test instead of ending a writer early.

use rand::RngExt;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::PatientId;
use teleconsult_core::ports::Repository;
use teleconsult_tests::accounts::registration;
use teleconsult_tests::{Daemon, DaemonOptions};
use tokio::sync::Mutex;

const ROUNDS: usize = 5;
const WRITERS: usize = 6;
/// Upper bound per writer and round, so the loop ends even if the kill came late.
const MAX_WRITES_PER_WRITER: usize = 200;

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() -> anyhow::Result<()> {
    // Hundreds of registrations from one address: lift the per-address limit for this test.
    let options = DaemonOptions {
        extra_config: "[limits]\nregister_per_hour = 100000\n".into(),
        ..Default::default()
    };
    let mut daemon = Daemon::start(options).await?;
    let next = Arc::new(AtomicU32::new(0));
    let acknowledged: Arc<Mutex<Vec<(u32, String)>>> = Arc::default();

    for round in 0..ROUNDS {
        let before = acknowledged.lock().await.len();
        // Set just before the kill: from then on a failed request is the kill's doing.
        let killing = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for _ in 0..WRITERS {
            let client = daemon.client.clone();
            let url = daemon.url("/api/v1/patients");
            let (next, acknowledged, killing) =
                (next.clone(), acknowledged.clone(), killing.clone());
            writers.push(tokio::spawn(async move {
                for _ in 0..MAX_WRITES_PER_WRITER {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let outcome = write(&client, &url, n).await;
                    match outcome {
                        Ok(id) => acknowledged.lock().await.push((n, id)),
                        // The daemon is gone: this writer's round is over.
                        Err(_) if killing.load(Ordering::SeqCst) => return Ok(()),
                        Err(e) => {
                            return Err(e.context(format!(
                                "round {round}: write {n} failed before the kill"
                            )));
                        }
                    }
                }
                Ok(())
            }));
        }
        // At a random moment once writes are flowing (a loaded machine may take a while to
        // acknowledge the first one).
        teleconsult_tests::poll_until(
            "a first acknowledged write",
            Duration::from_secs(60),
            || async { (acknowledged.lock().await.len() > before).then_some(()) },
        )
        .await?;
        let kill_after = rand::rng().random_range(0..1200);
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        killing.store(true, Ordering::SeqCst);
        daemon.kill9().await?;
        for writer in writers {
            writer
                .await?
                .map_err(|e| anyhow::anyhow!("{e:#}; log:\n{}", daemon.logs()))?;
        }
        let acked_this_round = acknowledged.lock().await.len() - before;
        assert!(
            acked_this_round > 0,
            "round {round}: no write acknowledged before the kill; log:\n{}",
            daemon.logs()
        );
        daemon.spawn().await?;
        assert_eq!(
            daemon
                .client
                .get(daemon.url("/readyz"))
                .send()
                .await?
                .status(),
            200
        );
    }

    daemon.terminate(Duration::from_secs(10)).await?;
    let store = teleconsult_tests::daemon::open_store(&daemon)?;
    let acknowledged = acknowledged.lock().await;
    for (n, id) in acknowledged.iter() {
        let patient_id: PatientId = id.parse()?;
        let audit = AuditEvent {
            at: teleconsult_core::Timestamp::UNIX_EPOCH,
            actor: Actor::Admin("durability-test".into()),
            action: Action::Read,
            object_type: "patient".into(),
            object_id: id.clone(),
        };
        let patient = store.patient(patient_id, &audit)?;
        let patient =
            patient.unwrap_or_else(|| panic!("acknowledged patient {n} ({id}) lost after kill -9"));
        assert_eq!(patient.last_name, format!("Quackenbush{n}"));
        assert_eq!(patient.email, format!("patient{n}@example.lu"));
    }
    // Each acknowledged registration has exactly one audit record of its creation, in a chain
    // that verifies (registrations committed but not acknowledged before a kill have theirs too).
    let verification = store.verify_audit_chain()?;
    let records = store.audit_records(1, usize::try_from(verification.records)?)?;
    assert_eq!(records.len() as u64, verification.records);
    let mut creations: BTreeMap<&str, usize> = BTreeMap::new();
    for record in &records {
        if record.event.action == Action::Create && record.event.object_type == "patient" {
            *creations
                .entry(record.event.object_id.as_str())
                .or_default() += 1;
        }
    }
    for (n, id) in acknowledged.iter() {
        assert_eq!(
            creations.get(id.as_str()),
            Some(&1),
            "patient {n} ({id}): one audit record of its registration"
        );
    }
    Ok(())
}

/// One registration; its id once acknowledged with 201. Any other answer is an error naming it.
async fn write(client: &reqwest::Client, url: &str, n: u32) -> anyhow::Result<String> {
    let response = client.post(url).json(&registration(n)).send().await?;
    let status = response.status();
    let body = response.text().await?;
    anyhow::ensure!(status == 201, "registration {n}: {status} {body}");
    let body: serde_json::Value = serde_json::from_str(&body)?;
    Ok(body["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("registration {n}: no id in {body}"))?
        .to_owned())
}
