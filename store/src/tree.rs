//! The trees of the store and a small typed layer over them: values are serde JSON, sealed with
//! [`Crypto`] for the tree and record key they live at. The same helpers work on a plain tree
//! ([`EncryptedTree`]) and inside a multi-tree transaction ([`Tx`], [`TxTree`]).
//!
//! To add an entity: add a [`TreeId`] variant (its name is on disk: never rename one), then use
//! `tx.encrypted(TreeId::…)` in a transaction. Every transaction spans all trees: sled 0.34
//! serialises transactions with one global lock anyway, so a wider overlay costs nothing.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};
use std::cell::Cell;
use zeroize::Zeroizing;

use crate::error::StoreError;
use teleconsult_seal::Crypto;

/// Result of a step inside a transaction closure; aborting carries a [`StoreError`].
pub(crate) type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Aborts the surrounding transaction with `error`.
pub(crate) fn abort(error: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(error)
}

/// Every tree of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TreeId {
    /// Store metadata: format version, key check, audit chain head, outbox counter.
    Meta,
    /// Audit chain: `u64` BE sequence → JSON record (not encrypted: ids only).
    Audit,
    /// Outbox: `u64` BE id → sealed entry.
    Outbox,
    /// Patient id (16 bytes) → sealed patient.
    Patients,
    /// Blind index of the national id (32 bytes) → patient id (16 bytes).
    PatientsByNationalId,
    /// Blind index of the lowercased e-mail (32 bytes) → patient id (16 bytes).
    PatientsByEmail,
    /// Practitioner id (16 bytes) → sealed practitioner.
    Practitioners,
    /// Account id (16 bytes) → sealed account.
    Accounts,
    /// Blind index of the lowercased login (32 bytes) → account id (16 bytes).
    AccountsByLogin,
    /// Keyed hash of the session token (32 bytes) → sealed session.
    Sessions,
    /// Keyed hash of the challenge id (32 bytes) → sealed login challenge.
    Challenges,
    /// Keyed hash of an e-mailed token (32 bytes) → sealed single-use token.
    Tokens,
    /// Notification queue: `u64` BE id → sealed notification.
    Notifications,
    /// Demo mode only: messages "delivered" to the local outbox page, `u64` BE id → sealed.
    DemoOutbox,
    /// Sync worker state: parked outbox entries and pull cursors (see `parked.rs`).
    Sync,
    /// Practitioner id (16 bytes) → sealed schedule (weekly hours and exceptions).
    Schedules,
    /// Appointment id (16 bytes) → sealed appointment.
    Appointments,
    /// Practitioner id (16 bytes) ‖ slot start (`i64` seconds, big-endian, sign-flipped) →
    /// appointment id: at most one booking per slot, enforced in the booking transaction.
    BookedSlots,
    /// Due time (same encoding) ‖ appointment id ‖ reminder index → sealed reminder.
    Reminders,
    /// Platform appointment id → sealed hold of a slot booked on the national platform.
    RemoteHolds,
    /// Platform appointment id → sealed conflict (the same slot booked on both sides).
    Conflicts,
    /// Appointment id (16 bytes) ‖ `u64` BE sequence → sealed chat message of its call.
    CallChat,
    /// Attachment id (16 bytes) → sealed attachment description (appointment, type, name).
    Attachments,
    /// Attachment id (16 bytes) → sealed file content (raw bytes, not JSON).
    AttachmentContent,
    /// Appointment id (16 bytes) → sealed call quality record.
    CallQuality,
    /// Document id (16 bytes) → sealed issued document (metadata, content, state).
    Documents,
    /// Document id (16 bytes) ‖ rendition byte → sealed PDF (raw bytes, not JSON).
    DocumentPdfs,
    /// Keyed hash of a prescription's retrieval token (32 bytes) → document id (16 bytes).
    RetrievalTokens,
    /// Laboratory code → sealed laboratory of the directory.
    Laboratories,
    /// Patient id (16 bytes) → sealed short medical record (history, allergies, treatments).
    MedicalRecords,
    /// Patient id (16 bytes) ‖ practitioner id (16 bytes) ‖ `u64` BE sequence → sealed message
    /// of their conversation.
    Messages,
    /// Message id (16 bytes) → its key in [`TreeId::Messages`] (40 bytes).
    MessagesById,
    /// Message id (16 bytes) → sealed content of its file (raw bytes, not JSON).
    MessageFiles,
    /// Account id (16 bytes) → sealed confirmation code waiting to be typed (a change of phone
    /// or e-mail, or an erasure, confirmed with the password and a code sent by SMS).
    Confirmations,
    /// Quota counts per account or appointment (see `quotas.rs`): what each kind of request
    /// used so far, checked and counted in the transaction of the change it limits.
    Quotas,
    /// `session/` ‖ booth session id (16 bytes) → sealed booth session (who, which entry or
    /// appointment, how it ended); `cabin` → the id of the open session holding the cabin
    /// (absent: the cabin is free). See `booth.rs`.
    BoothSessions,
    /// `entry/` ‖ entry id (16 bytes) → sealed waiting entry of the on-demand queue (its reason
    /// is health data); `patient/` ‖ patient id → the entry id they wait with (one each).
    Queue,
    /// Practitioner id (16 bytes) → sealed on-demand switch.
    Availability,
}

