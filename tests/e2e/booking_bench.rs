//! `cargo xtask bench booking` (DESIGN §9, issue #5): bookings per second and latency through
//! the real daemon, then `Store::book` alone. Ignored in the suite: xtask runs it (release
//! builds, `TELECONSULTD_BIN` = the release daemon) and reads the figures written to
//! `TELECONSULT_BENCH_OUT`.
//!
//! **End to end.** The demo site, its two practitioners open every day, all day, in 1-minute
//! slots. `PATIENTS` patients register, activate and log in beforehand (with the SMTP/SMS sinks);
//! then the daemon restarts without delivery channels (demo mode "delivers" the confirmations to
//! its local outbox, a store write per message, in the background during the run) and
//! `CLIENTS` clients, each with its own HTTPS connection and a patient's bearer token, post
//! `POST /api/v1/appointments` back to back: a warm-up, then the measured requests. Every tenth
//! request asks for the slot of the request just before it, which another client is booking at
//! that moment: a deliberate race that must end in one 201 and one 409 `slot_taken`. Then the
//! daemon is killed with SIGKILL and its store opened directly: every booking answered 201 is
//! there, no slot holds two bookings, the audit chain verifies.
//!
//! **Store alone.** `Store::book` (the same transaction as the daemon's: slot index,
//! appointment, two notifications, two reminders, an outbox message, the audit record, then
//! the shared flush) from `STORE_THREADS` threads on a fresh store, distinct slots.

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::{Appointment, Status};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::booking::Reminder;
use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use teleconsult_core::notification::Notification;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::schedule::ConsultationMode;
use teleconsult_tests::accounts::{
    Login, PASSWORD, login, phone, register_and_activate, registration, sinks_config,
};
use teleconsult_tests::bench::{knob, percentile};
use teleconsult_tests::booking::{DR_FERREIRA, DR_WEBER};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::site::STAFF;
use teleconsult_tests::{Daemon, DaemonOptions};

const PRACTITIONERS: [&str; 2] = [DR_WEBER, DR_FERREIRA];
/// One request in `RACE_EVERY` races the previous one for its slot.
const RACE_EVERY: usize = 10;
const WARM_UP: usize = 500;
/// Every wait for a response is bounded.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with cargo xtask bench booking"]
async fn bench_booking_throughput_and_latency() -> anyhow::Result<()> {
    let bookings = knob("TELECONSULT_BENCH_BOOKINGS", 20_000);
    // 32 in flight: the goal (3 000 bookings/s with p99 ≤ 20 ms) means about 30 requests in
    // flight at once (Little's law); 8 clients cannot reach it even with a 3 ms p50.
    let clients = knob("TELECONSULT_BENCH_CLIENTS", 32).max(1);
    let patients = knob("TELECONSULT_BENCH_PATIENTS", clients).clamp(1, 800);
    let store_threads = knob("TELECONSULT_BENCH_STORE_THREADS", 32).max(1);

    let mut figures = end_to_end(bookings, clients, patients).await?;
    let store = tokio::task::spawn_blocking(move || store_alone(bookings, store_threads)).await??;
    figures.extend(store);
    figures.insert("clients".into(), json!(clients));
    figures.insert("patients".into(), json!(patients));
    figures.insert("store_threads".into(), json!(store_threads));
    let figures = Value::Object(figures.into_iter().collect());
    println!("{figures:#}");
    if let Some(out) = std::env::var_os("TELECONSULT_BENCH_OUT") {
        std::fs::write(out, serde_json::to_vec(&figures)?)?;
    }
    Ok(())
}

type Figures = BTreeMap<String, Value>;

/// One answered request: latency, status, and the appointment id of a 201.
struct Answer {
    ms: f64,
    status: u16,
    id: Option<String>,
}

