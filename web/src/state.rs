//! Shared state of the HTTP layer.

use crate::auth::ratelimit::{Limits, RateLimiter};
use crate::error::ApiError;
use crate::metrics::Metrics;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use teleconsult_core::account::LoginPolicy;
use teleconsult_core::national_id::Country;
use teleconsult_core::ports::Clock;
use teleconsult_core::site::Language;
use teleconsult_store::Store;

/// The site's printer: an adapter of the application's `Printer` port.
#[derive(Clone)]
pub struct SitePrinter(pub Arc<dyn teleconsult_app::print::Printer>);

impl std::fmt::Debug for SitePrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SitePrinter")
    }
}

/// Settings the HTTP layer needs, taken from the daemon configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Display name of the site (landing page, e-mails).
    pub site_name: String,
    /// Site code (`[site] id`): the prefix of every document number.
    pub site_id: String,
    /// Country whose national-id rules apply to registrations.
    pub country: Country,
    /// Demo mode: shown on pages so nobody mistakes it for a real install.
    pub demo: bool,
    /// Demo mode started with `--demo-on-network` on a non-loopback address: every page says
    /// that the demo's passwords and login codes are reachable from the network.
    pub demo_on_network: bool,
    /// The site's e-mail address (`[notify.email] from`): organizer of calendar invitations.
    pub organizer: String,
    /// Base of the links sent by e-mail (`https://host:port`, no trailing slash).
    pub public_url: String,
    /// Per-address request limits.
    pub limits: Limits,
    /// IANA zone of the site: times in messages are shown in it.
    pub time_zone: String,
    /// Reminders and booking horizon.
    pub booking: teleconsult_core::booking::BookingPolicy,
    /// Cancellation deadline, no-show and call-room timing.
    pub appointments: teleconsult_core::appointment::Policy,
    /// Languages the site offers (`[site] languages`), the first being the default of pages.
    pub languages: Vec<Language>,
    /// The booth's printer (`[print]`, CUPS: the daemon wires it); `None`: documents are not
    /// printed here.
    pub printing: Option<SitePrinter>,
    /// A session unused this long is over (`auth.idle_timeout_min`).
    pub idle_timeout: jiff::SignedDuration,
    /// Accounts may set up an authenticator app and log in with its code (`"totp"` in
    /// `auth.second_factors`); else every login gets an SMS code.
    pub totp_offered: bool,
    /// The home page of staff and practitioners without an app asks them to set one up (booth
    /// sites, where logins must work with the WAN down).
    pub totp_nudge: bool,
    /// Per-account quotas and the bound on password hashing at once (`[limits]`).
    pub quotas: Quotas,
    /// The site's kind, the on-demand queue and the booth (`[site] kind`, `[queue]`,
    /// `[booth]`).
    pub booth: BoothSettings,
}

/// What the booth and the on-demand queue need from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoothSettings {
    pub site_kind: teleconsult_core::site::SiteKind,
    pub queue: teleconsult_core::queue::QueuePolicy,
    pub booth: teleconsult_core::booth::BoothPolicy,
}

impl Default for BoothSettings {
    fn default() -> Self {
        Self {
            site_kind: teleconsult_core::site::SiteKind::Clinic,
            queue: Default::default(),
            booth: Default::default(),
        }
    }
}

/// What one account may hold or do (`[limits]`; see core's `quota.rs` and
/// `docs/security.md`), and how many passwords are hashed or checked at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Open appointments starting in the future, per booking account.
    pub open_appointments: u32,
    /// Files shared in one appointment (all its parties together).
    pub uploads_per_appointment: u32,
    /// Files one account uploads per UTC day (call attachments and message files).
    pub uploads_per_day: u32,
    /// Exports of one's data per UTC hour.
    pub exports_per_hour: u32,
    /// Password hashes or checks running at once; the others wait (at most
    /// [`HASHING_WAIT`], then 429). Each takes about 19 MiB (argon2id's default memory).
    pub hashing_concurrency: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            open_appointments: 5,
            uploads_per_appointment: 20,
            uploads_per_day: 50,
            exports_per_hour: 5,
            hashing_concurrency: std::thread::available_parallelism().map_or(2, usize::from),
        }
    }
}

/// How long a request waits for a password hashing permit before it is answered 429.
pub const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    /// The use cases (`teleconsult-app`): new doors call these rather than the store.
    pub app: Arc<teleconsult_app::App>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    pub metrics: Metrics,
    pub limiter: RateLimiter,
    /// Woken when a notification is queued, so the delivery worker sends it at once.
    pub notifier: Arc<tokio::sync::Notify>,
    /// The national-platform sync worker's status and wake-up.
    pub sync: teleconsult_sync::SyncHandle,
    /// Call rooms and the call configuration (set by the daemon with `calls.configure`).
    pub calls: crate::call_room::Calls,
    /// Ends of sessions and appointments told to open sockets; signalling tickets.
    pub live: Arc<crate::live::Live>,
    /// Permits to hash or check a password ([`Quotas::hashing_concurrency`]).
    hashing: crate::auth::hashing::Hashing,
    /// One document issued at a time: its number is chosen, its PDF rendered and the record
    /// stored under it, so parallel issues never render for a number another one takes.
    pub(crate) issuing: tokio::sync::Mutex<()>,
    ready: AtomicBool,
}

