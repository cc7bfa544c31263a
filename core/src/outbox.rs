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

impl OutboxMessage {
    /// The patient this message creates or updates on the platform, as `patient/<id>`: a
    /// booking's or a document's patient (both create the patient conditionally), or the
    /// patient of `patient.*` messages. Two such messages about one patient must not be sent
    /// concurrently (two concurrent conditional creates could both create it).
    pub fn patient_key(&self) -> Option<String> {
        let payload = &self.payload;
        payload
            .pointer("/appointment/patient")
            .or_else(|| payload.pointer("/document/patient"))
            .or_else(|| payload.pointer("/patient/id"))
            .and_then(serde_json::Value::as_str)
            .map(|p| format!("patient/{p}"))
    }

    /// What orders this message against others: its aggregate, and its patient (see
    /// [`OutboxMessage::patient_key`]). Messages sharing a key are sent one at a time, oldest
    /// first, whichever worker sends them (see `ports::outbox::LeaseRule`).
    pub fn ordering_keys(&self) -> Vec<String> {
        let mut keys = vec![self.aggregate.clone()];
        if let Some(patient) = self.patient_key()
            && patient != self.aggregate
        {
            keys.push(patient);
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(aggregate: &str, payload: serde_json::Value) -> OutboxMessage {
        OutboxMessage {
            idempotency_key: "k".into(),
            aggregate: aggregate.into(),
            kind: "x".into(),
            payload,
        }
    }

    #[test]
    fn a_message_is_ordered_by_its_aggregate_and_its_patient() {
        let booking = message(
            "appointment/a",
            serde_json::json!({"appointment": {"patient": "p"}}),
        );
        assert_eq!(booking.ordering_keys(), ["appointment/a", "patient/p"]);
        let document = message(
            "document/d",
            serde_json::json!({"document": {"patient": "p"}}),
        );
        assert_eq!(document.ordering_keys(), ["document/d", "patient/p"]);
        let patient = message("patient/p", serde_json::json!({"patient": {"id": "p"}}));
        assert_eq!(patient.ordering_keys(), ["patient/p"]);
        let paid = message("document/d", serde_json::json!({"number": 3}));
        assert_eq!(paid.ordering_keys(), ["document/d"]);
    }
}
