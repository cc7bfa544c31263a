//! Messages that must leave the site (national platform), queued in the same transaction as the
//! change that caused them.

use serde::{Deserialize, Serialize};

/// One message for the sync worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Stable identifier of the change: retries carry the same one, so the platform never sees a
    /// duplicate (used as the FHIR conditional-create identifier).
    pub idempotency_key: String,
    /// Aggregate the message is about (`patient/<id>`, `appointment/<id>`): ordering is per
    /// aggregate.
    pub aggregate: String,
    /// What to send, e.g. `patient.created`.
    pub kind: String,
    /// Kind-specific payload (may contain health data: stored encrypted).
    pub payload: serde_json::Value,
}
