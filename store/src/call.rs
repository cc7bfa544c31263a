//! What a call leaves behind: its chat messages, the files shared in it (attachments) and its
//! quality record. Chat and attachments are health data: sealed like every record (attachment
//! content sealed as raw bytes, not JSON), and every read or write is audited in the same
//! transaction.

use teleconsult_core::appointment::Appointment;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::call::{Attachment, ChatMessage, QualityRecord, QualitySample};
use teleconsult_core::ids::{AppointmentId, PatientId};
use zeroize::Zeroizing;

use crate::audit;
use crate::error::StoreError;
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort, unseal};

/// A shared file's description and its content (wiped from memory when dropped).
pub type AttachmentWithContent = (Attachment, Zeroizing<Vec<u8>>);

fn chat_key(appointment: AppointmentId, sequence: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(appointment.as_bytes());
    key[16..].copy_from_slice(&sequence.to_be_bytes());
    key
}

/// What a patient left on the site besides their patient record, by key, erased with them:
/// what the calls of their appointments left behind (chat messages, shared files — their
/// description and content —, quality records), their short medical record, their messages
/// with practitioners (and the files sent with them) and the queue entry they wait with. The
/// appointments and the documents issued stay, as the practitioner's record the law makes them
/// keep.
#[derive(Debug, Default)]
pub(crate) struct PatientTraces {
    patient: Option<PatientId>,
    /// Keys of their messages, and the ids of those messages (index and file entries).
    messages: Vec<sled::IVec>,
    message_ids: Vec<teleconsult_core::ids::MessageId>,
    chat: Vec<sled::IVec>,
    attachments: Vec<sled::IVec>,
    appointments: Vec<AppointmentId>,
}

impl PatientTraces {
    /// Collected before the erasing transaction (sled transactions cannot scan). A message
    /// written between the scan and the transaction would stay: the account is gone by then,
    /// so only the other party could still write, and only in a call already under way.
    pub(crate) fn of(store: &Store, patient: PatientId) -> Result<Self, StoreError> {
        let inner = store.inner();
        let mut traces = PatientTraces {
            patient: Some(patient),
            ..PatientTraces::default()
        };
        for entry in inner.encrypted(TreeId::Appointments).iter::<Appointment>() {
            let (_, appointment) = entry?;
            if appointment.patient == patient {
                traces.appointments.push(appointment.id);
            }
        }
        for entry in inner
            .trees
            .raw(TreeId::Messages)
            .scan_prefix(patient.as_bytes())
        {
            let (key, sealed) = entry?;
            let message: teleconsult_core::message::Message =
                unseal(&inner.crypto, TreeId::Messages, &key, &sealed)?;
            traces.message_ids.push(message.id);
            traces.messages.push(key);
        }
        let chat = inner.trees.raw(TreeId::CallChat);
        for id in &traces.appointments {
            for key in chat.scan_prefix(id.as_bytes()).keys() {
                traces.chat.push(key?);
            }
        }
        for entry in inner.encrypted(TreeId::Attachments).iter::<Attachment>() {
            let (key, attachment) = entry?;
            if traces.appointments.contains(&attachment.appointment) {
                traces.attachments.push(key);
            }
        }
        Ok(traces)
    }

    /// Removes them in `tx`; returns how many records went.
    pub(crate) fn remove(&self, tx: &Tx<'_>) -> TxResult<u64> {
        let mut removed = 0u64;
        let mut gone = |found: Option<sled::IVec>| removed += u64::from(found.is_some());
        for key in &self.chat {
            gone(tx.raw(TreeId::CallChat).remove(key.as_ref())?);
        }
        for key in &self.attachments {
            gone(tx.raw(TreeId::Attachments).remove(key.as_ref())?);
            gone(tx.raw(TreeId::AttachmentContent).remove(key.as_ref())?);
        }
        for id in &self.appointments {
            gone(
                tx.raw(TreeId::CallQuality)
                    .remove(id.as_bytes().as_slice())?,
            );
            tx.raw(TreeId::Quotas)
                .remove(crate::quotas::appointment_uploads_key(*id))?;
        }
        for key in &self.messages {
            gone(tx.raw(TreeId::Messages).remove(key.as_ref())?);
        }
        for id in &self.message_ids {
            gone(
                tx.raw(TreeId::MessagesById)
                    .remove(id.as_bytes().as_slice())?,
            );
            gone(
                tx.raw(TreeId::MessageFiles)
                    .remove(id.as_bytes().as_slice())?,
            );
        }
        if let Some(patient) = self.patient {
            gone(
                tx.raw(TreeId::MedicalRecords)
                    .remove(patient.as_bytes().as_slice())?,
            );
            removed += crate::queue::remove_waiting_of(tx, patient)?;
        }
        Ok(removed)
    }
}

