//! The signalling WebSocket `/api/v1/appointments/{id}/signal` (DESIGN §4b).
//!
//! Authenticated like the API (bearer, session cookie), by a single-use `?ticket=` from
//! `POST /appointments/{id}/signal-ticket` (what the call page uses: no session token in a
//! URL), or — for clients that can do neither — `?token=`, which no other endpoint takes. Gated
//! like the call endpoint *before* the upgrade: 404 for anyone who is no party, 403
//! `too_early` / `too_late`, 409 `call_closed`, as JSON errors. After the upgrade every problem
//! is an `error` frame and the socket stays open; the socket closes when the client goes, stops
//! answering pings, is replaced by a newer socket of the same account for its seat (a `join`
//! for a seat another account holds gets the `error` frame `seat_taken`), or when its session
//! ends (logout, account disabled, password reset, erasure, idle or absolute expiry: close code
//! [`SESSION_ENDED`]) or its appointment is cancelled ([`APPOINTMENT_CANCELLED`]). An open
//! socket counts as use of its session (the idle timeout does not end a waiting room or a
//! call). Frames are handled by the room ([`crate::call_room`]).

use crate::auth::{AuthUser, authenticate, request_token};
use crate::call::{appointment_id, enter};
use crate::call_room::{Connection, Outgoing};
use crate::error::ApiError;
use crate::live::{Ended, Live, TICKET_TTL};
use crate::state::AppState;
use axum::Json;
use axum::extract::ws::{
    CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code,
    rejection::WebSocketUpgradeRejection,
};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use std::time::{Duration, Instant};
use teleconsult_core::ids::{AccountId, AppointmentId};
use teleconsult_core::signal::{Role, SignalMessage, parse};
use tokio::sync::{broadcast, mpsc};
use utoipa::ToSchema;

/// Close code when the socket's session ended (private-use range of RFC 6455).
pub const SESSION_ENDED: u16 = 4001;
/// Close code when the socket's appointment was cancelled.
pub const APPOINTMENT_CANCELLED: u16 = 4002;

/// Largest frame accepted (an SDP offer is a few kilobytes).
const MAX_FRAME_BYTES: usize = 256 * 1024;
/// Frames queued for a client that does not read.
const OUTGOING_QUEUE: usize = 256;
/// The server pings this often; a client silent for [`IDLE_LIMIT`] is gone.
const PING_EVERY: Duration = Duration::from_secs(20);
/// How long a stopping daemon waits for a client's close frame after sending its own.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(1);
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// At most this many frames per [`RATE_WINDOW`] from one socket (ICE candidates come in bursts
/// of a few dozen); more are answered with an `error` frame and dropped.
const RATE_LIMIT: u32 = 400;
const RATE_WINDOW: Duration = Duration::from_secs(10);

/// A browser's WebSocket carries the page's origin: refuse other sites (cross-site WebSocket
/// hijacking; the session cookie is SameSite=Strict as well).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Not a browser (or a very old one): the token authenticates it.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// A single-use ticket for the signalling WebSocket.
#[derive(Serialize, ToSchema)]
pub struct SignalTicket {
    /// Send as `?ticket=` when opening the WebSocket; usable once, within `expires_in_s`.
    pub ticket: String,
    pub expires_in_s: u64,
}

/// A single-use ticket that opens this appointment's signalling WebSocket in the caller's
/// session, without the session token in a URL (browsers cannot set headers on a WebSocket).
/// Issued only to a party of the call while its room is open.
#[utoipa::path(post, path = "/appointments/{id}/signal-ticket", tag = "call",
    params(("id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Ticket, usable once within 30 seconds", body = SignalTicket),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody),
        (status = 403, description = "`too_early`, `too_late`, or a missing CSRF token with the cookie", body = crate::error::ErrorBody),
        (status = 404, description = "No such appointment, or the caller is no party to its call", body = crate::error::ErrorBody),
        (status = 409, description = "`call_closed`: the appointment is finished", body = crate::error::ErrorBody),
        (status = 429, description = "Too many tickets waiting", body = crate::error::ErrorBody)))]
pub async fn signal_ticket(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<SignalTicket>, ApiError> {
    let id = appointment_id(&id)?;
    let (account, session_token) = (user.account.id, user.token.clone());
    state.blocking(move |inner| enter(inner, &user, id)).await?;
    let ticket = crate::auth::new_secret();
    state
        .live
        .issue_ticket(ticket.clone(), session_token, account, id, Instant::now())
        .ok_or_else(|| ApiError {
            retry_after_s: Some(TICKET_TTL.as_secs()),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_tickets",
                "too many signalling tickets waiting: try again shortly",
            )
        })?;
    Ok(Json(SignalTicket {
        ticket,
        expires_in_s: TICKET_TTL.as_secs(),
    }))
}

