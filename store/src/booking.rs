//! Schedules, appointments, the one-booking-per-slot index and reminders.
//!
//! A booking is one transaction: the slot index entry (its absence is the uniqueness check),
//! the appointment, a new relative's patient record and the booker's account when it changes,
//! the confirmation notifications, the reminders, the outbox messages for the platform and the
//! audit record. Either all of it is durable, or none.

use std::collections::BTreeSet;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Account;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::booking::Reminder;
use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use teleconsult_core::notification::Notification;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::schedule::Schedule;

use crate::error::StoreError;
use crate::repo::{email_index, insert_patient_indexes, national_id_index, taken_patient_index};
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort, seal};
use crate::writer::{Pending, Work};
use crate::{audit, notifications, outbox};

/// Orders instants as bytes: seconds since the epoch, sign bit flipped, big-endian.
fn time_key(t: Timestamp) -> [u8; 8] {
    (t.as_second() as u64 ^ (1 << 63)).to_be_bytes()
}

fn time_from_key(bytes: &[u8]) -> Option<Timestamp> {
    let raw = u64::from_be_bytes(bytes.try_into().ok()?);
    Timestamp::from_second((raw ^ (1 << 63)) as i64).ok()
}

pub(crate) fn slot_key(practitioner: PractitionerId, start: Timestamp) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(practitioner.as_bytes());
    key[16..].copy_from_slice(&time_key(start));
    key
}

fn reminder_key(due: Timestamp, appointment: AppointmentId, index: u8) -> [u8; 25] {
    let mut key = [0u8; 25];
    key[..8].copy_from_slice(&time_key(due));
    key[8..24].copy_from_slice(appointment.as_bytes());
    key[24] = index;
    key
}

/// Everything a booking writes besides the audit record. The messages are owned: they move
/// to the store's writer as they are.
#[derive(Clone, Debug)]
pub struct Booking<'a> {
    pub appointment: &'a Appointment,
    /// A relative booked for the first time: a patient record of their own (no account),
    /// unique by national id like every patient.
    pub new_relative: Option<&'a Patient>,
    /// The booker's account, when it changes (a new relative in its list).
    pub booker: Option<&'a Account>,
    pub notifications: Vec<Notification>,
    pub reminders: &'a [(Timestamp, Reminder)],
    pub outbox: Vec<OutboxMessage>,
    /// Reads of health data done to decide this booking (the booker's and the relative's
    /// patient records, see [`Store::patient_unrecorded`]), recorded in the booking's own
    /// transaction before its creation event: one transaction per booking instead of one per
    /// read. They are recorded too when the booking is refused (`SlotTaken`,
    /// `AlreadyExists`); when [`Store::book`] fails otherwise, or is not reached, the caller
    /// records them on its own.
    pub reads: &'a [AuditEvent],
}

/// A relative's patient record, sealed, with its blind indexes.
struct SealedRelative {
    id: PatientId,
    national_id: [u8; 32],
    email: Option<[u8; 32]>,
    sealed: Vec<u8>,
}

/// A booking ready for the writer: every record whose key is known sealed beforehand (the
/// transaction then holds sled's lock only to check and write), the rest owned.
struct BookJob {
    slot: [u8; 24],
    appointment: AppointmentId,
    sealed_appointment: Vec<u8>,
    relative: Option<SealedRelative>,
    booker: Option<(AccountId, Vec<u8>)>,
    notifications: Vec<Notification>,
    reminders: Vec<([u8; 25], Vec<u8>)>,
    outbox: Vec<OutboxMessage>,
    reads: Vec<AuditEvent>,
    event: AuditEvent,
}

