//! The outbox worker: the only sender to the national platform.
//!
//! Each round it *leases* the head of the outbox (core's `ports::outbox`: under the worker's own
//! holder id, random per start, for [`WorkerConfig::lease`]; renewed by every read, and read
//! again before anything more is sent once a quarter of it has passed; released when the worker
//! stops) — so that with several daemons on one database each message is delivered by one of
//! them at a time, and the entries of one aggregate (or patient) by one of them in order; a
//! daemon that dies leaves its entries to the others when its leases end. Of what it holds it
//! picks, per aggregate, only the *oldest* entry (so changes of one appointment arrive in
//! order), skipping entries in back-off and
//! those whose patient is already being sent by another in-flight message (two concurrent
//! conditional creates of one patient could both create it). Up to `concurrency` entries go
//! out at once. Then, per entry:
//!
//! | answer | what happens |
//! |---|---|
//! | delivered | acknowledged (removed from the outbox, durably) |
//! | platform busy (429 or 503 with `Retry-After`) | attempt counted, nothing is sent before the time the platform gave (at most an hour), then one probe |
//! | platform unavailable (network, 5xx, 429) or authentication failed (401/403/407, client certificate refused, platform certificate untrusted) | attempt counted, entry backs off; consecutive failures open the circuit: sending pauses, then one probe per back-off period; `last_error` says which |
//! | conflict (409/412) | attempt counted, retried shortly (re-read, `If-Match`) |
//! | refused (other 4xx) or not understood | parked with the OperationOutcome; later entries of its aggregate are parked behind it; nothing else waits |
//!
//! A crash between delivery and acknowledgement re-sends the entry after restart: every
//! interaction is idempotent (see `send`), so the platform still holds each resource once.

use crate::backoff::{Backoff, Circuit, CircuitState};
use crate::client::Failure;
use crate::ports::{Parking, PortError, QueuedMessage, RemoteAppointments, SyncStore};
use crate::send::{SendError, Sender};
use crate::status::SyncHandle;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teleconsult_core::ports::Clock;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Tuning of the worker; defaults suit a site, tests shorten the times.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerConfig {
    /// Messages in flight at once.
    pub concurrency: usize,
    /// How many outbox entries are looked at per round.
    pub window: usize,
    /// Look at the outbox at least this often even when nobody calls [`SyncHandle::wake`].
    pub idle_poll: Duration,
    /// Back-off of one entry that keeps failing while others get through.
    pub entry_backoff: Backoff,
    /// Pause of the whole sender while the platform is down.
    pub circuit_backoff: Backoff,
    /// Consecutive platform failures that open the circuit.
    pub circuit_threshold: u32,
    /// Pull of remote appointments: period (`[platform] poll_interval_s`).
    pub poll_interval: Duration,
    /// The pull re-reads this much before its cursor (clock skew, same-instant updates).
    pub pull_overlap: Duration,
    /// First pull on a new site: this far back.
    pub pull_lookback: Duration,
    /// A failure this recent makes the state `degraded`.
    pub degraded_window: Duration,
    /// How long the outbox entries this worker reads stay leased to it: far above a
    /// delivery's time limit (each of its requests has `[platform]`'s time limit, and a message
    /// takes a few). When the daemon dies, its entries go to another daemon after this.
    pub lease: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 8,
            window: 256,
            idle_poll: Duration::from_secs(2),
            entry_backoff: Backoff::default(),
            circuit_backoff: Backoff {
                base: Duration::from_secs(2),
                max: Duration::from_secs(300),
            },
            circuit_threshold: 3,
            poll_interval: Duration::from_secs(60),
            pull_overlap: Duration::from_secs(300),
            pull_lookback: Duration::from_secs(30 * 24 * 3600),
            degraded_window: Duration::from_secs(60),
            lease: Duration::from_secs(600),
        }
    }
}

/// Reachability as seen by both loops (drain and pull), for the status.
#[derive(Debug, Default)]
pub(crate) struct Health {
    pub(crate) circuit_open: bool,
    pub(crate) last_failure: Option<Instant>,
    pub(crate) ever_answered: bool,
}

/// The worker: drains the outbox and pulls remote appointments until shutdown.
pub struct Worker<S: SyncStore + 'static, R: RemoteAppointments> {
    pub(crate) store: Arc<S>,
    pub(crate) sender: Arc<Sender<S>>,
    pub(crate) remote: Arc<R>,
    pub(crate) handle: SyncHandle,
    pub(crate) config: WorkerConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) health: Arc<Mutex<Health>>,
    /// Who holds this worker's outbox leases: random, new at each start of the daemon.
    pub(crate) holder: String,
}

/// Runs blocking storage work off the runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, PortError> + Send + 'static,
) -> Result<T, PortError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| PortError(format!("storage task failed: {e}")))?
}

