//! How the site proves who it is to the national platform (`[platform] auth`), against the real
//! FHIR peer demanding it: a bearer token read from a file (rotated without a restart) and mutual
//! TLS with a client certificate from a test CA. Wrong credentials are the site's problem, not
//! the messages': nothing is parked, staff see "authentication failed", and once the
//! credentials are right everything arrives exactly once. Also: a national identifier system set
//! in `[platform] national_id_systems` is the one the platform's Patient carries.

use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::fhir_peer::{FhirPeer, PeerOptions, TestPki, count_with_identifier};
use teleconsult_tests::platform::PlatformSite as Site;
use teleconsult_tests::poll_until;

/// The demo site's identifier namespace (`[site] id = "demo"`).
const APPOINTMENT_SYSTEM: &str = "urn:teleconsult:DEMO:appointment";
const LU_DEFAULT_SYSTEM: &str = "urn:oid:1.3.182.4.4";
/// Long enough for a few back-off rounds of the daemon's worker (its circuit pause doubles from
/// 2 s), short enough to fail fast.
const SYNC_WAIT: Duration = Duration::from_secs(60);

/// Waits until staff see a `last_error` starting with `prefix` and containing `containing`
/// while entries wait; then checks, after further refused attempts (`refused` counts them
/// on the peer), that nothing was parked.
async fn shows_refusal_and_parks_nothing<F, Fut>(
    site: &Site,
    refused: F,
    prefix: &str,
    containing: &str,
) -> anyhow::Result<Value>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<u64>>,
{
    let status = poll_until("staff to see the refusal", SYNC_WAIT, || async {
        let status = site.sync_status().await.ok()?;
        let error = status["last_error"].as_str()?;
        (error.starts_with(prefix) && error.contains(containing) && status["pending"].as_u64()? > 0)
            .then_some(status)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}; log:\n{}", site.daemon.logs()))?;
    let before = refused().await?;
    anyhow::ensure!(before > 0, "the peer counted no refusal behind {status}");
    let refused = &refused;
    poll_until("more refused attempts", SYNC_WAIT, || async move {
        match refused().await {
            Ok(n) if n < before + 2 => None,
            other => Some(other),
        }
    })
    .await??;
    let status_after = site.sync_status().await?;
    assert_eq!(status_after["parked"], 0, "{status_after}");
    assert_eq!(
        site.get_ok(&site.staff, "/api/v1/sync/parked").await?,
        json!([]),
        "nothing parked"
    );
    assert_ne!(status_after["state"], "online", "{status_after}");
    Ok(status)
}

/// Waits until `appointments` are on the peer with these statuses and the worker reports an
/// empty outbox (it stays `degraded` for a while after failures, so the state is not asked).
async fn delivered(
    site: &Site,
    peer: &FhirPeer,
    appointments: &[(&str, &str)],
) -> anyhow::Result<Value> {
    poll_until("everything on the platform", SYNC_WAIT, || async {
        for (id, status) in appointments {
            if on_peer(peer, id).await.ok()??["status"] != *status {
                return None;
            }
        }
        let status = site.sync_status().await.ok()?;
        (status["pending"] == 0).then_some(status)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}; log:\n{}", site.daemon.logs()))
}

/// Each appointment once on the peer (by its site identifier), the patient once.
async fn assert_exactly_once(
    peer: &FhirPeer,
    site: &Site,
    appointments: &[&str],
) -> anyhow::Result<()> {
    let stored = peer.resources("Appointment").await?;
    for id in appointments {
        assert_eq!(
            count_with_identifier(&stored, APPOINTMENT_SYSTEM, id),
            1,
            "appointment {id} in {stored:?}"
        );
    }
    assert_eq!(stored.len(), appointments.len(), "{stored:?}");
    let patients = peer.resources("Patient").await?;
    assert_eq!(
        count_with_identifier(&patients, LU_DEFAULT_SYSTEM, &site.national_id),
        1,
        "{patients:?}"
    );
    assert_eq!(patients.len(), 1);
    Ok(())
}

/// The appointment with this site identifier on the peer, if it is there. A peer that does
/// not answer is an error, never "not there".
async fn on_peer(peer: &FhirPeer, appointment: &str) -> anyhow::Result<Option<Value>> {
    Ok(peer.resources("Appointment").await?.into_iter().find(|a| {
        count_with_identifier(std::slice::from_ref(a), APPOINTMENT_SYSTEM, appointment) == 1
    }))
}

/// One of the peer's counters; a peer that does not answer, or lacks the counter, is an error.
async fn peer_count(peer: &FhirPeer, field: &str) -> anyhow::Result<u64> {
    let stats = peer.stats().await?;
    stats[field]
        .as_u64()
        .with_context(|| format!("the peer's stats have no counter {field:?}: {stats}"))
}

#[tokio::test]
async fn bearer_token_rotated_in_its_file_is_picked_up_and_nothing_is_parked_meanwhile()
-> anyhow::Result<()> {
    let peer = FhirPeer::start_with(PeerOptions {
        bearer_token: Some("token-one".to_owned()),
        ..PeerOptions::default()
    })
    .await?;
    let secrets = tempfile::tempdir()?;
    let token_file = secrets.path().join("platform.token");
    std::fs::write(&token_file, "token-one\n")?;
    let site = Site::start(
        &peer,
        &format!(
            "auth = \"bearer\"\ntoken_file = \"{}\"\n",
            token_file.display()
        ),
        80,
    )
    .await?;

    // With the right token a booking reaches the platform.
    let first = site.book().await?;
    delivered(&site, &peer, &[(&first, "booked")]).await?;

    // The platform rotates the token; the site's file still holds the old one. A new booking
    // and a cancellation wait: refused with 401, never parked, staff told why.
    peer.set_bearer_token(Some("token-two")).await?;
    let second = site.book().await?;
    site.cancel(&first).await?;
    let status = shows_refusal_and_parks_nothing(
        &site,
        || peer_count(&peer, "unauthorized"),
        "authentication failed: HTTP 401",
        "credentials",
    )
    .await?;
    assert!(
        !status.to_string().contains("token-"),
        "the token is never shown: {status}"
    );
    assert!(on_peer(&peer, &second).await?.is_none(), "nothing accepted");
    let stored = on_peer(&peer, &first).await?;
    assert_eq!(
        stored.as_ref().map(|a| a["status"].clone()),
        Some(json!("booked")),
        "the cancellation waits too"
    );
    assert!(
        !site.daemon.logs().contains("token-one"),
        "the token never reaches the log"
    );

    // The new token is written into the file: picked up without a restart.
    std::fs::write(&token_file, "token-two\n")?;
    let status = delivered(&site, &peer, &[(&first, "cancelled"), (&second, "booked")]).await?;
    assert_eq!(status["parked"], 0, "{status}");
    assert_exactly_once(&peer, &site, &[&first, &second]).await?;
    assert!(
        !site.daemon.logs().contains("token-two"),
        "the token never reaches the log"
    );
    peer.stop().await
}

#[tokio::test]
async fn mutual_tls_with_the_platform_ca_and_a_foreign_client_certificate_refused()
-> anyhow::Result<()> {
    let pki_dir = tempfile::tempdir()?;
    let platform = TestPki::generate(pki_dir.path(), "platform")?;
    let foreign = TestPki::generate(pki_dir.path(), "foreign")?;
    let peer = FhirPeer::start_with(PeerOptions {
        mtls: Some(platform.clone()),
        ..PeerOptions::default()
    })
    .await?;
    assert!(peer.base_url.starts_with("https://127.0.0.1:"));
    let mtls = |client: &TestPki| {
        format!(
            "auth = \"mtls\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\nca_file = \"{}\"\n",
            client.client_cert.display(),
            client.client_key.display(),
            platform.ca_cert.display()
        )
    };
    let good = mtls(&platform);
    let mut site = Site::start(&peer, &good, 81).await?;

    // A client certificate of the platform's CA: data arrives.
    let first = site.book().await?;
    delivered(&site, &peer, &[(&first, "booked")]).await?;
    assert_eq!(peer_count(&peer, "tls_refused").await?, 0);

    // A certificate from another CA: every handshake refused. The peer (like many servers)
    // closes the connection without an alert, which the client cannot tell from a network
    // fault: a connection failure (back-off) whose message names the client certificate;
    // nothing parked. (A server that sends the alert gives "authentication failed": unit test
    // in sync/src/client.rs.)
    let reconfigure = |site: &Site, from: &str, to: &str| -> anyhow::Result<()> {
        let path = site.daemon.config_path();
        let text = std::fs::read_to_string(&path)?;
        anyhow::ensure!(text.contains(from), "the configuration has no {from:?}");
        std::fs::write(&path, text.replace(from, to))?;
        Ok(())
    };
    site.daemon.terminate(Duration::from_secs(20)).await?;
    reconfigure(&site, &good, &mtls(&foreign))?;
    site.daemon.spawn().await?;
    let second = site.book().await?;
    shows_refusal_and_parks_nothing(
        &site,
        || peer_count(&peer, "tls_refused"),
        "platform unavailable: the platform closed the connection",
        "client certificate",
    )
    .await?;
    assert!(on_peer(&peer, &second).await?.is_none(), "nothing accepted");

    // The configuration is fixed: it arrives, once.
    site.daemon.terminate(Duration::from_secs(20)).await?;
    reconfigure(&site, &mtls(&foreign), &good)?;
    site.daemon.spawn().await?;
    let status = delivered(&site, &peer, &[(&first, "booked"), (&second, "booked")]).await?;
    assert_eq!(status["parked"], 0, "{status}");
    assert_exactly_once(&peer, &site, &[&first, &second]).await?;
    peer.stop().await
}

#[tokio::test]
async fn a_configured_national_id_system_is_the_one_the_platform_patient_carries()
-> anyhow::Result<()> {
    const SYSTEM: &str = "urn:oid:1.2.3.4.5.6.7";
    let peer = FhirPeer::start(true).await?;
    let site = Site::start(
        &peer,
        &format!("national_id_systems = {{ LU = \"{SYSTEM}\" }}\n"),
        82,
    )
    .await?;
    let booked = site.book().await?;
    delivered(&site, &peer, &[(&booked, "booked")]).await?;
    let patients = peer.resources("Patient").await?;
    assert_eq!(patients.len(), 1, "{patients:?}");
    assert_eq!(
        count_with_identifier(&patients, SYSTEM, &site.national_id),
        1,
        "{patients:?}"
    );
    assert_eq!(
        count_with_identifier(&patients, LU_DEFAULT_SYSTEM, &site.national_id),
        0,
        "the built-in system is replaced, not added"
    );
    // The appointment points at that patient.
    let appointment = on_peer(&peer, &booked).await?;
    let patient_ref = format!("Patient/{}", patients[0]["id"].as_str().unwrap_or_default());
    assert!(
        appointment.is_some_and(|a| a.to_string().contains(&patient_ref)),
        "the appointment refers to {patient_ref}"
    );
    peer.stop().await
}
