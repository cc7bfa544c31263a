//! Call rooms, in memory, one per appointment with someone connected: two seats (the patient's
//! side — the patient's browser or the booth — and the practitioner), the relay between them,
//! and what the room records (appointment transitions, chat, quality samples).
//!
//! A socket ([`crate::signal`]) is a [`Connection`]: frames in through [`Room::handle`], frames
//! out through its channel. A seat is held by whoever took it until their socket closes (they
//! leave, or stop answering pings): a `join` for a seat another account holds is refused with
//! an `error` frame `seat_taken` — the booth's staff never take the seat of a patient who is in
//! the call, nor the other way round. The same account joining again (a reload, a dropped
//! connection whose socket has not timed out yet, a second device) takes its own seat over:
//! the older socket gets an `error` frame `replaced` and is closed. That is no door for anyone
//! else, and it spares a patient whose network dropped a minute of "seat taken".
//!
//! Nothing here holds a lock across anything slower than a store write: the booth pipeline gets
//! its frames through a channel and answers through its own task.

use crate::call_media::MediaPeer;
use crate::call_metrics::FrameLabels;
use crate::state::{AppState, Inner};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use teleconsult_core::appointment::{Event, Participant, TransitionError};
use teleconsult_core::audit::Actor;
use teleconsult_core::call::QualitySample;
use teleconsult_core::ids::{AccountId, AppointmentId};
use teleconsult_core::signal::{Role, SignalMessage};
use tokio::sync::mpsc;

use crate::call::CallConfig;

mod booth_side;
mod chat;

/// Quality samples are written to the store at most this often per room (and at the end).
const QUALITY_FLUSH_EVERY: Duration = Duration::from_secs(10);
/// Chat messages replayed to a socket that joins (well under its outgoing queue).
const CHAT_REPLAY: usize = 100;
/// How often the booth pipeline is sampled during a call.
const BOOTH_SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// What a socket's writer receives.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Frame(SignalMessage),
    /// Send this frame, then close (the seat was taken by a newer socket).
    Close(SignalMessage),
}

/// One socket of one account.
pub(crate) struct Connection {
    pub id: u64,
    pub account: AccountId,
    /// The role this account has in this call (from `teleconsult_core::call::role_in_call`).
    pub role: Role,
    pub tx: mpsc::Sender<Outgoing>,
    /// The cabin's own seat ([`crate::call_cabin`]): no account, no socket.
    pub cabin: bool,
}

impl Connection {
    /// Who acts in the audit trail: the account, or the cabin (`system:cabin`).
    pub(crate) fn actor(&self) -> Actor {
        if self.cabin {
            Actor::System("cabin".into())
        } else {
            Actor::Account(self.account.to_string())
        }
    }

    fn send(&self, frame: SignalMessage) {
        // A full queue means the client stopped reading: it will time out and rejoin.
        let _ = self.tx.try_send(Outgoing::Frame(frame));
    }
}

struct Seat {
    connection: u64,
    /// Whose socket it is: only this account takes the seat over while it is held.
    account: AccountId,
    role: Role,
    tx: mpsc::Sender<Outgoing>,
}

impl Seat {
    fn send(&self, frame: SignalMessage) {
        let _ = self.tx.try_send(Outgoing::Frame(frame));
    }
}

struct BoothLink {
    frames: mpsc::UnboundedSender<SignalMessage>,
    peer: Arc<dyn MediaPeer>,
}

#[derive(Default)]
struct RoomState {
    patient_side: Option<Seat>,
    practitioner: Option<Seat>,
    in_call: bool,
    booth: Option<BoothLink>,
    pending_quality: Vec<QualitySample>,
    last_flush: Option<Instant>,
}

impl RoomState {
    fn seat(&self, patient_side: bool) -> Option<&Seat> {
        if patient_side {
            self.patient_side.as_ref()
        } else {
            self.practitioner.as_ref()
        }
    }

    fn roles(&self) -> Vec<Role> {
        [&self.patient_side, &self.practitioner]
            .into_iter()
            .flatten()
            .map(|s| s.role)
            .collect()
    }

    /// `waiting` (nobody called yet) or `present` (in a call) to everyone seated.
    fn announce(&self) {
        let roles = self.roles();
        let frame = if self.in_call {
            SignalMessage::Present { roles }
        } else {
            SignalMessage::Waiting { roles }
        };
        for seat in [&self.patient_side, &self.practitioner]
            .into_iter()
            .flatten()
        {
            seat.send(frame.clone());
        }
    }

