//! One outbox message → the FHIR interactions that deliver it. Every interaction is
//! idempotent (conditional create on a stable identifier, `If-Match` update of a re-read
//! version, `PUT` of a Binary with a stable id), so a message may be sent again after a crash
//! or a lost answer and the platform still holds each resource once.

use crate::client::{Failure, FhirClient};
use crate::fhir::{
    Appointment, Invoice, OperationOutcome, Patient, Reference, Resource, Slot, SlotStatus,
};
use crate::mapping::{Mapper, apply_cancellation, apply_payment, apply_replacement};
use crate::message::{
    AppointmentChange, AppointmentPayload, DocumentIssued, DocumentPaid, PatientRecord, SyncMessage,
};
use crate::ports::{PortError, QueuedMessage, SyncStore};
use std::collections::HashMap;
use std::sync::Arc;
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::Status;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::document::DocumentKind;
use teleconsult_core::ids::{DocumentId, PatientId, PractitionerId};
use teleconsult_core::ports::Repository;

/// How many times an `If-Match` update is re-read and retried after a 412 before the message
/// goes back to the queue.
const UPDATE_RETRIES: usize = 3;

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// From the platform (or the network), classified.
    #[error("{}", .0.describe())]
    Platform(Failure),
    /// Refused before sending: the message cannot be delivered as it is (park it).
    #[error("refused locally: {}", .0.summary())]
    Local(OperationOutcome),
    #[error(transparent)]
    Storage(PortError),
}

impl From<Failure> for SendError {
    fn from(f: Failure) -> Self {
        SendError::Platform(f)
    }
}

impl From<PortError> for SendError {
    fn from(e: PortError) -> Self {
        SendError::Storage(e)
    }
}

/// Platform references of a practitioner, resolved once per process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PractitionerRefs {
    pub practitioner: String,
    pub schedule: String,
}

/// Delivers messages; caches the platform ids of the site's practitioners.
pub struct Sender<S: SyncStore + 'static> {
    pub(crate) client: FhirClient,
    pub(crate) mapper: Mapper,
    store: Arc<S>,
    directory: tokio::sync::Mutex<HashMap<PractitionerId, PractitionerRefs>>,
    clock: Arc<dyn teleconsult_core::ports::Clock>,
}

