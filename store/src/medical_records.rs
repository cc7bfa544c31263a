//! Patients' short medical records (`core::medical_record`): one sealed record per patient,
//! each read and write audited in the same transaction. Erased with the patient.

use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::PatientId;
use teleconsult_core::medical_record::MedicalRecord;

use crate::audit;
use crate::error::StoreError;
use crate::store::Store;
use crate::tree::{TreeId, abort};

impl Store {
    /// The record of `patient`, if one was saved, recording the access (even when there is
    /// none: the attempt is of interest too).
    pub fn medical_record(
        &self,
        patient: PatientId,
        event: &AuditEvent,
    ) -> Result<Option<MedicalRecord>, StoreError> {
        self.inner().transact(|tx| {
            let record = tx
                .encrypted(TreeId::MedicalRecords)
                .get(patient.as_bytes())?;
            audit::append(tx, event)?;
            Ok(record)
        })
    }

    /// Saves `record` in place of the patient's previous one, durably, with its audit record.
    /// `NotFound("patient")` when the patient does not exist (erased meanwhile).
    pub fn put_medical_record(
        &self,
        record: &MedicalRecord,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let key = record.patient.as_bytes();
        self.inner().transact_durably(|tx| {
            if tx.raw(TreeId::Patients).get(key)?.is_none() {
                return Err(abort(StoreError::NotFound("patient")));
            }
            tx.encrypted(TreeId::MedicalRecords).insert(key, record)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::StoreError;
    use crate::test_support::{event, open, patient, ts};
    use teleconsult_core::audit::Action;
    use teleconsult_core::ids::AccountId;
    use teleconsult_core::medical_record::MedicalRecordParts;
    use teleconsult_core::ports::Repository;

    #[test]
    fn records_are_read_back_audited_and_erased_with_the_patient() {
        let (dir, store) = open();
        let p = patient(1);
        let id = p.id.to_string();
        store
            .create_patient(&p, &event(Action::Create, id.clone()), &[])
            .unwrap();
        let read = || event(Action::Read, id.clone());
        let record = MedicalRecordParts {
            history: "Asthme depuis l'enfance".into(),
            allergies: "Xylocainallergie (urticaire)".into(),
            treatments: "Ventoline".into(),
        }
        .into_record(
            p.id,
            AccountId::from_uuid(uuid::Uuid::from_u128(77)),
            ts(10),
        );
        assert_eq!(store.medical_record(p.id, &read()).unwrap(), None);
        store
            .put_medical_record(&record, &event(Action::Update, id.clone()))
            .unwrap();
        assert_eq!(
            store.medical_record(p.id, &read()).unwrap(),
            Some(record.clone())
        );
        // create, read, update, read: every access chained.
        assert_eq!(store.verify_audit_chain().unwrap().records, 4);
        store.flush().unwrap();
        assert!(!crate::tests::files_contain(
            dir.path(),
            b"Xylocainallergie"
        ));

        // No record for a patient that does not exist.
        let mut stray = record.clone();
        stray.patient = patient(2).id;
        assert!(matches!(
            store.put_medical_record(&stray, &event(Action::Update, "2")),
            Err(StoreError::NotFound("patient"))
        ));

        let erasure = store
            .erase_patient(p.id, &event(Action::Delete, id.clone()))
            .unwrap()
            .expect("erased");
        // The record, two index entries and the medical record.
        assert_eq!(erasure.removed_records, 4);
        assert_eq!(store.medical_record(p.id, &read()).unwrap(), None);
    }
}
