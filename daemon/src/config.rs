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

/// Where to read the file from.
#[derive(Clone, Debug)]
pub enum ConfigSource<'a> {
    /// `--config PATH`: the file must exist.
    Explicit(&'a Path),
    /// The default path, used when it exists.
    Default,
    /// No file at all (tests).
    None,
}

/// What the command line says besides `--config`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `--demo`.
    pub demo: bool,
    /// `--demo-on-network`: the operator accepts that the demo (fixed passwords, login codes on
    /// `/demo/outbox`) is reachable from other machines. Never set by a file or the
    /// environment: it has to be asked for at each start.
    pub demo_on_network: bool,
}

/// Loads and validates the configuration from all layers. `demo` is `--demo` on the command line.
pub fn load(
    source: ConfigSource<'_>,
    demo: bool,
    env: &[(String, String)],
) -> Result<Config, ConfigErrors> {
    load_with(
        source,
        Flags {
            demo,
            demo_on_network: false,
        },
        env,
    )
}

/// [`load`] with every command-line flag.
pub fn load_with(
    source: ConfigSource<'_>,
    flags: Flags,
    env: &[(String, String)],
) -> Result<Config, ConfigErrors> {
    let first = load_layers(&source, flags, env)?;
    if first.site.demo && !flags.demo {
        // `site.demo = true` in the file or environment: apply the demo defaults under it too.
        return load_layers(
            &source,
            Flags {
                demo: true,
                ..flags
            },
            env,
        );
    }
    Ok(first)
}

/// The demo layer: a self-contained site under the current directory, loopback only.
fn demo_defaults() -> Value {
    serde_json::json!({
        "site": { "demo": true, "name": "Pharmacie de démonstration", "id": "demo" },
        "http": { "listen": "127.0.0.1:8443" },
        "storage": { "path": "teleconsult-demo", "key_file": "teleconsult-demo/storage.key" },
        "media": { "video_source": "test", "audio_source": "test" },
        "admin": { "socket": "teleconsult-demo/admin.sock" },
    })
}

fn load_layers(
    source: &ConfigSource<'_>,
    flags: Flags,
    env: &[(String, String)],
) -> Result<Config, ConfigErrors> {
    let mut issues = Vec::new();
    let mut merged =
        serde_json::to_value(Config::default()).map_err(|e| single("", e.to_string()))?;
    let known = merged.clone();
    if flags.demo {
        merge(&mut merged, demo_defaults());
    }
    if let Some(file) = read_file(source).map_err(|m| single("", m))? {
        merge(&mut merged, file);
    }
    let mut env_value = env_layer(env);
    upper_case_country_keys(&mut env_value);
    merge(&mut merged, env_value);

    find_unknown(&known, &mut merged, "", &mut issues);
    coerce_scalars(&known, &mut merged);
    let config = deserialize_collecting(merged, &mut issues);
    validate(&config, &mut issues);
    safety::validate(&config, flags, &mut issues);
    if issues.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(issues))
    }
}

fn single(key: &str, message: String) -> ConfigErrors {
    ConfigErrors(vec![ConfigIssue {
        key: key.into(),
        message,
    }])
}

