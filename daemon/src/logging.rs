//! Tracing set-up: journald under systemd, otherwise pretty or JSON; the level can be reloaded
//! (SIGHUP) without a restart.

use crate::config::{LogConfig, LogFormat};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

/// The registry with the reloadable filter applied first: outputs stack on top of it.
type Filtered = tracing_subscriber::layer::Layered<reload::Layer<EnvFilter, Registry>, Registry>;

/// Changes the active filter.
pub struct LogHandle {
    reload: reload::Handle<EnvFilter, Registry>,
}

impl LogHandle {
    pub fn set_level(&self, level: &str) -> anyhow::Result<()> {
        let filter = EnvFilter::try_new(level)?;
        self.reload.reload(filter)?;
        Ok(())
    }
}

/// The format actually used: `format` if set, else journald when systemd gave us a journal
/// stream, else pretty.
pub fn effective_format(config: &LogConfig) -> LogFormat {
    config.format.unwrap_or_else(|| {
        if std::env::var_os("JOURNAL_STREAM").is_some() {
            LogFormat::Journald
        } else {
            LogFormat::Pretty
        }
    })
}

/// Installs the global subscriber. Journald unavailable (no socket) falls back to pretty output
/// on stderr, with a warning once the subscriber is up.
pub fn init(config: &LogConfig) -> anyhow::Result<LogHandle> {
    let filter = EnvFilter::try_new(&config.level)?;
    let (filter, reload) = reload::Layer::new(filter);
    let mut fallback_reason = None;
    let output: Box<dyn Layer<Filtered> + Send + Sync> = match effective_format(config) {
        LogFormat::Json => Box::new(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(std::io::stderr),
        ),
        LogFormat::Pretty => {
            Box::new(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        }
        LogFormat::Journald => match tracing_journald::layer() {
            Ok(layer) => Box::new(layer.with_syslog_identifier("teleconsultd".into())),
            Err(e) => {
                fallback_reason = Some(e.to_string());
                Box::new(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            }
        },
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .try_init()?;
    if let Some(reason) = fallback_reason {
        tracing::warn!(%reason, "journald is not reachable; logging to stderr");
    }
    Ok(LogHandle { reload })
}
