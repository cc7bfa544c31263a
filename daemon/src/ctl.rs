//! `teleconsultctl`, the admin CLI (DESIGN §4c): parses the command line, loads the
//! configuration like the daemon does, sends the request to the running daemon or the stopped
//! store ([`backend`]), and prints the result for people ([`output`]) or as JSON (`--json`).
//! Every failure is one line on stderr and a documented exit status.

pub mod backend;
pub mod cli;
pub mod output;
pub mod setup;

use crate::admin::ops::{ErasureReport, StatusReport, SyncRetryReport};
use crate::admin::protocol::Request;
use crate::config::{self, Config, ConfigSource};
use backend::Backend;
use clap::Parser;
use cli::{Cli, Command, SyncCommand, UserCommand};
use serde::de::DeserializeOwned;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::ExitCode;
use teleconsult_store::{AuditVerification, BackupManifest, RestoreReport, ScrubReport};

pub const EXIT_FAILURE: u8 = 1;
/// The configuration is invalid (as `teleconsultd check-config`).
pub const EXIT_CONFIG: u8 = 2;
/// `status`: the daemon is not running (as LSB `status` actions).
pub const EXIT_NOT_RUNNING: u8 = 3;
/// Bad command line (sysexits `EX_USAGE`).
pub const EXIT_USAGE: u8 = 64;

/// A failure: the exit status, a stable code (in `--json` output) and a one-line message.
#[derive(Debug)]
pub struct CtlError {
    pub exit: u8,
    pub code: String,
    pub message: String,
    /// The JSON answer is already on stdout (with `--json`): print only the stderr line.
    pub reported: bool,
}

impl CtlError {
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            exit: EXIT_FAILURE,
            code: "failed".into(),
            message: message.into(),
            reported: false,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = code.into();
        self
    }

    fn with_exit(mut self, exit: u8) -> Self {
        self.exit = exit;
        self
    }

    fn reported(mut self, json: bool) -> Self {
        self.reported = json;
        self
    }
}

/// The whole program; `main` of the `teleconsultctl` binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json && !e.reported {
                print_json(&serde_json::json!({
                    "ok": false, "error": e.code, "message": e.message,
                }));
            }
            eprintln!("teleconsultctl: {}", one_line(&e.message));
            ExitCode::from(e.exit)
        }
    }
}

fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn run(cli: Cli) -> Result<(), CtlError> {
    let source = cli
        .config
        .as_deref()
        .map_or(ConfigSource::Default, ConfigSource::Explicit);
    let env: Vec<(String, String)> = std::env::vars().collect();
    let loaded = config::load(source, false, &env);
    if let Command::CheckConfig = cli.command {
        return check_config(loaded, cli.json);
    }
    let config = loaded.map_err(|errors| {
        let list: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
        CtlError::failure(format!(
            "{} configuration error(s) (see teleconsultctl check-config): {}",
            list.len(),
            list.join("; ")
        ))
        .with_code("invalid_configuration")
        .with_exit(EXIT_CONFIG)
    })?;
    let actor = crate::admin::actor_name(nix::unistd::Uid::current().as_raw());
    let config_path = cli.config.as_deref();
    let json = cli.json;
    match cli.command {
        Command::Status => status(&config, json),
        Command::Backup { file, force } => backup(&config, config_path, &file, force, json, &actor),
        Command::Restore { file, force } => {
            restore(&config, config_path, &file, force, json, &actor)
        }
        Command::ExportPatient { id } => {
            let mut backend = backend::open(&config, config_path, false, &actor)?;
            let (value, _) =
                backend::call(&mut backend, &Request::ExportPatient { id }, &[], &actor)?;
            // The export is JSON whatever the output mode.
            print_json(&value);
            Ok(())
        }
        Command::ErasePatient { id } => {
            let erasure: ErasureReport =
                simple(&config, config_path, Request::ErasePatient { id }, &actor)?;
            show(json, &erasure, output::erasure)
        }
        Command::AuditVerify => {
            let verification: AuditVerification =
                simple(&config, config_path, Request::AuditVerify, &actor)?;
            show(json, &verification, output::audit)
        }
        Command::Verify => {
            let report: ScrubReport = simple(&config, config_path, Request::Verify, &actor)?;
            show(json, &report, output::verify)?;
            if report.is_clean() && report.unchecked.is_empty() {
                Ok(())
            } else if report.is_clean() {
                Err(CtlError::failure(format!(
                    "not everything could be checked: {}",
                    report.unchecked.join("; ")
                ))
                .with_code("store_unchecked")
                .reported(json))
            } else {
                Err(CtlError::failure(output::verify_failure(&report))
                    .with_code(if report.rollback.is_some() {
                        "store_rolled_back"
                    } else {
                        "store_damaged"
                    })
                    .reported(json))
            }
        }
        Command::Sync(SyncCommand::Retry) => {
            let report: SyncRetryReport = simple(&config, config_path, Request::SyncRetry, &actor)?;
            show(json, &report, output::sync_retry)
        }
        Command::Setup { owner, names } => {
            let actions = setup::run(&config, owner.as_deref(), names)?;
            if json {
                print_json(&serde_json::json!({ "actions": actions }));
            } else {
                for action in actions {
                    println!("{action}");
                }
            }
            Ok(())
        }
        Command::StoreHelper {
            actor,
            create,
            set_aside_damaged,
        } => backend::serve_helper(&config, create, set_aside_damaged, &actor)
            .map_err(|e| CtlError::failure(format!("store helper: {e}"))),
        Command::User(command) => user(&config, config_path, command, json, &actor),
        Command::CheckConfig => Ok(()),
    }
}

