//! The call port (`CallStore`) on PostgreSQL: the call's changes of its appointment (decided
//! on it as stored), its chat in the order written, the files shared in it (description and
//! content sealed apart; counted against the appointment's files and the uploader's day,
//! under the counts' row locks, in the file's transaction) and its quality record (extended
//! under its row lock).

use teleconsult_core::appointment::{Appointment, TransitionError};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::call::{Attachment, ChatMessage, QualityRecord, QualitySample};
use teleconsult_core::ids::AppointmentId;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::call::{CallStore, DecideChange};
use teleconsult_core::quota::{self, Quota, Window};

use crate::error::{PgError, violated};
use crate::messages::take_window;
use crate::sql::Cached;
use crate::{PgStore, audit, sealed};

impl CallStore for PgStore {
    fn change_for_call(
        &self,
        id: AppointmentId,
        decide: &DecideChange<'_>,
        read: &AuditEvent,
        write: &AuditEvent,
    ) -> Result<Result<Option<Appointment>, TransitionError>, RepositoryError> {
        self.change_appointment(id, decide, Some(read), write)
    }

    fn chat(
        &self,
        appointment: AppointmentId,
        audit: &AuditEvent,
    ) -> Result<Vec<ChatMessage>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    let rows = tx
                        .all(
                            "SELECT position, sealed FROM chat_messages WHERE appointment = $1 \
                             ORDER BY position",
                            &[&appointment.0],
                        )
                        .await?;
                    let chat = rows
                        .iter()
                        .map(|row| {
                            let position: i64 = row.try_get(0)?;
                            let bytes: Vec<u8> = row.try_get(1)?;
                            sealed::open(
                                &inner.crypto,
                                "chat",
                                &chat_key(appointment, position),
                                &bytes,
                            )
                        })
                        .collect::<Result<Vec<ChatMessage>, PgError>>()?;
                    Ok(chat)
                })
                .await
        })
    }

    fn append_chat(
        &self,
        message: &ChatMessage,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let (message, event) = (message.clone(), audit.clone());
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    // The position first: the sealed message is bound to it.
                    let position: i64 = tx
                        .one("SELECT nextval('chat_messages_position_seq')", &[])
                        .await?
                        .try_get(0)?;
                    let appointment = message.appointment;
                    let sealed = sealed::seal(
                        &inner.crypto,
                        "chat",
                        &chat_key(appointment, position),
                        &message,
                    )?;
                    tx.exec(
                    "INSERT INTO chat_messages (appointment, position, sealed) VALUES ($1, $2, $3)",
                    &[&appointment.0, &position, &sealed],
                )
                .await?;
                    Ok(())
                })
                .await
        })
    }

    fn attachment_appointment(
        &self,
        id: uuid::Uuid,
        audit: &AuditEvent,
    ) -> Result<Option<AppointmentId>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    let row = tx
                        .opt("SELECT appointment FROM attachments WHERE id = $1", &[&id])
                        .await?;
                    let appointment = row
                        .map(|row| row.try_get(0).map(AppointmentId::from_uuid))
                        .transpose()?;
                    Ok(appointment)
                })
                .await
        })
    }

    fn add_quality_samples(
        &self,
        appointment: AppointmentId,
        samples: &[QualitySample],
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let Some(first) = samples.first() else {
            return Ok(());
        };
        let (first_at, samples, event) = (first.at, samples.to_vec(), audit.clone());
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    // The record exists before it is locked: with none yet, a lock would hold nothing
                    // and two first samples would each write a record of their own.
                    let empty = sealed::seal(
                        &inner.crypto,
                        "call_quality",
                        appointment.as_bytes(),
                        &QualityRecord::new(appointment, first_at),
                    )?;
                    tx.exec(
                        "INSERT INTO call_quality (appointment, sealed) VALUES ($1, $2) \
                     ON CONFLICT (appointment) DO NOTHING",
                        &[&appointment.0, &empty],
                    )
                    .await?;
                    let row = tx
                        .one(
                            "SELECT sealed FROM call_quality WHERE appointment = $1 FOR UPDATE",
                            &[&appointment.0],
                        )
                        .await?;
                    let mut record: QualityRecord = sealed::open(
                        &inner.crypto,
                        "call_quality",
                        appointment.as_bytes(),
                        &row.try_get::<_, Vec<u8>>(0)?,
                    )?;
                    record.extend(samples);
                    let sealed = sealed::seal(
                        &inner.crypto,
                        "call_quality",
                        appointment.as_bytes(),
                        &record,
                    )?;
                    tx.exec(
                        "UPDATE call_quality SET sealed = $2 WHERE appointment = $1",
                        &[&appointment.0, &sealed],
                    )
                    .await?;
                    Ok(())
                })
                .await
        })
    }

    fn attachments_of_appointment(
        &self,
        appointment: AppointmentId,
        audit: &AuditEvent,
    ) -> Result<Vec<Attachment>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    let rows = tx
                        .all(
                            "SELECT id, sealed FROM attachments WHERE appointment = $1 ORDER BY position",
                            &[&appointment.0],
                        )
                        .await?;
                    rows.iter()
                        .map(|row| {
                            let id: uuid::Uuid = row.try_get(0)?;
                            let bytes: Vec<u8> = row.try_get(1)?;
                            sealed::open(&inner.crypto, "attachments", id.as_bytes(), &bytes)
                        })
                        .collect::<Result<Vec<Attachment>, PgError>>()
                })
                .await
        })
    }

    fn save_shared_file(
        &self,
        attachment: &Attachment,
        content: &[u8],
        per_appointment: u32,
        per_day: u32,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let crypto = &self.inner.crypto;
        let id = attachment.id;
        let description = sealed::seal(crypto, "attachments", id.as_bytes(), attachment)?;
        let content = crypto
            .seal("attachment_files", id.as_bytes(), content)
            .map_err(|_| PgError::Encode("shared file too large to encrypt".into()))?;
        let (appointment, uploader, at) = (
            attachment.appointment,
            attachment.uploaded_by,
            attachment.uploaded_at,
        );
        let event = audit.clone();
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let tx = object.transaction().await?;
            let inserted = tx
                .exec(
                    "INSERT INTO attachments (id, appointment, sealed, content) VALUES ($1, $2, $3, $4)",
                    &[&id, &appointment.0, &description, &content],
                )
                .await;
            if let Err(e) = inserted {
                return Err(if violated(&e) == Some("attachments_pkey") {
                    RepositoryError::AlreadyExists("attachment").into()
                } else {
                    e.into()
                });
            }
            take_count(&tx, &format!("uploads/appointment/{appointment}"), per_appointment).await?;
            take_window(&tx, &format!("uploads/day/{uploader}"), Quota::UploadsPerDay, Window::Day, per_day, at)
                .await?;
            audit::append(&tx, &[&event]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn shared_file(
        &self,
        id: uuid::Uuid,
        audit: &AuditEvent,
    ) -> Result<Option<(Attachment, Vec<u8>)>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    let row = tx
                        .opt(
                            "SELECT sealed, content FROM attachments WHERE id = $1",
                            &[&id],
                        )
                        .await?;
                    let file = match row {
                        Some(row) => {
                            let attachment: Attachment = sealed::open(
                                &inner.crypto,
                                "attachments",
                                id.as_bytes(),
                                &row.try_get::<_, Vec<u8>>(0)?,
                            )?;
                            let content = inner
                                .crypto
                                .open(
                                    "attachment_files",
                                    id.as_bytes(),
                                    &row.try_get::<_, Vec<u8>>(1)?,
                                )
                                .map_err(|e| {
                                    PgError::Corrupt(format!("attachment_files/{id}: {e}"))
                                })?;
                            Some((attachment, content.to_vec()))
                        }
                        None => None,
                    };
                    Ok(file)
                })
                .await
        })
    }
}

