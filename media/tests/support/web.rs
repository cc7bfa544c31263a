//! The test's web server on the booth address: the media test page (tests/media-page) and a
//! signalling relay between the page's WebSocket and the booth peer's stdin/stdout — what the
//! daemon's `/api/v1/appointments/{id}/signal` endpoint will do once it exists; or, for
//! Chromium calling Chromium, a relay between two pages ([`serve_pages`]).

use super::peer::BoothPeer;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

type Stdin = Arc<tokio::sync::Mutex<tokio::process::ChildStdin>>;

#[derive(Clone)]
struct Relay {
    stdin: Stdin,
    signals: Arc<Mutex<Option<mpsc::UnboundedReceiver<String>>>>,
}

fn page(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/media-page/");
    std::fs::read_to_string(format!("{path}{name}")).unwrap_or_default()
}

/// Serves on `listener` until the returned task is aborted.
pub fn serve(
    listener: std::net::TcpListener,
    peer: &BoothPeer,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let relay = Relay {
        stdin: peer.stdin(),
        signals: Arc::new(Mutex::new(peer.take_signals())),
    };
    let app = axum::Router::new()
        .route("/", get(|| async { Html(page("index.html")) }))
        .route(
            "/call.js",
            get(|| async { ([("content-type", "text/javascript")], page("call.js")) }),
        )
        .route("/signal", get(signal))
        .with_state(relay);
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    }))
}

async fn signal(ws: WebSocketUpgrade, State(relay): State<Relay>) -> impl IntoResponse {
    ws.on_upgrade(move |socket| bridge(socket, relay))
}

async fn bridge(mut socket: WebSocket, relay: Relay) {
    let Some(mut from_booth) = relay.signals.lock().ok().and_then(|mut s| s.take()) else {
        return;
    };
    loop {
        tokio::select! {
            frame = socket.recv() => {
                let Some(Ok(Message::Text(text))) = frame else { break };
                let mut stdin = relay.stdin.lock().await;
                if stdin.write_all(format!("{}\n", text.as_str()).as_bytes()).await.is_err() {
                    break;
                }
                let _ = stdin.flush().await;
            }
            out = from_booth.recv() => {
                let Some(text) = out else { break };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// The two ends of a relay between two pages (Chromium calling Chromium): what one sends on its
/// WebSocket reaches the other, queued until the other connects.
#[derive(Clone)]
struct PageRelay {
    to_a: mpsc::UnboundedSender<String>,
    to_b: mpsc::UnboundedSender<String>,
    for_a: Arc<Mutex<Option<mpsc::UnboundedReceiver<String>>>>,
    for_b: Arc<Mutex<Option<mpsc::UnboundedReceiver<String>>>>,
}

/// Serves the media page on `listener` with a relay between `/signal-a` and `/signal-b` (the
/// pages' `signal=` parameter) until the returned task is aborted.
pub fn serve_pages(listener: std::net::TcpListener) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let (to_a, for_a) = mpsc::unbounded_channel();
    let (to_b, for_b) = mpsc::unbounded_channel();
    let relay = PageRelay {
        to_a,
        to_b,
        for_a: Arc::new(Mutex::new(Some(for_a))),
        for_b: Arc::new(Mutex::new(Some(for_b))),
    };
    let app = axum::Router::new()
        .route("/", get(|| async { Html(page("index.html")) }))
        .route(
            "/call.js",
            get(|| async { ([("content-type", "text/javascript")], page("call.js")) }),
        )
        .route("/signal-a", get(signal_a))
        .route("/signal-b", get(signal_b))
        .with_state(relay);
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    }))
}

async fn signal_a(ws: WebSocketUpgrade, State(relay): State<PageRelay>) -> impl IntoResponse {
    let inbox = relay.for_a.lock().ok().and_then(|mut s| s.take());
    ws.on_upgrade(move |socket| page_bridge(socket, inbox, relay.to_b))
}

async fn signal_b(ws: WebSocketUpgrade, State(relay): State<PageRelay>) -> impl IntoResponse {
    let inbox = relay.for_b.lock().ok().and_then(|mut s| s.take());
    ws.on_upgrade(move |socket| page_bridge(socket, inbox, relay.to_a))
}

/// One page's end: its frames to `other`, the other's frames (`inbox`, taken once) to it.
async fn page_bridge(
    mut socket: WebSocket,
    inbox: Option<mpsc::UnboundedReceiver<String>>,
    other: mpsc::UnboundedSender<String>,
) {
    let Some(mut inbox) = inbox else {
        return;
    };
    loop {
        tokio::select! {
            frame = socket.recv() => {
                let Some(Ok(Message::Text(text))) = frame else { break };
                if other.send(text.as_str().to_owned()).is_err() {
                    break;
                }
            }
            out = inbox.recv() => {
                let Some(text) = out else { break };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        }
    }
}
