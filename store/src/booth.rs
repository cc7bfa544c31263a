//! Booth sessions (tree `booth_sessions`) and walk-ins (patient records registered at the
//! counter). Core's `booth.rs` holds the rules; `teleconsult-app` the use cases.
//!
//! | key                    | value                                                   |
//! |------------------------|---------------------------------------------------------|
//! | `session/` ‖ session id | sealed [`BoothSession`] (kept after it ends: the history) |
//! | `cabin`                | the id of the open session holding the cabin (absent: free) |
//!
//! **One cabin, one session.** A session that opens checks and sets `cabin` in its own
//! transaction (a queued start, a booking from the cabin, a walk-in called from the counter);
//! its end clears it in the transaction that ends it. Two counters starting a session at once:
//! one gets the cabin, the other `CabinBusy`.

use teleconsult_core::Timestamp;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::booth::{BoothSession, BoothSessionId, BoothState};
use teleconsult_core::ids::PatientId;
use teleconsult_core::national_id::Country;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::booth::{CounterConsents, DecideEnd, KnownEvent, SessionEnd, WalkIn};
use teleconsult_core::queue::{QueueEntry, QueueEntryId};

use crate::error::StoreError;
use crate::repo::{decode_patient_id, insert_patient_indexes, national_id_index};
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort};
use crate::{audit, booking, queue};

const SESSION: &[u8] = b"session/";
const CABIN: &[u8] = b"cabin";

fn session_key(id: BoothSessionId) -> Vec<u8> {
    let mut key = Vec::with_capacity(SESSION.len() + 16);
    key.extend_from_slice(SESSION);
    key.extend_from_slice(id.as_bytes());
    key
}

fn session_id(value: &[u8]) -> Result<BoothSessionId, StoreError> {
    <[u8; 16]>::try_from(value)
        .map(|b| BoothSessionId::from_uuid(uuid::Uuid::from_bytes(b)))
        .map_err(|_| StoreError::Corrupt("booth_sessions/cabin: not a session id".into()))
}

/// The open session holding the cabin.
pub(crate) fn cabin_holder(tx: &Tx<'_>) -> TxResult<Option<BoothSessionId>> {
    tx.raw(TreeId::BoothSessions)
        .get(CABIN)?
        .map(|v| session_id(&v))
        .transpose()
        .map_err(abort)
}

pub(crate) fn read_session(tx: &Tx<'_>, id: BoothSessionId) -> TxResult<Option<BoothSession>> {
    tx.encrypted(TreeId::BoothSessions).get(&session_key(id))
}

/// Whether session `id` is stored, open and waiting with `entry`.
pub(crate) fn waits_with(tx: &Tx<'_>, id: BoothSessionId, entry: QueueEntryId) -> TxResult<bool> {
    Ok(read_session(tx, id)?.is_some_and(|s| s.state == BoothState::Queued { entry }))
}

/// Writes `session`; `opens`: it takes the cabin (checked free by the caller). An ended
/// session frees the cabin if it held it.
pub(crate) fn write_session(tx: &Tx<'_>, session: &BoothSession, opens: bool) -> TxResult<()> {
    tx.encrypted(TreeId::BoothSessions)
        .insert(&session_key(session.id), session)?;
    let raw = tx.raw(TreeId::BoothSessions);
    if opens {
        raw.insert(CABIN, &session.id.as_bytes()[..])?;
    } else if !session.is_open() && cabin_holder(tx)? == Some(session.id) {
        raw.remove(CABIN)?;
    }
    Ok(())
}

impl Store {
    /// The open session holding the cabin.
    pub fn cabin(&self) -> Result<Option<BoothSessionId>, StoreError> {
        let Some(value) = self.inner().trees.raw(TreeId::BoothSessions).get(CABIN)? else {
            return Ok(None);
        };
        session_id(&value).map(Some)
    }

    pub fn booth_session(&self, id: BoothSessionId) -> Result<Option<BoothSession>, StoreError> {
        self.inner()
            .encrypted(TreeId::BoothSessions)
            .get(&session_key(id))
    }

    /// Every session of `patient` (for erasure and exports), oldest first.
    pub fn booth_sessions_of(&self, patient: PatientId) -> Result<Vec<BoothSession>, StoreError> {
        let inner = self.inner();
        let mut sessions = Vec::new();
        for item in inner.trees.raw(TreeId::BoothSessions).scan_prefix(SESSION) {
            let (key, sealed) = item?;
            let session: BoothSession =
                crate::tree::unseal(&inner.crypto, TreeId::BoothSessions, &key, &sealed)?;
            if session.patient == patient {
                sessions.push(session);
            }
        }
        sessions.sort_by_key(|s| (s.started_at, s.id));
        Ok(sessions)
    }

    /// The sessions that ended at or after `since`, the latest end first. A scan of the
    /// sessions (a booth has tens a day; no index is kept, as for a patient's sessions).
    pub fn booth_sessions_ended_since(
        &self,
        since: Timestamp,
    ) -> Result<Vec<BoothSession>, StoreError> {
        let inner = self.inner();
        let mut sessions = Vec::new();
        for item in inner.trees.raw(TreeId::BoothSessions).scan_prefix(SESSION) {
            let (key, sealed) = item?;
            let session: BoothSession =
                crate::tree::unseal(&inner.crypto, TreeId::BoothSessions, &key, &sealed)?;
            if let BoothState::Ended { at, .. } = session.state
                && at >= since
            {
                sessions.push((at, session));
            }
        }
        sessions.sort_by(|(a, x), (b, y)| (b, y.id).cmp(&(a, x.id)));
        Ok(sessions.into_iter().map(|(_, s)| s).collect())
    }

