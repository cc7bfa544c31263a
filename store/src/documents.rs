//! Issued documents, their rendered PDFs, prescription retrieval tokens and the laboratory
//! directory.
//!
//! Issuing is one transaction: the document record, its PDFs (sealed as raw bytes), the
//! retrieval token's blind index, the corrected original when it is a new version, the
//! site's last document number (`meta/document_last_number`, in clear: numbers are not health
//! data), the notifications, the outbox message and the audit records. Numbers are checked, not
//! reserved: the caller renders the PDF with the number following `previous`, and the
//! transaction refuses ([`IssueOutcome::NumberTaken`]) when another document took it meanwhile,
//! so numbers stay gap-free without holding the store's lock while a PDF renders.
//! Changes of state (dispensing, payment) are decided from the record as stored, inside the
//! transaction that writes them ([`Store::change_document`]).

use teleconsult_core::audit::AuditEvent;
use teleconsult_core::document::{DocumentNumber, IssuedDocument, Laboratory, SickLeavePart};
use teleconsult_core::ids::DocumentId;
use teleconsult_core::notification::Notification;
use teleconsult_core::outbox::OutboxMessage;

use crate::error::StoreError;
use crate::store::Store;
use crate::tree::{TreeId, abort};
use crate::{audit, notifications, outbox};

const LAST_NUMBER_KEY: &[u8] = b"document_last_number";

/// Which rendering of a document a PDF is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rendition {
    /// The document itself (every kind but sick-leave certificates).
    Document,
    /// One part of a sick-leave certificate.
    SickLeave(SickLeavePart),
}

impl Rendition {
    fn key(self, id: DocumentId) -> [u8; 17] {
        let mut key = [0u8; 17];
        key[..16].copy_from_slice(id.as_bytes());
        key[16] = match self {
            Rendition::Document => 0,
            Rendition::SickLeave(part) => part.number(),
        };
        key
    }
}

/// Everything issuing a document writes besides its audit records.
#[derive(Clone, Copy, Debug)]
pub struct NewDocument<'a> {
    pub record: &'a IssuedDocument,
    pub pdfs: &'a [(Rendition, Vec<u8>)],
    /// A prescription's retrieval token (printed as the QR code); only its keyed hash is kept.
    pub retrieval_token: Option<&'a str>,
    /// When correcting: the original as read before (it must still be stored exactly so) and
    /// the same marked superseded.
    pub supersedes: Option<(&'a IssuedDocument, &'a IssuedDocument)>,
    pub notifications: &'a [Notification],
    pub outbox: &'a [OutboxMessage],
}

/// A change of a document's state, decided from it as stored (see [`Store::change_document`]).
#[derive(Clone, Debug)]
pub struct DocumentChange {
    pub next: IssuedDocument,
    pub notifications: Vec<Notification>,
    pub outbox: Vec<OutboxMessage>,
}

/// What became of an issue attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued,
    /// Another document took the number: render again with the next one.
    NumberTaken,
    /// The corrected original changed meanwhile (superseded or dispensed): nothing written.
    OriginalChanged,
}

fn read_last_number(raw: Option<&[u8]>) -> Result<Option<DocumentNumber>, StoreError> {
    raw.map(|bytes| {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StoreError::Corrupt("meta/document_last_number unreadable".into()))
    })
    .transpose()
}

fn token_index(store: &Store, token: &str) -> [u8; 32] {
    store.shared().crypto.blind_index("retrieval_token", token)
}

fn decode_document_id(value: &[u8]) -> Result<DocumentId, StoreError> {
    let bytes: [u8; 16] = value.try_into().map_err(|_| {
        StoreError::Corrupt("retrieval_tokens: index value is not a document id".into())
    })?;
    Ok(DocumentId::from_uuid(uuid::Uuid::from_bytes(bytes)))
}

impl Store {
    /// The last document number issued at this site, if any.
    pub fn last_document_number(&self) -> Result<Option<DocumentNumber>, StoreError> {
        let raw = self.inner().trees.raw(TreeId::Meta).get(LAST_NUMBER_KEY)?;
        read_last_number(raw.as_deref())
    }

