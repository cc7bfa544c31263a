//! Shared state of the HTTP layer.

use crate::error::ApiError;
use crate::metrics::Metrics;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use teleconsult_core::national_id::Country;
use teleconsult_core::ports::Clock;
use teleconsult_store::Store;

/// Settings the HTTP layer needs, taken from the daemon configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Display name of the site (landing page, e-mails).
    pub site_name: String,
    /// Country whose national-id rules apply to registrations.
    pub country: Country,
    /// Demo mode: shown on pages so nobody mistakes it for a real install.
    pub demo: bool,
}

/// Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    pub metrics: Metrics,
    ready: AtomicBool,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self(Arc::new(Inner {
            store,
            clock,
            settings,
            metrics: Metrics::new(),
            ready: AtomicBool::new(false),
        }))
    }

    /// Marks the service ready (store open, listeners bound): `/readyz` answers 200 from now on.
    pub fn set_ready(&self, ready: bool) {
        self.0.ready.store(ready, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::SeqCst)
    }

    /// Runs blocking work (sled transactions and flushes, password hashing) off the runtime.
    pub async fn blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Inner) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || work(&this.0))
            .await
            .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
