//! What the packaging test drives: cargo-deb, debootstrap, a booted `systemd-nspawn` container
//! entered with `nsenter`, and every external command bounded in time.

use anyhow::{Context, bail, ensure};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use teleconsult_tests::daemon::workspace_root;

use super::{BASE_RECIPE, LONG, SHORT};

pub fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    })
}

/// Cargo's target folder (`CARGO_TARGET_DIR` or `target/`), where cargo-deb finds the binaries.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// `cargo deb` on the debug binaries; returns the package file.
pub fn build_deb(out_dir: &Path, revision: u32) -> anyhow::Result<PathBuf> {
    let root = workspace_root();
    for bin in ["teleconsultd", "teleconsultctl"] {
        let path = target_dir().join("debug").join(bin);
        ensure!(
            path.exists(),
            "{} is missing: run the suite with `cargo xtask test`",
            path.display()
        );
    }
    std::fs::create_dir_all(out_dir)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = run_ok(
        Command::new(cargo)
            .current_dir(&root)
            .args([
                "deb",
                "-q",
                "-p",
                "teleconsultd",
                "--no-build",
                "--profile",
                "dev",
            ])
            .args(["--strip", "--fast", "--deb-revision", &revision.to_string()])
            .arg("--output")
            .arg(out_dir),
        LONG,
    )
    .context("cargo deb (cargo xtask test installs cargo-deb)")?;
    let path = built
        .stdout
        .lines()
        .rev()
        .find(|l| l.trim_end().ends_with(".deb"))
        .map(|l| PathBuf::from(l.trim()))
        .with_context(|| format!("cargo deb printed no .deb path:\n{}", built.stdout))?;
    ensure!(path.exists(), "{} does not exist", path.display());
    Ok(path)
}

/// The "Overall exposure level" number of `systemd-analyze security`.
pub fn exposure(report: &str) -> Option<f64> {
    let line = report
        .lines()
        .find(|l| l.contains("Overall exposure level"))?;
    line.split(':')
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The debootstrapped base root, made once and kept in `target/packaging`.
pub fn base_root(work_root: &Path) -> anyhow::Result<PathBuf> {
    let base = work_root.join("bookworm-base");
    let stamp = work_root.join("bookworm-base.recipe");
    if base.is_dir() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == BASE_RECIPE) {
        return Ok(base);
    }
    let _ = std::fs::remove_file(&stamp);
    let staging = work_root.join("bookworm-base.tmp");
    for dir in [&base, &staging] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
    }
    let mirror = debian_mirror()?;
    println!("  debootstrap from {mirror}");
    let made = run_ok(
        Command::new("debootstrap")
            .args([
                "--variant=minbase",
                "--include=systemd,systemd-sysv,dbus,curl,ca-certificates",
                "bookworm",
            ])
            .arg(&staging)
            .arg(&mirror),
        LONG,
    );
    if let Err(e) = made {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e.context("debootstrap of the base root failed"));
    }
    std::fs::rename(&staging, &base)?;
    std::fs::write(&stamp, BASE_RECIPE)?;
    Ok(base)
}

/// The Debian mirror this machine's apt uses (no address is written in the project):
/// `TELECONSULT_DEBIAN_MIRROR`, else the first `bookworm` source of apt's configuration.
pub fn debian_mirror() -> anyhow::Result<String> {
    if let Ok(mirror) = std::env::var("TELECONSULT_DEBIAN_MIRROR") {
        return Ok(mirror);
    }
    let mut files: Vec<PathBuf> = vec!["/etc/apt/sources.list".into()];
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if file.extension().is_some_and(|e| e == "sources") {
            // deb822 stanzas: `URIs:` with `Suites:` naming bookworm itself.
            for stanza in text.split("\n\n") {
                let field = |name: &str| {
                    stanza
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(str::trim)
                };
                let suites = field("Suites:").unwrap_or_default();
                let types = field("Types:").unwrap_or_default();
                if types.split_whitespace().any(|t| t == "deb")
                    && suites.split_whitespace().any(|s| s == "bookworm")
                    && let Some(uri) = field("URIs:").and_then(|u| u.split_whitespace().next())
                {
                    return Ok(uri.to_owned());
                }
            }
        } else if file.file_name().is_some_and(|n| n == "sources.list") {
            for line in text.lines() {
                let words: Vec<&str> = line
                    .split_whitespace()
                    .filter(|w| !w.starts_with('['))
                    .collect();
                if words.first() == Some(&"deb") && words.get(2) == Some(&"bookworm") {
                    return Ok(words[1].to_owned());
                }
            }
        }
    }
    bail!("no bookworm source in apt's configuration: set TELECONSULT_DEBIAN_MIRROR")
}

