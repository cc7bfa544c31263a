//! # teleconsult-sync — the national platform over FHIR R4
//!
//! Owns the FHIR R4 resources ([`fhir`], serde, tolerant of unknown elements and codes), the
//! mapping from core types ([`mapping`], identifier systems per country in [`systems`]), the
//! outbox message kinds it consumes ([`message`]), and the [`worker`]: the only sender to the
//! platform (conditional creates on stable identifiers, `If-Match` updates, documents as MHD-style
//! transactions, back-off with jitter, a circuit, parked poison entries) plus the pull of remote
//! appointments ([`pull`]). What it needs from storage and booking are the traits of [`ports`]
//! (storage: core's `SyncStore` port — the outbox, *leased* so that several workers on one
//! database never send one message at once; this crate depends on no storage engine);
//! what the rest of the daemon sees is a [`SyncHandle`] (status, metrics, wake-up).
//!
//! **Architecture invariants**
//! - The only crate that knows FHIR, and the only code that writes to the platform.
//! - Idempotent by construction: every interaction can be replayed after a crash.
//! - Nothing here logs resource content or identifiers of people: errors carry status codes,
//!   issue codes and element paths only.
//!
//! **Must not**: drop data on a conflict or refusal (park it), block the runtime (storage goes
//! through `spawn_blocking`), or know HTTP server concerns (`web` serves the status).

pub mod answer;
pub mod backoff;
pub mod client;
pub mod fhir;
pub mod mapping;
pub mod message;
pub mod ports;
pub mod pull;
pub mod send;
pub mod status;
pub mod systems;
pub mod worker;

pub use backoff::{Backoff, CircuitState};
pub use client::{Auth, ClientConfig, ClientError, FhirClient};
pub use ports::{
    Applied, IgnoreRemote, RemoteAppointment, RemoteAppointments, RemoteStatus, SyncStore,
};
pub use status::{SyncHandle, SyncStatus};
pub use systems::IdentifierSystems;
pub use worker::{Worker, WorkerConfig};

use std::sync::Arc;
use teleconsult_core::ports::Clock;

/// Everything the worker needs from configuration (`[platform]`, `[site]`).
#[derive(Clone, Debug)]
pub struct SyncSettings {
    pub client: ClientConfig,
    pub systems: IdentifierSystems,
    pub worker: WorkerConfig,
}

/// Builds the worker (fails only on unreadable TLS/token files or a bad URL).
pub fn worker<S: SyncStore + 'static, R: RemoteAppointments>(
    settings: &SyncSettings,
    store: Arc<S>,
    remote: Arc<R>,
    clock: Arc<dyn Clock>,
    handle: SyncHandle,
) -> Result<Worker<S, R>, ClientError> {
    let client = FhirClient::new(&settings.client)?;
    let sender = send::Sender::new(
        client,
        mapping::Mapper::new(settings.systems.clone()),
        store.clone(),
        clock.clone(),
    );
    Ok(Worker::new(
        store,
        sender,
        remote,
        handle,
        settings.worker.clone(),
        clock,
    ))
}
