//! Configuration (DESIGN §3, a public contract).
//!
//! Layers, later wins: built-in defaults → demo defaults (with `--demo` or `site.demo = true`) →
//! the TOML file (`/etc/teleconsult/teleconsult.toml` or `--config PATH`) → environment variables
//! `TELECONSULT__SECTION__KEY`. Unknown keys and invalid values are errors, and *all* of them are
//! reported at once, each with its key path and the matching environment variable name.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use teleconsult_core::national_id::Country;
use teleconsult_core::site::{Language, SiteKind};

/// Where the daemon looks for its file when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/teleconsult/teleconsult.toml";
const ENV_PREFIX: &str = "TELECONSULT";

mod auth;
pub use auth::AuthConfig;
mod booth;
pub use booth::{BoothConfig, QueueConfig};
mod load;
pub use load::{ConfigSource, Flags, load, load_with};
mod validate;
use validate::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[derive(Default)]
pub struct Config {
    pub site: SiteConfig,
    pub http: HttpConfig,
    pub storage: StorageConfig,
    pub platform: PlatformConfig,
    pub media: MediaConfig,
    pub notify: NotifyConfig,
    pub log: LogConfig,
    pub admin: AdminConfig,
    pub limits: LimitsConfig,
    pub booking: BookingConfig,
    pub print: PrintConfig,
    pub auth: AuthConfig,
    pub queue: QueueConfig,
    pub booth: BoothConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// Short identifier of the site, used in document numbers: `[a-z0-9-]`, 1–32 characters.
    pub id: String,
    pub name: String,
    pub kind: SiteKind,
    pub country: Country,
    /// IANA time zone of the site.
    pub timezone: String,
    pub languages: Vec<Language>,
    /// Demo mode: embedded defaults, self-signed TLS, seeded demo data.
    pub demo: bool,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            id: "site".into(),
            name: "teleconsult".into(),
            kind: SiteKind::Clinic,
            country: Country::LU,
            timezone: "Europe/Luxembourg".into(),
            languages: vec![
                Language::Fr,
                Language::De,
                Language::En,
                Language::Pt,
                Language::Lb,
            ],
            demo: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// PEM certificate chain. With `tls_key`; both absent means a self-signed certificate, which
    /// only demo mode accepts.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The URL users reach the site at (links in e-mails). Defaults to `https://<listen>`.
    pub public_url: Option<String>,
    /// How long requests in flight may take to finish on shutdown.
    pub shutdown_grace_s: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8443)),
            tls_cert: None,
            tls_key: None,
            public_url: None,
            shutdown_grace_s: 10,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    pub path: PathBuf,
    /// 32-byte key (raw or 64 hex characters), mode 0600. Encrypts health data at rest.
    pub key_file: PathBuf,
    /// Free space files (call and message attachments) may not use, so that bookings,
    /// documents and audit records keep room: the larger of `reserve_mb` and `reserve_percent`
    /// of the storage filesystem.
    pub reserve_mb: u64,
    pub reserve_percent: u8,
    /// Hours between two checks of every record of the store (0: none but the one at start).
    pub check_interval_h: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            path: "/var/lib/teleconsult".into(),
            key_file: "/etc/teleconsult/storage.key".into(),
            reserve_mb: 200,
            reserve_percent: 5,
            check_interval_h: 24,
        }
    }
}

impl StorageConfig {
    /// The reserve of `reserve_mb` and `reserve_percent`.
    pub fn reserve(&self) -> teleconsult_store::Reserve {
        teleconsult_store::Reserve {
            min_bytes: self.reserve_mb.saturating_mul(1024 * 1024),
            percent: self.reserve_percent,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformAuth {
    #[default]
    None,
    Bearer,
    Mtls,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlatformConfig {
    /// FHIR R4 base URL of the national platform; absent means sync is off.
    pub base_url: Option<String>,
    pub auth: PlatformAuth,
    pub token_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub poll_interval_s: u64,
    /// Identifier system (URI) of each country's national patient identifier, where the
    /// platform's differs from the built-in default.
    pub national_id_systems: NationalIdSystems,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            auth: PlatformAuth::None,
            token_file: None,
            client_cert: None,
            client_key: None,
            ca_file: None,
            poll_interval_s: 60,
            national_id_systems: NationalIdSystems::default(),
        }
    }
}

/// `[platform] national_id_systems = { LU = "urn:…", FR = "…", PT = "…" }`: one optional URI per
/// country (absent: the built-in system). Keyed by country code, so an unknown country is an
/// unknown key. An optional addition to DESIGN §3's `[platform]` keys (compatible: absent, nothing
/// changes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NationalIdSystems {
    #[serde(rename = "LU")]
    pub lu: Option<String>,
    #[serde(rename = "FR")]
    pub fr: Option<String>,
    #[serde(rename = "PT")]
    pub pt: Option<String>,
}

impl NationalIdSystems {
    pub fn get(&self, country: Country) -> Option<&str> {
        match country {
            Country::LU => self.lu.as_deref(),
            Country::FR => self.fr.as_deref(),
            Country::PT => self.pt.as_deref(),
        }
    }

