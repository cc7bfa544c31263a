//! An administrator's routes through the API, success paths and what they leave behind (issue
//! #21): a laboratory added to the directory (and a lab request then reaching it), an account
//! created (its content, its login) and disabled (its session ended, its login refused), and a
//! message the platform refused discarded (it never arrives).

use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::accounts::WAIT;
use teleconsult_tests::booking::{DR_WEBER, MIN_LEAD, book_id_with_lead};
use teleconsult_tests::fhir_peer::FhirPeer;
use teleconsult_tests::platform::PlatformSite;
use teleconsult_tests::poll_until;
use teleconsult_tests::site::{ADMIN, STAFF, Site, WEBER};

#[tokio::test]
async fn an_administrator_adds_a_laboratory_that_lab_requests_then_reach() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let admin = site.login(&ADMIN).await?;
    let anne = site.patient(130).await?;
    let lab = json!({"name": "Laboratoire de l'Est", "email": "demandes@labo-est.example.lu"});
    let (status, saved) = site
        .put(&admin, "/api/v1/laboratories/labo-est", &lab)
        .await?;
    assert_eq!(status, 200, "{saved}");
    let expected = json!({"id": "labo-est", "name": "Laboratoire de l'Est",
        "email": "demandes@labo-est.example.lu"});
    assert_eq!(saved, expected);
    let listed = |list: &Value| -> Vec<Value> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["id"] == "labo-est")
            .cloned()
            .collect()
    };
    let all = site.get_ok(&anne, "/api/v1/laboratories").await?;
    assert_eq!(listed(&all), [expected], "{all}");
    assert_eq!(
        all.as_array().map(Vec::len),
        Some(4),
        "the three demo ones and this: {all}"
    );

    // Saved again under the same id: replaced, not added.
    let renamed =
        json!({"name": "Laboratoire de l'Est (Grevenmacher)", "email": "est@labo-est.example.lu"});
    let (status, saved) = site
        .put(&admin, "/api/v1/laboratories/labo-est", &renamed)
        .await?;
    assert_eq!(status, 200, "{saved}");
    let all = site.get_ok(&anne, "/api/v1/laboratories").await?;
    assert_eq!(listed(&all), [saved], "{all}");
    for (id, body, field) in [
        ("Labo_Est", renamed.clone(), "id"),
        (
            "labo-est",
            json!({"name": "", "email": "est@labo-est.example.lu"}),
            "name",
        ),
        (
            "labo-est",
            json!({"name": "Est", "email": "not an address"}),
            "email",
        ),
    ] {
        let (status, answer) = site
            .put(&admin, &format!("/api/v1/laboratories/{id}"), &body)
            .await?;
        assert_eq!(status, 422, "{id} {body}: {answer}");
        assert!(answer["fields"][field].is_string(), "{id} {body}: {answer}");
    }

    // A lab request to it reaches its (new) address.
    let weber = site.login(&WEBER).await?;
    let appointment = book_id_with_lead(&site, &anne, DR_WEBER, MIN_LEAD, json!({})).await?;
    let (status, doc) = site
        .post(
            &weber,
            &format!("/api/v1/appointments/{appointment}/documents"),
            &json!({"kind": "lab_request", "laboratory_id": "labo-est", "tests": ["Ferritine"]}),
        )
        .await?;
    assert_eq!(status, 201, "{doc}");
    let number = doc["number"].as_str().context("number")?;
    site.smtp
        .wait_for("est@labo-est.example.lu", number, WAIT)
        .await?;
    Ok(())
}

