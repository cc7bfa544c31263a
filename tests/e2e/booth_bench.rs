//! `cargo xtask bench booth` (issue #19, "Measured"): the booth's two latencies, each an
//! ignored test that xtask runs and whose figures it reads from `TELECONSULT_BENCH_OUT`.
//!
//! **Queue "next" with 20 waiting** ([`bench_queue_next_with_20_waiting`]). A demo booth
//! site; `TELECONSULT_BENCH_WAITING` (20) patients at home wait in the general-practice line
//! (`POST /queue/asap`); two practitioners with on-demand on take turns clicking "next
//! patient" (`POST /api/v1/queue/next`), one request at a time, for
//! `TELECONSULT_BENCH_ROUNDS` (400) measured rounds after 20 warm-up ones. After each take
//! the patient taken asks again (not measured), so every "next" finds exactly 20 waiting —
//! checked each round through the practitioner's `GET /api/v1/queue`, which is measured too.
//! References measured in the same rounds, on the same daemon and connection: `GET /healthz`
//! (no session, no store) and `GET /api/v1/queue` (session, reads the line). A "next" is one
//! store transaction (entry removed, appointment, notification, outbox, audit) plus its
//! flush; the ratios say what it costs over the cheapest door.
//!
//! **Console "start" → the practitioner sees the cabin video**
//! ([`bench_console_start_to_cabin_video`]). A demo booth site with the test camera
//! (`[media] video_source = "Teleconsult Test Camera"`), daemon and practitioner's media in
//! one network namespace of the test's (libnice ignores loopback: the namespace's veth pair
//! is the loopback of this figure). Dr Weber is on demand; his media side,
//! `teleconsult-media-peer` (the practitioner's browser), is started before each run and
//! has reported once — a practitioner's page is open before a patient arrives. One run, `TELECONSULT_BENCH_CABIN_RUNS`
//! (10) times, after the cabin shows its welcome view:
//!
//! - **t0**: staff send `POST /api/v1/booth/sessions` (a walk-in, first practitioner free);
//! - the practitioner's "next patient" (`POST /api/v1/queue/next`) is sent as soon as the
//!   session's 201 is read — **the practitioner's click is immediate** in the bench: a real
//!   practitioner's reaction time (an alert, a click) comes on top and is not measured;
//! - the practitioner's signalling socket connects, joins, waits until the cabin's pipeline
//!   has taken the patient's seat (`waiting` with both roles), rings; the cabin accepts by
//!   itself; the practitioner's peer makes the call (offer), the cabin answers, ICE, DTLS;
//! - **t1**: the practitioner's peer reports its first `remote_video` (the first decoded
//!   frame of the cabin's camera reached its video sink).
//!
//! Steps in between are timed from t0 too (session started, taken, cabin present, accepted).
//! Between runs (not measured): the practitioner's peer hangs up, staff end the session
//! (`POST /booth/sessions/{id}/end`), and the bench waits for the cabin's welcome view.

use anyhow::{Context, ensure};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::bench::{knob, percentile};
use teleconsult_tests::booking::{DR_FERREIRA, DR_WEBER};
use teleconsult_tests::site::{FERREIRA, Site, WEBER};

use crate::booth_sessions::{Booth, booth, on_demand, walk_in};
use crate::cabin::{PractitionerMedia, join_with_the_cabin, status_when, view};

/// p50/p95/p99/max of `samples` (ms) as `{prefix}_p50_ms`….
fn summary(prefix: &str, samples: &mut [f64], figures: &mut serde_json::Map<String, Value>) {
    samples.sort_by(f64::total_cmp);
    for (name, p) in [("p50", 50.0), ("p95", 95.0), ("p99", 99.0), ("max", 100.0)] {
        figures.insert(format!("{prefix}_{name}_ms"), json!(percentile(samples, p)));
    }
}

