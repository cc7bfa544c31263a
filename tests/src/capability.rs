//! What a test does when the machine lacks something it needs — one rule for the whole suite
//! (the e2e binary and the media tests alike).
//!
//! A few tests need more than the code under test: root, network namespaces, a container
//! booted with `systemd-nspawn`. Without them such a test cannot test what it is for, and a
//! green result would claim otherwise. So:
//!
//! - **`cargo xtask test`** sets [`REQUIRE_ALL_VAR`]` = 1`: a missing capability is a
//!   **failure** that names what is missing and how to get it. CI runs exactly this.
//! - **A developer's partial run** (`cargo nextest run …`, or `cargo xtask test` with
//!   `TELECONSULT_REQUIRE_ALL=0` in the environment) may skip: the test says so loudly on
//!   stdout and stderr, and appends one line to the skip log ([`SKIP_LOG_VAR`], set by
//!   `cargo xtask test`), which `cargo xtask test` counts and lists after nextest's summary.
//!
//! A skipped test returns early and nextest reports it as passed: the skip log is where it is
//! counted (nextest has no "skipped at run time" status).

use std::fmt;
use std::io::Write;

/// `1` (or `true`, `yes`): every capability is required; a missing one fails the test.
pub const REQUIRE_ALL_VAR: &str = "TELECONSULT_REQUIRE_ALL";
/// A file each skip appends one line to (`test<TAB>what is missing`).
pub const SKIP_LOG_VAR: &str = "TELECONSULT_SKIP_LOG";

/// Something a test needs that this machine does not offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// What is missing, e.g. "network namespaces".
    pub capability: String,
    /// What happened when the test tried (the error, the failing probe).
    pub detail: String,
    /// How to get it: packages to install, privileges to run with.
    pub remedy: String,
}

impl Missing {
    pub fn new(
        capability: impl Into<String>,
        detail: impl Into<String>,
        remedy: impl Into<String>,
    ) -> Self {
        Self {
            capability: capability.into(),
            detail: detail.into(),
            remedy: remedy.into(),
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} unavailable: {}; to run this test: {}",
            self.capability, self.detail, self.remedy
        )
    }
}

/// Whether this run requires every capability ([`REQUIRE_ALL_VAR`]).
pub fn required() -> bool {
    std::env::var(REQUIRE_ALL_VAR)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// The test `test` cannot run here because of `missing`.
///
/// Under [`REQUIRE_ALL_VAR`] this is an error (the test fails, saying what to install).
/// Otherwise the skip is announced on stdout and stderr, appended to the skip log when one is
/// set ([`SKIP_LOG_VAR`]), and `Ok(())` lets the test return early.
pub fn skip(test: &str, missing: &Missing) -> anyhow::Result<()> {
    let log = std::env::var_os(SKIP_LOG_VAR).map(std::path::PathBuf::from);
    decide(test, missing, required(), log.as_deref())
}

fn decide(
    test: &str,
    missing: &Missing,
    required: bool,
    log: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if required {
        anyhow::bail!(
            "{test}: {missing}\n(this run requires every capability: {REQUIRE_ALL_VAR}=1, as \
             `cargo xtask test` sets; a developer may set {REQUIRE_ALL_VAR}=0 to skip instead)"
        );
    }
    let bar = "!".repeat(78);
    println!("\n{bar}\nSKIPPED {test}\n  {missing}\n{bar}\n");
    eprintln!("SKIPPED {test}: {missing}");
    if let Some(log) = log {
        // One write per line with O_APPEND: lines from tests running in parallel do not mix.
        let line = format!(
            "{test}\t{}: {}\n",
            missing.capability,
            missing.detail.replace(['\n', '\t'], " ")
        );
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(e) = written {
            // The skip would go uncounted: fail rather than pass quietly.
            anyhow::bail!(
                "{test} skipped ({missing}) but the skip log {} cannot be written: {e}",
                log.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_runs_fail_and_others_log_one_line_per_skip() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("skips.log");
        let missing = Missing::new("network namespaces", "ip netns add: denied", "run as root");
        let err = decide("demo::test", &missing, true, Some(&log)).expect_err("a failure");
        let text = format!("{err:#}");
        assert!(
            text.contains("network namespaces unavailable") && text.contains("run as root"),
            "{text}"
        );
        assert!(!log.exists(), "a failure is no skip");

        decide("demo::first", &missing, false, Some(&log))?;
        decide("demo::second", &missing, false, Some(&log))?;
        decide("demo::unlogged", &missing, false, None)?;
        let lines = std::fs::read_to_string(&log)?;
        assert_eq!(
            lines,
            "demo::first\tnetwork namespaces: ip netns add: denied\n\
             demo::second\tnetwork namespaces: ip netns add: denied\n"
        );
        let unwritable = dir.path().join("no-such-dir/skips.log");
        let lost = decide("demo::lost", &missing, false, Some(&unwritable))
            .expect_err("an uncounted skip fails");
        assert!(format!("{lost}").contains("cannot be written"), "{lost}");
        Ok(())
    }
}