    fn is_empty(&self) -> bool {
        self.patient_side.is_none() && self.practitioner.is_none()
    }
}

/// The room of one appointment.
pub(crate) struct Room {
    id: AppointmentId,
    state: tokio::sync::Mutex<RoomState>,
}

/// All rooms, plus the call configuration the daemon set.
pub struct Calls {
    config: OnceLock<CallConfig>,
    rooms: Mutex<HashMap<AppointmentId, Arc<Room>>>,
    next_connection: AtomicU64,
    /// Cancelled when the daemon stops: every signalling socket then closes with 1001.
    closing: tokio_util::sync::CancellationToken,
}

impl Default for Calls {
    fn default() -> Self {
        Self {
            config: OnceLock::new(),
            rooms: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(1),
            closing: tokio_util::sync::CancellationToken::new(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Calls {
    /// Sets the call configuration once, at start-up (later calls are ignored).
    pub fn configure(&self, config: CallConfig) {
        let _ = self.config.set(config);
    }

    pub fn config(&self) -> &CallConfig {
        self.config.get_or_init(CallConfig::default)
    }

    /// The daemon is stopping: every signalling socket sends a close frame 1001 ("going
    /// away") and ends, so clients know to come back rather than guess from a cut
    /// connection (the HTTP server's graceful drain does not cover upgraded connections).
    pub fn close_all(&self) {
        self.closing.cancel();
    }

    /// After [`Self::close_all`]: waits until every room is empty, at most `within` (bounded
    /// polling: the sockets leave their rooms as their close frame goes out).
    pub async fn wait_closed(&self, within: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.open_rooms() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub(crate) fn closing(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.closing.cancelled()
    }

    pub(crate) fn connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn room(&self, id: AppointmentId) -> Arc<Room> {
        let mut rooms = lock(&self.rooms);
        Arc::clone(rooms.entry(id).or_insert_with(|| {
            Arc::new(Room {
                id,
                state: tokio::sync::Mutex::new(RoomState::default()),
            })
        }))
    }

    fn forget_if_empty(&self, room: &Arc<Room>, state: &RoomState) {
        if state.is_empty() {
            let mut rooms = lock(&self.rooms);
            if rooms.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
                rooms.remove(&room.id);
            }
        }
    }

    /// Whether someone holds the patient's seat of `id`'s room (the cabin's look before it
    /// asks for the seat).
    pub(crate) async fn patient_seat_held(&self, id: AppointmentId) -> bool {
        let room = lock(&self.rooms).get(&id).cloned();
        match room {
            Some(room) => room.state.lock().await.patient_side.is_some(),
            None => false,
        }
    }

    /// Rooms with someone in them (for metrics).
    pub fn open_rooms(&self) -> usize {
        lock(&self.rooms).len()
    }
}

fn error(code: &str, message: impl Into<String>) -> SignalMessage {
    SignalMessage::error(code, message)
}

fn participant(role: Role) -> Participant {
    match role {
        Role::Patient => Participant::Patient,
        Role::Practitioner => Participant::Practitioner,
        Role::Booth => Participant::Booth,
    }
}

/// Applies an appointment event in `account`'s name and saves the result when it changed.
/// Returns the error text to show when the event is refused.
/// Applies `event_` to appointment `id` through the application (see `App::call_event`).
fn transition(
    inner: &Inner,
    id: AppointmentId,
    actor: Actor,
    event_: Event,
) -> Result<Result<(), TransitionError>, crate::error::ApiError> {
    Ok(inner.app.call_event(&actor, id, event_)?)
}

impl Room {
    /// A socket's frame. Never fails: problems become `error` frames to that socket.
    pub(crate) async fn handle(
        self: &Arc<Self>,
        app: &AppState,
        conn: &Connection,
        frame: SignalMessage,
    ) {
        app.metrics
            .calls
            .frames
            .get_or_create(&FrameLabels {
                kind: frame.kind().to_owned(),
            })
            .inc();
        if let SignalMessage::Join { role } = frame {
            self.join(app, conn, role).await;
            return;
        }
        let mut state = self.state.lock().await;
        let seated = state
            .seat(conn.role.is_patient_side())
            .is_some_and(|s| s.connection == conn.id);
        if !seated {
            conn.send(error("not_joined", "send a join frame first"));
            return;
        }
        let from_patient = conn.role.is_patient_side();
        match frame {
            SignalMessage::Ring => {
                if from_patient {
                    return conn.send(error("not_allowed", "only the practitioner rings"));
                }
                match state.seat(true) {
                    Some(patient) => patient.send(SignalMessage::Ring),
                    None => conn.send(error("nobody_waiting", "the patient is not in the room")),
                }
            }
            SignalMessage::Accept => {
                if !from_patient {
                    return conn.send(error("not_allowed", "the patient's side accepts the call"));
                }
                self.accept(app, &mut state, conn).await;
            }
            SignalMessage::Decline => {
                if !from_patient {
                    return conn.send(error("not_allowed", "the patient's side declines the call"));
                }
                if let Some(p) = state.seat(false) {
                    p.send(SignalMessage::Decline);
                }
            }
            SignalMessage::Offer { .. }
            | SignalMessage::Answer { .. }
            | SignalMessage::Ice { .. }
            | SignalMessage::Restart => {
                if !from_patient && let Some(booth) = &state.booth {
                    let _ = booth.frames.send(frame);
                } else {
                    match state.seat(!from_patient) {
                        Some(other) => other.send(frame),
                        None => conn.send(error("peer_absent", "the other side is not connected")),
                    }
                }
            }
            SignalMessage::Chat {
                text,
                attachment_id,
                ..
            } => self.chat(app, &state, conn, text, attachment_id).await,
            SignalMessage::Stats(quality) => {
                let quality = quality.sanitized();
                app.metrics.calls.observe(&quality);
                state.pending_quality.push(QualitySample {
                    at: app.clock.now(),
                    role: conn.role,
                    quality,
                });
                if state
                    .last_flush
                    .is_none_or(|t| t.elapsed() >= QUALITY_FLUSH_EVERY)
                {
                    self.flush_quality(app, &mut state, conn.actor()).await;
                }
            }
            SignalMessage::Hangup => {
                // Recorded first: whoever hears `hangup` finds the appointment completed.
                self.end_call(app, &mut state, conn.actor()).await;
                if let Some(other) = state.seat(!from_patient) {
                    other.send(SignalMessage::Hangup);
                }
                state.announce();
            }
            SignalMessage::Waiting { .. }
            | SignalMessage::Present { .. }
            | SignalMessage::Error { .. } => {
                conn.send(error(
                    "unexpected_frame",
                    format!("{:?} frames are sent by the server", frame.kind()),
                ));
            }
            SignalMessage::Join { .. } => {}
        }
    }

    async fn join(self: &Arc<Self>, app: &AppState, conn: &Connection, role: Role) {
        if role != conn.role {
            conn.send(error(
                "wrong_role",
                format!("you join this call as {}", conn.role.name()),
            ));
            return;
        }
        // The room stays locked from the seat check to the seating (the join is recorded in
        // between, one store write): two joins for one seat cannot both find it free.
        let mut state = self.state.lock().await;
        if state
            .seat(role.is_patient_side())
            .is_some_and(|held| held.account != conn.account)
        {
            conn.send(error(
                "seat_taken",
                "someone else is already in this call on this side: it stays theirs until they leave",
            ));
            return;
        }
        let id = self.id;
        let actor = conn.actor();
        let result = app
            .blocking(move |inner| {
                transition(
                    inner,
                    id,
                    actor,
                    Event::Join {
                        participant: participant(role),
                    },
                )
            })
            .await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(refused)) => {
                conn.send(error("call_closed", refused.to_string()));
                return;
            }
            Err(e) => {
                conn.send(error(e.code, e.message));
                return;
            }
        }
        let seat = Seat {
            connection: conn.id,
            account: conn.account,
            role,
            tx: conn.tx.clone(),
        };
        let slot = if role.is_patient_side() {
            &mut state.patient_side
        } else {
            &mut state.practitioner
        };
        // Only the same account's older socket can be here (checked above).
        if let Some(old) = slot.replace(seat)
            && old.connection != conn.id
        {
            let _ = old.tx.try_send(Outgoing::Close(error(
                "replaced",
                "this call was opened in another window or device",
            )));
        }
        state.announce();
        drop(state);
        // The cabin's screen shows no chat: nothing of the conversation is read for it.
        if !conn.cabin {
            self.replay_chat(app, conn).await;
        }
    }

    async fn accept(self: &Arc<Self>, app: &AppState, state: &mut RoomState, conn: &Connection) {
        if state.practitioner.is_none() {
            return conn.send(error("peer_absent", "the practitioner is not connected"));
        }
        let id = self.id;
        let actor = conn.actor();
        let started = app
            .blocking(move |inner| transition(inner, id, actor, Event::StartCall))
            .await;
        match started {
            // Already in a call (accepting again after a reload) is fine.
            Ok(Ok(()))
            | Ok(Err(TransitionError::NotAllowed {
                status: "in_call", ..
            })) => {}
            Ok(Err(refused)) => return conn.send(error("call_closed", refused.to_string())),
            Err(e) => return conn.send(error(e.code, e.message)),
        }
        state.in_call = true;
        let booth_media = app.calls.config().booth.clone();
        match booth_media {
            Some(media) if conn.role == Role::Booth && state.booth.is_none() => {
                // The practitioner hears `accept` once the pipeline can take its offer.
                let room = Arc::clone(self);
                let app = app.clone();
                tokio::spawn(async move {
                    let started = media.start().await;
                    let mut state = room.state.lock().await;
                    match started {
                        Ok((peer, outgoing)) => {
                            room.link_booth(&app, &mut state, peer, outgoing);
                            if let Some(p) = state.seat(false) {
                                p.send(SignalMessage::Accept);
                            }
                        }
                        Err(message) => {
                            tracing::error!(error = %message, "the booth pipeline did not start");
                            state.in_call = false;
                            for seat in [&state.patient_side, &state.practitioner]
                                .into_iter()
                                .flatten()
                            {
                                seat.send(error(
                                    "media_unavailable",
                                    format!("the booth camera could not start: {message}"),
                                ));
                            }
                        }
                    }
                    state.announce();
                });
            }
            _ => {
                if let Some(p) = state.seat(false) {
                    p.send(SignalMessage::Accept);
                }
                state.announce();
            }
        }
    }

    async fn flush_quality(&self, app: &AppState, state: &mut RoomState, actor: Actor) {
        state.last_flush = Some(Instant::now());
        if state.pending_quality.is_empty() {
            return;
        }
        let samples = std::mem::take(&mut state.pending_quality);
        let id = self.id;
        let written = app
            .blocking(move |inner| Ok(inner.app.record_quality(&actor, id, &samples)?))
            .await;
        if let Err(e) = written {
            tracing::warn!(error = %e.message, "call quality samples not saved");
        }
    }

    /// Ends a running call: the appointment is completed, the booth pipeline stopped, the
    /// quality record saved.
    async fn end_call(&self, app: &AppState, state: &mut RoomState, actor: Actor) {
        if let Some(link) = state.booth.take() {
            link.peer.hangup().await;
        }
        self.flush_quality(app, state, actor.clone()).await;
        if !state.in_call {
            return;
        }
        state.in_call = false;
        let id = self.id;
        let ended = app
            .blocking(move |inner| transition(inner, id, actor, Event::EndCall))
            .await;
        match ended {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return tracing::warn!(error = %e, "call end not recorded"),
            Err(e) => return tracing::warn!(error = %e.message, "call end not recorded"),
        }
        // A cabin's call: its booth session ends with it, the cabin reset at once.
        let session = app
            .blocking(move |inner| {
                inner
                    .app
                    .call_ended(id)
                    .map_err(crate::error::ApiError::from)
            })
            .await;
        if let Err(e) = session {
            tracing::warn!(error = %e.message, "booth session not ended with its call");
        }
    }

    pub(crate) fn id(&self) -> AppointmentId {
        self.id
    }

    /// A socket closed. Empty rooms are forgotten (their quality samples saved first).
    pub(crate) async fn leave(self: &Arc<Self>, app: &AppState, conn: &Connection) {
        let mut state = self.state.lock().await;
        let side = if conn.role.is_patient_side() {
            &mut state.patient_side
        } else {
            &mut state.practitioner
        };
        if side.as_ref().is_some_and(|s| s.connection == conn.id) {
            *side = None;
            state.announce();
        }
        if state.is_empty() {
            if let Some(link) = state.booth.take() {
                link.peer.hangup().await;
            }
            self.flush_quality(app, &mut state, conn.actor()).await;
            app.calls.forget_if_empty(self, &state);
        }
    }
}
