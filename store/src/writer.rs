//! The batch writer: one thread that applies queued writes in batches, one sled transaction
//! and one flush per batch.
//!
//! sled 0.34 runs every transaction under one global write lock, and a flush holds the same
//! lock for reading while it waits for the disk; concurrent writers therefore queue behind each
//! other's flushes, and reads queue behind the writers (the lock lets no new reader in while a
//! writer waits). Writes sent here — bookings — are applied by a single thread instead: it takes
//! every job waiting (up to [`MAX_BATCH`]), applies them in one transaction, appends their audit
//! events to the chain with one read and one write of its head, flushes once, and answers each
//! caller. Under load a batch holds what arrived during the previous flush; alone, a job is
//! applied at once.
//!
//! **Each job stands alone in its batch.** A job refuses (`Ok(Err(..))`, e.g. `SlotTaken`) only
//! before writing anything; the others commit. A job that fails after writing (`Err`, an abort)
//! takes the batch's transaction down with it: the batch runs again without it, and only that
//! job reports its error. A storage error, or the flush failing, is reported to every job of the
//! batch — as when each flushed on its own.
//!
//! The thread holds only a weak reference to the store: it ends when the last handle is dropped.

use std::sync::Weak;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use teleconsult_core::audit::AuditEvent;

use crate::audit;
use crate::error::StoreError;
use crate::store::Inner;
use crate::tree::{Tx, TxResult};

/// At most this many jobs share one transaction: the transaction holds sled's lock, and reads
/// of the whole store wait for it.
pub(crate) const MAX_BATCH: usize = 32;

/// A write applied by the batch writer.
pub(crate) trait Work: Send + 'static {
    /// Reads what the job needs and a transaction cannot give (sled transactions cannot scan),
    /// on the writer thread before the batch's transaction. An error fails this job only.
    fn prepare(&self, _inner: &Inner) -> Result<(), StoreError> {
        Ok(())
    }

    /// Applies the job inside the batch's transaction. `Ok(Err(..))`: refused, and nothing was
    /// written. `Err(..)`: aborts the batch's transaction (the batch runs again without this
    /// job). Called again when the batch runs again.
    fn apply(&self, tx: &Tx<'_>) -> TxResult<Result<(), StoreError>>;

    /// The audit events the job records, appended to the chain after every job of the batch
    /// has been applied; `applied` says whether the job was applied or refused.
    fn audit(&self, applied: bool) -> Vec<&AuditEvent>;
}

struct Job {
    work: Box<dyn Work>,
    reply: Reply,
}

/// Where a job's outcome goes: a thread blocked on it, or a task awaiting it.
enum Reply {
    Thread(SyncSender<Result<(), StoreError>>),
    Task(tokio::sync::oneshot::Sender<Result<(), StoreError>>),
}

impl Reply {
    fn send(self, outcome: Result<(), StoreError>) {
        // The caller may have gone (its thread ended, its request was dropped): nothing to tell.
        match self {
            Reply::Thread(reply) => {
                let _ = reply.send(outcome);
            }
            Reply::Task(reply) => {
                let _ = reply.send(outcome);
            }
        }
    }
}

/// The outcome of a write queued to the writer, for async code: await [`Pending::outcome`]
/// instead of parking a thread until the batch is flushed.
#[derive(Debug)]
pub struct Pending(tokio::sync::oneshot::Receiver<Result<(), StoreError>>);

impl Pending {
    /// Resolves once the write's batch is flushed, with the write's own outcome.
    pub async fn outcome(self) -> Result<(), StoreError> {
        self.0.await.map_err(|_| stopped())?
    }
}

/// The writer thread's end of the queue.
pub(crate) struct Jobs(Receiver<Job>);

/// The queue to the writer thread.
pub(crate) struct Writer {
    queue: Sender<Job>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Writer {
    /// The queue, and the end the writer thread reads (see [`Writer::spawn`]).
    pub(crate) fn new() -> (Writer, Jobs) {
        let (queue, jobs) = mpsc::channel();
        (Writer { queue }, Jobs(jobs))
    }

    /// Starts the writer thread of the store `inner`, reading `jobs`.
    pub(crate) fn spawn(inner: Weak<Inner>, jobs: Jobs) -> Result<(), StoreError> {
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(&inner, &jobs.0))
            .map(drop)
            .map_err(|e| StoreError::Engine(sled::Error::Io(e)))
    }

    /// Applies `work` durably: returns once its batch is flushed, with its own outcome.
    pub(crate) fn apply(&self, work: impl Work) -> Result<(), StoreError> {
        self.submit(work)?.recv().map_err(|_| stopped())?
    }

    /// Queues `work`; its outcome comes on the returned channel once its batch is flushed.
    fn submit(&self, work: impl Work) -> Result<Receiver<Result<(), StoreError>>, StoreError> {
        let (reply, outcome) = mpsc::sync_channel(1);
        self.queue(work, Reply::Thread(reply))?;
        Ok(outcome)
    }

