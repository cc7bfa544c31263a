//! The cabin screen (issue #19 item 3, `docs/booth.md` rule 6) on a demo booth site with the
//! test camera and microphone: staff start a session for a walk-in, a practitioner takes it
//! from the queue, and the box's pipeline joins the call as the patient's side by itself — no
//! staff socket anywhere. The practitioner's media side is `teleconsult-media-peer` (a real
//! webrtcbin peer) relayed over the practitioner's signalling socket: it receives the cabin's
//! video. `GET /booth/status` follows the cabin (welcome → waiting → call → welcome, the
//! pipeline running or not); when staff end the session the pipeline is gone and the cabin's
//! side shows nothing of the person. `POST /booth/check` measures the test devices.

use crate::booth_sessions::{Booth, booth, eventually, on_demand, post, walk_in};
use anyhow::Context;
use serde_json::{Value, json};
use std::process::Stdio;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::DR_WEBER;
use teleconsult_tests::signal::{Signal, connect};
use teleconsult_tests::site::{Site, WEBER};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The cabin's status as staff see it (`GET /booth/status`).
pub(crate) async fn status(site: &Site, who: &Login) -> anyhow::Result<Value> {
    let (code, body) = site.get(who, "/api/v1/booth/status").await?;
    anyhow::ensure!(code == 200, "{code} {body}");
    Ok(body)
}

/// The status once `done` holds (polled, bounded).
pub(crate) async fn status_when(
    site: &Site,
    who: &Login,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    eventually(what, || async {
        let s = status(site, who).await?;
        Ok(done(&s).then_some(s))
    })
    .await
}

/// What the cabin shows, whether its call pipeline runs; the welcome view is drawn exactly
/// when no call pipeline runs.
pub(crate) fn view(s: &Value) -> (&str, bool) {
    let pipeline = s["cabin"]["pipeline"] == true;
    let welcome_drawn = s["cabin"]["welcome_screen"] == true;
    if welcome_drawn == pipeline {
        return ("welcome screen and call pipeline disagree", pipeline);
    }
    (s["cabin"]["view"].as_str().unwrap_or_default(), pipeline)
}

/// `teleconsult-media-peer`, built beside the daemon.
fn media_peer() -> anyhow::Result<std::path::PathBuf> {
    let daemon = teleconsult_tests::daemon::binary()?;
    let peer = daemon
        .parent()
        .context("daemon folder")?
        .join("teleconsult-media-peer");
    anyhow::ensure!(
        peer.exists(),
        "{} is missing: cargo build -p teleconsult-media --bins",
        peer.display()
    );
    Ok(peer)
}

/// The practitioner's signalling socket for `appointment`, joined, once the cabin sits in the
/// room too. The cabin takes its seat by itself within half a second of the take: the
/// practitioner may be told about the room before or after it (a `waiting` frame each time it
/// changes).
pub(crate) async fn join_with_the_cabin(
    site: &Site,
    appointment: &str,
    practitioner: &Login,
) -> anyhow::Result<Signal> {
    let mut doctor = connect(&site.daemon, appointment, practitioner)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    doctor
        .send(json!({"type": "join", "role": "practitioner"}))
        .await?;
    for frame in 0.. {
        let roles = doctor.until("waiting").await?;
        if roles["roles"] == json!(["booth", "practitioner"]) {
            break;
        }
        anyhow::ensure!(roles["roles"] == json!(["practitioner"]), "{roles}");
        anyhow::ensure!(frame < 5, "the cabin never joined: {roles}");
    }
    Ok(doctor)
}

