//! The test's web server on the booth address: the media test page (tests/media-page) and a
//! signalling relay between the page's WebSocket and the booth peer's stdin/stdout — what the
//! daemon's `/api/v1/appointments/{id}/signal` endpoint will do once it exists.

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