async fn end_to_end(bookings: usize, clients: usize, patients: usize) -> anyhow::Result<Figures> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    // Each patient books hundreds of slots: the quota of open appointments is lifted.
    let limits = "[limits]\nregister_per_hour = 100000\nlogin_per_minute = 100000\notp_per_minute = 100000\n\
                  open_appointments_per_account = 1000000\n";
    let mut daemon = Daemon::start(DaemonOptions {
        demo: true,
        extra_config: format!("{}\n{limits}", sinks_config(&smtp, &sms)),
        ..Default::default()
    })
    .await?;

    let staff = login(&daemon, &sms, STAFF.login, STAFF.password, STAFF.phone, 0).await?;
    open_all_day(&daemon, &staff).await?;
    let sessions = log_in_patients(&daemon, &smtp, &sms, patients).await?;

    // The measured daemon: same store and sessions, no delivery channels (see the module doc).
    daemon.terminate(Duration::from_secs(30)).await?;
    std::fs::write(
        daemon.config_path(),
        std::fs::read_to_string(daemon.config_path())?.replace(&sinks_config(&smtp, &sms), ""),
    )?;
    daemon.spawn().await?;

    let mut slots = Vec::new();
    for practitioner in PRACTITIONERS {
        slots.extend(free_slots(&daemon, &sessions[0], practitioner).await?);
    }
    // Interleave the practitioners and keep clear of the next two hours (slots must not pass
    // while the benchmark runs).
    let soon = Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(2))
        .context("time overflow")?;
    slots.retain(|(_, start)| start.parse::<Timestamp>().is_ok_and(|t| t > soon));
    slots.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
    let plan = race_plan(&slots, WARM_UP + bookings)?;

    let warm = run(&daemon, &sessions, &plan[..WARM_UP], clients).await?;
    ensure!(
        warm.1.iter().all(|a| a.status == 201 || a.status == 409),
        "warm-up failed: statuses {:?}",
        statuses(&warm.1)
    );
    let daemon_pid = daemon.pid().context("daemon not running")?;
    let cpu_before = (cpu_seconds(daemon_pid)?, cpu_seconds(std::process::id())?);
    let machine_before = machine_ticks()?;
    let (elapsed, answers) = run(&daemon, &sessions, &plan[WARM_UP..], clients).await?;
    let daemon_cpu = cpu_seconds(daemon_pid)? - cpu_before.0;
    let client_cpu = cpu_seconds(std::process::id())? - cpu_before.1;
    let machine = machine_ticks()?.since(&machine_before);

    let created: Vec<&str> = warm
        .1
        .iter()
        .chain(&answers)
        .filter_map(|a| a.id.as_deref())
        .collect();
    let by_status = statuses(&answers);
    let count = |s: u16| by_status.get(&s).copied().unwrap_or(0);
    let failed = answers.len() - count(201) - count(409);
    let mut ms: Vec<f64> = answers.iter().map(|a| a.ms).collect();
    ms.sort_by(f64::total_cmp);
    let seconds = elapsed.as_secs_f64();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    // Independent check: kill -9, then read the store itself.
    daemon.kill9().await?;
    let check = tokio::task::spawn_blocking({
        let store = teleconsult_tests::daemon::open_store(&daemon)?;
        let created: BTreeSet<String> = created.iter().map(|s| (*s).to_owned()).collect();
        move || check_store(&store, &created)
    })
    .await??;
    println!(
        "end to end: {} requests in {seconds:.2} s, statuses {by_status:?}",
        answers.len()
    );

    let mut figures = Figures::new();
    figures.insert("bookings_per_s".into(), json!(count(201) as f64 / seconds));
    figures.insert(
        "requests_per_s".into(),
        json!(answers.len() as f64 / seconds),
    );
    figures.insert("p50_ms".into(), json!(percentile(&ms, 50.0)));
    figures.insert("p99_ms".into(), json!(percentile(&ms, 99.0)));
    figures.insert(
        "max_ms".into(),
        json!(ms.last().copied().unwrap_or(f64::NAN)),
    );
    figures.insert("double_bookings".into(), json!(check.double_bookings));
    figures.insert("slot_taken_409".into(), json!(count(409)));
    figures.insert("created_201".into(), json!(count(201)));
    figures.insert("failed_requests".into(), json!(failed));
    figures.insert("requests".into(), json!(answers.len()));
    figures.insert("appointments_in_store".into(), json!(check.appointments));
    figures.insert("acknowledged_missing".into(), json!(check.missing));
    figures.insert("load_average_after".into(), json!(load.trim()));
    // CPU time per request, daemon and clients: what the figures would be on a quiet machine
    // (two cores give at most 2 000 000 µs of CPU per second).
    let per_request = |cpu: f64| cpu * 1e6 / answers.len().max(1) as f64;
    figures.insert(
        "daemon_cpu_us_per_request".into(),
        json!(per_request(daemon_cpu)),
    );
    figures.insert(
        "client_cpu_us_per_request".into(),
        json!(per_request(client_cpu)),
    );
    figures.insert("daemon_cpu_cores".into(), json!(daemon_cpu / seconds));
    // The machine as a whole during the run: on a shared VM the host may take part of our cores
    // (steal), which no change to the daemon can win back.
    figures.insert(
        "machine_steal_percent".into(),
        json!(machine.percent(machine.steal)),
    );
    figures.insert(
        "machine_idle_percent".into(),
        json!(machine.percent(machine.idle)),
    );
    ensure!(
        check.double_bookings == 0 && check.missing == 0 && failed == 0,
        "booking benchmark found faults: {figures:?}"
    );
    Ok(figures)
}