    /// The countries given a system, with it.
    pub fn configured(&self) -> Vec<(Country, String)> {
        Country::ALL
            .into_iter()
            .filter_map(|c| self.get(c).map(|s| (c, s.to_owned())))
            .collect()
    }
}

const NATIONAL_ID_SYSTEMS: &str = "platform.national_id_systems";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoCodec {
    #[default]
    Vp8,
    H264,
}

/// Four hours: the call page asks for credentials up to ten minutes before the start, and a TURN
/// server refuses to refresh an allocation once they expired, so they must outlast the call.
pub const DEFAULT_TURN_TTL_S: u32 = 4 * 3600;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// `auto` (first camera found), `test` (test pattern) or a device name.
    pub video_source: String,
    pub audio_source: String,
    pub video_codec: VideoCodec,
    /// The booth's video bitrate ceiling, kbit/s: congestion control never goes above it.
    pub max_bitrate_kbps: u32,
    /// The lowest video bitrate congestion control may set on the booth, kbit/s.
    pub min_bitrate_kbps: u32,
    /// What the booth's video gives up first when the path is too slow for its full picture:
    /// `maintain_framerate` (a smaller picture; conversations) or `maintain_resolution`
    /// (fewer frames a second; dermatology, otoscope).
    pub degradation: teleconsult_media::Degradation,
    pub stun_servers: Vec<String>,
    /// `turn:host:port` / `turns:host:port` URIs. With `turn_secret_file`, each call gets
    /// credentials of its own (TURN REST API); a static `turn://user:password@host` pair is
    /// still accepted without it, but deprecated.
    pub turn_servers: Vec<String>,
    /// The TURN server's shared secret (coturn `static-auth-secret`, with `use-auth-secret`):
    /// credentials valid `turn_ttl_s` are computed from it for each call.
    pub turn_secret_file: Option<PathBuf>,
    /// How long a call's TURN credentials are valid, in seconds (600–86400).
    pub turn_ttl_s: u32,
    /// Largest file shared in a call's chat (PDF, JPEG, PNG), in megabytes, 1–50.
    pub attachment_max_mb: u32,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            video_source: "auto".into(),
            audio_source: "auto".into(),
            video_codec: VideoCodec::Vp8,
            max_bitrate_kbps: 2500,
            min_bitrate_kbps: teleconsult_media::settings::DEFAULT_MIN_BITRATE_KBPS,
            degradation: teleconsult_media::Degradation::MaintainFramerate,
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            turn_secret_file: None,
            turn_ttl_s: DEFAULT_TURN_TTL_S,
            attachment_max_mb: 10,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    pub email: EmailConfig,
    pub sms: SmsConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// `smtps://host:465` (TLS from the first byte) or `smtp://host:587?tls=required`
    /// (STARTTLS, refused when the server does not offer it). Plain `smtp://host` (no TLS at
    /// all) only to a relay on this machine, or in demo mode. Absent: e-mails are only shown in
    /// the log and on the outbox page (demo).
    pub smtp_url: Option<String>,
    pub from: String,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "teleconsult@localhost".into(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// HTTPS webhook of the SMS gateway, receiving `POST {"to","text"}` (plain `http://` only
    /// to this machine, or in demo mode).
    pub url: Option<String>,
    pub token_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Journald,
    Json,
    Pretty,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter: `info`, `debug`, `info,teleconsult_web=debug`…
    pub level: String,
    /// Absent: journald when started by systemd (`JOURNAL_STREAM` set), else pretty.
    pub format: Option<LogFormat>,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    pub socket: PathBuf,
    /// Whom staff and patients should call when the site cannot serve (storage full, data to
    /// restore), e.g. "IT desk, +352 12 34 56". Shown in those messages; absent: "the site's
    /// administrator".
    pub contact: Option<String>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            socket: "/run/teleconsult/admin.sock".into(),
            contact: None,
        }
    }
}

