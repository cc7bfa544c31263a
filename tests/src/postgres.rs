//! A real PostgreSQL server per test, from Debian's packages (`postgresql`), in a temporary
//! folder, listening on a free loopback port and on a socket in that folder. The server tools
//! refuse to run as root: as root they run as the `postgres` user the package creates
//! (`runuser`), otherwise as the current user. Stopped (`immediate`) when dropped.
//!
//! `Postgres::start` answers `Ok(None)` when the machine has no PostgreSQL and the run allows
//! skips (see [`crate::capability`]); under `cargo xtask test` that is an error.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::Context;

use crate::capability::{self, Missing};

/// The database role the tests connect as (trust authentication, loopback only).
pub const USER: &str = "tc";

/// A running server.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl Postgres {
    /// Starts a fresh cluster (about a second). `test` names the caller for a skip.
    pub fn start(test: &str) -> anyhow::Result<Option<Self>> {
        let Some(bin) = binaries() else {
            capability::skip(
                test,
                &Missing::new(
                    "PostgreSQL server",
                    "no /usr/lib/postgresql/*/bin/initdb",
                    "apt-get install postgresql (cargo xtask test installs it)",
                ),
            )?;
            return Ok(None);
        };
        let as_postgres = nix_is_root();
        let dir = tempfile::Builder::new().prefix("pg-test-").tempdir()?;
        if as_postgres {
            // The server runs as `postgres`: it must reach and own its folder.
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let server = Self {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = server.data();
        server
            .tool(
                "initdb",
                &[
                    "-D",
                    &data,
                    "-A",
                    "trust",
                    "-U",
                    USER,
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
            )
            .context("initdb")?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200",
            server.dir.path().display()
        );
        let log = server.dir.path().join("log").display().to_string();
        server
            .tool(
                "pg_ctl",
                &["-D", &data, "-o", &options, "-l", &log, "-w", "start"],
            )
            .with_context(|| format!("pg_ctl start (log: {})", server.log()))?;
        Ok(Some(server))
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Creates database `name`; returns its URL.
    pub fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let port = self.port.to_string();
        self.tool(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", USER, name],
        )?;
        Ok(self.url(name))
    }

    /// The URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgresql://{USER}@127.0.0.1:{}/{name}?sslmode=disable",
            self.port
        )
    }

    /// Runs `sql` in database `name` with `psql` (stops at the first error).
    pub fn psql(&self, name: &str, sql: &str) -> anyhow::Result<String> {
        let port = self.port.to_string();
        let out = self.tool(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                USER,
                "-d",
                name,
                "-v",
                "ON_ERROR_STOP=1",
                "-tA",
                "-c",
                sql,
            ],
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Everything database `name` holds, as `pg_dump` writes it (bytea as hex).
    pub fn dump(&self, name: &str) -> anyhow::Result<String> {
        let port = self.port.to_string();
        let out = self.tool(
            "pg_dump",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                USER,
                "--no-owner",
                name,
            ],
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The folder of the server's binaries (`pgbench` is there too).
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    fn tool(&self, name: &str, args: &[&str]) -> anyhow::Result<Output> {
        let program = self.bin.join(name);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", program.display()))?;
        anyhow::ensure!(
            out.status.success(),
            "{name} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(out)
    }

    /// Stops the server at once, as a crash would (`pg_ctl -m immediate`).
    pub fn kill(&self) -> anyhow::Result<()> {
        self.tool(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        )
        .map(drop)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// `/usr/lib/postgresql/<highest version>/bin`, when the server is installed.
fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn nix_is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}
