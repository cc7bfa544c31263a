//! Secure messaging outside consultations (rules in `teleconsult_core::message`): whose a
//! conversation is, and sending a message — a text, a file with an optional text — from the
//! API (`POST /conversations/{patient}/{practitioner}/messages` and `…/files`) and the
//! messages page. The parties are the patient side and the practitioner, once they have an
//! appointment together (or have written already); anyone else gets "no such conversation".
//! The other side is told that a message is waiting, never what it says; the message, its
//! file (counted against the sender's uploads of the day), the notices and the audit record
//! are one transaction.

use crate::error::AppError;
use crate::{App, Contact, actor_of, event, new_id};
use teleconsult_core::account::{Account, AccountStatus};
use teleconsult_core::audit::Action;
use teleconsult_core::call::{AttachmentError, check_attachment, clean_file_name};
use teleconsult_core::ids::{MessageId, PatientId, PractitionerId};
use teleconsult_core::message::{Message, MessageFile, Side, in_care, message_text, side_of};
use teleconsult_core::notification::Notification;

/// A file as received: its declared content type, the name the user chose, its content.
#[derive(Clone)]
pub struct Upload {
    pub declared_type: String,
    pub name: Option<String>,
    pub content: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    // Health data: the content is never logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("declared_type", &self.declared_type)
            .field("size", &self.content.len())
            .finish_non_exhaustive()
    }
}

/// A message to send.
#[derive(Clone, Debug)]
pub struct SendMessage {
    pub patient: PatientId,
    pub practitioner: PractitionerId,
    /// At most 4000 characters; may be empty with a file.
    pub text: String,
    pub file: Option<Upload>,
}

impl App {
    /// `actor`'s side in the conversation of `patient` and `practitioner`, when it is open to
    /// them: they are a party, and the two have written to each other or are in care (the
    /// appointments are read, audited, only when nothing was written yet).
    /// [`AppError::NotFound`] otherwise.
    pub fn conversation_side(
        &self,
        actor: &Account,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<Side, AppError> {
        let side = side_of(actor, patient, practitioner).ok_or(AppError::NotFound)?;
        if self.store.conversation_started(patient, practitioner)? {
            return Ok(side);
        }
        let read = event(
            self.now(),
            &actor_of(actor),
            Action::Read,
            "appointments",
            format!("{patient}/{practitioner}"),
        );
        let together = self
            .store
            .appointments_together(patient, practitioner, &read)?;
        match in_care(together.iter(), patient, practitioner) {
            true => Ok(side),
            false => Err(AppError::NotFound),
        }
    }

    /// Sends `request` from `actor`, a party of the open conversation: the text checked
    /// (422 on `text`), a file checked against its declared type (415 for a type not shared,
    /// 422 on `file` for content that is not what the type says), the other side's active
    /// accounts told by e-mail. Returns the message as stored.
    pub fn send_message(&self, actor: &Account, request: SendMessage) -> Result<Message, AppError> {
        let SendMessage {
            patient,
            practitioner,
            text,
            file,
        } = request;
        let side = self.conversation_side(actor, patient, practitioner)?;
        let text = message_text(&text, file.is_some())
            .map_err(|e| AppError::field("text", e.to_string()))?;
        let (file, content) = match file {
            None => (None, None),
            Some(upload) => {
                let content_type = check_attachment(&upload.declared_type, &upload.content)
                    .map_err(attachment_refused)?;
                let file = MessageFile {
                    content_type: content_type.to_owned(),
                    file_name: clean_file_name(
                        upload.name.as_deref().unwrap_or_default(),
                        content_type,
                    ),
                    size: upload.content.len() as u64,
                };
                (Some(file), Some(upload.content))
            }
        };
        let now = self.now();
        let message = Message {
            id: MessageId::from_uuid(new_id()),
            patient,
            practitioner,
            from: side,
            author: actor.id,
            at: now,
            text,
            file,
            read_at: None,
        };
        let told = self.told(&message)?;
        let audit = event(now, &actor_of(actor), Action::Create, "message", message.id);
        let per_day = self.settings.uploads_per_day;
        self.store.append_message_with(
            &message,
            content.as_deref().map(|content| (content, per_day)),
            &told,
            &audit,
        )?;
        Ok(message)
    }

    /// The e-mails telling the other side's active accounts that `message` waits.
    fn told(&self, message: &Message) -> Result<Vec<Notification>, AppError> {
        let to = message.from.other();
        let (patient, practitioner) = (message.patient, message.practitioner);
        Ok(self
            .store
            .all_accounts()?
            .iter()
            .filter(|a| {
                a.status == AccountStatus::Active
                    && !a.email.is_empty()
                    && side_of(a, patient, practitioner) == Some(to)
            })
            .flat_map(|a| {
                self.texts
                    .message_waiting(&Contact::from(a), patient, practitioner, message.at)
            })
            .collect())
    }
}

/// A file refused: its type (415), or its content (422 on `file`).
pub(crate) fn attachment_refused(e: AttachmentError) -> AppError {
    match e {
        AttachmentError::Type(_) => AppError::UnsupportedType(e.to_string()),
        AttachmentError::Content(_) | AttachmentError::Empty => {
            AppError::field("file", e.to_string())
        }
    }
}