/// Staff opens both demo practitioners every day from 00:00 to 23:59 in 1-minute slots.
async fn open_all_day(daemon: &Daemon, staff: &Login) -> anyhow::Result<()> {
    for practitioner in PRACTITIONERS {
        teleconsult_tests::booking::open_all_day(daemon, staff, practitioner, 1, &["video"])
            .await?;
    }
    Ok(())
}

/// Registers, activates and logs in `n` patients, eight at a time.
async fn log_in_patients(
    daemon: &Daemon,
    smtp: &SmtpSink,
    sms: &SmsSink,
    n: usize,
) -> anyhow::Result<Vec<Login>> {
    let mut sessions = Vec::with_capacity(n);
    // From 100: below, test phone numbers are the demo accounts' ones.
    let numbers: Vec<u32> = (100..100 + u32::try_from(n)?).collect();
    for chunk in numbers.chunks(8) {
        let logins = chunk.iter().map(|&k| async move {
            register_and_activate(daemon, smtp, &registration(k)).await?;
            login(
                daemon,
                sms,
                &format!("patient{k}@example.lu"),
                PASSWORD,
                &phone(k),
                0,
            )
            .await
        });
        for session in futures_util::future::join_all(logins).await {
            sessions.push(session?);
        }
    }
    Ok(sessions)
}

/// Free slots of a practitioner over the next 31 days, from the usual booking lead on:
/// `(practitioner, start)`.
async fn free_slots(
    daemon: &Daemon,
    who: &Login,
    practitioner: &'static str,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let starts = teleconsult_tests::booking::free_starts(
        daemon,
        who,
        practitioner,
        teleconsult_tests::booking::MIN_LEAD,
    )
    .await?;
    Ok(starts
        .into_iter()
        .map(|start| (practitioner, start))
        .collect())
}

