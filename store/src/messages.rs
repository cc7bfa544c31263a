//! Secure messaging between patients and practitioners (`core::message`): messages sealed in
//! the conversation's key range, files sealed as raw bytes beside them, an index from message
//! id to its key for downloads. Every read and write is audited in the same transaction; a
//! message and the notifications telling the other side are one durable transaction.

use teleconsult_core::Timestamp;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::{MessageId, PatientId, PractitionerId};
use teleconsult_core::message::{Message, Side};
use teleconsult_core::notification::Notification;
use zeroize::Zeroizing;

use crate::audit;
use crate::error::StoreError;
use crate::store::Store;
use crate::tree::{TreeId, abort, unseal};

/// A file sent with a message, and its content (wiped from memory when dropped).
pub type MessageWithFile = (Message, Zeroizing<Vec<u8>>);

/// Where one conversation stands, for lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationSummary {
    pub patient: PatientId,
    pub practitioner: PractitionerId,
    pub messages: u64,
    pub last_at: Timestamp,
    /// Messages of the practitioner the patient side has not read.
    pub unread_by_patient: u64,
    /// Messages of the patient side the practitioner has not read.
    pub unread_by_practitioner: u64,
}

impl ConversationSummary {
    /// Unread messages for `side`.
    pub fn unread_by(&self, side: Side) -> u64 {
        match side {
            Side::Patient => self.unread_by_patient,
            Side::Practitioner => self.unread_by_practitioner,
        }
    }
}

/// `patient ‖ practitioner`: the key prefix of a conversation.
pub(crate) fn conversation_prefix(patient: PatientId, practitioner: PractitionerId) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(patient.as_bytes());
    key[16..].copy_from_slice(practitioner.as_bytes());
    key
}

fn message_key(patient: PatientId, practitioner: PractitionerId, sequence: u64) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(&conversation_prefix(patient, practitioner));
    key[32..].copy_from_slice(&sequence.to_be_bytes());
    key
}

fn parties_of(key: &[u8]) -> Option<(PatientId, PractitionerId)> {
    let patient: [u8; 16] = key.get(..16)?.try_into().ok()?;
    let practitioner: [u8; 16] = key.get(16..32)?.try_into().ok()?;
    Some((
        PatientId::from_uuid(uuid::Uuid::from_bytes(patient)),
        PractitionerId::from_uuid(uuid::Uuid::from_bytes(practitioner)),
    ))
}

