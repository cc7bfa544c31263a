//! Issue #18 (11): the `.ics` of a booking and of its cancellation, as the patient's mail client
//! receives them, are valid iTIP — checked by an independent parser (Python `icalendar`,
//! `tests/sinks/itip_check.py`): the cancellation updates the published event (same UID,
//! `STATUS:CANCELLED`, a higher `SEQUENCE`, an `ORGANIZER`), so calendars remove it.

use serde_json::{Value, json};
use std::process::Command;
use teleconsult_tests::accounts::{
    PASSWORD, WAIT, demo_with_sinks, login, phone, register_and_activate, registration,
};

const DR_WEBER: &str = "00000000-0000-0000-0000-00007c1e0001";

#[tokio::test]
async fn the_invitation_and_its_cancellation_are_valid_itip() -> anyhow::Result<()> {
    let (daemon, smtp, sms) = demo_with_sinks("").await?;
    register_and_activate(&daemon, &smtp, &registration(81)).await?;
    let email = "patient81@example.lu";
    let patient = login(&daemon, &sms, email, PASSWORD, &phone(81), 0).await?;
    let auth = patient.bearer();

    // A slot far enough ahead to be cancelled online.
    let cancellable = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(3);
    let slots: Value = daemon
        .client
        .get(daemon.url(&format!("/api/v1/practitioners/{DR_WEBER}/slots")))
        .header("authorization", &auth)
        .send()
        .await?
        .json()
        .await?;
    let start = slots
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["start"].as_str())
        .find(|s| s.parse::<jiff::Timestamp>().is_ok_and(|t| t > cancellable))
        .ok_or_else(|| anyhow::anyhow!("no slot three hours ahead"))?
        .to_owned();
    let booked = daemon
        .client
        .post(daemon.url("/api/v1/appointments"))
        .header("authorization", &auth)
        .json(
            &json!({"practitioner_id": DR_WEBER, "start": start, "mode": "video", "confirm": true}),
        )
        .send()
        .await?;
    anyhow::ensure!(booked.status() == 201, "booking: {}", booked.status());
    let id = booked.json::<Value>().await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let confirmation = smtp.wait_for(email, "réservée", WAIT).await?;
    let cancel = daemon
        .client
        .post(daemon.url(&format!("/api/v1/appointments/{id}/cancel")))
        .header("authorization", &auth)
        .json(&json!({}))
        .send()
        .await?;
    anyhow::ensure!(cancel.status() == 200, "cancel: {}", cancel.status());
    let cancellation = smtp.wait_for(email, "annulée", WAIT).await?;

    let dir = tempfile::tempdir()?;
    let mut files = Vec::new();
    let mut content_types = Vec::new();
    for (name, mail) in [
        ("booked.ics", &confirmation),
        ("cancelled.ics", &cancellation),
    ] {
        let part = mail
            .parts
            .iter()
            .find(|p| p.filename.as_deref() == Some("teleconsultation.ics"))
            .ok_or_else(|| anyhow::anyhow!("no .ics in {:?}", mail.subject))?;
        let path = dir.path().join(name);
        std::fs::write(&path, part.text.as_deref().unwrap_or_default())?;
        files.push(path);
        content_types.push(part.content_type.clone());
    }
    let script = teleconsult_tests::daemon::workspace_root().join("tests/sinks/itip_check.py");
    let out = Command::new(teleconsult_tests::python::interpreter()?)
        .arg(script)
        .args(&files)
        .output()?;
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "not valid iTIP:\n{report}{}\n--- cancellation ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&files[1])?
    );
    assert_eq!(report.trim(), "ok");
    // RFC 6047 (iMIP): the method is a parameter of the MIME type too.
    for content_type in content_types {
        assert!(
            content_type.contains("text/calendar")
                && content_type
                    .to_lowercase()
                    .replace('"', "")
                    .contains("method=publish"),
            "{content_type}"
        );
    }
    Ok(())
}
