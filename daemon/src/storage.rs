//! The storage monitor: watches the store's filesystem and condition, lets writes resume by
//! themselves after a fault, checks every record now and then, and pings the systemd watchdog.
//!
//! - Every few seconds: free space is measured (metrics, `teleconsultctl status`, the staff
//!   banner), and a small durable write probes the store when nothing else has for a while, so
//!   a full disk is noticed (and `/readyz` says so) even on an idle box.
//! - After a write failed, sled 0.34 is in one of two states, and the monitor finds out which
//!   by a probe write once the filesystem has room again:
//!   - *poisoned* (the usual case: a write of its log failed): it keeps the error and refuses
//!     every write, quickly. The monitor opens the database again in-process
//!     ([`Store::reopen`]); writes resume within seconds, connections and sessions stay.
//!   - *jammed* (a value large enough to go to a blob file failed to be written: sled leaves
//!     the space it claimed in its log buffer claimed for good, so every later flush, and
//!     closing the database, wait forever). Nothing in the process can release it: the daemon
//!     starts afresh — it executes itself again, same process id, same listening address — and
//!     the new image opens the store (sled recovers to what was durable).
//!
//!   A re-open that cannot open the database again ends the process (systemd starts it again).
//! - The watchdog is pinged after each round that completed in time: a store that hangs stops
//!   the pings, and systemd restarts the service.
//! - Every record is read and checked (the scrub) a minute after start and then every
//!   `[storage] check_interval_h` hours, on its own thread.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use teleconsult_core::ports::Clock;
use teleconsult_store::{Store, StoreError};
use teleconsult_web::AppState;
use tokio_util::sync::CancellationToken;

/// Time between two rounds.
const TICK: Duration = Duration::from_secs(2);
/// A probe write when the last one is this old.
const PROBE_EVERY: Duration = Duration::from_secs(30);
/// A probe write that has not ended after this long: the storage engine is jammed (a flush
/// gives up after 15 s and says so; this is for anything else that would hang).
const PROBE_LIMIT: Duration = Duration::from_secs(20);
/// Free space a re-open waits for: sled writes a snapshot and a new log segment when it opens.
const ROOM_TO_REOPEN: u64 = 8 * 1024 * 1024;
/// Time between two re-open attempts that found the store busy or still failing.
const REOPEN_BACKOFF: Duration = Duration::from_secs(5);
/// The first check of every record, after start.
const FIRST_CHECK: Duration = Duration::from_secs(60);
/// A check postponed because the disk is nearly full is tried again this much later.
const CHECK_POSTPONED: Duration = Duration::from_secs(3600);
/// A round that has not ended after this long counts as hung: no watchdog ping.
const ROUND_LIMIT: Duration = Duration::from_secs(25);

/// What the monitor needs.
pub struct Monitor {
    pub store: Store,
    pub web: AppState,
    pub clock: Arc<dyn Clock>,
    /// `None`: only the check after start.
    pub check_every: Option<Duration>,
    /// Half the systemd watchdog period, when the unit has one.
    pub watchdog: Option<Duration>,
    /// The address the daemon serves on: kept when it starts afresh.
    pub listening: SocketAddr,
}

/// What one round remembers for the next.
#[derive(Default)]
struct Rounds {
    last_probe: Option<Instant>,
    last_reopen: Option<Instant>,
    /// A probe that never ended (it keeps its thread): no new one, no ping.
    probe_hung: Arc<AtomicBool>,
}

/// What a round asks of the monitor.
enum Next {
    /// All went as it should: ping the watchdog.
    Ping,
    /// Something is stuck: no ping (systemd restarts the service after its watchdog period).
    Withhold,
    /// The storage engine is jammed and the filesystem has room: start afresh.
    StartAfresh(String),
}

