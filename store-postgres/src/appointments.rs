//! Changes of a booked appointment (a cancellation, a call's join, start or end), decided by
//! the caller on the appointment as stored, inside the transaction that writes it: the row is
//! locked (`FOR UPDATE`), so a cancellation and a join in parallel see each other and never
//! undo one another.
//!
//! The decision is the caller's code (a closure borrowing its data, run on the caller's
//! thread), the transaction lives on the adapter's runtime: the two talk over channels — the
//! stored appointment to the caller, its decision back — while the row stays locked.

use teleconsult_core::appointment::{Appointment, Status, TransitionError};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::AppointmentId;
use teleconsult_core::ports::call::DecideChange;
use teleconsult_core::ports::{AppointmentChange, RepositoryError};

use crate::error::PgError;
use crate::repo::enqueue;
use crate::sql::Cached;
use crate::{PgStore, audit, sealed};

impl PgStore {
    /// Changes appointment `id` as `decide` says, on it as stored: `read` is recorded whatever
    /// is decided, `write` when something is written. A cancelled appointment frees its slot;
    /// a closed one leaves its booker's open appointments. The appointment as saved (`None`:
    /// unchanged), or the refusal; `NotFound` when there is no such appointment.
    pub fn change_appointment(
        &self,
        id: AppointmentId,
        decide: &DecideChange<'_>,
        read: Option<&AuditEvent>,
        write: &AuditEvent,
    ) -> Result<Result<Option<Appointment>, TransitionError>, RepositoryError> {
        let (read, write) = (read.cloned(), write.clone());
        let inner = std::sync::Arc::clone(&self.inner);
        let mut refused = None;
        let saved = self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    let row = tx
                        .opt(
                            "SELECT sealed FROM appointments WHERE id = $1 FOR UPDATE",
                            &[&id.0],
                        )
                        .await?
                        .ok_or(RepositoryError::NotFound("appointment"))?;
                    let bytes: Vec<u8> = row.try_get(0)?;
                    let current: Appointment =
                        sealed::open(&inner.crypto, "appointments", id.as_bytes(), &bytes)?;
                    let decision: Option<AppointmentChange> =
                        handover.exchange(current.clone()).await?;
                    let mut events: Vec<&AuditEvent> = read.iter().collect();
                    let next = match decision {
                        None => None,
                        Some(change) => {
                            let next = write_change(&inner, &tx, &current, change, &write).await?;
                            events.push(&write);
                            Some(next)
                        }
                    };
                    audit::append(&tx, &events).await?;
                    tx.commit().await?;
                    Ok(next)
                })
            },
            |current: Appointment| match decide(&current) {
                Ok(change) => change,
                Err(e) => {
                    refused = Some(e);
                    None
                }
            },
        )?;
        Ok(match refused {
            Some(refused) => Err(refused),
            None => Ok(saved),
        })
    }
}

/// Writes `change` over `current` (locked) with its notifications and outbox messages.
async fn write_change(
    inner: &crate::Inner,
    tx: &deadpool_postgres::Transaction<'_>,
    current: &Appointment,
    change: AppointmentChange,
    write: &AuditEvent,
) -> Result<Appointment, PgError> {
    let next = change.next;
    if next.id != current.id {
        return Err(PgError::Encode(
            "an appointment change must keep its id".into(),
        ));
    }
    let sealed = sealed::seal(&inner.crypto, "appointments", next.id.as_bytes(), &next)?;
    let cancelled = |a: &Appointment| matches!(a.status, Status::Cancelled { .. });
    tx.exec(
        "UPDATE appointments SET sealed = $2, is_open = is_open AND $3, \
         holds_slot = holds_slot AND $4 WHERE id = $1",
        &[
            &next.id.0,
            &sealed,
            &!next.status.is_final(),
            &!cancelled(&next),
        ],
    )
    .await?;
    enqueue(
        tx,
        &inner.crypto,
        &change.notifications,
        &change.outbox,
        write.at,
    )
    .await?;
    Ok(next)
}
