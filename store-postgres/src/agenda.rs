//! The agenda port (`AgendaStore`: a practitioner's hours and directory listing) and the
//! medical-record port (`MedicalRecordStore`) on PostgreSQL: each write one transaction with
//! its audit record; a listing changed on the record as stored (row locked).

use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::{PatientId, PractitionerId};
use teleconsult_core::medical_record::MedicalRecord;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::agenda::{AgendaStore, ChangeListing};
use teleconsult_core::ports::medical_records::MedicalRecordStore;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::schedule::Schedule;

use crate::error::PgError;
use crate::sql::Cached;
use crate::{PgStore, audit, sealed};

impl AgendaStore for PgStore {
    fn replace_schedule(
        &self,
        practitioner: PractitionerId,
        schedule: &Schedule,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        self.set_schedule(practitioner, schedule, audit)
    }

    fn change_listing(
        &self,
        practitioner: PractitionerId,
        change: &ChangeListing<'_>,
        audit: &AuditEvent,
    ) -> Result<Practitioner, RepositoryError> {
        let event = audit.clone();
        let inner = std::sync::Arc::clone(&self.inner);
        let saved = self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    let row = tx
                        .opt(
                            "SELECT sealed FROM practitioners WHERE id = $1 FOR UPDATE",
                            &[&practitioner.0],
                        )
                        .await?
                        .ok_or(RepositoryError::NotFound("practitioner"))?;
                    let bytes: Vec<u8> = row.try_get(0)?;
                    let current: Practitioner = sealed::open(
                        &inner.crypto,
                        "practitioners",
                        practitioner.as_bytes(),
                        &bytes,
                    )?;
                    let next: Practitioner = handover.exchange(current).await?;
                    if next.id != practitioner {
                        return Err(PgError::Encode("a listing change must keep its id".into()));
                    }
                    let sealed = sealed::seal(
                        &inner.crypto,
                        "practitioners",
                        practitioner.as_bytes(),
                        &next,
                    )?;
                    tx.exec(
                        "UPDATE practitioners SET sealed = $2 WHERE id = $1",
                        &[&practitioner.0, &sealed],
                    )
                    .await?;
                    audit::append(&tx, &[&event]).await?;
                    tx.commit().await?;
                    Ok(next)
                })
            },
            |mut listing: Practitioner| {
                change(&mut listing);
                listing
            },
        )?;
        Ok(saved)
    }
}

impl MedicalRecordStore for PgStore {
    fn find_medical_record(
        &self,
        patient: PatientId,
        audit: &AuditEvent,
    ) -> Result<Option<MedicalRecord>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    let row = tx
                        .opt(
                            "SELECT sealed FROM medical_records WHERE patient = $1",
                            &[&patient.0],
                        )
                        .await?;
                    let record = match row {
                        Some(row) => Some(sealed::open(
                            &inner.crypto,
                            "medical_records",
                            patient.as_bytes(),
                            &row.try_get::<_, Vec<u8>>(0)?,
                        )?),
                        None => None,
                    };
                    // The read is recorded whether or not there is a record.
                    Ok(record)
                })
                .await
        })
    }

    fn save_medical_record(
        &self,
        record: &MedicalRecord,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let patient = record.patient;
        let sealed = sealed::seal(
            &self.inner.crypto,
            "medical_records",
            patient.as_bytes(),
            record,
        )?;
        let event = audit.clone();
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let tx = object.transaction().await?;
            let saved = tx
                .exec(
                    "INSERT INTO medical_records (patient, sealed) VALUES ($1, $2) \
                     ON CONFLICT (patient) DO UPDATE SET sealed = EXCLUDED.sealed",
                    &[&patient.0, &sealed],
                )
                .await;
            if let Err(e) = saved {
                // The patient was erased: the foreign key refuses the record.
                return Err(
                    if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                        RepositoryError::NotFound("patient").into()
                    } else {
                        PgError::from(e)
                    },
                );
            }
            audit::append(&tx, &[&event]).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
