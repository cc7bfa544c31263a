//! The Python interpreter of the test tools venv (`cargo xtask test` creates it).

use std::path::PathBuf;

/// `TELECONSULT_TEST_PYTHON`, or the venv `cargo xtask test` makes under `target/`.
pub fn interpreter() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("TELECONSULT_TEST_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let default = crate::daemon::workspace_root().join("target/test-python/bin/python");
    if default.exists() {
        Ok(default)
    } else {
        anyhow::bail!(
            "no Python test tools: run the suite with `cargo xtask test` (it creates {})",
            default.display()
        )
    }
}
