//! The command line of `teleconsultctl` (DESIGN §4c, a public contract: add, never break).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Administer a teleconsult site: status, configuration check, backups and restores, patient
/// export and erasure, audit-chain verification, outbox retries.
///
/// Talks to the running teleconsultd over its admin socket ([admin] socket, default
/// /run/teleconsult/admin.sock; run as root); when the daemon is stopped, opens the store
/// itself. Exit status: 0 success, 1 failure, 2 invalid configuration, 3 daemon not running
/// (status), 4 not available in this version, 64 bad usage. Errors are one line on stderr.
#[derive(Parser, Debug)]
#[command(name = "teleconsultctl", version, about, long_about)]
pub struct Cli {
    /// Configuration file [default: /etc/teleconsult/teleconsult.toml, when present].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print the result as JSON on stdout (for scripts).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Whether teleconsultd runs and is ready; version, uptime, TLS, store size, audit
    /// records, sync state and pending outbox messages. Exit 3 when it is not running.
    Status,
    /// Validate the configuration (the same checks as `teleconsultd check-config`); exit 2 and
    /// list every problem when it is invalid.
    CheckConfig,
    /// Accounts of staff, practitioners, pharmacists and administrators (patients register on
    /// the web).
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent, encrypted backup of the whole store to FILE ("-" for stdout).
    ///
    /// Made by the running daemon without stopping it, or from the store when the daemon is
    /// stopped. Sealed with the storage key: keep the key file safe elsewhere, the backup is
    /// useless without it.
    Backup {
        /// Where to write the archive (created 0600; "-" writes to stdout).
        file: PathBuf,
        /// Replace FILE when it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the whole store with the backup in FILE ("-" for stdin).
    ///
    /// The archive is verified first (checksum, storage key, authenticity); a corrupt,
    /// truncated or foreign archive changes nothing. Works on a running or a stopped daemon.
    /// With --force, a store the storage engine cannot read has its files moved aside
    /// (`damaged-N` in the storage folder) and the backup goes into a new store.
    Restore {
        /// The archive written by `teleconsultctl backup`.
        file: PathBuf,
        /// Replace a store that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// Print a patient's record as JSON (GDPR access). The export is audited.
    ExportPatient {
        /// The patient id (a UUID).
        id: String,
    },
    /// Erase a patient's record and its look-up entries (GDPR erasure). The audit trail,
    /// which holds identifiers only, is kept as the law requires; the erasure is audited.
    ErasePatient {
        /// The patient id (a UUID).
        id: String,
    },
    /// Verify the audit hash chain from the first record to the last, and compare its head
    /// with the anchor kept outside the store (a store that went back to an earlier state
    /// fails). Exit 1 naming the first broken record, or what is missing since when.
    AuditVerify,
    /// Read and check every record of the store: damaged records are listed by kind and key,
    /// and a store behind its audit anchor is reported. Exit 1 when anything is found. On a
    /// running daemon, its metrics and staff pages show the outcome too.
    Verify,
    /// The outbox towards the national platform.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Prepare a fresh installation (the package's postinst runs it): create the storage key
    /// and, when http.tls_cert and http.tls_key name files that do not exist, a self-signed
    /// certificate flagged as a placeholder. Never overwrites anything.
    Setup {
        /// Give the files created to this user (the service user, `teleconsult`).
        #[arg(long, value_name = "USER")]
        owner: Option<String>,
        /// Host names and addresses for the self-signed certificate
        /// [default: this host's name, localhost, 127.0.0.1, ::1].
        #[arg(long = "name", value_name = "NAME")]
        names: Vec<String>,
    },
    /// Internal: serves one request on stdin/stdout with the store opened as its owner (see
    /// `ctl::backend`).
    #[command(hide = true)]
    StoreHelper {
        #[arg(long)]
        actor: String,
        #[arg(long)]
        create: bool,
        #[arg(long)]
        set_aside_damaged: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account; the password is read from stdin.
    Add {
        #[arg(long, value_enum)]
        role: Role,
        #[arg(long)]
        login: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        specialty: Option<String>,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
    /// Disable an account (it can no longer log in).
    Disable {
        /// The login of the account.
        login: String,
    },
    /// Remove the authenticator app of an account (a lost phone): its next login gets an SMS
    /// code. The owner is told by e-mail.
    ResetTotp {
        /// The login of the account.
        login: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Patient,
    Practitioner,
    Staff,
    Pharmacist,
    Admin,
}

#[derive(Subcommand, Debug)]
pub enum SyncCommand {
    /// Retry queued messages now: reset their delivery attempts (no back-off wait), wake the
    /// running daemon's sync worker, and print how many are pending.
    Retry,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn design_4c_invocations_parse() {
        for args in [
            &["teleconsultctl", "status"][..],
            &["teleconsultctl", "--json", "--config", "/x.toml", "status"],
            &["teleconsultctl", "check-config"],
            &[
                "teleconsultctl",
                "user",
                "add",
                "--role",
                "practitioner",
                "--login",
                "l",
                "--phone",
                "+352621000000",
                "--email",
                "e@example.lu",
                "--name",
                "N",
                "--specialty",
                "general_practice",
                "--password-stdin",
            ],
            &["teleconsultctl", "user", "list"],
            &["teleconsultctl", "user", "disable", "l"],
            &["teleconsultctl", "backup", "/tmp/b.tcbackup"],
            &["teleconsultctl", "restore", "/tmp/b.tcbackup", "--force"],
            &["teleconsultctl", "export-patient", "id"],
            &["teleconsultctl", "erase-patient", "id"],
            &["teleconsultctl", "audit-verify"],
            &["teleconsultctl", "verify"],
            &["teleconsultctl", "sync", "retry"],
            &["teleconsultctl", "status", "--json"],
        ] {
            if let Err(e) = Cli::try_parse_from(args) {
                panic!("{args:?}: {e}");
            }
        }
    }
}
