//! Schedules, appointments, the one-booking-per-slot index and reminders.
//!
//! A booking is one transaction: the slot index entry (its absence is the uniqueness check),
//! the booker's open appointments (the quota, see `quotas.rs`), the appointment, a new
//! relative's patient record and its place in the booker's account, the confirmation
//! notifications, the reminders, the outbox messages for the platform and the audit record.
//! Either all of it is durable, or none. A change of an appointment (join, call, cancel) is
//! decided from the record as stored, inside its transaction ([`Store::change_appointment`]).

use std::collections::BTreeSet;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Account;
use teleconsult_core::appointment::{Appointment, Status};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::booking::Reminder;
use teleconsult_core::booth::BoothSession;
use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use teleconsult_core::notification::Notification;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::booking::BookingWrite;
use teleconsult_core::queue::QueueEntryId;
use teleconsult_core::schedule::Schedule;

use crate::error::StoreError;
use crate::repo::{email_index, insert_patient_indexes, national_id_index, taken_patient_index};
use crate::store::{Inner, Store};
use crate::tree::{TreeId, Tx, TxResult, abort, seal};
use crate::writer::{Pending, Work};
use crate::{audit, notifications, outbox, queue, quotas};

/// Orders instants as bytes: seconds since the epoch, sign bit flipped, big-endian.
pub(crate) fn time_key(t: Timestamp) -> [u8; 8] {
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
    /// unique by national id like every patient, added to the booking account's relatives
    /// (the account as stored at that moment: bookings in parallel each add theirs).
    pub new_relative: Option<&'a Patient>,
    /// The most open future appointments the booking account may hold, this one included
    /// (`None`: no limit); counted inside the booking's transaction, so parallel bookings
    /// cannot pass it. Refused with [`StoreError::QuotaExceeded`].
    pub open_limit: Option<u32>,
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

pub use teleconsult_core::ports::AppointmentChange;

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
    booker: AccountId,
    start: Timestamp,
    open_limit: Option<u32>,
    /// The booker's open-appointment entries that have started, found by the writer before
    /// the batch's transaction (see `quotas.rs`).
    started: std::sync::OnceLock<Vec<sled::IVec>>,
    notifications: Vec<Notification>,
    reminders: Vec<([u8; 25], Vec<u8>)>,
    outbox: Vec<OutboxMessage>,
    reads: Vec<AuditEvent>,
    event: AuditEvent,
    /// A queue entry the booking ends (an accepted slot offer).
    ends_entry: Option<QueueEntryId>,
    /// The booth session of a booking made from the cabin, sealed.
    booth: Option<SealedSession>,
}

/// A booth session written with a booking from the cabin (see [`AtTheBooth`]).
struct SealedSession {
    session: BoothSession,
    opens: bool,
}

impl BookJob {
    /// A booking through the booking port (`teleconsult-app`): the same job as
    /// [`Store::book`]'s, with the queue entry it ends and the booth session it books.
    fn from_write(store: &Store, write: BookingWrite) -> Result<Self, StoreError> {
        let booking = Booking {
            appointment: &write.appointment,
            new_relative: write.new_relative.as_ref(),
            open_limit: write.open_limit,
            notifications: write.notifications,
            reminders: &write.reminders,
            outbox: write.outbox,
            reads: &write.reads,
        };
        let mut job = BookJob::new(store, booking, &write.audit)?;
        job.ends_entry = write.ends_entry;
        job.booth = write.booth.map(|b| SealedSession {
            session: b.session,
            opens: b.opens,
        });
        Ok(job)
    }

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
            booker: a.booked_by,
            start: a.start,
            open_limit: booking.open_limit,
            started: std::sync::OnceLock::new(),
            notifications: booking.notifications,
            reminders,
            outbox: booking.outbox,
            reads: booking.reads.to_vec(),
            event: event.clone(),
            ends_entry: None,
            booth: None,
        })
    }

    /// Whether the booking can be written: its slot is free and a new relative's national id
    /// and e-mail address are not registered; gives the booker's account with the new
    /// relative. Reads only.
    fn check(&self, tx: &Tx<'_>) -> TxResult<Result<Option<Account>, StoreError>> {
        if tx.raw(TreeId::BookedSlots).get(self.slot)?.is_some() {
            return Ok(Err(StoreError::SlotTaken));
        }
        if let Some(entry) = self.ends_entry
            && !queue::is_waiting(tx, entry)?
        {
            return Ok(Err(StoreError::NotFound(queue::WAITING)));
        }
        if let Some(booth) = &self.booth {
            if booth.opens {
                if let Some(open) = crate::booth::cabin_holder(tx)? {
                    return Ok(Err(StoreError::CabinBusy(open)));
                }
            } else {
                let waits = match self.ends_entry {
                    Some(entry) => crate::booth::waits_with(tx, booth.session.id, entry)?,
                    None => false,
                };
                if !waits {
                    return Ok(Err(StoreError::NotFound("booth session")));
                }
            }
        }
        let Some(relative) = &self.relative else {
            return Ok(Ok(None));
        };
        if let Some(taken) =
            taken_patient_index(tx, &relative.national_id, relative.email.as_ref())?
        {
            return Ok(Err(StoreError::AlreadyExists(taken)));
        }
        let Some(mut booker) = tx
            .encrypted(TreeId::Accounts)
            .get::<Account>(self.booker.as_bytes())?
        else {
            return Ok(Err(StoreError::NotFound("account")));
        };
        if !booker.relatives.contains(&relative.id) {
            booker.relatives.push(relative.id);
        }
        Ok(Ok(Some(booker)))
    }
}