impl PgStore {
    /// An appointment's call quality record, recording the access.
    pub fn quality_record(
        &self,
        appointment: AppointmentId,
        audit: &AuditEvent,
    ) -> Result<Option<QualityRecord>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    let row = tx
                        .opt(
                            "SELECT sealed FROM call_quality WHERE appointment = $1",
                            &[&appointment.0],
                        )
                        .await?;
                    let record = row
                        .map(|row| {
                            sealed::open(
                                &inner.crypto,
                                "call_quality",
                                appointment.as_bytes(),
                                &row.try_get::<_, Vec<u8>>(0)?,
                            )
                        })
                        .transpose()?;
                    Ok(record)
                })
                .await
        })
    }
}

fn chat_key(appointment: AppointmentId, position: i64) -> Vec<u8> {
    [&appointment.as_bytes()[..], &position.to_be_bytes()].concat()
}

/// Uses one unit of the count `key` (not windowed: an appointment's files), at most `limit`,
/// under the count's row lock.
async fn take_count(
    tx: &deadpool_postgres::Transaction<'_>,
    key: &str,
    limit: u32,
) -> Result<(), PgError> {
    tx.exec(
        "INSERT INTO quota_counts (key, window_no, used) VALUES ($1, 0, 0) ON CONFLICT (key) DO NOTHING",
        &[&key],
    )
    .await?;
    let used: i32 = tx
        .one(
            "SELECT used FROM quota_counts WHERE key = $1 FOR UPDATE",
            &[&key],
        )
        .await?
        .try_get(0)?;
    let mut count = u32::try_from(used).unwrap_or(0);
    quota::take_count(&mut count, Quota::UploadsPerAppointment, limit)
        .map_err(RepositoryError::QuotaExceeded)?;
    tx.exec(
        "UPDATE quota_counts SET used = $2 WHERE key = $1",
        &[&key, &i32::try_from(count).unwrap_or(i32::MAX)],
    )
    .await?;
    Ok(())
}
