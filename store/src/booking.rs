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
use teleconsult_core::ids::{AppointmentId, PractitionerId};
use teleconsult_core::notification::Notification;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::schedule::Schedule;

use crate::error::StoreError;
use crate::repo::{EMAIL, NATIONAL_ID, email_index, national_id_index};
use crate::store::Store;
use crate::tree::{TreeId, Tx, TxResult, abort};
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

/// Everything a booking writes besides the audit record.
#[derive(Clone, Copy, Debug)]
pub struct Booking<'a> {
    pub appointment: &'a Appointment,
    /// A relative booked for the first time: a patient record of their own (no account),
    /// unique by national id like every patient.
    pub new_relative: Option<&'a Patient>,
    /// The booker's account, when it changes (a new relative in its list).
    pub booker: Option<&'a Account>,
    pub notifications: &'a [Notification],
    pub reminders: &'a [(Timestamp, Reminder)],
    pub outbox: &'a [OutboxMessage],
    /// Reads of health data done to decide this booking (the booker's and the relative's
    /// patient records, see [`Store::patient_unrecorded`]), recorded in the booking's own
    /// transaction before its creation event: one transaction per booking instead of one per
    /// read. When the booking fails, the caller records them on their own.
    pub reads: &'a [AuditEvent],
}

fn insert_relative(tx: &Tx<'_>, store: &Store, patient: &Patient) -> TxResult<()> {
    let crypto = &store.inner().crypto;
    let by_national_id = national_id_index(crypto, patient.country, &patient.national_id);
    let national_ids = tx.raw(TreeId::PatientsByNationalId);
    if national_ids.get(by_national_id)?.is_some() {
        return Err(abort(StoreError::AlreadyExists(NATIONAL_ID)));
    }
    national_ids.insert(&by_national_id, patient.id.as_bytes())?;
    if !patient.email.is_empty() {
        let by_email = email_index(crypto, &patient.email);
        let emails = tx.raw(TreeId::PatientsByEmail);
        if emails.get(by_email)?.is_some() {
            return Err(abort(StoreError::AlreadyExists(EMAIL)));
        }
        emails.insert(&by_email, patient.id.as_bytes())?;
    }
    tx.encrypted(TreeId::Patients)
        .insert(patient.id.as_bytes(), patient)
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

    pub fn schedule(&self, practitioner: PractitionerId) -> Result<Option<Schedule>, StoreError> {
        self.inner()
            .encrypted(TreeId::Schedules)
            .get(practitioner.as_bytes())
    }

    /// Starts of the booked slots of `practitioner` in `[from, to)`.
    pub fn booked_starts(
        &self,
        practitioner: PractitionerId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeSet<Timestamp>, StoreError> {
        let tree = self.inner().trees.raw(TreeId::BookedSlots);
        let mut starts = BTreeSet::new();
        for entry in tree.range(slot_key(practitioner, from)..slot_key(practitioner, to)) {
            let (key, _) = entry?;
            if let Some(start) = time_from_key(&key[16..]) {
                starts.insert(start);
            }
        }
        Ok(starts)
    }

    /// Books: fails with [`StoreError::SlotTaken`] when the slot already has a booking (then
    /// nothing is written), `AlreadyExists` when a new relative's national id is registered.
    pub fn book(&self, booking: Booking<'_>, event: &AuditEvent) -> Result<(), StoreError> {
        let a = booking.appointment;
        let slot = slot_key(a.practitioner, a.start);
        self.inner().transact_durably(|tx| {
            let slots = tx.raw(TreeId::BookedSlots);
            if slots.get(slot)?.is_some() {
                return Err(abort(StoreError::SlotTaken));
            }
            slots.insert(&slot, a.id.as_bytes())?;
            tx.encrypted(TreeId::Appointments)
                .insert(a.id.as_bytes(), a)?;
            if let Some(relative) = booking.new_relative {
                insert_relative(tx, self, relative)?;
            }
            if let Some(account) = booking.booker {
                tx.encrypted(TreeId::Accounts)
                    .insert(account.id.as_bytes(), account)?;
            }
            for n in booking.notifications {
                notifications::enqueue(tx, n)?;
            }
            let reminders = tx.encrypted(TreeId::Reminders);
            for (index, (due, reminder)) in booking.reminders.iter().enumerate() {
                let index = u8::try_from(index)
                    .map_err(|_| abort(StoreError::Encode("too many reminders".into())))?;
                reminders.insert(&reminder_key(*due, a.id, index), reminder)?;
            }
            for message in booking.outbox {
                outbox::enqueue(tx, message, event.at)?;
            }
            for read in booking.reads {
                audit::append(tx, read)?;
            }
            audit::append(tx, event)?;
            Ok(())
        })
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
        let tree = self.inner().trees.raw(TreeId::Reminders);
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
