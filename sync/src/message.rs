//! The outbox messages the worker understands: `kind` → typed payload. Producers (booking,
//! documents, registration) build these with the constructors here, so both ends agree.
//!
//! | kind | aggregate | payload | sent as |
//! |---|---|---|---|
//! | `appointment.booked` | `appointment/<id>` | `{"appointment": core Appointment, "at"}` (core emits it) | transaction: Patient (conditional), Slot (busy), Appointment (conditional) |
//! | `appointment.cancelled` / `.completed` / `.no_show` | same | same | `If-Match` update of the Appointment (created first if missing); the Slot is freed on cancel |
//! | `patient.registered` / `patient.updated` | `patient/<id>` | `{"patient": PatientRecord}` | conditional create, then `If-Match` update |
//! | `document.issued` | `document/<id>` | [`DocumentIssued`] | transaction: DocumentReference (conditional) + Binary (stable id) + MedicationRequests / ServiceRequests (conditional); a fee memo also an `Invoice` (conditional, `issued`), and a corrected fee memo cancels the Invoice of the one it replaces (`If-Match`, unless paid) |
//! | `document.paid` | `document/<id>` | [`DocumentPaid`] | `If-Match` update of the fee memo's `Invoice` to `balanced` (created first, already balanced, if the platform never got it) |
//!
//! Every kind not listed is parked (`not-supported`) rather than silently dropped.

use serde::{Deserialize, Serialize};
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::document::{Document, FeeAct, PaidBy};
use teleconsult_core::ids::{DocumentId, PatientId};
use teleconsult_core::national_id::Country;
use teleconsult_core::outbox::OutboxMessage;

/// A change of an appointment that the platform must learn about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppointmentChange {
    Booked,
    Cancelled,
    Completed,
    NoShow,
}

/// Payload of `appointment.*` (as emitted by `teleconsult_core::appointment`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentPayload {
    pub appointment: Appointment,
    pub at: Timestamp,
}

/// What the platform needs to know of a patient (never the login secret or account state).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientRecord {
    pub id: PatientId,
    pub national_id: String,
    pub country: Country,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: jiff::civil::Date,
    pub phone: String,
    pub email: String,
    pub language: String,
}

impl From<&teleconsult_core::patient::Patient> for PatientRecord {
    fn from(p: &teleconsult_core::patient::Patient) -> Self {
        PatientRecord {
            id: p.id,
            national_id: p.national_id.clone(),
            country: p.country,
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            birth_date: p.birth_date,
            phone: p.phone.clone(),
            email: p.email.clone(),
            language: p.language.clone(),
        }
    }
}

/// Payload of `patient.registered` / `patient.updated`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientPayload {
    pub patient: PatientRecord,
}

/// One medicine of a prescription, as the practitioner wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrescribedMedication {
    /// Medicine as written (name, strength, form).
    pub medication: String,
    /// Posology as written.
    pub dosage: String,
}

/// One requested service (laboratory test, imaging, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedService {
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Payload of `document.issued`: the document, its rendered PDF and, for prescriptions and lab
/// requests, the structured lines (sent as MedicationRequest / ServiceRequest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentIssued {
    pub document: Document,
    /// Title shown to readers, e.g. "Prescription SITE-2026-000123".
    pub title: String,
    /// `application/pdf`.
    pub content_type: String,
    /// The PDF, base64 (standard alphabet, padded).
    pub data_base64: String,
    /// The document this one corrects, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<DocumentId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medications: Vec<PrescribedMedication>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<RequestedService>,
    /// Fee memos: the acts (nomenclature code, label, amount), sent as an `Invoice`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acts: Vec<FeeAct>,
}

/// Payload of `document.paid`: a fee memo (*mémoire d'honoraires*) the patient paid outside the
/// system, as recorded by the patient or the practitioner. Self-contained (the acts again), so
/// the worker can create the Invoice when the platform never got the `document.issued`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPaid {
    pub document: Document,
    pub acts: Vec<FeeAct>,
    pub paid_at: Timestamp,
    /// Who recorded the payment (the money itself never goes through the site).
    pub paid_by: PaidBy,
}

