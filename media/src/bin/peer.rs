//! `teleconsult-media-peer`: one booth session whose signalling is JSON lines on stdin/stdout,
//! so a test or benchmark can put it in a network namespace of its own and relay its frames to
//! a browser. It is what the daemon's WebSocket handler will do, minus the socket.
//!
//! stdin: one signalling frame per line (DESIGN §4b); a `join` makes the booth call (offer);
//! control lines `{"control":"call"|"unplug_camera"|"replug_camera"|"hangup"}`.
//! stdout: `{"signal":frame}`, `{"event":event}`, `{"quality":…,"status":…,"glib":…}` every
//! `--stats-ms`, `{"error":…}`, and `{"glib":{"count":n,"first":[…]}}` as it exits: the GLib
//! criticals counted in the process ([`teleconsult_media::glib_log`]), which the media tests
//! require to be none.

use anyhow::{Context, bail};
use std::time::Duration;
use teleconsult_media::signal::{self, SignalMessage};
use teleconsult_media::{
    AudioOutput, BoothSession, DisplaySink, MediaSettings, SourceChoice, VideoCodec, fake_devices,
    glib_log,
};
use tokio::io::AsyncBufReadExt;

struct Options {
    settings: MediaSettings,
    fake_devices: bool,
    /// `--camera-clip`: the fake camera plays this Y4M clip (with `--fake-devices`).
    camera_clip: Option<std::path::PathBuf>,
    stats_every: Duration,
}

fn parse_args() -> anyhow::Result<Options> {
    let mut settings = MediaSettings {
        display: DisplaySink::Fake,
        audio_output: AudioOutput::Fake,
        ..MediaSettings::default()
    };
    let mut fake = false;
    let mut clip = None;
    let mut stats_ms = 1000u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--video-source" => settings.video_source = SourceChoice::parse(&value()?),
            "--audio-source" => settings.audio_source = SourceChoice::parse(&value()?),
            "--codec" => {
                let v = value()?;
                settings.video_codec =
                    VideoCodec::parse(&v).with_context(|| format!("codec {v}"))?;
            }
            "--size" => {
                let v = value()?;
                let (w, h) = v.split_once('x').context("--size WxH")?;
                settings.capture.width = w.parse()?;
                settings.capture.height = h.parse()?;
                settings.display_size = (settings.capture.width, settings.capture.height);
            }
            "--fps" => settings.capture.fps = value()?.parse()?,
            "--bitrate" => settings.max_bitrate_kbps = value()?.parse()?,
            "--min-bitrate" => settings.min_bitrate_kbps = value()?.parse()?,
            "--no-congestion-control" => settings.congestion_control = false,
            "--degradation" => {
                let v = value()?;
                settings.degradation = match v.as_str() {
                    "none" => None,
                    v => Some(teleconsult_media::Degradation::parse(v).with_context(|| {
                        format!(
                            "--degradation {v}: maintain_framerate, maintain_resolution or none"
                        )
                    })?),
                };
            }
            "--display" => {
                settings.display = match value()?.as_str() {
                    "fake" => DisplaySink::Fake,
                    "ximage" => DisplaySink::Ximage,
                    "auto" => DisplaySink::Auto,
                    "none" => DisplaySink::None,
                    other => DisplaySink::Element(other.to_owned()),
                }
            }
            "--audio-out" => {
                settings.audio_output = match value()?.as_str() {
                    "auto" => AudioOutput::Auto,
                    _ => AudioOutput::Fake,
                }
            }
            "--stun" => settings.stun_servers.push(value()?),
            "--fake-devices" => fake = true,
            "--camera-clip" => clip = Some(std::path::PathBuf::from(value()?)),
            "--loopback" => settings.loopback_only = true,
            "--stamp" => settings.stamp_capture_time = true,
            "--stats-ms" => stats_ms = value()?.parse()?,
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(Options {
        settings,
        fake_devices: fake,
        camera_clip: clip,
        stats_every: Duration::from_millis(stats_ms.max(100)),
    })
}

fn emit(key: &str, value: impl serde::Serialize) {
    let line = serde_json::json!({ key: value });
    println!("{line}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let options = parse_args()?;
    if options.fake_devices {
        fake_devices::register()?;
        fake_devices::set_camera_clip(options.camera_clip.as_deref())?;
    } else if options.camera_clip.is_some() {
        bail!("--camera-clip plays through the fake camera: add --fake-devices");
    }
    let (session, mut channels) = BoothSession::start(options.settings).await?;
    tokio::spawn(async move {
        while let Some(frame) = channels.outgoing.recv().await {
            emit("signal", frame);
        }
    });
    let mut ended = false;
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut ticker = tokio::time::interval(options.stats_every);
    loop {
        tokio::select! {
            line = stdin.next_line() => {
                let Some(line) = line? else { break };
                if let Err(e) = on_line(&session, &line).await {
                    emit("error", e.to_string());
                }
            }
            Some(event) = channels.events.recv() => {
                ended |= matches!(event, teleconsult_media::MediaEvent::Ended { .. });
                emit("event", event);
                if ended {
                    break;
                }
            }
            _ = ticker.tick() => {
                let quality = session.quality().await?;
                println!(
                    "{}",
                    serde_json::json!({
                        "quality": quality,
                        "status": session.status(),
                        "glib": glib_log::criticals(),
                    })
                );
            }
        }
    }
    if !ended {
        session.hangup().await?;
    }
    // After the pipeline is down: what its teardown reported counts too.
    emit("glib", glib_log::criticals());
    // tokio's stdin is a blocking read on a thread the runtime's shutdown waits for, until
    // whoever drives the peer closes its end: the session is down, so leave now.
    std::process::exit(0)
}

async fn on_line(session: &BoothSession, line: &str) -> anyhow::Result<()> {
    let value: serde_json::Value = serde_json::from_str(line).context("not JSON")?;
    if let Some(control) = value.get("control").and_then(serde_json::Value::as_str) {
        match control {
            "call" => session.call().await?,
            "unplug_camera" => fake_devices::unplug_camera(),
            "replug_camera" => fake_devices::replug_camera(),
            "hangup" => session.hangup().await?,
            other => bail!("unknown control {other:?}"),
        }
        return Ok(());
    }
    match signal::parse(line) {
        Ok(SignalMessage::Join { .. }) => session.call().await?,
        Ok(frame) => {
            if let Err(e) = session.handle(frame).await {
                emit("signal", SignalMessage::error("media", e.to_string()));
            }
        }
        Err(e) => emit("signal", e.to_frame()),
    }
    Ok(())
}
