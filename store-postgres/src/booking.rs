//! The `BookingStore` port on PostgreSQL. A booking is one transaction: the queue entry it ends
//! and the booth session it books (locked), a new relative's patient record and its place in
//! the booker's account, the booker's open appointments counted under a lock of the booker,
//! the appointment — one per slot by the constraint `appointments_one_per_slot` —, reminders,
//! notifications, outbox messages, and last the audit records. A refused booking writes only
//! the reads it made (as the sled adapter).
//!
//! Locks are taken in one order everywhere (queue entry, booth session or cabin, account,
//! booker, audit chain), so two bookings never wait on each other in a circle.

use std::collections::BTreeSet;
use std::time::SystemTime;

use deadpool_postgres::Transaction;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Account;
use teleconsult_core::appointment::{Appointment, Status, TransitionError};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::booth::{BoothSession, BoothSessionId, BoothState};
use teleconsult_core::ids::{AppointmentId, PatientId, PractitionerId};
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::booking::{BookingStore, BookingWrite, Outcome};
use teleconsult_core::ports::call::DecideChange;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::quota::{self, Quota};
use teleconsult_core::schedule::Schedule;

use crate::sql::Cached;

use crate::error::{PgError, violated};
use crate::repo::{SealedPatient, enqueue, insert_patient, read_patient};
use crate::{Inner, PgStore, audit, sealed};

/// `pg_advisory_xact_lock` namespace of a booker's open appointments (the key's high bits).
const BOOKER_LOCK: i64 = 0x7465_6c65_0000_0000;
/// The sled adapter's name for a queue entry that no longer waits.
const WAITING: &str = "queue entry";

/// Orders instants as bytes: seconds since the epoch, sign bit flipped, big-endian — the sled
/// adapter's key layout, kept for reminders' record keys so sealed records move unchanged.
fn time_key(t: Timestamp) -> [u8; 8] {
    (t.as_second() as u64 ^ (1 << 63)).to_be_bytes()
}

fn reminder_key(due: Timestamp, appointment: &Appointment, index: u8) -> [u8; 25] {
    let mut key = [0u8; 25];
    key[..8].copy_from_slice(&time_key(due));
    key[8..24].copy_from_slice(appointment.id.as_bytes());
    key[24] = index;
    key
}

pub(crate) fn session_key(id: BoothSessionId) -> Vec<u8> {
    [&b"session/"[..], id.0.as_bytes()].concat()
}

/// A booking with every record sealed beforehand (the transaction only checks and writes).
struct Job {
    appointment: Appointment,
    sealed_appointment: Vec<u8>,
    relative: Option<SealedPatient>,
    open_limit: Option<u32>,
    reminders: Vec<(Timestamp, i16, Vec<u8>)>,
    write: BookingWrite,
    booth: Option<(BoothSession, bool, Vec<u8>)>,
}

impl Job {
    fn new(inner: &Inner, write: BookingWrite) -> Result<Self, PgError> {
        let crypto = &inner.crypto;
        let a = &write.appointment;
        let relative = write
            .new_relative
            .as_ref()
            .map(|p: &Patient| SealedPatient::new(crypto, p, !p.email.is_empty()))
            .transpose()?;
        let reminders = write
            .reminders
            .iter()
            .enumerate()
            .map(|(index, (due, reminder))| {
                let index = u8::try_from(index)
                    .map_err(|_| PgError::Encode("too many reminders".into()))?;
                let key = reminder_key(*due, a, index);
                Ok((
                    *due,
                    i16::from(index),
                    sealed::seal(crypto, "reminders", &key, reminder)?,
                ))
            })
            .collect::<Result<_, PgError>>()?;
        let booth = write
            .booth
            .as_ref()
            .map(|b| {
                let key = session_key(b.session.id);
                Ok::<_, PgError>((
                    b.session.clone(),
                    b.opens,
                    sealed::seal(crypto, "booth_sessions", &key, &b.session)?,
                ))
            })
            .transpose()?;
        Ok(Self {
            appointment: a.clone(),
            sealed_appointment: sealed::seal(crypto, "appointments", a.id.as_bytes(), a)?,
            relative,
            open_limit: write.open_limit,
            reminders,
            booth,
            write,
        })
    }
}

