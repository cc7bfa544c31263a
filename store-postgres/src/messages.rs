//! The messaging port (`MessageStore`) on PostgreSQL: messages sealed, in the order written per
//! conversation; a message's file sealed as raw bytes and counted against its author's uploads
//! of the (UTC) day in the message's transaction (core's `WindowCount`, under the count's row
//! lock); the notices and the audit record in the same transaction.

use deadpool_postgres::Transaction;
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::{PatientId, PractitionerId};
use teleconsult_core::message::Message;
use teleconsult_core::notification::Notification;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::messages::MessageStore;
use teleconsult_core::quota::{Quota, Window, WindowCount};

use crate::error::{PgError, violated};
use crate::repo::enqueue;
use crate::sql::Cached;
use crate::{PgStore, audit, sealed};

/// Uses one unit of the windowed quota `key` at `at` (at most `limit` per window), under the
/// count's row lock; refused with `QuotaExceeded`, nothing changed, once reached.
pub(crate) async fn take_window(
    tx: &Transaction<'_>,
    key: &str,
    quota: Quota,
    window: Window,
    limit: u32,
    at: Timestamp,
) -> Result<(), PgError> {
    tx.exec(
        "INSERT INTO quota_counts (key, window_no, used) VALUES ($1, 0, 0) ON CONFLICT (key) DO NOTHING",
        &[&key],
    )
    .await?;
    let row = tx
        .one(
            "SELECT window_no, used FROM quota_counts WHERE key = $1 FOR UPDATE",
            &[&key],
        )
        .await?;
    let mut count = WindowCount {
        window: row.try_get(0)?,
        count: u32::try_from(row.try_get::<_, i32>(1)?).unwrap_or(0),
    };
    count
        .take(quota, window, limit, at)
        .map_err(RepositoryError::QuotaExceeded)?;
    tx.exec(
        "UPDATE quota_counts SET window_no = $2, used = $3 WHERE key = $1",
        &[
            &key,
            &count.window,
            &i32::try_from(count.count).unwrap_or(i32::MAX),
        ],
    )
    .await?;
    Ok(())
}

impl MessageStore for PgStore {
    fn conversation_started(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool, RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            Ok(object
                .one(
                    "SELECT EXISTS (SELECT 1 FROM messages WHERE patient = $1 AND practitioner = $2)",
                    &[&patient.0, &practitioner.0],
                )
                .await?
                .try_get(0)?)
        })
    }

    fn appointments_together(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
        audit: &AuditEvent,
    ) -> Result<Vec<Appointment>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    let rows = tx
                        .all(
                            "SELECT id, sealed FROM appointments \
                             WHERE patient = $1 AND practitioner = $2",
                            &[&patient.0, &practitioner.0],
                        )
                        .await?;
                    let mut all = rows
                        .iter()
                        .map(|row| {
                            let id: uuid::Uuid = row.try_get(0)?;
                            let bytes: Vec<u8> = row.try_get(1)?;
                            sealed::open::<Appointment>(
                                &inner.crypto,
                                "appointments",
                                id.as_bytes(),
                                &bytes,
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    all.sort_by_key(|a| (a.start, a.id));
                    Ok(all)
                })
                .await
        })
    }

    fn append_message_with(
        &self,
        message: &Message,
        file: Option<(&[u8], u32)>,
        notifications: &[Notification],
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let crypto = &self.inner.crypto;
        let id = message.id;
        let sealed_message = sealed::seal(crypto, "messages", id.as_bytes(), message)?;
        let file = file
            .map(|(content, per_day)| {
                crypto
                    .seal("message_files", id.as_bytes(), content)
                    .map(|sealed| (sealed, per_day))
                    .map_err(|_| PgError::Encode("message file too large to encrypt".into()))
            })
            .transpose()?;
        let (patient, practitioner, author, at) = (
            message.patient,
            message.practitioner,
            message.author,
            message.at,
        );
        let (notifications, event) = (notifications.to_vec(), audit.clone());
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let tx = object.transaction().await?;
            let inserted = tx
                .exec(
                    "INSERT INTO messages (id, patient, practitioner, sealed) VALUES ($1, $2, $3, $4)",
                    &[&id.0, &patient.0, &practitioner.0, &sealed_message],
                )
                .await;
            if let Err(e) = inserted {
                return Err(if violated(&e) == Some("messages_pkey") {
                    RepositoryError::AlreadyExists("message").into()
                } else {
                    e.into()
                });
            }
            if let Some((sealed_file, per_day)) = &file {
                let key = format!("uploads/day/{author}");
                take_window(&tx, &key, Quota::UploadsPerDay, Window::Day, *per_day, at).await?;
                tx.exec(
                    "INSERT INTO message_files (message, sealed) VALUES ($1, $2)",
                    &[&id.0, sealed_file],
                )
                .await?;
            }
            enqueue(&tx, &inner.crypto, &notifications, &[], event.at).await?;
            audit::append(&tx, &[&event]).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