impl Store {
    /// Appends `message` to its conversation, with its file's `content` and the
    /// `notifications` telling the other side, durably, in one transaction with its audit
    /// record. A file is counted against its upload quota when one is given (refused with
    /// [`StoreError::QuotaExceeded`], nothing written, when it is reached).
    pub fn append_message(
        &self,
        message: &Message,
        content: Option<(&[u8], Option<&crate::UploadQuota>)>,
        notifications: &[Notification],
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        // Files wait when space is short: the reserve is for bookings, documents and audit.
        if let Some((bytes, _)) = content {
            self.check_room(bytes.len() as u64)?;
        }
        let inner = self.inner();
        // sled's id generator is monotonic across restarts: messages keep their order.
        let key = message_key(
            message.patient,
            message.practitioner,
            inner.db.generate_id()?,
        );
        let id = message.id.as_bytes();
        let quota = content.and_then(|(_, quota)| quota);
        let sealed = content
            .map(|(content, _)| {
                inner
                    .crypto
                    .seal(TreeId::MessageFiles.name(), id, content)
                    .map_err(|_| StoreError::Encode("message file too large to encrypt".into()))
            })
            .transpose()?;
        inner.transact_durably(|tx| {
            let index = tx.raw(TreeId::MessagesById);
            if index.get(id)?.is_some() {
                return Err(abort(StoreError::AlreadyExists("message")));
            }
            index.insert(id.as_slice(), key.as_slice())?;
            tx.encrypted(TreeId::Messages).insert(&key, message)?;
            if let Some(quota) = quota {
                crate::quotas::take_upload(tx, quota)?;
            }
            if let Some(sealed) = &sealed {
                tx.raw(TreeId::MessageFiles)
                    .insert(id.as_slice(), sealed.as_slice())?;
            }
            for notification in notifications {
                crate::notifications::enqueue(tx, notification)?;
            }
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// Whether the two have exchanged any message (no content read: not audited).
    pub fn has_messages(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool, StoreError> {
        Ok(self
            .inner()
            .trees
            .raw(TreeId::Messages)
            .scan_prefix(conversation_prefix(patient, practitioner))
            .next()
            .transpose()?
            .is_some())
    }

    /// The conversation of `patient` and `practitioner`, oldest first. With a `reader`, the
    /// other side's messages not read yet are marked read at `now` (durably, when any is);
    /// without, nothing changes. The access is recorded.
    pub fn conversation(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
        reader: Option<Side>,
        now: Timestamp,
        event: &AuditEvent,
    ) -> Result<Vec<Message>, StoreError> {
        let inner = self.inner();
        let keys = inner
            .trees
            .raw(TreeId::Messages)
            .scan_prefix(conversation_prefix(patient, practitioner))
            .keys()
            .collect::<Result<Vec<_>, _>>()?;
        let (messages, marked) = inner.transact(|tx| {
            let tree = tx.encrypted(TreeId::Messages);
            let mut messages = Vec::with_capacity(keys.len());
            let mut marked = false;
            for key in &keys {
                let Some(mut message) = tree.get::<Message>(key)? else {
                    continue;
                };
                if reader.is_some_and(|r| message.from == r.other()) && message.read_at.is_none() {
                    message.read_at = Some(now);
                    tree.insert(key, &message)?;
                    marked = true;
                }
                messages.push(message);
            }
            audit::append(tx, event)?;
            Ok((messages, marked))
        })?;
        if marked {
            inner.flush()?;
        }
        Ok(messages)
    }

    /// The conversations whose parties `keep` accepts, most recent first, recording the
    /// access (one event for the list). A scan of the messages: a site keeps thousands.
    pub fn conversations(
        &self,
        keep: impl Fn(PatientId, PractitionerId) -> bool,
        event: &AuditEvent,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let inner = self.inner();
        let mut out: Vec<ConversationSummary> = Vec::new();
        for entry in inner.trees.raw(TreeId::Messages).iter() {
            let (key, sealed) = entry?;
            let Some((patient, practitioner)) = parties_of(&key) else {
                return Err(StoreError::Corrupt(format!(
                    "messages/{}: not a message key",
                    hex::encode(&key)
                )));
            };
            if !keep(patient, practitioner) {
                continue;
            }
            let message: Message = unseal(&inner.crypto, TreeId::Messages, &key, &sealed)?;
            let unread = message.read_at.is_none();
            // Keys are ordered by conversation: a new one starts when the parties change.
            let summary = match out.last_mut() {
                Some(s) if s.patient == patient && s.practitioner == practitioner => s,
                _ => {
                    out.push(ConversationSummary {
                        patient,
                        practitioner,
                        messages: 0,
                        last_at: message.at,
                        unread_by_patient: 0,
                        unread_by_practitioner: 0,
                    });
                    let last = out.len() - 1;
                    &mut out[last]
                }
            };
            summary.messages += 1;
            summary.last_at = summary.last_at.max(message.at);
            match (message.from, unread) {
                (Side::Practitioner, true) => summary.unread_by_patient += 1,
                (Side::Patient, true) => summary.unread_by_practitioner += 1,
                _ => {}
            }
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.last_at));
        inner.transact_durably(|tx| audit::append(tx, event).map(drop))?;
        Ok(out)
    }

    /// A message with its file's content, recording the access; `None` when there is no such
    /// message or it has no file.
    pub fn message_file(
        &self,
        id: MessageId,
        event: &AuditEvent,
    ) -> Result<Option<MessageWithFile>, StoreError> {
        let inner = self.inner();
        let key = id.as_bytes();
        let found = inner.transact(|tx| {
            let Some(message_key) = tx.raw(TreeId::MessagesById).get(key)? else {
                audit::append(tx, event)?;
                return Ok(None);
            };
            let Some(message) = tx
                .encrypted(TreeId::Messages)
                .get::<Message>(&message_key)?
            else {
                return Err(abort(StoreError::Corrupt(format!(
                    "messages_by_id/{}: points at no message",
                    hex::encode(key)
                ))));
            };
            let sealed = tx.raw(TreeId::MessageFiles).get(key)?;
            audit::append(tx, event)?;
            Ok(sealed.map(|sealed| (message, sealed)))
        })?;
        let Some((message, sealed)) = found else {
            return Ok(None);
        };
        let content = inner
            .crypto
            .open(TreeId::MessageFiles.name(), key, &sealed)
            .map_err(|e| StoreError::Corrupt(format!("message_files/{}: {e}", hex::encode(key))))?;
        Ok(Some((message, content)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::{event, open, patient, ts};
    use teleconsult_core::audit::Action;
    use teleconsult_core::ids::AccountId;
    use teleconsult_core::message::MessageFile;
    use teleconsult_core::ports::Repository;
    use uuid::Uuid;

    fn message(n: u128, patient: PatientId, from: Side, at: i64, text: &str) -> Message {
        Message {
            id: MessageId::from_uuid(Uuid::from_u128(n)),
            patient,
            practitioner: PractitionerId::from_uuid(Uuid::from_u128(500)),
            from,
            author: AccountId::from_uuid(Uuid::from_u128(600)),
            at: ts(at),
            text: text.into(),
            file: None,
            read_at: None,
        }
    }

    #[test]
    fn conversations_keep_order_mark_reads_hold_files_and_go_with_the_patient() {
        let (dir, store) = open();
        let (anne, paul) = (patient(1), patient(2));
        for p in [&anne, &paul] {
            store
                .create_patient(p, &event(Action::Create, p.id.to_string()), &[])
                .unwrap();
        }
        let doctor = PractitionerId::from_uuid(Uuid::from_u128(500));
        let log = || event(Action::Read, "m");
        let mut question = message(1, anne.id, Side::Patient, 10, "Zyrtecfrage: puis-je ?");
        question.file = Some(MessageFile {
            content_type: "application/pdf".into(),
            file_name: "résultats.pdf".into(),
            size: 9,
        });
        store
            .append_message(&question, Some((b"%PDF-1.4\n", None)), &[], &log())
            .unwrap();
        let answer = message(2, anne.id, Side::Practitioner, 20, "Oui, 1 par jour.");
        store.append_message(&answer, None, &[], &log()).unwrap();
        let other = message(3, paul.id, Side::Patient, 15, "Bonjour");
        store.append_message(&other, None, &[], &log()).unwrap();
        assert!(matches!(
            store.append_message(&other, None, &[], &log()),
            Err(StoreError::AlreadyExists("message"))
        ));

        // Lists: most recent first, unread counted per side.
        let all = store.conversations(|_, _| true, &log()).unwrap();
        assert_eq!(
            all.iter()
                .map(|c| (c.patient, c.messages))
                .collect::<Vec<_>>(),
            [(anne.id, 2), (paul.id, 1)]
        );
        assert_eq!(
            (all[0].unread_by_patient, all[0].unread_by_practitioner),
            (1, 1)
        );
        let annes = store.conversations(|p, _| p == anne.id, &log()).unwrap();
        assert_eq!(annes.len(), 1);

        // The practitioner reads: the patient's message is marked read, not their own.
        let read = store
            .conversation(anne.id, doctor, Some(Side::Practitioner), ts(30), &log())
            .unwrap();
        assert_eq!(
            read.iter().map(|m| (m.id, m.read_at)).collect::<Vec<_>>(),
            [(question.id, Some(ts(30))), (answer.id, None)]
        );
        let again = store.conversations(|p, _| p == anne.id, &log()).unwrap();
        assert_eq!(
            (again[0].unread_by_patient, again[0].unread_by_practitioner),
            (1, 0)
        );

        let (found, content) = store.message_file(question.id, &log()).unwrap().unwrap();
        assert_eq!(
            (found.id, content.as_slice()),
            (question.id, b"%PDF-1.4\n".as_slice())
        );
        assert!(store.message_file(answer.id, &log()).unwrap().is_none());
        store.flush().unwrap();
        assert!(!crate::tests::files_contain(dir.path(), b"Zyrtecfrage"));

        // Erasing Anne takes her conversation, its index entries and its file; Paul's stays.
        let erasure = store
            .erase_patient(anne.id, &event(Action::Delete, anne.id.to_string()))
            .unwrap()
            .unwrap();
        // Record, two index entries, two messages, two index entries, one file.
        assert_eq!(erasure.removed_records, 8);
        assert!(!store.has_messages(anne.id, doctor).unwrap());
        assert!(store.has_messages(paul.id, doctor).unwrap());
        assert!(store.message_file(question.id, &log()).unwrap().is_none());
    }
}
