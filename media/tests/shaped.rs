//! The media benchmark's shaped paths (issue #22, `cargo xtask bench media`; ignored test
//! `bench_shaped`): the booth sending to headless Chromium, then Chromium sending to headless
//! Chromium, over the same shaped path in the same run — the booth's uplink capped with `tc`
//! `tbf` (100 ms bottleneck buffer, `NetnsPair::cap_booth_uplink`), 40 ms round trip added
//! through NFQUEUE on what the booth side sends (`support::delay`). Paths: 500 kbit/s, 1 Mbit/s,
//! 2 Mbit/s; 1 Mbit/s with a bulk TCP upload starting mid-call (`support::bulk`); 2 Mbit/s
//! stepping down to 600 kbit/s and back. The receiving page reports fps, freezes (gaps between
//! presented frames > 500 ms), glass-to-glass latency (the capture-time stamp, drawn by the booth
//! with `--stamp` and by the sending page with `stampout=1`) and audio loss; the goal, per path:
//! the booth's fps and freezes no worse than Chromium's, its p95 latency ≤ 1.1× Chromium's.

#[path = "shaped/figures.rs"]
mod figures;
mod support;

use figures::{
    HOLD_SAMPLES, Outcome, P95_ALLOWANCE, Sample, adapted, describe, means, percentile, verdict,
};
use serde_json::Value;
use std::time::{Duration, Instant};
use support::browser::Browser;
use support::bulk::BulkUpload;
use support::delay::Delay;
use support::{Call, Net, PageCall, num, run_in_booth_net};

/// The bottleneck buffer of every path.
const QUEUE_MS: u32 = 100;
/// Added on everything the sending side's namespace sends; feedback returns undelayed, so the
/// round trip is this (plus queueing).
const DELAY_MS: u32 = 40;
/// From the first decoded frame to the measured window: both estimators find the path.
const SETTLE: Duration = Duration::from_secs(10);

#[derive(Clone, Copy)]
enum Event {
    /// The uplink cap changes to this many kbit/s.
    Cap(u32),
    /// The bulk TCP upload starts.
    Bulk,
}

struct Path {
    key: &'static str,
    what: &'static str,
    cap_kbps: u32,
    /// The window's length in seconds (one sample a second).
    window_s: u64,
    /// Figures are taken from this second to the end of the window.
    measure_from_s: u64,
    events: &'static [(u64, Event)],
}

const PATHS: [Path; 5] = [
    Path {
        key: "500k",
        what: "500 kbit/s",
        cap_kbps: 500,
        window_s: 25,
        measure_from_s: 0,
        events: &[],
    },
    Path {
        key: "1m",
        what: "1 Mbit/s",
        cap_kbps: 1000,
        window_s: 25,
        measure_from_s: 0,
        events: &[],
    },
    Path {
        key: "2m",
        what: "2 Mbit/s",
        cap_kbps: 2000,
        window_s: 25,
        measure_from_s: 0,
        events: &[],
    },
    Path {
        key: "1m_tcp",
        what: "1 Mbit/s, bulk TCP upload from second 8 (figures from then on)",
        cap_kbps: 1000,
        window_s: 30,
        measure_from_s: 8,
        events: &[(8, Event::Bulk)],
    },
    Path {
        key: "step",
        what: "2 Mbit/s, 600 kbit/s from second 8, 2 Mbit/s again from second 23",
        cap_kbps: 2000,
        window_s: 44,
        measure_from_s: 0,
        events: &[(8, Event::Cap(600)), (23, Event::Cap(2000))],
    },
];

/// The sender under test.
enum Sender {
    Booth(Call),
    Chromium(PageCall),
}

impl Sender {
    fn receiver(&self) -> &Browser {
        match self {
            Self::Booth(call) => &call.browser,
            Self::Chromium(call) => &call.receiver,
        }
    }

