//! The signalling WebSocket `/api/v1/appointments/{id}/signal` (DESIGN §4b).
//!
//! Authenticated like the API (bearer, `tc_session` cookie, or `?token=`), and gated like the
//! call endpoint *before* the upgrade: 404 for anyone who is no party, 403 `too_early` /
//! `too_late`, 409 `call_closed`, as JSON errors. After the upgrade every problem is an `error`
//! frame and the socket stays open; the socket closes only when the client goes, stops answering
//! pings, or is replaced by a newer socket of the same account for its seat (a `join` for a
//! seat another account holds gets the `error` frame `seat_taken`). Frames are handled by the
//! room ([`crate::call_room`]).

use crate::auth::AuthUser;
use crate::call::{appointment_id, enter};
use crate::call_room::{Connection, Outgoing};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::ws::{
    CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code,
    rejection::WebSocketUpgradeRejection,
};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use std::time::{Duration, Instant};
use teleconsult_core::ids::{AccountId, AppointmentId};
use teleconsult_core::signal::{Role, SignalMessage, parse};
use tokio::sync::mpsc;

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

/// Signalling and chat of an appointment's call (WebSocket, JSON text frames).
///
/// Frames, each with `"type"`: `join {role}` (client → server first), `waiting` / `present`
/// `{roles}` (server → all), `ring` (practitioner → patient side), `accept` / `decline`,
/// `offer` / `answer` `{sdp}`, `ice {candidate, sdpMLineIndex}`, `restart`, `chat {text,
/// attachment_id?}` (relayed to both sides with `from`, stored encrypted), `stats` (a getStats
/// summary: `rtt_ms`, `loss_pct`, `jitter_ms`, `send_kbps`, `recv_kbps`, `send_fps`, `recv_fps`,
/// `recv_width`, `recv_height`, …), `hangup`, `error {error, message}`.
#[utoipa::path(get, path = "/appointments/{id}/signal", tag = "call",
    params(("id" = String, Path), ("token" = Option<String>, Query, description = "Session token, for clients that cannot set headers")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol: JSON text frames as described above"),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody),
        (status = 403, description = "`too_early` (more than 10 minutes before the start), `too_late`, or a cross-site origin", body = crate::error::ErrorBody),
        (status = 404, description = "No such appointment, or the caller is no party to its call", body = crate::error::ErrorBody),
        (status = 409, description = "`call_closed`: the appointment is finished", body = crate::error::ErrorBody),
        (status = 426, description = "`websocket_required`: not a WebSocket upgrade request", body = crate::error::ErrorBody)))]
pub async fn signal(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let id = appointment_id(&id)?;
    if !same_origin(&headers) {
        return Err(ApiError::forbidden("WebSocket from another site refused"));
    }
    let account = user.account.id;
    let (_, role) = state.blocking(move |inner| enter(inner, &user, id)).await?;
    let upgrade =
        upgrade.map_err(|_| ApiError::upgrade_required("open this URL as a WebSocket"))?;
    Ok(upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(state, socket, account, id, role)))
}

async fn run(
    state: AppState,
    mut socket: WebSocket,
    account: AccountId,
    id: AppointmentId,
    role: Role,
) {
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
