//! The ports are synchronous: their callers (the application's use cases) run on blocking
//! threads, as they do with the sled adapter. Queries run on a small runtime of the adapter's
//! own, where the pool's connections live; the calling thread waits on a channel. Nothing here
//! enters the caller's runtime, so a call from anywhere cannot panic ("runtime within a
//! runtime"); a call from an async worker blocks that worker, which is why callers use blocking
//! threads.

use std::future::Future;

use crate::error::PgError;

pub(crate) struct Bridge {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Bridge {
    pub(crate) fn new() -> Result<Self, PgError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("teleconsult-pg")
            .enable_all()
            .build()
            .map_err(|e| PgError::Runtime(format!("cannot start the database runtime: {e}")))?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    fn handle(&self) -> Result<&tokio::runtime::Handle, PgError> {
        self.runtime
            .as_ref()
            .map(tokio::runtime::Runtime::handle)
            .ok_or_else(|| PgError::Runtime("the database runtime is stopped".into()))
    }

    /// Runs `work` to completion on the adapter's runtime, blocking the calling thread.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, PgError> {
        let (done, outcome) = std::sync::mpsc::sync_channel(1);
        self.handle()?.spawn(async move {
            let _ = done.send(work.await);
        });
        outcome
            .recv()
            .map_err(|_| PgError::Runtime("the database task stopped before its end".into()))
    }

    /// Starts `work` on the adapter's runtime; the returned future resolves with its outcome
    /// and may be awaited on any runtime.
    pub(crate) fn spawn<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<impl Future<Output = Result<T, PgError>> + Send + 'static, PgError> {
        let task = self.handle()?.spawn(work);
        Ok(async move {
            task.await
                .map_err(|_| PgError::Runtime("the database task stopped before its end".into()))
        })
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Dropping a runtime waits for its tasks, which is not allowed on an async thread:
        // connections are closed in the background instead.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The adapter's end of a decision made by the caller inside a transaction (see
/// [`Bridge::decide`]): hands over what was read, waits for what was decided.
pub(crate) struct Handover<R, D> {
    read: std::sync::mpsc::SyncSender<R>,
    decision: tokio::sync::oneshot::Receiver<D>,
}

impl<R, D> Handover<R, D> {
    /// Gives `read` to the caller and waits for its decision (the transaction's locks held).
    pub(crate) async fn exchange(self, read: R) -> Result<D, PgError> {
        self.read
            .send(read)
            .map_err(|_| PgError::Runtime("the caller left".into()))?;
        self.decision
            .await
            .map_err(|_| PgError::Runtime("the caller left".into()))
    }
}

impl Bridge {
    /// Runs `work` (a transaction) on the adapter's runtime; when it hands something over,
    /// `decide` runs on the calling thread — it may borrow the caller's data and need not be
    /// `Send` — and its decision goes back to the transaction. When `work` ends without
    /// handing anything over (nothing to decide on: not found, a failure), `decide` does not
    /// run.
    pub(crate) fn decide<R, D, T>(
        &self,
        work: impl FnOnce(
            Handover<R, D>,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<T, PgError>> + Send>>,
        decide: impl FnOnce(R) -> D,
    ) -> Result<T, PgError>
    where
        R: Send + 'static,
        D: Send + 'static,
        T: Send + 'static,
    {
        let (read_tx, read_rx) = std::sync::mpsc::sync_channel(1);
        let (decision_tx, decision_rx) = tokio::sync::oneshot::channel();
        let task = self.spawn(work(Handover {
            read: read_tx,
            decision: decision_rx,
        }))?;
        // Either the transaction hands something over, or it ends (dropping its sender).
        if let Ok(read) = read_rx.recv() {
            let _ = decision_tx.send(decide(read));
        }
        self.run(task)??
    }
}
