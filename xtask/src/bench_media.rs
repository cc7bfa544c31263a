//! `cargo xtask bench media` (DESIGN §9): booth sender CPU vs Chromium sending the same 720p30,
//! and glass-to-glass latency booth → Chromium, clean and through 50 ms delay + 2 % loss. The
//! measurement itself is the ignored test `bench_media` in `media/tests/chromium.rs` (it owns
//! the namespaces, the booth peer, Chromium and the page); this step installs what it needs,
//! runs it, and reports what it wrote. Needs root (network namespaces).

use anyhow::Context;

pub fn media() -> anyhow::Result<()> {
    crate::deps::ensure_debian_packages(crate::deps::TEST_PACKAGES)?;
    let python = crate::deps::ensure_python_tools()?;
    let raw = crate::root().join("target/bench/media-raw.json");
    let _ = std::fs::remove_file(&raw);
    std::fs::create_dir_all(crate::root().join("target/bench"))?;
    let mut run = crate::cargo();
    run.args([
        "test",
        "--locked",
        "--release",
        "--package",
        "teleconsult-media",
        "--test",
        "chromium",
        "--",
        "--ignored",
        "--exact",
        "bench_media",
        "--nocapture",
    ])
    .env("TELECONSULT_BENCH_OUT", &raw)
    .env("TELECONSULT_TEST_PYTHON", python);
    crate::step(
        "media benchmark: booth peer ↔ headless Chromium in namespaces",
        &mut run,
    )?;
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&raw).with_context(|| format!("{} not written", raw.display()))?,
    )?;
    let metrics: Vec<(String, f64)> = report
        .get("metrics")
        .and_then(serde_json::Value::as_object)
        .context("no metrics in the benchmark output")?
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
        .collect();
    let metrics: Vec<(&str, f64)> = metrics.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let notes = report
        .get("notes")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    crate::bench_report("media", &metrics, notes)
}
