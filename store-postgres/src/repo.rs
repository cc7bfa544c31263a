//! The `Repository` port, and what every write shares: patients with their blind indexes, the
//! outbox and the notification queue, written in the caller's transaction.

use teleconsult_core::Timestamp;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::PatientId;
use teleconsult_core::notification::Notification;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::{Repository, RepositoryError};
use teleconsult_core::practitioner::Practitioner;
use teleconsult_seal::{Crypto, email_index, national_id_index};
use tokio_postgres::{GenericClient, Transaction};

use crate::error::{PgError, violated};
use crate::{PgStore, audit, sealed};

// The names the sled adapter gives the same refusals.
pub(crate) const NATIONAL_ID: &str = "national id";
pub(crate) const EMAIL: &str = "e-mail";
pub(crate) const PATIENT: &str = "patient";

/// A patient record sealed, with its blind indexes (`email`: `None` leaves it unindexed).
pub(crate) struct SealedPatient {
    pub id: PatientId,
    pub national_id: [u8; 32],
    pub email: Option<[u8; 32]>,
    pub sealed: Vec<u8>,
}

impl SealedPatient {
    pub(crate) fn new(
        crypto: &Crypto,
        patient: &Patient,
        index_email: bool,
    ) -> Result<Self, PgError> {
        Ok(Self {
            id: patient.id,
            national_id: national_id_index(crypto, patient.country, &patient.national_id),
            email: index_email.then(|| email_index(crypto, &patient.email)),
            sealed: sealed::seal(crypto, "patients", patient.id.as_bytes(), patient)?,
        })
    }
}

/// Inserts a patient; a taken national id, e-mail address or id is refused with the same
/// names as the sled adapter's (checked in that order, then held by the constraints).
pub(crate) async fn insert_patient(
    tx: &Transaction<'_>,
    patient: &SealedPatient,
) -> Result<(), PgError> {
    let taken = tx
        .query_opt(
            "SELECT (national_id_index = $1), (id = $3) FROM patients \
             WHERE national_id_index = $1 OR email_index = $2 OR id = $3 \
             ORDER BY 1 DESC LIMIT 1",
            &[
                &&patient.national_id[..],
                &patient.email.as_ref().map(|e| &e[..]),
                &patient.id.0,
            ],
        )
        .await?;
    if let Some(row) = taken {
        let national: bool = row.try_get(0)?;
        let same_id: bool = row.try_get(1)?;
        return Err(RepositoryError::AlreadyExists(if national {
            NATIONAL_ID
        } else if same_id {
            PATIENT
        } else {
            EMAIL
        })
        .into());
    }
    let inserted = tx
        .execute(
            "INSERT INTO patients (id, national_id_index, email_index, sealed) VALUES ($1, $2, $3, $4)",
            &[
                &patient.id.0,
                &&patient.national_id[..],
                &patient.email.as_ref().map(|e| &e[..]),
                &patient.sealed,
            ],
        )
        .await;
    match inserted {
        Ok(_) => Ok(()),
        // A registration in parallel won between the check and the insert.
        Err(e) => Err(match violated(&e) {
            Some("patients_national_id_index_key") => {
                RepositoryError::AlreadyExists(NATIONAL_ID).into()
            }
            Some("patients_email_index_key") => RepositoryError::AlreadyExists(EMAIL).into(),
            Some("patients_pkey") => RepositoryError::AlreadyExists(PATIENT).into(),
            _ => PgError::from(e),
        }),
    }
}

/// Queues `messages` for the platform in the caller's transaction.
pub(crate) async fn enqueue_outbox(
    tx: &Transaction<'_>,
    crypto: &Crypto,
    messages: &[OutboxMessage],
    at: Timestamp,
) -> Result<(), PgError> {
    if messages.is_empty() {
        return Ok(());
    }
    for message in messages {
        let id: i64 = tx
            .query_one("SELECT nextval('outbox_id_seq')", &[])
            .await?
            .try_get(0)?;
        let sealed = sealed::seal(crypto, "outbox", &(id as u64).to_be_bytes(), message)?;
        tx.execute(
            "INSERT INTO outbox (id, aggregate, enqueued_at, sealed) VALUES ($1, $2, $3, $4)",
            &[&id, &message.aggregate, &crate::sql_time(at), &sealed],
        )
        .await?;
    }
    Ok(())
}