impl Work for BookJob {
    fn prepare(&self, inner: &Inner) -> Result<(), StoreError> {
        let started = quotas::started_open_entries(inner, self.booker, self.event.at)?;
        let _ = self.started.set(started);
        Ok(())
    }

    fn apply(&self, tx: &Tx<'_>) -> TxResult<Result<(), StoreError>> {
        let booker = match self.check(tx)? {
            Ok(booker) => booker,
            Err(refusal) => return Ok(Err(refusal)),
        };
        // The quota of open appointments: its only write before a refusal is the removal of
        // entries that have started, which is true whatever becomes of this booking.
        let started = self.started.get().map_or(&[][..], Vec::as_slice);
        let limit = self.open_limit.unwrap_or(u32::MAX);
        let counted = quotas::take_open(
            tx,
            self.booker,
            self.appointment,
            self.start,
            started,
            limit,
        )?;
        if let Err(exceeded) = counted {
            return Ok(Err(StoreError::QuotaExceeded(exceeded)));
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
        if let Some(account) = &booker {
            tx.encrypted(TreeId::Accounts)
                .insert(account.id.as_bytes(), account)?;
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
        if let Some(entry) = self.ends_entry {
            queue::remove_entry(tx, entry)?;
        }
        if let Some(booth) = &self.booth {
            crate::booth::write_session(tx, &booth.session, booth.opens)?;
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

/// Writes `next` over `current` (the same appointment as stored) with its notifications and
/// outbox messages: a cancellation frees its own slot, a closed appointment leaves its
/// booker's open appointments.
pub(crate) fn write_change(
    tx: &Tx<'_>,
    current: &Appointment,
    next: &Appointment,
    notifications: &[Notification],
    outbox: &[OutboxMessage],
    at: Timestamp,
) -> TxResult<()> {
    let id = current.id;
    tx.encrypted(TreeId::Appointments)
        .insert(id.as_bytes(), next)?;
    let cancelled = |a: &Appointment| matches!(a.status, Status::Cancelled { .. });
    if cancelled(next) && !cancelled(current) {
        let slot = slot_key(current.practitioner, current.start);
        let slots = tx.raw(TreeId::BookedSlots);
        // Only this appointment's own booking is released.
        if slots
            .get(slot)?
            .is_some_and(|booked| booked.as_ref() == id.as_bytes())
        {
            slots.remove(&slot)?;
        }
    }
    if next.status.is_final() && !current.status.is_final() {
        quotas::close_open(tx, current)?;
    }
    for n in notifications {
        notifications::enqueue(tx, n)?;
    }
    for message in outbox {
        outbox::enqueue(tx, message, at)?;
    }
    Ok(())
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

    /// Queues a booking of the booking port (see [`BookJob::from_write`]); the returned
    /// [`Pending`] resolves once it is written or refused.
    pub fn queue_write(&self, write: BookingWrite) -> Result<Pending, StoreError> {
        let job = BookJob::from_write(self, write)?;
        self.inner().writer.submit_async(job)
    }

    /// Like [`Store::queue_write`], blocking until the booking is written or refused.
    pub fn write_now(&self, write: BookingWrite) -> Result<(), StoreError> {
        let job = BookJob::from_write(self, write)?;
        self.inner().writer.apply(job)
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

    /// Changes appointment `id` in one transaction: `change` decides from the appointment as
    /// stored at that moment (a cancellation and a join in parallel cannot undo each other)
    /// and gives the next state with its notifications and outbox messages, or `None` when
    /// nothing changes, or refuses — then nothing is written. A cancelled appointment's slot
    /// is freed (only its own booking); a closed one (cancelled, completed, missed) leaves its
    /// booker's open appointments. `change` may run more than once. `read` is recorded
    /// whatever `change` decides, `event` when something is written. Returns the appointment
    /// as saved (`None`: unchanged); `NotFound` when there is no such appointment.
    pub fn change_appointment<E>(
        &self,
        id: AppointmentId,
        change: impl Fn(&Appointment) -> Result<Option<AppointmentChange>, E>,
        read: Option<&AuditEvent>,
        event: &AuditEvent,
    ) -> Result<Result<Option<Appointment>, E>, StoreError> {
        self.inner().transact_durably(|tx| {
            let appointments = tx.encrypted(TreeId::Appointments);
            let Some(current) = appointments.get::<Appointment>(id.as_bytes())? else {
                return Err(abort(StoreError::NotFound("appointment")));
            };
            if let Some(read) = read {
                audit::append(tx, read)?;
            }
            let changed = match change(&current) {
                Ok(Some(changed)) => changed,
                Ok(None) => return Ok(Ok(None)),
                Err(refused) => return Ok(Err(refused)),
            };
            let next = changed.next;
            if next.id != current.id {
                return Err(abort(StoreError::Encode(
                    "an appointment change must keep its id".into(),
                )));
            }
            write_change(
                tx,
                &current,
                &next,
                &changed.notifications,
                &changed.outbox,
                event.at,
            )?;
            audit::append(tx, event)?;
            Ok(Ok(Some(next)))
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
