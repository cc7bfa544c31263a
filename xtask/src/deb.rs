//! `cargo xtask deb`: the Debian package `teleconsult`, from a release build, checked with
//! lintian. The metadata is `[package.metadata.deb]` in `daemon/Cargo.toml`; the packaging
//! test builds its own package from the debug binaries instead (no release build in CI).

use anyhow::{Context, bail};
use std::process::Command;

/// The cargo-deb the project is tested with (`--profile dev --no-build` works with it).
pub const CARGO_DEB_VERSION: &str = "3.8.0";

/// Installs cargo-deb (pinned) unless that version is already there.
pub fn ensure_cargo_deb() -> anyhow::Result<()> {
    let found = Command::new("cargo-deb")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if found
        .as_deref()
        .is_some_and(|v| v.split_whitespace().any(|w| w == CARGO_DEB_VERSION))
    {
        println!("==> cargo-deb {CARGO_DEB_VERSION}: present");
        return Ok(());
    }
    super::step(
        &format!("installing cargo-deb {CARGO_DEB_VERSION} (about a minute)"),
        super::cargo().args([
            "install",
            "cargo-deb",
            "--version",
            CARGO_DEB_VERSION,
            "--locked",
        ]),
    )
}

/// `cargo xtask deb [--deb-revision N] [-- cargo-deb args]`.
pub fn deb(args: &[String]) -> anyhow::Result<()> {
    super::deps::ensure_debian_packages(super::deps::DEB_PACKAGES)?;
    ensure_cargo_deb()?;
    let extra: Vec<&String> = args.iter().filter(|a| *a != "--").collect();
    let mut cmd = super::cargo();
    cmd.args(["deb", "-p", "teleconsultd", "--locked"])
        .args(&extra);
    println!("\n==> cargo deb (release build: about 12 minutes from scratch on 2 cores)");
    let output = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo deb")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    if !output.status.success() {
        bail!("cargo deb failed ({})", output.status);
    }
    let package = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.ends_with(".deb"))
        .context("cargo deb printed no package path")?
        .to_owned();
    let lint = Command::new("lintian")
        .arg(&package)
        .output()
        .context("cannot run lintian")?;
    let report = String::from_utf8_lossy(&lint.stdout);
    print!("{report}");
    if report.lines().any(|l| l.starts_with("E:")) {
        bail!("lintian found errors in {package}");
    }
    let size = std::fs::metadata(&package)?.len();
    println!(
        "\n==> {package} ({:.1} MB); install on the box with: apt install ./{}",
        size as f64 / 1e6,
        std::path::Path::new(&package)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    Ok(())
}
