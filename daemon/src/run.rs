//! The daemon's life: open the store, bind, report READY, serve, watch, stop cleanly.

use crate::clock::SystemClock;
use crate::config::{Config, ConfigSource};
use crate::logging::LogHandle;
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use teleconsult_store::{StorageKey, Store};
use teleconsult_web::{AppState, Settings};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How the daemon was started, to re-read the configuration on SIGHUP.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub config_path: Option<PathBuf>,
    pub demo: bool,
}

impl Invocation {
    pub fn source(&self) -> ConfigSource<'_> {
        match &self.config_path {
            Some(p) => ConfigSource::Explicit(p),
            None => ConfigSource::Default,
        }
    }
}

fn notify_status(status: &str) {
    // Outside systemd (no NOTIFY_SOCKET) this does nothing.
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Status(status)]);
}

/// Opens the store with the configured key. A real install never creates a key by itself: a
/// missing key there means a broken install, and a new key would make existing data unreadable.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let key_file = config.storage.key_file.clone();
    let path = config.storage.path.clone();
    let demo = config.site.demo;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Store> {
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create storage folder {}", path.display()))?;
        let key = if demo {
            StorageKey::load_or_create(&key_file)?
        } else {
            StorageKey::load(&key_file)?
        };
        Ok(Store::open(&path, key)?)
    })
    .await
    .context("store opening task failed")?
}

fn tls_config(config: &Config) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let (cert, key) = match (&config.http.tls_cert, &config.http.tls_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => crate::tls::demo_certificate(&config.storage.path)?,
    };
    Ok(Arc::new(crate::tls::server_config(&cert, &key)?))
}

/// Runs until SIGTERM/SIGINT. Returns an error only for failures that must stop the process
/// (systemd then restarts it per the unit's policy).
pub async fn run(config: Config, log: LogHandle, invocation: Invocation) -> anyhow::Result<()> {
    // Handlers first: a SIGHUP or SIGTERM right after READY must not hit the default action
    // (which terminates the process).
    let signals = Signals::install()?;
    notify_status("opening the store");
    let store = open_store(&config).await?;
    if config.site.demo {
        let s = store.clone();
        tokio::task::spawn_blocking(move || crate::demo::seed(&s, &SystemClock)).await??;
    }
    let tls = tls_config(&config)?;
    let listener = std::net::TcpListener::bind(config.http.listen).with_context(|| {
        format!(
            "cannot listen on {} (in use by another process? change http.listen)",
            config.http.listen
        )
    })?;
    let local = listener.local_addr()?;

    let settings = Settings {
        site_name: config.site.name.clone(),
        country: config.site.country,
        demo: config.site.demo,
    };
    let state = AppState::new(store.clone(), Arc::new(SystemClock), settings);
    let app = teleconsult_web::router(state.clone());
    let shutdown = CancellationToken::new();
    let tracker = TaskTracker::new();
    let grace = Duration::from_secs(config.http.shutdown_grace_s);
    let server = tracker.spawn(teleconsult_web::serve(
        listener,
        Some(tls),
        app,
        shutdown.clone(),
        grace,
    ));

    state.set_ready(true);
    let url = format!("https://{local}/");
    let _ = sd_notify::notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(&format!("ready: serving {url}")),
    ]);
    tracing::info!(%url, demo = config.site.demo, "teleconsultd ready");
    if config.site.demo {
        print_demo_banner(local, &config);
    }
    if let Some(interval) = watchdog_interval() {
        tracker.spawn(watchdog(store.clone(), interval, shutdown.clone()));
    }

    let outcome = wait_for_stop(signals, &log, &invocation, server).await;
    state.set_ready(false);
    let _ = sd_notify::notify(&[
        sd_notify::NotifyState::Stopping,
        sd_notify::NotifyState::Status("stopping"),
    ]);
    shutdown.cancel();
    tracker.close();
    if tokio::time::timeout(grace + Duration::from_secs(2), tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("tasks did not stop within the grace period; exiting anyway");
    }
    let flushed = tokio::task::spawn_blocking(move || store.flush()).await;
    match flushed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "final store flush failed"),
        Err(e) => tracing::error!(error = %e, "final store flush task failed"),
    }
    tracing::info!("teleconsultd stopped");
    outcome
}

