//! Administrative operations on the store (`teleconsultctl`): GDPR erasure of a patient and the
//! reset of outbox delivery attempts.

use serde::{Deserialize, Serialize};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::PatientId;
use teleconsult_core::patient::Patient;

use crate::audit;
use crate::call::PatientTraces;
use crate::error::StoreError;
use crate::outbox::OutboxEntry;
use crate::repo::{email_index, national_id_index};
use crate::store::Store;
use crate::tree::TreeId;

/// What an erasure removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    pub patient_id: PatientId,
    /// The patient record, its national-id and e-mail index entries, their short medical
    /// record and what the calls of their appointments left (chat messages, shared files,
    /// quality records). Appointments and
    /// issued documents are kept: they are the practitioner's record, which the law requires
    /// them to keep.
    pub removed_records: u64,
    /// Sequence number of the audit record of the erasure (the audit trail is kept: it holds
    /// identifiers only, and the law requires it).
    pub audit_seq: u64,
}

impl Store {
    /// Erases a patient (GDPR erasure): the record and both blind-index entries go in one
    /// transaction with the audit record of the erasure, flushed before returning. Returns
    /// `None` when there is no such patient (the attempt is audited all the same).
    pub fn erase_patient(
        &self,
        id: PatientId,
        event: &AuditEvent,
    ) -> Result<Option<Erasure>, StoreError> {
        let inner = self.inner();
        let key = id.as_bytes();
        let traces = PatientTraces::of(self, id)?;
        let erased = inner.transact_durably(|tx| {
            let patient: Option<Patient> = tx.encrypted(TreeId::Patients).get(key)?;
            let Some(patient) = patient else {
                audit::append(tx, event)?;
                return Ok(None);
            };
            let mut removed = 0u64;
            if tx.raw(TreeId::Patients).remove(key.as_slice())?.is_some() {
                removed += 1;
            }
            let by_national_id =
                national_id_index(tx.crypto(), patient.country, &patient.national_id);
            let by_email = email_index(tx.crypto(), &patient.email);
            for (tree, index_key) in [
                (TreeId::PatientsByNationalId, by_national_id),
                (TreeId::PatientsByEmail, by_email),
            ] {
                let view = tx.raw(tree);
                // Only the entry that points at this patient: never another patient's.
                if view
                    .get(index_key)?
                    .is_some_and(|value| value.as_ref() == key.as_slice())
                {
                    view.remove(index_key.as_slice())?;
                    removed += 1;
                }
            }
            removed += traces.remove(tx)?;
            let seq = audit::append(tx, event)?;
            Ok(Some((removed, seq)))
        })?;
        Ok(erased.map(|(removed_records, audit_seq)| Erasure {
            patient_id: id,
            removed_records,
            audit_seq,
        }))
    }

    /// Outbox messages about `aggregate` (e.g. `patient/<id>`) still queued.
    pub fn outbox_pending_about(&self, aggregate: &str) -> Result<u64, StoreError> {
        let mut count = 0;
        for entry in self.inner().encrypted(TreeId::Outbox).iter::<OutboxEntry>() {
            if entry?.1.message.aggregate == aggregate {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Sets the delivery attempts of every queued outbox entry back to zero, durably, so the
    /// sync worker retries them at once instead of after its back-off. Returns how many
    /// entries had failed attempts.
    pub fn outbox_reset_attempts(&self) -> Result<u64, StoreError> {
        let inner = self.inner();
        let keys = inner
            .trees
            .raw(TreeId::Outbox)
            .iter()
            .keys()
            .collect::<Result<Vec<_>, _>>()?;
        inner.transact_durably(|tx| {
            let outbox = tx.encrypted(TreeId::Outbox);
            let mut reset = 0u64;
            for key in &keys {
                // Acknowledged since the scan: nothing to reset.
                let Some(mut entry) = outbox.get::<OutboxEntry>(key)? else {
                    continue;
                };
                if entry.attempts > 0 {
                    entry.attempts = 0;
                    outbox.insert(key, &entry)?;
                    reset += 1;
                }
            }
            Ok(reset)
        })
    }
}
