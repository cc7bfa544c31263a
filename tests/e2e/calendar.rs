//! Issue #18 (11): the `.ics` of a booking and of its cancellation, as the patient's mail client
//! receives them, are valid iTIP — checked by an independent parser (Python `icalendar`,
//! `tests/sinks/itip_check.py`): the cancellation updates the published event (same UID,
//! `STATUS:CANCELLED`, a higher `SEQUENCE`, an `ORGANIZER`), so calendars remove it.

use anyhow::Context;
use serde_json::json;
use std::process::Command;
use teleconsult_tests::accounts::WAIT;
use teleconsult_tests::booking::{CANCELLABLE, DR_WEBER, book_id_with_lead};
use teleconsult_tests::site::Site;

#[tokio::test]
async fn the_invitation_and_its_cancellation_are_valid_itip() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let smtp = &site.smtp;
    let email = "patient81@example.lu";
    let patient = site.patient(81).await?;

    // A slot far enough ahead to be cancelled online.
    let id = book_id_with_lead(&site, &patient, DR_WEBER, CANCELLABLE, json!({})).await?;
    let confirmation = smtp.wait_for(email, "réservée", WAIT).await?;
    let (status, body) = site
        .post(
            &patient,
            &format!("/api/v1/appointments/{id}/cancel"),
            &json!({}),
        )
        .await?;
    anyhow::ensure!(status == 200, "cancel: {status} {body}");
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
        let text = part
            .text
            .as_deref()
            .with_context(|| format!("the .ics of {:?} has no text", mail.subject))?;
        std::fs::write(&path, text)?;
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
