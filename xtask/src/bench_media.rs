//! `cargo xtask bench media` (DESIGN §9): booth sender CPU vs Chromium sending the same 720p30,
//! and glass-to-glass latency booth → Chromium, clean and through 50 ms delay + 2 % loss (the
//! ignored test `bench_media`, `media/tests/chromium.rs`); then the shaped paths of issue #22,
//! booth → Chromium against Chromium → Chromium on the same capped uplinks (the ignored test
//! `bench_shaped`, `media/tests/shaped.rs`). The tests own the namespaces, the booth peer,
//! Chromium and the pages; this step installs what they need, runs them, and reports what they
//! wrote as one `media` report. Needs root (network namespaces).

use anyhow::Context;

/// The benchmark's tests: (test target, ignored test, what it measures).
const PARTS: [(&str, &str, &str); 2] = [
    (
        "chromium",
        "bench_media",
        "media benchmark: booth peer ↔ headless Chromium in namespaces",
    ),
    (
        "shaped",
        "bench_shaped",
        "media benchmark: shaped uplinks, booth → Chromium vs Chromium → Chromium",
    ),
];

pub fn media() -> anyhow::Result<()> {
    crate::deps::ensure_debian_packages(crate::deps::TEST_PACKAGES)?;
    let python = crate::deps::ensure_python_tools()?;
    std::fs::create_dir_all(crate::root().join("target/bench"))?;
    let mut metrics: Vec<(String, f64)> = Vec::new();
    let mut notes = Vec::new();
    for (target, test, what) in PARTS {
        let raw = crate::root().join(format!("target/bench/media-{target}-raw.json"));
        let _ = std::fs::remove_file(&raw);
        let mut run = crate::cargo();
        run.args([
            "test",
            "--locked",
            "--release",
            "--package",
            "teleconsult-media",
            "--test",
            target,
            "--",
            "--ignored",
            "--exact",
            test,
            "--nocapture",
        ])
        .env("TELECONSULT_BENCH_OUT", &raw)
        .env("TELECONSULT_TEST_PYTHON", &python);
        crate::step(what, &mut run)?;
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&raw)
                .with_context(|| format!("{} not written", raw.display()))?,
        )?;
        metrics.extend(
            report
                .get("metrics")
                .and_then(serde_json::Value::as_object)
                .with_context(|| format!("no metrics in {}", raw.display()))?
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?))),
        );
        if let Some(n) = report.get("notes").and_then(serde_json::Value::as_str) {
            notes.push(n.to_owned());
        }
    }
    let metrics: Vec<(&str, f64)> = metrics.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    crate::bench_report("media", &metrics, &notes.join(" || "))
}
