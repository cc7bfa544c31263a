//! `cargo xtask bench booking --backend postgres`: the booking port on both adapters against
//! `pgbench` running the same transaction shape on the same PostgreSQL, in one run (issue #20's
//! reference: the machine is shared and noisy, so the figures are ratios).
//!
//! - `pgbench`: `-c THREADS -j 2 -T SECONDS` of a script inserting an appointment (unique
//!   `(practitioner, start_at)`), an audit row and an outbox row, then committing — in a
//!   database of its own with the adapter's schema.
//! - `postgres`: `PgStore::write_booking` from THREADS threads for the same duration (every
//!   booking with its read and creation audit records, its SMS, its outbox message; each in a
//!   free slot), then double bookings counted by SQL.
//! - `sled`: the same writes through `Store::write_booking` on a fresh store.
//!
//! Knobs: `TELECONSULT_BENCH_THREADS` (32), `TELECONSULT_BENCH_SECONDS` (15). Writes its
//! figures as JSON to `TELECONSULT_BENCH_OUT`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use teleconsult_core::ports::booking::BookingStore;
use teleconsult_tests::bench::{knob, percentile};
use teleconsult_tests::postgres::Postgres;

use crate::fixtures::{appointment, booking, key};

const PGBENCH_SCRIPT: &str = "\
\\set slot random(1, 4000000000000000)
BEGIN;
INSERT INTO appointments (id, practitioner, start_at, booked_by, is_open, holds_slot, sealed) \
  VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000007001', \
  to_timestamp(1750000000) + make_interval(secs => :slot / 1000000.0), gen_random_uuid(), true, true, \
  decode(repeat('ab', 600), 'hex'));
INSERT INTO audit (seq, record) VALUES (nextval('bench_audit_seq'), decode(repeat('cd', 400), 'hex'));
INSERT INTO outbox (id, aggregate, enqueued_at, sealed) \
  VALUES (nextval('outbox_id_seq'), 'appointment/bench', now(), decode(repeat('ef', 300), 'hex'));
COMMIT;
";

struct Run {
    per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// `threads` threads booking distinct slots for `seconds`.
fn drive(store: Arc<dyn BookingStore>, threads: u64, seconds: u64) -> Run {
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut latencies: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (store, next, errors) =
                    (Arc::clone(&store), Arc::clone(&next), Arc::clone(&errors));
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    while Instant::now() < deadline {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let a = appointment(
                            u128::from(n),
                            i64::try_from(n).unwrap_or(0),
                            u128::from(n),
                        );
                        let t = Instant::now();
                        match store.write_booking(booking(&a)) {
                            Ok(()) => mine.push(t.elapsed().as_secs_f64() * 1000.0),
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Run {
        per_s: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        errors: errors.load(Ordering::Relaxed),
    }
}

#[test]
#[ignore = "benchmark: cargo xtask bench booking --backend postgres"]
fn bench_booking_ports_against_pgbench() -> anyhow::Result<()> {
    let threads = knob("TELECONSULT_BENCH_THREADS", 32) as u64;
    let seconds = knob("TELECONSULT_BENCH_SECONDS", 15) as u64;
    let Some(server) = Postgres::start("bench_booking_ports_against_pgbench")? else {
        anyhow::bail!("the benchmark needs PostgreSQL (apt-get install postgresql)");
    };
    let options = |db: &str| teleconsult_store_postgres::PgOptions {
        pool_size: usize::try_from(threads).unwrap_or(32),
        ..teleconsult_store_postgres::PgOptions::new(server.url(db))
    };

    // pgbench, on a database with the same schema.
    server.create_database("reference")?;
    drop(teleconsult_store_postgres::PgStore::open(
        &options("reference"),
        &key(),
    )?);
    server.psql("reference", "CREATE SEQUENCE bench_audit_seq")?;
    let script = tempfile::NamedTempFile::new()?;
    std::fs::write(script.path(), PGBENCH_SCRIPT)?;
    std::fs::set_permissions(
        script.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )?;
    let logs = tempfile::tempdir()?;
    let out = std::process::Command::new(server.bin().join("pgbench"))
        // One line per transaction (its latency in µs, third column), for the percentiles.
        .current_dir(logs.path())
        .args(["--log", "--log-prefix", "pgbench"])
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
            "-U",
            teleconsult_tests::postgres::USER,
        ])
        .args([
            "-n",
            "-c",
            &threads.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-r",
            "-f",
        ])
        .arg(script.path())
        .arg("reference")
        .output()?;
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pgbench_tps = report
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's report: {report}"))?;
    let pgbench_latency_ms = report
        .lines()
        .find_map(|l| l.strip_prefix("latency average = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);

    let mut pgbench_latencies = Vec::new();
    for entry in std::fs::read_dir(logs.path())? {
        for line in std::fs::read_to_string(entry?.path())?.lines() {
            if let Some(us) = line
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse::<f64>().ok())
            {
                pgbench_latencies.push(us / 1000.0);
            }
        }
    }
    pgbench_latencies.sort_by(f64::total_cmp);

    // The PostgreSQL adapter.
    let url = server.create_database("site")?;
    let _ = url;
    let pg = Arc::new(teleconsult_store_postgres::PgStore::open(
        &options("site"),
        &key(),
    )?);
    let on_postgres = drive(pg.clone(), threads, seconds);
    let doubles: u64 = server
        .psql(
            "site",
            "SELECT count(*) FROM (SELECT 1 FROM appointments WHERE holds_slot \
             GROUP BY practitioner, start_at HAVING count(*) > 1) d",
        )?
        .parse()?;
    let chain = pg.verify_audit_chain()?;

    // The sled adapter.
    let dir = tempfile::tempdir()?;
    let sled = Arc::new(teleconsult_store::Store::open(dir.path(), key())?);
    let on_sled = drive(sled, threads, seconds);

    let figures = serde_json::json!({
        "threads": threads,
        "seconds": seconds,
        "pgbench_tps": pgbench_tps,
        "pgbench_latency_avg_ms": pgbench_latency_ms,
        "pgbench_p50_ms": percentile(&pgbench_latencies, 50.0),
        "pgbench_p99_ms": percentile(&pgbench_latencies, 99.0),
        "postgres_bookings_per_s": on_postgres.per_s,
        "postgres_p50_ms": on_postgres.p50_ms,
        "postgres_p99_ms": on_postgres.p99_ms,
        "postgres_errors": on_postgres.errors,
        "postgres_double_bookings": doubles,
        "postgres_audit_records_verified": chain,
        "sled_bookings_per_s": on_sled.per_s,
        "sled_p50_ms": on_sled.p50_ms,
        "sled_p99_ms": on_sled.p99_ms,
        "sled_errors": on_sled.errors,
        "postgres_vs_pgbench": on_postgres.per_s / pgbench_tps,
        "sled_vs_pgbench": on_sled.per_s / pgbench_tps,
    });
    println!("{}", serde_json::to_string_pretty(&figures)?);
    if let Ok(path) = std::env::var("TELECONSULT_BENCH_OUT") {
        std::fs::write(path, serde_json::to_vec_pretty(&figures)?)?;
    }
    Ok(())
}
