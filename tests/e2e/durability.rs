//! Durability: writes through the API while the daemon is `kill -9`ed at random moments. Every
//! write that got a 2xx must be there after restart, decrypt, and be covered by an intact audit
//! chain.

use rand::RngExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
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
        let mut writers = Vec::new();
        for _ in 0..WRITERS {
            let client = daemon.client.clone();
            let url = daemon.url("/api/v1/patients");
            let (next, acknowledged) = (next.clone(), acknowledged.clone());
            writers.push(tokio::spawn(async move {
                for _ in 0..MAX_WRITES_PER_WRITER {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let Ok(response) = client.post(&url).json(&registration(n)).send().await else {
                        return;
                    };
                    if response.status() != 201 {
                        return;
                    }
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        return;
                    };
                    if let Some(id) = body["id"].as_str() {
                        acknowledged.lock().await.push((n, id.to_owned()));
                    }
                }
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
        daemon.kill9().await?;
        for writer in writers {
            writer.await?;
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
    let verification = store.verify_audit_chain()?;
    assert!(
        verification.records >= u64::try_from(acknowledged.len())?,
        "{verification:?}"
    );
    Ok(())
}