    /// Queues `work` for async code: see [`Pending`].
    pub(crate) fn submit_async(&self, work: impl Work) -> Result<Pending, StoreError> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.queue(work, Reply::Task(reply))?;
        Ok(Pending(outcome))
    }

    fn queue(&self, work: impl Work, reply: Reply) -> Result<(), StoreError> {
        let job = Job {
            work: Box::new(work),
            reply,
        };
        self.queue.send(job).map_err(|_| stopped())
    }
}

fn stopped() -> StoreError {
    StoreError::Engine(sled::Error::ReportableBug(
        "the store's writer thread stopped".into(),
    ))
}

fn panicked() -> StoreError {
    StoreError::Engine(sled::Error::ReportableBug(
        "a store write panicked: its batch may not have been written".into(),
    ))
}

fn run(inner: &Weak<Inner>, jobs: &Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let Some(store) = inner.upgrade() else {
            return;
        };
        // A panic in a job must not end the thread (every later write would fail): the
        // batch's callers get an error, and the writer goes on.
        let outcomes =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply_batch(&store, &batch)))
                .unwrap_or_else(|_| {
                    tracing::error!(
                        jobs = batch.len(),
                        "a store write panicked; its batch failed"
                    );
                    batch.iter().map(|_| Err(panicked())).collect()
                });
        // The store handle goes before the answers: a caller that drops the last handle once
        // answered closes the database at once.
        drop(store);
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            job.reply.send(outcome);
        }
    }
}

/// Applies `batch` in one transaction and one flush; one outcome per job, in order.
fn apply_batch(inner: &Inner, batch: &[Job]) -> Vec<Result<(), StoreError>> {
    let mut outcomes: Vec<Option<Result<(), StoreError>>> = batch.iter().map(|_| None).collect();
    let mut active: Vec<usize> = Vec::with_capacity(batch.len());
    for (index, job) in batch.iter().enumerate() {
        match job.work.prepare(inner) {
            Ok(()) => active.push(index),
            Err(error) => outcomes[index] = Some(Err(error)),
        }
    }
    while !active.is_empty() {
        let failed = std::cell::Cell::new(None);
        let result = inner.transact(|tx| {
            // sled may run this more than once: only the last run's failure counts.
            failed.set(None);
            let mut refused = Vec::new();
            let mut events = Vec::new();
            for &index in &active {
                let work = &batch[index].work;
                match work.apply(tx) {
                    Ok(Ok(())) => events.extend(work.audit(true)),
                    Ok(Err(refusal)) => {
                        events.extend(work.audit(false));
                        refused.push((index, refusal));
                    }
                    Err(error) => {
                        failed.set(Some(index));
                        return Err(error);
                    }
                }
            }
            audit::append_all(tx, &events)?;
            Ok(refused)
        });
        match result {
            Ok(refused) => {
                let flushed = inner.flush();
                let mut refused = refused.into_iter().peekable();
                for &index in &active {
                    let outcome = match refused.next_if(|(i, _)| *i == index) {
                        Some((_, refusal)) => match &flushed {
                            Ok(()) => Err(refusal),
                            // Its audit events may not be durable: say so rather than refuse.
                            Err(error) => Err(share(error)),
                        },
                        None => flushed.as_ref().map_err(share).copied(),
                    };
                    outcomes[index] = Some(outcome);
                }
                active.clear();
            }
            Err(error) => match failed.take() {
                Some(index) => {
                    outcomes[index] = Some(Err(error));
                    active.retain(|&i| i != index);
                }
                None => {
                    for &index in &active {
                        outcomes[index] = Some(Err(share(&error)));
                    }
                    active.clear();
                }
            },
        }
    }
    outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|| Err(stopped())))
        .collect()
}

/// The same error for every job of a batch.
fn share(error: &StoreError) -> StoreError {
    match error {
        StoreError::Engine(e) => StoreError::Engine(e.clone()),
        StoreError::Jammed { full } => StoreError::Jammed { full: *full },
        other => StoreError::Engine(sled::Error::Io(std::io::Error::other(other.to_string()))),
    }
}

/// A job that only records audit events (reads of health data), batched with the others.
pub(crate) struct RecordAudit(pub(crate) Vec<AuditEvent>);

impl Work for RecordAudit {
    fn apply(&self, _tx: &Tx<'_>) -> TxResult<Result<(), StoreError>> {
        Ok(Ok(()))
    }

