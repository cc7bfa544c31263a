//! `POST /api/v1/patients`: validation of every field at once, uniqueness, encryption at rest.

use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::national_id::Country;
use teleconsult_tests::accounts::registration;
use teleconsult_tests::{Daemon, DaemonOptions};

#[tokio::test]
async fn a_patient_registers_and_is_stored_encrypted_and_audited() -> anyhow::Result<()> {
    let mut daemon = Daemon::start(DaemonOptions::default()).await?;
    let form = registration(1);
    let response = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .json(&form)
        .send()
        .await?;
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(id.len(), 36, "{id}");

    // The same national id and e-mail again: the same answer as a new registration (201 and
    // a fresh id), and nothing created (what the mailboxes are told: `account_changes.rs`).
    let again = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .json(&form)
        .send()
        .await?;
    assert_eq!(again.status(), 201);
    let other = again.json::<Value>().await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(other, id);

    daemon.terminate(Duration::from_secs(5)).await?;
    let store = teleconsult_tests::daemon::open_store(&daemon)?;
    let national_id = form["national_id"].as_str().unwrap_or_default();
    let found = store.patient_id_by_national_id(Country::LU, national_id)?;
    assert_eq!(found.map(|p| p.to_string()), Some(id.clone()));
    let records = store.audit_records(1, 1000)?;
    let creations: Vec<&AuditEvent> = records
        .iter()
        .map(|r| &r.event)
        .filter(|e| e.object_id == id && e.object_type == "patient")
        .collect();
    assert_eq!(
        creations.len(),
        1,
        "one audit record for the creation: {creations:?}"
    );
    drop(store);

    // Nothing of the patient is on disk in clear.
    for entry in walk(&daemon.storage_path())? {
        let bytes = std::fs::read(&entry)?;
        for needle in ["Quackenbush1", national_id, "patient1@example.lu"] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{needle} in clear in {}",
                entry.display()
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions::default()).await?;
    let form = json!({
        "national_id": "1893120105733",
        "first_name": "",
        "last_name": "Weber",
        "birth_date": "15/07/1985",
        "phone": "12",
        "email": "not-an-email",
        "language": "xx",
        "password": "short",
        "consents": {"data_processing": false, "teleconsultation": true}
    });
    let response = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .json(&form)
        .send()
        .await?;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await?;
    assert_eq!(body["error"], "invalid_input");
    for field in [
        "national_id",
        "first_name",
        "birth_date",
        "phone",
        "email",
        "language",
        "password",
        "consents.data_processing",
    ] {
        assert!(
            body["fields"][field].is_string(),
            "no message for {field}: {body}"
        );
    }
    assert!(body["fields"].get("last_name").is_none(), "{body}");
    assert!(
        body["fields"].get("consents.teleconsultation").is_none(),
        "{body}"
    );

    // A birth date that disagrees with the matricule.
    let mut mismatch = registration(2);
    mismatch["birth_date"] = json!("1985-07-16");
    let response = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .json(&mismatch)
        .send()
        .await?;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await?;
    assert!(
        body["fields"]["birth_date"]
            .as_str()
            .is_some_and(|m| m.contains("national id")),
        "{body}"
    );

    // Unknown fields and wrong types are refused, not ignored.
    let mut extra = registration(3);
    extra["is_admin"] = json!(true);
    let response = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .json(&extra)
        .send()
        .await?;
    assert_eq!(response.status(), 422);
    assert_eq!(response.json::<Value>().await?["error"], "invalid_body");
    Ok(())
}

fn walk(dir: &std::path::Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(walk(&path)?)
        } else {
            files.push(path)
        }
    }
    Ok(files)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn registrations_are_rate_limited_per_address() -> anyhow::Result<()> {
    let options = DaemonOptions {
        extra_config: "[limits]\nregister_per_hour = 3\n".into(),
        ..Default::default()
    };
    let daemon = Daemon::start(options).await?;
    for n in 0..3 {
        let r = daemon
            .client
            .post(daemon.url("/api/v1/patients"))
            .json(&registration(200 + n))
            .send()
            .await?;
        assert_eq!(r.status(), 201);
    }
    let fourth = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .json(&registration(203))
        .send()
        .await?;
    assert_eq!(fourth.status(), 429);
    let wait: u64 = fourth
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    assert_eq!(fourth.json::<Value>().await?["error"], "too_many_attempts");
    Ok(())
}