/// `n` requests over distinct slots, except that every `RACE_EVERY`-th one repeats the slot of
/// the request before it.
fn race_plan(
    slots: &[(&'static str, String)],
    n: usize,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut plan: Vec<(&'static str, String)> = Vec::with_capacity(n);
    let mut free = slots.iter();
    for i in 0..n {
        let next = match plan.last() {
            Some(previous) if i % RACE_EVERY == RACE_EVERY - 1 => previous.clone(),
            _ => free
                .next()
                .with_context(|| format!("only {} free slots for {n} requests", slots.len()))?
                .clone(),
        };
        plan.push(next);
    }
    Ok(plan)
}

/// `clients` clients, each with its own connection and session, take the next request of
/// `plan` until none is left. Returns the wall time and the answers.
async fn run(
    daemon: &Daemon,
    sessions: &[Login],
    plan: &[(&'static str, String)],
    clients: usize,
) -> anyhow::Result<(Duration, Vec<Answer>)> {
    let plan: Arc<Vec<(&'static str, String)>> = Arc::new(plan.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let pem = std::fs::read(daemon.certificate_path())?;
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for c in 0..clients {
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem)?])
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        let bearer = sessions[c % sessions.len()].bearer();
        let url = daemon.url("/api/v1/appointments");
        let (plan, next) = (plan.clone(), next.clone());
        tasks.spawn(async move {
            let mut answers = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((practitioner, start)) = plan.get(i) else {
                    return anyhow::Ok(answers);
                };
                let body = json!({"practitioner_id": practitioner, "start": start,
                    "mode": "video", "reason": "benchmark", "confirm": true});
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("authorization", &bearer)
                    .json(&body)
                    .send()
                    .await?;
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let ms = sent.elapsed().as_secs_f64() * 1000.0;
                if status == 409 && body["error"] != "slot_taken" {
                    bail!("409 that is not slot_taken: {body}");
                }
                let id = (status == 201)
                    .then(|| body["id"].as_str().map(str::to_owned))
                    .flatten();
                answers.push(Answer { ms, status, id });
            }
        });
    }
    let mut answers = Vec::with_capacity(plan.len());
    while let Some(done) = tasks.join_next().await {
        answers.extend(done??);
    }
    Ok((started.elapsed(), answers))
}

/// User + system CPU time of process `pid` so far, in seconds (`/proc/<pid>/stat`, clock ticks
/// of 1/100 s as on every Linux this runs on).
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let rest = stat.rsplit_once(')').context("odd /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields.get(i).context("short /proc stat")?.parse::<f64>()?)
    };
    // utime and stime: fields 14 and 15 of the line, indexes 11 and 12 from the state field.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

/// The machine's CPU time from the first line of `/proc/stat`, in ticks: idle (with I/O wait),
/// stolen by the hypervisor, and all of it.
struct MachineTicks {
    idle: u64,
    steal: u64,
    total: u64,
}

impl MachineTicks {
    fn since(&self, before: &MachineTicks) -> MachineTicks {
        MachineTicks {
            idle: self.idle.saturating_sub(before.idle),
            steal: self.steal.saturating_sub(before.steal),
            total: self.total.saturating_sub(before.total),
        }
    }

    fn percent(&self, ticks: u64) -> f64 {
        100.0 * ticks as f64 / self.total.max(1) as f64
    }
}

fn machine_ticks() -> anyhow::Result<MachineTicks> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("cpu "))
        .context("no cpu line in /proc/stat")?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    // user nice system idle iowait irq softirq steal (guest time is counted in user).
    let field = |i: usize| fields.get(i).copied().unwrap_or(0);
    Ok(MachineTicks {
        idle: field(3) + field(4),
        steal: field(7),
        total: fields.iter().take(8).sum(),
    })
}

fn statuses(answers: &[Answer]) -> BTreeMap<u16, usize> {
    let mut by_status = BTreeMap::new();
    for a in answers {
        *by_status.entry(a.status).or_insert(0) += 1;
    }
    by_status
}

struct StoreCheck {
    appointments: usize,
    double_bookings: usize,
    missing: usize,
}

/// Reads the stopped daemon's store: slots holding more than one live booking, and acknowledged
/// bookings that are not there.
fn check_store(
    store: &teleconsult_store::Store,
    created: &BTreeSet<String>,
) -> anyhow::Result<StoreCheck> {
    let read = AuditEvent {
        at: Timestamp::now(),
        actor: Actor::System("booking benchmark".into()),
        action: Action::Read,
        object_type: "appointment".into(),
        object_id: "all".into(),
    };
    let all = store.appointments(|_| true, &read)?;
    let mut per_slot: BTreeMap<(PractitionerId, Timestamp), usize> = BTreeMap::new();
    for a in all.iter().filter(|a| matches!(a.status, Status::Booked)) {
        *per_slot.entry((a.practitioner, a.start)).or_insert(0) += 1;
    }
    let stored: BTreeSet<String> = all.iter().map(|a| a.id.to_string()).collect();
    store.verify_audit_chain()?;
    Ok(StoreCheck {
        appointments: all.len(),
        double_bookings: per_slot.values().map(|n| n.saturating_sub(1)).sum(),
        missing: created.difference(&stored).count(),
    })
}