fn check_config(loaded: Result<Config, config::ConfigErrors>, json: bool) -> Result<(), CtlError> {
    match loaded {
        Ok(c) => {
            if json {
                print_json(&serde_json::json!({ "valid": true, "errors": [] }));
            } else {
                println!(
                    "configuration is valid (site {:?}, {:?}, {:?}, listen {}, storage {})",
                    c.site.id,
                    c.site.kind,
                    c.site.country,
                    c.http.listen,
                    c.storage.path.display()
                );
            }
            Ok(())
        }
        Err(errors) => {
            if json {
                let list: Vec<_> = errors
                    .0
                    .iter()
                    .map(|i| serde_json::json!({ "key": i.key, "message": i.message }))
                    .collect();
                print_json(&serde_json::json!({ "valid": false, "errors": list }));
            } else {
                // The same report as `teleconsultd check-config`, one problem a line.
                eprint!("{errors}");
            }
            Err(
                CtlError::failure(format!("{} configuration error(s)", errors.0.len()))
                    .with_code("invalid_configuration")
                    .with_exit(EXIT_CONFIG)
                    .reported(json),
            )
        }
    }
}

fn status(config: &Config, json: bool) -> Result<(), CtlError> {
    let Some(stream) = backend::connect_daemon(config)? else {
        if json {
            print_json(&serde_json::json!({
                "running": false,
                "admin_socket": config.admin.socket,
            }));
        }
        return Err(CtlError::failure(format!(
            "teleconsultd is not running (nothing answers on {})",
            config.admin.socket.display()
        ))
        .with_code("not_running")
        .with_exit(EXIT_NOT_RUNNING)
        .reported(json));
    };
    let mut backend = Backend::Daemon(stream);
    let (value, _) = backend::call(&mut backend, &Request::Status, &[], "")?;
    let report: StatusReport = decode(value.clone())?;
    if json {
        let mut value = value;
        if let Some(map) = value.as_object_mut() {
            map.insert("running".into(), true.into());
        }
        print_json(&value);
    } else {
        println!("{}", output::status(&report));
    }
    Ok(())
}

fn backup(
    config: &Config,
    config_path: Option<&Path>,
    file: &Path,
    force: bool,
    json: bool,
    actor: &str,
) -> Result<(), CtlError> {
    let to_stdout = file == Path::new("-");
    if !to_stdout && file.exists() && !force {
        return Err(CtlError::failure(format!(
            "{} exists (use --force to replace it)",
            file.display()
        )));
    }
    let mut backend = backend::open(config, config_path, false, actor)?;
    let by_daemon = backend.is_daemon();
    let (value, payload) = backend::call(&mut backend, &Request::Backup, &[], actor)?;
    drop(backend);
    let manifest: BackupManifest = decode(value)?;
    let archive =
        payload.ok_or_else(|| CtlError::failure("the backup came back without its archive"))?;
    if !to_stdout {
        check_backup_room(config, file, archive.len() as u64)?;
    }
    let destination = if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(&archive)
            .and_then(|()| out.flush())
            .map_err(|e| CtlError::failure(format!("cannot write the backup to stdout: {e}")))?;
        "stdout".to_owned()
    } else {
        write_private_file(file, &archive)?;
        file.display().to_string()
    };
    let summary = output::backup(&manifest, &destination, archive.len(), by_daemon);
    if to_stdout {
        // stdout holds the archive: the report goes to stderr.
        eprintln!("{summary}");
    } else if json {
        print_json(&serde_json::json!({
            "file": file, "bytes": archive.len(), "by_daemon": by_daemon, "manifest": manifest,
        }));
    } else {
        println!("{summary}");
    }
    Ok(())
}

/// Refuses to write a backup of `size` bytes to `file` on the storage filesystem when that would
/// leave less free than the reserve (`[storage] reserve_mb`, `reserve_percent`): the room kept
/// for appointments, documents and the audit trail is not for backups. Elsewhere it is the
/// administrator's disk.
fn check_backup_room(config: &Config, file: &Path, size: u64) -> Result<(), CtlError> {
    use std::os::unix::fs::MetadataExt;
    let folder = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (Ok(target), Ok(store)) = (
        std::fs::metadata(folder),
        std::fs::metadata(&config.storage.path),
    ) else {
        // Missing folders are reported when writing.
        return Ok(());
    };
    if target.dev() != store.dev() {
        return Ok(());
    }
    let space = teleconsult_store::DiskSpace::of(folder)
        .map_err(|e| CtlError::failure(format!("cannot measure {}: {e}", folder.display())))?;
    let reserve = config.storage.reserve().bytes(space.capacity_bytes);
    if space.available_bytes < reserve.saturating_add(size) {
        return Err(CtlError::failure(format!(
            "{} is on the storage filesystem, and a backup of {} there would leave less than \
             the {} kept free for appointments, documents and the audit trail ({} free): write \
             it to another disk, or to stdout with \"-\"",
            file.display(),
            output::bytes(size),
            output::bytes(reserve),
            output::bytes(space.available_bytes)
        ))
        .with_code("insufficient_storage"));
    }
    Ok(())
}

