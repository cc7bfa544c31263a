//! The `Repository` port, and what every write shares: patients with their blind indexes, the
//! outbox and the notification queue, written in the caller's transaction.

use deadpool_postgres::{GenericClient, Transaction};
use teleconsult_core::Timestamp;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::PatientId;
use teleconsult_core::notification::Notification;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::{Repository, RepositoryError};
use teleconsult_core::practitioner::Practitioner;
use teleconsult_seal::{Crypto, email_index, national_id_index};

use crate::sql::Cached;

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
        .opt(
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
        .exec(
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

/// Queues `notifications` and `messages` for the platform in the caller's transaction: their
/// ids in one round trip (a sealed record is bound to its id), then one insert each.
pub(crate) async fn enqueue(
    tx: &Transaction<'_>,
    crypto: &Crypto,
    notifications: &[Notification],
    messages: &[OutboxMessage],
    at: Timestamp,
) -> Result<(), PgError> {
    if notifications.is_empty() && messages.is_empty() {
        return Ok(());
    }
    let count =
        |n: usize| i32::try_from(n).map_err(|_| PgError::Encode("too many messages".into()));
    let ids = tx
        .one(
            "SELECT array(SELECT nextval('outbox_id_seq') FROM generate_series(1, $1)), \
                    array(SELECT nextval('notifications_id_seq') FROM generate_series(1, $2))",
            &[&count(messages.len())?, &count(notifications.len())?],
        )
        .await?;
    let outbox_ids: Vec<i64> = ids.try_get(0)?;
    let notification_ids: Vec<i64> = ids.try_get(1)?;
    let place = |id: i64| {
        u64::try_from(id)
            .map(u64::to_be_bytes)
            .map_err(|_| PgError::Corrupt("negative id".into()))
    };
    if !messages.is_empty() {
        let mut aggregates = Vec::with_capacity(messages.len());
        let mut sealed = Vec::with_capacity(messages.len());
        for (id, message) in outbox_ids.iter().zip(messages) {
            aggregates.push(message.aggregate.as_str());
            sealed.push(sealed::seal(crypto, "outbox", &place(*id)?, message)?);
        }
        tx.exec(
            "INSERT INTO outbox (id, aggregate, enqueued_at, sealed) \
             SELECT id, aggregate, $3, sealed FROM unnest($1::bigint[], $2::text[], $4::bytea[]) \
             AS t(id, aggregate, sealed)",
            &[&outbox_ids, &aggregates, &crate::sql_time(at), &sealed],
        )
        .await?;
    }
    if !notifications.is_empty() {
        let sealed = notification_ids
            .iter()
            .zip(notifications)
            .map(|(id, n)| sealed::seal(crypto, "notifications", &place(*id)?, n))
            .collect::<Result<Vec<_>, PgError>>()?;
        tx.exec(
            "INSERT INTO notifications (id, sealed) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
            &[&notification_ids, &sealed],
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
        .opt("SELECT sealed FROM patients WHERE id = $1", &[&id.0])
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
            let client: &mut deadpool_postgres::ClientWrapper = &mut object;
            let tx = client.transaction().await?;
            insert_patient(&tx, &sealed).await?;
            enqueue(&tx, &inner.crypto, &[], &outbox, event.at).await?;
            audit::append(&tx, &[&event]).await?;
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
            let client: &mut deadpool_postgres::ClientWrapper = &mut object;
            let tx = client.transaction().await?;
            // The access is recorded even when nothing is found.
            let patient = read_patient(&tx, &inner.crypto, id).await?;
            audit::append(&tx, &[&event]).await?;
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
            let client: &mut deadpool_postgres::ClientWrapper = &mut object;
            let tx = client.transaction().await?;
            tx.exec(
                "INSERT INTO practitioners (id, sealed) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed",
                &[&id.0, &sealed],
            )
            .await?;
            audit::append(&tx, &[&event]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn practitioners(&self) -> Result<Vec<Practitioner>, RepositoryError> {
        self.run(|inner| async move {
            let object = inner.client().await?;
            let client = &object;
            let rows = client
                .all("SELECT id, sealed FROM practitioners", &[])
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
            let client: &mut deadpool_postgres::ClientWrapper = &mut object;
            audit::record(client, &[&event]).await
        })
    }

    fn outbox_pending(&self) -> Result<u64, RepositoryError> {
        self.run(|inner| async move {
            let object = inner.client().await?;
            let client = &object;
            let count: i64 = client
                .one("SELECT count(*) FROM outbox", &[])
                .await?
                .try_get(0)?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }
}
