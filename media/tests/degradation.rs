//! The degradation order (issue #22 item 2) with the real pipeline over a shaped path the test
//! owns (two namespaces, the booth's uplink capped with `tc` `tbf`, see `congestion.rs`): when
//! the line is too slow for the camera's full picture, headless Chromium receives a smaller
//! picture at the full frame rate (`maintain_framerate`, a conversation) or the full picture at
//! fewer frames (`maintain_resolution`, dermatology), and the full picture comes back when the
//! line clears.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::{Call, num, run_in_booth_net};

const QUEUE_MS: u32 = 100;
/// A pharmacy's slow line: too slow for 720p (the 540p rung needs 550 kbit/s of video).
const SLOW_KBPS: u32 = 400;
const FAST_KBPS: u32 = 2000;

fn booth_args<'a>(codec: &'a str, degradation: &'a str) -> Vec<&'a str> {
    vec![
        "--size",
        "1280x720",
        "--fps",
        "30",
        "--bitrate",
        "2500",
        "--codec",
        codec,
        "--degradation",
        degradation,
        "--display",
        "none",
        "--stats-ms",
        "500",
    ]
}

/// The picture Chromium decodes now: (width, height).
async fn received_size(call: &Call) -> anyhow::Result<(f64, f64)> {
    let stats = call.page_stats().await?;
    Ok((
        num(&stats, "/video_in/frameWidth"),
        num(&stats, "/video_in/frameHeight"),
    ))
}

