//! The cabin's own seat in a call room (`docs/booth.md` rule 6): on a booth site, once a booth
//! session's appointment exists and its room is open, the box itself takes the patient's side
//! of the call — no account, no socket, no staff member at a console. The daemon's cabin
//! adapter asks for the seat ([`take_seat`]) and gives it up when the session ends
//! ([`CabinSeat::leave`]).
//!
//! Seated, the cabin behaves like the booth's console would: it answers the practitioner's
//! `ring` with `accept` at once (the person in the cabin was placed there for this call and has
//! nothing to click), which starts the booth pipeline ([`crate::call_media::BoothMedia`]) as
//! the patient's side; the practitioner's `offer`/`ice`/`restart` frames then go to it. The
//! cabin reads no chat (its screen shows the call, nothing else). Whoever holds the seat keeps
//! it: staff who joined from their console first keep it (the cabin tries again later), and
//! staff joining while the cabin sits get `seat_taken`. Its audit actor is `system:cabin`.

use crate::call_room::{Connection, Outgoing, Room};
use crate::live::Ended;
use crate::state::AppState;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use teleconsult_app::cabin::CabinEntry;
use teleconsult_core::ids::{AccountId, AppointmentId};
use teleconsult_core::signal::{Role, SignalMessage};
use tokio::sync::{broadcast, mpsc};

/// Frames queued for the cabin (it reads them at once).
const CABIN_QUEUE: usize = 64;

/// The cabin's seat in one appointment's call room.
pub struct CabinSeat {
    state: AppState,
    room: Arc<Room>,
    conn: Arc<Connection>,
    appointment: AppointmentId,
    driver: tokio::task::JoinHandle<()>,
    /// Set when the seat was given up (the appointment ended, the seat was taken over).
    finished: Arc<AtomicBool>,
}

/// Why the cabin is not seated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSeated {
    /// The room opens at this time (a chosen slot ahead): try again then.
    NotOpen(teleconsult_core::Timestamp),
    /// Someone else (staff at their console) holds the patient's seat: try again later.
    SeatTaken,
    /// The appointment is not the open session's, or its call is over: stop trying.
    Gone,
    /// Something failed (the store): try again later; the text is for the log.
    Failed(String),
}

/// Takes the patient's seat of `appointment`'s call room for the cabin.
pub async fn take_seat(
    state: &AppState,
    appointment: AppointmentId,
) -> Result<CabinSeat, NotSeated> {
    // A seat held by someone else is seen in memory: nothing is read (or audited) for it.
    if state.calls.patient_seat_held(appointment).await {
        return Err(NotSeated::SeatTaken);
    }
    let app = state.app.clone();
    let entry = tokio::task::spawn_blocking(move || app.cabin_entry(appointment))
        .await
        .map_err(|e| NotSeated::Failed(e.to_string()))?
        .map_err(|e| NotSeated::Failed(e.to_string()))?;
    match entry {
        CabinEntry::Open => {}
        CabinEntry::NotYet { opens_at } => return Err(NotSeated::NotOpen(opens_at)),
        CabinEntry::Gone => return Err(NotSeated::Gone),
    }
    let room = state.calls.room(appointment);
    let (tx, mut rx) = mpsc::channel(CABIN_QUEUE);
    let conn = Arc::new(Connection {
        id: state.calls.connection_id(),
        account: AccountId::from_uuid(uuid::Uuid::nil()),
        role: Role::Booth,
        tx,
        cabin: true,
    });
    // Listening before joining: an end announced meanwhile is not missed.
    let ends = state.live.listen();
    room.handle(state, &conn, SignalMessage::Join { role: Role::Booth })
        .await;
    // The join answers at once: `waiting`/`present` to everyone seated, or an error to us.
    let refused = match rx.try_recv() {
        Ok(Outgoing::Frame(SignalMessage::Waiting { .. } | SignalMessage::Present { .. })) => None,
        Ok(Outgoing::Frame(SignalMessage::Error { error, .. })) if error == "seat_taken" => {
            Some(NotSeated::SeatTaken)
        }
        Ok(Outgoing::Frame(SignalMessage::Error { error, .. })) if error == "call_closed" => {
            Some(NotSeated::Gone)
        }
        Ok(other) => Some(NotSeated::Failed(format!(
            "unexpected answer to the cabin's join: {other:?}"
        ))),
        Err(_) => Some(NotSeated::Failed("no answer to the cabin's join".into())),
    };
    if let Some(refused) = refused {
        room.cabin_leave(state, &conn).await;
        count_rooms(state);
        return Err(refused);
    }
    state
        .metrics
        .calls
        .rooms
        .set(state.calls.open_rooms() as i64);
    let finished = Arc::new(AtomicBool::new(false));
    let driver = tokio::spawn(drive(
        state.clone(),
        Arc::clone(&room),
        Arc::clone(&conn),
        rx,
        ends,
        Arc::clone(&finished),
    ));
    tracing::info!(%appointment, "the cabin joined its call room");
    Ok(CabinSeat {
        state: state.clone(),
        room,
        conn,
        appointment,
        driver,
        finished,
    })
}

fn count_rooms(state: &AppState) {
    state
        .metrics
        .calls
        .rooms
        .set(state.calls.open_rooms() as i64);
}

/// The cabin's side of the room: accepts the ring, leaves when the appointment ends or the
/// seat is taken over.
async fn drive(
    state: AppState,
    room: Arc<Room>,
    conn: Arc<Connection>,
    mut frames: mpsc::Receiver<Outgoing>,
    mut ends: broadcast::Receiver<Ended>,
    finished: Arc<AtomicBool>,
) {
    let appointment = room.id();
    loop {
        tokio::select! {
            frame = frames.recv() => match frame {
                Some(Outgoing::Frame(SignalMessage::Ring)) => {
                    room.handle(&state, &conn, SignalMessage::Accept).await;
                }
                Some(Outgoing::Frame(SignalMessage::Error { error, .. })) => {
                    // Codes only: messages may name a device, never a person.
                    tracing::warn!(%error, "the cabin's call reported a problem");
                }
                // Chat, presence, hang-up: the screen follows the pipeline, nothing to do.
                Some(Outgoing::Frame(_)) => {}
                Some(Outgoing::Close(_)) | None => break,
            },
            ended = ends.recv() => match ended {
                Ok(Ended::Appointment(id)) if id == appointment => break,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            () = state.calls.closing() => break,
        }
    }
    finished.store(true, Ordering::SeqCst);
    room.cabin_leave(&state, &conn).await;
    count_rooms(&state);
}

impl CabinSeat {
    pub fn appointment(&self) -> AppointmentId {
        self.appointment
    }

    /// The seat was given up on its own (the appointment was cancelled or ended, the daemon
    /// stops): the adapter forgets it.
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }

    /// Whether the booth pipeline runs for this room (the call is on).
    pub async fn in_call(&self) -> bool {
        !self.finished() && self.room.has_booth_pipeline().await
    }

    /// The cabin leaves: the booth pipeline stops, the practitioner hears `hangup`.
    pub async fn leave(self) {
        self.driver.abort();
        let _ = self.driver.await;
        self.room.cabin_leave(&self.state, &self.conn).await;
        count_rooms(&self.state);
        tracing::info!(appointment = %self.appointment, "the cabin left its call room");
    }
}