impl Monitor {
    pub async fn run(self, shutdown: CancellationToken) {
        let tick = self.watchdog.map_or(TICK, |w| w.min(TICK));
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let rounds = Arc::new(std::sync::Mutex::new(Rounds::default()));
        let round_running = Arc::new(AtomicBool::new(false));
        let checking = Arc::new(AtomicBool::new(false));
        let mut said_hung = false;
        let mut next_check = Some(Instant::now() + FIRST_CHECK);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            if round_running.swap(true, Ordering::AcqRel) {
                // The previous round still runs (hung): no ping, systemd sees it.
                if !said_hung {
                    tracing::error!(
                        "the storage monitor's last round has not ended; withholding the watchdog ping"
                    );
                    said_hung = true;
                }
                continue;
            }
            said_hung = false;
            let (store, state, running) =
                (self.store.clone(), rounds.clone(), round_running.clone());
            let round = tokio::task::spawn_blocking(move || {
                let outcome = round(&store, &state);
                running.store(false, Ordering::Release);
                outcome
            });
            match tokio::time::timeout(ROUND_LIMIT, round).await {
                Ok(Ok(Ok(Next::Ping))) => self.ping(),
                Ok(Ok(Ok(Next::Withhold))) => {}
                Ok(Ok(Ok(Next::StartAfresh(why)))) => self.start_afresh(&why),
                Ok(Ok(Err(fatal))) => {
                    // The database could not be opened again: every operation waits for it.
                    // End the process; systemd starts it again (Restart=on-failure).
                    tracing::error!(error = %fatal, "the store cannot be opened again; exiting so the service is restarted");
                    let _ = sd_notify::notify(&[sd_notify::NotifyState::Status(&format!(
                        "exiting: the store cannot be opened again: {fatal}"
                    ))]);
                    std::process::exit(1);
                }
                Ok(Err(e)) => tracing::error!(error = %e, "the storage monitor's round failed"),
                Err(_) => tracing::error!(
                    "the storage monitor's round is taking longer than {ROUND_LIMIT:?}; withholding the watchdog ping"
                ),
            }
            if next_check.is_some_and(|at| Instant::now() >= at) && self.below_reserve() {
                // sled may write while it reads (it consolidates pages): on a disk this full,
                // reading everything could take the last of the room. Later.
                tracing::warn!(
                    "the check of every record is postponed: free space is below the reserve"
                );
                next_check = Some(Instant::now() + CHECK_POSTPONED);
            }
            if next_check.is_some_and(|at| Instant::now() >= at)
                && !checking.swap(true, Ordering::AcqRel)
            {
                next_check = self.check_every.map(|every| Instant::now() + every);
                let (store, web, clock, checking) = (
                    self.store.clone(),
                    self.web.clone(),
                    self.clock.clone(),
                    checking.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    // The outcome is in the store's condition, the metrics and the log.
                    let _report = check_every_record(&store, &web, clock.as_ref());
                    checking.store(false, Ordering::Release);
                });
            }
        }
    }

    /// Free space on the storage filesystem is below the reserve (as last measured).
    fn below_reserve(&self) -> bool {
        self.store.condition().disk.is_some_and(|space| {
            space.available_bytes < self.store.reserve().bytes(space.capacity_bytes)
        })
    }

    fn ping(&self) {
        if self.watchdog.is_some() {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
        }
    }

    /// Executes the daemon again in this process (same id, arguments, environment and
    /// listening address): what a restart would do, without waiting for one. Returns only if
    /// that fails, ending the process then (systemd starts it again).
    fn start_afresh(&self, why: &str) -> ! {
        use std::os::unix::process::CommandExt;
        tracing::error!(reason = %why, "the storage engine is jammed; teleconsultd starts afresh to open the store again");
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Status(&format!(
            "starting afresh: {why}"
        ))]);
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_else(|| "teleconsultd".into());
        let error = std::process::Command::new("/proc/self/exe")
            .arg0(arg0)
            .args(args)
            // The same port, even when the configuration says `:0`.
            .env("TELECONSULT__HTTP__LISTEN", self.listening.to_string())
            .exec();
        tracing::error!(%error, "cannot execute teleconsultd again; exiting so the service is restarted");
        std::process::exit(1);
    }
}

/// The outcome of a probe write run on its own thread.
enum Probe {
    Done,
    /// Refused at once: the engine keeps an I/O error (poisoned).
    Failed,
    /// It did not end (or its flush gave up waiting): the engine is jammed.
    Hung,
}

