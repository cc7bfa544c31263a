//! The call's signalling WebSocket (DESIGN §4b) as tests speak it: connect with a bearer token
//! (or any prepared request), send frames, read the next one or the next of a type, see how the
//! server closed. Every read is bounded ([`FRAME_WAIT`]).

use crate::Daemon;
use crate::accounts::Login;
use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

/// The longest wait for one frame.
pub const FRAME_WAIT: Duration = Duration::from_secs(20);

/// The `wss://` URL of appointment `id`'s signalling socket, with `query` (`token=…`) if any.
pub fn url(daemon: &Daemon, id: &str, query: Option<&str>) -> String {
    let path = match query {
        Some(query) => format!("/api/v1/appointments/{id}/signal?{query}"),
        None => format!("/api/v1/appointments/{id}/signal"),
    };
    daemon.url(&path).replacen("https://", "wss://", 1)
}

/// Connects to `url` without any credentials but what it carries; the refusal (status, body)
/// when the daemon answers with an HTTP error instead of upgrading.
pub async fn connect_url(
    daemon: &Daemon,
    url: &str,
) -> anyhow::Result<Result<Signal, (u16, Value)>> {
    connect_request(daemon, url.into_client_request()?).await
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A signalling socket to the daemon, trusting its certificate.
pub struct Signal {
    socket: Socket,
}

fn tls_connector(daemon: &Daemon) -> anyhow::Result<tokio_tungstenite::Connector> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(daemon.certificate_path())? {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_tungstenite::Connector::Rustls(Arc::new(config)))
}

/// Opens the signalling WebSocket with a bearer token; the refusal (status, JSON body) when
/// the daemon answers with an HTTP error instead of upgrading.
pub async fn connect(
    daemon: &Daemon,
    appointment: &str,
    who: &Login,
) -> anyhow::Result<Result<Signal, (u16, Value)>> {
    let url = daemon
        .url(&format!("/api/v1/appointments/{appointment}/signal"))
        .replacen("https://", "wss://", 1);
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", who.bearer().parse()?);
    connect_request(daemon, request).await
}

pub async fn connect_request(
    daemon: &Daemon,
    request: tungstenite::handshake::client::Request,
) -> anyhow::Result<Result<Signal, (u16, Value)>> {
    let connected = tokio::time::timeout(
        FRAME_WAIT,
        tokio_tungstenite::connect_async_tls_with_config(
            request,
            None,
            false,
            Some(tls_connector(daemon)?),
        ),
    )
    .await
    .context("WebSocket connect timed out")?;
    match connected {
        Ok((socket, _)) => Ok(Ok(Signal { socket })),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Ok(Err((status, body)))
        }
        Err(e) => Err(e.into()),
    }
}

impl Signal {
    pub async fn send(&mut self, frame: Value) -> anyhow::Result<()> {
        self.send_text(&frame.to_string()).await
    }

    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.socket.send(Message::text(text)).await?;
        Ok(())
    }

    /// The next JSON frame (control frames skipped).
    pub async fn next(&mut self) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .context("no frame in time")?
                .context("socket closed")??;
            match message {
                Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
                Message::Close(_) => bail!("socket closed by the server"),
                _ => {}
            }
        }
    }

    /// Reads until the server closes: the close frame's code and reason (`None` when the
    /// connection ended without one).
    pub async fn closed(&mut self) -> anyhow::Result<Option<(u16, String)>> {
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .context("the socket stayed open")?;
            match message {
                Some(Ok(Message::Close(frame))) => {
                    return Ok(frame.map(|f| (u16::from(f.code), f.reason.to_string())));
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return Ok(None),
            }
        }
    }

    /// Frames until one of type `kind` (earlier ones are returned too, for inspection).
    pub async fn until(&mut self, kind: &str) -> anyhow::Result<Value> {
        for _ in 0..50 {
            let frame = self.next().await?;
            if frame["type"] == kind {
                return Ok(frame);
            }
        }
        bail!("no {kind:?} frame among the next 50")
    }
}