/// The practitioner's media side: `teleconsult-media-peer` (a real webrtcbin peer sending a
/// test picture and tone, showing nothing), whose signalling the test relays over the
/// practitioner's socket.
pub(crate) struct PractitionerMedia {
    peer: tokio::process::Child,
    to_peer: tokio::process::ChildStdin,
    from_peer: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl PractitionerMedia {
    /// Starts the peer (its devices open, no call yet).
    pub(crate) fn start() -> anyhow::Result<Self> {
        let mut peer = tokio::process::Command::new(media_peer()?)
            .args([
                "--video-source",
                "test",
                "--audio-source",
                "test",
                "--display",
                "none",
                "--audio-out",
                "fake",
                "--size",
                "320x240",
                "--stats-ms",
                "500",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let to_peer = peer.stdin.take().context("peer stdin")?;
        let from_peer = BufReader::new(peer.stdout.take().context("peer stdout")?).lines();
        Ok(Self {
            peer,
            to_peer,
            from_peer,
        })
    }

    /// Once the peer runs: its first state report (it reports every 500 ms, in a call or not;
    /// events such as `started` may come first).
    pub(crate) async fn ready(&mut self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + crate::booth_sessions::WAIT;
        loop {
            let line = tokio::time::timeout_at(deadline, self.from_peer.next_line())
                .await
                .context("the media peer did not start in time")??
                .context("the media peer stopped")?;
            let report: Value = serde_json::from_str(&line)?;
            anyhow::ensure!(report.get("error").is_none(), "{report}");
            if report.get("quality").is_some() {
                return Ok(());
            }
        }
    }

    /// Makes the call: the peer offers (through [`Self::relay_until`]).
    pub(crate) async fn call(&mut self) -> anyhow::Result<()> {
        self.to_peer.write_all(b"{\"control\":\"call\"}\n").await?;
        Ok(())
    }

    /// Relays the peer's signalling to `doctor`'s socket and the call's frames back until
    /// `done` returns something for one of the peer's reports (`{"event":…}`,
    /// `{"quality":…}`); at most [`crate::booth_sessions::WAIT`].
    pub(crate) async fn relay_until<T>(
        &mut self,
        doctor: &mut Signal,
        what: &str,
        mut done: impl FnMut(&Value) -> Option<T>,
    ) -> anyhow::Result<T> {
        let deadline = tokio::time::Instant::now() + crate::booth_sessions::WAIT;
        loop {
            tokio::select! {
                line = self.from_peer.next_line() => {
                    let line = line?.context("the media peer stopped")?;
                    let value: Value = serde_json::from_str(&line)?;
                    if let Some(frame) = value.get("signal") {
                        doctor.send(frame.clone()).await?;
                    } else if let Some(found) = done(&value) {
                        return Ok(found);
                    }
                }
                frame = doctor.next() => {
                    let frame = frame?;
                    if ["answer", "offer", "ice", "restart"].contains(&frame["type"].as_str().unwrap_or("")) {
                        self.to_peer.write_all(format!("{frame}\n").as_bytes()).await?;
                    }
                }
                () = tokio::time::sleep_until(deadline) => anyhow::bail!("{what}: not in time"),
            }
        }
    }

    /// Hangs up and waits (bounded) for the peer to exit.
    pub(crate) async fn hang_up(mut self) {
        let _ = self.to_peer.write_all(b"{\"control\":\"hangup\"}\n").await;
        drop(self.to_peer);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.peer.wait()).await;
    }
}

#[test]
fn the_cabin_joins_a_walk_ins_call_by_itself_and_is_reset_when_the_session_ends()
-> anyhow::Result<()> {
    teleconsult_tests::netns::run_inside(
        "cabin::the_cabin_joins_a_walk_ins_call_by_itself_and_is_reset_when_the_session_ends",
        cabin_call,
    )
}

async fn cabin_call() -> anyhow::Result<()> {
    // The demo's fake camera, which can be unplugged (`demo-camera-unplugged`).
    let Booth { site, staff } =
        booth("[media]\nvideo_source = \"Teleconsult Test Camera\"\n").await?;
    let weber = site.login(&WEBER).await?;
    let before = status_when(&site, &staff, "the welcome view", |s| {
        view(s) == ("welcome", false)
    })
    .await?;
    assert_eq!(before["camera"]["state"], "ok", "{before}");
    assert_eq!(before["microphone"]["state"], "ok", "{before}");
    for part in ["speaker", "printer", "network", "platform"] {
        assert!(
            ["ok", "degraded", "missing"].contains(&before[part]["state"].as_str().unwrap_or("")),
            "{part}: {before}"
        );
    }
    assert_eq!(
        before["printer"]["state"], "missing",
        "printing is off: {before}"
    );
    assert!(
        before["devices"].as_array().is_some_and(|d| d
            .iter()
            .any(|d| d["kind"] == "camera" && d["state"] == "ok")),
        "{before}"
    );

    let person = walk_in(61, None);
    let (code, started) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": person, "specialty": "general_practice", "reason": "sore throat"}),
    )
    .await?;
    assert_eq!(code, 201, "{started}");
    let session = started["id"].as_str().context("session")?.to_owned();
    on_demand(&site, &weber, DR_WEBER).await?;
    let (code, taken) = post(&site, &weber, "/api/v1/queue/next", json!({})).await?;
    assert_eq!(code, 200, "{taken}");
    let appointment = taken["appointment_id"]
        .as_str()
        .context("appointment")?
        .to_owned();
    status_when(&site, &staff, "the cabin waits for the call", |s| {
        view(s) == ("waiting", false)
    })
    .await?;

    // The practitioner finds the cabin in the room: nobody at the counter opened anything.
    let mut doctor = join_with_the_cabin(&site, &appointment, &weber).await?;
    doctor.send(json!({"type": "ring"})).await?;
    doctor.until("accept").await?;
    let in_call = status_when(&site, &staff, "the pipeline runs", |s| {
        view(s) == ("call", true)
    })
    .await?;
    assert_eq!(in_call["camera"]["state"], "ok", "{in_call}");

    // The practitioner's media: a webrtcbin peer offers through the practitioner's socket.
    let mut media = PractitionerMedia::start()?;
    media.call().await?;
    let (mut remote_video, mut received_fps) = (None, 0.0);
    media
        .relay_until(&mut doctor, "video from the cabin", |report| {
            if report["event"]["event"] == "remote_video" {
                remote_video = Some(report["event"].clone());
            } else if let Some(fps) = report["quality"]["recv_fps"].as_f64() {
                received_fps = fps;
            }
            (remote_video.is_some() && received_fps > 0.0).then_some(())
        })
        .await
        .with_context(|| {
            format!(
                "the practitioner received no video from the cabin: {remote_video:?}, \
                 {received_fps} fps\n{}",
                site.daemon.logs()
            )
        })?;
    let video = remote_video.context("remote video")?;
    assert!(video["width"].as_u64().is_some_and(|w| w >= 160), "{video}");

    // The camera's cable is pulled during the call, then plugged back: the console sees both.
    let unplugged = site.daemon.storage_path().join("demo-camera-unplugged");
    std::fs::write(&unplugged, b"")?;
    let lost = status_when(&site, &staff, "the camera lost", |s| {
        s["camera"]["state"] != "ok"
    })
    .await?;
    assert_eq!(lost["camera"]["state"], "missing", "{lost}");
    assert_eq!(view(&lost), ("call", true), "the call goes on: {lost}");
    std::fs::remove_file(&unplugged)?;
    let back = status_when(&site, &staff, "the camera back", |s| {
        s["camera"]["state"] == "ok"
    })
    .await?;
    assert!(
        back["camera"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("back in the call")),
        "{back}"
    );

    // Staff end the session: the cabin leaves, the pipeline stops, the screen is neutral.
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
    let shown = after.to_string();
    for personal in [
        person["national_id"].as_str().unwrap_or("?"),
        person["last_name"].as_str().unwrap_or("?"),
        "Rui",
        &session,
        &appointment,
    ] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }
    media.hang_up().await;
    // The room is gone: the cabin sits in no call, and the practitioner's socket was closed.
    eventually("no call room left", || async {
        let metrics = site
            .client
            .get(site.url("/metrics"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(metrics
            .lines()
            .any(|l| l == "teleconsult_call_rooms 0")
            .then_some(()))
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn the_device_check_measures_the_cabins_camera_microphone_and_speaker() -> anyhow::Result<()>
{
    let Booth { site, staff } = booth("").await?;
    let (code, checked) = post(&site, &staff, "/api/v1/booth/check", json!({})).await?;
    assert_eq!(code, 200, "{checked}");
    assert_eq!(checked["camera"]["state"], "ok", "{checked}");
    assert!(
        checked["camera"]["frames"].as_u64().is_some_and(|f| f > 5),
        "{checked}"
    );
    assert!(
        checked["camera"]["width"].as_u64().is_some_and(|w| w > 0),
        "{checked}"
    );
    // The test microphone plays a tone: a real level was measured.
    let peak = checked["microphone"]["peak_db"].as_f64().context("peak")?;
    assert!(peak > -60.0 && peak <= 0.0, "{checked}");
    assert_eq!(checked["microphone"]["audible"], true, "{checked}");
    assert!(
        ["ok", "missing"].contains(&checked["speaker"]["state"].as_str().unwrap_or("")),
        "{checked}"
    );
    assert_eq!(checked["window_ms"], 1500);
    // The speaker's state is now the check's.
    let after = status(&site, &staff).await?;
    assert_eq!(
        after["speaker"]["state"], checked["speaker"]["state"],
        "{after}"
    );
    Ok(())
}

/// The practitioner hangs up: the session ends by itself (`call_ended`) as the call ends, the
/// cabin leaves the room and its pipeline stops, with no staff action.
#[tokio::test]
async fn when_the_call_ends_the_session_ends_and_the_cabin_is_reset() -> anyhow::Result<()> {
    // The default idle limit (30 min): the sweeper's own looks are 15 s apart, so the session
    // ends well within them only because the call's end wakes it.
    let Booth { site, staff } = booth("").await?;
    let weber = site.login(&WEBER).await?;
    let (code, started) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": walk_in(62, None), "specialty": "general_practice"}),
    )
    .await?;
    assert_eq!(code, 201, "{started}");
    let session = started["id"].as_str().context("session")?.to_owned();
    on_demand(&site, &weber, DR_WEBER).await?;
    let (code, taken) = post(&site, &weber, "/api/v1/queue/next", json!({})).await?;
    assert_eq!(code, 200, "{taken}");
    let appointment = taken["appointment_id"].as_str().context("appointment")?;
    let mut doctor = join_with_the_cabin(&site, appointment, &weber).await?;
    // Staff cannot take the cabin's seat from their console.
    let mut console = connect(&site.daemon, appointment, &staff)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    console
        .send(json!({"type": "join", "role": "booth"}))
        .await?;
    assert_eq!(console.until("error").await?["error"], "seat_taken");
    doctor.send(json!({"type": "ring"})).await?;
    doctor.until("accept").await?;
    status_when(&site, &staff, "the pipeline runs", |s| {
        view(s) == ("call", true)
    })
    .await?;
    doctor.send(json!({"type": "hangup"})).await?;
    teleconsult_tests::poll_until(
        "the cabin back to its welcome view before the sweeper's next look",
        std::time::Duration::from_secs(10),
        || async {
            let s = status(&site, &staff).await.ok()?;
            (view(&s) == ("welcome", false)).then_some(())
        },
    )
    .await?;
    let (code, ended) = site
        .get(&staff, &format!("/api/v1/booth/sessions/{session}"))
        .await?;
    assert_eq!(code, 200, "{ended}");
    assert_eq!(
        (&ended["state"], &ended["end_reason"]),
        (&json!("ended"), &json!("call_ended")),
        "{ended}"
    );
    Ok(())
}

/// Thirty device checks asked at once (several consoles, impatient clicks): the cabin's
/// devices are measured by one check at a time — the others are told `check_running` —, and
/// every answer is a measured check or that refusal, never an error.
#[tokio::test]
async fn thirty_checks_at_once_measure_one_at_a_time() -> anyhow::Result<()> {
    let Booth { site, staff } = booth("").await?;
    let began = std::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let (client, url, auth) = (
            site.daemon.client.clone(),
            site.daemon.url("/api/v1/booth/check"),
            staff.bearer(),
        );
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .header("authorization", auth)
                .send()
                .await?;
            let status = r.status().as_u16();
            anyhow::Ok((status, r.json::<Value>().await.unwrap_or(Value::Null)))
        }));
    }
    let mut measured = 0u32;
    for t in tasks {
        let (status, body) = t.await??;
        match status {
            200 => {
                assert!(
                    body["camera"]["frames"].as_u64().is_some_and(|f| f > 0),
                    "{body}"
                );
                measured += 1;
            }
            409 => assert_eq!(body["error"], "check_running", "{body}"),
            other => anyhow::bail!("{other} {body}"),
        }
    }
    let elapsed = began.elapsed().as_secs_f64();
    assert!(measured >= 1, "no check ran");
    // A check measures the camera then the microphone for 1.5 s each: one at a time, no more
    // than one per 3 s of the whole run could have been measured.
    assert!(
        f64::from(measured) <= elapsed / 3.0 + 1.0,
        "{measured} checks in {elapsed:.1} s: they overlapped"
    );
    Ok(())
}