    fn audit(&self, _applied: bool) -> Vec<&AuditEvent> {
        self.0.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_support::{event, open, reopen_key};
    use crate::tree::{TreeId, abort};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{Arc, Barrier};
    use teleconsult_core::audit::Action;

    /// What a test job does in the transaction.
    #[derive(Clone, Copy)]
    enum Act {
        Write,
        Refuse,
        /// Writes, then fails: the batch runs again without it.
        WriteThenFail,
    }

    struct TestJob {
        key: Vec<u8>,
        act: Act,
        applied: Arc<AtomicUsize>,
        /// Holds the writer inside its transaction until the test has queued the others.
        gate: Option<Arc<Barrier>>,
        read: AuditEvent,
        event: AuditEvent,
    }

    impl TestJob {
        fn new(name: &str, act: Act) -> (Self, Arc<AtomicUsize>) {
            let applied = Arc::new(AtomicUsize::new(0));
            let job = TestJob {
                key: format!("test/{name}").into_bytes(),
                act,
                applied: applied.clone(),
                gate: None,
                read: event(Action::Read, format!("{name} read")),
                event: event(Action::Create, name),
            };
            (job, applied)
        }
    }

    impl Work for TestJob {
        fn apply(&self, tx: &Tx<'_>) -> TxResult<Result<(), StoreError>> {
            self.applied.fetch_add(1, SeqCst);
            if let Some(gate) = &self.gate {
                gate.wait();
                gate.wait();
            }
            match self.act {
                Act::Refuse => return Ok(Err(StoreError::SlotTaken)),
                Act::Write | Act::WriteThenFail => {
                    tx.raw(TreeId::Meta)
                        .insert(self.key.as_slice(), &b"x"[..])?;
                }
            }
            if matches!(self.act, Act::WriteThenFail) {
                return Err(abort(StoreError::Encode("test failure".into())));
            }
            Ok(Ok(()))
        }

        fn audit(&self, applied: bool) -> Vec<&AuditEvent> {
            let mut events = vec![&self.read];
            if applied {
                events.push(&self.event);
            }
            events
        }
    }

    #[test]
    fn jobs_of_one_batch_succeed_or_fail_each_on_their_own() {
        let (_dir, store) = open();
        let gate = Arc::new(Barrier::new(2));
        let (mut first, first_applied) = TestJob::new("first", Act::Write);
        first.gate = Some(gate.clone());
        let held = {
            let store = store.clone();
            std::thread::spawn(move || store.inner().writer.apply(first))
        };
        // The writer is inside the first job's transaction: the next four queue up and make
        // one batch.
        gate.wait();
        let jobs = [
            ("a", Act::Write),
            ("b", Act::Refuse),
            ("c", Act::WriteThenFail),
            ("d", Act::Write),
        ];
        let writer = &store.inner().writer;
        let waiting: Vec<_> = jobs
            .into_iter()
            .map(|(name, act)| {
                let (job, applied) = TestJob::new(name, act);
                (applied, writer.submit(job).unwrap())
            })
            .collect();
        gate.wait();
        held.join().unwrap().unwrap();
        assert_eq!(first_applied.load(SeqCst), 1);

        let outcomes: Vec<_> = waiting
            .into_iter()
            .map(|(applied, outcome)| (outcome.recv().unwrap(), applied.load(SeqCst)))
            .collect();
        // One batch; `c` failed after writing, and the batch ran again without it (`d`, after
        // `c`, was applied only in the second run).
        assert!(matches!(outcomes[0], (Ok(()), 2)), "{:?}", outcomes[0]);
        assert!(
            matches!(outcomes[1], (Err(StoreError::SlotTaken), 2)),
            "{:?}",
            outcomes[1]
        );
        assert!(
            matches!(outcomes[2], (Err(StoreError::Encode(_)), 1)),
            "{:?}",
            outcomes[2]
        );
        assert!(matches!(outcomes[3], (Ok(()), 1)), "{:?}", outcomes[3]);

        let inner = store.inner();
        let meta = inner.trees.raw(TreeId::Meta);
        for (key, written) in [("a", true), ("b", false), ("c", false), ("d", true)] {
            assert_eq!(
                meta.get(format!("test/{key}")).unwrap().is_some(),
                written,
                "{key}"
            );
        }
        // Audit: each job's read, and the event of those applied, in queue order; `c` none.
        let objects: Vec<String> = store
            .audit_records(0, 100)
            .unwrap()
            .into_iter()
            .map(|r| r.event.object_id)
            .collect();
        let expected = [
            "first read",
            "first",
            "a read",
            "a",
            "b read",
            "d read",
            "d",
        ];
        assert_eq!(objects[objects.len() - expected.len()..], expected);
        store.verify_audit_chain().unwrap();
    }

    struct Panics;

    impl Work for Panics {
        fn apply(&self, _tx: &Tx<'_>) -> TxResult<Result<(), StoreError>> {
            panic!("a bug in a job")
        }

        fn audit(&self, _applied: bool) -> Vec<&AuditEvent> {
            Vec::new()
        }
    }

    #[test]
    fn a_panicking_job_fails_its_batch_and_the_writer_goes_on() {
        let (_dir, store) = open();
        let writer = &store.inner().writer;
        assert!(matches!(
            writer.apply(Panics),
            Err(StoreError::Engine(sled::Error::ReportableBug(_)))
        ));
        let (job, applied) = TestJob::new("after", Act::Write);
        writer.apply(job).unwrap();
        assert_eq!(applied.load(SeqCst), 1);
        store.verify_audit_chain().unwrap();
    }

    #[test]
    fn the_writer_lets_go_of_the_store_when_the_last_handle_is_dropped() {
        let (dir, store) = open();
        store
            .inner()
            .writer
            .apply(RecordAudit(vec![event(Action::Read, "x")]))
            .unwrap();
        drop(store);
        let store = crate::Store::open(dir.path(), reopen_key()).unwrap();
        store.verify_audit_chain().unwrap();
    }
}
