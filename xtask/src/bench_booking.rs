//! `cargo xtask bench booking` (DESIGN §9, issue #5): bookings per second, p50/p99 latency and
//! double bookings through the real daemon, plus `Store::book` alone for comparison.
//!
//! The measurement is the ignored e2e test `booking_bench::bench_booking_throughput_and_latency`
//! (it owns the daemon, the sinks, the patients and the clients; see its module documentation
//! for the method). Both the daemon and the test's HTTPS clients are release builds: a debug
//! client would spend more CPU than the daemon on this 2-core machine. Knobs, read by the test
//! from the environment: `TELECONSULT_BENCH_BOOKINGS` (20000), `TELECONSULT_BENCH_CLIENTS` (32),
//! `TELECONSULT_BENCH_PATIENTS` (= clients), `TELECONSULT_BENCH_STORE_THREADS` (32).

use anyhow::Context;

const TEST: &str = "booking_bench::bench_booking_throughput_and_latency";

/// `cargo xtask bench booking [--backend sled|postgres]`.
pub fn booking(args: &[String]) -> anyhow::Result<()> {
    match args {
        [] => daemon_on_sled(),
        [flag, backend] if flag == "--backend" && backend == "sled" => daemon_on_sled(),
        [flag, backend] if flag == "--backend" && backend == "postgres" => ports_on_postgres(),
        _ => anyhow::bail!("usage: cargo xtask bench booking [--backend sled|postgres]"),
    }
}

const PORTS_TEST: &str = "bench::bench_booking_ports_against_pgbench";

