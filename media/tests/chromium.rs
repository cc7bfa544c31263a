//! Booth pipeline ↔ headless Chromium over a network path the test owns (two namespaces and a
//! veth pair; where namespaces cannot be made, `teleconsult_tests::capability` decides). The page and a signalling
//! relay are served by the test on the booth address; Chromium is driven over WebDriver and
//! results are read back from the page's getStats. `bench_media` (ignored) is
//! `cargo xtask bench media`.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::delay::Delay;
use support::{Call, Net, num, run_in_booth_net};

const HOLD: Duration = Duration::from_secs(10);

struct Held {
    page_fps: f64,
    booth_fps: f64,
    page_audio_samples_per_s: f64,
    page_audio_level_max: f64,
    booth_audio_buffers_per_s: f64,
    booth_audio_peak_db: f64,
    page_packets_lost: f64,
    page_nacks: f64,
    page_size: (f64, f64),
}

/// Keeps the call for [`HOLD`], checking every second that both sides still decode.
async fn hold(call: &Call) -> anyhow::Result<Held> {
    let start = Instant::now();
    let p0 = call.page_stats().await?;
    let b0 = support::context(call.peer.last_quality(), "booth quality")?;
    let mut level_max: f64 = 0.0;
    let mut peak_max = f64::NEG_INFINITY;
    let mut last_frames = num(&p0, "/video_in/framesDecoded");
    while start.elapsed() < HOLD {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let p = call.page_stats().await?;
        let frames = num(&p, "/video_in/framesDecoded");
        anyhow::ensure!(
            frames > last_frames,
            "page video stalled at {frames} frames: {p}"
        );
        last_frames = frames;
        level_max = level_max.max(num(&p, "/audio_in/audioLevel"));
        if let Some(q) = call.peer.last_quality() {
            peak_max = peak_max.max(
                q.pointer("/quality/recv_audio_peak_db")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::NEG_INFINITY),
            );
        }
    }
    let p1 = call.page_stats().await?;
    let b1 = support::context(call.peer.last_quality(), "booth quality")?;
    let secs = start.elapsed().as_secs_f64();
    let delta = |a: &Value, b: &Value, ptr: &str| (num(b, ptr) - num(a, ptr)) / secs;
    Ok(Held {
        page_fps: delta(&p0, &p1, "/video_in/framesDecoded"),
        // The booth samples once a second: its window is close to, not exactly, `secs`.
        booth_fps: delta(&b0, &b1, "/quality/recv_frames_total"),
        page_audio_samples_per_s: delta(&p0, &p1, "/audio_in/totalSamplesReceived"),
        page_audio_level_max: level_max,
        booth_audio_buffers_per_s: delta(&b0, &b1, "/quality/recv_audio_buffers_total"),
        booth_audio_peak_db: peak_max,
        page_packets_lost: num(&p1, "/video_in/packetsLost") - num(&p0, "/video_in/packetsLost"),
        page_nacks: num(&p1, "/video_in/nackCount") - num(&p0, "/video_in/nackCount"),
        page_size: (
            num(&p1, "/video_in/frameWidth"),
            num(&p1, "/video_in/frameHeight"),
        ),
    })
}

/// A 640x360 call at 30 fps both ways (the booth sampling its quality every `stats_ms`),
/// once both sides decode video.
async fn connected_640p(net: &Net, stats_ms: &str) -> anyhow::Result<Call> {
    let call = Call::open(
        net,
        &[
            "--size",
            "640x360",
            "--fps",
            "30",
            "--bitrate",
            "1200",
            "--stats-ms",
            stats_ms,
        ],
        "direction=sendrecv&w=640&h=360&fps=30",
    )
    .await?;
    call.wait_connected(true, true, Duration::from_secs(30))
        .await?;
    Ok(call)
}

