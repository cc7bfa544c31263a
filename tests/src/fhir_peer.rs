//! The FHIR peer: a real FHIR R4 server (`tests/fhir-peer`, Node over `@medplum/fhir-router`)
//! started per test on ephemeral loopback ports, with its admin endpoint for fault injection
//! and for counting what it stored. `cargo xtask test` installs its packages (`npm ci`).
//!
//! By default it speaks plain HTTP and asks for no credentials. [`PeerOptions`] make it demand a
//! bearer token (rotatable through the admin API) and/or serve HTTPS requiring a client
//! certificate from a [`TestPki`] made with rcgen in the test's temporary folder.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running peer; killed when dropped.
pub struct FhirPeer {
    child: Child,
    /// FHIR base URL, `http://127.0.0.1:PORT/fhir` (`https://` when serving TLS).
    pub base_url: String,
    admin_url: String,
    http: reqwest::Client,
}

/// How the peer is started; the default is plain HTTP, no authentication, no validation.
#[derive(Clone, Debug, Default)]
pub struct PeerOptions {
    /// FHIR validation of everything written (`FHIR_VALIDATE=1`).
    pub validate: bool,
    /// FHIR requests must carry `Authorization: Bearer <token>` (else 401).
    pub bearer_token: Option<String>,
    /// Serve FHIR over HTTPS with `pki`'s server certificate and require a client certificate
    /// signed by `pki`'s CA (mutual TLS).
    pub mtls: Option<TestPki>,
}

/// A test certificate authority with a server certificate (127.0.0.1, localhost) and a client
/// certificate it signed, as PEM files in a folder the test owns.
#[derive(Clone, Debug)]
pub struct TestPki {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl TestPki {
    /// Creates the CA `name` and its two certificates in `dir` (files prefixed with `name`).
    pub fn generate(dir: &Path, name: &str) -> anyhow::Result<Self> {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
            IsCa, KeyPair, KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

        let leaf = |sans: Vec<String>, common_name: &str, usage: ExtendedKeyUsagePurpose| {
            let mut params = CertificateParams::new(sans)?;
            params
                .distinguished_name
                .push(DnType::CommonName, common_name);
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            params.extended_key_usages = vec![usage];
            params.use_authority_key_identifier_extension = true;
            let key = KeyPair::generate()?;
            let cert = params.signed_by(&key, &ca)?;
            anyhow::Ok((cert.pem(), key.serialize_pem()))
        };
        let server = leaf(
            vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
            "127.0.0.1",
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        let client = leaf(
            Vec::new(),
            &format!("{name} test site"),
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;

        let pki = TestPki {
            ca_cert: dir.join(format!("{name}-ca.pem")),
            server_cert: dir.join(format!("{name}-server.pem")),
            server_key: dir.join(format!("{name}-server-key.pem")),
            client_cert: dir.join(format!("{name}-client.pem")),
            client_key: dir.join(format!("{name}-client-key.pem")),
        };
        std::fs::write(&pki.ca_cert, ca.pem())?;
        std::fs::write(&pki.server_cert, server.0)?;
        write_private(&pki.server_key, &server.1)?;
        std::fs::write(&pki.client_cert, client.0)?;
        write_private(&pki.client_key, &client.1)?;
        Ok(pki)
    }
}

/// A private key file, mode 0600.
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(pem.as_bytes())?;
    Ok(())
}

/// The folder of the peer's sources.
pub fn peer_dir() -> std::path::PathBuf {
    crate::daemon::workspace_root().join("tests/fhir-peer")
}

impl FhirPeer {
    /// Starts the peer (plain HTTP, no authentication); `validate` turns on FHIR validation of
    /// everything written (`FHIR_VALIDATE=1`).
    pub async fn start(validate: bool) -> anyhow::Result<Self> {
        Self::start_with(PeerOptions {
            validate,
            ..PeerOptions::default()
        })
        .await
    }