impl<S: SyncStore + 'static> Sender<S> {
    pub fn new(
        client: FhirClient,
        mapper: Mapper,
        store: Arc<S>,
        clock: Arc<dyn teleconsult_core::ports::Clock>,
    ) -> Self {
        Sender {
            client,
            mapper,
            store,
            directory: tokio::sync::Mutex::new(HashMap::new()),
            clock,
        }
    }

    pub async fn send(&self, queued: &QueuedMessage) -> Result<(), SendError> {
        let message = SyncMessage::parse(&queued.message).map_err(|e| {
            SendError::Local(OperationOutcome::local("not-supported", e.to_string()))
        })?;
        let key = queued.message.idempotency_key.as_str();
        match message {
            SyncMessage::Appointment { change, payload } => match change {
                AppointmentChange::Booked => self.book(&payload, key).await,
                _ => self.change_appointment(&payload, key).await,
            },
            SyncMessage::Patient(payload) => self.upsert_patient(&payload.patient, key).await,
            SyncMessage::Document(issued) => self.issue_document(&issued, key).await,
            SyncMessage::DocumentPaid(paid) => self.document_paid(&paid, key).await,
        }
    }

    async fn issue_document(&self, issued: &DocumentIssued, key: &str) -> Result<(), SendError> {
        let refs = self.practitioner(issued.document.practitioner).await?;
        let patient = self.patient(issued.document.patient).await?;
        let bundle =
            self.mapper
                .document_bundle(issued, key, &patient, Reference::to(&refs.practitioner));
        self.client.transaction(&bundle).await?;
        if issued.document.kind == DocumentKind::FeeMemo
            && let Some(original) = issued.replaces
        {
            self.cancel_replaced_invoice(original, &issued.document.number.to_string())
                .await?;
        }
        Ok(())
    }

    /// A corrected fee memo replaces the original's Invoice: that one is cancelled, so the
    /// insurer sees one amount due (unless it was paid: then it stays, as the payment did).
    async fn cancel_replaced_invoice(
        &self,
        original: DocumentId,
        by_number: &str,
    ) -> Result<(), SendError> {
        let condition = self.mapper.local_condition("document", original);
        for _ in 0..UPDATE_RETRIES {
            let Some(mut invoice) = self.find_one::<Invoice>(&condition).await? else {
                return Ok(());
            };
            if !apply_replacement(&mut invoice, by_number) {
                return Ok(());
            }
            let version = invoice.version_id().unwrap_or_default().to_owned();
            match self.client.update(&invoice, &version).await {
                Ok(_) => return Ok(()),
                Err(Failure::Conflict(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Failure::Conflict("invoice kept changing".to_owned()).into())
    }

    /// A fee memo paid: its Invoice becomes `balanced` (`If-Match` on the version just read).
    /// When the platform has none (the `document.issued` never carried one), it is created in
    /// its paid state, then read back — a replay finds it balanced and changes nothing.
    async fn document_paid(&self, paid: &DocumentPaid, key: &str) -> Result<(), SendError> {
        let doc = &paid.document;
        let condition = self.mapper.invoice_condition(doc);
        let mut created = false;
        for _ in 0..UPDATE_RETRIES {
            let Some(mut invoice) = self.find_one::<Invoice>(&condition).await? else {
                if created {
                    return Err(Failure::Conflict("created invoice not found".to_owned()).into());
                }
                let refs = self.practitioner(doc.practitioner).await?;
                let patient = self.patient(doc.patient).await?;
                let bundle = self.mapper.paid_invoice_bundle(
                    doc,
                    &paid.acts,
                    (paid.paid_at, paid.paid_by),
                    key,
                    &patient,
                    Reference::to(&refs.practitioner),
                );
                self.client.transaction(&bundle).await?;
                created = true;
                continue;
            };
            if !apply_payment(&mut invoice, paid.paid_at, paid.paid_by) {
                return Ok(());
            }
            let version = invoice.version_id().unwrap_or_default().to_owned();
            match self.client.update(&invoice, &version).await {
                Ok(_) => return Ok(()),
                Err(Failure::Conflict(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Failure::Conflict("invoice kept changing".to_owned()).into())
    }

    async fn book(&self, payload: &AppointmentPayload, key: &str) -> Result<(), SendError> {
        let a = &payload.appointment;
        let refs = self.practitioner(a.practitioner).await?;
        let patient = self.patient(a.patient).await?;
        let bundle = self.mapper.booking_bundle(
            a,
            key,
            &patient,
            Reference::to(&refs.practitioner),
            Reference::to(&refs.schedule),
        );
        self.client.transaction(&bundle).await?;
        Ok(())
    }

    /// Cancellation, completion, no-show: an `If-Match` update of the platform's Appointment
    /// (created first, in its new state, if the platform never got the booking).
    async fn change_appointment(
        &self,
        payload: &AppointmentPayload,
        key: &str,
    ) -> Result<(), SendError> {
        let a = &payload.appointment;
        let condition = self.mapper.local_condition("appointment", a.id);
        let mut last = None;
        for _ in 0..UPDATE_RETRIES {
            let Some(mut current) = self.find_one::<Appointment>(&condition).await? else {
                return self.book(payload, key).await;
            };
            apply_cancellation(&mut current, &a.status);
            let version = current.version_id().unwrap_or_default().to_owned();
            match self.client.update(&current, &version).await {
                Ok(_) => {
                    last = None;
                    break;
                }
                Err(Failure::Conflict(why)) => last = Some(Failure::Conflict(why)),
                Err(other) => return Err(other.into()),
            }
        }
        if let Some(conflict) = last {
            return Err(conflict.into());
        }
        if matches!(a.status, Status::Cancelled { .. }) {
            self.free_slot(a.id).await?;
        }
        Ok(())
    }

    async fn free_slot(&self, id: teleconsult_core::ids::AppointmentId) -> Result<(), SendError> {
        let condition = self.mapper.local_condition("slot", id);
        for _ in 0..UPDATE_RETRIES {
            let Some(mut slot) = self.find_one::<Slot>(&condition).await? else {
                return Ok(());
            };
            if slot.status == Some(SlotStatus::Free) {
                return Ok(());
            }
            slot.status = Some(SlotStatus::Free);
            let version = slot.version_id().unwrap_or_default().to_owned();
            match self.client.update(&slot, &version).await {
                Ok(_) => return Ok(()),
                Err(Failure::Conflict(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Failure::Conflict("slot kept changing".to_owned()).into())
    }

    /// Conditional create on the national identifier; when the platform already had the
    /// patient, an `If-Match` update with our demographics (keeping what others added).
    async fn upsert_patient(&self, record: &PatientRecord, _key: &str) -> Result<(), SendError> {
        let ours = self.mapper.patient(record);
        let condition = self.mapper.patient_condition(record);
        let answer = self.client.conditional_create(&ours, &condition).await?;
        if answer.status == 201 {
            return Ok(());
        }
        let mut current = answer.body;
        for _ in 0..UPDATE_RETRIES {
            let version = current
                .version_id()
                .map(str::to_owned)
                .or(answer.version.clone())
                .unwrap_or_default();
            let merged = merge_patient(current.clone(), &ours);
            if merged == current {
                return Ok(());
            }
            match self.client.update(&merged, &version).await {
                Ok(_) => return Ok(()),
                Err(Failure::Conflict(_)) => {
                    current = match self.find_one::<Patient>(&condition).await? {
                        Some(p) => p,
                        None => return Err(Failure::Conflict("patient vanished".into()).into()),
                    };
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(Failure::Conflict("patient kept changing".to_owned()).into())
    }

    async fn find_one<T: Resource>(&self, condition: &str) -> Result<Option<T>, SendError> {
        let bundle = self.client.search(T::TYPE, condition).await?;
        let mut found = bundle.resources::<T>();
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            _ => Err(SendError::Local(OperationOutcome::local(
                "multiple-matches",
                format!(
                    "{} identifier matches several resources on the platform",
                    T::TYPE
                ),
            ))),
        }
    }

    async fn patient(&self, id: PatientId) -> Result<PatientRecord, SendError> {
        let store = self.store.clone();
        let at = self.clock.now();
        // An audited read: the sync worker reads the record to send it.
        let audit = AuditEvent {
            at,
            actor: Actor::System("sync".to_owned()),
            action: Action::Read,
            object_type: "patient".to_owned(),
            object_id: id.to_string(),
        };
        let found = tokio::task::spawn_blocking(move || {
            Repository::patient(&*store, id, &audit)
                .map(|p| p.as_ref().map(PatientRecord::from))
                .map_err(PortError::from)
        })
        .await
        .map_err(|e| PortError(format!("patient read task failed: {e}")))??;
        found.ok_or_else(|| {
            SendError::Local(OperationOutcome::local(
                "not-found",
                "the patient of this message is not in the local store",
            ))
        })
    }

    /// The platform references of a practitioner: Practitioner, PractitionerRole and Schedule
    /// ensured once (conditional creates), then cached.
    pub async fn practitioner(&self, id: PractitionerId) -> Result<PractitionerRefs, SendError> {
        let mut directory = self.directory.lock().await;
        if let Some(refs) = directory.get(&id) {
            return Ok(refs.clone());
        }
        let store = self.store.clone();
        let all =
            tokio::task::spawn_blocking(move || store.practitioners().map_err(PortError::from))
                .await
                .map_err(|e| PortError(format!("practitioner read task failed: {e}")))??;
        let Some(p) = all.into_iter().find(|p| p.id == id) else {
            return Err(SendError::Local(OperationOutcome::local(
                "not-found",
                "the practitioner of this message is not in the local store",
            )));
        };
        let created = self
            .client
            .conditional_create(
                &self.mapper.practitioner(&p),
                &self.mapper.local_condition("practitioner", p.id),
            )
            .await?;
        let practitioner = reference_of(&created.body)?;
        self.client
            .conditional_create(
                &self
                    .mapper
                    .practitioner_role(&p, Reference::to(&practitioner)),
                &self.mapper.local_condition("practitioner-role", p.id),
            )
            .await?;
        let schedule = self
            .client
            .conditional_create(
                &self.mapper.schedule(&p, Reference::to(&practitioner)),
                &self.mapper.local_condition("schedule", p.id),
            )
            .await?;
        let refs = PractitionerRefs {
            practitioner,
            schedule: reference_of(&schedule.body)?,
        };
        directory.insert(id, refs.clone());
        Ok(refs)
    }

    /// Current time from the injected clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

fn reference_of<T: Resource>(resource: &T) -> Result<String, SendError> {
    resource
        .id()
        .map(|id| format!("{}/{id}", T::TYPE))
        .ok_or_else(|| {
            SendError::Platform(Failure::Unavailable(format!(
                "{} answer without id",
                T::TYPE
            )))
        })
}

/// Our demographics over the platform's record: names, telecom, birth date and language are
/// ours; identifiers are merged; everything else (other systems' data) is kept.
fn merge_patient(mut current: Patient, ours: &Patient) -> Patient {
    for identifier in &ours.identifier {
        if !current
            .identifier
            .iter()
            .any(|i| i.system == identifier.system && i.value == identifier.value)
        {
            current.identifier.push(identifier.clone());
        }
    }
    current.name = ours.name.clone();
    current.telecom = ours.telecom.clone();
    current.birth_date = ours.birth_date.clone();
    current.communication = ours.communication.clone();
    current.active = ours.active;
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::Identifier;

    #[test]
    fn merge_keeps_foreign_data() {
        let mut current = Patient {
            id: Some("p1".into()),
            identifier: vec![Identifier::new("urn:other", "9")],
            gender: Some("female".into()),
            ..Patient::default()
        };
        current.extra.insert(
            "generalPractitioner".into(),
            serde_json::json!([{"reference": "Practitioner/x"}]),
        );
        let ours = Patient {
            identifier: vec![Identifier::new("urn:nat", "1")],
            birth_date: Some("1985-07-15".into()),
            ..Patient::default()
        };
        let merged = merge_patient(current, &ours);
        assert_eq!(merged.identifier.len(), 2);
        assert_eq!(merged.gender.as_deref(), Some("female"));
        assert_eq!(merged.birth_date.as_deref(), Some("1985-07-15"));
        assert!(merged.extra.contains_key("generalPractitioner"));
        assert_eq!(merged.id.as_deref(), Some("p1"));
    }
}