/// A query parameter's value (`None` when absent).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "log in first (session missing or expired, or the ticket was used or expired)",
    )
}

/// Who opens the socket: bearer or cookie (no CSRF: a GET, and the origin is checked), else a
/// ticket for this appointment, else `?token=`.
async fn signal_user(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    id: AppointmentId,
) -> Result<AuthUser, ApiError> {
    let (token, via_cookie) = if let Some(found) = request_token(headers) {
        found
    } else if let Some(ticket) = query_param(query, "ticket") {
        let found = state
            .live
            .redeem_ticket(&ticket, Instant::now())
            .filter(|t| t.appointment == id)
            .ok_or_else(unauthenticated)?;
        (found.session_token, false)
    } else if let Some(token) = query_param(query, "token") {
        (token, false)
    } else {
        return Err(unauthenticated());
    };
    let (session, account) = authenticate(state, &token).await?;
    Ok(AuthUser {
        account,
        session,
        token,
        via_cookie,
    })
}

/// Signalling and chat of an appointment's call (WebSocket, JSON text frames).
///
/// Frames, each with `"type"`: `join {role}` (client → server first), `waiting` / `present`
/// `{roles}` (server → all), `ring` (practitioner → patient side), `accept` / `decline`,
/// `offer` / `answer` `{sdp}`, `ice {candidate, sdpMLineIndex}`, `restart`, `chat {text,
/// attachment_id?}` (relayed to both sides with `from`, stored encrypted), `stats` (a getStats
/// summary: `rtt_ms`, `loss_pct`, `jitter_ms`, `send_kbps`, `recv_kbps`, `send_fps`, `recv_fps`,
/// `recv_width`, `recv_height`, …), `hangup`, `error {error, message}`. When the session ends
/// the server sends an `error` frame `session_ended` and closes with 4001; when the appointment
/// is cancelled, `appointment_cancelled` and 4002.
#[utoipa::path(get, path = "/appointments/{id}/signal", tag = "call",
    params(("id" = String, Path),
        ("ticket" = Option<String>, Query, description = "Single-use ticket from `POST /appointments/{id}/signal-ticket` (preferred for browsers)"),
        ("token" = Option<String>, Query, description = "Session token, for clients that can neither set headers nor ask for a ticket (only this endpoint accepts it)")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol: JSON text frames as described above"),
        (status = 401, description = "Not logged in, or the ticket is unknown, used or expired", body = crate::error::ErrorBody),
        (status = 403, description = "`too_early` (more than 10 minutes before the start), `too_late`, or a cross-site origin", body = crate::error::ErrorBody),
        (status = 404, description = "No such appointment, or the caller is no party to its call", body = crate::error::ErrorBody),
        (status = 409, description = "`call_closed`: the appointment is finished", body = crate::error::ErrorBody),
        (status = 426, description = "`websocket_required`: not a WebSocket upgrade request", body = crate::error::ErrorBody)))]
pub async fn signal(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let id = appointment_id(&id)?;
    if !same_origin(&headers) {
        return Err(ApiError::forbidden("WebSocket from another site refused"));
    }
    let user = signal_user(&state, &headers, query.as_deref(), id).await?;
    let (account, token) = (user.account.id, user.token.clone());
    let (_, role) = state.blocking(move |inner| enter(inner, &user, id)).await?;
    let upgrade =
        upgrade.map_err(|_| ApiError::upgrade_required("open this URL as a WebSocket"))?;
    let seat = Seat {
        account,
        token,
        id,
        role,
    };
    Ok(upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(state, socket, seat)))
}

/// Who holds a socket, for how long: the session it was opened in.
struct Seat {
    account: AccountId,
    token: String,
    id: AppointmentId,
    role: Role,
}

/// Why a socket must close now, if it must: its session or appointment ended.
async fn still_open(state: &AppState, seat: &Seat, recheck_appointment: bool) -> Option<Ended> {
    let Ok((session, account)) = authenticate(state, &seat.token).await else {
        return Some(Ended::Session(seat.token.clone()));
    };
    if recheck_appointment {
        let user = AuthUser {
            account,
            session,
            token: seat.token.clone(),
            via_cookie: false,
        };
        let id = seat.id;
        if state
            .blocking(move |inner| enter(inner, &user, id))
            .await
            .is_err()
        {
            return Some(Ended::Appointment(seat.id));
        }
    }
    None
}

