//! The call's link on the staff console (issue #22 item 5): on a demo booth site with the test
//! camera and microphone, inside a network namespace the test owns, a walk-in's call runs
//! between the box's pipeline and a practitioner's webrtcbin peer (`cabin.rs`'s fixtures).
//! While it runs, `GET /booth/status` carries the booth's bandwidth estimate, video target and
//! sent bitrate (`call_link`), and the console's cabin panel says it in one line in the
//! console's language ("Connexion : bonne — … kbit/s"), refreshed in place, axe-clean. When the
//! session ends the link goes with the call.

use crate::booth_sessions::{Booth, booth, on_demand, post, walk_in};
use crate::cabin::{PractitionerMedia, join_with_the_cabin, status_when, view};
use anyhow::Context;
use serde_json::json;
use teleconsult_tests::booking::DR_WEBER;
use teleconsult_tests::browser::{BrowserOptions, with_browser};
use teleconsult_tests::site::{STAFF, WEBER};

#[test]
fn while_a_call_runs_the_console_shows_its_link_in_the_consoles_language() -> anyhow::Result<()> {
    teleconsult_tests::netns::run_inside(
        "console_call_link::while_a_call_runs_the_console_shows_its_link_in_the_consoles_language",
        call_link,
    )
}

async fn call_link() -> anyhow::Result<()> {
    let Booth { site, staff } =
        booth("[media]\nvideo_source = \"Teleconsult Test Camera\"\n").await?;
    let weber = site.login(&WEBER).await?;
    let idle = status_when(&site, &staff, "the welcome view", |s| {
        view(s) == ("welcome", false)
    })
    .await?;
    assert!(idle["call_link"].is_null(), "no call, no link: {idle}");

    let (code, started) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": walk_in(71, None), "specialty": "general_practice", "reason": "cough"}),
    )
    .await?;
    assert_eq!(code, 201, "{started}");
    let session = started["id"].as_str().context("session")?.to_owned();
    on_demand(&site, &weber, DR_WEBER).await?;
    let (code, taken) = post(&site, &weber, "/api/v1/queue/next", json!({})).await?;
    assert_eq!(code, 200, "{taken}");
    let appointment = taken["appointment_id"].as_str().context("appointment")?;
    let mut doctor = join_with_the_cabin(&site, appointment, &weber).await?;
    doctor.send(json!({"type": "ring"})).await?;
    doctor.until("accept").await?;
    let mut media = PractitionerMedia::start()?;
    media.call().await?;
    media
        .relay_until(&mut doctor, "video from the cabin", |report| {
            report["quality"]["recv_fps"]
                .as_f64()
                .is_some_and(|fps| fps > 0.0)
                .then_some(())
        })
        .await
        .with_context(|| format!("no video from the cabin\n{}", site.daemon.logs()))?;

    // The booth's quality samples (every 5 s) reach the status: estimate, target, sent.
    let running = status_when(&site, &staff, "the call's link measured", |s| {
        s["call_link"]["send_kbps"].as_u64().is_some()
    })
    .await?;
    let link = &running["call_link"];
    let estimate = link["estimate_kbps"].as_u64().context("estimate")?;
    assert!(
        (100..=3000).contains(&estimate),
        "an estimate within the booth's limits: {link}"
    );
    assert!(
        link["target_kbps"].as_u64().is_some_and(|t| t > 0),
        "{link}"
    );
    assert!(
        ["good", "fair", "weak"].contains(&link["rating"].as_str().unwrap_or("")),
        "{link}"
    );
    let shown = link.to_string();
    for personal in ["Rui", "Costa71", session.as_str(), appointment] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }

    // The console says it in French, in the cabin panel, and passes axe.
    with_browser(
        "console_call_link",
        BrowserOptions::for_daemon(&site.daemon, "fr-FR"),
        |tab| {
            let site = &site;
            async move {
                tab.open("/login").await?;
                tab.log_in(&site.sms, STAFF.login, STAFF.password, STAFF.phone)
                    .await?;
                tab.wait_for_path("/home").await?;
                tab.open("/booth").await?;
                tab.wait_for_element("#cabin #call_link[data-link-rating]")
                    .await?;
                tab.on_page(
                    "/booth",
                    "fr",
                    &["Connexion :", "kbit/s", "vidéo", "envoyé"],
                )
                .await?;
                Ok(())
            }
        },
    )
    .await?;

    // The session ends: the call and its link go.
    let (code, ended) = post(
        &site,
        &staff,
        &format!("/api/v1/booth/sessions/{session}/end"),
        json!({}),
    )
    .await?;
    assert_eq!(code, 200, "{ended}");
    let after = status_when(&site, &staff, "the cabin back to its welcome view", |s| {
        view(s) == ("welcome", false)
    })
    .await?;
    assert!(after["call_link"].is_null(), "{after}");
    media.hang_up().await;
    Ok(())
}
