//! Starting, stopping and killing a real `teleconsultd` process.

use anyhow::{Context, bail};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::net::UnixDatagram;
use tokio::process::{Child, Command};

/// How long a debug build may take to report READY.
pub const READY_DEADLINE: Duration = Duration::from_secs(60);

/// The workspace root (this crate lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The daemon binary: `TELECONSULTD_BIN` (set by `cargo xtask test`) or `target/debug/teleconsultd`.
pub fn binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("TELECONSULTD_BIN").map_or_else(
        || workspace_root().join("target/debug/teleconsultd"),
        PathBuf::from,
    );
    if !path.exists() {
        bail!(
            "{} does not exist: run the suite with `cargo xtask test` (it builds the binaries first)",
            path.display()
        );
    }
    Ok(path)
}

/// What kind of daemon to start.
#[derive(Clone, Debug, Default)]
pub struct DaemonOptions {
    /// `--demo`: embedded defaults, demo certificate and key created by the daemon.
    pub demo: bool,
    /// TOML appended to the generated configuration file.
    pub extra_config: String,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Extra command-line arguments (e.g. `--demo-on-network`).
    pub args: Vec<String>,
}

/// A running (or stopped) daemon in its own temporary folder.
pub struct Daemon {
    dir: tempfile::TempDir,
    options: DaemonOptions,
    child: Option<Child>,
    notify: Option<UnixDatagram>,
    /// `https://127.0.0.1:PORT` of the current run.
    pub base_url: String,
    pub client: reqwest::Client,
    runs: u32,
}

impl Daemon {
    /// Prepares a folder (configuration, and outside demo mode a storage key and certificate)
    /// and starts the daemon; returns once it reported READY.
    pub async fn start(options: DaemonOptions) -> anyhow::Result<Self> {
        crate::init_crypto();
        let dir = tempfile::Builder::new()
            .prefix("teleconsult-test-")
            .tempdir()?;
        let root = dir.path();
        let tls = if options.demo {
            String::new()
        } else {
            write_key(&root.join("storage.key"))?;
            write_certificate(root)?;
            format!(
                "tls_cert = \"{}\"\ntls_key = \"{}\"\n",
                root.join("cert.pem").display(),
                root.join("key.pem").display()
            )
        };
        let site = if options.demo {
            ""
        } else {
            "[site]\nid = \"test\"\nname = \"Test site\"\n\n"
        };
        // No file reserve: whether uploads pass must not depend on the free space of the
        // machine running the suite (the storage-fault tests set their own, on a tmpfs).
        let mut config = format!(
            "{site}[http]\nlisten = \"127.0.0.1:0\"\n{tls}\n[storage]\npath = \"{storage}\"\nkey_file = \"{key}\"\n\
             reserve_mb = 0\nreserve_percent = 0\n\n\
             [log]\nformat = \"json\"\nlevel = \"info\"\n",
            storage = root.join("data").display(),
            key = root.join("storage.key").display(),
        );
        config.push('\n');
        config.push_str(&options.extra_config);
        std::fs::write(root.join("teleconsult.toml"), config)?;
        let client = reqwest::Client::builder().build()?;
        let mut daemon = Self {
            dir,
            options,
            child: None,
            notify: None,
            base_url: String::new(),
            client,
            runs: 0,
        };
        daemon.spawn().await?;
        Ok(daemon)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir().join("teleconsult.toml")
    }

    pub fn storage_path(&self) -> PathBuf {
        self.dir().join("data")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir().join("storage.key")
    }

    /// The certificate the daemon serves (the test's own, or the demo one it generated).
    /// The certificate the daemon serves (PEM): its own in demo mode, else the test's.
    pub fn certificate_path(&self) -> PathBuf {
        if self.options.demo {
            self.storage_path().join("tls/demo-cert.pem")
        } else {
            self.dir().join("cert.pem")
        }
    }

    fn log_path(&self, run: u32) -> PathBuf {
        self.dir().join(format!("daemon-{run}.log"))
    }