/// Writes the booking, or refuses it and records its reads.
async fn book(inner: &Inner, job: Job) -> Result<(), PgError> {
    let mut object = inner.client().await?;
    let client: &mut deadpool_postgres::ClientWrapper = &mut object;
    let tx = client.transaction().await?;
    match apply(inner, &tx, &job).await {
        Ok(()) => {
            let mut events: Vec<_> = job.write.reads.iter().collect();
            events.push(&job.write.audit);
            audit::append(&tx, &events).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(PgError::Refused(refusal)) => {
            tx.rollback().await?;
            let reads: Vec<_> = job.write.reads.iter().collect();
            audit::record(client, &reads).await?;
            Err(PgError::Refused(refusal))
        }
        Err(other) => Err(other),
    }
}

async fn apply(inner: &Inner, tx: &Transaction<'_>, job: &Job) -> Result<(), PgError> {
    let a = &job.appointment;
    let start = crate::sql_time(a.start);
    // The slot first, as the sled adapter, when another refusal could come first (the
    // constraint decides a race below, and alone when nothing else can refuse).
    let others_may_refuse = job.write.ends_entry.is_some()
        || job.booth.is_some()
        || job.relative.is_some()
        || job.open_limit.is_some();
    let taken = if !others_may_refuse {
        None
    } else {
        tx.opt(
            "SELECT 1 FROM appointments WHERE practitioner = $1 AND start_at = $2 AND holds_slot",
            &[&a.practitioner.0, &start],
        )
        .await?
    };
    if taken.is_some() {
        return Err(RepositoryError::SlotTaken.into());
    }
    if let Some(entry) = job.write.ends_entry {
        let waiting = tx
            .opt(
                "SELECT 1 FROM queue_entries WHERE id = $1 FOR UPDATE",
                &[&entry.0],
            )
            .await?;
        if waiting.is_none() {
            return Err(RepositoryError::NotFound(WAITING).into());
        }
    }
    if let Some((session, opens, _)) = &job.booth {
        if *opens {
            if let Some(holder) = cabin_holder(tx).await? {
                return Err(RepositoryError::CabinBusy(holder).into());
            }
        } else {
            let stored = tx
                .opt(
                    "SELECT sealed FROM booth_sessions WHERE id = $1 FOR UPDATE",
                    &[&session.id.0],
                )
                .await?;
            let waits = match (stored, job.write.ends_entry) {
                (Some(row), Some(entry)) => {
                    let bytes: Vec<u8> = row.try_get(0)?;
                    let stored: BoothSession = sealed::open(
                        &inner.crypto,
                        "booth_sessions",
                        &session_key(session.id),
                        &bytes,
                    )?;
                    stored.state == BoothState::Queued { entry }
                }
                _ => false,
            };
            if !waits {
                return Err(RepositoryError::NotFound("booth session").into());
            }
        }
    }
    if let Some(relative) = &job.relative {
        insert_patient(tx, relative).await?;
        add_relative(inner, tx, job, relative.id).await?;
    }
    // The booker's open appointments: counted under the booker's lock, so parallel bookings
    // by one account cannot both pass the limit.
    if let Some(limit) = job.open_limit {
        let key = BOOKER_LOCK | i64::from(u32::from_be_bytes(first4(a.booked_by.as_bytes())));
        tx.exec("SELECT pg_advisory_xact_lock($1)", &[&key]).await?;
        let open: i64 = tx
            .one(
                "SELECT count(*) FROM appointments \
                 WHERE booked_by = $1 AND is_open AND start_at > $2",
                &[&a.booked_by.0, &crate::sql_time(job.write.audit.at)],
            )
            .await?
            .try_get(0)?;
        let mut count = u32::try_from(open).unwrap_or(u32::MAX);
        quota::take_count(&mut count, Quota::OpenAppointments, limit)
            .map_err(RepositoryError::QuotaExceeded)?;
    }
    let inserted = tx
        .exec(
            "INSERT INTO appointments \
             (id, practitioner, start_at, booked_by, is_open, holds_slot, sealed, patient) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &a.id.0,
                &a.practitioner.0,
                &start,
                &a.booked_by.0,
                &!a.status.is_final(),
                &!matches!(a.status, Status::Cancelled { .. }),
                &job.sealed_appointment,
                &a.patient.0,
            ],
        )
        .await;
    if let Err(e) = inserted {
        return Err(match violated(&e) {
            Some("appointments_one_per_slot") => RepositoryError::SlotTaken.into(),
            Some("appointments_pkey") => RepositoryError::AlreadyExists("appointment").into(),
            _ => PgError::from(e),
        });
    }
    for (due, position, sealed) in &job.reminders {
        tx.exec(
            "INSERT INTO reminders (due_at, appointment, position, sealed) VALUES ($1, $2, $3, $4)",
            &[&crate::sql_time(*due), &a.id.0, position, sealed],
        )
        .await?;
    }
    enqueue(
        tx,
        &inner.crypto,
        &job.write.notifications,
        &job.write.outbox,
        job.write.audit.at,
    )
    .await?;
    if let Some(entry) = job.write.ends_entry {
        tx.exec("DELETE FROM queue_entries WHERE id = $1", &[&entry.0])
            .await?;
    }
    if let Some((session, opens, sealed)) = &job.booth {
        if *opens {
            // The constraint holds the cabin: a session opened in parallel since the check
            // above makes this insert do nothing (after waiting for that session's commit).
            let inserted = tx
                .opt(
                    "INSERT INTO booth_sessions (id, holds_cabin, sealed) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING RETURNING id",
                    &[&session.id.0, &session.is_open(), sealed],
                )
                .await?;
            if inserted.is_none() {
                return Err(match cabin_holder(tx).await? {
                    Some(holder) if holder != session.id => RepositoryError::CabinBusy(holder),
                    _ => RepositoryError::AlreadyExists("booth session"),
                }
                .into());
            }
        } else {
            tx.exec(
                "UPDATE booth_sessions SET sealed = $2, holds_cabin = holds_cabin AND $3 \
                 WHERE id = $1",
                &[&session.id.0, sealed, &session.is_open()],
            )
            .await?;
        }
    }
    Ok(())
}

