//! The Debian package (issue 9, DESIGN §8), in two tests. The package itself: build the `.deb`
//! from the binaries under test, lint it, check its dependencies, score the unit. On a clean
//! Debian with real systemd: build it again, debootstrap a minimal bookworm, install the package there with apt (dependencies from Debian), boot it
//! with `systemd-nspawn --boot`, and check the service as a sysadmin would: active, `/healthz`,
//! restarted after `kill -9` and after a hung watchdog, `teleconsultctl` backup and restore,
//! an upgrade that keeps data and the edited configuration, `remove` and `purge`.
//!
//! - No release build: the package is made from the debug binaries `cargo xtask test` built
//!   (`cargo deb --no-build --profile dev --strip --fast`); `cargo xtask deb` makes the real one.
//! - Only `target/packaging/` is reused between runs (rebuildable): the debootstrapped base
//!   root and apt's download cache. Each run works on a fresh copy of the base.
//! - The booted container has a private network: the test reaches it through `nsenter` only.
//! - Where the machine cannot debootstrap or run nspawn (not root, tools absent, no
//!   namespaces) the capability rule decides (`teleconsult_tests::capability`): under
//!   `cargo xtask test` the test fails and says what is missing; a developer's partial run
//!   skips it loudly, and the skip is counted.

mod support;

use anyhow::{Context, ensure};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{
    Container, RunDir, base_root, build_deb, exposure, run_bounded, run_ok, target_dir, which,
};
use teleconsult_tests::capability::{self, Missing};
use teleconsult_tests::daemon::workspace_root;

const TEST: &str = "packaging::the_package_installs_and_runs_on_a_clean_debian_with_systemd";
const PACKAGE_TEST: &str =
    "packaging::the_package_is_lint_clean_declares_the_booth_media_and_scores_its_unit";

/// What the cached base root holds; change it to rebuild the cache.
const BASE_RECIPE: &str = "debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl,ca-certificates bookworm";
const SECURITY_THRESHOLD: f64 = 1.5;
const UNIT: &str = "teleconsultd.service";
const SHORT: Duration = Duration::from_secs(60);
const LONG: Duration = Duration::from_secs(15 * 60);

/// The package as built, before any machine installs it: lintian finds no error, it depends
/// on what the booth's audio needs and recommends the software H.264 encoder (issue #18), and
/// its unit's exposure score stays under the threshold.
#[test]
fn the_package_is_lint_clean_declares_the_booth_media_and_scores_its_unit() -> anyhow::Result<()> {
    let clock = Instant::now();
    let step = |what: &str| println!("[packaging {:>6.1}s] {what}", clock.elapsed().as_secs_f64());
    for tool in ["cargo-deb", "dpkg-deb", "lintian", "systemd-analyze"] {
        if which(tool).is_none() {
            let missing = Missing::new(tool, format!("{tool} is not installed"), PACKAGE_REMEDY);
            return capability::skip(PACKAGE_TEST, &missing);
        }
    }
    let work_root = target_dir().join("packaging");
    std::fs::create_dir_all(&work_root)?;
    let run = RunDir::new(&work_root)?;

    step("building the .deb from the debug binaries");
    let v1 = build_deb(&run.path.join("deb-v1"), 1)?;
    let size = std::fs::metadata(&v1)?.len();
    println!("  {} ({:.1} MB)", v1.display(), size as f64 / 1e6);

    step("lintian");
    let lint = run_bounded(Command::new("lintian").arg(&v1), SHORT)?;
    let errors: Vec<&str> = lint
        .stdout
        .lines()
        .filter(|l| l.starts_with("E:"))
        .collect();
    ensure!(errors.is_empty(), "lintian errors:\n{}", lint.stdout);
    print!("{}", lint.stdout);

    step("control fields (issue #18: booth audio, x264)");
    let control = run_ok(
        Command::new("dpkg-deb")
            .arg("--field")
            .arg(&v1)
            .args(["Depends", "Recommends"]),
        SHORT,
    )?;
    let field = |name: &str| {
        control
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .split(',')
            .map(|p| p.trim().to_owned())
            .collect::<Vec<_>>()
    };
    // alsasrc/alsasink: the booth's microphone and speaker on a real install.
    ensure!(
        field("Depends").iter().any(|p| p == "gstreamer1.0-alsa"),
        "Depends lacks gstreamer1.0-alsa:\n{}",
        control.stdout
    );
    // x264enc for H.264 in software.
    ensure!(
        field("Recommends")
            .iter()
            .any(|p| p == "gstreamer1.0-plugins-ugly"),
        "Recommends lacks gstreamer1.0-plugins-ugly:\n{}",
        control.stdout
    );

    step("systemd-analyze security");
    let unit_file = workspace_root().join("systemd").join(UNIT);
    let security = run_bounded(
        Command::new("systemd-analyze")
            .args(["security", "--offline=true", "--no-pager"])
            .arg(&unit_file),
        SHORT,
    )?;
    let score = exposure(&security.stdout)
        .with_context(|| format!("no exposure level in:\n{}", security.stdout))?;
    println!("  exposure level {score} (threshold {SECURITY_THRESHOLD})");
    ensure!(
        score <= SECURITY_THRESHOLD,
        "{UNIT} scores {score}, above {SECURITY_THRESHOLD}:\n{}",
        security.stdout
    );
    println!(
        "packaging: .deb {:.1} MB (debug binaries, stripped), exposure {score}",
        size as f64 / 1e6
    );
    Ok(())
}

