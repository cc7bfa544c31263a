//! TLS server configuration: the configured certificate, or in demo mode a self-signed one kept
//! in the storage folder (so a browser exception survives restarts).
//!
//! A fresh package install has no certificate of the site's own: `teleconsultctl setup` (run by
//! the package's postinst) generates a self-signed one at the configured `http.tls_cert` and
//! `http.tls_key`, marked by a comment line in the PEM file ([`GENERATED_MARKER`]). The daemon
//! serves with it and flags it wherever an administrator looks (systemd STATUS, the log,
//! `teleconsultctl status`) until it is replaced.

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// First line of a certificate file written by [`generate_self_signed`]. PEM parsers ignore
/// text outside `-----BEGIN`/`-----END` sections (RFC 7468 explanatory text).
pub const GENERATED_MARKER: &str =
    "# teleconsult: self-signed certificate generated at installation; replace this file";

/// Where the served certificate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsKind {
    /// The files configured in `http.tls_cert` and `http.tls_key`.
    Configured,
    /// The placeholder `teleconsultctl setup` generated: browsers warn until it is replaced.
    GeneratedSelfSigned,
    /// Demo mode's own self-signed certificate.
    Demo,
}

impl TlsKind {
    /// What the served certificate is, from the configured paths.
    pub fn of(cert: Option<&Path>) -> Self {
        match cert {
            None => TlsKind::Demo,
            Some(path) if is_generated(path) => TlsKind::GeneratedSelfSigned,
            Some(_) => TlsKind::Configured,
        }
    }

    /// A warning for the administrator, when the certificate needs attention.
    pub fn warning(self) -> Option<&'static str> {
        match self {
            TlsKind::GeneratedSelfSigned => Some(
                "serving a SELF-SIGNED certificate generated at installation (browsers will \
                 warn): install the site's certificate and key at http.tls_cert and \
                 http.tls_key, then systemctl restart teleconsultd",
            ),
            TlsKind::Demo | TlsKind::Configured => None,
        }
    }
}

/// Whether `cert` is the placeholder written by [`generate_self_signed`].
pub fn is_generated(cert: &Path) -> bool {
    use std::io::BufRead;
    std::fs::File::open(cert)
        .map(std::io::BufReader::new)
        .and_then(|mut r| {
            let mut first = String::new();
            r.read_line(&mut first).map(|_| first)
        })
        .is_ok_and(|first| first.trim_end() == GENERATED_MARKER)
}

/// Writes a self-signed certificate for `names` to `cert` (0644) and its key to `key` (0600),
/// the certificate marked as generated. Refuses to overwrite either file.
pub fn generate_self_signed(cert: &Path, key: &Path, names: Vec<String>) -> anyhow::Result<()> {
    if cert.exists() || key.exists() {
        anyhow::bail!(
            "{} or {} already exists; not overwriting",
            cert.display(),
            key.display()
        );
    }
    for dir in [cert.parent(), key.parent()].into_iter().flatten() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    let certified = rcgen::generate_simple_self_signed(names)
        .context("generating a self-signed certificate")?;
    write_private(key, certified.signing_key.serialize_pem().as_bytes())?;
    let pem = format!("{GENERATED_MARKER}\n{}", certified.cert.pem());
    std::fs::write(cert, pem).with_context(|| format!("cannot write {}", cert.display()))?;
    Ok(())
}

/// Builds the rustls server configuration (HTTP/2 and HTTP/1.1 via ALPN).
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read TLS certificate {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("TLS certificate {} is not valid PEM", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("TLS certificate {} holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| {
        format!(
            "cannot read TLS private key {} (PEM, PKCS#8/RSA/EC)",
            key.display()
        )
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .context("the TLS certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Demo mode: `<storage>/tls/demo-cert.pem` and `demo-key.pem`, created on first start for
/// `localhost`, `127.0.0.1` and `::1`. Returns their paths.
pub fn demo_certificate(storage: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = storage.join("tls");
    let cert_path = dir.join("demo-cert.pem");
    let key_path = dir.join("demo-key.pem");
    if cert_path.exists() && key_path.exists() {
        return Ok((cert_path, key_path));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified =
        rcgen::generate_simple_self_signed(names).context("generating the demo certificate")?;
    write_private(&key_path, certified.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(&cert_path, certified.cert.pem())
        .with_context(|| format!("cannot write {}", cert_path.display()))?;
    Ok((cert_path, key_path))
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_generated_certificate_is_flagged_and_serves() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (
            dir.path().join("tls/cert.pem"),
            dir.path().join("tls/key.pem"),
        );
        generate_self_signed(&cert, &key, vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert_eq!(TlsKind::of(Some(&cert)), TlsKind::GeneratedSelfSigned);
        assert!(
            TlsKind::GeneratedSelfSigned
                .warning()
                .unwrap()
                .contains("http.tls_cert")
        );
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // The marker line does not stop the PEM from loading.
        server_config(&cert, &key).unwrap();
        // Never overwritten.
        let before = std::fs::read(&cert).unwrap();
        let err = generate_self_signed(&cert, &key, vec!["localhost".into()]).unwrap_err();
        assert!(err.to_string().contains("not overwriting"), "{err}");
        assert_eq!(std::fs::read(&cert).unwrap(), before);
    }

    #[test]
    fn a_certificate_of_the_site_is_not_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _key) = demo_certificate(dir.path()).unwrap();
        assert_eq!(TlsKind::of(Some(&cert)), TlsKind::Configured);
        assert_eq!(TlsKind::of(None), TlsKind::Demo);
        assert_eq!(TlsKind::Configured.warning(), None);
        assert_eq!(
            TlsKind::of(Some(&dir.path().join("absent.pem"))),
            TlsKind::Configured
        );
    }
}
