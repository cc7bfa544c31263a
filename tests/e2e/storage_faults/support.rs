//! Helpers of the storage-fault tests: a tmpfs the test mounts, `teleconsultctl` runs, probes.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use teleconsult_tests::Daemon;
use teleconsult_tests::capability::Missing;
use teleconsult_tests::site::Site;

/// What is missing when the test cannot mount a filesystem (it needs root).
pub(crate) fn root_missing() -> Option<Missing> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid());
    (uid.as_ref().ok() != Some(&0)).then(|| {
        Missing::new(
            "root",
            format!("the test runs as {uid:?}; it mounts a tmpfs for the store"),
            "run the suite as root (the test machines and CI do)",
        )
    })
}

/// A tmpfs mounted for the test, unmounted when dropped.
pub(crate) struct Tmpfs {
    pub(crate) at: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mb` megabytes on `at` (an existing, empty folder).
    pub(crate) fn mount(at: &Path, mb: u64) -> anyhow::Result<Tmpfs> {
        if let Some(missing) = root_missing() {
            anyhow::bail!("{missing}");
        }
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={mb}m,mode=0700"))
            .arg("tmpfs")
            .arg(at)
            .status()?;
        anyhow::ensure!(status.success(), "mount -t tmpfs failed: {status}");
        Ok(Tmpfs { at: at.to_owned() })
    }

    pub(crate) fn grow(&self, mb: u64) -> anyhow::Result<()> {
        let status = Command::new("mount")
            .arg("-o")
            .arg(format!("remount,size={mb}m"))
            .arg(&self.at)
            .status()?;
        anyhow::ensure!(status.success(), "remount failed: {status}");
        Ok(())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

/// Writes `path` until the filesystem is full.
pub(crate) fn fill(path: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    let chunk = vec![0x55u8; 64 * 1024];
    for _ in 0..100_000 {
        if let Err(e) = file.write_all(&chunk).and_then(|()| file.sync_data()) {
            anyhow::ensure!(
                e.raw_os_error() == Some(28),
                "filling the disk failed otherwise: {e}"
            );
            return Ok(());
        }
    }
    anyhow::bail!("the filesystem never filled up")
}

/// A PDF of `size` bytes whose content depends on `n`.
pub(crate) fn pdf(n: usize, size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(size, b'0' + (n % 10) as u8);
    bytes
}

pub(crate) async fn readyz(daemon: &Daemon) -> anyhow::Result<(u16, Value)> {
    let r = daemon.client.get(daemon.url("/readyz")).send().await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

pub(crate) async fn metric(daemon: &Daemon, name: &str) -> anyhow::Result<Option<f64>> {
    let text = daemon
        .client
        .get(daemon.url("/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    }))
}

/// Downloads a file as `who`; its bytes.
pub(crate) async fn download(site: &Site, who: &str, url: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    let r = site
        .daemon
        .client
        .get(site.daemon.url(url))
        .header("authorization", who)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.bytes().await?.to_vec()))
}

/// Writes `path` until only about `leave` bytes of its filesystem are free.
pub(crate) fn fill_leaving(path: &Path, leave: u64) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;
    let mut file = std::fs::File::create(path)?;
    let chunk = vec![0x55u8; 64 * 1024];
    for _ in 0..100_000 {
        let stats = nix::sys::statvfs::statvfs(path)?;
        let free = stats.blocks_available() * stats.fragment_size();
        if free <= leave + chunk.len() as u64 {
            file.sync_all()?;
            anyhow::ensure!(file.metadata()?.size() > 0, "nothing to fill");
            return Ok(());
        }
        file.write_all(&chunk)?;
    }
    anyhow::bail!("the filesystem never filled up")
}

/// One `teleconsultctl` run: exit status, stdout, stderr.
pub(crate) fn ctl(daemon: &Daemon, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    ctl_env(daemon, &[], args)
}

/// [`ctl`] on a blocking thread (the daemon may need the test's runtime meanwhile).
pub(crate) async fn ctl_async(
    daemon: &Daemon,
    args: &[&str],
) -> anyhow::Result<(i32, String, String)> {
    let config = daemon.config_path();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let binary = teleconsult_tests::daemon::binary()?.with_file_name("teleconsultctl");
    tokio::task::spawn_blocking(move || run_ctl(&binary, &config, &[], &args)).await?
}

/// `teleconsultctl` with extra environment variables (the configuration's last layer).
pub(crate) fn ctl_env(
    daemon: &Daemon,
    env: &[(&str, &str)],
    args: &[&str],
) -> anyhow::Result<(i32, String, String)> {
    let binary = teleconsult_tests::daemon::binary()?.with_file_name("teleconsultctl");
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    run_ctl(&binary, &daemon.config_path(), env, &args)
}

pub(crate) fn run_ctl(
    binary: &Path,
    config: &Path,
    env: &[(&str, &str)],
    args: &[String],
) -> anyhow::Result<(i32, String, String)> {
    let out = Command::new(binary)
        .arg("--config")
        .arg(config)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("TELECONSULT__ADMIN__SOCKET")
        .stdin(Stdio::null())
        .output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Makes `to` (created when missing, emptied else — it may be a mount point) a copy of `from`.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(to)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
