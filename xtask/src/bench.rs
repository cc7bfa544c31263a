//! `cargo xtask bench <name>`: measurements written to `target/bench/<name>.json` as
//! `{"name", "metrics": {...}, "notes"}` (DESIGN §9) and printed as a table.

#[path = "bench_booking.rs"]
mod bench_booking;
#[path = "bench_booth.rs"]
mod bench_booth;
#[path = "bench_media.rs"]
mod bench_media;

use anyhow::{Context, bail};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bench(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("startup") => startup(),
        Some("booking") => bench_booking::booking(&args[1..]),
        Some("sync") => crate::bench_sync::sync(),
        Some("media") => bench_media::media(),
        Some("booth") => bench_booth::booth(&args[1..]),
        Some(other) => {
            bail!("unknown benchmark {other:?}; available: startup, booking, sync, media, booth")
        }
        None => bail!(
            "usage: cargo xtask bench <name>; available: startup, booking, sync, media, booth"
        ),
    }
}

const RUNS: usize = 7;

/// Time from process start to `READY=1` (first start on an empty folder, and restarts on an
/// existing store), and resident memory once idle, for the release build in demo mode.
fn startup() -> anyhow::Result<()> {
    let binary = release_daemon()?;
    let work = crate::root().join("target/bench/startup-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;

    let mut first = Vec::new();
    let mut warm = Vec::new();
    let mut rss = Vec::new();
    for run in 0..RUNS {
        let dir = work.join(format!("run-{run}"));
        std::fs::create_dir_all(&dir)?;
        // First start: creates the key, the certificate and the store.
        let (child, ms) = start(&binary, &dir)?;
        first.push(ms);
        stop(child)?;
        // Restart on the existing store: the everyday case.
        let (child, ms) = start(&binary, &dir)?;
        warm.push(ms);
        std::thread::sleep(Duration::from_secs(2));
        rss.push(rss_mb(child.id())?);
        stop(child)?;
        println!(
            "run {}: first start {:.1} ms, restart {:.1} ms, idle RSS {:.1} MB",
            run + 1,
            first[run],
            warm[run],
            rss[run]
        );
    }
    let _ = std::fs::remove_dir_all(&work);
    let metrics = [
        ("ready_ms", median(&mut warm)),
        ("ready_ms_first_start", median(&mut first)),
        ("idle_rss_mb", median(&mut rss)),
    ];
    let notes = format!(
        "median of {RUNS} runs, release build, --demo on loopback; ready_ms = process start to READY=1 on an \
         existing store; ready_ms_first_start includes creating the storage key, TLS certificate and store; \
         idle_rss_mb = VmRSS 2 s after READY"
    );
    crate::bench_report("startup", &metrics, &notes)
}

/// Builds the release daemon (as packaged) and returns its path.
pub(crate) fn release_daemon() -> anyhow::Result<std::path::PathBuf> {
    crate::step(
        "building teleconsultd (release)",
        crate::cargo().args([
            "build",
            "--release",
            "--locked",
            "--package",
            "teleconsultd",
            "--bin",
            "teleconsultd",
        ]),
    )?;
    Ok(crate::root().join("target/release/teleconsultd"))
}

fn start(binary: &Path, dir: &Path) -> anyhow::Result<(Child, f64)> {
    let socket_path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&socket_path);
    let socket = UnixDatagram::bind(&socket_path)?;
    socket.set_read_timeout(Some(Duration::from_secs(30)))?;
    let log = std::fs::File::create(dir.join("daemon.log"))?;
    let started = Instant::now();
    let child = Command::new(binary)
        .current_dir(dir)
        .arg("--demo")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("TELECONSULT__HTTP__LISTEN", "127.0.0.1:0")
        .env("TELECONSULT__LOG__LEVEL", "warn")
        .env_remove("JOURNAL_STREAM")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start teleconsultd")?;
    let mut buf = [0u8; 4096];
    loop {
        let n = socket
            .recv(&mut buf)
            .context("no READY=1 within 30 s (see daemon.log)")?;
        if String::from_utf8_lossy(&buf[..n])
            .lines()
            .any(|l| l == "READY=1")
        {
            return Ok((child, started.elapsed().as_secs_f64() * 1000.0));
        }
    }
}

fn stop(mut child: Child) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    if !status.success() {
        bail!("kill -TERM failed");
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("teleconsultd exited with {status} after SIGTERM");
    }
    Ok(())
}

fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .context("no VmRSS")?
        .parse()?;
    Ok(kb / 1024.0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