    /// What the sender has sent so far (bytes, RTP payload and headers, audio and video) when
    /// it counts cumulatively (Chromium), or its rate over its last second (the booth's
    /// quality line, kbit/s).
    async fn sent(&self) -> anyhow::Result<Sent> {
        match self {
            Self::Booth(call) => Ok(Sent::Kbps(call.peer.last_quality().map_or(f64::NAN, |q| {
                q.pointer("/quality/send_kbps")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::NAN)
            }))),
            Self::Chromium(call) => {
                let s = call.sender.eval("return await window.tcStats();").await?;
                Ok(Sent::Bytes(
                    num(&s, "/video_out/bytesSent")
                        + num(&s, "/video_out/headerBytesSent")
                        + num(&s, "/audio_out/bytesSent")
                        + num(&s, "/audio_out/headerBytesSent"),
                ))
            }
        }
    }

    /// Ends the call; the booth's must have reported no GLib critical.
    async fn close(self) -> anyhow::Result<()> {
        match self {
            Self::Booth(call) => call.close().await,
            Self::Chromium(call) => {
                call.close().await;
                Ok(())
            }
        }
    }
}

enum Sent {
    Kbps(f64),
    Bytes(f64),
}

/// The page's counters and the sender's rate now; `last`: the time and sender's byte count of
/// the previous sample (Chromium counts bytes; the booth reports its rate).
async fn sample(
    sender: &Sender,
    t0: Instant,
    last: Option<(f64, f64)>,
) -> anyhow::Result<(Sample, f64)> {
    let page = sender
        .receiver()
        .eval("return await window.tcStats();")
        .await?;
    let t = t0.elapsed().as_secs_f64();
    let (sent_kbps, sent_bytes) = match sender.sent().await? {
        Sent::Kbps(k) => (k, f64::NAN),
        Sent::Bytes(b) => (
            last.map_or(f64::NAN, |(lt, bytes)| {
                (b - bytes) * 8.0 / 1000.0 / (t - lt)
            }),
            b,
        ),
    };
    Ok((
        Sample {
            t,
            frames: num(&page, "/video_in/framesDecoded"),
            bytes: num(&page, "/video_in/bytesReceived")
                + num(&page, "/video_in/headerBytesReceived")
                + num(&page, "/audio_in/bytesReceived")
                + num(&page, "/audio_in/headerBytesReceived"),
            audio_received: num(&page, "/audio_in/packetsReceived"),
            audio_lost: num(&page, "/audio_in/packetsLost"),
            sent_kbps,
        },
        sent_bytes,
    ))
}

/// Runs `path`'s window on a connected call.
async fn measure(net: &Net, sender: &Sender, path: &Path) -> anyhow::Result<Outcome> {
    let page = sender.receiver();
    let t0 = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let mut last: Option<(f64, f64)> = None;
    let mut base = 0;
    let mut bulk = None;
    let mut steps = Vec::new();
    let mut cap = path.cap_kbps;
    for tick in 0..=path.window_s {
        tokio::time::sleep_until((t0 + Duration::from_secs(tick)).into()).await;
        let (s, bytes) = sample(sender, t0, last).await?;
        let at = s.t;
        last = Some((at, bytes));
        samples.push(s);
        if tick == path.measure_from_s {
            base = samples.len() - 1;
            page.eval("window.tc.latencies = []; window.tc.freezes = 0; window.tc.maxGapMs = 0; return true;")
                .await?;
        }
        for (_, event) in path.events.iter().filter(|(s, _)| *s == tick) {
            match *event {
                Event::Cap(kbps) => {
                    net.pair.cap_booth_uplink(kbps, QUEUE_MS)?;
                    steps.push((at, cap, kbps));
                    cap = kbps;
                }
                Event::Bulk => {
                    bulk = Some(BulkUpload::start(
                        &net.pair.browser,
                        support::netns::BROWSER_IP,
                        Duration::from_secs(path.window_s - tick + 10),
                    )?);
                }
            }
        }
    }
    let bulk_kbps = bulk.map(BulkUpload::stop);
    let state = page.eval("return window.tc;").await?;
    let end = page.eval("return await window.tcStats();").await?;
    let latencies: Vec<f64> = state
        .get("latencies")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let (first, last_sample) = (&samples[base], &samples[samples.len() - 1]);
    let secs = last_sample.t - first.t;
    let audio_received = last_sample.audio_received - first.audio_received;
    let audio_lost = last_sample.audio_lost - first.audio_lost;
    let mut trace = Vec::new();
    for w in samples.windows(2) {
        let dt = w[1].t - w[0].t;
        trace.push((
            w[1].sent_kbps,
            (w[1].bytes - w[0].bytes) * 8.0 / 1000.0 / dt,
            (w[1].frames - w[0].frames) / dt,
        ));
    }
    // Adaptation to each cap change: down, until the sender stays under the new cap with the
    // frame rate back to 90 % of what it was in the 5 s before; up, until it sends 80 % of what
    // it sent in the 5 s before the first step, at that frame rate.
    let mut adapt = Vec::new();
    let ends: Vec<f64> = steps
        .iter()
        .skip(1)
        .map(|(t, _, _)| *t)
        .chain([last_sample.t])
        .collect();
    let before_first = steps.first().map_or((f64::NAN, f64::NAN), |(t, _, _)| {
        means(&samples, t - 5.0, *t)
    });
    for ((at, from, to), until) in steps.iter().zip(ends) {
        let (fps_before, _) = means(&samples, at - 5.0, *at);
        let took = if to < from {
            let cap = f64::from(*to);
            adapted(&samples, *at, until, |sent, fps| {
                sent < cap && fps >= 0.9 * fps_before
            })
        } else {
            let (fps_high, sent_high) = before_first;
            adapted(&samples, *at, until, |sent, fps| {
                sent >= 0.8 * sent_high && fps >= 0.9 * fps_high
            })
        };
        adapt.push((*to, took));
    }
    let sent: Vec<f64> = samples[base + 1..]
        .iter()
        .map(|s| s.sent_kbps)
        .filter(|k| k.is_finite())
        .collect();
    Ok(Outcome {
        fps: (last_sample.frames - first.frames) / secs,
        secs,
        freezes: num(&state, "/freezes"),
        max_gap_ms: num(&state, "/maxGapMs"),
        p50: percentile(&latencies, 0.5),
        p95: percentile(&latencies, 0.95),
        latency_samples: latencies.len(),
        audio_loss_pct: if audio_received + audio_lost > 0.0 {
            audio_lost / (audio_received + audio_lost) * 100.0
        } else {
            f64::NAN
        },
        received_kbps: (last_sample.bytes - first.bytes) * 8.0 / 1000.0 / secs,
        sent_kbps: sent.iter().sum::<f64>() / sent.len().max(1) as f64,
        size: format!(
            "{}x{}",
            num(&end, "/video_in/frameWidth"),
            num(&end, "/video_in/frameHeight")
        ),
        adapt,
        bulk_kbps,
        trace,
    })
}

