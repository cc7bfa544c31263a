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
//! **Console "start" → practitioner sees the cabin video** needs the cabin pipeline joining
//! the call as the patient's side (issue #19 item 3, built separately): its test will sit
//! next to this one (`bench_console_start_to_cabin_video`) and xtask lists it in `PARTS`.

use anyhow::{Context, ensure};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::{DR_FERREIRA, DR_WEBER};
use teleconsult_tests::site::{FERREIRA, Site, WEBER};

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Nearest-rank percentile of sorted `samples`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

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
