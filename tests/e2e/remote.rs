//! Bookings and cancellations made on the national platform (the real FHIR peer), applied by
//! the daemon: a platform cancellation cancels the local appointment and tells the patient; a
//! platform booking takes its slot off the local calendar until it is cancelled there.

use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::accounts::{WAIT, phone};
use teleconsult_tests::booking::{MIN_LEAD, book_id_with_lead, free_starts};
use teleconsult_tests::fhir_peer::FhirPeer;
use teleconsult_tests::platform::PlatformSite;
use teleconsult_tests::poll_until;

const DR_WEBER: &str = "00000000-0000-0000-0000-00007c1e0001";
const SYNC_WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn platform_bookings_and_cancellations_reach_the_site() -> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let peer = FhirPeer::start(false).await?;
    let site = PlatformSite::start(&peer, "", 70).await?;
    let (daemon, sms, patient) = (&site.daemon, &site.sms, &site.patient);
    let auth = patient.bearer();
    let http = reqwest::Client::new();

    let slots = |auth: String| {
        let (client, url) = (
            daemon.client.clone(),
            daemon.url(&format!("/api/v1/practitioners/{DR_WEBER}/slots")),
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
    let free = free_starts(daemon, patient, DR_WEBER, MIN_LEAD).await?;
    anyhow::ensure!(free.len() > 5, "six free slots needed: {free:?}");
    let (mine, theirs) = (free[0].clone(), free[3].clone());

    // A local booking reaches the platform…
    let booked: Value = daemon
        .client
        .post(daemon.url("/api/v1/appointments"))
        .header("authorization", &auth)
        .json(
            &json!({"practitioner_id": DR_WEBER, "start": mine, "mode": "video", "confirm": true}),
        )
        .send()
        .await?
        .json()
        .await?;
    let id = booked["id"].as_str().unwrap_or_default().to_owned();
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
        let a: Value = daemon
            .client
            .get(daemon.url(&format!("/api/v1/appointments/{id}")))
            .header("authorization", &auth)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (a["status"] == "cancelled").then_some(())
    })
    .await?;
    poll_until("the cancellation SMS", WAIT, || async {
        sms.messages().into_iter().find(|m| {
            m["to"] == phone(70) && m["text"].as_str().is_some_and(|t| t.contains("annulée"))
        })
    })
    .await?;
    assert!(
        slots(auth.clone()).await?.contains(&mine),
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
    let start: teleconsult_core::Timestamp = theirs.parse()?;
    let end = start.checked_add(jiff::SignedDuration::from_mins(20))?;
    let appointment = json!({"resourceType": "Appointment", "status": "booked", "start": theirs, "end": end.to_string(),
        "participant": [{"actor": {"reference": format!("Practitioner/{}", practitioner["id"].as_str().unwrap_or_default())}, "status": "accepted"}]});
    let created: Value = http
        .post(format!("{}/Appointment", peer.base_url))
        .json(&appointment)
        .send()
        .await?
        .json()
        .await?;
    poll_until("the remote booking to take the slot", SYNC_WAIT, || async {
        (!slots(auth.clone()).await.ok()?.contains(&theirs)).then_some(())
    })
    .await?;
    let taken = daemon
        .client
        .post(daemon.url("/api/v1/appointments"))
        .header("authorization", &auth)
        .json(&json!({"practitioner_id": DR_WEBER, "start": theirs, "mode": "video", "confirm": true}))
        .send()
        .await?;
    assert_eq!(taken.status(), 409);

    // The platform books a slot a local patient already has: both kept, staff told.
    let local: Value = daemon
        .client
        .post(daemon.url("/api/v1/appointments"))
        .header("authorization", &auth)
        .json(&json!({"practitioner_id": DR_WEBER, "start": free[5], "mode": "video", "confirm": true}))
        .send()
        .await?
        .json()
        .await?;
    let start: teleconsult_core::Timestamp = free[5].parse()?;
    let clash = json!({"resourceType": "Appointment", "status": "booked", "start": free[5], "end": start.checked_add(jiff::SignedDuration::from_mins(20))?.to_string(),
        "participant": [{"actor": {"reference": format!("Practitioner/{}", practitioner["id"].as_str().unwrap_or_default())}, "status": "accepted"}]});
    http.post(format!("{}/Appointment", peer.base_url))
        .json(&clash)
        .send()
        .await?;
    let staff = &site.staff;
    let conflicts = poll_until("the conflict shown to staff", SYNC_WAIT, || async {
        let list: Value = daemon
            .client
            .get(daemon.url("/api/v1/sync/conflicts"))
            .header("authorization", staff.bearer())
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (list.as_array()?.len() == 1).then_some(list)
    })
    .await?;
    assert_eq!(conflicts[0]["local_appointment_id"], local["id"]);
    let kept: Value = daemon
        .client
        .get(daemon.url(&format!(
            "/api/v1/appointments/{}",
            local["id"].as_str().unwrap_or_default()
        )))
        .header("authorization", &auth)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(kept["status"], "booked", "the local booking is kept");
    assert_eq!(
        daemon
            .client
            .get(daemon.url("/api/v1/sync/conflicts"))
            .header("authorization", &auth)
            .send()
            .await?
            .status(),
        403
    );

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
        slots(auth.clone())
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
    let (daemon, patient, staff) = (&site.daemon, &site.patient, &site.staff);
    let api = |who: &teleconsult_tests::accounts::Login, method: &str, path: &str| {
        daemon
            .client
            .request(
                method.parse().unwrap_or(reqwest::Method::GET),
                daemon.url(path),
            )
            .header("authorization", who.bearer())
            .header("x-csrf-token", &who.csrf)
    };

    peer.error_burst(422, -1).await?;
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(book_id_with_lead(daemon, patient, DR_WEBER, MIN_LEAD, json!({})).await?);
    }
    let parked = poll_until("both bookings parked", SYNC_WAIT, || async {
        let list: Value = api(staff, "GET", "/api/v1/sync/parked")
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
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
    let (status, html) = get_page(daemon, staff, "/sync").await?;
    assert_eq!(status, 200);
    assert!(
        html.contains("appointment.booked") && html.contains("Réessayer"),
        "{html}"
    );
    let denied = api(patient, "GET", "/api/v1/sync/parked").send().await?;
    assert_eq!(denied.status(), 403);
    let denied = api(
        patient,
        "POST",
        &format!("/api/v1/sync/parked/{}/retry", parked[0]["id"]),
    )
    .send()
    .await?;
    assert_eq!(denied.status(), 403);

    // The platform is fixed: one retried, the other discarded on the page.
    peer.heal().await?;
    let retried = api(
        staff,
        "POST",
        &format!("/api/v1/sync/parked/{}/retry", parked[0]["id"]),
    )
    .send()
    .await?;
    assert_eq!(retried.status(), 204);
    let again = api(
        staff,
        "POST",
        &format!("/api/v1/sync/parked/{}/retry", parked[0]["id"]),
    )
    .send()
    .await?;
    assert_eq!(again.status(), 404, "no longer parked");
    let (status, at, html) = post_form(
        daemon,
        staff,
        &format!("/sync/parked/{}/discard", parked[1]["id"]),
        &[],
    )
    .await?;
    assert_eq!((status, at.as_str()), (200, "/sync?done=discard"), "{html}");
    let retried_id = parked[0]["aggregate"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("appointment/")
        .to_owned();
    let discarded_id = parked[1]["aggregate"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("appointment/")
        .to_owned();
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
    let list: Value = api(staff, "GET", "/api/v1/sync/parked")
        .send()
        .await?
        .json()
        .await?;
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