/// One request, timed from send to the whole body read.
async fn timed(
    site: &Site,
    who: Option<&Login>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(f64, u16, Value)> {
    let started = Instant::now();
    let (status, body) = site.send(who, method, path, body).await?;
    Ok((started.elapsed().as_secs_f64() * 1000.0, status, body))
}

async fn ask_asap(site: &Site, who: &Login) -> anyhow::Result<()> {
    let (status, body) = site
        .post(
            who,
            "/api/v1/queue/asap",
            &json!({"specialty": "general_practice", "reason": "fever"}),
        )
        .await?;
    ensure!(status == 201, "asap: {status} {body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with cargo xtask bench booth"]
async fn bench_queue_next_with_20_waiting() -> anyhow::Result<()> {
    let waiting = knob("TELECONSULT_BENCH_WAITING", 20).max(1);
    let rounds = knob("TELECONSULT_BENCH_ROUNDS", 400).max(1);
    let warm_up = 20;
    let site = Site::demo("[site]\nkind = \"booth\"\n").await?;
    // In the order they joined the line: a "next" takes the front one (one specialty, FIFO).
    let mut line = std::collections::VecDeque::new();
    for n in 0..waiting {
        let who = site.patient(500 + u32::try_from(n)?).await?;
        ask_asap(&site, &who).await?;
        line.push_back(who);
    }
    let doctors = [site.login(&WEBER).await?, site.login(&FERREIRA).await?];
    for (who, id) in doctors.iter().zip([DR_WEBER, DR_FERREIRA]) {
        let (status, body) = site
            .put(
                who,
                &format!("/api/v1/practitioners/{id}/availability"),
                &json!({"on_demand": true}),
            )
            .await?;
        ensure!(status == 200, "{status} {body}");
    }

    let (mut next, mut queue, mut health) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..warm_up + rounds {
        let doctor = &doctors[round % 2];
        let (h_ms, status, _) = timed(&site, None, Method::GET, "/healthz", None).await?;
        ensure!(status == 200, "healthz {status}");
        let (q_ms, status, view) =
            timed(&site, Some(doctor), Method::GET, "/api/v1/queue", None).await?;
        ensure!(status == 200, "queue {status} {view}");
        let in_line = view["entries"].as_array().map_or(0, Vec::len);
        ensure!(
            in_line == waiting,
            "round {round}: {in_line} waiting, expected {waiting}"
        );
        let (n_ms, status, taken) = timed(
            &site,
            Some(doctor),
            Method::POST,
            "/api/v1/queue/next",
            None,
        )
        .await?;
        ensure!(status == 200, "next {status} {taken}");
        ensure!(taken["patient_id"].is_string(), "{taken}");
        // The front of the line was taken: back in the line (not measured), so the next round
        // finds `waiting` again. Had anyone else been taken, the front one would still wait
        // and be refused here (409 `already_waiting`).
        let front = line.pop_front().context("empty line")?;
        ask_asap(&site, &front)
            .await
            .with_context(|| format!("round {round}: not the oldest entry taken"))?;
        line.push_back(front);
        if round >= warm_up {
            next.push(n_ms);
            queue.push(q_ms);
            health.push(h_ms);
        }
    }

    let mut figures = serde_json::Map::new();
    summary("next", &mut next, &mut figures);
    summary("queue", &mut queue, &mut figures);
    summary("healthz", &mut health, &mut figures);
    let ratio = |a: &str, b: &str| {
        let get = |k: &str| figures[k].as_f64().unwrap_or(f64::NAN);
        get(a) / get(b)
    };
    let ratios = [
        (
            "next_p50_over_healthz_p50",
            ratio("next_p50_ms", "healthz_p50_ms"),
        ),
        (
            "next_p99_over_healthz_p99",
            ratio("next_p99_ms", "healthz_p99_ms"),
        ),
        (
            "next_p50_over_queue_p50",
            ratio("next_p50_ms", "queue_p50_ms"),
        ),
    ];
    for (name, value) in ratios {
        figures.insert(name.into(), json!(value));
    }
    figures.insert("rounds".into(), json!(rounds));
    figures.insert("waiting".into(), json!(waiting));
    report(figures)
}

/// Prints the figures, with the load average after, and writes them where xtask reads them.
fn report(mut figures: serde_json::Map<String, Value>) -> anyhow::Result<()> {
    figures.insert(
        "load_average_after".into(),
        json!(std::fs::read_to_string("/proc/loadavg").unwrap_or_default()),
    );
    let figures = Value::Object(figures);
    println!("{figures:#}");
    if let Some(out) = std::env::var_os("TELECONSULT_BENCH_OUT") {
        std::fs::write(out, serde_json::to_vec(&figures)?)?;
    }
    Ok(())
}

#[test]
#[ignore = "benchmark: run with cargo xtask bench booth"]
fn bench_console_start_to_cabin_video() -> anyhow::Result<()> {
    teleconsult_tests::netns::run_inside(
        "booth_bench::bench_console_start_to_cabin_video",
        console_start_to_cabin_video,
    )
}

/// Milliseconds from `t0` to now.
fn since_ms(t0: Instant) -> f64 {
    t0.elapsed().as_secs_f64() * 1000.0
}

/// The steps of one run, in milliseconds from t0 (see the module documentation).
#[derive(Default)]
struct CabinRun {
    started: Vec<f64>,
    taken: Vec<f64>,
    cabin_present: Vec<f64>,
    accepted: Vec<f64>,
    video: Vec<f64>,
    accepted_to_video: Vec<f64>,
}

async fn console_start_to_cabin_video() -> anyhow::Result<()> {
    let runs = knob("TELECONSULT_BENCH_CABIN_RUNS", 10).max(1);
    let Booth { site, staff } =
        booth("[media]\nvideo_source = \"Teleconsult Test Camera\"\n").await?;
    let weber = site.login(&WEBER).await?;
    on_demand(&site, &weber, DR_WEBER).await?;
    let welcome = |s: &Value| view(s) == ("welcome", false);
    let mut steps = CabinRun::default();
    for run in 0..runs {
        // The practitioner's browser is open before the patient comes.
        let mut media = PractitionerMedia::start()?;
        media.ready().await?;
        status_when(&site, &staff, "the welcome view", welcome).await?;
        let person = walk_in(u16::try_from(300 + run)?, None);

        let t0 = Instant::now();
        let (status, started) = site
            .post(
                &staff,
                "/api/v1/booth/sessions",
                &json!({"patient": person, "specialty": "general_practice", "reason": "cough"}),
            )
            .await?;
        ensure!(status == 201, "run {run}: start {status} {started}");
        steps.started.push(since_ms(t0));
        let session = started["id"].as_str().context("session id")?.to_owned();
        let (status, taken) = site.post(&weber, "/api/v1/queue/next", &json!({})).await?;
        ensure!(status == 200, "run {run}: next {status} {taken}");
        ensure!(taken["session_id"] == session.as_str(), "{taken}");
        steps.taken.push(since_ms(t0));
        let appointment = taken["appointment_id"].as_str().context("appointment")?;
        let mut doctor = join_with_the_cabin(&site, appointment, &weber)
            .await
            .with_context(|| format!("run {run}"))?;
        steps.cabin_present.push(since_ms(t0));
        doctor.send(json!({"type": "ring"})).await?;
        doctor.until("accept").await?;
        let accepted = since_ms(t0);
        steps.accepted.push(accepted);
        media.call().await?;
        media
            .relay_until(&mut doctor, "the cabin's first frame", |report| {
                (report["event"]["event"] == "remote_video").then_some(())
            })
            .await
            .with_context(|| format!("run {run}\n{}", site.daemon.logs()))?;
        let video = since_ms(t0);
        steps.video.push(video);
        steps.accepted_to_video.push(video - accepted);
        println!("run {run}: start to cabin video {video:.0} ms");

        // Not measured: the call ends, staff end the session.
        media.hang_up().await;
        drop(doctor);
        let (status, ended) = site
            .post(
                &staff,
                &format!("/api/v1/booth/sessions/{session}/end"),
                &json!({}),
            )
            .await?;
        ensure!(status == 200, "run {run}: end {status} {ended}");
    }
    status_when(&site, &staff, "the welcome view", welcome).await?;

    let mut figures = serde_json::Map::new();
    summary("start_to_video", &mut steps.video, &mut figures);
    summary("start_to_started", &mut steps.started, &mut figures);
    summary("start_to_taken", &mut steps.taken, &mut figures);
    summary(
        "start_to_cabin_present",
        &mut steps.cabin_present,
        &mut figures,
    );
    summary("start_to_accepted", &mut steps.accepted, &mut figures);
    summary(
        "accepted_to_video",
        &mut steps.accepted_to_video,
        &mut figures,
    );
    figures.insert("runs".into(), json!(runs));
    report(figures)
}
