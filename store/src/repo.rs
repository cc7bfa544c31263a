//! [`Repository`] for [`Store`]: each write is one transaction over the record, its blind
//! indexes, the audit chain and the outbox, flushed before `Ok` is returned.

use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::{PatientId, PractitionerId};
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::{Repository, RepositoryError};
use teleconsult_core::practitioner::Practitioner;

use crate::error::StoreError;
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort};
use crate::{audit, outbox};

/// What the uniqueness errors name (never the value).
pub(crate) const NATIONAL_ID: &str = "national id";
pub(crate) const EMAIL: &str = "e-mail";
pub(crate) const PATIENT: &str = "patient";

pub(crate) use teleconsult_seal::{email_index, national_id_index};

pub(crate) fn decode_patient_id(tree: TreeId, value: &[u8]) -> Result<PatientId, StoreError> {
    let bytes: [u8; 16] = value.try_into().map_err(|_| {
        StoreError::Corrupt(format!("{}: index value is not a patient id", tree.name()))
    })?;
    Ok(PatientId::from_uuid(uuid::Uuid::from_bytes(bytes)))
}

/// Which unique index a new patient record would collide with: its national id's, else its
/// e-mail address's (when it has one). `None`: both are free.
pub(crate) fn taken_patient_index(
    tx: &Tx<'_>,
    national_id: &[u8; 32],
    email: Option<&[u8; 32]>,
) -> TxResult<Option<&'static str>> {
    if tx
        .raw(TreeId::PatientsByNationalId)
        .get(national_id)?
        .is_some()
    {
        return Ok(Some(NATIONAL_ID));
    }
    if let Some(email) = email
        && tx.raw(TreeId::PatientsByEmail).get(email)?.is_some()
    {
        return Ok(Some(EMAIL));
    }
    Ok(None)
}

/// Files patient `key` under its unique indexes (checked free by [`taken_patient_index`]).
pub(crate) fn insert_patient_indexes(
    tx: &Tx<'_>,
    national_id: &[u8; 32],
    email: Option<&[u8; 32]>,
    key: &[u8],
) -> TxResult<()> {
    tx.raw(TreeId::PatientsByNationalId)
        .insert(national_id, key)?;
    if let Some(email) = email {
        tx.raw(TreeId::PatientsByEmail).insert(email, key)?;
    }
    Ok(())
}

impl Store {
    fn create_patient_inner(
        &self,
        patient: &Patient,
        event: &AuditEvent,
        messages: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        let inner = self.inner();
        let key = patient.id.as_bytes();
        let by_national_id =
            national_id_index(&inner.crypto, patient.country, &patient.national_id);
        let by_email = email_index(&inner.crypto, &patient.email);
        inner.transact_durably(|tx| {
            let patients = tx.encrypted(TreeId::Patients);
            if patients.contains_key(key)? {
                return Err(abort(StoreError::AlreadyExists(PATIENT)));
            }
            if let Some(taken) = taken_patient_index(tx, &by_national_id, Some(&by_email))? {
                return Err(abort(StoreError::AlreadyExists(taken)));
            }
            patients.insert(key, patient)?;
            insert_patient_indexes(tx, &by_national_id, Some(&by_email), key)?;
            audit::append(tx, event)?;
            for message in messages {
                outbox::enqueue(tx, message, event.at)?;
            }
            Ok(())
        })
    }

    fn patient_inner(
        &self,
        id: PatientId,
        event: &AuditEvent,
    ) -> Result<Option<Patient>, StoreError> {
        // The access is audited even when nothing is found: the attempt itself is of interest.
        self.inner().transact(|tx| {
            let patient = tx.encrypted(TreeId::Patients).get(id.as_bytes())?;
            audit::append(tx, event)?;
            Ok(patient)
        })
    }

    /// A patient record read without recording the access: only for a caller that records it
    /// itself in the transaction acting on the record (booking: [`crate::Booking::reads`]),
    /// or on its own when that transaction does not happen. From memory when read before and
    /// unchanged since (see `kept.rs`): each booking reads its booker's record.
    pub fn patient_unrecorded(&self, id: PatientId) -> Result<Option<Patient>, StoreError> {
        let inner = self.inner();
        inner.kept_get(&inner.patients, TreeId::Patients, id, id.as_bytes())
    }

    /// Whether a booking by `patient` with `practitioner` would read only records kept in memory
    /// (the practitioner, their schedule, the patient): no disk, no wait behind the writer. A
    /// hint for where to run it — a change may land right after — not a guarantee.
    pub fn booking_reads_kept(&self, practitioner: PractitionerId, patient: PatientId) -> bool {
        let Some(inner) = self.try_inner() else {
            return false;
        };
        inner.practitioners.has(&practitioner)
            && inner.schedules.has(&practitioner)
            && inner.patients.has(&patient)
    }

    fn upsert_practitioner_inner(
        &self,
        practitioner: &Practitioner,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.inner().transact_durably(|tx| {
            tx.encrypted(TreeId::Practitioners)
                .insert(practitioner.id.as_bytes(), practitioner)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// Changes practitioner `id`'s listing in one transaction: `change` edits the record as
    /// stored at that moment. Returns the saved record; `NotFound` when there is none.
    pub fn change_practitioner(
        &self,
        id: PractitionerId,
        change: impl Fn(&mut Practitioner),
        event: &AuditEvent,
    ) -> Result<Practitioner, StoreError> {
        self.inner().transact_durably(|tx| {
            let practitioners = tx.encrypted(TreeId::Practitioners);
            let Some(mut record) = practitioners.get::<Practitioner>(id.as_bytes())? else {
                return Err(abort(StoreError::NotFound("practitioner")));
            };
            change(&mut record);
            practitioners.insert(id.as_bytes(), &record)?;
            audit::append(tx, event)?;
            Ok(record)
        })
    }

    /// One practitioner by id (a keyed read, not a scan of the directory).
    pub fn practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>, StoreError> {
        let inner = self.inner();
        inner.kept_get(
            &inner.practitioners,
            TreeId::Practitioners,
            id,
            id.as_bytes(),
        )
    }

    fn practitioners_inner(&self) -> Result<Vec<Practitioner>, StoreError> {
        let mut all = self
            .inner()
            .encrypted(TreeId::Practitioners)
            .iter::<Practitioner>()
            .map(|entry| entry.map(|(_, practitioner)| practitioner))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    /// Batched with the bookings by the writer thread (see `writer.rs`).
    fn record_audit_inner(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.inner()
            .writer
            .apply(crate::writer::RecordAudit(vec![event.clone()]))
    }
}

impl Repository for Store {
    fn create_patient(
        &self,
        patient: &Patient,
        audit: &AuditEvent,
        outbox: &[OutboxMessage],
    ) -> Result<(), RepositoryError> {
        Ok(self.create_patient_inner(patient, audit, outbox)?)
    }

    fn patient(
        &self,
        id: PatientId,
        audit: &AuditEvent,
    ) -> Result<Option<Patient>, RepositoryError> {
        Ok(self.patient_inner(id, audit)?)
    }

    fn upsert_practitioner(
        &self,
        practitioner: &Practitioner,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        Ok(self.upsert_practitioner_inner(practitioner, audit)?)
    }

    fn practitioners(&self) -> Result<Vec<Practitioner>, RepositoryError> {
        Ok(self.practitioners_inner()?)
    }

    fn record_audit(&self, event: &AuditEvent) -> Result<(), RepositoryError> {
        Ok(self.record_audit_inner(event)?)
    }

    fn outbox_pending(&self) -> Result<u64, RepositoryError> {
        Ok(self.outbox_len()?)
    }
}
