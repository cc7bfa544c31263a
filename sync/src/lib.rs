//! # teleconsult-sync — the national platform over FHIR R4
//!
//! Will own the FHIR R4 resources (serde), the mapping from core types, the outbox worker (the
//! only sender: conditional creates with stable identifiers, `If-Match` updates, back-off with
//! jitter, parked poison entries) and the pull of remote appointments (DESIGN §6). It is the
//! only crate that knows FHIR.
//!
//! **Must not**: write to the platform from anywhere but the outbox worker, drop data on a
//! conflict, or know HTTP server concerns.
//!
//! Status: the crate is in place so the workspace layout of DESIGN §2 holds; the worker lands
//! with the sync issue. The outbox it drains already exists in `teleconsult-store`.
