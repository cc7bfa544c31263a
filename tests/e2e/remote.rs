//! Bookings and cancellations made on the national platform (the real FHIR peer), applied by
//! the daemon: a platform cancellation cancels the local appointment and tells the patient; a
//! platform booking takes its slot off the local calendar until it is cancelled there.

use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::accounts::{Login, WAIT, phone};
use teleconsult_tests::booking::{DR_WEBER, MIN_LEAD, book_id_with_lead, free_starts, request};
use teleconsult_tests::fhir_peer::FhirPeer;
use teleconsult_tests::platform::PlatformSite;
use teleconsult_tests::poll_until;

const SYNC_WAIT: Duration = Duration::from_secs(60);

/// Every free start of Dr Weber as `who` sees it (no lead: for "is it offered" checks).
async fn offered(site: &PlatformSite, who: &Login) -> anyhow::Result<Vec<String>> {
    let slots = site
        .get_ok(who, &format!("/api/v1/practitioners/{DR_WEBER}/slots"))
        .await?;
    Ok(slots
        .as_array()
        .context("slots: not a list")?
        .iter()
        .filter_map(|s| s["start"].as_str().map(str::to_owned))
        .collect())
}

/// A platform Appointment of Dr Weber (as the platform knows him) at `start`, 20 minutes long.
fn platform_booking(practitioner: &Value, start: &str) -> anyhow::Result<Value> {
    let from: teleconsult_core::Timestamp = start.parse()?;
    let end = from.checked_add(jiff::SignedDuration::from_mins(20))?;
    Ok(
        json!({"resourceType": "Appointment", "status": "booked", "start": start, "end": end.to_string(),
        "participant": [{"actor": {"reference": format!("Practitioner/{}", practitioner["id"].as_str().unwrap_or_default())}, "status": "accepted"}]}),
    )
}

#[tokio::test]
async fn platform_bookings_and_cancellations_reach_the_site() -> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let peer = FhirPeer::start(false).await?;
    let site = PlatformSite::start(&peer, "", 70).await?;
    let patient = &site.patient;
    let http = reqwest::Client::new();
    let free = free_starts(&site, patient, DR_WEBER, MIN_LEAD).await?;
    anyhow::ensure!(free.len() > 5, "six free slots needed: {free:?}");
    let (mine, theirs) = (free[0].clone(), free[3].clone());

    // A local booking reaches the platform…
    let (status, booked) = site
        .post(patient, "/api/v1/appointments", &request(DR_WEBER, &mine))
        .await?;
    assert_eq!(status, 201, "{booked}");
    let id = booked["id"].as_str().context("id")?.to_owned();
    let remote = poll_until("the booking on the platform", SYNC_WAIT, || async {
        peer.resources("Appointment")
            .await
            .ok()?
            .into_iter()
            .find(|a| a["status"] == "booked")
    })
    .await?;

    // …and is cancelled there: the site cancels it and tells the patient.
    let mut cancelled = remote.clone();
    cancelled["status"] = json!("cancelled");
    let url = format!(
        "{}/Appointment/{}",
        peer.base_url,
        remote["id"].as_str().unwrap_or_default()
    );
    let put = http.put(&url).json(&cancelled).send().await?;
    assert!(put.status().is_success(), "{}", put.text().await?);
    poll_until("the local cancellation", SYNC_WAIT, || async {
        let a = site
            .get_ok(patient, &format!("/api/v1/appointments/{id}"))
            .await
            .ok()?;
        (a["status"] == "cancelled").then_some(())
    })
    .await?;
    poll_until("the cancellation SMS", WAIT, || async {
        site.sms.messages().into_iter().find(|m| {
            m["to"] == phone(70) && m["text"].as_str().is_some_and(|t| t.contains("annulée"))
        })
    })
    .await?;
    assert!(
        offered(&site, patient).await?.contains(&mine),
        "the slot is free again"
    );

    // Somebody books Dr Weber on the platform: that slot is no longer offered here.
    let practitioner = poll_until("Dr Weber on the platform", SYNC_WAIT, || async {
        peer.resources("Practitioner")
            .await
            .ok()?
            .into_iter()
            .find(|p| {
                p["identifier"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|i| i["value"] == DR_WEBER))
            })
    })
    .await?;
    let created: Value = http
        .post(format!("{}/Appointment", peer.base_url))
        .json(&platform_booking(&practitioner, &theirs)?)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    poll_until("the remote booking to take the slot", SYNC_WAIT, || async {
        (!offered(&site, patient).await.ok()?.contains(&theirs)).then_some(())
    })
    .await?;
    let (status, taken) = site
        .post(patient, "/api/v1/appointments", &request(DR_WEBER, &theirs))
        .await?;
    assert_eq!(status, 409, "{taken}");

    // The platform books a slot a local patient already has: both kept, staff told.
    let (status, local) = site
        .post(
            patient,
            "/api/v1/appointments",
            &request(DR_WEBER, &free[5]),
        )
        .await?;
    assert_eq!(status, 201, "{local}");
    http.post(format!("{}/Appointment", peer.base_url))
        .json(&platform_booking(&practitioner, &free[5])?)
        .send()
        .await?
        .error_for_status()?;
    let conflicts = poll_until("the conflict shown to staff", SYNC_WAIT, || async {
        let list = site
            .get_ok(&site.staff, "/api/v1/sync/conflicts")
            .await
            .ok()?;
        (list.as_array()?.len() == 1).then_some(list)
    })
    .await?;
    assert_eq!(conflicts[0]["local_appointment_id"], local["id"]);
    let kept = site
        .get_ok(
            patient,
            &format!(
                "/api/v1/appointments/{}",
                local["id"].as_str().unwrap_or_default()
            ),
        )
        .await?;
    assert_eq!(kept["status"], "booked", "the local booking is kept");
    assert_eq!(site.get(patient, "/api/v1/sync/conflicts").await?.0, 403);

    // Cancelled on the platform: offered again.
    let mut released = created.clone();
    released["status"] = json!("cancelled");
    let url = format!(
        "{}/Appointment/{}",
        peer.base_url,
        created["id"].as_str().unwrap_or_default()
    );
    assert!(
        http.put(&url)
            .json(&released)
            .send()
            .await?
            .status()
            .is_success()
    );
    poll_until("the slot to be free again", SYNC_WAIT, || async {
        offered(&site, patient)
            .await
            .ok()?
            .contains(&theirs)
            .then_some(())
    })
    .await?;
    peer.stop().await?;
    Ok(())
}