/// The booking port on PostgreSQL and on sled against `pgbench` running the same transaction
/// shape on the same server, in one run (issue #20). The daemon does not run on PostgreSQL
/// yet (docs/postgres.md), so this measures the adapters under the application layer.
fn ports_on_postgres() -> anyhow::Result<()> {
    crate::deps::ensure_debian_packages(&["postgresql"])?;
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let figures = run_figures(
        "booking port benchmark: release build, a PostgreSQL server of its own on 127.0.0.1",
        "conformance",
        PORTS_TEST,
        "booking-ports-figures.json",
        &[],
    )?;
    let get = |k: &str| figures[k].as_f64().unwrap_or(f64::NAN);
    let metrics = [
        ("pgbench_tps", get("pgbench_tps")),
        ("pgbench_p50_ms", get("pgbench_p50_ms")),
        ("pgbench_p99_ms", get("pgbench_p99_ms")),
        ("postgres_bookings_per_s", get("postgres_bookings_per_s")),
        ("postgres_vs_pgbench", get("postgres_vs_pgbench")),
        ("postgres_p50_ms", get("postgres_p50_ms")),
        ("postgres_p99_ms", get("postgres_p99_ms")),
        ("postgres_double_bookings", get("postgres_double_bookings")),
        ("postgres_errors", get("postgres_errors")),
        ("sled_bookings_per_s", get("sled_bookings_per_s")),
        ("sled_vs_pgbench", get("sled_vs_pgbench")),
        ("sled_p50_ms", get("sled_p50_ms")),
        ("sled_p99_ms", get("sled_p99_ms")),
    ];
    let notes = format!(
        "{threads} threads for {seconds} s each: pgbench (-c {threads} -j 2) inserting an appointment with a unique \
         (practitioner, start), an audit row and an outbox row per transaction; then PgStore::write_booking (the \
         booking port: appointment sealed, its patient read and creation audited, one SMS, one outbox message, \
         the audit chain linked by the chainer) on the same server; then Store::write_booking (sled) on a fresh \
         store. Release build; one PostgreSQL 15 started by the test (fsync on). The daemon does not run on \
         PostgreSQL yet: these are the adapters' figures under the application layer. Load average before \
         {load_before}",
        threads = get("threads"),
        seconds = get("seconds"),
        load_before = load_before
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    crate::bench_report("booking-ports", &metrics, &notes)
}

fn daemon_on_sled() -> anyhow::Result<()> {
    let daemon = super::release_daemon()?;
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let figures = run_figures(
        "booking benchmark: release daemon, release clients over HTTPS on 127.0.0.1",
        "e2e",
        TEST,
        "booking-figures.json",
        &[("TELECONSULTD_BIN", daemon.as_os_str())],
    )?;
    let get = |k: &str| figures[k].as_f64().unwrap_or(f64::NAN);
    let metrics = [
        ("bookings_per_s", get("bookings_per_s")),
        ("p50_ms", get("p50_ms")),
        ("p99_ms", get("p99_ms")),
        ("double_bookings", get("double_bookings")),
        ("requests_per_s", get("requests_per_s")),
        ("slot_taken_409", get("slot_taken_409")),
        ("failed_requests", get("failed_requests")),
        (
            "daemon_cpu_us_per_request",
            get("daemon_cpu_us_per_request"),
        ),
        (
            "client_cpu_us_per_request",
            get("client_cpu_us_per_request"),
        ),
        ("machine_steal_percent", get("machine_steal_percent")),
        ("machine_idle_percent", get("machine_idle_percent")),
        ("store_bookings_per_s", get("store_bookings_per_s")),
        ("store_p50_ms", get("store_p50_ms")),
        ("store_p99_ms", get("store_p99_ms")),
    ];
    let notes = format!(
        "release daemon in demo mode on 127.0.0.1 (HTTPS, HTTP/2), {clients} concurrent clients (release build, one \
         connection and one logged-in patient each, {patients} patients), {requests} measured POST /api/v1/appointments \
         after 500 warm-up ones, back to back; two practitioners open all day in 1-minute slots; every 10th request \
         races the previous one for the same slot (one 201, one 409 slot_taken). bookings_per_s = 201 answers per \
         second of wall time, requests_per_s counts the 409s too; p50/p99 = client-side latency of each request \
         (send to body read). Confirmations go to the demo outbox in the background during the run (store writes, \
         no SMTP/SMS). double_bookings counted after the run by killing the daemon with SIGKILL and reading its \
         store directly (slots holding more than one booked appointment; also checked: every 201 is stored, the \
         audit chain verifies). daemon_cpu_us_per_request / client_cpu_us_per_request = CPU time (user + system) \
         of the daemon process / the benchmark's clients during the measured run, per request in µs: 2 cores give \
         2e6 µs of CPU per second, so 2e6 / (their sum) bounds requests_per_s on a quiet machine. store_* = Store::book alone (same transaction contents, shared flush) from \
         {store_threads} threads on a fresh store. Bookings are applied in batches by the store's writer thread: one \
         sled transaction and one flush per batch of up to 32 (store/src/writer.rs). 2-core machine shared with other work: \
         load average before {load_before}, after {load_after}; machine_steal_percent / machine_idle_percent = \
         share of the machine's CPU time (/proc/stat) stolen by the hypervisor / idle during the measured run",
        clients = get("clients"),
        patients = get("patients"),
        requests = get("requests"),
        store_threads = get("store_threads"),
        load_before = load_before
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        load_after = figures["load_average_after"]
            .as_str()
            .unwrap_or("")
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    crate::bench_report("booking", &metrics, &notes)
}

/// Runs the ignored test `test` of the `teleconsult-tests` test binary `binary` as a release
/// build, with `env`, and reads the figures it writes to `target/bench/<figures>`.
fn run_figures(
    what: &str,
    binary: &str,
    test: &str,
    figures: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> anyhow::Result<serde_json::Value> {
    let out = crate::root().join("target/bench").join(figures);
    std::fs::create_dir_all(out.parent().context("no parent")?)?;
    let _ = std::fs::remove_file(&out);
    let mut command = crate::cargo();
    command
        .args([
            "test",
            "--release",
            "--locked",
            "--package",
            "teleconsult-tests",
            "--test",
            binary,
            "--",
            "--ignored",
            "--exact",
            test,
            "--nocapture",
        ])
        .env("TELECONSULT_BENCH_OUT", &out);
    for (key, value) in env {
        command.env(key, value);
    }
    crate::step(what, &mut command)?;
    Ok(serde_json::from_slice(&std::fs::read(&out).with_context(
        || format!("the benchmark wrote no {}", out.display()),
    )?)?)
}