impl Store {
    /// The files shared in an appointment, oldest first, recording the access (one event for
    /// the list). A scan of the descriptions: a site keeps thousands, not millions.
    pub fn attachments_of(
        &self,
        appointment: AppointmentId,
        event: &AuditEvent,
    ) -> Result<Vec<Attachment>, StoreError> {
        let mut found = Vec::new();
        for entry in self
            .inner()
            .encrypted(TreeId::Attachments)
            .iter::<Attachment>()
        {
            let (_, attachment) = entry?;
            if attachment.appointment == appointment {
                found.push(attachment);
            }
        }
        found.sort_by_key(|a| (a.uploaded_at, a.id));
        self.inner()
            .transact_durably(|tx| audit::append(tx, event).map(drop))?;
        Ok(found)
    }

    /// Appends a chat message to its appointment's conversation (durable on return).
    pub fn append_chat(&self, message: &ChatMessage, event: &AuditEvent) -> Result<(), StoreError> {
        // sled's id generator is monotonic across restarts: messages keep their order.
        let sequence = self.inner().db.generate_id()?;
        let key = chat_key(message.appointment, sequence);
        self.inner().transact_durably(|tx| {
            tx.encrypted(TreeId::CallChat).insert(&key, message)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// The conversation of an appointment's call, oldest first, recording the access.
    pub fn chat(
        &self,
        appointment: AppointmentId,
        event: &AuditEvent,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let inner = self.inner();
        let mut messages = Vec::new();
        for entry in inner
            .trees
            .raw(TreeId::CallChat)
            .scan_prefix(appointment.as_bytes())
        {
            let (key, sealed) = entry?;
            messages.push(unseal(&inner.crypto, TreeId::CallChat, &key, &sealed)?);
        }
        inner.transact_durably(|tx| audit::append(tx, event).map(drop))?;
        Ok(messages)
    }

    /// Stores a shared file: its description and its content, sealed, in one transaction,
    /// counting it against `quota` (refused with [`StoreError::QuotaExceeded`], nothing
    /// written, when a limit is reached; `None`: not counted).
    pub fn save_attachment(
        &self,
        attachment: &Attachment,
        content: &[u8],
        quota: Option<&crate::UploadQuota>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        // Files wait when space is short: the reserve is for bookings, documents and audit.
        self.check_room(content.len() as u64)?;
        let key = attachment.id.as_bytes();
        let sealed = self
            .inner()
            .crypto
            .seal(TreeId::AttachmentContent.name(), key, content)
            .map_err(|_| StoreError::Encode("attachment too large to encrypt".into()))?;
        self.inner().transact_durably(|tx| {
            let descriptions = tx.encrypted(TreeId::Attachments);
            if descriptions.contains_key(key)? {
                return Err(abort(StoreError::AlreadyExists("attachment")));
            }
            if let Some(quota) = quota {
                crate::quotas::take_upload(tx, quota)?;
            }
            descriptions.insert(key, attachment)?;
            tx.raw(TreeId::AttachmentContent)
                .insert(key.as_slice(), sealed.as_slice())?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// A shared file and its content, recording the access.
    pub fn attachment(
        &self,
        id: uuid::Uuid,
        event: &AuditEvent,
    ) -> Result<Option<AttachmentWithContent>, StoreError> {
        let key = id.as_bytes();
        let found = self.inner().transact(|tx| {
            let Some(description) = tx.encrypted(TreeId::Attachments).get::<Attachment>(key)?
            else {
                return Ok(None);
            };
            let Some(sealed) = tx.raw(TreeId::AttachmentContent).get(key)? else {
                return Err(abort(StoreError::Corrupt(format!(
                    "attachment_content/{}: missing",
                    hex::encode(key)
                ))));
            };
            audit::append(tx, event)?;
            Ok(Some((description, sealed)))
        })?;
        let Some((description, sealed)) = found else {
            return Ok(None);
        };
        let content = self
            .inner()
            .crypto
            .open(TreeId::AttachmentContent.name(), key, &sealed)
            .map_err(|e| {
                StoreError::Corrupt(format!("attachment_content/{}: {e}", hex::encode(key)))
            })?;
        Ok(Some((description, content)))
    }

    /// A shared file's description only (appointment, type, name), recording the access.
    pub fn attachment_description(
        &self,
        id: uuid::Uuid,
        event: &AuditEvent,
    ) -> Result<Option<Attachment>, StoreError> {
        self.inner().transact(|tx| {
            let found = tx.encrypted(TreeId::Attachments).get(id.as_bytes())?;
            audit::append(tx, event)?;
            Ok(found)
        })
    }

    /// Adds samples to an appointment's call quality record (created on the first samples).
    pub fn add_quality_samples(
        &self,
        appointment: AppointmentId,
        samples: &[QualitySample],
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let Some(first) = samples.first() else {
            return Ok(());
        };
        self.inner().transact_durably(|tx| {
            let records = tx.encrypted(TreeId::CallQuality);
            let mut record = records
                .get::<QualityRecord>(appointment.as_bytes())?
                .unwrap_or_else(|| QualityRecord::new(appointment, first.at));
            record.extend(samples.iter().cloned());
            records.insert(appointment.as_bytes(), &record)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// An appointment's call quality record, recording the access.
    pub fn quality_record(
        &self,
        appointment: AppointmentId,
        event: &AuditEvent,
    ) -> Result<Option<QualityRecord>, StoreError> {
        self.inner().transact(|tx| {
            let record = tx
                .encrypted(TreeId::CallQuality)
                .get(appointment.as_bytes())?;
            audit::append(tx, event)?;
            Ok(record)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_support::open;
    use teleconsult_core::Timestamp;
    use teleconsult_core::audit::{Action, Actor};
    use teleconsult_core::call::CallQuality;
    use teleconsult_core::ids::AccountId;
    use teleconsult_core::signal::Role;

    fn event(object: &str) -> AuditEvent {
        AuditEvent {
            at: Timestamp::UNIX_EPOCH,
            actor: Actor::System("test".into()),
            action: Action::Create,
            object_type: object.into(),
            object_id: "x".into(),
        }
    }

    #[test]
    fn chat_attachments_and_quality_round_trip_sealed() {
        let (_dir, store) = open();
        let appointment = AppointmentId::from_uuid(uuid::Uuid::from_u128(7));
        let other = AppointmentId::from_uuid(uuid::Uuid::from_u128(8));
        for (a, text) in [
            (appointment, "first"),
            (other, "elsewhere"),
            (appointment, "second"),
        ] {
            let message = ChatMessage {
                appointment: a,
                at: Timestamp::UNIX_EPOCH,
                role: Role::Patient,
                author: AccountId::from_uuid(uuid::Uuid::from_u128(1)),
                text: text.into(),
                attachment: None,
            };
            store.append_chat(&message, &event("chat")).unwrap();
        }
        let texts: Vec<String> = store
            .chat(appointment, &event("chat"))
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(texts, ["first", "second"]);

        let attachment = Attachment {
            id: uuid::Uuid::from_u128(9),
            appointment,
            uploaded_by: AccountId::from_uuid(uuid::Uuid::from_u128(1)),
            uploaded_at: Timestamp::UNIX_EPOCH,
            content_type: "application/pdf".into(),
            file_name: "lab.pdf".into(),
            size: 9,
        };
        store
            .save_attachment(&attachment, b"%PDF-1.7\n", None, &event("attachment"))
            .unwrap();
        let raw = store
            .inner()
            .trees
            .raw(TreeId::AttachmentContent)
            .get(attachment.id.as_bytes())
            .unwrap()
            .unwrap();
        assert!(!raw.windows(5).any(|w| w == b"%PDF-"), "content is sealed");
        let (read, content) = store
            .attachment(attachment.id, &event("attachment"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (read, content.as_slice()),
            (attachment, b"%PDF-1.7\n".as_slice())
        );
        assert!(
            store
                .attachment(uuid::Uuid::from_u128(10), &event("a"))
                .unwrap()
                .is_none()
        );

        let sample = QualitySample {
            at: Timestamp::UNIX_EPOCH,
            role: Role::Practitioner,
            quality: CallQuality {
                rtt_ms: Some(20.0),
                ..CallQuality::default()
            },
        };
        store
            .add_quality_samples(appointment, &[sample.clone(), sample], &event("q"))
            .unwrap();
        let record = store
            .quality_record(appointment, &event("q"))
            .unwrap()
            .unwrap();
        assert_eq!(record.sample_count, 2);
        assert!(store.quality_record(other, &event("q")).unwrap().is_none());
    }
}