/// The open session holding the cabin, locked.
async fn cabin_holder(tx: &Transaction<'_>) -> Result<Option<BoothSessionId>, PgError> {
    let Some(row) = tx
        .opt(
            "SELECT id FROM booth_sessions WHERE holds_cabin FOR UPDATE",
            &[],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(BoothSessionId(row.try_get(0)?)))
}

fn first4(bytes: &[u8; 16]) -> [u8; 4] {
    [bytes[0], bytes[1], bytes[2], bytes[3]]
}

/// Adds `relative` to the booker's relatives, on the account as stored now (locked).
async fn add_relative(
    inner: &Inner,
    tx: &Transaction<'_>,
    job: &Job,
    relative: PatientId,
) -> Result<(), PgError> {
    let booker = job.appointment.booked_by;
    let row = tx
        .opt(
            "SELECT sealed FROM accounts WHERE id = $1 FOR UPDATE",
            &[&booker.0],
        )
        .await?
        .ok_or(RepositoryError::NotFound("account"))?;
    let stored: Vec<u8> = row.try_get(0)?;
    let mut account: Account = sealed::open(&inner.crypto, "accounts", booker.as_bytes(), &stored)?;
    if !account.relatives.contains(&relative) {
        account.relatives.push(relative);
    }
    let sealed = sealed::seal(&inner.crypto, "accounts", booker.as_bytes(), &account)?;
    tx.exec(
        "UPDATE accounts SET sealed = $2 WHERE id = $1",
        &[&booker.0, &sealed],
    )
    .await?;
    Ok(())
}

impl BookingStore for PgStore {
    fn find_practitioner(
        &self,
        id: PractitionerId,
    ) -> Result<Option<Practitioner>, RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let client = &object;
            let Some(row) = client
                .opt("SELECT sealed FROM practitioners WHERE id = $1", &[&id.0])
                .await?
            else {
                return Ok(None);
            };
            let stored: Vec<u8> = row.try_get(0)?;
            sealed::open(&inner.crypto, "practitioners", id.as_bytes(), &stored).map(Some)
        })
    }

    fn find_schedule(
        &self,
        practitioner: PractitionerId,
    ) -> Result<Option<Schedule>, RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let client = &object;
            let Some(row) = client
                .opt(
                    "SELECT sealed FROM schedules WHERE practitioner = $1",
                    &[&practitioner.0],
                )
                .await?
            else {
                return Ok(None);
            };
            let stored: Vec<u8> = row.try_get(0)?;
            sealed::open(&inner.crypto, "schedules", practitioner.as_bytes(), &stored).map(Some)
        })
    }

    fn booked_starts_of(
        &self,
        practitioner: PractitionerId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeSet<Timestamp>, RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let client = &object;
            let rows = client
                .all(
                    "SELECT start_at FROM appointments WHERE practitioner = $1 AND holds_slot \
                     AND start_at >= $2 AND start_at < $3",
                    &[
                        &practitioner.0,
                        &crate::sql_time(from),
                        &crate::sql_time(to),
                    ],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    let start: SystemTime = row.try_get(0)?;
                    crate::from_sql_time(start)
                        .ok_or_else(|| PgError::Corrupt("appointments: start out of range".into()))
                })
                .collect()
        })
    }

    fn patient_unaudited(&self, id: PatientId) -> Result<Option<Patient>, RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let client = &object;
            read_patient(client, &inner.crypto, id).await
        })
    }

    fn reads_kept_for_booking(&self, _practitioner: PractitionerId, _patient: PatientId) -> bool {
        // Every read is a query: bookings run on blocking threads.
        false
    }

    fn write_booking(&self, write: BookingWrite) -> Result<(), RepositoryError> {
        let job = Job::new(&self.inner, write)?;
        self.run(move |inner| async move { book(&inner, job).await })
    }

    fn change_booked(
        &self,
        id: AppointmentId,
        decide: &DecideChange<'_>,
        write: &AuditEvent,
    ) -> Result<Result<Option<Appointment>, TransitionError>, RepositoryError> {
        self.change_appointment(id, decide, None, write)
    }

    fn queue_booking(&self, write: BookingWrite) -> Result<Outcome, RepositoryError> {
        let job = Job::new(&self.inner, write)?;
        let inner = std::sync::Arc::clone(&self.inner);
        let done = self
            .inner
            .bridge
            .spawn(async move { book(&inner, job).await })?;
        Ok(Box::pin(async move { Ok(done.await??) }))
    }
}