/// Requests allowed per client address (logins, codes, registrations, reset e-mails). Accounts
/// are also locked after repeated failures, whatever the address. Quotas per account (open
/// appointments, uploads, exports) and the bound on password hashing at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub login_per_minute: u32,
    pub otp_per_minute: u32,
    pub register_per_hour: u32,
    pub password_reset_per_hour: u32,
    /// Open appointments starting in the future one account may hold (booked for itself or
    /// relatives).
    pub open_appointments_per_account: u32,
    /// Files shared in one appointment, all its parties together.
    pub uploads_per_appointment: u32,
    /// Files (call attachments, message files) one account may upload per UTC day.
    pub uploads_per_day: u32,
    /// Exports of one's data (GDPR access) per account and UTC hour.
    pub exports_per_hour: u32,
    /// Passwords hashed or checked at once (each needs about 19 MiB); 0: the number of CPU
    /// cores.
    pub password_hashing_concurrency: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            login_per_minute: 10,
            otp_per_minute: 10,
            register_per_hour: 20,
            password_reset_per_hour: 5,
            open_appointments_per_account: 5,
            uploads_per_appointment: 20,
            uploads_per_day: 50,
            exports_per_hour: 5,
            password_hashing_concurrency: 0,
        }
    }
}

impl LimitsConfig {
    /// The quotas of the HTTP layer.
    pub fn quotas(&self) -> teleconsult_web::state::Quotas {
        let defaults = teleconsult_web::state::Quotas::default();
        teleconsult_web::state::Quotas {
            open_appointments: self.open_appointments_per_account,
            uploads_per_appointment: self.uploads_per_appointment,
            uploads_per_day: self.uploads_per_day,
            exports_per_hour: self.exports_per_hour,
            hashing_concurrency: match self.password_hashing_concurrency {
                0 => defaults.hashing_concurrency,
                n => n as usize,
            },
        }
    }
}

/// Booking rules of the site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BookingConfig {
    /// Patients may cancel online until this many minutes before the start.
    pub patient_cancellation_deadline_min: u32,
    /// Reminders go out this long before the start: durations like "24h", "1h", "90m".
    pub reminder_offsets: Vec<String>,
    /// How many days ahead slots are offered.
    pub horizon_days: u32,
}

impl Default for BookingConfig {
    fn default() -> Self {
        Self {
            patient_cancellation_deadline_min: 60,
            reminder_offsets: vec!["24h".into(), "1h".into()],
            horizon_days: 60,
        }
    }
}

impl BookingConfig {
    /// The reminder offsets as durations (validated by `load`).
    pub fn reminder_durations(&self) -> Vec<jiff::SignedDuration> {
        self.reminder_offsets
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect()
    }
}

/// Printing documents on the booth's printer through CUPS (`lp`). Off by default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrintConfig {
    /// Offer "print" on a patient's documents. Booth sites only: the printer is in the booth.
    pub enabled: bool,
    /// The CUPS `lp` client: a name looked up in `PATH` or an absolute path. Run without a
    /// shell, the PDF on its standard input.
    pub command: String,
    /// CUPS destination (`lp -d`); empty: the CUPS default destination.
    pub printer: String,
    /// CUPS server (`lp -h`): `host:port` or the path of its socket; empty: the CUPS client
    /// default (`/run/cups/cups.sock`, or `CUPS_SERVER`, or `client.conf`).
    pub server: String,
    /// How long `lp` may take to hand the job to CUPS before the print is reported as failed.
    pub timeout_s: u32,
}

impl Default for PrintConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            command: "lp".into(),
            printer: String::new(),
            server: String::new(),
            timeout_s: 20,
        }
    }
}

/// One problem found in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted key path (`http.listen`), or empty for the file as a whole.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            return f.write_str(&self.message);
        }
        let env = format!(
            "{ENV_PREFIX}__{}",
            self.key.replace('.', "__").to_uppercase()
        );
        write!(f, "{} ({}): {}", self.key, env, self.message)
    }
}

/// Every problem found, reported together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigIssue>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the configuration has {n} error{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for issue in &self.0 {
            writeln!(f, "  - {issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[path = "config_safety.rs"]
mod safety;
pub use safety::{listens_on_loopback, warnings};

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
