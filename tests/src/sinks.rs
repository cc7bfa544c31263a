//! Real message sinks started by the tests: an SMTP server (aiosmtpd, a separate Python
//! process) and an HTTP SMS gateway (axum, in the test process), both on 127.0.0.1 with
//! ephemeral ports. Tests read login codes and links from here — never from the daemon.

use anyhow::Context;
use serde::Deserialize;
use serde_json::Value;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One e-mail received by the SMTP sink.
#[derive(Clone, Debug, Deserialize)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Option<String>>,
    /// The attachments themselves (text ones with their text).
    #[serde(default)]
    pub parts: Vec<MailPart>,
}

/// One attachment of a [`Mail`].
#[derive(Clone, Debug, Deserialize)]
pub struct MailPart {
    pub filename: Option<String>,
    /// The whole `Content-Type` header value, parameters included.
    pub content_type: String,
    /// The decoded text of a `text/*` attachment.
    pub text: Option<String>,
}

/// aiosmtpd on 127.0.0.1; killed on drop.
pub struct SmtpSink {
    child: Child,
    file: PathBuf,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl SmtpSink {
    pub fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("mails.jsonl");
        let script = crate::daemon::workspace_root().join("tests/sinks/smtp_sink.py");
        let mut child = Command::new(crate::python::interpreter()?)
            .arg(script)
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start the SMTP sink")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        let port = line
            .trim()
            .parse()
            .with_context(|| format!("SMTP sink did not print its port: {line:?}"))?;
        Ok(Self {
            child,
            file,
            _dir: dir,
            port,
        })
    }

    /// For `notify.email.smtp_url` (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        std::fs::read_to_string(&self.file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits (at most `deadline`) for a mail to `to` whose subject contains `subject`.
    pub async fn wait_for(
        &self,
        to: &str,
        subject: &str,
        deadline: Duration,
    ) -> anyhow::Result<Mail> {
        crate::poll_until(
            &format!("an e-mail to {to} about {subject:?}"),
            deadline,
            || async {
                self.mails()
                    .into_iter()
                    .find(|m| m.to.iter().any(|t| t == to) && m.subject.contains(subject))
            },
        )
        .await
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP SMS gateway receiving `POST {"to","text"}`; can be told to fail.
pub struct SmsSink {
    pub url: String,
    received: Arc<Mutex<Vec<Value>>>,
    failures_left: Arc<AtomicU32>,
    task: tokio::task::JoinHandle<()>,
}

impl SmsSink {
    pub async fn start() -> anyhow::Result<Self> {
        let received: Arc<Mutex<Vec<Value>>> = Arc::default();
        let failures_left = Arc::new(AtomicU32::new(0));
        let (r, f) = (received.clone(), failures_left.clone());
        let app = axum::Router::new().route(
            "/sms",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                let (r, f) = (r.clone(), f.clone());
                async move {
                    if f.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                    {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    r.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(body);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/sms", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            url,
            received,
            failures_left,
            task,
        })
    }

    /// The next `n` requests are answered 503.
    pub fn fail_next(&self, n: u32) {
        self.failures_left.store(n, Ordering::SeqCst);
    }

    pub fn messages(&self) -> Vec<Value> {
        self.received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Waits for the `nth` (0-based) SMS to `to` and returns the 6-digit code in it.
    pub async fn code_for(
        &self,
        to: &str,
        nth: usize,
        deadline: Duration,
    ) -> anyhow::Result<String> {
        crate::poll_until(&format!("SMS #{nth} to {to}"), deadline, || async {
            let texts: Vec<String> = self
                .messages()
                .into_iter()
                .filter(|m| m["to"] == to)
                .filter_map(|m| m["text"].as_str().map(str::to_owned))
                .collect();
            texts.get(nth).and_then(|t| six_digits(t))
        })
        .await
    }
}

impl Drop for SmsSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The first run of exactly six digits in `text`.
pub fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let run = &bytes[i..i + 6];
        let boundary_before = i == 0 || !bytes[i - 1].is_ascii_digit();
        let boundary_after = bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit());
        (run.iter().all(u8::is_ascii_digit) && boundary_before && boundary_after)
            .then(|| String::from_utf8_lossy(run).into_owned())
    })
}

/// The value of `token=` in the first link of an e-mail body.
pub fn link_token(body: &str) -> Option<String> {
    let start = body.find("token=")? + "token=".len();
    Some(
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}