#[test]
fn the_package_installs_and_runs_on_a_clean_debian_with_systemd() -> anyhow::Result<()> {
    let clock = Instant::now();
    let step = |what: &str| println!("[packaging {:>6.1}s] {what}", clock.elapsed().as_secs_f64());
    if let Some(missing) = missing_capability() {
        return capability::skip(TEST, &missing);
    }
    let work_root = target_dir().join("packaging");
    std::fs::create_dir_all(&work_root)?;
    let run = RunDir::new(&work_root)?;

    step("building the .deb from the debug binaries");
    let v1 = build_deb(&run.path.join("deb-v1"), 1)?;

    step("base root (debootstrap, cached in target/packaging)");
    let base = base_root(&work_root)?;
    if let Some(missing) = nspawn_unusable(&base) {
        return capability::skip(TEST, &missing);
    }
    let root = run.path.join("root");
    run_ok(
        Command::new("cp")
            .args(["-a", "--reflink=auto"])
            .arg(&base)
            .arg(&root),
        LONG,
    )?;

    step("apt-get install ./teleconsult.deb (dependencies from Debian)");
    let archives = work_root.join("apt-archives");
    std::fs::create_dir_all(archives.join("partial"))?;
    let incoming = root.join("var/tmp/teleconsult-test");
    std::fs::create_dir_all(&incoming)?;
    std::fs::copy(&v1, incoming.join("teleconsult-v1.deb"))?;
    let install = run_ok(
        Command::new("systemd-nspawn")
            .args(["-q", "--register=no", "--keep-unit", "--pipe", "-D"])
            .arg(&root)
            .arg(format!(
                "--bind={}:/var/cache/apt/archives",
                archives.display()
            ))
            .args(["-E", "DEBIAN_FRONTEND=noninteractive", "--"])
            .args(["apt-get", "install", "-y", "-q", "--no-install-recommends"])
            // No fsync per file: the root is thrown away after the test anyway.
            .args(["-o", "Dpkg::Options::=--force-unsafe-io"])
            .arg("/var/tmp/teleconsult-test/teleconsult-v1.deb"),
        LONG,
    )?;
    ensure!(
        install
            .stdout
            .contains("storage key /etc/teleconsult/storage.key: created"),
        "postinst did not create the storage key:\n{}",
        install.stdout
    );

    step("systemd-analyze verify (installed root)");
    let verify = run_bounded(
        Command::new("systemd-analyze")
            .arg("verify")
            .arg(format!("--root={}", root.display()))
            .args(["--man=no", UNIT]),
        SHORT,
    )?;
    ensure!(
        verify.status.success() && verify.stderr.trim().is_empty(),
        "systemd-analyze verify: {}\n{}",
        verify.status,
        verify.stderr
    );

    step("booting the container");
    let container = Container::boot(&root, &run.path.join("nspawn.log"))?;
    container.wait_booted()?;

    step("the service runs after installation, flagged self-signed");
    container.wait_service_up(None)?;
    let key = container.sh("stat -c '%a %U' /etc/teleconsult/storage.key")?;
    ensure!(key.trim() == "600 teleconsult", "storage key: {key}");
    let status_text = container.sh("systemctl show -p StatusText --value teleconsultd")?;
    ensure!(status_text.contains("SELF-SIGNED"), "STATUS: {status_text}");
    let status = container.ctl_json(&["status"])?;
    ensure!(status["ready"] == true, "{status}");
    ensure!(status["tls"] == "generated_self_signed", "{status}");
    ensure!(
        container.sh("systemctl is-enabled teleconsultd")?.trim() == "enabled",
        "not enabled"
    );

    step("data through the API");
    let first = container.register(1)?;
    let exported = container.ctl_json(&["export-patient", &first])?;
    ensure!(exported["last_name"] == "Quackenbush1", "{exported}");

    step("kill -9 of the main process: systemd restarts it");
    let pid = container.main_pid()?;
    container.sh(format!("kill -9 {pid}"))?;
    container.wait_service_up(Some(pid))?;
    ensure!(container.ctl_json(&["export-patient", &first])? == exported);

    step("a hung process (SIGSTOP) misses the watchdog: systemd restarts it");
    let drop_in = root.join("etc/systemd/system/teleconsultd.service.d");
    std::fs::create_dir_all(&drop_in)?;
    // The unit's 30 s, shortened so the test waits seconds, not minutes.
    std::fs::write(
        drop_in.join("zz-test-watchdog.conf"),
        "[Service]\nWatchdogSec=5s\n",
    )?;
    container.sh("systemctl daemon-reload && systemctl restart teleconsultd")?;
    container.wait_service_up(None)?;
    let pid = container.main_pid()?;
    container.sh(format!("kill -STOP {pid}"))?;
    container.wait_service_up(Some(pid))?;
    let journal = container.sh("journalctl -u teleconsultd --no-pager -o cat")?;
    ensure!(journal.contains("Watchdog timeout"), "journal:\n{journal}");
    std::fs::remove_dir_all(&drop_in)?;
    container.sh("systemctl daemon-reload && systemctl restart teleconsultd")?;
    container.wait_service_up(None)?;

    step("teleconsultctl backup and restore, daemon running");
    container.sh("teleconsultctl backup /root/running.tcbackup")?;
    let second = container.register(2)?;
    let refused = container.exec(&["teleconsultctl", "restore", "/root/running.tcbackup"])?;
    ensure!(
        refused.status.code() == Some(1) && refused.stderr.contains("--force"),
        "restore over data without --force: {refused:?}"
    );
    container.sh("teleconsultctl restore --force /root/running.tcbackup")?;
    ensure!(container.ctl_json(&["export-patient", &first])? == exported);
    let gone = container.exec(&["teleconsultctl", "export-patient", &second])?;
    ensure!(gone.status.code() == Some(1), "{gone:?}");
    container.sh("teleconsultctl audit-verify")?;

    step("teleconsultctl backup and restore, daemon stopped");
    container.sh("systemctl stop teleconsultd")?;
    let down = container.exec(&["teleconsultctl", "status"])?;
    ensure!(
        down.status.code() == Some(3),
        "status of a stopped daemon: {down:?}"
    );
    container.sh("teleconsultctl backup /root/stopped.tcbackup")?;
    container.sh("teleconsultctl erase-patient ".to_owned() + &first)?;
    container.sh("teleconsultctl restore --force /root/stopped.tcbackup")?;
    let foreign = container.sh("find /var/lib/teleconsult ! -user teleconsult")?;
    ensure!(
        foreign.trim().is_empty(),
        "files in the store not owned by teleconsult after a restore as root:\n{foreign}"
    );
    container.sh("systemctl start teleconsultd")?;
    container.wait_service_up(None)?;
    ensure!(container.ctl_json(&["export-patient", &first])? == exported);

    step("upgrade to a rebuilt package keeps data and the edited configuration");
    let v2 = build_deb(&run.path.join("deb-v2"), 2)?;
    std::fs::copy(&v2, incoming.join("teleconsult-v2.deb"))?;
    let config_file = root.join("etc/teleconsult/teleconsult.toml");
    let edited = std::fs::read_to_string(&config_file)?
        .replace("name = \"teleconsult\"", "name = \"Pharmacie du Test\"");
    std::fs::write(&config_file, &edited)?;
    container.sh("systemctl restart teleconsultd")?;
    container.wait_service_up(None)?;
    let key_before = std::fs::read(root.join("etc/teleconsult/storage.key"))?;
    let pid = container.main_pid()?;
    container.sh(
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
         /var/tmp/teleconsult-test/teleconsult-v2.deb",
    )?;
    let version = container.sh("dpkg-query -W -f='${Version}' teleconsult")?;
    ensure!(version.trim() == "0.1.0-2", "installed version {version}");
    container.wait_service_up(Some(pid))?;
    ensure!(container.ctl_json(&["export-patient", &first])? == exported);
    ensure!(
        std::fs::read_to_string(&config_file)? == edited,
        "configuration replaced"
    );
    ensure!(std::fs::read(root.join("etc/teleconsult/storage.key"))? == key_before);
    let status = container.ctl_json(&["status"])?;
    ensure!(status["site"]["name"] == "Pharmacie du Test", "{status}");

    step("remove keeps the data, purge deletes it");
    container.sh("DEBIAN_FRONTEND=noninteractive apt-get remove -y -q teleconsult")?;
    ensure!(
        root.join("var/lib/teleconsult/db").exists(),
        "remove deleted the store"
    );
    ensure!(config_file.exists(), "remove deleted the configuration");
    container.sh("DEBIAN_FRONTEND=noninteractive apt-get purge -y -q teleconsult")?;
    ensure!(
        !root.join("var/lib/teleconsult").exists(),
        "purge kept the store"
    );
    ensure!(
        root.join("etc/teleconsult/storage.key").exists(),
        "purge deleted the storage key the backups need"
    );

    step("stopping the container");
    container.stop()?;
    println!(
        "packaging: installed, restarted, backed up, upgraded and purged in {:.0} s",
        clock.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What to install so that the package test can run.
const PACKAGE_REMEDY: &str = "install cargo-deb, dpkg-dev, lintian and systemd (cargo xtask test \
    installs them)";

/// What to do so that the test can run, for the messages of [`missing_capability`].
const REMEDY: &str = "run the tests as root on a machine that allows namespaces (not inside an \
    unprivileged container), with debootstrap, systemd-container, util-linux and \
    debian-archive-keyring installed (cargo xtask test installs them)";

/// Why this machine cannot debootstrap or boot a container, if it cannot.
fn missing_capability() -> Option<Missing> {
    // /proc/self belongs to the effective user of this process.
    let euid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
    if euid.ok() != Some(0) {
        return Some(Missing::new(
            "root",
            "debootstrap and systemd-nspawn need root; this test runs as another user",
            REMEDY,
        ));
    }
    for tool in ["debootstrap", "systemd-nspawn", "nsenter", "setpriv"] {
        if which(tool).is_none() {
            return Some(Missing::new(
                tool,
                format!("{tool} is not installed"),
                REMEDY,
            ));
        }
    }
    None
}

/// A container that cannot even run `/bin/true` means no namespaces here.
fn nspawn_unusable(base: &Path) -> Option<Missing> {
    let probe = run_bounded(
        Command::new("systemd-nspawn")
            .args(["-q", "--register=no", "--keep-unit", "--pipe", "-D"])
            .arg(base)
            .args(["--", "/bin/true"]),
        SHORT,
    );
    let detail = match probe {
        Ok(out) if out.status.success() => return None,
        Ok(out) => format!("systemd-nspawn cannot run /bin/true: {}", out.stderr.trim()),
        Err(e) => format!("systemd-nspawn cannot run /bin/true: {e:#}"),
    };
    Some(Missing::new("systemd-nspawn containers", detail, REMEDY))
}