impl<S: SyncStore + 'static, R: RemoteAppointments> Worker<S, R> {
    pub fn new(
        store: Arc<S>,
        sender: Sender<S>,
        remote: Arc<R>,
        handle: SyncHandle,
        config: WorkerConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Worker {
            store,
            sender: Arc::new(sender),
            remote,
            handle,
            config,
            clock,
            health: Arc::default(),
            holder: format!("sync-{}", uuid::Uuid::new_v4()),
        }
    }

    /// The id this worker's outbox leases are held under.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Drains and pulls until `shutdown`; an in-flight round finishes first (its entries are
    /// acknowledged or left queued — never half done).
    pub async fn run(self, shutdown: CancellationToken) {
        let this = Arc::new(self);
        let pull = tokio::spawn(this.clone().pull_loop(shutdown.clone()));
        this.drain_loop(shutdown).await;
        // Nothing is in flight any more: what it held goes to the other daemons at once.
        let (store, holder) = (this.store.clone(), this.holder.clone());
        match blocking(move || Ok(store.release(&holder)?)).await {
            Ok(n) => tracing::debug!(released = n, "sync worker released its outbox leases"),
            Err(e) => {
                tracing::warn!(error = %e, "sync worker could not release its outbox leases; they end by themselves")
            }
        }
        if let Err(e) = pull.await {
            tracing::error!(error = %e, "sync pull task failed");
        }
    }

    pub(crate) fn publish_state(&self) {
        let parked = self.handle.status().parked;
        let state = match self.health.lock() {
            Ok(h) => {
                let recent = h
                    .last_failure
                    .is_some_and(|t| t.elapsed() < self.config.degraded_window);
                if h.circuit_open || !h.ever_answered {
                    CircuitState::Offline
                } else if recent || parked > 0 {
                    CircuitState::Degraded
                } else {
                    CircuitState::Online
                }
            }
            Err(_) => CircuitState::Degraded,
        };
        self.handle.set_state(state);
    }

    pub(crate) fn answered(&self, ok: bool) {
        if let Ok(mut h) = self.health.lock() {
            h.ever_answered = true;
            if !ok {
                h.last_failure = Some(Instant::now());
            }
        }
    }

    fn unreachable(&self, circuit_open: bool) {
        if let Ok(mut h) = self.health.lock() {
            h.last_failure = Some(Instant::now());
            h.circuit_open = circuit_open;
        }
    }

    async fn drain_loop(&self, shutdown: CancellationToken) {
        let mut circuit = Circuit::new(self.config.circuit_threshold, self.config.circuit_backoff);
        let mut queue = Queue::default();
        let mut tasks: JoinSet<(QueuedMessage, Result<(), SendError>)> = JoinSet::new();
        let mut storage_failures = 0u32;
        loop {
            let stopping = shutdown.is_cancelled();
            if stopping && tasks.is_empty() {
                return;
            }
            let mut wait = self.config.idle_poll;
            if !stopping {
                match self.fill(&mut queue, &mut circuit, &mut tasks).await {
                    Ok(next) => {
                        storage_failures = 0;
                        wait = next;
                    }
                    Err(e) => {
                        storage_failures = storage_failures.saturating_add(1);
                        tracing::error!(error = %e, "sync worker cannot use the store; retrying");
                        wait = self.config.entry_backoff.jittered(storage_failures);
                        queue.stale = true;
                    }
                }
            }
            self.publish_state();
            tokio::select! {
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    let Ok((entry, result)) = joined else {
                        tracing::error!("sync send task failed");
                        queue.stale = true;
                        queue.in_flight.clear();
                        continue;
                    };
                    queue.in_flight.remove(&entry.id);
                    let (id, aggregate) = (entry.id, entry.message.aggregate.clone());
                    match self.settle(entry, result, &mut circuit, &mut queue.not_before).await {
                        Ok(Settled::Retry) => {}
                        Ok(Settled::Delivered) => queue.buffer.retain(|e| e.id != id),
                        Ok(Settled::Parked) => {
                            // Later entries of this record now wait behind it.
                            queue.buffer.retain(|e| e.id != id);
                            queue.parked_aggregates.insert(aggregate);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "sync worker cannot use the store; retrying");
                            queue.stale = true;
                        }
                    }
                    if tasks.is_empty() && let Err(e) = self.refresh_counts().await {
                        tracing::error!(error = %e, "sync worker cannot count the outbox");
                    }
                }
                _ = tokio::time::sleep(wait), if tasks.is_empty() || wait.is_zero() => queue.stale = true,
                _ = self.handle.woken() => queue.stale = true,
                _ = shutdown.cancelled(), if !stopping => {}
            }
        }
    }

    /// Starts sending what may go now; returns how long to wait when nothing more can start.
    async fn fill(
        &self,
        queue: &mut Queue,
        circuit: &mut Circuit,
        tasks: &mut JoinSet<(QueuedMessage, Result<(), SendError>)>,
    ) -> Result<Duration, PortError> {
        let now = Instant::now();
        if let Some(until) = circuit.wait_until(now) {
            return Ok(until - now);
        }
        let limit = if circuit.probing() {
            1
        } else {
            self.config.concurrency.max(1)
        };
        if queue.in_flight.len() >= limit {
            return Ok(self.config.idle_poll);
        }
        // Leases are renewed by reading again, before a quarter of them has passed: every
        // send starts with most of its lease ahead.
        let renew = queue
            .leased_at
            .is_none_or(|t| now.duration_since(t) >= self.config.lease / 4);
        let refill = queue.stale
            || renew
            || (!queue.exhausted && queue.buffer.len() < self.config.window / 2);
        if refill {
            let store = self.store.clone();
            let window = self.config.window;
            let holder = self.holder.clone();
            let at = self.clock.now();
            let until = at
                .checked_add(self.config.lease)
                .map_err(|e| PortError(format!("lease end out of range: {e}")))?;
            let (entries, pending, parked, parked_aggregates) = blocking(move || {
                Ok((
                    store.lease(&holder, window, at, until)?,
                    store.pending_len()?,
                    store.parked_len()?,
                    store
                        .parked_aggregates()?
                        .into_iter()
                        .collect::<HashSet<_>>(),
                ))
            })
            .await?;
            self.handle.set_counts(pending, parked);
            queue.exhausted = entries.len() < self.config.window;
            queue.buffer = entries;
            queue.parked_aggregates = parked_aggregates;
            queue.stale = false;
            queue.leased_at = Some(now);
            queue.not_before.retain(|_, t| *t > now);
        }
        // Per aggregate only the oldest entry may go (in flight counts); per patient one at a time.
        let mut aggregates: HashSet<String> =
            queue.in_flight.values().map(|(a, _)| a.clone()).collect();
        let mut shared: HashSet<String> = queue
            .in_flight
            .values()
            .filter_map(|(_, s)| s.clone())
            .collect();
        let mut blocked = Vec::new();
        let mut earliest: Option<Instant> = None;
        let mut started = 0usize;
        for entry in &queue.buffer {
            if queue.in_flight.len() >= limit {
                break;
            }
            if queue.in_flight.contains_key(&entry.id)
                || !aggregates.insert(entry.message.aggregate.clone())
            {
                continue;
            }
            if queue.parked_aggregates.contains(&entry.message.aggregate) {
                blocked.push(entry.clone());
                continue;
            }
            if let Some(t) = queue.not_before.get(&entry.id).filter(|t| **t > now) {
                earliest = Some(earliest.map_or(*t, |e| e.min(*t)));
                continue;
            }
            let key = shared_key(entry);
            if let Some(k) = &key
                && !shared.insert(k.clone())
            {
                continue;
            }
            queue
                .in_flight
                .insert(entry.id, (entry.message.aggregate.clone(), key));
            let sender = self.sender.clone();
            let entry = entry.clone();
            tasks.spawn(async move {
                let result = sender.send(&entry).await;
                (entry, result)
            });
            started += 1;
        }
        for entry in blocked {
            let id = entry.id;
            self.park(
                &entry,
                0,
                crate::fhir::OperationOutcome::local(
                    "processing",
                    "an earlier message of the same record is parked: retry that one first",
                ),
            )
            .await?;
            queue.buffer.retain(|e| e.id != id);
            queue.stale = true;
        }
        if started > 0 || !queue.in_flight.is_empty() {
            return Ok(self.config.idle_poll);
        }
        self.refresh_counts().await?;
        let idle = self.config.idle_poll;
        Ok(earliest.map_or(idle, |t| (t - now).min(idle)))
    }

    async fn settle(
        &self,
        entry: QueuedMessage,
        result: Result<(), SendError>,
        circuit: &mut Circuit,
        not_before: &mut HashMap<u64, Instant>,
    ) -> Result<Settled, PortError> {
        let id = entry.id;
        let mut done = Settled::Retry;
        match result {
            Ok(()) => {
                let store = self.store.clone();
                blocking(move || Ok(store.ack(id)?)).await?;
                done = Settled::Delivered;
                not_before.remove(&id);
                self.handle.metrics().sent.inc();
                self.handle.succeeded(self.clock.now());
                self.answered(true);
                if circuit.success() {
                    // Back online: entries that failed during the outage go at once.
                    not_before.clear();
                    if let Ok(mut h) = self.health.lock() {
                        h.circuit_open = false;
                    }
                    tracing::info!("national platform reachable again; sending resumes");
                }
            }
            Err(SendError::Platform(
                failure @ (Failure::Unavailable(_)
                | Failure::Unauthorized(_)
                | Failure::Throttled { .. }),
            )) => {
                // Neither is this entry's fault (the platform is down or busy, or the site's
                // credentials are wrong): it waits, it is never parked.
                let attempts = self.count_attempt(id).await?;
                let why = failure.describe();
                self.handle.failed(why.clone());
                if let Failure::Throttled { retry_after, .. } = &failure {
                    // The platform said when to come back: nothing goes before then.
                    let wait = retry_after.delay(self.clock.now());
                    circuit.defer(Instant::now() + wait);
                    self.unreachable(true);
                    tracing::warn!(reason = %why, wait_ms = wait.as_millis() as u64, "the national platform asked to wait; sending paused");
                    return Ok(done);
                }
                let opened = circuit.failure(Instant::now(), rand::random::<f64>());
                match opened {
                    Some(pause) => {
                        let was_open = self.health.lock().map(|h| h.circuit_open).unwrap_or(false);
                        self.unreachable(true);
                        if !was_open {
                            tracing::warn!(reason = %why, pause_ms = pause.as_millis() as u64, "sending to the national platform paused");
                        }
                    }
                    None => {
                        self.unreachable(false);
                        let delay = self.config.entry_backoff.jittered(attempts);
                        not_before.insert(id, Instant::now() + delay);
                    }
                }
            }
            Err(SendError::Platform(Failure::Conflict(why))) => {
                let attempts = self.count_attempt(id).await?;
                self.handle.failed(format!("conflict: {why}"));
                self.answered(false);
                circuit.success();
                let delay = self
                    .config
                    .entry_backoff
                    .delay(attempts.min(3), rand::random::<f64>());
                not_before.insert(id, Instant::now() + delay);
            }
            Err(SendError::Platform(Failure::Rejected { status, outcome })) => {
                self.answered(false);
                circuit.success();
                self.park(&entry, status, outcome).await?;
                done = Settled::Parked;
            }
            Err(SendError::Local(outcome)) => {
                self.park(&entry, 0, outcome).await?;
                done = Settled::Parked;
            }
            Err(SendError::Storage(e)) => return Err(e),
        }
        Ok(done)
    }

    async fn refresh_counts(&self) -> Result<(), PortError> {
        let store = self.store.clone();
        let (pending, parked) =
            blocking(move || Ok((store.pending_len()?, store.parked_len()?))).await?;
        self.handle.set_counts(pending, parked);
        Ok(())
    }

    async fn count_attempt(&self, id: u64) -> Result<u32, PortError> {
        let store = self.store.clone();
        Ok(blocking(move || Ok(store.record_attempt(id)?))
            .await?
            .unwrap_or(1))
    }

    async fn park(
        &self,
        entry: &QueuedMessage,
        status: u16,
        outcome: crate::fhir::OperationOutcome,
    ) -> Result<(), PortError> {
        let reason = if status == 0 {
            // Our own outcome: its diagnostics are ours (no platform text), safe to show.
            let why = outcome
                .issue
                .first()
                .and_then(|i| i.diagnostics.clone())
                .unwrap_or_else(|| outcome.summary());
            format!("refused locally: {why}")
        } else {
            format!(
                "refused by the platform (HTTP {status}): {}",
                outcome.summary()
            )
        };
        tracing::warn!(outbox_id = entry.id, kind = %entry.message.kind, %reason, "outbox entry parked for staff");
        self.handle.failed(reason.clone());
        self.handle.metrics().parked_total.inc();
        let parking = Parking {
            at: self.clock.now(),
            status,
            reason,
            outcome: serde_json::to_value(&outcome).unwrap_or_default(),
        };
        let store = self.store.clone();
        let id = entry.id;
        blocking(move || Ok(store.park(id, &parking)?)).await
    }
}

/// What became of a sent entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Settled {
    /// Acknowledged: it left the outbox.
    Delivered,
    /// Moved to the parked entries.
    Parked,
    /// Still queued, to be retried.
    Retry,
}

/// What the drain loop knows between wake-ups.
#[derive(Default)]
struct Queue {
    /// The head of the outbox as last leased, oldest first (minus what was settled since).
    buffer: Vec<QueuedMessage>,
    /// When the buffer was last leased (its leases renewed).
    leased_at: Option<Instant>,
    /// The last read returned less than a window: nothing beyond the buffer then.
    exhausted: bool,
    /// Re-read before choosing (woken, idle timer, parked something, storage trouble).
    stale: bool,
    parked_aggregates: HashSet<String>,
    /// In flight: id → (aggregate, shared key).
    in_flight: HashMap<u64, (String, Option<String>)>,
    /// Per-entry back-off.
    not_before: HashMap<u64, Instant>,
}

/// The record two messages must not touch concurrently: the patient a booking or document is
/// about (both conditionally create it on the platform).
fn shared_key(entry: &QueuedMessage) -> Option<String> {
    entry.message.patient_key()
}
