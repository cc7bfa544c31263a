//! A real CUPS scheduler per test: `cupsd` in the foreground with its own configuration,
//! spool and state in a temporary folder, listening on 127.0.0.1 at a free port only, with
//! `FileDevice Yes` so a queue can print into a file the test reads. Killed when dropped.
//!
//! Queues print through a one-line PPD whose only filter is CUPS's own `gziptoany`
//! (cups-core-drivers): a PDF reaches the file byte for byte. (A raw queue would not do: CUPS
//! starts no process for a raw job on a `file:` device, so nothing is written.)
//!
//! Debian packages: cups-daemon (cupsd), cups-client (lp, lpadmin, lpstat), cups-core-drivers
//! (gziptoany); `cargo xtask test` installs them.

use anyhow::{Context, bail};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A PDF printer: the job's document, unchanged, into the device file.
const PDF_PPD: &str = r#"*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "TCPDF.PPD"
*Manufacturer: "teleconsult tests"
*Product: "(PDF file)"
*ModelName: "PDF file"
*ShortNickName: "PDF file"
*NickName: "PDF file"
*cupsFilter: "application/pdf 0 gziptoany"
*OpenUI *PageSize/Page Size: PickOne
*DefaultPageSize: A4
*PageSize A4/A4: ""
*CloseUI: *PageSize
*DefaultImageableArea: A4
*ImageableArea A4/A4: "0 0 595 842"
*DefaultPaperDimension: A4
*PaperDimension A4/A4: "595 842"
"#;

/// A running `cupsd`.
pub struct Cups {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// `127.0.0.1:PORT`, what `lp -h` and `[print] server` take.
    pub server: String,
}

impl Cups {
    /// Starts `cupsd` and waits until it answers.
    pub fn start() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("cups-test-").tempdir()?;
        let root = dir.path();
        // Filters run as the `lp` user: they must reach the spool below this folder.
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))?;
        for sub in ["spool", "cache", "state", "tmp", "log", "ppd", "out"] {
            std::fs::create_dir(root.join(sub))?;
        }
        std::fs::set_permissions(root.join("out"), std::fs::Permissions::from_mode(0o777))?;
        std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let server = format!("127.0.0.1:{port}");
        std::fs::write(
            root.join("cupsd.conf"),
            format!(
                "Listen {server}\nLogLevel warn\nWebInterface No\nBrowsing No\nDefaultAuthType None\n\
                 <Location />\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n\
                 <Location /admin>\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n\
                 <Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
            ),
        )?;
        let path = |sub: &str| root.join(sub).display().to_string();
        std::fs::write(
            root.join("cups-files.conf"),
            format!(
                "ServerRoot {}\nRequestRoot {}\nCacheDir {}\nStateDir {}\nTempDir {}\n\
                 ErrorLog {}\nAccessLog {}\nPageLog {}\nFileDevice Yes\nPrintcap {}\n",
                root.display(),
                path("spool"),
                path("cache"),
                path("state"),
                path("tmp"),
                path("log/error_log"),
                path("log/access_log"),
                path("log/page_log"),
                // Its own printcap in the test's directory (cups 2.4.2-3+deb12u11 refuses an
                // empty `Printcap`, and the system's /etc/printcap is none of the test's business).
                path("printcap"),
            ),
        )?;
        std::fs::write(root.join("pdf.ppd"), PDF_PPD)?;
        let child = Command::new("cupsd")
            .arg("-f")
            .arg("-c")
            .arg(root.join("cupsd.conf"))
            .arg("-s")
            .arg(root.join("cups-files.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("log/stderr"))?)
            .spawn()
            .context("cannot start cupsd (apt-get install cups-daemon cups-client)")?;
        let mut cups = Cups {
            dir,
            child: Some(child),
            server,
        };
        for _ in 0..200 {
            if let Some(status) = cups
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!("cupsd exited ({status}):\n{}", cups.log());
            }
            let running = Command::new("lpstat")
                .args(["-h", &cups.server, "-r"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("is running"));
            if running {
                return Ok(cups);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("cupsd did not answer within 10 s:\n{}", cups.log())
    }

    /// Adds an enabled queue `name` printing into a file; returns that file's path.
    pub fn add_printer(&self, name: &str) -> anyhow::Result<PathBuf> {
        let out = self.dir.path().join("out").join(format!("{name}.pdf"));
        let status = Command::new("lpadmin")
            .args(["-h", &self.server, "-p", name, "-E", "-v"])
            .arg(format!("file://{}", out.display()))
            .arg("-P")
            .arg(self.dir.path().join("pdf.ppd"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "lpadmin: {status}\n{}", self.log());
        Ok(out)
    }

    /// The ids of the scheduler's jobs (`booth-3`…) in `which` state: `all`, `completed` or
    /// `not-completed` (`lpstat -W`). A scheduler that does not answer is an error.
    pub fn jobs(&self, which: &str) -> anyhow::Result<Vec<String>> {
        let out = Command::new("lpstat")
            .args(["-h", &self.server, "-W", which, "-o"])
            .output()
            .context("cannot run lpstat (apt-get install cups-client)")?;
        anyhow::ensure!(
            out.status.success(),
            "lpstat -W {which} -o: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect())
    }

    /// What the printer wrote into `file` for job `job`, once CUPS reports the job completed
    /// (its file device is closed then: the file is whole).
    pub async fn printed(&self, file: &Path, job: &str) -> anyhow::Result<Vec<u8>> {
        crate::poll_until(
            &format!("job {job} completed"),
            Duration::from_secs(30),
            || async {
                self.jobs("completed")
                    .ok()?
                    .iter()
                    .any(|j| j == job)
                    .then_some(())
            },
        )
        .await
        .with_context(|| format!("jobs: {:?}\n{}", self.jobs("all"), self.log()))?;
        std::fs::read(file).with_context(|| format!("job {job} completed: {}", file.display()))
    }

    /// The scheduler's error log and standard error (for failure messages).
    pub fn log(&self) -> String {
        let read = |p: &str| std::fs::read_to_string(self.dir.path().join(p)).unwrap_or_default();
        format!("{}{}", read("log/stderr"), read("log/error_log"))
    }

    /// Stops the scheduler (SIGTERM, then SIGKILL after 5 s); printing fails from now on.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        for _ in 0..100 {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Cups {
    fn drop(&mut self) {
        self.stop();
    }
}
