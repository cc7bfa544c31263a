//! The on-demand queue (tree `queue`) and practitioners' on-demand switches (tree
//! `availability`). Core's `queue.rs` holds the rules (who takes what, positions, the wait).
//!
//! | tree           | key                          | value                                  |
//! |----------------|------------------------------|----------------------------------------|
//! | `queue`        | `entry/` ‖ entry id          | sealed [`QueueEntry`] (reason: health data) |
//! | `queue`        | `patient/` ‖ patient id      | entry id: one waiting entry per patient |
//! | `availability` | practitioner id              | sealed [`Availability`]                |
//!
//! **Each entry is handed out once.** Which entry a practitioner takes is decided outside any
//! transaction (sled transactions cannot scan), from the entries as they are then; the take
//! itself ([`Store::take`]) is one transaction that removes the entry — refused, with nothing
//! written, when the entry is no longer there — and writes the appointment, the walk-in's booth
//! session, the audit records, outbox messages and notifications. Two practitioners racing for
//! the same entry: sled serialises their transactions; the second finds it gone and chooses
//! again. The take also reads the practitioner's on-demand switch: a switch-off committed
//! before the take's transaction refuses it (`NotOnDemand`), so no entry is handed to a
//! practitioner whose switch was off when it was handed out.

use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::PatientId;
use teleconsult_core::ports::booth::{Take, Taken};
use teleconsult_core::queue::{Availability, QueueEntry, QueueEntryId};

use crate::booth;
use crate::error::StoreError;
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort};
use crate::{audit, notifications, outbox};

const ENTRY: &[u8] = b"entry/";
const PATIENT: &[u8] = b"patient/";

/// What the uniqueness error names when a patient already waits.
pub(crate) const WAITING: &str = "queue entry";

fn prefixed(prefix: &[u8], id: &[u8; 16]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + 16);
    key.extend_from_slice(prefix);
    key.extend_from_slice(id);
    key
}

pub(crate) fn entry_key(id: QueueEntryId) -> Vec<u8> {
    prefixed(ENTRY, id.as_bytes())
}

fn patient_key(patient: PatientId) -> Vec<u8> {
    prefixed(PATIENT, patient.as_bytes())
}

fn entry_id(value: &[u8]) -> Result<QueueEntryId, StoreError> {
    <[u8; 16]>::try_from(value)
        .map(|b| QueueEntryId::from_uuid(uuid::Uuid::from_bytes(b)))
        .map_err(|_| StoreError::Corrupt("queue: patient index is not an entry id".into()))
}

/// Whether entry `id` still waits.
pub(crate) fn is_waiting(tx: &Tx<'_>, id: QueueEntryId) -> TxResult<bool> {
    Ok(tx.raw(TreeId::Queue).get(entry_key(id))?.is_some())
}

/// Puts `entry` in the queue; `AlreadyExists` (nothing written) when its patient already
/// waits.
pub(crate) fn insert_entry(tx: &Tx<'_>, entry: &QueueEntry) -> TxResult<Result<(), StoreError>> {
    let by_patient = patient_key(entry.patient);
    if tx.raw(TreeId::Queue).get(&by_patient)?.is_some() {
        return Ok(Err(StoreError::AlreadyExists(WAITING)));
    }
    tx.encrypted(TreeId::Queue)
        .insert(&entry_key(entry.id), entry)?;
    tx.raw(TreeId::Queue)
        .insert(by_patient, &entry.id.as_bytes()[..])?;
    Ok(Ok(()))
}

/// Removes entry `id` and its patient's index entry (only if it points at this entry); the
/// entry as it was, `None` when it no longer waited.
pub(crate) fn remove_entry(tx: &Tx<'_>, id: QueueEntryId) -> TxResult<Option<QueueEntry>> {
    let key = entry_key(id);
    let Some(entry) = tx.encrypted(TreeId::Queue).get::<QueueEntry>(&key)? else {
        return Ok(None);
    };
    let queue = tx.raw(TreeId::Queue);
    queue.remove(key)?;
    let by_patient = patient_key(entry.patient);
    if queue
        .get(&by_patient)?
        .is_some_and(|v| v.as_ref() == id.as_bytes())
    {
        queue.remove(by_patient)?;
    }
    Ok(Some(entry))
}

/// Removes the entry `patient` waits with (their erasure: the entry holds their reason);
/// how many records went.
pub(crate) fn remove_waiting_of(tx: &Tx<'_>, patient: PatientId) -> TxResult<u64> {
    let Some(id) = tx.raw(TreeId::Queue).get(patient_key(patient))? else {
        return Ok(0);
    };
    let id = entry_id(&id).map_err(abort)?;
    Ok(remove_entry(tx, id)?.map_or(0, |_| 2))
}