/// `POST /users` creates what it says (the summary, the directory entry of a practitioner,
/// a login that works); `POST /users/{id}/disable` ends the session and refuses the login.
#[tokio::test]
async fn an_administrator_creates_a_practitioner_who_logs_in_and_then_disables_them()
-> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let admin = site.login(&ADMIN).await?;
    let password = "a long and unguessable passphrase";
    let new = json!({"role": "practitioner", "login": "Dr.Nadia", "phone": "+352 621 555 010",
        "email": "nadia@example.lu", "name": "Dr Nadia Kremer", "specialty": "dermatology",
        "password": password});
    let (status, created) = site.post(&admin, "/api/v1/users", &new).await?;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().context("id")?.to_owned();
    let summary = json!({"id": id, "login": "dr.nadia", "role": "practitioner", "name": "Dr Nadia Kremer",
        "status": "active", "email": "nadia@example.lu", "phone": "+352621555010", "totp": false});
    assert_eq!(created, summary);
    let users = site.get_ok(&admin, "/api/v1/users").await?;
    let listed: Vec<&Value> = users
        .as_array()
        .context("a list")?
        .iter()
        .filter(|u| u["id"] == id.as_str())
        .collect();
    assert_eq!(listed, [&summary], "{users}");
    assert!(!users.to_string().contains(password), "never the password");
    let (status, again) = site.post(&admin, "/api/v1/users", &new).await?;
    assert_eq!(
        (status, again["error"].as_str()),
        (409, Some("already_exists")),
        "{again}"
    );

    // Listed in the directory under the specialty given.
    let staff = site.login(&STAFF).await?;
    let found = site
        .get_ok(&staff, "/api/v1/practitioners?q=nadia%20kremer")
        .await?;
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["specialty"], "dermatology", "{found}");
    assert_eq!(found[0]["languages"], json!(["fr"]), "{found}");

    // The new practitioner logs in (case-insensitive login, code to the normalised phone).
    let nadia = site.login_as("DR.NADIA", password, "+352621555010").await?;
    assert_eq!(nadia.role, "practitioner");
    let me = site.get_ok(&nadia, "/api/v1/me").await?;
    assert_eq!(
        (me["id"].as_str(), me["login"].as_str()),
        (Some(id.as_str()), Some("dr.nadia")),
        "{me}"
    );

    // Disabled: the answer says so, the open session ends, the login is refused.
    let (status, disabled) = site
        .post(&admin, &format!("/api/v1/users/{id}/disable"), &json!({}))
        .await?;
    assert_eq!(status, 200, "{disabled}");
    let mut expected = summary.clone();
    expected["status"] = json!("disabled");
    assert_eq!(disabled, expected);
    let (status, _) = site.get(&nadia, "/api/v1/me").await?;
    assert_eq!(status, 401, "the open session ended");
    let (status, _) = site
        .send(
            None,
            reqwest::Method::POST,
            "/api/v1/auth/login",
            Some(&json!({"login": "dr.nadia", "password": password})),
        )
        .await?;
    assert_eq!(status, 401, "a disabled account cannot log in");
    let users = site.get_ok(&admin, "/api/v1/users").await?;
    assert!(
        users.as_array().context("a list")?.contains(&expected),
        "{users}"
    );
    Ok(())
}

/// Appointments of Dr Weber on the peer whose identifiers carry `id`.
async fn on_peer(peer: &FhirPeer, id: &str) -> anyhow::Result<usize> {
    Ok(peer
        .resources("Appointment")
        .await?
        .iter()
        .filter(|a| a.to_string().contains(id))
        .count())
}

#[tokio::test]
async fn an_administrator_discards_a_message_the_platform_refused() -> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let peer = FhirPeer::start(false).await?;
    let site = PlatformSite::start(&peer, "", 131).await?;
    let daemon = &site.daemon;
    let admin = site.login(&ADMIN).await?;
    peer.error_burst(422, -1).await?;
    let refused = site.book().await?;
    let aggregate = format!("appointment/{refused}");
    let parked = poll_until("the booking parked", Duration::from_secs(60), || async {
        let list = daemon.get_ok(&admin, "/api/v1/sync/parked").await.ok()?;
        list.as_array()?
            .iter()
            .find(|p| p["aggregate"] == aggregate.as_str())
            .cloned()
    })
    .await?;
    assert_eq!(parked["status"], 422, "{parked}");
    let entry = parked["id"].to_string();

    peer.heal().await?;
    let (status, body) = daemon
        .post(
            &admin,
            &format!("/api/v1/sync/parked/{entry}/discard"),
            &json!({}),
        )
        .await?;
    assert_eq!(status, 204, "{body}");
    let list = daemon.get_ok(&admin, "/api/v1/sync/parked").await?;
    assert_eq!(list, json!([]), "nothing parked any more");
    let (status, _) = daemon
        .post(
            &admin,
            &format!("/api/v1/sync/parked/{entry}/retry"),
            &json!({}),
        )
        .await?;
    assert_eq!(status, 404, "a discarded message cannot be retried");
    let (status, _) = daemon
        .post(
            &admin,
            &format!("/api/v1/sync/parked/{entry}/discard"),
            &json!({}),
        )
        .await?;
    assert_eq!(status, 404, "nor discarded twice");

    // A later booking arrives; the discarded one, queued before it, never does.
    let later = site.book().await?;
    poll_until(
        "the later booking on the platform",
        Duration::from_secs(60),
        || async { (on_peer(&peer, &later).await.ok()? == 1).then_some(()) },
    )
    .await?;
    // The peer stores the later booking before the worker, answered, removes it from the
    // outbox: wait for that too, then nothing is left, queued or parked.
    let status = poll_until("the outbox drained", Duration::from_secs(60), || async {
        match site.sync_status().await {
            Ok(status) if status["pending"] != 0 => None,
            other => Some(other),
        }
    })
    .await??;
    assert_eq!(
        (status["pending"].as_u64(), status["parked"].as_u64()),
        (Some(0), Some(0)),
        "{status}"
    );
    assert_eq!(
        on_peer(&peer, &refused).await?,
        0,
        "the discarded booking reached the platform"
    );
    peer.stop().await
}
