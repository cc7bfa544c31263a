//! `teleconsultctl setup`: what a fresh installation needs before the first start, created
//! only where missing (the package's postinst runs it on every install and upgrade).

use super::CtlError;
use crate::config::Config;
use nix::unistd::{User, chown};
use std::path::Path;
use teleconsult_store::StorageKey;

/// One thing setup did or found, for the report.
pub type Actions = Vec<String>;

pub fn run(config: &Config, owner: Option<&str>, names: Vec<String>) -> Result<Actions, CtlError> {
    let owner = owner.map(resolve_user).transpose()?;
    let mut actions = Vec::new();

    let key_file = &config.storage.key_file;
    if key_file.exists() {
        actions.push(format!("storage key {}: present, kept", key_file.display()));
    } else {
        StorageKey::create(key_file).map_err(|e| CtlError::failure(e.to_string()))?;
        give(key_file, owner.as_ref())?;
        actions.push(format!(
            "storage key {}: created (0600{}); back it up apart from the data",
            key_file.display(),
            owner_note(owner.as_ref())
        ));
    }

    match (&config.http.tls_cert, &config.http.tls_key) {
        (Some(cert), Some(key)) => match (cert.exists(), key.exists()) {
            (false, false) => {
                let names = if names.is_empty() {
                    default_names()
                } else {
                    names
                };
                let shown = names.join(", ");
                crate::tls::generate_self_signed(cert, key, names)
                    .map_err(|e| CtlError::failure(format!("{e:#}")))?;
                give(key, owner.as_ref())?;
                actions.push(format!(
                    "TLS: generated a SELF-SIGNED placeholder certificate for {shown} at {} \
                     (key {}); replace both with the site's certificate and key",
                    cert.display(),
                    key.display()
                ));
            }
            (true, true) => {
                actions.push(format!("TLS certificate {}: present, kept", cert.display()))
            }
            _ => actions.push(format!(
                "TLS: only one of {} and {} exists; left alone (the daemon will refuse to start \
                 until both are there)",
                cert.display(),
                key.display()
            )),
        },
        _ => actions.push("TLS: no http.tls_cert/http.tls_key configured (demo mode)".into()),
    }
    Ok(actions)
}

fn resolve_user(name: &str) -> Result<User, CtlError> {
    match User::from_name(name) {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(CtlError::failure(format!("no user named {name:?}"))),
        Err(e) => Err(CtlError::failure(format!(
            "cannot look up user {name:?}: {e}"
        ))),
    }
}

fn give(path: &Path, owner: Option<&User>) -> Result<(), CtlError> {
    let Some(user) = owner else { return Ok(()) };
    chown(path, Some(user.uid), Some(user.gid)).map_err(|e| {
        CtlError::failure(format!(
            "cannot give {} to {}: {e}",
            path.display(),
            user.name
        ))
    })
}

fn owner_note(owner: Option<&User>) -> String {
    owner.map_or_else(String::new, |u| format!(", owner {}", u.name))
}

/// This host's name, plus the loopback names.
fn default_names() -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(host) = nix::unistd::gethostname() {
        let host = host.to_string_lossy().trim().to_owned();
        if !host.is_empty() && host != "localhost" {
            names.push(host);
        }
    }
    names.extend(["localhost", "127.0.0.1", "::1"].map(String::from));
    names
}