    /// Starts the peer with authentication and/or mutual TLS.
    pub async fn start_with(options: PeerOptions) -> anyhow::Result<Self> {
        crate::init_crypto();
        let dir = peer_dir();
        if !dir.join("node_modules/@medplum/fhir-router").exists() {
            bail!(
                "{} has no node_modules: run the suite with `cargo xtask test` (it runs `npm ci` there)",
                dir.display()
            );
        }
        let mut command = Command::new("node");
        command
            .arg("server.mjs")
            .current_dir(&dir)
            .env("PORT", "0")
            .env("ADMIN_PORT", "0")
            .env("FHIR_VALIDATE", if options.validate { "1" } else { "0" })
            .env_remove("BEARER_TOKEN")
            .env_remove("TLS_CERT")
            .env_remove("TLS_KEY")
            .env_remove("TLS_CLIENT_CA");
        if let Some(token) = &options.bearer_token {
            command.env("BEARER_TOKEN", token);
        }
        if let Some(pki) = &options.mtls {
            command
                .env("TLS_CERT", &pki.server_cert)
                .env("TLS_KEY", &pki.server_key)
                .env("TLS_CLIENT_CA", &pki.ca_cert);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start node (is Node.js 20 installed?)")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .context("the FHIR peer did not start within 60 s")??
            .context("the FHIR peer exited before listening")?;
        let ports: Value =
            serde_json::from_str(&line).context("unexpected first line from the peer")?;
        let fhir = ports["fhir"].as_u64().context("no fhir port")?;
        let admin = ports["admin"].as_u64().context("no admin port")?;
        if ports["mtls"] != json!(options.mtls.is_some()) {
            bail!("the peer did not take the TLS settings: {line}");
        }
        let scheme = if options.mtls.is_some() {
            "https"
        } else {
            "http"
        };
        Ok(FhirPeer {
            child,
            base_url: format!("{scheme}://127.0.0.1:{fhir}/fhir"),
            admin_url: format!("http://127.0.0.1:{admin}/admin"),
            // No pooled connections: each admin call is independent of the faults in force.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(0)
                .build()?,
        })
    }

    /// Sets faults at once (see `server.mjs`: `status`+`count`, `delay_ms`, `drop`, `lose`,
    /// `outage`); fields left out are cleared.
    pub async fn fault(&self, faults: Value) -> anyhow::Result<()> {
        self.admin_post("fault", faults).await.map(drop)
    }

    async fn admin_post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/{path}", self.admin_url))
            .json(&body)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("peer admin {path}: HTTP {}", response.status());
        }
        Ok(response.json().await?)
    }

    /// Full outage (connection refused) on, or back to normal.
    pub async fn outage(&self, on: bool) -> anyhow::Result<()> {
        self.admin_post("fault", json!({ "outage": on }))
            .await
            .map(drop)
    }

    /// The next `count` FHIR requests answer `status` (`count < 0`: until cleared).
    pub async fn error_burst(&self, status: u16, count: i64) -> anyhow::Result<()> {
        self.admin_post("fault", json!({ "status": status, "count": count }))
            .await
            .map(drop)
    }

    /// Every FHIR answer is delayed by `ms`.
    pub async fn slow(&self, ms: u64) -> anyhow::Result<()> {
        self.admin_post("fault", json!({ "delay_ms": ms }))
            .await
            .map(drop)
    }

    /// The next `count` FHIR connections are dropped without an answer.
    pub async fn drop_connections(&self, count: u64) -> anyhow::Result<()> {
        self.admin_post("fault", json!({ "drop": count }))
            .await
            .map(drop)
    }

    /// No fault any more.
    pub async fn heal(&self) -> anyhow::Result<()> {
        self.admin_post("fault", json!({})).await.map(drop)
    }

    /// From now on FHIR requests must carry this bearer token (`None`: no token needed); the
    /// previous one stops working at once, as after a rotation on the platform.
    pub async fn set_bearer_token(&self, token: Option<&str>) -> anyhow::Result<()> {
        self.admin_post("auth", json!({ "bearer": token }))
            .await
            .map(drop)
    }

    /// Empties the repository, faults and statistics (authentication settings stay).
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.admin_post("reset", json!({})).await.map(drop)
    }

    /// `{"requests", "faulted", "dropped", "unauthorized", "tls_refused", "byStatus",
    /// "log": [{"t","method","path","status"}]}`.
    pub async fn stats(&self) -> anyhow::Result<Value> {
        Ok(self
            .http
            .get(format!("{}/stats", self.admin_url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Every stored resource of a type (bypasses faults and paging).
    pub async fn resources(&self, resource_type: &str) -> anyhow::Result<Vec<Value>> {
        Ok(self
            .http
            .get(format!("{}/resources/{resource_type}", self.admin_url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// How many stored resources of a type carry `system|value`.
    pub async fn count_by_identifier(
        &self,
        resource_type: &str,
        system: &str,
        value: &str,
    ) -> anyhow::Result<usize> {
        Ok(count_with_identifier(
            &self.resources(resource_type).await?,
            system,
            value,
        ))
    }

    /// Stops the peer and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// How many of `resources` carry identifier `system|value`.
pub fn count_with_identifier(resources: &[Value], system: &str, value: &str) -> usize {
    resources
        .iter()
        .filter(|r| {
            r["identifier"].as_array().is_some_and(|ids| {
                ids.iter()
                    .any(|i| i["system"] == system && i["value"] == value)
            })
        })
        .count()
}

/// Bookings and documents written into a real store, as booking and document code will (one
/// transaction per change, the outbox message inside it): the sync tests and `cargo xtask bench
/// sync` drain them.
pub mod workload;

/// `cargo xtask bench sync`: how fast the worker drains a backlog after an outage, against
/// the peer's own ingest ceiling for the very same requests, measured side by side.
pub mod bench;
