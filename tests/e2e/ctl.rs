//! `teleconsultctl` (DESIGN §4c) against the real daemon: through the admin socket while it
//! runs, on the store itself once it is stopped; backups that round-trip, archives refused,
//! exports and erasures that leave their audit records.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use teleconsult_core::audit::{Action, Actor};
use teleconsult_tests::{Daemon, DaemonOptions};

/// The CLI next to the daemon binary under test.
fn ctl_binary() -> anyhow::Result<PathBuf> {
    Ok(teleconsult_tests::daemon::binary()?.with_file_name("teleconsultctl"))
}

/// One `teleconsultctl` run.
#[derive(Debug)]
pub(crate) struct Run {
    code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    #[track_caller]
    pub(crate) fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{self:?}");
        self
    }

    /// Failed with `code`, and said why in one line on stderr.
    #[track_caller]
    pub(crate) fn failed(self, code: i32, reason: &str) -> Self {
        assert_eq!(self.code, code, "{self:?}");
        let line = self.stderr.trim_end();
        assert!(
            !line.contains('\n'),
            "more than one line on stderr: {self:?}"
        );
        assert!(line.starts_with("teleconsultctl: "), "{self:?}");
        assert!(line.contains(reason), "expected {reason:?}: {self:?}");
        self
    }
}

