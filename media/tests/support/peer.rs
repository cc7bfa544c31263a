//! The booth under test: `teleconsult-media-peer` in the booth namespace (it inherits the
//! namespace of the thread that starts it), its signalling frames on stdin/stdout, its events
//! and quality samples kept for assertions. Killed by pid on drop; [`BoothPeer::stop`] hangs
//! up first and fails on any GLib critical the peer counted (`teleconsult_media::glib_log`).

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
    /// The peer's latest count of GLib criticals (`{"count":n,"first":[…]}`), from its quality
    /// samples and, last, from the line it prints as it exits.
    pub glib: Option<Value>,
    /// The peer printed its count on its way out (so the count covers its teardown).
    pub glib_final: bool,
}

/// How long the peer may take to exit once it hangs up.
pub const EXIT_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

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
                    if !log.glib_final {
                        log.glib = value.get("glib").cloned();
                    }
                    log.qualities.push(value);
                } else if let Some(glib) = value.get("glib") {
                    log.glib = Some(glib.clone());
                    log.glib_final = true;
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

    /// The GLib criticals the peer counted (none when it never reported).
    pub fn glib_criticals(&self) -> (u64, Value) {
        let glib = self
            .log
            .lock()
            .ok()
            .and_then(|l| l.glib.clone())
            .unwrap_or_default();
        let count = glib.get("count").and_then(Value::as_u64).unwrap_or(0);
        (count, glib)
    }

    /// Hangs up (the peer takes its pipeline down and exits, printing its count of GLib
    /// criticals), kills it if it has not exited within [`EXIT_WITHIN`], then fails if the
    /// peer counted any critical: a critical is a failed precondition inside GStreamer, a
    /// defect even when the call looked fine.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let hung_up = self.send_line(r#"{"control":"hangup"}"#).await.is_ok();
        let exited = hung_up
            && tokio::time::timeout(EXIT_WITHIN, self.child.wait())
                .await
                .is_ok_and(|status| status.is_ok());
        if !exited {
            let _ = self.child.start_kill();
            let _ = tokio::time::timeout(EXIT_WITHIN, self.child.wait()).await;
        }
        // The reader may still hold the last line: wait (bounded) for it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while exited
            && !self.log.lock().is_ok_and(|l| l.glib_final)
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        if !self.log.lock().is_ok_and(|l| l.glib_final) {
            let how = if exited {
                "exited".to_owned()
            } else {
                format!("did not exit within {EXIT_WITHIN:?} of hanging up and was killed")
            };
            eprintln!(
                "(the booth peer {how} without its final report: its last sample's count of \
                 GLib criticals is checked)"
            );
        }
        let (count, glib) = self.glib_criticals();
        anyhow::ensure!(
            count == 0,
            "the booth peer reported {count} GLib critical(s): {glib}"
        );
        Ok(())
    }
}
