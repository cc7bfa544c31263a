//! Issue #18 (11): a cancellation pulled from the platform is applied only to an appointment of
//! the practitioner whose feed carried it. A hostile (or broken) platform answering, in Dr
//! Ferreira's feed, a cancellation that names Dr Weber's appointment (its local identifier)
//! must not cancel it.

use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::booking::{DR_FERREIRA, MIN_LEAD, free_starts};
use teleconsult_tests::fhir_peer::FhirPeer;
use teleconsult_tests::platform::PlatformSite;
use teleconsult_tests::poll_until;

const SYNC_WAIT: Duration = Duration::from_secs(60);

/// The first resource of `resource_type` on the peer that `wanted` picks, once there; a peer
/// that does not answer is an error, never "not there yet".
async fn on_peer_when<F>(
    peer: &FhirPeer,
    what: &str,
    resource_type: &str,
    wanted: F,
) -> anyhow::Result<Value>
where
    F: Fn(&Value) -> bool,
{
    let wanted = &wanted;
    poll_until(what, SYNC_WAIT, || async move {
        match peer.resources(resource_type).await {
            Ok(found) => found.into_iter().find(wanted).map(Ok),
            Err(e) => Some(Err(e)),
        }
    })
    .await?
}

/// The peer's Practitioner resource of a demo practitioner, once the site created it.
async fn practitioner_on_peer(peer: &FhirPeer, id: &str) -> anyhow::Result<String> {
    let found = on_peer_when(
        peer,
        "the practitioner on the platform",
        "Practitioner",
        |p| {
            p["identifier"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|i| i["value"] == id))
        },
    )
    .await?;
    Ok(found["id"]
        .as_str()
        .context("a Practitioner without id")?
        .to_owned())
}

#[tokio::test]
async fn a_cancellation_in_one_practitioners_feed_cannot_cancel_anothers_appointment()
-> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let peer = FhirPeer::start(false).await?;
    let site = PlatformSite::start(&peer, "", 82).await?;
    let daemon = &site.daemon;
    let http = reqwest::Client::new();

    // The patient books Dr Weber; the booking reaches the platform with its local identifier.
    let weber_appointment = site.book().await?;
    let ours = on_peer_when(&peer, "the booking on the platform", "Appointment", |a| {
        a["status"] == "booked"
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
    // here, the pull has gone past the hostile entry. The slot starts well after the wait, so
    // only the pull takes it off the free slots, never the time passing.
    let slots = || free_starts(daemon, &site.patient, DR_FERREIRA, MIN_LEAD);
    let theirs = free_starts(daemon, &site.patient, DR_FERREIRA, 2 * SYNC_WAIT)
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
        match slots().await {
            Ok(free) if free.contains(&theirs) => None,
            Ok(_) => Some(Ok(())),
            Err(e) => Some(Err(e)),
        }
    })
    .await??;

    let appointment = daemon
        .get_ok(
            &site.patient,
            &format!("/api/v1/appointments/{weber_appointment}"),
        )
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