/// Issue #8's staff view of refused messages: while the platform refuses everything with 422,
/// two bookings are parked (never retried on their own); staff see them in the API and on the
/// sync page, retry one once the platform is fixed (it arrives, once) and discard the other on
/// the page (it never arrives). Patients cannot see or touch any of it.
#[tokio::test]
async fn staff_retry_and_discard_messages_the_platform_refused() -> anyhow::Result<()> {
    use teleconsult_tests::pages::{get_page, post_form};
    teleconsult_tests::init_crypto();
    let peer = FhirPeer::start(false).await?;
    let site = PlatformSite::start(&peer, "", 75).await?;
    let (patient, staff) = (&site.patient, &site.staff);

    peer.error_burst(422, -1).await?;
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(book_id_with_lead(&site, patient, DR_WEBER, MIN_LEAD, json!({})).await?);
    }
    let parked = poll_until("both bookings parked", SYNC_WAIT, || async {
        let list = site.get_ok(staff, "/api/v1/sync/parked").await.ok()?;
        let booked: Vec<Value> = list
            .as_array()?
            .iter()
            .filter(|p| p["kind"] == "appointment.booked")
            .cloned()
            .collect();
        (booked.len() == 2).then_some(booked)
    })
    .await?;
    for p in &parked {
        assert_eq!(p["status"], 422, "{p}");
        assert!(
            ids.iter()
                .any(|id| p["aggregate"] == format!("appointment/{id}")),
            "{p}"
        );
    }
    let (status, html) = get_page(&site, staff, "/sync").await?;
    assert_eq!(status, 200);
    assert!(
        html.contains("appointment.booked") && html.contains("Réessayer"),
        "{html}"
    );
    assert_eq!(site.get(patient, "/api/v1/sync/parked").await?.0, 403);
    let retry = format!("/api/v1/sync/parked/{}/retry", parked[0]["id"]);
    assert_eq!(site.post(patient, &retry, &json!({})).await?.0, 403);

    // The platform is fixed: one retried, the other discarded on the page.
    peer.heal().await?;
    let (status, body) = site.post(staff, &retry, &json!({})).await?;
    assert_eq!(status, 204, "{body}");
    let (status, _) = site.post(staff, &retry, &json!({})).await?;
    assert_eq!(status, 404, "no longer parked");
    let (status, at, html) = post_form(
        &site,
        staff,
        &format!("/sync/parked/{}/discard", parked[1]["id"]),
        &[],
    )
    .await?;
    assert_eq!((status, at.as_str()), (200, "/sync?done=discard"), "{html}");
    let aggregate_id = |p: &Value| {
        p["aggregate"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("appointment/")
            .to_owned()
    };
    let (retried_id, discarded_id) = (aggregate_id(&parked[0]), aggregate_id(&parked[1]));
    poll_until("the retried booking on the platform", SYNC_WAIT, || async {
        let all = peer.resources("Appointment").await.ok()?;
        let arrived = all
            .iter()
            .filter(|a| a.to_string().contains(&retried_id))
            .count();
        (arrived == 1).then_some(())
    })
    .await?;
    let all = peer.resources("Appointment").await?;
    assert!(
        !all.iter().any(|a| a.to_string().contains(&discarded_id)),
        "a discarded message never reaches the platform"
    );
    let list = site.get_ok(staff, "/api/v1/sync/parked").await?;
    assert!(
        !list
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["kind"] == "appointment.booked"),
        "{list}"
    );
    Ok(())
}
