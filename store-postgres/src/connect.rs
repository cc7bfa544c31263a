//! Connecting: the libpq URL as PostgreSQL documents it (several hosts, and
//! `target_session_attrs=read-write` to find the primary after a failover), TLS through rustls
//! (the system's roots, or the site's CA file), the pool, and the schema's migrations.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::error::PgError;
use crate::sql::Cached;

refinery::embed_migrations!("migrations");

/// Serialises migrations when several daemons start at once (`pg_advisory_lock` key).
const MIGRATION_LOCK: i64 = 0x7465_6c65_636f_0001;

/// `[storage.postgres]`.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// libpq connection URL, e.g.
    /// `postgresql://teleconsult@db1,db2/teleconsult?target_session_attrs=read-write&sslmode=require`.
    /// Its password, if any, is never logged.
    pub url: String,
    /// PEM file of the certificate authorities trusted for the server's certificate (default:
    /// the system's roots).
    pub ca_file: Option<PathBuf>,
    /// Connections kept open at most.
    pub pool_size: usize,
    /// How long a request waits for a connection before failing as unavailable.
    pub wait: Duration,
}

impl PgOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ca_file: None,
            pool_size: 16,
            wait: Duration::from_secs(5),
        }
    }
}

pub(crate) fn pool(options: &PgOptions) -> Result<deadpool_postgres::Pool, PgError> {
    let mut config = tokio_postgres::Config::from_str(&options.url)
        // The parser's messages do not quote the URL (which may hold a password).
        .map_err(|e| PgError::Config(format!("url: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_tls(options)?);
    let manager = deadpool_postgres::Manager::from_config(
        config,
        tls,
        deadpool_postgres::ManagerConfig {
            // No query on each checkout (a round trip per request): a connection that died
            // in a failover fails its next query (503 to that request) and is replaced.
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    deadpool_postgres::Pool::builder(manager)
        .max_size(options.pool_size.max(1))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(options.wait))
        .create_timeout(Some(options.wait))
        .build()
        .map_err(|e| PgError::Config(format!("pool: {e}")))
}

fn client_tls(options: &PgOptions) -> Result<rustls::ClientConfig, PgError> {
    let mut roots = rustls::RootCertStore::empty();
    match &options.ca_file {
        Some(path) => {
            use rustls_pki_types::pem::PemObject;
            let certificates = rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| PgError::Config(format!("ca_file {}: {e}", path.display())))?;
            for certificate in certificates {
                let certificate = certificate
                    .map_err(|e| PgError::Config(format!("ca_file {}: {e}", path.display())))?;
                roots
                    .add(certificate)
                    .map_err(|e| PgError::Config(format!("ca_file {}: {e}", path.display())))?;
            }
        }
        None => {
            // Unreadable system certificates are skipped; none at all only matters if the
            // server asks for TLS, and then the handshake says so.
            for certificate in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(certificate);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PgError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Applies the migrations the database lacks, under an advisory lock; refuses a database
/// migrated by a newer daemon, or whose applied migrations differ from this binary's.
pub(crate) async fn migrate(object: &mut deadpool_postgres::Object) -> Result<(), PgError> {
    object
        .exec("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let outcome = migrations::runner()
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run_async::<tokio_postgres::Client>(object)
        .await;
    object
        .exec("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    match outcome {
        Ok(report) => {
            for applied in report.applied_migrations() {
                tracing::info!(
                    version = applied.version(),
                    name = applied.name(),
                    "applied a PostgreSQL migration"
                );
            }
            Ok(())
        }
        Err(e) => Err(PgError::Migration(match e.kind() {
            refinery::error::Kind::MissingVersion(m) => format!(
                "the database has migration {} ({}), which this teleconsultd does not know: it \
                 was migrated by a newer version; upgrade this daemon",
                m.version(),
                m.name()
            ),
            refinery::error::Kind::DivergentVersion(applied, ours) => format!(
                "migration {} applied to the database differs from this teleconsultd's ({}): \
                 the schema was changed by hand or by another build",
                applied.version(),
                ours.name()
            ),
            other => other.to_string(),
        })),
    }
}
