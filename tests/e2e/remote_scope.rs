//! Issue #18 (11): a cancellation pulled from the platform is applied only to an appointment of
//! the practitioner whose feed carried it. A hostile (or broken) platform answering, in Dr
//! Ferreira's feed, a cancellation that names Dr Weber's appointment (its local identifier)
//! must not cancel it.

use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::fhir_peer::FhirPeer;
use teleconsult_tests::platform::PlatformSite;
use teleconsult_tests::poll_until;

const DR_FERREIRA: &str = "00000000-0000-0000-0000-00007c1e0002";
const SYNC_WAIT: Duration = Duration::from_secs(60);

/// The peer's Practitioner resource of a demo practitioner, once the site created it.
async fn practitioner_on_peer(peer: &FhirPeer, id: &str) -> anyhow::Result<String> {
    let found = poll_until("the practitioner on the platform", SYNC_WAIT, || async {
        peer.resources("Practitioner")
            .await
            .ok()?
            .into_iter()
            .find(|p| {
                p["identifier"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|i| i["value"] == id))
            })
    })
    .await?;
    Ok(found["id"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_cancellation_in_one_practitioners_feed_cannot_cancel_anothers_appointment()
-> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let peer = FhirPeer::start(false).await?;
    let site = PlatformSite::start(&peer, "", 82).await?;
    let daemon = &site.daemon;
    let auth = site.patient.bearer();
    let http = reqwest::Client::new();

    // The patient books Dr Weber; the booking reaches the platform with its local identifier.
    let weber_appointment = site.book(0).await?;
    let ours = poll_until("the booking on the platform", SYNC_WAIT, || async {
        peer.resources("Appointment")
            .await
            .ok()?
            .into_iter()
            .find(|a| a["status"] == "booked")
    })
    .await?;
    let ferreira = practitioner_on_peer(&peer, DR_FERREIRA).await?;

    // The hostile answer: in Dr Ferreira's feed, a cancellation carrying the identifier of Dr
    // Weber's appointment.
    let mut hostile = ours.clone();
    if let Some(resource) = hostile.as_object_mut() {
        resource.remove("id");
        resource.remove("meta");
    }
    hostile["status"] = json!("cancelled");
    hostile["participant"] =
        json!([{"actor": {"reference": format!("Practitioner/{ferreira}")}, "status": "accepted"}]);
    let created = http
        .post(format!("{}/Appointment", peer.base_url))
        .json(&hostile)
        .send()
        .await?;
    anyhow::ensure!(created.status().is_success(), "{}", created.text().await?);

    // Then, in the same feed, a genuine platform booking of Dr Ferreira: once its slot is taken
    // here, the pull has gone past the hostile entry.
    let slots = |auth: String| {
        let (client, url) = (
            daemon.client.clone(),
            daemon.url(&format!("/api/v1/practitioners/{DR_FERREIRA}/slots")),
        );
        async move {
            let body: Value = client
                .get(url)
                .header("authorization", auth)
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(
                body.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s["start"].as_str().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            )
        }
    };
    let theirs = slots(auth.clone())
        .await?
        .into_iter()
        .nth(2)
        .ok_or_else(|| anyhow::anyhow!("Dr Ferreira has no free slot"))?;
    let start: jiff::Timestamp = theirs.parse()?;
    let genuine = json!({"resourceType": "Appointment", "status": "booked", "start": theirs,
        "end": start.checked_add(jiff::SignedDuration::from_mins(20))?.to_string(),
        "participant": [{"actor": {"reference": format!("Practitioner/{ferreira}")}, "status": "accepted"}]});
    let created = http
        .post(format!("{}/Appointment", peer.base_url))
        .json(&genuine)
        .send()
        .await?;
    anyhow::ensure!(created.status().is_success(), "{}", created.text().await?);
    poll_until("the pull of Dr Ferreira's feed", SYNC_WAIT, || async {
        (!slots(auth.clone()).await.ok()?.contains(&theirs)).then_some(())
    })
    .await?;

    let appointment: Value = daemon
        .client
        .get(daemon.url(&format!("/api/v1/appointments/{weber_appointment}")))
        .header("authorization", &auth)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        appointment["status"], "booked",
        "Dr Weber's appointment was cancelled through Dr Ferreira's feed: {appointment}"
    );
    assert!(
        daemon
            .logs()
            .contains("platform cancellation of another practitioner's appointment ignored"),
        "{}",
        daemon.logs()
    );
    assert!(
        !site
            .sms
            .messages()
            .iter()
            .any(|m| m["text"].as_str().is_some_and(|t| t.contains("annulée"))),
        "nobody was told of a cancellation"
    );
    peer.stop().await?;
    Ok(())
}