async fn call_with_loss(net: &Net, loss_percent: Option<u32>) -> anyhow::Result<Held> {
    let call = connected_640p(net, "1000").await?;
    if let Some(percent) = loss_percent {
        net.pair.add_loss(percent)?;
    }
    let held = hold(&call).await;
    net.pair.clear_loss();
    let held = held?;
    // Hang-up from the booth reaches the page.
    call.peer.send_line(r#"{"control":"hangup"}"#).await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = call.page_state().await?;
        if state.get("state").and_then(Value::as_str) == Some("ended") {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "page did not see the hangup: {state}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let errors = call
        .page_state()
        .await?
        .get("errors")
        .cloned()
        .unwrap_or_default();
    anyhow::ensure!(
        errors.as_array().is_none_or(Vec::is_empty),
        "page errors: {errors}"
    );
    call.close().await?;
    println!(
        "held {HOLD:?}: page {:.1} fps at {}x{}, booth {:.1} fps; audio page {:.0} samples/s (level max {:.2}), \
         booth {:.1} buffers/s (peak {:.1} dB); page video lost {} packets, {} NACKs",
        held.page_fps,
        held.page_size.0,
        held.page_size.1,
        held.booth_fps,
        held.page_audio_samples_per_s,
        held.page_audio_level_max,
        held.booth_audio_buffers_per_s,
        held.booth_audio_peak_db,
        held.page_packets_lost,
        held.page_nacks
    );
    Ok(held)
}

fn assert_media_flows(held: &Held, min_fps: f64) {
    assert!(
        held.page_fps > min_fps,
        "Chromium decoded {:.1} fps",
        held.page_fps
    );
    assert!(
        held.booth_fps > min_fps,
        "booth decoded {:.1} fps",
        held.booth_fps
    );
    assert_eq!(
        held.page_size,
        (640.0, 360.0),
        "booth sends its capture size"
    );
    assert!(
        held.page_audio_samples_per_s > 40_000.0,
        "page audio {:.0}/s",
        held.page_audio_samples_per_s
    );
    assert!(
        held.page_audio_level_max > 0.01,
        "page hears the booth's tone: {}",
        held.page_audio_level_max
    );
    assert!(
        held.booth_audio_buffers_per_s > 30.0,
        "booth audio {:.1}/s",
        held.booth_audio_buffers_per_s
    );
    assert!(
        held.booth_audio_peak_db > -60.0,
        "booth hears Chromium's beep: {} dB",
        held.booth_audio_peak_db
    );
}

#[test]
fn booth_and_chromium_exchange_video_and_audio_for_ten_seconds() {
    run_in_booth_net(
        "chromium::booth_and_chromium_exchange_video_and_audio_for_ten_seconds",
        |net| async move {
            let held = call_with_loss(&net, None).await?;
            // Decoding every second for 10 s is the requirement here; the rate depends on what else
            // the 2 cores run (CI runs other tests alongside), so the bar is lower than with loss.
            assert_media_flows(&held, 15.0);
            Ok(())
        },
    );
}

#[test]
fn with_two_percent_loss_the_call_holds_above_twenty_fps() {
    run_in_booth_net(
        "chromium::with_two_percent_loss_the_call_holds_above_twenty_fps",
        |net| async move {
            let held = call_with_loss(&net, Some(2)).await?;
            assert_media_flows(&held, 20.0);
            assert!(
                held.page_packets_lost + held.page_nacks > 0.0,
                "no loss was injected"
            );
            Ok(())
        },
    );
}

/// Frames decoded on each side (page, booth) now.
async fn decoded(call: &Call) -> anyhow::Result<(f64, f64)> {
    let page = num(&call.page_stats().await?, "/video_in/framesDecoded");
    let booth = call
        .peer
        .last_quality()
        .map_or(0.0, |q| num(&q, "/quality/recv_frames_total"));
    Ok((page, booth))
}

/// Waits (bounded by `within`) until both sides decode at least `frames` more frames than
/// `from`; returns how long it took.
async fn frames_resume(
    call: &Call,
    from: (f64, f64),
    frames: f64,
    within: Duration,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    loop {
        let now = decoded(call).await?;
        if now.0 >= from.0 + frames && now.1 >= from.1 + frames {
            return Ok(start.elapsed());
        }
        anyhow::ensure!(
            start.elapsed() < within,
            "media did not resume within {within:?}: page {} → {}, booth {} → {}; page {}",
            from.0,
            now.0,
            from.1,
            now.1,
            call.page_state().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[test]
fn the_call_recovers_from_a_five_second_path_cut() {
    run_in_booth_net(
        "chromium::the_call_recovers_from_a_five_second_path_cut",
        |net| async move {
            let pair = &net.pair;
            let call = connected_640p(&net, "500").await?;
            let flowing = decoded(&call).await?;
            frames_resume(&call, flowing, 30.0, Duration::from_secs(10)).await?;

            // Every packet between the two sides dropped for 5 s, media and signalling alike.
            pair.cut(support::browser::DRIVER_PORT)?;
            tokio::time::sleep(Duration::from_secs(4)).await;
            let during = decoded(&call).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let still = decoded(&call).await?;
            pair.restore();
            anyhow::ensure!(
                still.0 - during.0 < 5.0,
                "the cut did not stop the media: page decoded {} frames in a second of cut",
                still.0 - during.0
            );
            // Chromium's ICE may not even call 5 s "disconnected" (its pings on a stable pair are
            // 2.5 s apart, five unanswered before it gives up on the pair): printed, not required.
            let ice = call
                .page_state()
                .await?
                .get("ice")
                .cloned()
                .unwrap_or_default();

            // Back: both sides decode again, a second's worth of frames, without a new call.
            let took = frames_resume(&call, still, 30.0, Duration::from_secs(20)).await?;
            let state = call.page_state().await?;
            anyhow::ensure!(
                state.get("state").and_then(Value::as_str) == Some("connected"),
                "page state after the cut: {state}"
            );
            println!("media resumed {took:?} after a 5 s path cut (ICE states {ice})");
            call.close().await
        },
    );
}

// ---------------------------------------------------------------------------------------------
// `cargo xtask bench media` (DESIGN §9): run with --ignored; writes TELECONSULT_BENCH_OUT.

const WARM_UP: Duration = Duration::from_secs(4);
/// Alternating booth / Chromium CPU windows in the benchmark: one 10-s window on a shared
/// 2-core machine varies by ±20 %.
const CPU_ROUNDS: usize = 3;

const WINDOW: Duration = Duration::from_secs(10);

fn clock_ticks_per_s() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// One sender's window: its CPU (% of one core), the frames per second the page counted, the
/// page's stats at the end, and (when asked) latency samples taken right after.
struct Sending {
    cpu: f64,
    fps: f64,
    page: Value,
    latencies: Vec<f64>,
}

/// The booth sends 720p30 (its fake camera playing `clip`, or its pattern); Chromium receives.
async fn booth_sends(
    net: &Net,
    codec: &str,
    clip: Option<&std::path::Path>,
    latency: bool,
) -> anyhow::Result<Sending> {
    let call = Call::open_with_clip(net, &support::booth_720p(codec), PAGE_RECEIVES, clip).await?;
    call.wait_connected(true, false, Duration::from_secs(30))
        .await?;
    tokio::time::sleep(WARM_UP).await;
    let pid = call.peer.pid;
    let (cpu, page, fps) = cpu_over_window(&call, || vec![pid], "/video_in/framesDecoded").await?;
    let latencies = if latency {
        latency_window(&call).await?.0
    } else {
        Vec::new()
    };
    call.close().await?;
    Ok(Sending {
        cpu,
        fps,
        page,
        latencies,
    })
}

/// Chromium sends 720p30 (its fake camera playing `clip`, or its pattern); the booth receives.
async fn chromium_sends(net: &Net, clip: Option<&std::path::Path>) -> anyhow::Result<Sending> {
    let call = Call::open_with_clip(
        net,
        &["--size", "1280x720", "--fps", "30"],
        "direction=sendonly&w=1280&h=720&fps=30",
        clip,
    )
    .await?;
    call.wait_connected(false, true, Duration::from_secs(30))
        .await?;
    tokio::time::sleep(WARM_UP).await;
    let driver = call.browser.driver_pid;
    let (cpu, page, fps) = cpu_over_window(
        &call,
        || support::browser::descendants(driver),
        "/video_out/framesEncoded",
    )
    .await?;
    call.close().await?;
    Ok(Sending {
        cpu,
        fps,
        page,
        latencies: Vec::new(),
    })
}

/// % of one core used by `pids` over `WINDOW`, the page stats at its end, and the frames per
/// second the page counted at `frames` (a JSON pointer into its stats) over the window.
async fn cpu_over_window(
    call: &Call,
    pids: impl Fn() -> Vec<u32>,
    frames: &str,
) -> anyhow::Result<(f64, Value, f64)> {
    let frames_before = num(&call.page_stats().await?, frames);
    let before = support::cpu_ticks(&pids());
    let start = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let after = support::cpu_ticks(&pids());
    let secs = start.elapsed().as_secs_f64();
    let pct = after.saturating_sub(before) as f64 / clock_ticks_per_s() / secs * 100.0;
    let page = call.page_stats().await?;
    let fps = (num(&page, frames) - frames_before) / secs;
    Ok((pct, page, fps))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Latency samples (ms) the page read from stamped frames during `WINDOW`, and fps received.
async fn latency_window(call: &Call) -> anyhow::Result<(Vec<f64>, f64)> {
    let frames0 = num(&call.page_stats().await?, "/video_in/framesDecoded");
    call.browser
        .eval("window.tc.latencies = []; return true;")
        .await?;
    let start = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let samples: Vec<f64> = call
        .browser
        .eval("return window.tc.latencies;")
        .await?
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let frames1 = num(&call.page_stats().await?, "/video_in/framesDecoded");
    anyhow::ensure!(
        samples.len() > 20,
        "too few stamped frames read back: {}",
        samples.len()
    );
    Ok((samples, (frames1 - frames0) / start.elapsed().as_secs_f64()))
}

/// The booth's codec in the benchmark: `TELECONSULT_BENCH_CODEC` (h264 by default: VP8 720p30
/// in software does not keep up on a 2-core box).
fn bench_codec() -> String {
    std::env::var("TELECONSULT_BENCH_CODEC").unwrap_or_else(|_| "h264".into())
}

const PAGE_RECEIVES: &str = "direction=recvonly&stamp=1";
const PAGE_VIDEO_ONLY: &str = "direction=recvonly&stamp=1&audio=0";

#[test]
#[ignore = "benchmark: cargo xtask bench media"]
fn bench_media() {
    run_in_booth_net("chromium::bench_media", |net| async move {
        let codec = bench_codec();
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let mut metrics = serde_json::Map::new();
        let mut put = |k: &str, v: f64| {
            println!("  {k:<28} {v:>8.2}");
            metrics.insert(k.to_owned(), serde_json::json!((v * 100.0).round() / 100.0));
        };

        // 1–2. The same clip from both cameras, so both senders encode the same pictures and
        // neither draws them: the booth sends it (Chromium only receives), then Chromium sends
        // it (the booth only receives), CPU_ROUNDS times in turn; medians of each.
        let clip_dir = tempfile::tempdir()?;
        let clip = support::clip_720p(clip_dir.path())?;
        let (mut booth_cpu, mut chromium_cpu) = (Vec::new(), Vec::new());
        let (mut booth_fps, mut chromium_fps) = (Vec::new(), Vec::new());
        let (mut with_audio, mut received, mut chromium_sent) =
            (Vec::new(), String::new(), String::new());
        for round in 0..CPU_ROUNDS {
            let booth = booth_sends(&net, &codec, Some(&clip), round == 0).await?;
            if round == 0 {
                with_audio = booth.latencies;
                received = format!(
                    "{}x{}",
                    num(&booth.page, "/video_in/frameWidth"),
                    num(&booth.page, "/video_in/frameHeight")
                );
            }
            let chromium = chromium_sends(&net, Some(&clip)).await?;
            chromium_sent = format!(
                "{}x{}, quality limitation {}",
                num(&chromium.page, "/video_out/frameWidth"),
                num(&chromium.page, "/video_out/frameHeight"),
                chromium
                    .page
                    .pointer("/video_out/qualityLimitationReason")
                    .unwrap_or(&Value::Null)
            );
            println!(
                "  round {}: booth {:.1} % at {:.1} fps, Chromium {:.1} % at {:.1} fps",
                round + 1,
                booth.cpu,
                booth.fps,
                chromium.cpu,
                chromium.fps
            );
            booth_cpu.push(booth.cpu);
            booth_fps.push(booth.fps);
            chromium_cpu.push(chromium.cpu);
            chromium_fps.push(chromium.fps);
        }
        // Once more with each fake camera drawing its own pattern (the booth's moving SMPTE
        // bars, Chromium's animation): Chromium draws more cheaply than it reads a clip.
        let own_booth = booth_sends(&net, &codec, None, false).await?;
        let own_chromium = chromium_sends(&net, None).await?;
        let tenths = |values: &[f64]| {
            values
                .iter()
                .map(|v| (v * 10.0).round() / 10.0)
                .collect::<Vec<_>>()
        };
        let rounds = format!(
            "booth {:?}, Chromium {:?}",
            tenths(&booth_cpu),
            tenths(&chromium_cpu)
        );
        let (sender_cpu, chromium_cpu) = (median(booth_cpu), median(chromium_cpu));
        let (sender_fps, chromium_fps) = (median(booth_fps), median(chromium_fps));

        // 3. Video alone (no lip-sync wait on audio): clean, then through 50 ms delay + 2 % loss.
        let call = Call::open(&net, &support::booth_720p(&codec), PAGE_VIDEO_ONLY).await?;
        call.wait_connected(true, false, Duration::from_secs(30))
            .await?;
        tokio::time::sleep(WARM_UP).await;
        let (clean, fps_clean) = latency_window(&call).await?;
        let pair = &net.pair;
        let delay = Delay::start(50).await?;
        pair.add_loss(2)?;
        tokio::time::sleep(WARM_UP).await;
        let impaired = latency_window(&call).await;
        pair.clear_loss();
        drop(delay);
        let (impaired, fps_impaired) = impaired?;
        call.close().await?;

        put("sender_cpu_pct", sender_cpu);
        put("chromium_cpu_pct", chromium_cpu);
        put("sender_cpu_ratio", sender_cpu / chromium_cpu);
        put("sender_fps", sender_fps);
        put("chromium_fps", chromium_fps);
        put("sender_cpu_pct_own_pattern", own_booth.cpu);
        put("chromium_cpu_pct_own_pattern", own_chromium.cpu);
        put(
            "sender_cpu_ratio_own_patterns",
            own_booth.cpu / own_chromium.cpu,
        );
        put("chromium_fps_own_pattern", own_chromium.fps);
        put("latency_p50_ms_clean", median(clean.clone()));
        put("latency_p50_ms_impaired", median(impaired.clone()));
        put("received_fps_loss2", fps_impaired);
        put("received_fps_clean", fps_clean);
        put(
            "latency_p50_ms_clean_with_audio",
            median(with_audio.clone()),
        );
        let notes = format!(
            "one run, 2 namespaces + veth, load average at start {}; CPU = % of one core over {}s, median of {CPU_ROUNDS} \
             alternating rounds ({rounds}): booth peer process ({codec} {received} sent) vs Chromium's whole process \
             tree sending ({chromium_sent}), each while the other side only receives, both fake cameras playing the \
             same 1280x720 30 fps clip (2 s of moving SMPTE bars, Y4M, looped); *_own_pattern: one more window each with the \
             fake cameras drawing their own patterns instead; the booth composites no screen here. Latency = capture \
             stamp drawn before the encoder, read back in Chromium per presented frame (requestVideoFrameCallback), \
             median of {} clean / {} impaired samples, video received alone (latency_p50_ms_clean_with_audio: \
             audio received too, so Chromium's lip sync holds video for the audio jitter buffer); impaired = 50 ms NFQUEUE delay on the booth's output + \
             2 % nftables loss on both inputs; received_fps_loss2 measured there.",
            load.split_whitespace().next().unwrap_or("?"),
            WINDOW.as_secs(),
            clean.len(),
            impaired.len()
        );
        let report = serde_json::json!({ "name": "media", "metrics": metrics, "notes": notes });
        if let Ok(path) = std::env::var("TELECONSULT_BENCH_OUT") {
            std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        }
        println!("{notes}");
        Ok(())
    });
}
