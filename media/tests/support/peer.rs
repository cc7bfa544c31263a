//! The booth under test: `teleconsult-media-peer` in the booth namespace (it inherits the
//! namespace of the thread that starts it), its signalling frames on stdin/stdout, its events
//! and quality samples kept for assertions. Killed by pid on drop.

use anyhow::Context;
use serde_json::Value;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

#[derive(Debug, Default)]
pub struct PeerLog {
    pub events: Vec<Value>,
    pub qualities: Vec<Value>,
    pub errors: Vec<String>,
}

pub struct BoothPeer {
    child: tokio::process::Child,
    pub pid: u32,
    stdin: Arc<tokio::sync::Mutex<tokio::process::ChildStdin>>,
    pub log: Arc<Mutex<PeerLog>>,
    signals: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
}

impl BoothPeer {
    pub fn start(args: &[&str]) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_teleconsult-media-peer"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start teleconsult-media-peer")?;
        let pid = child.id().context("peer has no pid")?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let log = Arc::new(Mutex::new(PeerLog::default()));
        let (tx, rx) = mpsc::unbounded_channel();
        let sink = Arc::clone(&log);
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(value) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(signal) = value.get("signal") {
                    let _ = tx.send(signal.to_string());
                } else if let Some(event) = value.get("event") {
                    log.events.push(event.clone());
                } else if value.get("quality").is_some() {
                    log.qualities.push(value);
                } else if let Some(error) = value.get("error") {
                    log.errors.push(error.to_string());
                }
            }
        });
        Ok(Self {
            child,
            pid,
            stdin: Arc::new(tokio::sync::Mutex::new(stdin)),
            log,
            signals: Mutex::new(Some(rx)),
        })
    }

    /// The booth's outgoing frames (taken once, by the relay).
    pub fn take_signals(&self) -> Option<mpsc::UnboundedReceiver<String>> {
        self.signals.lock().ok()?.take()
    }

    pub fn stdin(&self) -> Arc<tokio::sync::Mutex<tokio::process::ChildStdin>> {
        Arc::clone(&self.stdin)
    }

    pub async fn send_line(&self, line: &str) -> anyhow::Result<()> {
        let mut stdin = self.stdin.lock().await;
        stdin.write_all(line.as_bytes()).await?;
        stdin.write_all(b"\n").await?;
        Ok(stdin.flush().await?)
    }

    /// The last quality sample's `quality` and `status` objects.
    pub fn last_quality(&self) -> Option<Value> {
        self.log.lock().ok()?.qualities.last().cloned()
    }

    pub fn events(&self) -> Vec<Value> {
        self.log
            .lock()
            .map(|l| l.events.clone())
            .unwrap_or_default()
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.child.wait()).await;
    }
}