impl TreeId {
    /// In the order of [`Trees`] and of transaction views.
    pub(crate) const ALL: [TreeId; 38] = [
        TreeId::Meta,
        TreeId::Audit,
        TreeId::Outbox,
        TreeId::Patients,
        TreeId::PatientsByNationalId,
        TreeId::PatientsByEmail,
        TreeId::Practitioners,
        TreeId::Accounts,
        TreeId::AccountsByLogin,
        TreeId::Sessions,
        TreeId::Challenges,
        TreeId::Tokens,
        TreeId::Notifications,
        TreeId::DemoOutbox,
        TreeId::Sync,
        TreeId::Schedules,
        TreeId::Appointments,
        TreeId::BookedSlots,
        TreeId::Reminders,
        TreeId::RemoteHolds,
        TreeId::Conflicts,
        TreeId::CallChat,
        TreeId::Attachments,
        TreeId::AttachmentContent,
        TreeId::CallQuality,
        TreeId::Documents,
        TreeId::DocumentPdfs,
        TreeId::RetrievalTokens,
        TreeId::Laboratories,
        TreeId::MedicalRecords,
        TreeId::Messages,
        TreeId::MessagesById,
        TreeId::MessageFiles,
        TreeId::Confirmations,
        TreeId::Quotas,
        TreeId::BoothSessions,
        TreeId::Queue,
        TreeId::Availability,
    ];

    /// The sled tree name, also part of every sealed value's associated data.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            TreeId::Meta => "meta",
            TreeId::Audit => "audit",
            TreeId::Outbox => "outbox",
            TreeId::Patients => "patients",
            TreeId::PatientsByNationalId => "patients_by_national_id",
            TreeId::PatientsByEmail => "patients_by_email",
            TreeId::Practitioners => "practitioners",
            TreeId::Accounts => "accounts",
            TreeId::AccountsByLogin => "accounts_by_login",
            TreeId::Sessions => "sessions",
            TreeId::Challenges => "challenges",
            TreeId::Tokens => "tokens",
            TreeId::Notifications => "notifications",
            TreeId::DemoOutbox => "demo_outbox",
            TreeId::Sync => "sync",
            TreeId::Schedules => "schedules",
            TreeId::Appointments => "appointments",
            TreeId::BookedSlots => "booked_slots",
            TreeId::Reminders => "reminders",
            TreeId::RemoteHolds => "remote_holds",
            TreeId::Conflicts => "conflicts",
            TreeId::CallChat => "call_chat",
            TreeId::Attachments => "attachments",
            TreeId::AttachmentContent => "attachment_content",
            TreeId::CallQuality => "call_quality",
            TreeId::Documents => "documents",
            TreeId::DocumentPdfs => "document_pdfs",
            TreeId::RetrievalTokens => "retrieval_tokens",
            TreeId::Laboratories => "laboratories",
            TreeId::MedicalRecords => "medical_records",
            TreeId::Messages => "messages",
            TreeId::MessagesById => "messages_by_id",
            TreeId::MessageFiles => "message_files",
            TreeId::Confirmations => "confirmations",
            TreeId::Quotas => "quotas",
            TreeId::BoothSessions => "booth_sessions",
            TreeId::Queue => "queue",
            TreeId::Availability => "availability",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }

    /// The tree's bit in a set of trees (there are fewer than 64).
    pub(crate) const fn bit(self) -> u64 {
        1 << self.index()
    }
}

/// The opened sled trees, indexed by [`TreeId`].
pub(crate) struct Trees {
    all: Vec<sled::Tree>,
}

impl Trees {
    pub(crate) fn open(db: &sled::Db) -> sled::Result<Self> {
        let all = TreeId::ALL
            .iter()
            .map(|id| db.open_tree(id.name()))
            .collect::<sled::Result<Vec<_>>>()?;
        Ok(Self { all })
    }

    pub(crate) fn raw(&self, id: TreeId) -> &sled::Tree {
        &self.all[id.index()]
    }

    pub(crate) fn encrypted<'a>(&'a self, id: TreeId, crypto: &'a Crypto) -> EncryptedTree<'a> {
        EncryptedTree {
            id,
            tree: self.raw(id),
            crypto,
        }
    }