/// The run's folder under `target/packaging`, deleted at the end (the container first).
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    /// `<parent>/run-<pid>`; removes what runs of dead processes left behind.
    pub fn new(parent: &Path) -> anyhow::Result<Self> {
        for entry in std::fs::read_dir(parent)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix("run-")
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let path = parent.join(format!("run-{}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir_all(&path)?;
        Ok(Self { path })
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if std::env::var_os("TELECONSULT_KEEP_PACKAGING_ROOT").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A booted `systemd-nspawn` container, with a private network, reached through `nsenter`.
pub struct Container {
    nspawn: Child,
    leader: i32,
    log: PathBuf,
}

impl Container {
    pub fn boot(root: &Path, log: &Path) -> anyhow::Result<Self> {
        let out = std::fs::File::create(log)?;
        let name = format!("tcpkg{}", std::process::id());
        // setpriv: if this test process dies (a timeout's SIGKILL), nspawn gets SIGTERM and
        // powers the container off instead of leaving it running.
        let nspawn = Command::new("setpriv")
            .args(["--pdeathsig", "TERM", "--", "systemd-nspawn"])
            .args(["-q", "--boot", "--register=no", "--keep-unit"])
            .args(["--console=passive", "--private-network"])
            .arg(format!("--machine={name}"))
            .arg("-D")
            .arg(root)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("cannot start systemd-nspawn")?;
        let parent = i32::try_from(nspawn.id())?;
        let mut container = Self {
            nspawn,
            leader: 0,
            log: log.to_owned(),
        };
        let deadline = Instant::now() + SHORT;
        while container.leader == 0 {
            if let Some(status) = container.nspawn.try_wait()? {
                bail!("systemd-nspawn exited ({status}):\n{}", container.log());
            }
            ensure!(
                Instant::now() < deadline,
                "no container init process appeared"
            );
            container.leader = child_of(parent).unwrap_or(0);
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(container)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs a command inside the container's namespaces.
    pub fn exec(&self, args: &[&str]) -> anyhow::Result<Outcome> {
        run_bounded(
            Command::new("nsenter")
                .args(["-t", &self.leader.to_string(), "-a", "--"])
                .args(args),
            LONG,
        )
    }

    /// A shell command inside, which must succeed; returns its stdout.
    pub fn sh(&self, script: impl AsRef<str>) -> anyhow::Result<String> {
        let script = script.as_ref();
        let out = self.exec(&["/bin/sh", "-c", script])?;
        ensure!(
            out.status.success(),
            "`{script}` in the container: {}\nstdout: {}\nstderr: {}",
            out.status,
            out.stdout,
            out.stderr
        );
        Ok(out.stdout)
    }

    pub fn ctl_json(&self, args: &[&str]) -> anyhow::Result<Value> {
        let mut all = vec!["teleconsultctl", "--json"];
        all.extend_from_slice(args);
        let out = self.exec(&all)?;
        ensure!(out.status.success(), "{all:?}: {out:?}");
        serde_json::from_str(&out.stdout).with_context(|| format!("{all:?}: {}", out.stdout))
    }

    pub fn wait_booted(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let state = self.exec(&["systemctl", "is-system-running"])?;
            match state.stdout.trim() {
                "running" | "degraded" => return Ok(()),
                other => ensure!(
                    Instant::now() < deadline,
                    "the container did not boot (state {other:?}):\n{}",
                    self.log()
                ),
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn main_pid(&self) -> anyhow::Result<u32> {
        let pid = self.sh("systemctl show -p MainPID --value teleconsultd")?;
        pid.trim().parse().context("MainPID")
    }

    /// Waits until the service is active with a main process other than `old` (a restart)
    /// and `/healthz` answers.
    pub fn wait_service_up(&self, old: Option<u32>) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let active = self.exec(&["systemctl", "is-active", "teleconsultd"])?;
            let pid = self.main_pid().unwrap_or(0);
            if active.stdout.trim() == "active" && pid != 0 && Some(pid) != old {
                let health = self.exec(&[
                    "curl",
                    "-ksS",
                    "--max-time",
                    "5",
                    "https://127.0.0.1:8443/healthz",
                ])?;
                if health.stdout.contains("\"status\":\"ok\"") {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                let journal = self
                    .exec(&["journalctl", "-u", "teleconsultd", "--no-pager", "-n", "40"])
                    .map(|o| o.stdout)
                    .unwrap_or_default();
                bail!(
                    "teleconsultd not up (active: {}, pid {pid}, previous {old:?}); journal:\n{journal}",
                    active.stdout.trim()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Registers test patient `n` through the API inside the container; returns its id.
    pub fn register(&self, n: u16) -> anyhow::Result<String> {
        let form = crate::ctl::patient_form(n).to_string();
        let out = self.exec(&[
            "curl",
            "-ksS",
            "--max-time",
            "30",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &form,
            "https://127.0.0.1:8443/api/v1/patients",
        ])?;
        let body: Value = serde_json::from_str(&out.stdout)
            .with_context(|| format!("registration answer: {out:?}"))?;
        body["id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("registration failed: {body}"))
    }

    pub fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    /// SIGTERM to nspawn powers the container off; SIGKILL if it takes too long.
    fn shutdown(&mut self) -> anyhow::Result<()> {
        if self.nspawn.try_wait()?.is_some() {
            return Ok(());
        }
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.nspawn.id())?);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.nspawn.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.nspawn.kill()?;
        self.nspawn.wait()?;
        bail!("the container did not power off within 30 s (killed)")
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// The first process whose parent is `parent` (the container's init, for nspawn).
pub fn child_of(parent: i32) -> Option<i32> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<i32>().ok());
        if ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a command to completion, killing it after `limit`.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> anyhow::Result<Outcome> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {shown}"))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{shown} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok(Outcome {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// [`run_bounded`], failing on a non-zero exit.
pub fn run_ok(cmd: &mut Command, limit: Duration) -> anyhow::Result<Outcome> {
    let shown = format!("{cmd:?}");
    let out = run_bounded(cmd, limit)?;
    ensure!(
        out.status.success(),
        "{shown}: {}\nstdout: {}\nstderr: {}",
        out.status,
        tail(&out.stdout),
        tail(&out.stderr)
    );
    Ok(out)
}

pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
