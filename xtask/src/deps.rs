//! Installs what the project needs on Debian 12, idempotently: only missing packages are
//! installed, and `apt-get update` runs only when something is missing.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::Command;

/// Needed to build and run the daemon: a C compiler and pkg-config for -sys crates, and
/// GStreamer (libraries to build `teleconsult-media`, plugins to run the booth pipeline).
pub const RUN_PACKAGES: &[&str] = &[
    "pkg-config",
    "ca-certificates",
    "gcc",
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    "libgstreamer-plugins-bad1.0-dev",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-nice",
    // DejaVu fonts embedded in every issued document's PDF (web/src/documents/pdf.rs).
    "fonts-dejavu-core",
];

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
    // The packaging test (tests/e2e/packaging.rs): cargo-deb's tools, lintian, a debootstrapped
    // Debian booted with systemd-nspawn (entered with nsenter), systemd-analyze.
    "dpkg-dev",
    "binutils",
    "lintian",
    "debootstrap",
    "debian-archive-keyring",
    "systemd-container",
    "systemd",
    "util-linux",
    // Media (teleconsult-media and its tests): GStreamer to build and run the booth pipeline,
    // Chromium + chromedriver as the browser peer, namespaces/veth (iproute2), loss (nftables),
    // delay (iptables-legacy NFQUEUE + NetfilterQueue, built from source), Xvfb for a screen.
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    "libgstreamer-plugins-bad1.0-dev",
    "gstreamer1.0-tools",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-nice",
    "gstreamer1.0-libav",
    "gstreamer1.0-alsa",
    "gstreamer1.0-pulseaudio",
    "gstreamer1.0-x",
    "chromium",
    "chromium-driver",
    "xvfb",
    "nftables",
    "iproute2",
    "iptables",
    "libnetfilter-queue-dev",
    "python3-dev",
    // Documents (tests/e2e/documents.rs): PDF text (pdftotext), pages as PNG (pdftoppm), the
    // prescription's QR code decoded (zbarimg); the fonts the daemon embeds.
    "poppler-utils",
    "zbar-tools",
    "fonts-dejavu-core",
    // Printing at the booth (tests/e2e/printing.rs): a real CUPS scheduler per test (cupsd),
    // lp/lpadmin/lpstat, and CUPS's gziptoany filter that hands the PDF to a file device.
    "cups-daemon",
    "cups-client",
    "cups-core-drivers",
    // The PostgreSQL adapter (tests/conformance): a real server per test, started unprivileged
    // in a temporary folder (initdb, pg_ctl), and pgbench for the booking benchmark's reference.
    "postgresql",
];

/// Needed by `cargo xtask deb`: cargo-deb runs `dpkg-shlibdeps`/`dpkg-architecture` (dpkg-dev)
/// and `strip` (binutils); lintian checks the result.
pub const DEB_PACKAGES: &[&str] = &[
    "gcc",
    "pkg-config",
    "dpkg-dev",
    "binutils",
    "lintian",
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    "libgstreamer-plugins-bad1.0-dev",
];

/// Python packages used by tests, pinned, installed into `target/test-python` (rebuildable).
/// NetfilterQueue: the media benchmark's 50 ms delay (tests/media-page/nfq_delay.py).
const PYTHON_PACKAGES: &[&str] = &[
    "openapi-spec-validator==0.7.2",
    "aiosmtpd==1.4.6",
    // An independent iCalendar parser: the booking e-mails' `.ics` checked as iTIP.
    "icalendar==7.3.0",
    "NetfilterQueue==1.1.0",
];

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

/// Installs the FHIR test peer's Node packages (`npm ci` in `tests/fhir-peer`, exactly as
/// locked) when missing or when the lock file changed. Needs Node.js 20 (`@medplum` 4.x).
pub fn ensure_fhir_peer() -> anyhow::Result<()> {
    let dir = super::root().join("tests/fhir-peer");
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .context("tests/fhir-peer/package-lock.json is missing")?;
    let stamp = dir.join("node_modules/.teleconsult-installed");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == lock) {
        println!("==> FHIR test peer packages: present");
        return Ok(());
    }
    let version = Command::new("node")
        .arg("--version")
        .output()
        .context("node is not installed: the FHIR test peer needs Node.js 20 or later")?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        bail!("the FHIR test peer needs Node.js 20 or later, found {version:?}");
    }
    println!(
        "==> installing the FHIR test peer packages (npm ci in {})",
        dir.display()
    );
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .context("cannot run npm")?;
    if !status.success() {
        bail!("npm ci in tests/fhir-peer failed ({status})");
    }
    std::fs::write(&stamp, lock)?;
    Ok(())
}

/// Installs axe-core for the browser tests (`npm ci` in `tests/browser`, exactly as locked) when
/// missing or when the lock file changed; the tests inject it into every page they visit.
pub fn ensure_browser_test_packages() -> anyhow::Result<()> {
    let dir = super::root().join("tests/browser");
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .context("tests/browser/package-lock.json is missing")?;
    let stamp = dir.join("node_modules/.teleconsult-installed");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == lock) {
        println!("==> browser test packages (axe-core): present");
        return Ok(());
    }
    println!(
        "==> installing the browser test packages (npm ci in {})",
        dir.display()
    );
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .context("cannot run npm (Node.js is needed for the test tools)")?;
    if !status.success() {
        bail!("npm ci in tests/browser failed ({status})");
    }
    std::fs::write(&stamp, lock)?;
    Ok(())
}