fn ctl_with(config: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> anyhow::Result<Run> {
    let mut cmd = Command::new(ctl_binary()?);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.args(args)
        .env_remove("TELECONSULT__ADMIN__SOCKET")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    if let (Some(bytes), Some(mut input)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        input.write_all(bytes)?;
    }
    let out = child.wait_with_output()?;
    Ok(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs `teleconsultctl --config <the daemon's> ARGS` (blocking: call from a blocking task or
/// while the daemon does not need the runtime).
pub(crate) async fn ctl(daemon: &Daemon, args: &[&str]) -> anyhow::Result<Run> {
    let config = daemon.config_path();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ctl_with(Some(&config), &args, None)
    })
    .await?
}

/// A daemon whose admin socket is in a folder of the test's own.
pub(crate) async fn start_daemon() -> anyhow::Result<(tempfile::TempDir, Daemon)> {
    let socket_dir = tempfile::Builder::new().prefix("tc-admin-").tempdir()?;
    let extra_config = format!(
        "[admin]\nsocket = \"{}\"\n",
        socket_dir.path().join("admin.sock").display()
    );
    let daemon = Daemon::start(DaemonOptions {
        extra_config,
        ..DaemonOptions::default()
    })
    .await?;
    Ok((socket_dir, daemon))
}

/// A valid registration for test patient `n`.
pub fn patient_form(n: u16) -> Value {
    let birth = "19850715";
    json!({
        "national_id": teleconsult_tests::national_ids::luxembourg(birth, n),
        "first_name": "Zebulonia",
        "last_name": format!("Quackenbush{n}"),
        "birth_date": teleconsult_tests::national_ids::iso_date(birth),
        "phone": format!("+352 621 {n:06}"),
        "email": format!("ctl{n}@example.lu"),
        "language": "fr",
        "password": "correct horse battery staple",
        "consents": {"data_processing": true, "teleconsultation": true}
    })
}

async fn register(daemon: &Daemon, n: u16) -> anyhow::Result<String> {
    let response = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .json(&patient_form(n))
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == 201,
        "registration: {}",
        response.status()
    );
    let body: Value = response.json().await?;
    Ok(body["id"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn against_a_running_daemon() -> anyhow::Result<()> {
    let (_socket_dir, mut daemon) = start_daemon().await?;
    let first = register(&daemon, 1).await?;
    let second = register(&daemon, 2).await?;

    // status: through the socket, human and JSON.
    let status = ctl(&daemon, &["status"]).await?.ok();
    assert!(status.stdout.contains("running, ready"), "{status:?}");
    assert!(status.stdout.contains("2 patients"), "{status:?}");
    let status = ctl(&daemon, &["--json", "status"]).await?.ok().json();
    assert_eq!(status["running"], true);
    assert_eq!(status["ready"], true);
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["pid"], daemon.pid().unwrap_or_default());
    assert_eq!(status["store"]["patients"], 2);
    assert_eq!(status["tls"], "configured");
    assert!(status["store"]["size_bytes"].as_u64().unwrap_or(0) > 0);
    assert!(status["store"]["audit_records"].as_u64().unwrap_or(0) >= 2);
    assert_eq!(status["sync"]["state"], "off");

    // Export: the record as JSON, audited.
    let exported = ctl(&daemon, &["export-patient", &first]).await?.ok().json();
    assert_eq!(exported["id"], first.as_str());
    assert_eq!(exported["last_name"], "Quackenbush1");
    assert_eq!(
        exported["medical_record"],
        serde_json::Value::Null,
        "never filled in"
    );
    ctl(&daemon, &["export-patient", "not-a-uuid"])
        .await?
        .failed(1, "not a patient id");

    // Backup while running.
    let work = tempfile::tempdir()?;
    let archive = work.path().join("site.tcbackup");
    let archive_arg = archive.to_string_lossy().into_owned();
    let backup = ctl(&daemon, &["--json", "backup", &archive_arg])
        .await?
        .ok()
        .json();
    assert_eq!(backup["by_daemon"], true);
    assert_eq!(backup["manifest"]["counts"]["patients"], 2);
    assert_eq!(backup["manifest"]["site_id"], "test");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&archive)?.permissions());
    assert_eq!(mode & 0o777, 0o600);
    ctl(&daemon, &["backup", &archive_arg])
        .await?
        .failed(1, "--force");

    // Erasure: gone, audited, the rest intact.
    let erased = ctl(&daemon, &["--json", "erase-patient", &second])
        .await?
        .ok()
        .json();
    assert_eq!(erased["patient_id"], second.as_str());
    assert!(
        erased["records_removed"].as_u64().unwrap_or(0) >= 3,
        "{erased}"
    );
    ctl(&daemon, &["export-patient", &second])
        .await?
        .failed(1, "no patient with id");
    // Nothing of the person is left to collide with (national id, e-mail, account login):
    // they can register anew.
    let again = register(&daemon, 2).await?;
    assert_ne!(again, second);
    let audit = ctl(&daemon, &["--json", "audit-verify"]).await?.ok().json();
    assert!(audit["records"].as_u64().unwrap_or(0) >= 5, "{audit}");

    // Restore into the running daemon: refused over data without --force, then complete.
    ctl(&daemon, &["restore", &archive_arg])
        .await?
        .failed(1, "--force");
    let restored = ctl(&daemon, &["--json", "restore", "--force", &archive_arg])
        .await?
        .ok()
        .json();
    assert_eq!(restored["by_daemon"], true);
    assert_eq!(restored["report"]["manifest"]["counts"]["patients"], 2);
    let back = ctl(&daemon, &["export-patient", &second])
        .await?
        .ok()
        .json();
    assert_eq!(back["last_name"], "Quackenbush2");
    assert_eq!(
        ctl(&daemon, &["export-patient", &first]).await?.ok().json(),
        exported
    );
    // The daemon goes on serving with the restored store.
    assert_eq!(
        daemon
            .client
            .get(daemon.url("/readyz"))
            .send()
            .await?
            .status(),
        200
    );
    register(&daemon, 3).await?;

    let retry = ctl(&daemon, &["--json", "sync", "retry"])
        .await?
        .ok()
        .json();
    assert_eq!(retry["worker_woken"], false, "sync is off here: {retry}");
    assert!(retry["outbox_pending"].is_u64(), "{retry}");

    // Every administrative access is in the audit trail, by an administrator.
    daemon.terminate(Duration::from_secs(10)).await?;
    let store = teleconsult_tests::daemon::open_store(&daemon)?;
    let records = store.audit_records(1, 10_000)?;
    let by_admin: Vec<_> = records
        .iter()
        .filter(|r| matches!(r.event.actor, Actor::Admin(_)))
        .map(|r| (r.event.action, r.event.object_id.clone()))
        .collect();
    for expected in [
        (Action::Export, first.clone()),
        (Action::Export, second.clone()),
    ] {
        assert!(by_admin.contains(&expected), "{expected:?} in {by_admin:?}");
    }
    // The restore itself is recorded in the restored chain.
    assert!(
        records.iter().any(|r| r.event.object_type == "store"
            && r.event.action == Action::Update
            && matches!(r.event.actor, Actor::Admin(_))),
        "no audit record of the restore"
    );
    store.verify_audit_chain()?;
    Ok(())
}

#[tokio::test]
async fn on_a_stopped_daemon() -> anyhow::Result<()> {
    let (_socket_dir, mut daemon) = start_daemon().await?;
    let first = register(&daemon, 1).await?;
    let before = ctl(&daemon, &["export-patient", &first]).await?.ok().json();
    daemon.terminate(Duration::from_secs(10)).await?;

    ctl(&daemon, &["status"]).await?.failed(3, "not running");
    let status = ctl(&daemon, &["--json", "status"]).await?;
    assert_eq!(status.code, 3);
    assert_eq!(status.json()["running"], false);

    let work = tempfile::tempdir()?;
    let archive = work.path().join("stopped.tcbackup");
    let archive_arg = archive.to_string_lossy().into_owned();
    let backup = ctl(&daemon, &["backup", &archive_arg]).await?.ok();
    assert!(backup.stdout.contains("daemon stopped"), "{backup:?}");
    ctl(&daemon, &["erase-patient", &first]).await?.ok();
    ctl(&daemon, &["export-patient", &first])
        .await?
        .failed(1, "no patient");
    ctl(&daemon, &["audit-verify"]).await?.ok();

    // Damaged archives change nothing.
    let bytes = std::fs::read(&archive)?;
    let damaged = work.path().join("damaged.tcbackup");
    let damaged_arg = damaged.to_string_lossy().into_owned();
    let mut flipped = bytes.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x20;
    std::fs::write(&damaged, &flipped)?;
    ctl(&daemon, &["restore", "--force", &damaged_arg])
        .await?
        .failed(1, "corrupt");
    std::fs::write(&damaged, &bytes[..bytes.len() - 7])?;
    ctl(&daemon, &["restore", "--force", &damaged_arg])
        .await?
        .failed(1, "truncated");
    std::fs::write(&damaged, b"not an archive at all")?;
    ctl(&daemon, &["restore", "--force", &damaged_arg])
        .await?
        .failed(1, "not a teleconsult backup");
    ctl(&daemon, &["export-patient", &first])
        .await?
        .failed(1, "no patient");

    // The backup brings the patient back, identical; through stdin too.
    let config = daemon.config_path();
    let restored = tokio::task::spawn_blocking(move || {
        ctl_with(Some(&config), &["restore", "--force", "-"], Some(&bytes))
    })
    .await??
    .ok();
    assert!(restored.stdout.contains("daemon stopped"), "{restored:?}");
    assert_eq!(
        ctl(&daemon, &["export-patient", &first]).await?.ok().json(),
        before
    );

    // And the daemon starts on the restored store.
    daemon.spawn().await?;
    assert_eq!(
        ctl(&daemon, &["export-patient", &first]).await?.ok().json(),
        before
    );
    Ok(())
}

#[tokio::test]
async fn an_archive_of_another_site_key_is_refused() -> anyhow::Result<()> {
    let (_a_dir, mut a) = start_daemon().await?;
    let (_b_dir, b) = start_daemon().await?;
    let work = tempfile::tempdir()?;
    let archive = work.path().join("a.tcbackup");
    let archive_arg = archive.to_string_lossy().into_owned();
    ctl(&a, &["backup", &archive_arg]).await?.ok();
    a.terminate(Duration::from_secs(10)).await?;
    ctl(&b, &["restore", "--force", &archive_arg])
        .await?
        .failed(1, "another storage key");
    Ok(())
}

#[test]
fn usage_and_help() -> anyhow::Result<()> {
    for args in [
        &["--help"][..],
        &["status", "--help"],
        &["backup", "--help"],
        &["restore", "--help"],
        &["user", "--help"],
        &["user", "add", "--help"],
        &["sync", "retry", "--help"],
        &["--version"],
    ] {
        let run = ctl_with(None, args, None)?.ok();
        assert!(!run.stdout.is_empty(), "{args:?}");
    }
    ctl_with(None, &["frobnicate"], None).map(|r| assert_eq!(r.code, 64, "{r:?}"))?;
    ctl_with(None, &["backup"], None).map(|r| assert_eq!(r.code, 64, "{r:?}"))?;
    Ok(())
}

#[test]
fn check_config_reports_like_the_daemon() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[site]\nid = \"lux\"\n[http]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n",
    )?;
    let run = ctl_with(Some(&good), &["check-config"], None)?.ok();
    assert!(run.stdout.contains("configuration is valid"), "{run:?}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[site]\nid = \"Not Valid!\"\ncolour = \"blue\"\n")?;
    let run = ctl_with(Some(&bad), &["check-config"], None)?;
    assert_eq!(run.code, 2, "{run:?}");
    for needle in ["site.id", "site.colour", "unknown key", "http.tls_cert"] {
        assert!(run.stderr.contains(needle), "{needle}: {run:?}");
    }
    let json = ctl_with(Some(&bad), &["--json", "check-config"], None)?;
    assert_eq!(json.code, 2);
    assert_eq!(json.json()["valid"], false);
    // Other commands refuse an invalid configuration with the same exit status, in one line.
    ctl_with(Some(&bad), &["audit-verify"], None)?.failed(2, "configuration error");
    Ok(())
}