impl AppState {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Settings,
        notifier: Arc<tokio::sync::Notify>,
        sync: teleconsult_sync::SyncHandle,
    ) -> Self {
        Self::with_live(store, clock, settings, notifier, sync, Arc::default())
    }

    /// Like [`AppState::new`], sharing `live` with doors outside the HTTP layer (the sync
    /// pull cancels appointments too: their call rooms must close).
    pub fn with_live(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Settings,
        notifier: Arc<tokio::sync::Notify>,
        sync: teleconsult_sync::SyncHandle,
        live: Arc<crate::live::Live>,
    ) -> Self {
        let limiter = RateLimiter::new(settings.limits.clone());
        let hashing = crate::auth::hashing::Hashing::new(settings.quotas.hashing_concurrency);
        let app = Arc::new(application(&store, &clock, &settings));
        Self(Arc::new(Inner {
            app,
            store,
            clock,
            settings,
            metrics: Metrics::new(&sync),
            limiter,
            notifier,
            sync,
            calls: crate::call_room::Calls::default(),
            live,
            hashing,
            issuing: tokio::sync::Mutex::new(()),
            ready: AtomicBool::new(false),
        }))
    }

    /// Tells the notification worker that something was queued.
    pub fn wake_notifier(&self) {
        self.notifier.notify_one();
    }

    /// Tells the workers that messages were queued: notifications and the platform outbox.
    pub fn wake_workers(&self) {
        self.notifier.notify_one();
        self.sync.wake();
    }

    /// A permit to hash or check passwords, with the memory to do it in (see
    /// `auth/hashing.rs`): a burst of logins (or registrations) waits here, in memory no bigger
    /// than a task, instead of running all at once. After [`HASHING_WAIT`] without a permit:
    /// 429 `busy` with `Retry-After`.
    pub async fn hashing_permit(&self) -> Result<crate::auth::hashing::HashingPermit, ApiError> {
        self.hashing.permit(HASHING_WAIT).await
    }

    /// Marks the service ready (store open, listeners bound): `/readyz` answers 200 from now on.
    pub fn set_ready(&self, ready: bool) {
        self.0.ready.store(ready, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::SeqCst)
    }

    /// Runs `work` on this task when `inline` — the caller knows it reads only what the store
    /// keeps in memory: CPU work of tens of microseconds, cheaper than the hop to a blocking
    /// thread and back — else like [`AppState::blocking`].
    pub async fn blocking_unless<T, F>(&self, inline: bool, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Inner) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        if inline {
            work(&self.0)
        } else {
            self.blocking(work).await
        }
    }

    /// Runs blocking work (sled transactions and flushes, password hashing) off the runtime.
    pub async fn blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Inner) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || work(&this.0))
            .await
            .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
    }
}

/// The login rules of `settings` (`[auth]`).
fn login_policy(settings: &Settings) -> LoginPolicy {
    LoginPolicy {
        idle_timeout: settings.idle_timeout,
        ..LoginPolicy::default()
    }
}

/// The application over `store`, with this crate's texts (as [`AppState::new`] builds it; the
/// daemon's admin operations build their own when the daemon is stopped).
pub fn application(
    store: &Store,
    clock: &Arc<dyn Clock>,
    settings: &Settings,
) -> teleconsult_app::App {
    let texts = crate::booking_messages::WebTexts {
        site_name: settings.site_name.clone(),
        time_zone: settings.time_zone.clone(),
        organizer: settings.organizer.clone(),
        public_url: settings.public_url.clone(),
    };
    let app_settings = teleconsult_app::AppSettings {
        site_kind: settings.booth.site_kind,
        country: settings.country,
        languages: settings.languages.clone(),
        consent_text_version: crate::patients::CONSENT_TEXT_VERSION.to_owned(),
        booking: settings.booking.clone(),
        appointments: settings.appointments,
        queue: settings.booth.queue,
        booth: settings.booth.booth,
        open_appointments: settings.quotas.open_appointments,
        uploads_per_day: settings.quotas.uploads_per_day,
        uploads_per_appointment: settings.quotas.uploads_per_appointment,
        login: login_policy(settings),
        totp_offered: settings.totp_offered,
    };
    let app = teleconsult_app::App::new(
        Arc::new(store.clone()),
        clock.clone(),
        Arc::new(texts),
        app_settings,
    );
    if let Some(printing) = &settings.printing {
        app.set_printer(printing.0.clone());
    }
    app
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