impl BookJob {
    fn new(store: &Store, booking: Booking<'_>, event: &AuditEvent) -> Result<Self, StoreError> {
        let crypto = &store.shared().crypto;
        let a = booking.appointment;
        let relative = booking
            .new_relative
            .map(|patient| {
                Ok::<_, StoreError>(SealedRelative {
                    id: patient.id,
                    national_id: national_id_index(crypto, patient.country, &patient.national_id),
                    email: (!patient.email.is_empty()).then(|| email_index(crypto, &patient.email)),
                    sealed: seal(crypto, TreeId::Patients, patient.id.as_bytes(), patient)?,
                })
            })
            .transpose()?;
        let booker = booking
            .booker
            .map(|account| {
                seal(crypto, TreeId::Accounts, account.id.as_bytes(), account)
                    .map(|sealed| (account.id, sealed))
            })
            .transpose()?;
        let reminders = booking
            .reminders
            .iter()
            .enumerate()
            .map(|(index, (due, reminder))| {
                let index = u8::try_from(index)
                    .map_err(|_| StoreError::Encode("too many reminders".into()))?;
                let key = reminder_key(*due, a.id, index);
                Ok((key, seal(crypto, TreeId::Reminders, &key, reminder)?))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(BookJob {
            slot: slot_key(a.practitioner, a.start),
            appointment: a.id,
            sealed_appointment: seal(crypto, TreeId::Appointments, a.id.as_bytes(), a)?,
            relative,
            booker,
            notifications: booking.notifications,
            reminders,
            outbox: booking.outbox,
            reads: booking.reads.to_vec(),
            event: event.clone(),
        })
    }

    /// Whether the booking can be written: its slot is free, and a new relative's national id
    /// and e-mail address are not registered.
    fn check(&self, tx: &Tx<'_>) -> TxResult<Result<(), StoreError>> {
        if tx.raw(TreeId::BookedSlots).get(self.slot)?.is_some() {
            return Ok(Err(StoreError::SlotTaken));
        }
        if let Some(relative) = &self.relative
            && let Some(taken) =
                taken_patient_index(tx, &relative.national_id, relative.email.as_ref())?
        {
            return Ok(Err(StoreError::AlreadyExists(taken)));
        }
        Ok(Ok(()))
    }
}

impl Work for BookJob {
    fn apply(&self, tx: &Tx<'_>) -> TxResult<Result<(), StoreError>> {
        if let Err(refusal) = self.check(tx)? {
            return Ok(Err(refusal));
        }
        let id = self.appointment.as_bytes();
        tx.raw(TreeId::BookedSlots).insert(&self.slot, id)?;
        tx.raw(TreeId::Appointments)
            .insert(id, self.sealed_appointment.as_slice())?;
        if let Some(relative) = &self.relative {
            let patient = relative.id.as_bytes();
            insert_patient_indexes(tx, &relative.national_id, relative.email.as_ref(), patient)?;
            tx.raw(TreeId::Patients)
                .insert(patient, relative.sealed.as_slice())?;
        }
        if let Some((account, sealed)) = &self.booker {
            tx.raw(TreeId::Accounts)
                .insert(account.as_bytes(), sealed.as_slice())?;
        }
        for n in &self.notifications {
            notifications::enqueue(tx, n)?;
        }
        let reminders = tx.raw(TreeId::Reminders);
        for (key, sealed) in &self.reminders {
            reminders.insert(key, sealed.as_slice())?;
        }
        for message in &self.outbox {
            outbox::enqueue(tx, message, self.event.at)?;
        }
        Ok(Ok(()))
    }

    fn audit(&self, applied: bool) -> Vec<&AuditEvent> {
        let mut events: Vec<&AuditEvent> = self.reads.iter().collect();
        if applied {
            events.push(&self.event);
        }
        events
    }
}

impl Store {
    pub fn set_schedule(
        &self,
        practitioner: PractitionerId,
        schedule: &Schedule,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.inner().transact_durably(|tx| {
            tx.encrypted(TreeId::Schedules)
                .insert(practitioner.as_bytes(), schedule)?;
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// From memory when read before and unchanged since (see `kept.rs`).
    pub fn schedule(&self, practitioner: PractitionerId) -> Result<Option<Schedule>, StoreError> {
        let inner = self.inner();
        inner.kept_get(
            &inner.schedules,
            TreeId::Schedules,
            practitioner,
            practitioner.as_bytes(),
        )
    }

    /// Starts of the booked slots of `practitioner` in `[from, to)`.
    pub fn booked_starts(
        &self,
        practitioner: PractitionerId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeSet<Timestamp>, StoreError> {
        let inner = self.inner();
        let tree = inner.trees.raw(TreeId::BookedSlots);
        let mut starts = BTreeSet::new();
        for entry in tree.range(slot_key(practitioner, from)..slot_key(practitioner, to)) {
            let (key, _) = entry?;
            if let Some(start) = time_from_key(&key[16..]) {
                starts.insert(start);
            }
        }
        Ok(starts)
    }

    /// Books: fails with [`StoreError::SlotTaken`] when the slot already has a booking,
    /// `AlreadyExists` when a new relative's national id or e-mail address is registered; then
    /// nothing is written but the reads ([`Booking::reads`]), which are recorded either way.
    /// Bookings are applied in batches by the store's writer thread (see `writer.rs`).
    pub fn book(&self, booking: Booking<'_>, event: &AuditEvent) -> Result<(), StoreError> {
        let job = BookJob::new(self, booking, event)?;
        self.inner().writer.apply(job)
    }

    /// Like [`Store::book`], for async code: seals the records and queues the booking (this
    /// part blocks briefly on the CPU, not on the disk), then the returned [`Pending`] resolves
    /// with the outcome once the booking's batch is flushed — no thread waits for it.
    pub fn book_queued(
        &self,
        booking: Booking<'_>,
        event: &AuditEvent,
    ) -> Result<Pending, StoreError> {
        let job = BookJob::new(self, booking, event)?;
        // On the request task: never wait for a re-open of the database.
        self.try_inner()
            .ok_or_else(|| StoreError::Busy("the store is being re-opened".into()))?
            .writer
            .submit_async(job)
    }

    /// Reads an appointment, recording the access.
    pub fn appointment(
        &self,
        id: AppointmentId,
        event: &AuditEvent,
    ) -> Result<Option<Appointment>, StoreError> {
        self.inner().transact(|tx| {
            let appointment = tx.encrypted(TreeId::Appointments).get(id.as_bytes())?;
            audit::append(tx, event)?;
            Ok(appointment)
        })
    }

    /// Appointments matching `keep`, ordered by start, recording the access (one event for the
    /// list).
    pub fn appointments(
        &self,
        keep: impl Fn(&Appointment) -> bool,
        event: &AuditEvent,
    ) -> Result<Vec<Appointment>, StoreError> {
        let mut all = Vec::new();
        for entry in self
            .inner()
            .encrypted(TreeId::Appointments)
            .iter::<Appointment>()
        {
            let (_, appointment) = entry?;
            if keep(&appointment) {
                all.push(appointment);
            }
        }
        all.sort_by_key(|a| (a.start, a.id));
        self.inner()
            .transact_durably(|tx| audit::append(tx, event).map(drop))?;
        Ok(all)
    }

    /// Saves a changed appointment (e.g. cancelled) with its notifications and outbox messages;
    /// `free_slot` releases its slot for others.
    pub fn update_appointment(
        &self,
        appointment: &Appointment,
        free_slot: bool,
        notifications: &[Notification],
        outbox: &[OutboxMessage],
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let slot = slot_key(appointment.practitioner, appointment.start);
        self.inner().transact_durably(|tx| {
            let appointments = tx.encrypted(TreeId::Appointments);
            if !appointments.contains_key(appointment.id.as_bytes())? {
                return Err(abort(StoreError::NotFound("appointment")));
            }
            appointments.insert(appointment.id.as_bytes(), appointment)?;
            if free_slot {
                let slots = tx.raw(TreeId::BookedSlots);
                // Only this appointment's own booking is released.
                if slots
                    .get(slot)?
                    .is_some_and(|id| id.as_ref() == appointment.id.as_bytes())
                {
                    slots.remove(&slot)?;
                }
            }
            for n in notifications {
                notifications::enqueue(tx, n)?;
            }
            for message in outbox {
                outbox::enqueue(tx, message, event.at)?;
            }
            audit::append(tx, event)?;
            Ok(())
        })
    }

    /// Reminders due at `now`, earliest first, with their keys.
    pub fn due_reminders(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Reminder)>, StoreError> {
        let inner = self.inner();
        let tree = inner.trees.raw(TreeId::Reminders);
        let end = time_key(now);
        let mut due = Vec::new();
        for entry in tree.iter().take(limit) {
            let (key, sealed) = entry?;
            if key.len() < 8 || key[..8] > end[..] {
                // Keys are ordered by due time: everything after this is later.
                break;
            }
            let reminder =
                crate::tree::unseal(&self.inner().crypto, TreeId::Reminders, &key, &sealed)?;
            due.push((key.to_vec(), reminder));
        }
        Ok(due)
    }

    /// Sends a reminder exactly once: removes it and queues its messages in one transaction.
    /// Returns false when it was already gone (fired or dropped by a concurrent worker).
    pub fn fire_reminder(&self, key: &[u8], messages: &[Notification]) -> Result<bool, StoreError> {
        self.inner().transact_durably(|tx| {
            if tx.raw(TreeId::Reminders).remove(key)?.is_none() {
                return Ok(false);
            }
            for n in messages {
                notifications::enqueue(tx, n)?;
            }
            Ok(true)
        })
    }

    /// Number of reminders waiting.
    pub fn reminders_pending(&self) -> Result<u64, StoreError> {
        Ok(self.inner().trees.raw(TreeId::Reminders).len() as u64)
    }
}
