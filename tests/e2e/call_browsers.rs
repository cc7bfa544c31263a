//! Calls in real browsers, each in a network namespace the test owns (daemon, sinks,
//! chromedriver and the browsers: WebRTC media never leaves it): two headless Chromium
//! instances through the call page (waiting room, ring, accept, media both ways, the patient's
//! controls, an ICE restart after a lost path, the practitioner's snapshot, chat with a file,
//! hang-up), and a booth site whose own GStreamer pipeline answers the practitioner's browser.

use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::accounts::{Login, PASSWORD, phone};
use teleconsult_tests::booking::{MIN_LEAD, book_weber};
use teleconsult_tests::signal::connect;
use teleconsult_tests::site::{Site, WEBER};

/// The size of the practitioner's snapshot among the appointment's files (it must be a JPEG
/// named `snapshot-…`).
async fn snapshot_size(site: &Site, weber: &Login, id: &str) -> anyhow::Result<(u32, u32)> {
    let (_, files) = site
        .get(weber, &format!("/api/v1/appointments/{id}/attachments"))
        .await?;
    let snapshot = files
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| {
            f["file_name"]
                .as_str()
                .is_some_and(|n| n.starts_with("snapshot-"))
        })
        .ok_or_else(|| anyhow::anyhow!("no snapshot among {files}"))?;
    anyhow::ensure!(snapshot["content_type"] == "image/jpeg", "{snapshot}");
    let jpeg = site
        .daemon
        .client
        .get(
            site.daemon
                .url(snapshot["url"].as_str().unwrap_or_default()),
        )
        .header("authorization", weber.bearer())
        .send()
        .await?
        .bytes()
        .await?;
    teleconsult_tests::documents::jpeg_size(&jpeg)
}

/// Two headless Chromium instances, the patient's and the practitioner's, through the call
/// page: waiting room, ring, accept, a real WebRTC call (each side decodes the other's video),
/// a chat message with an attachment, hang-up; the quality record is there afterwards.
/// Daemon, sinks, chromedriver and both browsers run in a namespace the test owns.
#[test]
fn two_browsers_call_through_the_waiting_room() -> anyhow::Result<()> {
    teleconsult_tests::netns::run_inside(
        "call_browsers::two_browsers_call_through_the_waiting_room",
        call_in_two_browsers,
    )
}

async fn js(tab: &teleconsult_tests::browser::Tab, script: &str) -> anyhow::Result<Value> {
    Ok(tab.client.execute(script, vec![]).await?)
}

pub(crate) async fn wait_js(
    tab: &teleconsult_tests::browser::Tab,
    what: &str,
    script: &str,
) -> anyhow::Result<()> {
    teleconsult_tests::poll_until(what, Duration::from_secs(45), || async {
        js(tab, script)
            .await
            .ok()?
            .as_bool()
            .filter(|b| *b)
            .map(drop)
    })
    .await
}

/// A number of `#call`'s data- attributes (0 when absent).
async fn call_number(
    tab: &teleconsult_tests::browser::Tab,
    attribute: &str,
) -> anyhow::Result<f64> {
    let value = js(
        tab,
        &format!("return Number(document.getElementById('call').dataset.{attribute} || 0)"),
    )
    .await?;
    Ok(value.as_f64().unwrap_or(0.0))
}

/// How much a `#call` data- attribute grows over `over`.
async fn growth(
    tab: &teleconsult_tests::browser::Tab,
    attribute: &str,
    over: Duration,
) -> anyhow::Result<f64> {
    let before = call_number(tab, attribute).await?;
    tokio::time::sleep(over).await;
    Ok(call_number(tab, attribute).await? - before)
}