/// A probe write with a time limit. A probe that does not end keeps its thread (sled gives no
/// way to stop it); `hung` says so until then.
fn probe(store: &Store, hung: &Arc<AtomicBool>) -> Probe {
    let (done, outcome) = std::sync::mpsc::channel();
    let (store, flag) = (store.clone(), hung.clone());
    flag.store(true, Ordering::Release);
    let spawned = std::thread::Builder::new()
        .name("store-probe".into())
        .spawn(move || {
            let result = store.probe_write();
            flag.store(false, Ordering::Release);
            let _ = done.send(result);
        });
    if let Err(e) = spawned {
        hung.store(false, Ordering::Release);
        tracing::error!(error = %e, "cannot start the store probe");
        return Probe::Failed;
    }
    match outcome.recv_timeout(PROBE_LIMIT) {
        // A failure is recorded in the store's condition (and logged once) by the store.
        Ok(Ok(())) => Probe::Done,
        Ok(Err(StoreError::Jammed { .. })) | Err(_) => Probe::Hung,
        Ok(Err(_)) => Probe::Failed,
    }
}

/// One round (blocking). `Err`: the store could not be opened again (fatal).
fn round(store: &Store, state: &std::sync::Mutex<Rounds>) -> Result<Next, StoreError> {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let space = match store.disk_space() {
        Ok(space) => Some(space),
        Err(e) => {
            tracing::warn!(error = %e, "cannot measure the storage filesystem");
            None
        }
    };
    // The key-check record still reads: the store answers.
    if let Err(e) = store.health_check() {
        tracing::error!(error = %e, "store health check failed");
    }
    let condition = store.condition();
    if condition.rollback.is_some() {
        // Fenced until a restore: nothing to probe.
        return Ok(Next::Ping);
    }
    let room = space.is_none_or(|s| s.available_bytes >= ROOM_TO_REOPEN);
    let hung = state.probe_hung.clone();
    let stalled = store
        .flush_running_for()
        .is_some_and(|running| running >= PROBE_LIMIT);
    let jammed = condition.write_fault.as_ref().is_some_and(|f| f.jammed);
    if hung.load(Ordering::Acquire) || stalled || jammed {
        // A write waits for the engine for good: it is jammed. Writes are refused at once
        // from now on (and `/readyz` says why); once there is room, start afresh. Until then the
        // cause is known: keep pinging the watchdog, a restart would not help.
        store.report_jammed(!room);
        return Ok(if room {
            Next::StartAfresh("a write to the store has not ended".into())
        } else {
            Next::Ping
        });
    }
    if condition.write_fault.is_some() {
        let due = state
            .last_reopen
            .is_none_or(|at| at.elapsed() >= REOPEN_BACKOFF);
        if !(room && due) {
            return Ok(Next::Ping);
        }
        state.last_reopen = Some(Instant::now());
        state.last_probe = Some(Instant::now());
        match probe(store, &hung) {
            // The fault was passing: the successful flush lifted it.
            Probe::Done => return Ok(Next::Ping),
            Probe::Hung => {
                return Ok(Next::StartAfresh(
                    "a write to the store did not end after the disk was full".into(),
                ));
            }
            Probe::Failed => {}
        }
        // Poisoned: open it again.
        match store.reopen() {
            Ok(()) => match probe(store, &hung) {
                Probe::Done | Probe::Failed => {}
                Probe::Hung => {
                    return Ok(Next::StartAfresh(
                        "a write to the re-opened store did not end".into(),
                    ));
                }
            },
            Err(StoreError::Busy(why)) => {
                tracing::warn!(%why, "the store could not be re-opened yet; trying again shortly");
            }
            Err(fatal) => return Err(fatal),
        }
        return Ok(Next::Ping);
    }
    if state
        .last_probe
        .is_none_or(|at| at.elapsed() >= PROBE_EVERY)
    {
        state.last_probe = Some(Instant::now());
        if let Probe::Hung = probe(store, &hung) {
            tracing::error!(
                "a probe write to the store has not ended; withholding the watchdog ping"
            );
            return Ok(Next::Withhold);
        }
    }
    Ok(Next::Ping)
}

/// The scrub, with its time for the metrics.
pub fn check_every_record(
    store: &Store,
    web: &AppState,
    clock: &dyn Clock,
) -> teleconsult_store::ScrubReport {
    let report = store.scrub();
    web.metrics
        .storage
        .update(&store.condition(), None, store.reserve());
    web.metrics
        .storage
        .last_check_seconds
        .set(clock.now().as_second());
    report
}