fn read_file(source: &ConfigSource<'_>) -> Result<Option<Value>, String> {
    let path = match source {
        ConfigSource::Explicit(p) => *p,
        ConfigSource::Default if Path::new(DEFAULT_CONFIG_PATH).exists() => {
            Path::new(DEFAULT_CONFIG_PATH)
        }
        ConfigSource::Default | ConfigSource::None => return Ok(None),
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // Parsed with `toml` directly (not through `config`) for its line/column error messages.
    toml::from_str::<Value>(&text)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `TELECONSULT__SECTION__KEY=value` pairs, parsed by the `config` crate (numbers and booleans
/// recognised, lists comma-separated).
fn env_layer(env: &[(String, String)]) -> Value {
    let source = config::Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        .list_separator(",")
        .with_list_parse_key("site.languages")
        .with_list_parse_key("media.stun_servers")
        .with_list_parse_key("media.turn_servers")
        .with_list_parse_key("booking.reminder_offsets")
        .with_list_parse_key("auth.second_factors")
        .source(Some(env.iter().cloned().collect()));
    config::Config::builder()
        .add_source(source)
        .build()
        .and_then(|c| c.try_deserialize::<Value>())
        .unwrap_or(Value::Object(serde_json::Map::new()))
}

/// Environment keys arrive lower-cased (`…__NATIONAL_ID_SYSTEMS__LU` → `lu`); country codes are
/// upper case in the file and the defaults.
fn upper_case_country_keys(value: &mut Value) {
    if let Some(Value::Object(systems)) = value
        .get_mut("platform")
        .and_then(|p| p.get_mut("national_id_systems"))
    {
        *systems = std::mem::take(systems)
            .into_iter()
            .map(|(k, v)| (k.to_uppercase(), v))
            .collect();
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Reports and removes keys that the defaults do not have, and sections given as plain values
/// (their defaults then apply, so each problem is reported once).
fn find_unknown(known: &Value, value: &mut Value, prefix: &str, issues: &mut Vec<ConfigIssue>) {
    let (Value::Object(known), Value::Object(map)) = (known, value) else {
        return;
    };
    let mut remove = Vec::new();
    for (k, v) in map.iter_mut() {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match known.get(k) {
            None => remove.push((
                k.clone(),
                ConfigIssue {
                    key: path,
                    message: if prefix == NATIONAL_ID_SYSTEMS {
                        "unknown country (LU, FR or PT)".into()
                    } else {
                        "unknown key".into()
                    },
                },
            )),
            Some(kv @ Value::Object(_)) if v.is_object() => find_unknown(kv, v, &path, issues),
            Some(Value::Object(_)) => remove.push((
                k.clone(),
                ConfigIssue {
                    key: path,
                    message: "expected a table (a [section])".into(),
                },
            )),
            Some(_) => {}
        }
    }
    for (k, issue) in remove {
        map.remove(&k);
        issues.push(issue);
    }
}

/// Environment values arrive typed by guesswork (`8443` is a number); where the key holds text,
/// turn numbers and booleans back into text.
fn coerce_scalars(known: &Value, value: &mut Value) {
    match (known, value) {
        (Value::Object(k), Value::Object(v)) => {
            for (key, val) in v.iter_mut() {
                if let Some(kv) = k.get(key) {
                    coerce_scalars(kv, val);
                }
            }
        }
        (Value::String(_) | Value::Null, v @ (Value::Number(_) | Value::Bool(_))) => {
            *v = Value::String(v.to_string())
        }
        (Value::Array(_), Value::Array(items)) => {
            for item in items {
                if matches!(item, Value::Number(_) | Value::Bool(_)) {
                    *item = Value::String(item.to_string());
                }
            }
        }
        _ => {}
    }
}

/// Deserializes, and on each error records it with its path, removes the bad value (its default
/// applies for the rest of the check) and tries again, so every bad value is reported.
fn deserialize_collecting(mut value: Value, issues: &mut Vec<ConfigIssue>) -> Config {
    // Each round removes one key, so there are at most as many rounds as keys.
    for _ in 0..256 {
        match serde_path_to_error::deserialize::<_, Config>(&value) {
            Ok(config) => return config,
            Err(err) => {
                let segments: Vec<String> = err
                    .path()
                    .iter()
                    .filter_map(|s| match s {
                        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                        _ => None,
                    })
                    .collect();
                issues.push(ConfigIssue {
                    key: segments.join("."),
                    message: err.inner().to_string(),
                });
                if segments.is_empty() || !remove_path(&mut value, &segments) {
                    break;
                }
            }
        }
    }
    Config::default()
}

fn remove_path(value: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut node = value;
    for p in parents {
        match node.get_mut(p) {
            Some(next) => node = next,
            None => return false,
        }
    }
    node.as_object_mut()
        .is_some_and(|m| m.remove(last).is_some())
}

/// Rules across keys and on values serde cannot check.
fn validate(c: &Config, issues: &mut Vec<ConfigIssue>) {
    let mut bad = |key: &str, message: &str| {
        issues.push(ConfigIssue {
            key: key.into(),
            message: message.into(),
        })
    };
    // The site id is also the site code in document numbers (`SITE-YYYY-NNNNNN`): the same
    // rule as `normalise_site_code`, lower case here.
    let id_ok = c
        .site
        .id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && teleconsult_core::site::normalise_site_code(&c.site.id).is_ok();
    if !id_ok {
        bad(
            "site.id",
            &format!(
                "must be 1 to {} characters among a-z, 0-9 and -, not starting or ending with -",
                teleconsult_core::site::MAX_SITE_CODE_LEN
            ),
        );
    }
    if c.site.name.trim().is_empty() {
        bad("site.name", "must not be empty");
    }
    if jiff::tz::TimeZone::get(&c.site.timezone).is_err() {
        bad(
            "site.timezone",
            "not a known IANA time zone (e.g. Europe/Luxembourg)",
        );
    }
    if c.site.languages.is_empty() {
        bad("site.languages", "must list at least one language");
    }
    match (&c.http.tls_cert, &c.http.tls_key) {
        (Some(_), None) => bad("http.tls_key", "required when http.tls_cert is set"),
        (None, Some(_)) => bad("http.tls_cert", "required when http.tls_key is set"),
        (None, None) if !c.site.demo => bad(
            "http.tls_cert",
            "a certificate and key (http.tls_cert, http.tls_key) are required outside demo mode",
        ),
        _ => {}
    }
    url_with_scheme(
        &mut bad,
        "http.public_url",
        c.http.public_url.as_deref(),
        &["https://"],
    );
    if c.http.shutdown_grace_s == 0 || c.http.shutdown_grace_s > 300 {
        bad("http.shutdown_grace_s", "must be between 1 and 300 seconds");
    }
    if c.storage.reserve_percent > 50 {
        bad("storage.reserve_percent", "must be between 0 and 50");
    }
    if c.storage.reserve_mb > 1024 * 1024 {
        bad("storage.reserve_mb", "must be at most 1048576 (1 TB)");
    }
    if c.storage.check_interval_h > 24 * 30 {
        bad(
            "storage.check_interval_h",
            "must be between 0 (only at start) and 720 hours",
        );
    }
    if let Some(contact) = &c.admin.contact
        && (contact.trim().is_empty()
            || contact.chars().count() > 200
            || contact.chars().any(char::is_control))
    {
        bad(
            "admin.contact",
            "must be 1 to 200 characters on one line (e.g. \"IT desk, +352 12 34 56\")",
        );
    }
    url_with_scheme(
        &mut bad,
        "platform.base_url",
        c.platform.base_url.as_deref(),
        &["https://", "http://"],
    );
    match c.platform.auth {
        PlatformAuth::Bearer if c.platform.token_file.is_none() => bad(
            "platform.token_file",
            "required when platform.auth = \"bearer\"",
        ),
        PlatformAuth::Mtls
            if c.platform.client_cert.is_none() || c.platform.client_key.is_none() =>
        {
            bad(
                "platform.client_cert",
                "platform.client_cert and platform.client_key are required when platform.auth = \"mtls\"",
            )
        }
        _ => {}
    }
    if c.platform.poll_interval_s == 0 {
        bad("platform.poll_interval_s", "must be at least 1 second");
    }
    for country in Country::ALL {
        if let Some(system) = c.platform.national_id_systems.get(country)
            && !is_identifier_system(system)
        {
            bad(
                &format!("{NATIONAL_ID_SYSTEMS}.{}", country.code()),
                "must be an absolute URI: urn:<namespace>:<name> (e.g. urn:oid:1.2.250.1.213.1.4.8) or http(s)://…",
            );
        }
    }
    if !(100..=20_000).contains(&c.media.max_bitrate_kbps) {
        bad("media.max_bitrate_kbps", "must be between 100 and 20000");
    } else if !(50..=c.media.max_bitrate_kbps).contains(&c.media.min_bitrate_kbps) {
        bad(
            "media.min_bitrate_kbps",
            &format!(
                "must be between 50 and media.max_bitrate_kbps ({})",
                c.media.max_bitrate_kbps
            ),
        );
    }
    if !(1..=50).contains(&c.media.attachment_max_mb) {
        bad("media.attachment_max_mb", "must be between 1 and 50");
    }
    for (key, list) in [
        ("media.stun_servers", &c.media.stun_servers),
        ("media.turn_servers", &c.media.turn_servers),
    ] {
        let scheme = if key.contains("stun") {
            "stun:"
        } else {
            "turn"
        };
        if list.iter().any(|s| !s.starts_with(scheme)) {
            bad(key, &format!("each entry must be a {scheme} URI"));
        }
    }
    url_with_scheme(
        &mut bad,
        "notify.email.smtp_url",
        c.notify.email.smtp_url.as_deref(),
        &["smtp://", "smtps://"],
    );
    if !c.notify.email.from.contains('@') {
        bad("notify.email.from", "must be an e-mail address");
    }
    url_with_scheme(
        &mut bad,
        "notify.sms.url",
        c.notify.sms.url.as_deref(),
        &["https://", "http://"],
    );
    for (key, value) in [
        ("limits.login_per_minute", c.limits.login_per_minute),
        ("limits.otp_per_minute", c.limits.otp_per_minute),
        ("limits.register_per_hour", c.limits.register_per_hour),
        (
            "limits.password_reset_per_hour",
            c.limits.password_reset_per_hour,
        ),
        (
            "limits.open_appointments_per_account",
            c.limits.open_appointments_per_account,
        ),
        (
            "limits.uploads_per_appointment",
            c.limits.uploads_per_appointment,
        ),
        ("limits.uploads_per_day", c.limits.uploads_per_day),
        ("limits.exports_per_hour", c.limits.exports_per_hour),
    ] {
        if value == 0 {
            bad(key, "must be at least 1");
        }
    }
    if c.limits.password_hashing_concurrency > 64 {
        bad(
            "limits.password_hashing_concurrency",
            "must be at most 64 (each password check needs about 19 MiB; 0: the number of CPU cores)",
        );
    }
    for offset in &c.booking.reminder_offsets {
        match offset.parse::<jiff::SignedDuration>() {
            Ok(d) if d.is_positive() && d <= jiff::SignedDuration::from_hours(24 * 30) => {}
            _ => bad(
                "booking.reminder_offsets",
                &format!(
                    "{offset:?} is not a duration between 1s and 30 days (e.g. \"24h\", \"90m\")"
                ),
            ),
        }
    }
    if c.booking.reminder_offsets.len() > 8 {
        bad("booking.reminder_offsets", "at most 8 reminders");
    }
    if !(1..=365).contains(&c.booking.horizon_days) {
        bad("booking.horizon_days", "must be between 1 and 365");
    }
    if c.booking.patient_cancellation_deadline_min > 7 * 24 * 60 {
        bad(
            "booking.patient_cancellation_deadline_min",
            "must be at most a week (10080)",
        );
    }
    validate_print(&c.print, c.site.kind, &mut bad);
    booth::validate(&c.queue, &c.booth, &mut bad);
    if let Some(minutes) = c.auth.idle_timeout_min
        && !(0.05..=480.0).contains(&minutes)
    {
        bad(
            "auth.idle_timeout_min",
            "must be between 0.05 (3 seconds) and 480 (the 8-hour session limit) minutes",
        );
    }
    for (key, message) in c.auth.problems() {
        bad(key, &message);
    }
    if tracing_subscriber::EnvFilter::try_new(&c.log.level).is_err() {
        bad(
            "log.level",
            "not a valid filter (e.g. info, debug, info,teleconsult_web=debug)",
        );
    }
}

/// `[print]`: checked even while printing is off, so a mistake shows before it is switched on.
fn validate_print(p: &PrintConfig, kind: SiteKind, bad: &mut impl FnMut(&str, &str)) {
    if p.enabled && kind != SiteKind::Booth {
        bad(
            "print.enabled",
            "printing is for booth sites (site.kind = \"booth\"): the printer is where the patient sits",
        );
    }
    let command = p.command.trim();
    if command.is_empty() || command != p.command || command.contains(char::is_whitespace) {
        bad(
            "print.command",
            "must be the lp program: a name found in PATH or an absolute path, without arguments or spaces",
        );
    } else if command.contains('/') && !command.starts_with('/') {
        bad(
            "print.command",
            "a path must be absolute (e.g. /usr/bin/lp)",
        );
    }
    // CUPS destination names: printable, no space, '/', '#' or '\\' (lpadmin's rule), < 128.
    if p.printer.len() > 127
        || p.printer
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '/' | '#' | '\\'))
    {
        bad(
            "print.printer",
            "not a CUPS destination name (no spaces, /, # or \\; at most 127 characters)",
        );
    }
    if !p.server.is_empty() && !is_cups_server(&p.server) {
        bad(
            "print.server",
            "must be host:port (e.g. 127.0.0.1:631), a host name, or the absolute path of the CUPS socket",
        );
    }
    if !(1..=300).contains(&p.timeout_s) {
        bad("print.timeout_s", "must be between 1 and 300 seconds");
    }
}

/// What `lp -h` accepts: a socket path, or a host with an optional port.
fn is_cups_server(server: &str) -> bool {
    if server.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if server.starts_with('/') {
        return server.len() > 1;
    }
    let (host, port) = match server.rsplit_once(':') {
        // `[::1]:631` or `host:631`; a bare IPv6 address has more than one colon.
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => (host, Some(port)),
        _ => (server, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    !host.is_empty() && !host.starts_with('-') && port_ok
}

/// A FHIR `Identifier.system`: `urn:<nid>:<nss>` or an `http(s)://` URL with a host; no spaces.
fn is_identifier_system(system: &str) -> bool {
    if system.is_empty() || system.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if let Some(rest) = system.strip_prefix("urn:") {
        return rest
            .split_once(':')
            .is_some_and(|(nid, nss)| !nid.is_empty() && !nss.is_empty());
    }
    ["https://", "http://"].iter().any(|scheme| {
        system
            .strip_prefix(scheme)
            .is_some_and(|rest| rest.split('/').next().is_some_and(|host| !host.is_empty()))
    })
}

/// An optional URL must start with one of `schemes` and have something after it.
fn url_with_scheme(
    bad: &mut impl FnMut(&str, &str),
    key: &str,
    url: Option<&str>,
    schemes: &[&str],
) {
    let Some(url) = url else { return };
    let ok = schemes
        .iter()
        .any(|scheme| url.len() > scheme.len() && url.starts_with(scheme));
    if !ok {
        bad(
            key,
            &format!("must be a URL starting with {}", schemes.join(" or ")),
        );
    }
}

#[path = "config_safety.rs"]
mod safety;
pub use safety::{listens_on_loopback, warnings};

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
