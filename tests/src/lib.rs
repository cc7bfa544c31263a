//! # teleconsult-tests — fixtures that boot the real daemon
//!
//! The e2e test binary (`e2e/`) uses these fixtures to start `teleconsultd` as a real process on
//! an ephemeral loopback port, in a temporary folder, talking HTTPS to it and receiving its
//! `sd_notify` messages on a socket the test owns (as systemd would). Nothing here reaches beyond
//! 127.0.0.1; every wait is bounded by a deadline.
//!
//! When the machine lacks something a test needs (root, network namespaces, nspawn),
//! [`capability`] decides: a failure under `cargo xtask test`, a counted, loud skip otherwise.
//!
//! **Must not**: use back doors into the daemon. Tests observe it from outside (HTTP, exit
//! status, notify messages, logs), and open the store directly only when the daemon is stopped.

pub mod accounts;
pub mod api;
pub mod bench;
pub mod booking;
pub mod browser;
pub mod browser_checks;
pub mod capability;
pub mod cups;
pub mod daemon;
pub mod documents;
pub mod fhir_peer;
pub mod national_ids;
pub mod netns;
pub mod outbox_port;
pub mod pages;
pub mod platform;
pub mod postgres;
pub mod python;
pub mod signal;
pub mod sinks;
pub mod site;
pub mod totp;

pub use daemon::{Daemon, DaemonOptions};

/// Installs the ring crypto provider once (reqwest and rustls need exactly one).
pub fn init_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A loopback port nobody listens on (an endpoint out of reach: tests talk to loopback only).
pub async fn closed_port() -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    Ok(listener.local_addr()?.port())
}

/// Polls `probe` until it returns `Some`, at most until `deadline` from now.
pub async fn poll_until<T, F, Fut>(
    what: &str,
    deadline: std::time::Duration,
    mut probe: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= end {
            anyhow::bail!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