    /// Starts `session` (waiting) with its queue `entry`, in one transaction: `CabinBusy` when
    /// an open session holds the cabin, `AlreadyExists` when the patient already waits.
    pub fn start_waiting(
        &self,
        session: &BoothSession,
        entry: &QueueEntry,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.inner().transact_durably(|tx| {
            if let Some(open) = cabin_holder(tx)? {
                return Err(abort(StoreError::CabinBusy(open)));
            }
            queue::insert_entry(tx, entry)?.map_err(abort)?;
            write_session(tx, session, true)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// Ends session `id` as `decide` says from the session and its appointment as stored, in
    /// one transaction: the session (the cabin freed), its queue entry removed, its
    /// appointment's change (a cancellation frees the slot), `event` recorded. `None`:
    /// `decide` said nothing ends.
    pub fn end_session(
        &self,
        id: BoothSessionId,
        decide: &DecideEnd<'_>,
        event: &AuditEvent,
    ) -> Result<Option<SessionEnd>, StoreError> {
        let ended = self.inner().transact(|tx| {
            let Some(current) = read_session(tx, id)? else {
                return Err(abort(StoreError::NotFound("booth session")));
            };
            let appointment: Option<Appointment> = match current.appointment() {
                Some(a) => tx.encrypted(TreeId::Appointments).get(a.as_bytes())?,
                None => None,
            };
            let Some(end) = decide(&current, appointment.as_ref()) else {
                return Ok(None);
            };
            if end.session.id != id || end.session.is_open() {
                return Err(abort(StoreError::Encode(
                    "a session's end must end that session".into(),
                )));
            }
            if let Some(entry) = current.entry() {
                queue::remove_entry(tx, entry)?;
            }
            write_session(tx, &end.session, false)?;
            if let (Some(change), Some(stored)) = (&end.appointment, &appointment) {
                booking::write_change(
                    tx,
                    stored,
                    &change.next,
                    &change.notifications,
                    &change.outbox,
                    event.at,
                )?;
            }
            audit::append(tx, event)?;
            Ok(Some(end))
        })?;
        // Nothing written (the daemon's sweeper asks often): nothing to flush.
        if ended.is_some() {
            self.inner().flush()?;
        }
        Ok(ended)
    }

    /// Records activity in open session `id` at `at` (a join, a device check): its idle time
    /// starts again. Nothing for an ended session.
    pub fn touch_booth_session(&self, id: BoothSessionId, at: Timestamp) -> Result<(), StoreError> {
        self.inner().transact(|tx| {
            match read_session(tx, id)? {
                Some(mut s) if s.is_open() && s.last_activity < at => {
                    s.last_activity = at;
                    tx.encrypted(TreeId::BoothSessions)
                        .insert(&session_key(id), &s)?;
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// The patient registered with this national id, the read recorded.
    pub fn patient_by_national_id(
        &self,
        country: Country,
        national_id: &str,
        event: &AuditEvent,
    ) -> Result<Option<Patient>, StoreError> {
        let index = national_id_index(&self.inner().crypto, country, national_id);
        self.inner().transact(|tx| {
            let found = match tx.raw(TreeId::PatientsByNationalId).get(index)? {
                Some(id) => {
                    let id = decode_patient_id(TreeId::PatientsByNationalId, &id).map_err(abort)?;
                    tx.encrypted(TreeId::Patients).get(id.as_bytes())?
                }
                None => None,
            };
            audit::append(tx, event)?;
            Ok(found)
        })
    }

    /// Registers a walk-in in one transaction (see the booth port): a new record without
    /// e-mail or account when the national id is free, else the registered patient with the
    /// counter's consents added.
    pub fn register_walk_in(
        &self,
        walk_in: &Patient,
        counter_consents: &CounterConsents<'_>,
        created: &AuditEvent,
        known: &KnownEvent<'_>,
    ) -> Result<WalkIn, StoreError> {
        let index = national_id_index(&self.inner().crypto, walk_in.country, &walk_in.national_id);
        self.inner().transact_durably(|tx| {
            let patients = tx.encrypted(TreeId::Patients);
            if let Some(id) = tx.raw(TreeId::PatientsByNationalId).get(index)? {
                let id = decode_patient_id(TreeId::PatientsByNationalId, &id).map_err(abort)?;
                let Some(mut patient) = patients.get::<Patient>(id.as_bytes())? else {
                    return Err(abort(StoreError::Corrupt(
                        "patients_by_national_id points at no patient".into(),
                    )));
                };
                let added = counter_consents(&patient.consents);
                if !added.is_empty() {
                    patient.consents.extend(added);
                    patients.insert(id.as_bytes(), &patient)?;
                }
                audit::append(tx, &known(&patient))?;
                return Ok(WalkIn::Known(patient));
            }
            if patients.contains_key(walk_in.id.as_bytes())? {
                return Err(abort(StoreError::AlreadyExists("patient")));
            }
            patients.insert(walk_in.id.as_bytes(), walk_in)?;
            // A walk-in has no e-mail address: only the national id is unique.
            insert_patient_indexes(tx, &index, None, walk_in.id.as_bytes())?;
            audit::append(tx, created)?;
            Ok(WalkIn::Registered(walk_in.clone()))
        })
    }
}
