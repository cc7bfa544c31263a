//! A booth's day without the WAN (issue #19 item 5, `docs/booth.md` rule 8): one journey on a
//! demo booth site with a real CUPS printer, in a network namespace of its own (no route out).
//! SMS gateway, mail relay and platform are loopback ports nobody listens on; "DNS
//! unreachable" is represented by these unreachable endpoints (tests may only talk to loopback;
//! nothing here resolves a name). Staff and Dr Weber log in with the app they set up earlier;
//! a walk-in, "first practitioner free now", taken by Dr Weber; the call on the site's network
//! (booth pipeline ↔ Chromium: frames and quality samples); a prescription printed by staff.
//! The WAN back (sinks and a real FHIR peer): the outbox drains exactly once.

use crate::booth_sessions::{on_demand, walk_in};
use crate::call_browsers::{quality_samples, wait_js};
use crate::totp_admin::sms_delivery_failures;
use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::booking::{DR_WEBER, open_all_day};
use teleconsult_tests::browser::{BrowserOptions, FAKE_MEDIA_ARGS, with_browser_args};
use teleconsult_tests::cups::Cups;
use teleconsult_tests::documents::prescription;
use teleconsult_tests::fhir_peer::FhirPeer;
use teleconsult_tests::site::{STAFF, Site, WEBER, call_site};
use teleconsult_tests::totp::{login_with_app, set_up_app};
use teleconsult_tests::{closed_port, poll_until};

const WAIT: Duration = Duration::from_secs(60);
/// The demo site's identifier systems (`[site] id` is `DEMO`).
const SITE: &str = "urn:teleconsult:DEMO";
/// Luxembourg's national identifier system (the walk-in's national id is Luxembourgish).
const LU: &str = "urn:oid:1.3.182.4.4";

#[test]
fn a_booth_works_through_a_wan_outage_and_syncs_exactly_once_when_it_is_back() -> anyhow::Result<()>
{
    teleconsult_tests::netns::run_inside("outage::a_booth_works_through_a_wan_outage", journey)
}

/// String field `key` of `value`.
fn text(value: &Value, key: &str) -> anyhow::Result<String> {
    Ok(value[key]
        .as_str()
        .with_context(|| format!("no {key}: {value}"))?
        .to_owned())
}

/// Rewrites `from` into `to` in the daemon's configuration file (each must be there).
fn rewire(site: &Site, pairs: &[(&str, &str)]) -> anyhow::Result<()> {
    let mut config = std::fs::read_to_string(site.config_path())?;
    for (from, to) in pairs {
        anyhow::ensure!(config.contains(from), "{from} not in {config}");
        config = config.replace(from, to);
    }
    Ok(std::fs::write(site.config_path(), config)?)
}