/// Polls (every 500 ms, at most `within`) until Chromium decodes a picture `good` accepts;
/// the sizes seen on the way in the error.
async fn wait_for_size(
    call: &Call,
    within: Duration,
    what: &str,
    good: impl Fn((f64, f64)) -> bool,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut seen = Vec::new();
    loop {
        let size = received_size(call).await?;
        if good(size) {
            return Ok(start.elapsed());
        }
        if seen.last() != Some(&size) {
            seen.push(size);
        }
        anyhow::ensure!(
            start.elapsed() < within,
            "Chromium did not receive {what} within {within:?}: sizes {seen:?}, booth {:?}",
            booth_quality(call)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn booth_quality(call: &Call) -> Option<Value> {
    call.peer
        .last_quality()
        .and_then(|q| q.get("quality").cloned())
}

/// Frames Chromium decodes a second over `over`, and its longest gap between two frames.
async fn decoded_fps(call: &Call, over: Duration) -> anyhow::Result<(f64, f64)> {
    call.browser
        .eval("window.tc.freezes = 0; window.tc.maxGapMs = 0; return true;")
        .await?;
    let p0 = call.page_stats().await?;
    let start = Instant::now();
    tokio::time::sleep(over).await;
    let p1 = call.page_stats().await?;
    let secs = start.elapsed().as_secs_f64();
    let fps = (num(&p1, "/video_in/framesDecoded") - num(&p0, "/video_in/framesDecoded")) / secs;
    let state = call.page_state().await?;
    Ok((fps, num(&state, "/maxGapMs")))
}

#[test]
fn a_conversation_on_a_slow_uplink_gets_a_smaller_picture_at_full_frame_rate_and_the_full_picture_back()
 {
    run_in_booth_net(
        "degradation::a_conversation_on_a_slow_uplink_gets_a_smaller_picture_at_full_frame_rate_and_the_full_picture_back",
        |net| async move {
            net.pair.cap_booth_uplink(FAST_KBPS, QUEUE_MS)?;
            let call = Call::open(
                &net,
                &booth_args("h264", "maintain_framerate"),
                "direction=recvonly",
            )
            .await?;
            call.wait_connected(true, false, Duration::from_secs(30))
                .await?;
            // 2 Mbit/s: the camera's full 720p.
            wait_for_size(
                &call,
                Duration::from_secs(30),
                "720p on 2 Mbit/s",
                |(_, h)| h == 720.0,
            )
            .await?;

            // The line slows to 400 kbit/s: a smaller picture, same aspect ratio, 30 fps kept.
            net.pair.cap_booth_uplink(SLOW_KBPS, QUEUE_MS)?;
            let down = wait_for_size(
                &call,
                Duration::from_secs(20),
                "at most 360p on 400 kbit/s",
                |(w, h)| h > 0.0 && h <= 360.0 && (w / h - 16.0 / 9.0).abs() < 0.02,
            )
            .await?;
            let (fps, max_gap) = decoded_fps(&call, Duration::from_secs(8)).await?;
            let slow_size = received_size(&call).await?;
            // The record is sampled every few seconds: the receiver can see the smaller
            // picture before the booth's next sample does (bounded wait for that sample).
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut quality = booth_quality(&call);
            while Instant::now() < deadline
                && quality
                    .as_ref()
                    .is_none_or(|q| num(q, "/send_height") > 360.0)
            {
                tokio::time::sleep(Duration::from_millis(250)).await;
                quality = booth_quality(&call);
            }
            println!(
                "400 kbit/s: {slow_size:?} after {down:?}, {fps:.1} fps, longest gap {max_gap:.0} ms; booth {quality:?}"
            );
            let quality = quality.unwrap_or_default();
            anyhow::ensure!(
                quality.get("degradation").and_then(Value::as_str) == Some("resolution"),
                "the quality record does not say why: {quality}"
            );
            anyhow::ensure!(
                num(&quality, "/send_height") <= 360.0,
                "the quality record shows {quality}"
            );
            anyhow::ensure!(fps > 24.0, "the frame rate was not kept: {fps:.1} fps");

            // The line clears: the full picture comes back, one rung at a time.
            net.pair.uncap_booth_uplink();
            let up = wait_for_size(
                &call,
                Duration::from_secs(60),
                "720p again once the line clears",
                |(_, h)| h == 720.0,
            )
            .await?;
            let quality = booth_quality(&call).unwrap_or_default();
            println!("uncapped: 720p again after {up:?}; booth {quality}");
            call.close().await?;
            anyhow::ensure!(
                quality.get("degradation").is_none_or(Value::is_null),
                "still degraded at 720p: {quality}"
            );
            Ok(())
        },
    );
}

#[test]
fn a_dermatology_booth_on_a_slow_uplink_keeps_its_resolution_and_sends_fewer_frames() {
    run_in_booth_net(
        "degradation::a_dermatology_booth_on_a_slow_uplink_keeps_its_resolution_and_sends_fewer_frames",
        |net| async move {
            net.pair.cap_booth_uplink(SLOW_KBPS, QUEUE_MS)?;
            let call = Call::open(
                &net,
                &booth_args("h264", "maintain_resolution"),
                "direction=recvonly",
            )
            .await?;
            call.wait_connected(true, false, Duration::from_secs(30))
                .await?;
            // Settle: the booth says it sends fewer frames.
            let start = Instant::now();
            loop {
                let quality = booth_quality(&call).unwrap_or_default();
                if quality.get("degradation").and_then(Value::as_str) == Some("frame_rate") {
                    break;
                }
                anyhow::ensure!(
                    start.elapsed() < Duration::from_secs(20),
                    "the booth did not lower its frame rate: {quality}"
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let (fps, max_gap) = decoded_fps(&call, Duration::from_secs(8)).await?;
            let size = received_size(&call).await?;
            let quality = booth_quality(&call);
            println!(
                "400 kbit/s, maintain_resolution: {size:?}, {fps:.1} fps, longest gap {max_gap:.0} ms; booth {quality:?}"
            );
            call.close().await?;
            net.pair.uncap_booth_uplink();
            anyhow::ensure!(
                size == (1280.0, 720.0),
                "the resolution was not kept: {size:?}"
            );
            anyhow::ensure!(
                (7.0..=17.0).contains(&fps),
                "Chromium decoded {fps:.1} fps (15 or 10 expected)"
            );
            Ok(())
        },
    );
}
