//! Installs what the project needs on Debian 12, idempotently: only missing packages are
//! installed, and `apt-get update` runs only when something is missing.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::Command;

/// Needed to build and run the daemon.
pub const RUN_PACKAGES: &[&str] = &["pkg-config", "ca-certificates", "gcc"];

/// Needed by the test suite on top of [`RUN_PACKAGES`]: `curl`/`openssl` for TLS checks and
/// `python3-venv` for the Python test tools (OpenAPI validator, SMTP sink).
pub const TEST_PACKAGES: &[&str] = &[
    "pkg-config",
    "ca-certificates",
    "gcc",
    "curl",
    "openssl",
    "python3",
    "python3-venv",
];

/// Python packages used by tests, pinned, installed into `target/test-python` (rebuildable).
const PYTHON_PACKAGES: &[&str] = &["openapi-spec-validator==0.7.2"];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout).contains("install ok installed")
        })
}

pub fn ensure_debian_packages(packages: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        println!("==> system packages: all {} present", packages.len());
        return Ok(());
    }
    println!("==> installing system packages: {}", missing.join(" "));
    let root = nix_is_root();
    let apt = |args: &[&str]| -> anyhow::Result<()> {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        let status = cmd
            .status()
            .context("cannot run apt-get (is this Debian?)")?;
        if !status.success() {
            bail!(
                "apt-get {} failed ({status}); install these by hand: {}",
                args.join(" "),
                missing.join(" ")
            );
        }
        Ok(())
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    apt(&install)
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Creates `target/test-python` with the Python test tools; returns its interpreter.
pub fn ensure_python_tools() -> anyhow::Result<PathBuf> {
    let venv = super::root().join("target/test-python");
    let python = venv.join("bin/python");
    let stamp = venv.join(".installed");
    let wanted = PYTHON_PACKAGES.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) && python.exists() {
        println!("==> python test tools: present");
        return Ok(python);
    }
    println!("==> installing python test tools into {}", venv.display());
    let status = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .status()?;
    if !status.success() {
        bail!("python3 -m venv failed ({status})");
    }
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PYTHON_PACKAGES)
        .status()?;
    if !status.success() {
        bail!(
            "pip install {} failed ({status})",
            PYTHON_PACKAGES.join(" ")
        );
    }
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}