/// Queues `notifications` in the caller's transaction.
pub(crate) async fn enqueue_notifications(
    tx: &Transaction<'_>,
    crypto: &Crypto,
    notifications: &[Notification],
) -> Result<(), PgError> {
    for notification in notifications {
        let id: i64 = tx
            .query_one("SELECT nextval('notifications_id_seq')", &[])
            .await?
            .try_get(0)?;
        let sealed = sealed::seal(
            crypto,
            "notifications",
            &(id as u64).to_be_bytes(),
            notification,
        )?;
        tx.execute(
            "INSERT INTO notifications (id, sealed) VALUES ($1, $2)",
            &[&id, &sealed],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn read_patient(
    client: &impl GenericClient,
    crypto: &Crypto,
    id: PatientId,
) -> Result<Option<Patient>, PgError> {
    let Some(row) = client
        .query_opt("SELECT sealed FROM patients WHERE id = $1", &[&id.0])
        .await?
    else {
        return Ok(None);
    };
    let stored: Vec<u8> = row.try_get(0)?;
    sealed::open(crypto, "patients", id.as_bytes(), &stored).map(Some)
}

impl Repository for PgStore {
    fn create_patient(
        &self,
        patient: &Patient,
        audit: &AuditEvent,
        outbox: &[OutboxMessage],
    ) -> Result<(), RepositoryError> {
        // As the sled adapter: a registered patient's e-mail address is always indexed.
        let sealed = SealedPatient::new(&self.inner.crypto, patient, true)?;
        let (event, outbox) = (audit.clone(), outbox.to_vec());
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let client: &mut tokio_postgres::Client = &mut object;
            let tx = client.transaction().await?;
            insert_patient(&tx, &sealed).await?;
            enqueue_outbox(&tx, &inner.crypto, &outbox, event.at).await?;
            audit::append(&tx, &inner.crypto, &[&event]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn patient(
        &self,
        id: PatientId,
        audit: &AuditEvent,
    ) -> Result<Option<Patient>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let client: &mut tokio_postgres::Client = &mut object;
            let tx = client.transaction().await?;
            // The access is recorded even when nothing is found.
            let patient = read_patient(&tx, &inner.crypto, id).await?;
            audit::append(&tx, &inner.crypto, &[&event]).await?;
            tx.commit().await?;
            Ok(patient)
        })
    }

    fn upsert_practitioner(
        &self,
        practitioner: &Practitioner,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let id = practitioner.id;
        let sealed = sealed::seal(
            &self.inner.crypto,
            "practitioners",
            id.as_bytes(),
            practitioner,
        )?;
        let event = audit.clone();
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let client: &mut tokio_postgres::Client = &mut object;
            let tx = client.transaction().await?;
            tx.execute(
                "INSERT INTO practitioners (id, sealed) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed",
                &[&id.0, &sealed],
            )
            .await?;
            audit::append(&tx, &inner.crypto, &[&event]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn practitioners(&self) -> Result<Vec<Practitioner>, RepositoryError> {
        self.run(|inner| async move {
            let object = inner.client().await?;
            let client: &tokio_postgres::Client = &object;
            let rows = client
                .query("SELECT id, sealed FROM practitioners", &[])
                .await?;
            let mut all = rows
                .iter()
                .map(|row| {
                    let id: uuid::Uuid = row.try_get(0)?;
                    let stored: Vec<u8> = row.try_get(1)?;
                    sealed::open::<Practitioner>(
                        &inner.crypto,
                        "practitioners",
                        id.as_bytes(),
                        &stored,
                    )
                })
                .collect::<Result<Vec<_>, PgError>>()?;
            all.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
            Ok(all)
        })
    }

    fn record_audit(&self, event: &AuditEvent) -> Result<(), RepositoryError> {
        let event = event.clone();
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let client: &mut tokio_postgres::Client = &mut object;
            audit::record(client, &inner.crypto, &[&event]).await
        })
    }

    fn outbox_pending(&self) -> Result<u64, RepositoryError> {
        self.run(|inner| async move {
            let object = inner.client().await?;
            let client: &tokio_postgres::Client = &object;
            let count: i64 = client
                .query_one("SELECT count(*) FROM outbox", &[])
                .await?
                .try_get(0)?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }
}
