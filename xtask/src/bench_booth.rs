//! `cargo xtask bench booth` (issue #19, "Measured"): the booth's latencies through the real
//! daemon. Each part is an ignored e2e test in `tests/e2e/booth_bench.rs` (see its module
//! documentation for the method) that writes its figures to `TELECONSULT_BENCH_OUT`; this runs
//! them one after the other and writes `target/bench/booth.json`.
//!
//! Parts: `queue` — `POST /queue/next` with 20 waiting (goal: p99 ≤ 50 ms), with `/healthz`
//! and `GET /queue` measured in the same rounds as references; `cabin` — console "start" →
//! the practitioner sees the cabin's video (goal: p50 ≤ 2 s), with its steps timed from the
//! same start (in a network namespace: it needs root).
//!
//! Release builds (daemon, the practitioner's media peer and test clients) by default;
//! `--debug` uses the debug builds (quicker to get on a busy machine; the report says which).
//! Knobs, read by the tests: `TELECONSULT_BENCH_ROUNDS` (400), `TELECONSULT_BENCH_WAITING`
//! (20), `TELECONSULT_BENCH_CABIN_RUNS` (10).

use anyhow::Context;

/// One measured part: its name (metric prefix) and its test.
struct Part {
    name: &'static str,
    test: &'static str,
    /// The figures the part reports, as written by its test.
    metrics: &'static [&'static str],
}

const PARTS: &[Part] = &[
    Part {
        name: "queue",
        test: "booth_bench::bench_queue_next_with_20_waiting",
        metrics: &[
            "next_p50_ms",
            "next_p95_ms",
            "next_p99_ms",
            "next_max_ms",
            "queue_p50_ms",
            "queue_p99_ms",
            "healthz_p50_ms",
            "healthz_p99_ms",
            "next_p50_over_healthz_p50",
            "next_p99_over_healthz_p99",
            "next_p50_over_queue_p50",
            "rounds",
            "waiting",
        ],
    },
    Part {
        name: "cabin",
        test: "booth_bench::bench_console_start_to_cabin_video",
        metrics: &[
            "start_to_video_p50_ms",
            "start_to_video_p95_ms",
            "start_to_video_max_ms",
            "start_to_started_p50_ms",
            "start_to_taken_p50_ms",
            "start_to_cabin_present_p50_ms",
            "start_to_accepted_p50_ms",
            "accepted_to_video_p50_ms",
            "accepted_to_video_max_ms",
            "runs",
        ],
    },
];

pub fn booth(args: &[String]) -> anyhow::Result<()> {
    let debug = match args {
        [] => false,
        [flag] if flag == "--debug" => true,
        _ => anyhow::bail!("usage: cargo xtask bench booth [--debug]"),
    };
    let daemon = if debug {
        crate::step(
            "building teleconsultd (debug)",
            crate::cargo().args([
                "build",
                "--locked",
                "--package",
                "teleconsultd",
                "--bin",
                "teleconsultd",
            ]),
        )?;
        crate::root().join("target/debug/teleconsultd")
    } else {
        super::release_daemon()?
    };
    // The practitioner's media side of the `cabin` part, found beside the daemon.
    let mut peer = crate::cargo();
    peer.arg("build");
    if !debug {
        peer.arg("--release");
    }
    peer.args([
        "--locked",
        "--package",
        "teleconsult-media",
        "--bin",
        "teleconsult-media-peer",
    ]);
    crate::step("building teleconsult-media-peer", &mut peer)?;
    let dir = crate::root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut metrics: Vec<(String, f64)> = Vec::new();
    let mut load_after = String::new();
    for part in PARTS {
        let out = dir.join(format!("booth-{}-figures.json", part.name));
        let _ = std::fs::remove_file(&out);
        let mut test = crate::cargo();
        test.arg("test");
        if !debug {
            test.arg("--release");
        }
        test.args([
            "--locked",
            "--package",
            "teleconsult-tests",
            "--test",
            "e2e",
            "--",
            "--ignored",
            "--exact",
            part.test,
            "--nocapture",
        ])
        .env("TELECONSULTD_BIN", &daemon)
        .env("TELECONSULT_BENCH_OUT", &out);
        crate::step(&format!("booth benchmark, part {}", part.name), &mut test)?;
        let figures: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&out)
                .with_context(|| format!("the benchmark wrote no {}", out.display()))?,
        )?;
        for key in part.metrics {
            metrics.push((
                format!("{}_{key}", part.name),
                figures[key].as_f64().unwrap_or(f64::NAN),
            ));
        }
        load_after = figures["load_average_after"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    }
    let first3 = |s: &str| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    let notes = format!(
        "{build} daemon in demo mode (booth site) on 127.0.0.1, HTTPS, one client connection. queue_*: 20 patients \
         at home wait in one specialty's line; two practitioners (on demand) take turns with POST /api/v1/queue/next, \
         one request at a time; after each take the patient taken asks again (not measured), so each next finds 20 \
         waiting (checked every round); latency = send to body read, after 20 warm-up rounds. References in the \
         same rounds: GET /healthz (no session, no store) and GET /api/v1/queue (the practitioner's view of the \
         line). Goal: next p99 <= 50 ms. cabin_*: the same daemon with the test camera, in a network namespace \
         (veth pair: libnice ignores loopback), {runs} runs; t0 = staff send POST /api/v1/booth/sessions (walk-in, \
         first practitioner free); the practitioner's POST /api/v1/queue/next is sent as soon as the 201 is read (the \
         click is immediate: a person's reaction time is not included), then the practitioner's signalling socket \
         connects, joins, waits for the cabin in the room, rings, the cabin accepts, the practitioner's media peer \
         (teleconsult-media-peer, started and running before t0) offers; t1 = its first remote_video event (the \
         first decoded frame of the cabin's camera). Between runs the session is ended and the welcome view awaited \
         (not measured). Goal: start_to_video p50 <= 2 s. 2-core machine shared with other work: load average before \
         {before}, after {after}",
        build = if debug {
            "debug (--debug) build of the"
        } else {
            "release"
        },
        runs = metrics
            .iter()
            .find(|(k, _)| k == "cabin_runs")
            .map_or(f64::NAN, |(_, v)| *v),
        before = first3(&load_before),
        after = first3(&load_after),
    );
    let metrics: Vec<(&str, f64)> = metrics.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    crate::bench_report("booth", &metrics, &notes)
}