/// The signals the daemon handles, registered before anything else happens.
struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            hup: signal(SignalKind::hangup()).context("cannot handle SIGHUP")?,
        })
    }
}

/// Waits for SIGTERM/SIGINT (Ok) or for the server to fail (Err); handles SIGHUP on the way.
async fn wait_for_stop(
    signals: Signals,
    log: &LogHandle,
    invocation: &Invocation,
    mut server: tokio::task::JoinHandle<std::io::Result<()>>,
) -> anyhow::Result<()> {
    let Signals {
        mut term,
        mut int,
        mut hup,
    } = signals;
    loop {
        tokio::select! {
            _ = term.recv() => { tracing::info!("SIGTERM received, shutting down"); return Ok(()) }
            _ = int.recv() => { tracing::info!("SIGINT received, shutting down"); return Ok(()) }
            _ = hup.recv() => reload(log, invocation),
            result = &mut server => {
                return match result {
                    Ok(Ok(())) => Err(anyhow::anyhow!("the HTTP server stopped unexpectedly")),
                    Ok(Err(e)) => Err(anyhow::Error::new(e).context("the HTTP server failed")),
                    Err(e) => Err(anyhow::Error::new(e).context("the HTTP server task panicked")),
                };
            }
        }
    }
}

/// SIGHUP: re-reads the configuration and applies what can change live (the log level). A
/// broken file is reported and the running configuration kept.
fn reload(log: &LogHandle, invocation: &Invocation) {
    let env: Vec<(String, String)> = std::env::vars().collect();
    match crate::config::load(invocation.source(), invocation.demo, &env) {
        Ok(new) => match log.set_level(&new.log.level) {
            Ok(()) => tracing::info!(level = %new.log.level, "configuration reloaded (log level)"),
            Err(e) => tracing::error!(error = %e, "cannot apply the new log level"),
        },
        Err(errors) => {
            tracing::error!(%errors, "configuration reload refused; keeping the running one")
        }
    }
    notify_status("ready: configuration reloaded");
}

/// Half the systemd watchdog period, when the unit has `WatchdogSec=`.
fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
        .filter(|d| !d.is_zero())
        .map(|d| d / 2)
}

/// Pings the systemd watchdog only while the store answers and the runtime schedules this task:
/// a hung store or a starved runtime stops the pings and systemd restarts the service.
async fn watchdog(store: Store, interval: Duration, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let s = store.clone();
        let check = tokio::time::timeout(
            interval,
            tokio::task::spawn_blocking(move || s.health_check()),
        )
        .await;
        match check {
            Ok(Ok(Ok(()))) => {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
            }
            Ok(Ok(Err(e))) => {
                tracing::error!(error = %e, "store health check failed; withholding watchdog ping")
            }
            Ok(Err(e)) => tracing::error!(error = %e, "store health check task failed"),
            Err(_) => tracing::error!("store health check timed out; withholding watchdog ping"),
        }
    }
}

/// What a newcomer running `cargo xtask run` needs to know, on stdout.
fn print_demo_banner(local: std::net::SocketAddr, config: &Config) {
    let host = if local.ip().is_loopback() {
        "localhost".to_owned()
    } else {
        local.ip().to_string()
    };
    println!(
        "\n  teleconsult demo is ready: https://{host}:{port}/\n  \
         (self-signed certificate: accept it in your browser)\n  \
         data: {data} (delete it to start afresh)\n  \
         API: https://{host}:{port}/api/v1/openapi.json\n  \
         Ctrl-C stops the daemon.\n",
        port = local.port(),
        data = config.storage.path.display(),
    );
}
