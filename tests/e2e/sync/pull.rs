//! The pull of remote appointments against the real peer, with a recording booking port (the
//! end-to-end version through booking waits for issue 5's implementation of the port).

use super::{SystemClock, fast, open_store, settings};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use teleconsult_core::Timestamp;
use teleconsult_sync::{
    Applied, RemoteAppointment, RemoteAppointments, RemoteStatus, SyncHandle, ports::PortError,
};
use teleconsult_tests::fhir_peer::{FhirPeer, workload};

/// Records what the pull hands to booking.
#[derive(Default)]
struct Recorder(Mutex<Vec<RemoteAppointment>>);

impl RemoteAppointments for Recorder {
    fn apply(&self, change: &RemoteAppointment) -> Result<Applied, PortError> {
        let mut seen = self.0.lock().map_err(|_| PortError("poisoned".into()))?;
        seen.push(change.clone());
        Ok(match change.status {
            RemoteStatus::Booked => Applied::Booked,
            RemoteStatus::Cancelled => Applied::Cancelled,
            RemoteStatus::Other(_) => Applied::Ignored,
        })
    }
}

#[tokio::test]
async fn remote_bookings_and_cancellations_reach_the_booking_port() -> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let peer = FhirPeer::start(true).await?;
    let (_dir, store) = open_store()?;
    let queued = workload::seed(&store, 1, 0, 1, 0, Timestamp::now())?;
    let recorder = Arc::new(Recorder::default());
    let worker = teleconsult_sync::worker(
        &settings(&peer, fast()),
        Arc::new(store.clone()),
        recorder.clone(),
        Arc::new(SystemClock),
        SyncHandle::new(),
    )?;
    // First poll: registers the practitioner on the platform; nothing booked yet.
    let mut versions = HashMap::new();
    let report = worker.pull_once(&mut versions).await?;
    assert_eq!(report.seen, 0);
    let practitioner = peer.resources("Practitioner").await?;
    let practitioner_id = practitioner[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Somebody books on the platform, for a patient the platform knows by national id.
    let http = reqwest::Client::new();
    let patient: serde_json::Value = http
        .post(format!("{}/Patient", peer.base_url))
        .json(&json!({"resourceType": "Patient", "identifier": [{"system": "urn:oid:1.3.182.4.4", "value": "1975010112345"}]}))
        .send().await?.json().await?;
    let start = Timestamp::now().checked_add(jiff::SignedDuration::from_hours(30))?;
    let end = start.checked_add(jiff::SignedDuration::from_mins(20))?;
    let booked: serde_json::Value = http
        .post(format!("{}/Appointment", peer.base_url))
        .json(&json!({"resourceType": "Appointment", "status": "booked", "start": start.to_string(), "end": end.to_string(),
            "participant": [{"actor": {"reference": format!("Practitioner/{practitioner_id}")}, "status": "accepted"},
                            {"actor": {"reference": format!("Patient/{}", patient["id"].as_str().unwrap_or_default())}, "status": "accepted"}]}))
        .send().await?.json().await?;
    let report = worker.pull_once(&mut versions).await?;
    assert_eq!(report.applied, [Applied::Booked]);
    let cursor = store.sync_cursor(teleconsult_sync::pull::APPOINTMENTS_CURSOR)?;
    assert!(cursor.is_some(), "the cursor is persisted");
    {
        let seen = recorder.0.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        assert_eq!(seen[0].status, RemoteStatus::Booked);
        assert_eq!(seen[0].practitioner, queued.practitioners[0]);
        assert_eq!(seen[0].local, None);
        assert_eq!(seen[0].start, start);
        assert_eq!(
            seen[0].patient_identifier,
            Some(("urn:oid:1.3.182.4.4".into(), "1975010112345".into()))
        );
    }
    // Polling again within the overlap hands nothing new over.
    assert!(worker.pull_once(&mut versions).await?.applied.is_empty());

    // The platform cancels it.
    let mut cancelled = booked.clone();
    cancelled["status"] = json!("cancelled");
    let version = booked["meta"]["versionId"].as_str().unwrap_or_default();
    let response = http
        .put(format!(
            "{}/Appointment/{}",
            peer.base_url,
            booked["id"].as_str().unwrap_or_default()
        ))
        .header("If-Match", format!("W/\"{version}\""))
        .json(&cancelled)
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let report = worker.pull_once(&mut versions).await?;
    assert_eq!(report.applied, [Applied::Cancelled]);
    assert!(report.cursor >= cursor);
    let last = recorder
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .last()
        .map(|c| c.status.clone());
    assert_eq!(last, Some(RemoteStatus::Cancelled));
    peer.stop().await
}