/// Runs teleconsultctl against `daemon` with `stdin`.
pub(crate) async fn ctl_stdin(daemon: &Daemon, args: &[&str], stdin: &str) -> anyhow::Result<Run> {
    let config = daemon.config_path();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.as_bytes().to_vec();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ctl_with(Some(&config), &args, Some(&stdin))
    })
    .await?
}

#[tokio::test]
async fn user_accounts_are_created_listed_and_disabled() -> anyhow::Result<()> {
    let socket_dir = tempfile::Builder::new().prefix("tc-admin-").tempdir()?;
    let daemon = teleconsult_tests::site::Site::real(&format!(
        "[admin]\nsocket = \"{}\"\n",
        socket_dir.path().join("admin.sock").display()
    ))
    .await?;
    let add = |role: &'static str, login: &'static str, extra: &'static [&'static str]| {
        let mut args = vec![
            "user",
            "add",
            "--role",
            role,
            "--login",
            login,
            "--phone",
            "+352621009999",
            "--email",
        ];
        args.push(if login == "frontdesk" {
            "fd@example.lu"
        } else {
            "dr.lang@example.lu"
        });
        args.extend_from_slice(extra);
        args.push("--password-stdin");
        args
    };
    let password = "front desk passphrase 7\n";
    ctl_stdin(
        &daemon,
        &add("staff", "frontdesk", &["--name", "Front Desk"]),
        password,
    )
    .await?
    .ok();
    ctl_stdin(&daemon, &add("staff", "frontdesk", &[]), password)
        .await?
        .failed(1, "already exists");
    ctl_stdin(&daemon, &add("admin", "weakling", &[]), "short\n")
        .await?
        .failed(1, "password");
    ctl_stdin(&daemon, &add("patient", "someone", &[]), password)
        .await?
        .failed(1, "register themselves");
    ctl_stdin(
        &daemon,
        &add("practitioner", "dr.lang", &["--name", "Dr Eva Lang"]),
        password,
    )
    .await?
    .failed(1, "--specialty");
    ctl_stdin(
        &daemon,
        &add(
            "practitioner",
            "dr.lang",
            &["--name", "Dr Eva Lang", "--specialty", "dermatology"],
        ),
        password,
    )
    .await?
    .ok();
    let listing = ctl(&daemon, &["user", "list"]).await?.ok();
    assert!(
        listing.stdout.contains("frontdesk")
            && listing.stdout.contains("staff")
            && listing.stdout.contains("active"),
        "{listing:?}"
    );
    assert!(!listing.stdout.contains("argon2"), "no hashes in listings");

    // The new staff account logs in like everyone (password, then the SMS code) …
    let staff = daemon
        .login_as("frontdesk", "front desk passphrase 7", "+352621009999")
        .await?;
    let me = daemon.get_ok(&staff, "/api/v1/me").await?;
    assert_eq!(me["role"], "staff");
    // … and sees the new practitioner in the directory.
    let found = daemon
        .get_ok(&staff, "/api/v1/practitioners?q=lang")
        .await?;
    assert_eq!(found[0]["specialty"], "dermatology", "{found}");

    // Disabled: the open session ends and the password no longer works.
    ctl(&daemon, &["user", "disable", "frontdesk"]).await?.ok();
    assert_eq!(daemon.get(&staff, "/api/v1/me").await?.0, 401);
    let again = serde_json::json!({"login": "frontdesk", "password": "front desk passphrase 7"});
    let (status, _) = daemon
        .send(
            None,
            reqwest::Method::POST,
            "/api/v1/auth/login",
            Some(&again),
        )
        .await?;
    assert_eq!(status, 401);
    ctl(&daemon, &["user", "disable", "nobody"])
        .await?
        .failed(1, "no account");
    Ok(())
}
