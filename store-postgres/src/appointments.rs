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
        let (stored_tx, stored_rx) =
            std::sync::mpsc::sync_channel::<Result<Appointment, PgError>>(1);
        let (decision_tx, decision_rx) =
            tokio::sync::oneshot::channel::<Option<AppointmentChange>>();
        let (read, write) = (read.cloned(), write.clone());
        let inner = std::sync::Arc::clone(&self.inner);
        let done = self.inner.bridge.spawn(async move {
            let outcome = async {
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
                let _ = stored_tx.send(Ok(current.clone()));
                // The caller went away: nothing is written.
                let decision = decision_rx
                    .await
                    .map_err(|_| PgError::Runtime("the caller left".into()))?;
                let mut events: Vec<&AuditEvent> = read.iter().collect();
                let next = match decision {
                    None => None,
                    Some(change) => {
                        if change.next.id != current.id {
                            return Err(PgError::Encode(
                                "an appointment change must keep its id".into(),
                            ));
                        }
                        let next = change.next;
                        let sealed =
                            sealed::seal(&inner.crypto, "appointments", id.as_bytes(), &next)?;
                        let cancelled =
                            |a: &Appointment| matches!(a.status, Status::Cancelled { .. });
                        tx.exec(
                            "UPDATE appointments SET sealed = $2, is_open = is_open AND $3, \
                             holds_slot = holds_slot AND $4 WHERE id = $1",
                            &[&id.0, &sealed, &!next.status.is_final(), &!cancelled(&next)],
                        )
                        .await?;
                        enqueue(
                            &tx,
                            &inner.crypto,
                            &change.notifications,
                            &change.outbox,
                            write.at,
                        )
                        .await?;
                        events.push(&write);
                        Some(next)
                    }
                };
                audit::append(&tx, &events).await?;
                tx.commit().await?;
                Ok(next)
            }
            .await;
            if let Err(e) = &outcome {
                // Failed before the caller had the appointment: tell it.
                let _ = stored_tx.send(Err(PgError::Runtime(e.to_string())));
            }
            outcome
        })?;
        let current = match stored_rx.recv() {
            Ok(Ok(current)) => current,
            // The task failed first: its own error says why (below).
            Ok(Err(_)) | Err(_) => {
                return Err(block_on_outcome(&self.inner.bridge, done)
                    .err()
                    .unwrap_or_else(|| {
                        RepositoryError::Unavailable("the change ended early".into())
                    }));
            }
        };
        let decided = decide(&current);
        let (decision, refused) = match decided {
            Ok(change) => (change, None),
            Err(refused) => (None, Some(refused)),
        };
        let _ = decision_tx.send(decision);
        let saved = block_on_outcome(&self.inner.bridge, done)?;
        Ok(match refused {
            Some(refused) => Err(refused),
            None => Ok(saved),
        })
    }
}

/// Waits on the calling thread for a task started with `Bridge::spawn`.
fn block_on_outcome<T: Send + 'static>(
    bridge: &crate::bridge::Bridge,
    done: impl std::future::Future<Output = Result<Result<T, PgError>, PgError>> + Send + 'static,
) -> Result<T, RepositoryError> {
    Ok(bridge.run(done)???)
}