/// `Store::book` from `threads` threads on a fresh store: `n` bookings of distinct slots.
fn store_alone(n: usize, threads: usize) -> anyhow::Result<Figures> {
    let dir = tempfile::tempdir()?;
    let key = teleconsult_store::StorageKey::from_bytes([7; 32]);
    let store = teleconsult_store::Store::open(dir.path(), key)?;
    let now = Timestamp::now();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (store, next) = (store.clone(), next.clone());
            std::thread::spawn(move || -> anyhow::Result<Vec<f64>> {
                let mut ms = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok(ms);
                    }
                    let sent = Instant::now();
                    book_directly(&store, i, now)?;
                    ms.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
            })
        })
        .collect();
    let mut ms = Vec::with_capacity(n);
    for w in workers {
        ms.extend(
            w.join()
                .map_err(|_| anyhow::anyhow!("a booking thread panicked"))??,
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    ms.sort_by(f64::total_cmp);
    let mut figures = Figures::new();
    figures.insert("store_bookings_per_s".into(), json!(n as f64 / seconds));
    figures.insert("store_p50_ms".into(), json!(percentile(&ms, 50.0)));
    figures.insert("store_p99_ms".into(), json!(percentile(&ms, 99.0)));
    Ok(figures)
}

/// The booking transaction the daemon runs, with what it usually carries.
fn book_directly(store: &teleconsult_store::Store, i: usize, now: Timestamp) -> anyhow::Result<()> {
    let n = u128::try_from(i)?;
    let minutes = i64::try_from(i)? + 24 * 60;
    let start = now
        .checked_add(jiff::SignedDuration::from_mins(minutes))?
        .round(jiff::Unit::Minute)?;
    let appointment = Appointment {
        id: AppointmentId::from_uuid(uuid::Uuid::from_u128(0xa000_0000 + n)),
        practitioner: PractitionerId::from_uuid(uuid::Uuid::from_u128(0x7c1e_0001)),
        patient: PatientId::from_uuid(uuid::Uuid::from_u128(0x1000_0000 + n)),
        booked_by: AccountId::from_uuid(uuid::Uuid::from_u128(0x9000_0000 + n)),
        for_relative: None,
        start,
        end: start.checked_add(jiff::SignedDuration::from_mins(1))?,
        mode: ConsultationMode::Video,
        reason: "benchmark".into(),
        status: Status::Booked,
        created_at: now,
        patient_joined_at: None,
        practitioner_joined_at: None,
        call_started_at: None,
        call_ended_at: None,
        at_booth: false,
    };
    let messages = [
        Notification::sms(
            "+352621000001".into(),
            "Votre téléconsultation est réservée.".into(),
            now,
        ),
        Notification::email(
            "patient@example.lu".into(),
            "Téléconsultation réservée".into(),
            "Votre téléconsultation avec Dr Anne Weber est réservée.".repeat(8),
            now,
        ),
    ];
    let reminders: Vec<(Timestamp, Reminder)> = [24, 1]
        .into_iter()
        .map(|hours| {
            let before = jiff::SignedDuration::from_hours(hours);
            Ok((
                start.checked_sub(before)?,
                Reminder {
                    appointment: appointment.id,
                    before,
                },
            ))
        })
        .collect::<Result<_, jiff::Error>>()?;
    let outbox = [OutboxMessage {
        idempotency_key: format!("appointment/{}", appointment.id),
        aggregate: format!("appointment/{}", appointment.id),
        kind: "appointment.booked".into(),
        payload: json!({"appointment": appointment.id.to_string(), "start": start.to_string()}),
    }];
    let event = AuditEvent {
        at: now,
        actor: Actor::Account(appointment.booked_by.to_string()),
        action: Action::Create,
        object_type: "appointment".into(),
        object_id: appointment.id.to_string(),
    };
    // The booker's patient record, read to check their consents.
    let read = AuditEvent {
        action: Action::Read,
        object_type: "patient".into(),
        object_id: appointment.patient.to_string(),
        ..event.clone()
    };
    let booking = teleconsult_store::Booking {
        appointment: &appointment,
        new_relative: None,
        open_limit: None,
        notifications: messages.into(),
        reminders: &reminders,
        outbox: outbox.into(),
        reads: std::slice::from_ref(&read),
    };
    store.book(booking, &event)?;
    Ok(())
}