/// A message the worker knows how to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncMessage {
    Appointment {
        change: AppointmentChange,
        payload: Box<AppointmentPayload>,
    },
    Patient(Box<PatientPayload>),
    Document(Box<DocumentIssued>),
    DocumentPaid(Box<DocumentPaid>),
}

/// Why a message cannot be understood (parked: retrying would not help).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("unknown message kind {0:?}")]
    UnknownKind(String),
    /// Only serde's error category and position: its text may quote payload values.
    #[error("payload of {kind} does not decode ({category} error at line {line} column {column})")]
    BadPayload {
        kind: String,
        category: &'static str,
        line: usize,
        column: usize,
    },
}

impl SyncMessage {
    pub fn parse(message: &OutboxMessage) -> Result<SyncMessage, MessageError> {
        let kind = message.kind.as_str();
        let change = match kind {
            "appointment.booked" => Some(AppointmentChange::Booked),
            "appointment.cancelled" => Some(AppointmentChange::Cancelled),
            "appointment.completed" => Some(AppointmentChange::Completed),
            "appointment.no_show" => Some(AppointmentChange::NoShow),
            _ => None,
        };
        if let Some(change) = change {
            return Ok(SyncMessage::Appointment {
                change,
                payload: Box::new(decode(kind, &message.payload)?),
            });
        }
        match kind {
            "patient.registered" | "patient.updated" => Ok(SyncMessage::Patient(Box::new(decode(
                kind,
                &message.payload,
            )?))),
            "document.issued" => Ok(SyncMessage::Document(Box::new(decode(
                kind,
                &message.payload,
            )?))),
            "document.paid" => Ok(SyncMessage::DocumentPaid(Box::new(decode(
                kind,
                &message.payload,
            )?))),
            other => Err(MessageError::UnknownKind(other.to_owned())),
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    kind: &str,
    payload: &serde_json::Value,
) -> Result<T, MessageError> {
    T::deserialize(payload).map_err(|e| MessageError::BadPayload {
        kind: kind.to_owned(),
        category: match e.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        },
        line: e.line(),
        column: e.column(),
    })
}

/// `patient.registered` for `patient` (for registration code to queue in its transaction).
pub fn patient_registered(patient: &teleconsult_core::patient::Patient) -> OutboxMessage {
    patient_message(patient, "registered", "registered")
}

/// `patient.updated`; `revision` makes the key unique per change (e.g. the update's timestamp).
pub fn patient_updated(
    patient: &teleconsult_core::patient::Patient,
    revision: &str,
) -> OutboxMessage {
    patient_message(patient, "updated", &format!("updated/{revision}"))
}

fn patient_message(
    patient: &teleconsult_core::patient::Patient,
    change: &str,
    key_suffix: &str,
) -> OutboxMessage {
    let aggregate = format!("patient/{}", patient.id);
    OutboxMessage {
        idempotency_key: format!("{aggregate}/{key_suffix}"),
        kind: format!("patient.{change}"),
        aggregate,
        payload: serde_json::json!({ "patient": PatientRecord::from(patient) }),
    }
}

/// `document.issued` for the documents code to queue in the issuing transaction.
pub fn document_issued(issued: &DocumentIssued) -> Result<OutboxMessage, serde_json::Error> {
    let aggregate = format!("document/{}", issued.document.id);
    Ok(OutboxMessage {
        idempotency_key: format!("{aggregate}/issued"),
        kind: "document.issued".to_owned(),
        aggregate,
        payload: serde_json::to_value(issued)?,
    })
}

/// `document.paid` for the documents code to queue in the transaction that records the
/// payment. A fee memo is paid once, so one key per document.
pub fn document_paid(paid: &DocumentPaid) -> Result<OutboxMessage, serde_json::Error> {
    let aggregate = format!("document/{}", paid.document.id);
    Ok(OutboxMessage {
        idempotency_key: format!("{aggregate}/paid"),
        kind: "document.paid".to_owned(),
        aggregate,
        payload: serde_json::to_value(paid)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kinds_are_recognised_and_unknown_ones_refused() {
        let message = |kind: &str, payload: serde_json::Value| OutboxMessage {
            idempotency_key: "k".into(),
            aggregate: "a".into(),
            kind: kind.into(),
            payload,
        };
        assert_eq!(
            SyncMessage::parse(&message("appointment.teleported", serde_json::json!({}))),
            Err(MessageError::UnknownKind("appointment.teleported".into()))
        );
        let err = SyncMessage::parse(&message(
            "patient.updated",
            serde_json::json!({"patient": {"national_id": "1985071512345"}}),
        ))
        .unwrap_err();
        assert!(matches!(
            err,
            MessageError::BadPayload {
                category: "data",
                ..
            }
        ));
        assert!(
            !err.to_string().contains("1985"),
            "no payload values in errors: {err}"
        );
    }

    #[test]
    fn a_payment_is_one_message_per_fee_memo_in_the_documents_aggregate() {
        use teleconsult_core::document::{
            DocumentKind, DocumentNumber, DocumentStatus, FeeAct, PaidBy,
        };
        use teleconsult_core::ids::{AppointmentId, PractitionerId};
        let id = |n| uuid::Uuid::from_u128(n);
        let paid = DocumentPaid {
            document: Document {
                id: DocumentId::from_uuid(id(9)),
                number: DocumentNumber::new("DEMO", 2026, 3).unwrap(),
                kind: DocumentKind::FeeMemo,
                appointment: AppointmentId::from_uuid(id(2)),
                patient: PatientId::from_uuid(id(1)),
                practitioner: PractitionerId::from_uuid(id(3)),
                issued_at: Timestamp::from_second(1_780_000_000).unwrap(),
                status: DocumentStatus::Issued,
            },
            acts: vec![FeeAct {
                code: "C1".into(),
                label: "Consultation".into(),
                amount_cents: 5230,
            }],
            paid_at: Timestamp::from_second(1_780_000_100).unwrap(),
            paid_by: PaidBy::Patient,
        };
        let message = document_paid(&paid).unwrap();
        assert_eq!(message.kind, "document.paid");
        assert_eq!(message.aggregate, format!("document/{}", id(9)));
        assert_eq!(message.idempotency_key, format!("document/{}/paid", id(9)));
        assert_eq!(
            SyncMessage::parse(&message),
            Ok(SyncMessage::DocumentPaid(Box::new(paid)))
        );
    }

    #[test]
    fn patient_messages_round_trip_without_secrets() {
        let patient = teleconsult_core::patient::Patient {
            id: PatientId::from_uuid(uuid::Uuid::from_u128(7)),
            national_id: "1985071512345".into(),
            country: Country::LU,
            first_name: "Anna".into(),
            last_name: "Muller".into(),
            birth_date: jiff::civil::date(1985, 7, 15),
            phone: "+352621123456".into(),
            email: "anna@example.org".into(),
            language: "lb".into(),
            created_at: Timestamp::from_second(1_780_000_000).unwrap(),
            consents: Vec::new(),
        };
        let registered = patient_registered(&patient);
        assert_eq!(registered.kind, "patient.registered");
        assert_eq!(registered.aggregate, format!("patient/{}", patient.id));
        let updated = patient_updated(&patient, "2026-03-01T10:00:00Z");
        assert_ne!(updated.idempotency_key, registered.idempotency_key);
        let Ok(SyncMessage::Patient(payload)) = SyncMessage::parse(&updated) else {
            panic!("not a patient message");
        };
        assert_eq!(payload.patient, PatientRecord::from(&patient));
        assert_eq!(
            registered.payload["patient"].as_object().unwrap().len(),
            9,
            "only the fields the platform needs"
        );
    }
}
