//! `teleconsultd`: the teleconsultation appliance daemon. See `teleconsultd --help`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use teleconsultd::config::{self, ConfigSource};
use teleconsultd::run::Invocation;

/// Teleconsultation appliance daemon for pharmacy booths and clinics.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Configuration file [default: /etc/teleconsult/teleconsult.toml, when present].
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Demo mode: embedded defaults, storage under ./teleconsult-demo, self-signed TLS,
    /// seeded demo data.
    #[arg(long, global = true)]
    demo: bool,
    /// Let demo mode listen on a non-loopback address (`http.listen`). Its passwords are
    /// public and its login codes are shown on /demo/outbox: only on a network you trust.
    #[arg(long, global = true)]
    demo_on_network: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve (the default).
    Run,
    /// Validate the configuration and report every problem found; exit 0 when valid.
    CheckConfig,
}

/// Exit status for a configuration error (the unit does not restart on it).
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    // Two rustls crypto providers can be compiled in through dependencies: pick ring explicitly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let source = cli
        .config
        .as_deref()
        .map_or(ConfigSource::Default, ConfigSource::Explicit);
    let env: Vec<(String, String)> = std::env::vars().collect();
    let flags = config::Flags {
        demo: cli.demo,
        demo_on_network: cli.demo_on_network,
    };
    let loaded = config::load_with(source, flags, &env);
    match cli.command.unwrap_or(Command::Run) {
        Command::CheckConfig => match loaded {
            Ok(c) => {
                println!(
                    "configuration is valid (site {:?}, {:?}, {:?}, listen {}, storage {})",
                    c.site.id,
                    c.site.kind,
                    c.site.country,
                    c.http.listen,
                    c.storage.path.display()
                );
                for warning in config::warnings(&c, flags) {
                    eprintln!("warning: {warning}");
                }
                ExitCode::SUCCESS
            }
            Err(errors) => {
                eprint!("{errors}");
                ExitCode::from(EXIT_CONFIG)
            }
        },
        Command::Run => {
            let config = match loaded {
                Ok(c) => c,
                Err(errors) => {
                    eprint!("teleconsultd: {errors}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            serve(
                config,
                Invocation {
                    config_path: cli.config,
                    flags,
                },
            )
        }
    }
}

fn serve(config: config::Config, invocation: Invocation) -> ExitCode {
    let log = match teleconsultd::logging::init(&config.log) {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("teleconsultd: cannot set up logging: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("teleconsultd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(teleconsultd::run::run(config, log, invocation)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "teleconsultd failed");
            eprintln!("teleconsultd: {e:#}");
            ExitCode::FAILURE
        }
    }
}