/// Sends the `error` frame and the close frame that say why the socket ends.
async fn close_for(socket: &mut WebSocket, ended: &Ended) {
    let (code, error, reason) = match ended {
        Ended::Appointment(_) => (
            APPOINTMENT_CANCELLED,
            "appointment_cancelled",
            "the appointment was cancelled",
        ),
        Ended::Session(_) | Ended::Account(_) => (
            SESSION_ENDED,
            "session_ended",
            "your session ended: log in again",
        ),
    };
    let frame = SignalMessage::error(error, reason);
    let _ = socket.send(Message::Text(frame.to_json().into())).await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn run(state: AppState, mut socket: WebSocket, seat: Seat) {
    let (account, id, role) = (seat.account, seat.id, seat.role);
    let mut ends = state.live.listen();
    // An end announced between the check before the upgrade and `listen` would be missed.
    if let Some(ended) = still_open(&state, &seat, true).await {
        close_for(&mut socket, &ended).await;
        return;
    }
    let room = state.calls.room(id);
    state
        .metrics
        .calls
        .rooms
        .set(state.calls.open_rooms() as i64);
    let (tx, mut rx) = mpsc::channel(OUTGOING_QUEUE);
    let conn = Connection {
        id: state.calls.connection_id(),
        account,
        role,
        tx,
        cabin: false,
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut last_heard = Instant::now();
    let (mut window_start, mut in_window) = (Instant::now(), 0u32);
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let message = match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(m)) => m,
                };
                last_heard = Instant::now();
                let Message::Text(text) = message else {
                    if matches!(message, Message::Binary(_)) {
                        conn_error(&conn, "bad_frame", "frames are JSON text");
                    }
                    continue;
                };
                if window_start.elapsed() > RATE_WINDOW {
                    (window_start, in_window) = (Instant::now(), 0);
                }
                in_window += 1;
                if in_window > RATE_LIMIT {
                    if in_window == RATE_LIMIT + 1 {
                        conn_error(&conn, "too_many_frames", "slow down: frames are being dropped");
                    }
                    continue;
                }
                match parse(text.as_str()) {
                    Ok(frame) => room.handle(&state, &conn, frame).await,
                    Err(e) => {
                        let _ = conn.tx.try_send(Outgoing::Frame(e.to_frame()));
                    }
                }
            }
            out = rx.recv() => match out {
                Some(Outgoing::Frame(frame)) => {
                    if socket.send(Message::Text(frame.to_json().into())).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Close(frame)) => {
                    let _ = socket.send(Message::Text(frame.to_json().into())).await;
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
                None => break,
            },
            ended = ends.recv() => {
                let ended = match ended {
                    Ok(ended) if Live::concerns(&ended, &seat.token, account, id) => Some(ended),
                    Ok(_) => None,
                    // Missed some: look again at what they could have been about.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        still_open(&state, &seat, true).await
                    }
                    Err(broadcast::error::RecvError::Closed) => None,
                };
                if let Some(ended) = ended {
                    close_for(&mut socket, &ended).await;
                    break;
                }
            }
            () = state.calls.closing() => {
                let going_away = CloseFrame {
                    code: close_code::AWAY,
                    reason: "the server is restarting: join again in a moment".into(),
                };
                if socket.send(Message::Close(Some(going_away))).await.is_ok() {
                    // The closing handshake: the client's own close frame, briefly, so the
                    // connection ends in order rather than being reset under our frame.
                    let handshake = async {
                        while let Some(Ok(m)) = socket.recv().await {
                            if matches!(m, Message::Close(_)) {
                                break;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, handshake).await;
                }
                break;
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT
                    || socket.send(Message::Ping(Default::default())).await.is_err()
                {
                    break;
                }
                // Sessions also end without anyone announcing it (expiry); checking on each
                // ping bounds how long a socket outlives its session. The check records the
                // session's use: an open call page is not an idle session.
                if let Some(ended) = still_open(&state, &seat, false).await {
                    close_for(&mut socket, &ended).await;
                    break;
                }
            }
        }
    }
    room.leave(&state, &conn).await;
    state
        .metrics
        .calls
        .rooms
        .set(state.calls.open_rooms() as i64);
}

fn conn_error(conn: &Connection, code: &str, message: &str) {
    let _ = conn
        .tx
        .try_send(Outgoing::Frame(SignalMessage::error(code, message)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_same_origin_browsers_connect() {
        let mut headers = HeaderMap::new();
        assert!(same_origin(&headers), "no Origin: not a browser");
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8443"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://127.0.0.1:8443"),
        );
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&headers));
    }
}
