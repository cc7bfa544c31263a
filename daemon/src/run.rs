//! The daemon's life: open the store, bind, report READY, serve, watch, stop cleanly.

use crate::clock::SystemClock;
use crate::config::{Config, ConfigSource};
use crate::logging::LogHandle;
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use teleconsult_store::{StorageKey, Store};
use teleconsult_web::auth::ratelimit::Limits;
use teleconsult_web::{AppState, Settings};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How the daemon was started, to re-read the configuration on SIGHUP.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub config_path: Option<PathBuf>,
    pub flags: crate::config::Flags,
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
    store.set_reserve(config.storage.reserve());
    teleconsult_web::storage::set_support_contact(config.admin.contact.clone());
    // A store behind its audit anchor is fenced (the store logged why): it is served to
    // nobody, but the daemon runs so that `teleconsultctl restore` can bring it back.
    let fenced = store.rollback();
    if config.site.demo && fenced.is_none() {
        let s = store.clone();
        tokio::task::spawn_blocking(move || {
            crate::demo::seed(&s, &SystemClock)?;
            crate::demo::seed_accounts(&s, &SystemClock)
        })
        .await??;
    }
    let tls = tls_config(&config)?;
    let listener = std::net::TcpListener::bind(config.http.listen).with_context(|| {
        format!(
            "cannot listen on {} (in use by another process? change http.listen)",
            config.http.listen
        )
    })?;
    let local = listener.local_addr()?;

    let settings = web_settings(&config, local);
    let clock: Arc<dyn teleconsult_core::ports::Clock> = Arc::new(SystemClock);
    let notifier = Arc::new(tokio::sync::Notify::new());
    let delivery = crate::notify::Delivery::from_config(&config.notify, config.site.demo)?;
    let shutdown = CancellationToken::new();
    let tracker = TaskTracker::new();
    // Sync with the national platform: a worker only when `[platform] base_url` is set.
    let live = Arc::new(teleconsult_web::live::Live::default());
    let remote = Arc::new(crate::remote::LocalBooking {
        live: live.clone(),
        store: store.clone(),
        clock: clock.clone(),
        site_name: config.site.name.clone(),
        time_zone: config.site.timezone.clone(),
        organizer: config.notify.email.from.clone(),
        public_url: public_url(&config, local),
        policy: settings.appointments,
        notifier: notifier.clone(),
    });
    let sync = start_sync(&config, &store, remote, &shutdown, &tracker)?;
    let state = AppState::with_live(
        store.clone(),
        clock.clone(),
        settings,
        notifier.clone(),
        sync,
        live,
    );
    let board = if config.site.kind == teleconsult_core::site::SiteKind::Booth {
        crate::cabin::Board::with_welcome(
            crate::booth::media_settings(&config),
            config.site.name.clone(),
        )
    } else {
        crate::cabin::Board::default()
    };
    state.calls.configure(call_config(&config, &board)?);
    if config.site.kind == teleconsult_core::site::SiteKind::Booth {
        let (cabin, task) = crate::cabin::BoxCabin::new(
            board,
            crate::booth::media_settings(&config),
            crate::cabin::probes::PrinterProbe {
                enabled: config.print.enabled,
                command: config.print.command.clone(),
                printer: config.print.printer.clone(),
                server: config.print.server.clone(),
            },
        );
        state.app.set_cabin(cabin);
        if config.site.demo {
            crate::cabin::demo_devices::start(&config.storage.path, shutdown.clone())?;
        }
        tracker.spawn(crate::cabin::run(state.clone(), task, shutdown.clone()));
        tracker.spawn(crate::booth::sweep(
            state.clone(),
            crate::booth::sweep_interval(config.booth.policy()),
            shutdown.clone(),
        ));
    }
    let app = teleconsult_web::router(state.clone());
    let grace = Duration::from_secs(config.http.shutdown_grace_s);
    let server = tracker.spawn(teleconsult_web::serve(
        listener,
        Some(tls),
        app,
        shutdown.clone(),
        grace,
    ));

    let reminder_settings = crate::reminders::ReminderSettings {
        site_name: config.site.name.clone(),
        time_zone: config.site.timezone.clone(),
        organizer: config.notify.email.from.clone(),
        public_url: public_url(&config, local),
    };
    tracker.spawn(crate::reminders::run(
        store.clone(),
        clock.clone(),
        reminder_settings,
        notifier.clone(),
        shutdown.clone(),
    ));
    tracker.spawn(crate::registrations::run(
        store.clone(),
        clock.clone(),
        shutdown.clone(),
    ));
    tracker.spawn(crate::notify::run(
        store.clone(),
        clock.clone(),
        delivery,
        notifier,
        shutdown.clone(),
    ));
    crate::admin::start(
        &config,
        store.clone(),
        state.clone(),
        local,
        &shutdown,
        &tracker,
    );
    state.set_ready(true);
    let url = format!("https://{local}/");
    let _ = sd_notify::notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(&format!("ready: serving {url}")),
    ]);
    if let Some(warning) = crate::tls::TlsKind::of(config.http.tls_cert.as_deref()).warning() {
        tracing::warn!("{warning}");
        notify_status(&format!("ready: serving {url} - WARNING: {warning}"));
    }
    tracing::info!(%url, demo = config.site.demo, "teleconsultd ready");
    for warning in crate::config::warnings(&config, invocation.flags) {
        tracing::warn!("{warning}");
    }
    if config.site.demo {
        print_demo_banner(local, &config);
        if !crate::config::listens_on_loopback(local) {
            notify_status(&format!(
                "ready: serving {url} - WARNING: {DEMO_ON_NETWORK}"
            ));
        }
    }
    if let Some(rollback) = &fenced {
        notify_status(&format!(
            "ready: serving {url} - NOT SERVING DATA: {rollback}"
        ));
    }
    tracker.spawn(
        crate::storage::Monitor {
            store: store.clone(),
            web: state.clone(),
            clock: clock.clone(),
            check_every: (config.storage.check_interval_h > 0)
                .then(|| Duration::from_secs(u64::from(config.storage.check_interval_h) * 3600)),
            watchdog: watchdog_interval(),
            listening: local,
        }
        .run(shutdown.clone()),
    );

    let outcome = wait_for_stop(signals, &log, &invocation, server).await;
    state.set_ready(false);
    // Calls first: their sockets are not part of the HTTP drain; each says goodbye (1001).
    state.calls.close_all();
    state.calls.wait_closed(Duration::from_secs(2)).await;
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
    let flushed = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || {
            let flushed = store.flush();
            // The anchor of what is durable now, in its file and in the journal.
            store.close_anchor();
            flushed
        }),
    )
    .await;
    match flushed {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::error!(error = %e, "final store flush failed"),
        Ok(Err(e)) => tracing::error!(error = %e, "final store flush task failed"),
        // A jammed storage engine (see `storage.rs`): what was acknowledged is durable already.
        Err(_) => tracing::error!("the final store flush did not end; stopping without it"),
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
    match crate::config::load_with(invocation.source(), invocation.flags, &env) {
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

/// Said by the banner, the status and every page of a demo started with `--demo-on-network`.
const DEMO_ON_NETWORK: &str = "demo reachable from the network (--demo-on-network): its passwords are public and every login code is shown on /demo/outbox";

/// What a newcomer running `cargo xtask run` needs to know, on stdout.
fn print_demo_banner(local: std::net::SocketAddr, config: &Config) {
    let host = if local.ip().is_loopback() {
        "localhost".to_owned()
    } else {
        local.ip().to_string()
    };
    let logins: String = crate::demo::ACCOUNTS
        .iter()
        .map(|a| {
            format!(
                "    {:<13} {:<22} password: {}\n",
                a.role.code(),
                a.login,
                a.password
            )
        })
        .collect();
    println!(
        "\n  teleconsult demo is ready: https://{host}:{port}/\n  \
         (self-signed certificate: accept it in your browser)\n\n  \
         demo logins (then the SMS code, shown in this log and on https://{host}:{port}/demo/outbox):\n\
         {logins}\n  \
         data: {data} (delete it to start afresh)\n  \
         API: https://{host}:{port}/api/v1/openapi.json\n  \
         Ctrl-C stops the daemon.\n",
        port = local.port(),
        data = config.storage.path.display(),
    );
    if !crate::config::listens_on_loopback(local) {
        println!(
            "  WARNING: {DEMO_ON_NETWORK}.\n  \
             Anyone who can reach {local} can log in as the administrator above.\n  \
             Use it only on a network you trust, never with real patients' data.\n"
        );
    }
}

/// The HTTP side's settings from `config`; `local`: the address the listener is bound to
/// (links in messages when `http.public_url` is unset). The admin socket's operations on a
/// stopped daemon build the same application with these.
pub fn web_settings(config: &Config, local: std::net::SocketAddr) -> Settings {
    let limits = &config.limits;
    Settings {
        site_name: config.site.name.clone(),
        site_id: config.site.id.clone(),
        country: config.site.country,
        demo: config.site.demo,
        demo_on_network: config.site.demo
            && !crate::config::listens_on_loopback(config.http.listen),
        organizer: config.notify.email.from.clone(),
        public_url: public_url(config, local),
        limits: Limits {
            login_per_minute: limits.login_per_minute,
            otp_per_minute: limits.otp_per_minute,
            register_per_hour: limits.register_per_hour,
            password_reset_per_hour: limits.password_reset_per_hour,
        },
        time_zone: config.site.timezone.clone(),
        booking: teleconsult_core::booking::BookingPolicy {
            reminder_offsets: config.booking.reminder_durations(),
            horizon_days: i64::from(config.booking.horizon_days),
        },
        appointments: teleconsult_core::appointment::Policy {
            patient_cancellation_deadline: jiff::SignedDuration::from_mins(i64::from(
                config.booking.patient_cancellation_deadline_min,
            )),
            ..Default::default()
        },
        languages: config.site.languages.clone(),
        printing: printer(&config.print),
        idle_timeout: config.auth.idle_timeout(config.site.kind),
        totp_offered: config.auth.totp_offered(),
        totp_nudge: config.auth.totp_offered()
            && config.site.kind == teleconsult_core::site::SiteKind::Booth,
        quotas: limits.quotas(),
        booth: teleconsult_web::state::BoothSettings {
            site_kind: config.site.kind,
            queue: config.queue.policy(),
            booth: config.booth.policy(),
        },
    }
}

/// `http.public_url`, or `https://<host>:<bound port>` (localhost for loopback and wildcard
/// addresses).
fn public_url(config: &Config, local: std::net::SocketAddr) -> String {
    if let Some(url) = &config.http.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let ip = local.ip();
    let host = if ip.is_loopback() || ip.is_unspecified() {
        "localhost".to_owned()
    } else {
        local.to_string()
    };
    if ip.is_loopback() || ip.is_unspecified() {
        format!("https://{host}:{}", local.port())
    } else {
        format!("https://{host}")
    }
}

/// The booth's printer from `[print]`: CUPS through `lp`; `None` when printing is off.
fn printer(print: &crate::config::PrintConfig) -> Option<teleconsult_web::state::SitePrinter> {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    print.enabled.then(|| {
        teleconsult_web::state::SitePrinter(Arc::new(teleconsult_render::print::CupsPrinter(
            teleconsult_render::print::PrintSettings {
                command: print.command.clone().into(),
                printer: non_empty(&print.printer),
                server: non_empty(&print.server),
                timeout: Duration::from_secs(u64::from(print.timeout_s)),
            },
        )))
    })
}

/// Calls: ICE servers (with the TURN secret read now), attachment limit, and on a booth site
/// the booth's own media pipeline.
fn call_config(
    config: &Config,
    board: &crate::cabin::Board,
) -> anyhow::Result<teleconsult_web::call::CallConfig> {
    use teleconsult_core::site::SiteKind;
    let turn_auth = turn_auth(&config.media)?;
    let booth: Option<Arc<dyn teleconsult_web::call_media::BoothMedia>> =
        (config.site.kind == SiteKind::Booth).then(|| {
            Arc::new(crate::booth::BoothPipeline {
                settings: crate::booth::media_settings(config),
                turn_auth: turn_auth.clone(),
                board: board.clone(),
            }) as Arc<dyn teleconsult_web::call_media::BoothMedia>
        });
    Ok(teleconsult_web::call::CallConfig {
        site_kind: config.site.kind,
        stun_servers: config.media.stun_servers.clone(),
        turn_servers: config.media.turn_servers.clone(),
        turn_auth,
        attachment_max_bytes: config.media.attachment_max_mb as usize * 1024 * 1024,
        booth,
    })
}

/// `[media] turn_secret_file`, read once at start (like the TLS key): a missing or empty file
/// stops the daemon with the key named, rather than calls failing later without TURN.
fn turn_auth(
    media: &crate::config::MediaConfig,
) -> anyhow::Result<Option<teleconsult_web::call_turn::TurnAuth>> {
    let Some(path) = &media.turn_secret_file else {
        return Ok(None);
    };
    let contents = std::fs::read(path)
        .with_context(|| format!("cannot read media.turn_secret_file {}", path.display()))?;
    let secret = teleconsult_web::call_turn::TurnSecret::from_file_contents(&contents)
        .with_context(|| format!("media.turn_secret_file {} is empty", path.display()))?;
    Ok(Some(teleconsult_web::call_turn::TurnAuth {
        secret,
        ttl: Duration::from_secs(u64::from(media.turn_ttl_s)),
    }))
}

/// Starts the outbox worker towards the national platform when `[platform] base_url` is set;
/// returns its handle (status, metrics, wake-up) for the HTTP layer.
fn start_sync(
    config: &Config,
    store: &Store,
    remote: Arc<crate::remote::LocalBooking>,
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) -> anyhow::Result<teleconsult_sync::SyncHandle> {
    use crate::config::PlatformAuth;
    use teleconsult_sync::{Auth, ClientConfig, IdentifierSystems, SyncSettings, WorkerConfig};
    let platform = &config.platform;
    let Some(base_url) = &platform.base_url else {
        return Ok(teleconsult_sync::SyncHandle::disabled());
    };
    let auth = match (
        platform.auth,
        &platform.token_file,
        &platform.client_cert,
        &platform.client_key,
    ) {
        (PlatformAuth::Bearer, Some(token_file), _, _) => Auth::Bearer {
            token_file: token_file.clone(),
        },
        (PlatformAuth::Mtls, _, Some(cert), Some(key)) => Auth::Mtls {
            client_cert: cert.clone(),
            client_key: key.clone(),
        },
        _ => Auth::None,
    };
    let settings = SyncSettings {
        client: ClientConfig {
            auth,
            ca_file: platform.ca_file.clone(),
            ..ClientConfig::new(base_url.clone())
        },
        systems: IdentifierSystems::for_site(&config.site.id)
            .with_national_systems(platform.national_id_systems.configured()),
        worker: WorkerConfig {
            poll_interval: Duration::from_secs(platform.poll_interval_s.max(1)),
            ..WorkerConfig::default()
        },
    };
    let handle = teleconsult_sync::SyncHandle::new();
    let worker = teleconsult_sync::worker(
        &settings,
        Arc::new(store.clone()),
        remote,
        Arc::new(SystemClock),
        handle.clone(),
    )
    .context("cannot set up sync with the national platform ([platform])")?;
    tracker.spawn(worker.run(shutdown.clone()));
    tracing::info!("sync with the national platform started");
    Ok(handle)
}