/// Writes `bytes` to `path` (mode 0600) through a temporary file renamed into place, so a
/// crash never leaves a half-written archive under the final name.
fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), CtlError> {
    let name = path
        .file_name()
        .ok_or_else(|| CtlError::failure(format!("{} is not a file name", path.display())))?;
    let temporary = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        CtlError::failure(format!("cannot write {}: {e}", path.display()))
    })
}

fn restore(
    config: &Config,
    config_path: Option<&Path>,
    file: &Path,
    force: bool,
    json: bool,
    actor: &str,
) -> Result<(), CtlError> {
    let archive = if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CtlError::failure(format!("cannot read the backup from stdin: {e}")))?;
        bytes
    } else {
        std::fs::read(file)
            .map_err(|e| CtlError::failure(format!("cannot read {}: {e}", file.display())))?
    };
    // Checks that need no key, before anything is opened: a damaged file is named as such.
    let manifest = teleconsult_store::read_manifest(&archive)
        .map_err(|e| CtlError::failure(e.to_string()).with_code(e.code()))?;
    let mut backend = backend::open_for_restore(config, config_path, force, actor)?;
    let by_daemon = backend.is_daemon();
    let (value, _) = backend::call(&mut backend, &Request::Restore { force }, &archive, actor)?;
    let set_aside = value
        .get("set_aside")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let report: RestoreReport = decode(value)?;
    let mut warnings = Vec::new();
    if manifest.site_id != config.site.id {
        warnings.push(format!(
            "the backup comes from site {:?}, this site is {:?}",
            manifest.site_id, config.site.id
        ));
    }
    if let Some(aside) = &set_aside {
        warnings.push(format!(
            "the store could not be read: its files were moved to {aside} (delete them once \
             the restored store is checked)"
        ));
    }
    if json {
        print_json(&serde_json::json!({
            "by_daemon": by_daemon, "report": report, "warnings": warnings,
        }));
    } else {
        println!("{}", output::restore(&report, by_daemon));
        for warning in warnings {
            println!("warning: {warning}");
        }
    }
    Ok(())
}

/// A request without payloads, decoded into its result type.
fn simple<T: DeserializeOwned>(
    config: &Config,
    config_path: Option<&Path>,
    request: Request,
    actor: &str,
) -> Result<T, CtlError> {
    let mut backend = backend::open(config, config_path, false, actor)?;
    let (value, _) = backend::call(&mut backend, &request, &[], actor)?;
    decode(value)
}

fn decode<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, CtlError> {
    serde_json::from_value(value).map_err(|e| {
        CtlError::failure(format!(
            "unexpected answer (is teleconsultd the same version as teleconsultctl?): {e}"
        ))
    })
}

fn show<T: serde::Serialize>(
    json: bool,
    value: &T,
    human: fn(&T) -> String,
) -> Result<(), CtlError> {
    if json {
        print_json(value);
    } else {
        println!("{}", human(value));
    }
    Ok(())
}

fn print_json<T: serde::Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("teleconsultctl: cannot print JSON: {e}"),
    }
}

/// `user add|list|disable`.
fn user(
    config: &Config,
    config_path: Option<&Path>,
    command: UserCommand,
    json: bool,
    actor: &str,
) -> Result<(), CtlError> {
    use crate::admin::users::{NewUser, UserSummary};
    let request = match command {
        UserCommand::Add {
            role,
            login,
            phone,
            email,
            name,
            specialty,
            password_stdin: _,
        } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).map_err(|e| {
                CtlError::failure(format!("cannot read the password from standard input: {e}"))
            })?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            if password.is_empty() {
                return Err(CtlError::failure(
                    "no password on standard input (--password-stdin)",
                ));
            }
            let role = format!("{role:?}").to_lowercase();
            Request::UserAdd(NewUser {
                role,
                login,
                phone,
                email,
                name,
                specialty,
                password,
            })
        }
        UserCommand::List => Request::UserList,
        UserCommand::Disable { login } => Request::UserDisable { login },
        UserCommand::ResetTotp { login } => Request::UserResetTotp { login },
    };
    let listing = matches!(request, Request::UserList);
    let value: serde_json::Value = simple(config, config_path, request, actor)?;
    if json {
        print_json(&value);
    } else if listing {
        let users: Vec<UserSummary> = decode(value)?;
        for u in users {
            println!("{:<24} {:<13} {:<9} {}", u.login, u.role, u.status, u.name);
        }
    } else {
        let u: UserSummary = decode(value)?;
        let app = if u.totp { ", authenticator app" } else { "" };
        println!("{} {} ({}, {}{app})", u.login, u.status, u.role, u.name);
    }
    Ok(())
}
