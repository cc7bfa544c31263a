//! Audit events: who did what to which object, when. Never carries health data itself.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A logged-in account (its id).
    Account(String),
    /// Someone not logged in (e.g. self-registration), identified by client address when known.
    Anonymous(Option<String>),
    /// The daemon itself (seeding, sync worker, scheduler).
    System(String),
    /// An administrator using `teleconsultctl` on the box.
    Admin(String),
}

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Export,
    Login,
    Logout,
}

/// One audited access, before it is chained into the audit log by the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub actor: Actor,
    pub action: Action,
    /// Object type, e.g. `patient`, `appointment`, `document`.
    pub object_type: String,
    /// Object identifier (never a name or any health data).
    pub object_id: String,
}