async fn journey() -> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let cups = Cups::start()?;
    let paper = cups.add_printer("cabin")?;
    let platform = format!("http://127.0.0.1:{}/fhir", closed_port().await?);
    let mut site = Site::demo(&format!(
        "{}\n[print]\nenabled = true\nprinter = \"cabin\"\nserver = \"{}\"\n\n\
         [platform]\nbase_url = \"{platform}\"\npoll_interval_s = 1\n",
        call_site("booth"),
        cups.server
    ))
    .await?;

    // Earlier, on a good day: staff and Dr Weber log in by SMS and set up their app (each is
    // e-mailed about it: both mails are out before the WAN goes).
    let staff = site.login(&STAFF).await?;
    let weber = site.login(&WEBER).await?;
    let mut staff_app = set_up_app(&site, &staff, STAFF.password).await?;
    let mut weber_app = set_up_app(&site, &weber, WEBER.password).await?;
    open_all_day(&site, &staff, DR_WEBER, 1, &["video", "audio"]).await?;
    poll_until("the two set-up e-mails", WAIT, || async {
        (site.smtp.mails().len() >= 2).then_some(())
    })
    .await?;
    let sms_before = site.sms.messages().len();

    // The WAN goes: SMS gateway and mail relay out of reach too (the platform already is).
    site.terminate(Duration::from_secs(30)).await?;
    let (sms_url, smtp_url) = (site.sms.url.clone(), site.smtp.url());
    let gateway = format!("http://127.0.0.1:{}/sms", closed_port().await?);
    let relay = format!("smtp://127.0.0.1:{}", closed_port().await?);
    rewire(&site, &[(&sms_url, &gateway), (&smtp_url, &relay)])?;
    site.spawn().await?;

    // 1. Logins with the app's codes.
    let staff = login_with_app(&site, &mut staff_app, STAFF.login, STAFF.password).await?;
    let weber = login_with_app(&site, &mut weber_app, WEBER.login, WEBER.password).await?;

    // 2. A walk-in (with a phone), "first practitioner free now"; Dr Weber takes them.
    let person = walk_in(19, Some("+352691000019"));
    let national_id = text(&person, "national_id")?;
    let body = json!({"patient": person, "specialty": "general_practice", "reason": "toux"});
    let (status, session) = site.post(&staff, "/api/v1/booth/sessions", &body).await?;
    assert_eq!(
        (status, &session["state"]),
        (201, &json!("queued")),
        "{session}"
    );
    on_demand(&site, &weber, DR_WEBER).await?;
    let (status, taken) = site
        .post(&weber, "/api/v1/queue/next", &Value::Null)
        .await?;
    assert_eq!(
        (status, &taken["session_id"]),
        (200, &session["id"]),
        "{taken}"
    );
    let id = text(&taken, "appointment_id")?;

    // 3. The call on the site's network: the cabin joins by itself, Dr Weber rings (the cabin
    // accepts by itself too).
    let code = weber_app.fresh_code().await?;
    let (site_ref, weber_ref, id_ref) = (&site, &weber, id.as_str());
    with_browser_args(
        "outage-practitioner",
        BrowserOptions::for_daemon(&site, "en-GB"),
        FAKE_MEDIA_ARGS,
        |tab| async move {
            tab.open("/login").await?;
            tab.fill("login", WEBER.login).await?;
            tab.fill("password", WEBER.password).await?;
            tab.click("main form button[type='submit']").await?;
            tab.wait_for_path("/login/code").await?;
            tab.wait_for_element("input[name='factor'][value='totp']")
                .await?;
            tab.fill("code", &code).await?;
            tab.click("main form button[type='submit']").await?;
            tab.wait_for_path("/home").await?;
            tab.open(&format!("/appointments/{id_ref}/call")).await?;
            let ring = "return document.getElementById('ring').disabled === false";
            wait_js(&tab, "the ring button", ring).await?;
            tab.click("#ring").await?;
            let frames = "return Number(document.getElementById('call').dataset.remoteFrames) > 30";
            wait_js(&tab, "the booth camera at the practitioner", frames).await?;
            quality_samples(site_ref, weber_ref, id_ref, &["booth", "practitioner"], 1).await?;
            tab.click("#hangup").await?;
            Ok(())
        },
    )
    .await?;

    // 4. The prescription, issued and printed in the cabin by staff (the stored PDF, unchanged).
    let issue = format!("/api/v1/appointments/{id}/documents");
    let (status, doc) = site.post(&weber, &issue, &prescription()).await?;
    assert_eq!(status, 201, "{doc}");
    let document = text(&doc, "id")?;
    let print = format!("/api/v1/documents/{document}/print");
    let (status, job) = site.send(Some(&staff), Method::POST, &print, None).await?;
    assert_eq!(status, 202, "staff print at the booth (rule 7): {job}");
    let job = job["job_id"].as_str().context("job id")?;
    let stored = site
        .client
        .get(site.url(&format!("/api/v1/documents/{document}/pdf")))
        .header("authorization", weber.bearer())
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let printed = cups.printed(&paper, job).await?;
    assert!(printed == stored, "the stored PDF, printed");

    // All this time nothing left the box: no SMS was even tried, the platform's messages wait.
    let tried = sms_delivery_failures(&site.logs());
    assert!(tried.is_empty(), "no SMS tried: {tried:?}");
    let waiting = site.get_ok(&staff, "/api/v1/sync/status").await?;
    assert!(waiting["pending"].as_u64() > Some(0), "{waiting}");

    // 5. The WAN is back: the sinks and the platform (a real FHIR peer, validating) answer.
    let peer = FhirPeer::start(true).await?;
    site.terminate(Duration::from_secs(30)).await?;
    rewire(
        &site,
        &[
            (&gateway, &sms_url),
            (&relay, &smtp_url),
            (&platform, &peer.base_url),
        ],
    )?;
    site.spawn().await?;
    let status = poll_until("the outbox drained", WAIT, || async {
        let s = site.get_ok(&staff, "/api/v1/sync/status").await.ok()?;
        let system = format!("{SITE}:document");
        let there = peer.count_by_identifier("DocumentReference", &system, &document);
        let drained = s["pending"] == 0 && s["state"] == "online";
        (drained && there.await.ok()? > 0).then_some(s)
    })
    .await?;
    assert_eq!(status["parked"], 0, "nothing parked: {status}");

    // Each resource of the consultation is on the peer once, by identifier; its PDF too.
    let once = [
        ("Patient", LU.to_owned(), &national_id),
        ("Appointment", format!("{SITE}:appointment"), &id),
        ("DocumentReference", format!("{SITE}:document"), &document),
    ];
    for (kind, system, value) in once {
        let n = peer.count_by_identifier(kind, &system, value).await?;
        assert_eq!(n, 1, "{kind} {system}|{value}");
    }
    let reference = peer.resources("DocumentReference").await?;
    let binaries = peer.resources("Binary").await?;
    let binary = text(binaries.first().unwrap_or(&Value::Null), "id")?;
    let url = format!("Binary/{binary}");
    let linked = &reference[0]["content"][0]["attachment"]["url"];
    assert_eq!((binaries.len(), linked), (1, &json!(url)));
    let lines = peer.resources("MedicationRequest").await?.len();
    assert_eq!(lines, 2, "one MedicationRequest per line");
    // And nothing twice: each outbox key (a message's idempotency key) on one resource only.
    let outbox = format!("{SITE}:outbox");
    let mut keys = Vec::new();
    let kinds = [
        "Patient",
        "Appointment",
        "DocumentReference",
        "MedicationRequest",
    ];
    for kind in kinds {
        for r in peer.resources(kind).await? {
            let ids = r["identifier"].as_array().cloned().unwrap_or_default();
            keys.extend(ids.into_iter().filter(|i| i["system"] == outbox.as_str()));
        }
    }
    let sent = keys.len();
    keys.sort_by_key(|k| k["value"].to_string());
    keys.dedup();
    assert_eq!(keys.len(), sent, "a message sent twice: {keys:?}");

    // No SMS was waiting: the app logins queued none, and a walk-in taken at the counter is
    // told in person (a booth entry sends no "ready" text).
    assert_eq!(site.sms.messages().len(), sms_before, "no SMS waited");
    peer.stop().await
}