/// Waits (at most 30 s) until `measure` gives a value `wanted` accepts: a switch shows after
/// the page's next stats and the media pipelines catch up, later on a loaded machine.
async fn eventually<F, Fut>(
    what: &str,
    measure: F,
    wanted: impl Fn(f64) -> bool,
) -> anyhow::Result<f64>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<f64>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let value = measure().await?;
        if wanted(value) {
            return Ok(value);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{what}: still {value} after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Mean brightness (0–255) of the other side's picture as `tab` shows it.
async fn brightness(tab: &teleconsult_tests::browser::Tab) -> anyhow::Result<f64> {
    let value = js(
        tab,
        "const v = document.getElementById('remote-video'); \
         const c = document.createElement('canvas'); c.width = 64; c.height = 36; \
         const g = c.getContext('2d'); g.drawImage(v, 0, 0, 64, 36); \
         const d = g.getImageData(0, 0, 64, 36).data; let sum = 0; \
         for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2]; \
         return sum / (d.length / 4) / 3;",
    )
    .await?;
    value
        .as_f64()
        .ok_or_else(|| anyhow::anyhow!("brightness: {value}"))
}

/// The patient's controls during the call, seen from the practitioner's side: mute
/// silences the audio (getStats energy), camera off turns the picture black, audio-only stops
/// the video altogether (no frames decoded) while the sound goes on, and each switches back.
async fn switching(
    patient: &teleconsult_tests::browser::Tab,
    doctor: &teleconsult_tests::browser::Tab,
) -> anyhow::Result<()> {
    let window = Duration::from_secs(3);
    let frames = || growth(doctor, "remoteFrames", window);
    let energy = || growth(doctor, "remoteAudioEnergy", window);
    let video = eventually("video before", frames, |f| f > 20.0).await?;
    let sound = eventually("sound before", energy, |e| e > 0.0).await?;

    patient.click("#mute").await?;
    eventually("muted energy", energy, |e| e < sound * 0.005).await?;
    patient.click("#mute").await?;
    eventually("unmuted energy", energy, |e| e > sound * 0.1).await?;

    // Camera off: black frames instead of the picture (the track is disabled, not removed).
    let picture = || brightness(doctor);
    let lit = eventually("the camera's picture", picture, |b| b > 20.0).await?;
    patient.click("#camera").await?;
    eventually("camera off", picture, |b| b < 5.0).await?;
    patient.click("#camera").await?;
    eventually("camera on", picture, |b| b > lit * 0.5).await?;

    // Audio only: no video is sent at all, the sound goes on; then video again.
    patient.click("#audio-only").await?;
    eventually("no video in audio only", frames, |f| f < 1.0).await?;
    // Far above a muted line (under 0.5 %: silence), though below the call's level at times:
    // the receiver's playout stretches the sound while the machine is busy.
    eventually("sound in audio only", energy, |e| e > sound * 0.02).await?;
    let hidden = js(
        patient,
        "return document.getElementById('remote-video').hidden",
    )
    .await?;
    anyhow::ensure!(
        hidden.as_bool() == Some(true),
        "audio only hides the picture"
    );
    patient.click("#audio-only").await?;
    eventually("video again", frames, |f| f > video * 0.5).await?;
    Ok(())
}

/// The path lost under a call in two browsers (run inside the test's namespace): every UDP
/// packet is dropped until ICE, seeing no answer, has restarted (fresh credentials, candidates
/// gathered again); then the path is back. The call goes on over the restarted ICE generation:
/// the pair in use has a new local ufrag.
async fn ice_restart_after_a_lost_path(
    patient: Option<&teleconsult_tests::browser::Tab>,
    doctor: &teleconsult_tests::browser::Tab,
) -> anyhow::Result<()> {
    let nft = |rules: &str| -> anyhow::Result<()> {
        let out = std::process::Command::new("nft").arg(rules).output()?;
        anyhow::ensure!(
            out.status.success(),
            "nft {rules}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    };
    let ufrag = |tab| async move {
        js(
            tab,
            "return document.getElementById('call').dataset.iceUfrag || ''",
        )
        .await
        .map(|v| v.as_str().unwrap_or_default().to_owned())
    };
    let restarts = || async {
        let theirs = match patient {
            Some(patient) => call_number(patient, "iceRestarts").await?,
            None => 0.0,
        };
        Ok::<f64, anyhow::Error>(call_number(doctor, "iceRestarts").await? + theirs)
    };
    let before = ufrag(doctor).await?;
    anyhow::ensure!(!before.is_empty(), "no ICE pair in use before the cut");
    nft("add table inet tccut; \
         add chain inet tccut input { type filter hook input priority -10; policy accept; }; \
         add chain inet tccut output { type filter hook output priority -10; policy accept; }; \
         add rule inet tccut input meta l4proto udp drop; \
         add rule inet tccut output meta l4proto udp drop")?;
    let cut = eventually("an ICE restart while the path is lost", restarts, |r| {
        r >= 1.0
    })
    .await;
    nft("delete table inet tccut")?;
    cut?;
    let window = Duration::from_secs(3);
    eventually(
        "video at the practitioner after the restart",
        || growth(doctor, "remoteFrames", window),
        |f| f > 20.0,
    )
    .await?;
    if let Some(patient) = patient {
        eventually(
            "video at the patient after the restart",
            || growth(patient, "remoteFrames", window),
            |f| f > 20.0,
        )
        .await?;
    }
    let after = ufrag(doctor).await?;
    anyhow::ensure!(
        after != before,
        "the call goes on over the first ICE generation ({before}): no restart carried it"
    );
    Ok(())
}

/// Waits (bounded) until the call's quality record holds at least `samples` samples from each
/// of `roles`; returns the record. (404 until the first sample: "no call measured yet".)
pub(crate) async fn quality_samples(
    site: &Site,
    who: &Login,
    id: &str,
    roles: &[&str],
    samples: u64,
) -> anyhow::Result<Value> {
    let path = format!("/api/v1/appointments/{id}/call/quality");
    teleconsult_tests::poll_until(
        &format!("{samples} quality samples from each of {roles:?}"),
        Duration::from_secs(60),
        || async {
            let (status, record) = site.get(who, &path).await.ok()?;
            let summary = record["summary"].as_array()?;
            let enough = roles.iter().all(|role| {
                summary.iter().any(|side| {
                    side["role"] == *role && side["samples"].as_u64().is_some_and(|n| n >= samples)
                })
            });
            (status == 200 && enough).then_some(record)
        },
    )
    .await
}

/// Logs in through the login pages (password, then the SMS code read from the sink).
async fn log_in_tab(
    tab: &teleconsult_tests::browser::Tab,
    site: &Site,
    login: &str,
    password: &str,
    phone: &str,
) -> anyhow::Result<()> {
    tab.open("/login").await?;
    tab.log_in(&site.sms, login, password, phone).await?;
    tab.wait_for_path("/home").await
}

async fn call_in_two_browsers() -> anyhow::Result<()> {
    use teleconsult_tests::browser::{BrowserOptions, FAKE_MEDIA_ARGS, with_browser_args};
    let (site, _staff) = Site::for_calls("clinic").await?;
    let anne = site.patient(84).await?;
    let weber = site.login(&WEBER).await?;
    let id = book_weber(&site, &anne, MIN_LEAD).await?;
    let options = BrowserOptions::for_daemon(&site, "en-GB");
    let call_page = format!("/appointments/{id}/call");
    let pdf_dir = tempfile::tempdir()?;
    let pdf_path = pdf_dir.path().join("lab-result.pdf");
    std::fs::write(&pdf_path, b"%PDF-1.4\n% lab result for the call test\n")?;
    // The patient's microphone hears a steady tone: muting must silence it.
    let tone = pdf_dir.path().join("tone.wav");
    teleconsult_tests::browser::write_tone_wav(&tone)?;
    let tone_arg = format!("--use-file-for-fake-audio-capture={}", tone.display());
    let patient_args: Vec<&str> = FAKE_MEDIA_ARGS
        .iter()
        .copied()
        .chain([tone_arg.as_str()])
        .collect();

    let weber_ref = &weber;
    with_browser_args("call-patient", options.clone(), &patient_args, |patient_tab| {
        let (site_ref, call_page, options) = (&site, call_page.clone(), options.clone());
        let (id, pdf_path) = (id.clone(), pdf_path.clone());
        async move {
            log_in_tab(&patient_tab, site_ref, "patient84@example.lu", PASSWORD, &phone(84)).await?;
            patient_tab.open(&call_page).await?;
            patient_tab.wait_for_path(&call_page).await?;
            wait_js(&patient_tab, "the patient in the waiting room",
                "return document.getElementById('call').dataset.state === 'waiting'").await?;
            patient_tab.check_accessibility().await?;

            with_browser_args("call-practitioner", options, FAKE_MEDIA_ARGS, |doctor_tab| {
                let call_page = call_page.clone();
                let (id, pdf_path, patient_tab) = (id.clone(), pdf_path.clone(), patient_tab.clone());
                async move {
                    log_in_tab(&doctor_tab, site_ref, WEBER.login, WEBER.password, WEBER.phone).await?;
                    doctor_tab.open(&call_page).await?;
                    // The practitioner sees the patient waiting and calls.
                    wait_js(&doctor_tab, "the ring button",
                        "return document.getElementById('ring').disabled === false").await?;
                    doctor_tab.expect_text(&["Le patient attend."]).await?; // Dr Weber reads French.
                    doctor_tab.click("#ring").await?;
                    wait_js(&patient_tab, "the incoming call",
                        "return document.getElementById('incoming').hidden === false").await?;
                    patient_tab.click("#accept").await?;

                    // WebRTC connects: both sides decode the other's video.
                    for (tab, who) in [(&patient_tab, "patient"), (&doctor_tab, "practitioner")] {
                        wait_js(tab, &format!("remote video frames at the {who}"),
                            "return Number(document.getElementById('call').dataset.remoteFrames) > 30").await?;
                    }

                    switching(&patient_tab, &doctor_tab).await?;
                    ice_restart_after_a_lost_path(Some(&patient_tab), &doctor_tab).await?;

                    // The practitioner's snapshot of the patient's picture goes into the
                    // appointment's files, and the patient is told in the chat.
                    doctor_tab.click("#snapshot").await?;
                    wait_js(&patient_tab, "the snapshot notice in the patient's chat",
                        "return [...document.querySelectorAll('#chat-log li')].some(li => \
                         li.querySelector('a.attachment'))").await?;

                    // Chat with an attachment, from the patient.
                    patient_tab.fill("text", "Here is my lab result").await?;
                    let input = patient_tab.client.find(fantoccini::Locator::Css("#chat-file")).await?;
                    input.send_keys(&pdf_path.display().to_string()).await?;
                    patient_tab.click("#chat-send").await?;
                    wait_js(&doctor_tab, "the chat message with its attachment",
                        "return [...document.querySelectorAll('#chat-log li')].some(li => \
                         li.textContent.includes('Here is my lab result') && li.querySelector('a.attachment'))").await?;
                    let fetched = doctor_tab.client.execute_async(
                        "const done = arguments[0]; \
                         fetch([...document.querySelectorAll('#chat-log li')] \
                           .find(li => li.textContent.includes('Here is my lab result')) \
                           .querySelector('a.attachment').href) \
                           .then(r => r.text().then(t => done(r.status + ' ' + t.slice(0, 5)))) \
                           .catch(e => done(String(e)));",
                        vec![],
                    ).await?;
                    assert_eq!(fetched.as_str(), Some("200 %PDF-"), "attachment download");

                    // Stats frames from both sides in the quality record, then the practitioner
                    // hangs up.
                    quality_samples(site_ref, weber_ref, &id, &["patient", "practitioner"], 2).await?;
                    doctor_tab.click("#hangup").await?;
                    wait_js(&patient_tab, "the end of the call on the patient's side",
                        "return document.getElementById('call').dataset.state === 'ended'").await?;
                    Ok(())
                }
            })
            .await
        }
    })
    .await?;

    let (_, appointment) = site
        .get(&anne, &format!("/api/v1/appointments/{id}"))
        .await?;
    assert_eq!(appointment["status"], "completed");
    // The snapshot is a JPEG of the patient's picture, kept with the appointment.
    let size = snapshot_size(&site, &weber, &id).await?;
    assert!(
        size.0 >= 320 && size.1 >= 180,
        "a picture of the camera: {size:?}"
    );
    let (status, record) = site
        .get(&weber, &format!("/api/v1/appointments/{id}/call/quality"))
        .await?;
    assert_eq!(status, 200, "{record}");
    let summary = record["summary"].as_array().cloned().unwrap_or_default();
    let sides: Vec<&str> = summary.iter().filter_map(|s| s["role"].as_str()).collect();
    assert_eq!(sides, ["patient", "practitioner"], "{record}");
    for side in &summary {
        assert!(
            side["recv_fps_avg"].as_f64().is_some_and(|f| f > 5.0),
            "{side}"
        );
        assert!(side["recv_width"].as_u64().is_some_and(|w| w > 0), "{side}");
    }
    Ok(())
}

/// A booth site: the patient's side is the booth's own GStreamer pipeline, run by the daemon.
/// For an appointment held at the booth (marked so through the store until booth sessions
/// create them), staff at the booth join as `booth` and accept; the practitioner's Chromium
/// calls, and its offer, answer and candidates are exchanged with the pipeline: the
/// practitioner sees the booth camera (the test pattern), and the quality record has the
/// booth's own samples.
#[test]
fn a_booth_site_answers_with_its_own_camera() -> anyhow::Result<()> {
    teleconsult_tests::netns::run_inside(
        "call_browsers::a_booth_site_answers_with_its_own_camera",
        booth_call,
    )
}

async fn booth_call() -> anyhow::Result<()> {
    use teleconsult_tests::browser::{BrowserOptions, FAKE_MEDIA_ARGS, with_browser_args};
    let (mut site, staff) = Site::for_calls("booth").await?;
    let anne = site.patient(85).await?;
    let weber = site.login(&WEBER).await?;
    let id = book_weber(&site, &anne, MIN_LEAD).await?;
    crate::booth_privilege::hold_at_the_booth(&mut site, &[&id]).await?;
    let (status, info) = site
        .get(&staff, &format!("/api/v1/appointments/{id}/call"))
        .await?;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        (info["role"].as_str(), info["media"].as_str()),
        (Some("booth"), Some("booth"))
    );

    let mut booth = connect(&site, &id, &staff)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    booth.send(json!({"type": "join", "role": "booth"})).await?;
    assert_eq!(booth.until("waiting").await?["roles"], json!(["booth"]));

    let options = BrowserOptions::for_daemon(&site, "en-GB");
    let call_page = format!("/appointments/{id}/call");
    let (site_ref, weber_ref, id_ref) = (&site, &weber, id.as_str());
    with_browser_args(
        "call-booth-practitioner",
        options,
        FAKE_MEDIA_ARGS,
        |doctor_tab| {
            let booth = &mut booth;
            async move {
                log_in_tab(
                    &doctor_tab,
                    site_ref,
                    WEBER.login,
                    WEBER.password,
                    WEBER.phone,
                )
                .await?;
                doctor_tab.open(&call_page).await?;
                wait_js(
                    &doctor_tab,
                    "the ring button",
                    "return document.getElementById('ring').disabled === false",
                )
                .await?;
                doctor_tab.click("#ring").await?;
                booth.until("ring").await?;
                booth.send(json!({"type": "accept"})).await?;
                wait_js(
                    &doctor_tab,
                    "the booth camera at the practitioner",
                    "return Number(document.getElementById('call').dataset.remoteFrames) > 30",
                )
                .await?;
                // The booth's pipeline answers the practitioner's ICE restart too.
                ice_restart_after_a_lost_path(None, &doctor_tab).await?;
                // The practitioner's snapshot of the booth camera; the booth is told in the chat.
                doctor_tab.click("#snapshot").await?;
                let told = booth.until("chat").await?;
                anyhow::ensure!(told["attachment_id"].is_string(), "{told}");
                // A booth sample (every 5 s) besides the browser's, in the quality record.
                quality_samples(site_ref, weber_ref, id_ref, &["booth", "practitioner"], 1).await?;
                doctor_tab.click("#hangup").await?;
                booth.until("hangup").await?;
                Ok(())
            }
        },
    )
    .await
    .with_context(|| {
        let logs = site.daemon.logs();
        let media: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("booth") || l.contains("ERROR") || l.contains("WARN"))
            .collect();
        format!("daemon log (media lines):\n{}", media.join("\n"))
    })?;

    let (_, appointment) = site
        .get(&anne, &format!("/api/v1/appointments/{id}"))
        .await?;
    assert_eq!(appointment["status"], "completed");
    let (status, record) = site
        .get(&weber, &format!("/api/v1/appointments/{id}/call/quality"))
        .await?;
    assert_eq!(status, 200, "{record}");
    let sides: Vec<&str> = record["summary"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["role"].as_str())
        .collect();
    assert_eq!(sides, ["booth", "practitioner"], "{record}");
    // The booth camera's picture, at the size the booth sends.
    let size = snapshot_size(&site, &weber, &id).await?;
    assert!(size.0 >= 320 && size.1 >= 180, "{size:?}");
    Ok(())
}