    /// Everything the daemon wrote to stdout/stderr, all runs.
    pub fn logs(&self) -> String {
        (1..=self.runs)
            .filter_map(|r| std::fs::read_to_string(self.log_path(r)).ok())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Starts (again) on the same folder; returns once READY was received.
    pub async fn spawn(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("the daemon is already running");
        }
        self.runs += 1;
        let socket_path = self.dir().join("notify.sock");
        let _ = std::fs::remove_file(&socket_path);
        let notify = UnixDatagram::bind(&socket_path)?;
        let log = std::fs::File::create(self.log_path(self.runs))?;
        let mut cmd = Command::new(binary()?);
        cmd.current_dir(self.dir())
            .arg("--config")
            .arg(self.config_path())
            .env("NOTIFY_SOCKET", &socket_path)
            .env_remove("JOURNAL_STREAM")
            .envs(self.options.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        if self.options.demo {
            cmd.arg("--demo");
        }
        cmd.args(&self.options.args);
        self.child = Some(cmd.spawn().context("cannot start teleconsultd")?);
        self.notify = Some(notify);
        let url = self
            .wait_ready()
            .await
            .with_context(|| format!("daemon did not become ready; log:\n{}", self.logs()))?;
        self.base_url = url.trim_end_matches('/').to_owned();
        self.client = self.https_client()?;
        Ok(())
    }

    /// Reads notify messages until READY=1; returns the URL announced in STATUS.
    async fn wait_ready(&mut self) -> anyhow::Result<String> {
        let notify = self.notify.as_ref().context("no notify socket")?;
        let deadline = tokio::time::Instant::now() + READY_DEADLINE;
        let mut buf = vec![0u8; 4096];
        loop {
            let child = self.child.as_mut().context("no child")?;
            if let Some(status) = child.try_wait()? {
                bail!("teleconsultd exited before READY: {status}");
            }
            let received = tokio::time::timeout_at(deadline, async {
                tokio::time::timeout(Duration::from_millis(200), notify.recv(&mut buf)).await
            })
            .await
            .context("timed out waiting for READY=1")?;
            let Ok(n) = received else { continue };
            let message = String::from_utf8_lossy(&buf[..n?]).into_owned();
            if message.lines().any(|l| l == "READY=1") {
                let url = message
                    .lines()
                    .find_map(|l| l.strip_prefix("STATUS=ready: serving "))
                    .context("READY without the serving URL in STATUS")?;
                return Ok(url.to_owned());
            }
        }
    }

    /// Further notify messages (after READY), e.g. STOPPING=1 or a reload STATUS.
    pub async fn next_notify(&self, within: Duration) -> Option<String> {
        let notify = self.notify.as_ref()?;
        let mut buf = vec![0u8; 4096];
        match tokio::time::timeout(within, notify.recv(&mut buf)).await {
            Ok(Ok(n)) => Some(String::from_utf8_lossy(&buf[..n]).trim_end().to_owned()),
            _ => None,
        }
    }

    fn https_client(&self) -> anyhow::Result<reqwest::Client> {
        self.https_client_with(reqwest::redirect::Policy::default())
    }

    /// A client like [`Daemon::client`] that does not follow redirects (to see a page's own
    /// status).
    pub fn client_without_redirects(&self) -> anyhow::Result<reqwest::Client> {
        self.https_client_with(reqwest::redirect::Policy::none())
    }

    fn https_client_with(
        &self,
        redirects: reqwest::redirect::Policy,
    ) -> anyhow::Result<reqwest::Client> {
        let pem = std::fs::read(self.certificate_path())?;
        let cert = reqwest::Certificate::from_pem(&pem)?;
        Ok(reqwest::Client::builder()
            .tls_certs_only([cert])
            .redirect(redirects)
            .timeout(Duration::from_secs(30))
            .build()?)
    }

    /// The exit status, if the daemon process has ended (without waiting).
    pub fn exited(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        let child = self.child.as_mut().context("not started")?;
        Ok(child.try_wait()?)
    }

    /// `kill -9`: no chance to flush or clean up.
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        let mut child = self.child.take().context("not running")?;
        child.kill().await?;
        self.notify = None;
        Ok(())
    }

    /// Sends a signal to the running daemon.
    pub fn signal(&self, signal: nix::sys::signal::Signal) -> anyhow::Result<()> {
        let pid = self.pid().context("not running")?;
        let pid = i32::try_from(pid)?;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal)?;
        Ok(())
    }

    /// SIGTERM, then waits for the exit at most `within`.
    pub async fn terminate(&mut self, within: Duration) -> anyhow::Result<ExitStatus> {
        self.signal(nix::sys::signal::Signal::SIGTERM)?;
        let mut child = self.child.take().context("not running")?;
        let status = tokio::time::timeout(within, child.wait())
            .await
            .with_context(|| {
                format!("teleconsultd did not exit within {within:?} after SIGTERM")
            })??;
        self.notify = None;
        Ok(status)
    }
}

/// A random 32-byte storage key as hex, mode 0600, like an installer would create.
fn write_key(path: &Path) -> anyhow::Result<()> {
    let key: [u8; 32] = rand::random();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{}", hex::encode(key))?;
    Ok(())
}

/// A certificate for 127.0.0.1 and localhost, as an admin would install.
fn write_certificate(dir: &Path) -> anyhow::Result<()> {
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names)?;
    std::fs::write(dir.join("cert.pem"), certified.cert.pem())?;
    let mut key = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join("key.pem"))?;
    key.write_all(certified.signing_key.serialize_pem().as_bytes())?;
    Ok(())
}

/// Opens the store of a stopped daemon with its key, as `teleconsultctl` would.
pub fn open_store(daemon: &Daemon) -> anyhow::Result<teleconsult_store::Store> {
    if daemon.pid().is_some() {
        bail!("stop the daemon before opening its store");
    }
    let key = teleconsult_store::StorageKey::load(&daemon.key_path())?;
    Ok(teleconsult_store::Store::open(&daemon.storage_path(), key)?)
}