impl Store {
    /// Puts `entry` in the queue; `AlreadyExists` when its patient already waits.
    pub fn enqueue(&self, entry: &QueueEntry, event: &AuditEvent) -> Result<(), StoreError> {
        self.inner().transact_durably(|tx| {
            insert_entry(tx, entry)?.map_err(abort)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// Every waiting entry, in no particular order.
    pub fn waiting(&self) -> Result<Vec<QueueEntry>, StoreError> {
        let inner = self.inner();
        inner
            .trees
            .raw(TreeId::Queue)
            .scan_prefix(ENTRY)
            .map(|item| {
                let (key, sealed) = item?;
                crate::tree::unseal(&inner.crypto, TreeId::Queue, &key, &sealed)
            })
            .collect()
    }

    pub fn waiting_entry(&self, id: QueueEntryId) -> Result<Option<QueueEntry>, StoreError> {
        self.inner().encrypted(TreeId::Queue).get(&entry_key(id))
    }

    /// The entry `patient` waits with.
    pub fn waiting_entry_of(&self, patient: PatientId) -> Result<Option<QueueEntry>, StoreError> {
        let Some(id) = self
            .inner()
            .trees
            .raw(TreeId::Queue)
            .get(patient_key(patient))?
        else {
            return Ok(None);
        };
        self.waiting_entry(entry_id(&id)?)
    }

    /// Removes entry `id` when it waits without a booth session (a session's entry leaves
    /// with the session); the entry removed, else `None`.
    pub fn withdraw(
        &self,
        id: QueueEntryId,
        event: &AuditEvent,
    ) -> Result<Option<QueueEntry>, StoreError> {
        self.inner().transact_durably(|tx| {
            let key = entry_key(id);
            match tx.encrypted(TreeId::Queue).get::<QueueEntry>(&key)? {
                Some(entry) if entry.session.is_none() => {}
                _ => return Ok(None),
            }
            let removed = remove_entry(tx, id)?;
            audit::append(tx, event)?;
            Ok(removed)
        })
    }

    /// Hands entry `take.entry` to one practitioner, in one transaction: see the module
    /// documentation and [`Take`].
    pub fn take(&self, take: &Take) -> Result<Taken, StoreError> {
        let appointment = &take.appointment;
        self.inner().transact_durably(|tx| {
            let switch = tx
                .encrypted(TreeId::Availability)
                .get::<Availability>(appointment.practitioner.as_bytes())?;
            if !switch.is_some_and(|a| a.on_demand) {
                return Ok(Taken::NotOnDemand);
            }
            if !is_waiting(tx, take.entry)? {
                return Ok(Taken::Gone);
            }
            if let Some(booth) = &take.session {
                if booth.opens {
                    if booth::cabin_holder(tx)?.is_some() {
                        return Ok(Taken::CabinBusy);
                    }
                } else if !booth::waits_with(tx, booth.session.id, take.entry)? {
                    return Ok(Taken::Gone);
                }
            }
            remove_entry(tx, take.entry)?;
            let appointments = tx.encrypted(TreeId::Appointments);
            if appointments.contains_key(appointment.id.as_bytes())? {
                return Err(abort(StoreError::AlreadyExists("appointment")));
            }
            appointments.insert(appointment.id.as_bytes(), appointment)?;
            if let Some(booth) = &take.session {
                booth::write_session(tx, &booth.session, booth.opens)?;
            }
            for n in &take.notifications {
                notifications::enqueue(tx, n)?;
            }
            let at = take.audit.first().map_or(appointment.created_at, |e| e.at);
            for message in &take.outbox {
                outbox::enqueue(tx, message, at)?;
            }
            audit::append_all(tx, &take.audit.iter().collect::<Vec<_>>())?;
            Ok(Taken::Taken)
        })
    }

    /// Records a practitioner's on-demand switch.
    pub fn set_on_demand(
        &self,
        availability: &Availability,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.inner().transact_durably(|tx| {
            tx.encrypted(TreeId::Availability)
                .insert(availability.practitioner.as_bytes(), availability)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// Every practitioner's switch as last set.
    pub fn on_demand(&self) -> Result<Vec<Availability>, StoreError> {
        self.inner()
            .encrypted(TreeId::Availability)
            .iter::<Availability>()
            .map(|item| item.map(|(_, a)| a))
            .collect()
    }
}