    /// Issues a document numbered after `previous` (what [`Store::last_document_number`]
    /// answered when the caller chose the number). Durable when it returns `Issued`. `event`
    /// records the creation; `original_event` the update of a corrected original.
    pub fn issue_document(
        &self,
        new: NewDocument<'_>,
        previous: Option<&DocumentNumber>,
        event: &AuditEvent,
        original_event: Option<&AuditEvent>,
    ) -> Result<IssueOutcome, StoreError> {
        let inner = self.inner();
        let id = new.record.id();
        let mut sealed = Vec::with_capacity(new.pdfs.len());
        for (rendition, pdf) in new.pdfs {
            let key = rendition.key(id);
            let bytes = inner
                .crypto
                .seal(TreeId::DocumentPdfs.name(), &key, pdf)
                .map_err(|_| StoreError::Encode("document PDF too large to encrypt".into()))?;
            sealed.push((key, bytes));
        }
        // The number must be the one following `previous`: never a duplicate, never a gap.
        let number = &new.record.document.number;
        if DocumentNumber::next(number.site(), number.year(), previous).as_ref() != Ok(number) {
            return Err(StoreError::AlreadyExists("document number"));
        }
        let token = new.retrieval_token.map(|t| token_index(self, t));
        let number = new.record.document.number.to_string();
        inner.transact_durably(|tx| {
            let meta = tx.raw(TreeId::Meta);
            let last = read_last_number(meta.get(LAST_NUMBER_KEY)?.as_deref()).map_err(abort)?;
            if last.as_ref() != previous {
                return Ok(IssueOutcome::NumberTaken);
            }
            let documents = tx.encrypted(TreeId::Documents);
            if documents.contains_key(id.as_bytes())? {
                return Err(abort(StoreError::AlreadyExists("document")));
            }
            if let Some((before, after)) = new.supersedes {
                let stored: Option<IssuedDocument> = documents.get(before.id().as_bytes())?;
                if stored.as_ref() != Some(before) {
                    return Ok(IssueOutcome::OriginalChanged);
                }
                documents.insert(after.id().as_bytes(), after)?;
            }
            documents.insert(id.as_bytes(), new.record)?;
            meta.insert(LAST_NUMBER_KEY, number.as_bytes())?;
            let pdfs = tx.raw(TreeId::DocumentPdfs);
            for (key, bytes) in &sealed {
                pdfs.insert(key.as_slice(), bytes.as_slice())?;
            }
            if let Some(token) = token {
                let tokens = tx.raw(TreeId::RetrievalTokens);
                if tokens.get(token)?.is_some() {
                    return Err(abort(StoreError::AlreadyExists("retrieval token")));
                }
                tokens.insert(&token, id.as_bytes())?;
            }
            for n in new.notifications {
                notifications::enqueue(tx, n)?;
            }
            for message in new.outbox {
                outbox::enqueue(tx, message, event.at)?;
            }
            audit::append(tx, event)?;
            if let Some(original) = original_event {
                audit::append(tx, original)?;
            }
            Ok(IssueOutcome::Issued)
        })
    }

    /// Reads a document, recording the access (even when absent: the attempt is of interest).
    pub fn document(
        &self,
        id: DocumentId,
        event: &AuditEvent,
    ) -> Result<Option<IssuedDocument>, StoreError> {
        self.inner().transact(|tx| {
            let document = tx.encrypted(TreeId::Documents).get(id.as_bytes())?;
            audit::append(tx, event)?;
            Ok(document)
        })
    }

    /// Documents matching `keep`, newest first, recording the access (one event for the list).
    pub fn documents(
        &self,
        keep: impl Fn(&IssuedDocument) -> bool,
        event: &AuditEvent,
    ) -> Result<Vec<IssuedDocument>, StoreError> {
        self.documents_read_as(keep, std::slice::from_ref(event))
    }

    /// Documents matching `keep`, newest first, recording each of `events` (a list read on
    /// behalf of several objects: the booth sessions whose documents the console lists).
    pub fn documents_read_as(
        &self,
        keep: impl Fn(&IssuedDocument) -> bool,
        events: &[AuditEvent],
    ) -> Result<Vec<IssuedDocument>, StoreError> {
        let mut all = Vec::new();
        for entry in self
            .inner()
            .encrypted(TreeId::Documents)
            .iter::<IssuedDocument>()
        {
            let (_, document) = entry?;
            if keep(&document) {
                all.push(document);
            }
        }
        all.sort_by(|a, b| {
            (b.document.issued_at, &b.document.number)
                .cmp(&(a.document.issued_at, &a.document.number))
        });
        self.inner().transact_durably(|tx| {
            for event in events {
                audit::append(tx, event)?;
            }
            Ok(())
        })?;
        Ok(all)
    }

