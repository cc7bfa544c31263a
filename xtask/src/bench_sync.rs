//! `cargo xtask bench sync`: drain rate of the outbox worker after an outage, against the FHIR
//! peer's own ingest ceiling for the same requests, measured side by side in one run (DESIGN §9:
//! `drain_per_s`, `peer_ceiling_per_s`, `drain_ratio`).
//!
//! The measurement lives with the test fixtures (`teleconsult_tests::fhir_peer::bench`, run
//! through the ignored e2e test `sync::bench_drain_rate_against_peer_ceiling`), so it uses the
//! real store, worker and peer; this file runs it and reports.

use anyhow::Context;

/// Bookings in the backlog.
const MESSAGES: u32 = 300;

pub fn sync() -> anyhow::Result<()> {
    crate::deps::ensure_fhir_peer()?;
    let out = crate::root().join("target/bench/sync-figures.json");
    std::fs::create_dir_all(out.parent().context("no parent")?)?;
    let _ = std::fs::remove_file(&out);
    crate::step(
        "measuring drain rate and peer ceiling (debug build of the worker)",
        crate::cargo()
            .args([
                "test",
                "--locked",
                "--package",
                "teleconsult-tests",
                "--test",
                "e2e",
                "--",
                "--ignored",
                "--exact",
                "sync::bench_drain_rate_against_peer_ceiling",
                "--nocapture",
            ])
            .env("TELECONSULT_BENCH_OUT", &out)
            .env("TELECONSULT_BENCH_MESSAGES", MESSAGES.to_string()),
    )?;
    let figures: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&out)
            .with_context(|| format!("the benchmark wrote no {}", out.display()))?,
    )?;
    let get = |k: &str| figures[k].as_f64().unwrap_or(f64::NAN);
    let metrics = [
        ("drain_per_s", get("drain_per_s")),
        ("peer_ceiling_per_s", get("peer_ceiling_per_s")),
        ("drain_ratio", get("drain_ratio")),
        ("recovery_ms", get("recovery_ms")),
    ];
    let rounds = |k: &str| {
        figures[k]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(serde_json::Value::as_f64)
                    .map(|x| format!("{x:.0}"))
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    };
    let (ceilings, drains) = (rounds("ceilings"), rounds("drains"));
    let notes = format!(
        "{MESSAGES} bookings (each a transaction: Patient, Slot, Appointment, conditional creates) queued in a real \
         store during a full outage of the FHIR peer (tests/fhir-peer, @medplum/fhir-router MemoryRepository, \
         validation off); drain_per_s = deliveries per second from the first delivery after the outage to an empty \
         outbox (worker: 8 in flight, debug build); peer_ceiling_per_s = the same bundles posted by a bare client \
         with 8 in flight (after a warm-up); medians of 3 interleaved (ceiling, drain) rounds; recovery_ms = outage end to first delivery; 2-core machine, \
         shared with other work: ratios are meaningful, absolute rates are not; per round: ceiling \
         {ceilings}/s, drain {drains}/s"
    );
    crate::bench_report("sync", &metrics, &notes)
}
