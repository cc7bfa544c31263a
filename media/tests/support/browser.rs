//! Headless Chromium driven through chromedriver (WebDriver, fantoccini). Chromedriver runs in
//! the browser namespace and listens on the browser address; the test
//! talks to it from the booth namespace. Every process it started is killed by pid on drop.

use anyhow::{Context, bail};
use std::time::{Duration, Instant};

pub const DRIVER_PORT: u16 = 9515;

pub struct Browser {
    driver: tokio::process::Child,
    pub driver_pid: u32,
    pub client: fantoccini::Client,
    _profile: tempfile::TempDir,
}

/// Every process below `pid` (children, grandchildren…), from /proc.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten().take(100_000) {
            let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
                continue;
            };
            // Field 4 (ppid) follows the parenthesised command name.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parents.push((p, ppid));
            }
        }
    }
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() && found.len() < 10_000 {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

impl Browser {
    /// `netns`: run chromedriver (and so Chromium) there, reachable at `driver_ip`.
    /// `clip`: the fake camera plays this Y4M file instead of drawing its pattern.
    pub async fn start(
        netns: &str,
        driver_ip: &str,
        origin: &str,
        clip: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let port = DRIVER_PORT;
        let mut cmd = tokio::process::Command::new("ip");
        cmd.args(["netns", "exec", netns, "chromedriver"])
            .arg(format!("--allowed-ips={}", super::netns::BOOTH_IP))
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let driver = cmd
            .spawn()
            .context("cannot start chromedriver (apt chromium-driver)")?;
        let driver_pid = driver.id().context("chromedriver has no pid")?;
        let profile = tempfile::tempdir()?;
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream=fps=30".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
            format!("--unsafely-treat-insecure-origin-as-secure={origin}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if let Some(clip) = clip {
            args.push(format!(
                "--use-file-for-fake-video-capture={}",
                clip.display()
            ));
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": "/usr/lib/chromium/chromium", "args": args }),
        );
        let url = format!("http://{driver_ip}:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match fantoccini::ClientBuilder::rustls()?
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => bail!("chromedriver at {url}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Ok(Self {
            driver,
            driver_pid,
            client,
            _profile: profile,
        })
    }

    /// Runs `script` in the page (a returned promise is awaited by WebDriver).
    pub async fn eval(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    pub async fn stop(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.clone().close()).await;
        for pid in descendants(self.driver_pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.driver.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.driver.wait()).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // After a failed assertion `stop` was not reached: leave no Chromium behind.
        for pid in descendants(self.driver_pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}