/// The booth as the sender: 720p30 H.264 with the capture stamp, its real pipeline (the
/// estimator on, `--bitrate 2500` the default ceiling), camera playing `clip`.
async fn booth_call(net: &Net, clip: &std::path::Path) -> anyhow::Result<Sender> {
    let mut args = support::booth_720p("h264");
    args.extend(["--stats-ms", "1000"]);
    let call = Call::open_with_clip(net, &args, "direction=recvonly&stamp=1", Some(clip)).await?;
    call.wait_connected(true, false, Duration::from_secs(30))
        .await?;
    Ok(Sender::Booth(call))
}

/// Chromium as the sender: the same clip at 720p30 through the stamping canvas, H.264, the
/// same 2 500 kbit/s ceiling; everything else Chromium's defaults.
async fn chromium_call(net: &Net, clip: &std::path::Path) -> anyhow::Result<Sender> {
    let call = PageCall::open(
        net,
        "direction=sendonly&w=1280&h=720&fps=30&stampout=1&codec=H264&maxkbps=2500",
        "direction=recvonly&stamp=1",
        Some(clip),
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stats = call.receiver.eval("return await window.tcStats();").await?;
        if num(&stats, "/video_in/framesDecoded") > 0.0 {
            break;
        }
        if Instant::now() > deadline {
            let sender = call
                .sender
                .eval("return window.tc;")
                .await
                .unwrap_or_default();
            let receiver = call
                .receiver
                .eval("return window.tc;")
                .await
                .unwrap_or_default();
            anyhow::bail!(
                "Chromium → Chromium: no video within 30 s: sender {sender}, receiver {receiver}"
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(Sender::Chromium(call))
}

/// One sender on one path: cap and delay set before the call starts, removed after.
async fn run(
    net: &Net,
    path: &Path,
    booth: bool,
    clip: &std::path::Path,
) -> anyhow::Result<Outcome> {
    net.pair.cap_booth_uplink(path.cap_kbps, QUEUE_MS)?;
    let tcp = path
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Bulk))
        .then_some(support::bulk::PORT);
    let delay = Delay::start_with_tcp(DELAY_MS, tcp).await?;
    let outcome = async {
        let sender = if booth {
            booth_call(net, clip).await?
        } else {
            chromium_call(net, clip).await?
        };
        tokio::time::sleep(SETTLE).await;
        let outcome = measure(net, &sender, path).await;
        let closed = sender.close().await;
        outcome.and_then(|measured| closed.map(|()| measured))
    }
    .await;
    drop(delay);
    net.pair.uncap_booth_uplink();
    outcome
}

#[test]
#[ignore = "benchmark: cargo xtask bench media"]
fn bench_shaped() {
    run_in_booth_net("shaped::bench_shaped", |net| async move {
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let clip_dir = tempfile::tempdir()?;
        let clip = support::clip_720p(clip_dir.path())?;
        let only = std::env::var("TELECONSULT_BENCH_PATHS").ok();
        let mut metrics = serde_json::Map::new();
        let mut notes = Vec::new();
        let mut passed = 0;
        let mut ran = 0;
        for path in PATHS.iter().filter(|p| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|k| k == p.key))
        }) {
            println!("path {}: {}", path.key, path.what);
            let booth = run(&net, path, true, &clip).await?;
            println!("  {}", describe("booth", &booth));
            let chromium = run(&net, path, false, &clip).await?;
            println!("  {}", describe("Chromium", &chromium));
            for (who, o) in [("booth", &booth), ("chromium", &chromium)] {
                println!(
                    "  {who} per second (sent kbit/s, received kbit/s, fps): {:?}",
                    o.trace
                        .iter()
                        .map(|(s, r, f)| (s.round(), r.round(), (f * 10.0).round() / 10.0))
                        .collect::<Vec<_>>()
                );
                let mut put = |k: &str, v: f64| {
                    if v.is_finite() {
                        metrics.insert(
                            format!("shaped_{}_{who}_{k}", path.key),
                            serde_json::json!((v * 100.0).round() / 100.0),
                        );
                    }
                };
                put("fps", o.fps);
                put("freezes", o.freezes);
                put("latency_p50_ms", o.p50);
                put("latency_p95_ms", o.p95);
                put("audio_loss_pct", o.audio_loss_pct);
                put("sent_kbps", o.sent_kbps);
                for (i, (_, took)) in o.adapt.iter().enumerate() {
                    put(
                        if i == 0 { "adapt_down_s" } else { "adapt_up_s" },
                        took.unwrap_or(f64::NAN),
                    );
                }
                if let Some(k) = o.bulk_kbps {
                    put("bulk_tcp_kbps", k);
                }
            }
            let (pass, verdict) = verdict(&booth, &chromium);
            ran += 1;
            passed += usize::from(pass);
            println!("  goal: {verdict}");
            notes.push(format!(
                "{} ({}): {verdict}; {}; {}",
                path.key,
                path.what,
                describe("booth", &booth),
                describe("Chromium", &chromium)
            ));
        }
        let notes = format!(
            "shaped paths, one run, load average at start {}: booth (teleconsult-media-peer, 720p30 H.264 stamped, \
             estimator on, ceiling 2500 kbit/s) then Chromium (same clip through a stamping canvas, H.264, ceiling \
             2500 kbit/s) → headless Chromium, each on the same path: tbf cap with a {QUEUE_MS} ms bottleneck buffer \
             on the sender's uplink, {DELAY_MS} ms added by NFQUEUE on what the sender side sends (40 ms round trip), \
             {} s settling after the first frame, then one sample a second; freezes = gaps > 500 ms between presented \
             frames; adapt = from the cap change to the first of {HOLD_SAMPLES} seconds in a row with the sender under \
             the new cap (down) or back at 80 % of its rate before the first step (up), fps at 90 % of before; \
             goal per path: booth fps ≥ Chromium's (within two frames over the window: \
             the counting resolution), freezes ≤ Chromium's, p95 ≤ {P95_ALLOWANCE}× Chromium's; \
             {passed}/{ran} paths pass. {}",
            load.split_whitespace().next().unwrap_or("?"),
            SETTLE.as_secs(),
            notes.join(" | ")
        );
        println!("{notes}");
        let report = serde_json::json!({ "name": "media", "metrics": metrics, "notes": notes });
        if let Ok(out) = std::env::var("TELECONSULT_BENCH_OUT") {
            std::fs::write(out, serde_json::to_string_pretty(&report)?)?;
        }
        Ok(())
    });
}