    /// Runs `f` as one serialisable transaction over all trees. `f` may run more than once:
    /// it must have no side effect outside the transaction.
    /// The trees `f` reached (read or written) are added to `touched`, one bit per
    /// [`TreeId`].
    pub(crate) fn transact<A>(
        &self,
        crypto: &Crypto,
        touched: &Cell<u64>,
        f: impl Fn(&Tx<'_>) -> TxResult<A>,
    ) -> Result<A, StoreError> {
        Transactional::<StoreError>::transaction(self.all.as_slice(), |views| {
            f(&Tx {
                views,
                crypto,
                touched,
            })
        })
        .map_err(|error| match error {
            TransactionError::Abort(error) => error,
            TransactionError::Storage(error) => StoreError::Engine(error),
        })
    }
}

/// A view of all trees inside one transaction.
pub(crate) struct Tx<'a> {
    views: &'a [TransactionalTree],
    crypto: &'a Crypto,
    touched: &'a Cell<u64>,
}

impl<'a> Tx<'a> {
    /// The tree's transactional view, for values stored in clear (ids, counters, audit).
    pub(crate) fn raw(&self, id: TreeId) -> &'a TransactionalTree {
        self.touched.set(self.touched.get() | id.bit());
        &self.views[id.index()]
    }

    pub(crate) fn encrypted(&self, id: TreeId) -> TxTree<'a> {
        TxTree {
            id,
            view: self.raw(id),
            crypto: self.crypto,
        }
    }

    pub(crate) fn crypto(&self) -> &'a Crypto {
        self.crypto
    }
}

/// One encrypted tree inside a transaction.
pub(crate) struct TxTree<'a> {
    id: TreeId,
    view: &'a TransactionalTree,
    crypto: &'a Crypto,
}

impl TxTree<'_> {
    pub(crate) fn get<T: DeserializeOwned>(&self, key: &[u8]) -> TxResult<Option<T>> {
        match self.view.get(key)? {
            Some(sealed) => unseal(self.crypto, self.id, key, &sealed)
                .map(Some)
                .map_err(abort),
            None => Ok(None),
        }
    }

    pub(crate) fn insert<T: Serialize>(&self, key: &[u8], value: &T) -> TxResult<()> {
        let sealed = seal(self.crypto, self.id, key, value).map_err(abort)?;
        self.view.insert(key, sealed)?;
        Ok(())
    }

    pub(crate) fn contains_key(&self, key: &[u8]) -> TxResult<bool> {
        Ok(self.view.get(key)?.is_some())
    }
}

/// One encrypted tree outside transactions (reads, single-record writes, migrations).
pub(crate) struct EncryptedTree<'a> {
    id: TreeId,
    tree: &'a sled::Tree,
    crypto: &'a Crypto,
}

impl EncryptedTree<'_> {
    pub(crate) fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.tree.get(key)? {
            Some(sealed) => unseal(self.crypto, self.id, key, &sealed).map(Some),
            None => Ok(None),
        }
    }

    /// Decoded records in key order, starting at the first key.
    pub(crate) fn iter<T: DeserializeOwned>(
        &self,
    ) -> impl Iterator<Item = Result<(sled::IVec, T), StoreError>> + '_ {
        self.tree.iter().map(move |entry| {
            let (key, sealed) = entry?;
            let value = unseal(self.crypto, self.id, &key, &sealed)?;
            Ok((key, value))
        })
    }
}

/// Serialises and seals `value` for record `key` of tree `id`. The clear JSON is wiped after use.
pub(crate) fn seal<T: Serialize>(
    crypto: &Crypto,
    id: TreeId,
    key: &[u8],
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    let plain =
        Zeroizing::new(serde_json::to_vec(value).map_err(|e| {
            StoreError::Encode(format!("{} record: {:?}", id.name(), e.classify()))
        })?);
    crypto
        .seal(id.name(), key, &plain)
        .map_err(|_| StoreError::Encode(format!("{} record too large to encrypt", id.name())))
}

/// Opens and deserialises a value sealed by [`seal`]. Errors name the tree and key, never the
/// content: serde's own messages may quote stored values, which may be health data.
pub(crate) fn unseal<T: DeserializeOwned>(
    crypto: &Crypto,
    id: TreeId,
    key: &[u8],
    sealed: &[u8],
) -> Result<T, StoreError> {
    let plain = crypto
        .open(id.name(), key, sealed)
        .map_err(|e| StoreError::Corrupt(format!("{}/{}: {e}", id.name(), hex::encode(key))))?;
    serde_json::from_slice(&plain).map_err(|e| {
        StoreError::Corrupt(format!(
            "{}/{}: does not decode ({:?} error at line {} column {})",
            id.name(),
            hex::encode(key),
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}
