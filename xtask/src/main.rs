//! # xtask — set-up and orchestration (`cargo xtask <command>`)
//!
//! - `run`: installs what the daemon needs (Debian packages, idempotently), builds it and runs
//!   `teleconsultd --demo` in the foreground (Ctrl-C stops it cleanly).
//! - `test`: installs the test dependencies, then runs `cargo fmt --check`, `cargo clippy
//!   -D warnings` and the whole test suite with nextest. `.ci/run` runs exactly this. Every
//!   capability a test needs is required (`TELECONSULT_REQUIRE_ALL=1`, unless the caller set
//!   it): a test that cannot run here fails and says why; with `TELECONSULT_REQUIRE_ALL=0` it
//!   skips instead, and the skips are counted and listed after nextest's summary.
//!
//! - `bench <name>`: runs a benchmark and writes `target/bench/<name>.json`.
//! - `deb`: builds the Debian package `teleconsult` (release) with cargo-deb, checked with
//!   lintian (see `deb.rs`).
//!
//! Everything a fresh Debian 12 machine needs is installed from here, never by hand.

mod bench;
mod bench_sync;
mod deb;
mod deps;

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "run" => run(&rest),
        "test" => test(&rest),
        "bench" => bench::bench(&rest),
        "deb" => deb::deb(&rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 commands:\n  \
                 run [-- ARGS]   install dependencies, build and run teleconsultd --demo\n  \
                 test [FILTER]   install test dependencies; fmt check, clippy, the whole test suite\n  \
                 bench <name>    run a benchmark, write target/bench/<name>.json (names: startup, booking, sync, media, booth)\n  \
                 deb             build the Debian package (release) into target/debian, lint it"
            );
            if command.is_empty() || command == "help" || command == "--help" {
                Ok(())
            } else {
                bail!("unknown command {command:?}")
            }
        }
    }
}

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs a command, echoing it first; fails with its exit status.
fn step(title: &str, cmd: &mut Command) -> anyhow::Result<()> {
    println!("\n==> {title}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start: {cmd:?}"))?;
    if !status.success() {
        bail!("{title} failed ({status})");
    }
    Ok(())
}

fn run(args: &[String]) -> anyhow::Result<()> {
    deps::ensure_debian_packages(deps::RUN_PACKAGES)?;
    step(
        "building teleconsultd",
        cargo().args(["build", "--package", "teleconsultd", "--bins"]),
    )?;
    let binary = root().join("target/debug/teleconsultd");
    println!(
        "\n==> starting teleconsultd in demo mode (data in {}/teleconsult-demo; Ctrl-C to stop)",
        root().display()
    );
    let mut cmd = Command::new(binary);
    cmd.current_dir(root())
        .arg("--demo")
        .args(args.iter().filter(|a| *a != "--"));
    // Replace this process, so Ctrl-C and SIGTERM reach the daemon directly and its exit status
    // is ours.
    use std::os::unix::process::CommandExt;
    Err(cmd.exec()).context("cannot start teleconsultd")
}

fn test(args: &[String]) -> anyhow::Result<()> {
    deps::ensure_debian_packages(deps::TEST_PACKAGES)?;
    let python = deps::ensure_python_tools()?;
    deb::ensure_cargo_deb()?;
    deps::ensure_fhir_peer()?;
    deps::ensure_browser_test_packages()?;
    step(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    step(
        "cargo clippy -D warnings",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step(
        "building the binaries under test",
        cargo().args(["build", "--workspace", "--bins", "--locked"]),
    )?;
    let mut nextest = cargo();
    nextest
        .args([
            "nextest",
            "run",
            "--workspace",
            "--locked",
            "--profile",
            "ci",
            "--no-tests",
            "fail",
        ])
        .args(args)
        .env("TELECONSULTD_BIN", root().join("target/debug/teleconsultd"))
        .env("TELECONSULT_TEST_PYTHON", python);
    // The capability rule (tests/src/capability.rs): every capability is required unless the
    // developer said otherwise; skips, where allowed, are written to a log counted below.
    let require_all = std::env::var(REQUIRE_ALL).unwrap_or_else(|_| "1".to_owned());
    let skip_log = root().join("target/test-skips.log");
    match std::fs::remove_file(&skip_log) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            bail!("cannot clear {}: {e}", skip_log.display())
        }
        _ => {}
    }
    nextest
        .env(REQUIRE_ALL, &require_all)
        .env(SKIP_LOG, &skip_log);
    let outcome = step("test suite (nextest)", &mut nextest);
    report_skips(&skip_log, &require_all)?;
    outcome
}

/// Environment variables of the capability rule (read by `teleconsult_tests::capability`).
const REQUIRE_ALL: &str = "TELECONSULT_REQUIRE_ALL";
const SKIP_LOG: &str = "TELECONSULT_SKIP_LOG";

/// Prints, after nextest's own summary, how many tests skipped for a missing capability and
/// why (one line each in `log`).
fn report_skips(log: &Path, require_all: &str) -> anyhow::Result<()> {
    let lines = match std::fs::read_to_string(log) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => bail!("cannot read the skip log {}: {e}", log.display()),
    };
    print!("\n{}", skip_report(&lines, require_all));
    Ok(())
}

/// The skip summary for the lines of a skip log (`test<TAB>why`).
fn skip_report(log: &str, require_all: &str) -> String {
    let skips: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    if skips.is_empty() {
        return format!("==> no test skipped ({REQUIRE_ALL}={require_all})\n");
    }
    let mut out = format!(
        "==> {} test{} skipped for a missing capability ({REQUIRE_ALL}={require_all}); \
         nextest counted {} as passed:\n",
        skips.len(),
        if skips.len() == 1 { "" } else { "s" },
        if skips.len() == 1 { "it" } else { "them" },
    );
    for skip in skips {
        let (test, why) = skip.split_once('\t').unwrap_or((skip, ""));
        out.push_str(&format!("  SKIPPED {test}: {why}\n"));
    }
    out
}

/// Prints a benchmark's table and writes `target/bench/<name>.json`.
fn bench_report(name: &str, metrics: &[(&str, f64)], notes: &str) -> anyhow::Result<()> {
    println!("\n{name}");
    for (metric, value) in metrics {
        // Two decimals: ratios such as 0.35 must not read as 0.4.
        println!("  {metric:<30} {value:>10.2}");
    }
    println!("  ({notes})");
    let map: serde_json::Map<String, serde_json::Value> = metrics
        .iter()
        .map(|(k, v)| {
            (
                (*k).to_owned(),
                serde_json::json!((v * 100.0).round() / 100.0),
            )
        })
        .collect();
    let report = serde_json::json!({ "name": name, "metrics": map, "notes": notes });
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("  written to {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_skip_report_counts_and_lists_each_skip() {
        assert_eq!(
            super::skip_report("", "1"),
            "==> no test skipped (TELECONSULT_REQUIRE_ALL=1)\n"
        );
        let log = "call::a\tnetwork namespaces: denied\npackaging::b\troot: not root\n";
        assert_eq!(
            super::skip_report(log, "0"),
            "==> 2 tests skipped for a missing capability (TELECONSULT_REQUIRE_ALL=0); nextest \
             counted them as passed:\n  SKIPPED call::a: network namespaces: denied\n  SKIPPED \
             packaging::b: root: not root\n"
        );
    }
}