    /// The stored PDF of a document, recording the access.
    pub fn document_pdf(
        &self,
        id: DocumentId,
        rendition: Rendition,
        event: &AuditEvent,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let inner = self.inner();
        let key = rendition.key(id);
        let sealed = inner.transact(|tx| {
            let sealed = tx.raw(TreeId::DocumentPdfs).get(key)?;
            audit::append(tx, event)?;
            Ok(sealed)
        })?;
        sealed
            .map(|bytes| {
                inner
                    .crypto
                    .open(TreeId::DocumentPdfs.name(), &key, &bytes)
                    .map(|plain| plain.to_vec())
                    .map_err(|e| {
                        StoreError::Corrupt(format!("document_pdfs/{}: {e}", hex::encode(key)))
                    })
            })
            .transpose()
    }

    /// The prescription a retrieval token belongs to, recording the look-up.
    pub fn document_by_retrieval_token(
        &self,
        token: &str,
        event: &AuditEvent,
    ) -> Result<Option<IssuedDocument>, StoreError> {
        let index = token_index(self, token);
        self.inner().transact(|tx| {
            let found = match tx.raw(TreeId::RetrievalTokens).get(index)? {
                Some(id) => {
                    let id = decode_document_id(&id).map_err(abort)?;
                    tx.encrypted(TreeId::Documents).get(id.as_bytes())?
                }
                None => None,
            };
            audit::append(tx, event)?;
            Ok(found)
        })
    }

    /// Changes document `id` in one transaction: `change` decides from the record as stored
    /// at that moment (items dispensed, payment) and gives the new record with its
    /// notifications and outbox messages, or refuses — then nothing is written. Two changes
    /// in parallel are applied one after the other, each seeing the other's. `change` may run
    /// more than once. `read` is recorded whatever happens (even when there is no such
    /// document: the attempt is of interest), `event` when something is written. `None` when
    /// there is no such document.
    pub fn change_document<E>(
        &self,
        id: DocumentId,
        change: impl Fn(&IssuedDocument) -> Result<DocumentChange, E>,
        read: Option<&AuditEvent>,
        event: &AuditEvent,
    ) -> Result<Option<Result<IssuedDocument, E>>, StoreError> {
        self.inner().transact_durably(|tx| {
            if let Some(read) = read {
                audit::append(tx, read)?;
            }
            let documents = tx.encrypted(TreeId::Documents);
            let Some(stored) = documents.get::<IssuedDocument>(id.as_bytes())? else {
                return Ok(None);
            };
            let changed = match change(&stored) {
                Ok(changed) => changed,
                Err(refused) => return Ok(Some(Err(refused))),
            };
            if changed.next.id() != id {
                return Err(abort(StoreError::Encode(
                    "a document change must keep its id".into(),
                )));
            }
            documents.insert(id.as_bytes(), &changed.next)?;
            for n in &changed.notifications {
                notifications::enqueue(tx, n)?;
            }
            for message in &changed.outbox {
                outbox::enqueue(tx, message, event.at)?;
            }
            audit::append(tx, event)?;
            Ok(Some(Ok(changed.next)))
        })
    }

    /// Adds or replaces a laboratory of the directory.
    pub fn upsert_laboratory(
        &self,
        lab: &Laboratory,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.inner().transact_durably(|tx| {
            tx.encrypted(TreeId::Laboratories)
                .insert(lab.id.as_bytes(), lab)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// One laboratory of the directory.
    pub fn laboratory(&self, id: &str) -> Result<Option<Laboratory>, StoreError> {
        self.inner()
            .encrypted(TreeId::Laboratories)
            .get(id.as_bytes())
    }

    /// The laboratory directory, by name.
    pub fn laboratories(&self) -> Result<Vec<Laboratory>, StoreError> {
        let mut all = self
            .inner()
            .encrypted(TreeId::Laboratories)
            .iter::<Laboratory>()
            .map(|entry| entry.map(|(_, lab)| lab))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(all)
    }
}

#[cfg(test)]
#[path = "documents_tests.rs"]
mod tests;
