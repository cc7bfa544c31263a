//! The daemon side of the admin socket (`[admin] socket`, DESIGN §4c): `teleconsultctl` asks
//! the running daemon for its status, a consistent backup, a restore, a patient export or
//! erasure, an audit-chain check or an outbox retry.
//!
//! - The socket file is created owner-only (0600, bound under a temporary name, then renamed
//!   into place), and each connection's peer credentials are checked too: only root and the
//!   daemon's own user are served.
//! - A failure to bind is logged and the daemon serves HTTP without the admin socket: an admin
//!   convenience must not take the service down. The socket's folder is not created here
//!   (systemd's `RuntimeDirectory=teleconsult` creates `/run/teleconsult`).
//! - The protocol is in [`protocol`], the operations in [`ops`] (shared with `teleconsultctl`,
//!   which runs them itself on a stopped daemon's store).

pub mod ops;
pub mod protocol;
pub mod users;

use protocol::{AdminError, Reply, RequestFrame, ResponseFrame};
use std::io::BufReader;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a connection may stay silent (a backup or restore of a large store streams for a
/// while, but never pauses this long).
const IO_TIMEOUT: Duration = Duration::from_secs(120);

/// The listening socket, to be served by [`serve`]; removed from the filesystem on drop.
#[derive(Debug)]
pub struct AdminSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds the admin socket at `path`, owner-only. Logs and returns `None` when that is not
/// possible; the daemon then runs without it.
pub fn bind(path: &Path) -> Option<AdminSocket> {
    match try_bind(path) {
        Ok(socket) => {
            tracing::info!(path = %path.display(), "admin socket listening");
            Some(socket)
        }
        Err(reason) => {
            tracing::warn!(path = %path.display(), %reason, "admin socket disabled: teleconsultctl can only work on a stopped daemon");
            None
        }
    }
}

fn try_bind(path: &Path) -> Result<AdminSocket, String> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(format!(
            "folder {} does not exist (under systemd, RuntimeDirectory=teleconsult creates it)",
            parent.display()
        ));
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(format!(
                "{} exists and is not a socket; remove it",
                path.display()
            ));
        }
        if UnixStream::connect(path).is_ok() {
            return Err("another process answers on it (a second teleconsultd?)".into());
        }
        // A socket nobody answers on: left behind by a daemon that was killed.
        std::fs::remove_file(path).map_err(|e| format!("cannot remove the stale socket: {e}"))?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "admin.sock".into());
    let staging = parent.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    let listener = UnixListener::bind(&staging).map_err(|e| format!("cannot bind: {e}"))?;
    let placed = std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&staging, path));
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&staging);
        return Err(format!("cannot put the socket in place: {e}"));
    }
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot configure the socket: {e}"))?;
    Ok(AdminSocket {
        listener,
        path: path.to_owned(),
    })
}

/// Serves admin requests until `shutdown`, each connection on a blocking thread tracked by
/// `tracker`. Removes the socket file when it stops.
pub async fn serve(
    socket: AdminSocket,
    ctx: Arc<ops::Context>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    let listener = match socket
        .listener
        .try_clone()
        .and_then(tokio::net::UnixListener::from_std)
    {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(error = %e, "admin socket cannot be served");
            return;
        }
    };
    let own_uid = nix::unistd::geteuid().as_raw();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "admin socket accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let uid = match stream.peer_cred() {
            Ok(cred) => cred.uid(),
            Err(e) => {
                tracing::warn!(error = %e, "admin connection without peer credentials refused");
                continue;
            }
        };
        let ctx = ctx.clone();
        tracker.spawn_blocking(move || {
            let refused = (uid != 0 && uid != own_uid).then_some(uid);
            if let Err(e) = serve_connection(stream, &ctx, uid, refused) {
                tracing::warn!(error = %e, "admin connection failed");
            }
        });
    }
    drop(socket);
}

fn serve_connection(
    stream: tokio::net::UnixStream,
    ctx: &ops::Context,
    uid: u32,
    refused: Option<u32>,
) -> std::io::Result<()> {
    let stream = stream.into_std()?;
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let reply: Reply = match protocol::read_frame::<RequestFrame>(&mut reader) {
        Ok(None) => return Ok(()),
        Err(e) => Err(AdminError::new("bad_request", e.to_string())),
        Ok(Some(_)) if refused.is_some() => Err(AdminError::new(
            "permission_denied",
            format!("uid {uid} may not use the admin socket: run teleconsultctl as root"),
        )),
        Ok(Some(frame)) => match protocol::read_payload(&mut reader, frame.payload_bytes) {
            Err(e) => Err(AdminError::new("bad_request", e.to_string())),
            Ok(payload) => {
                let actor = actor_name(uid);
                tracing::info!(command = frame.request.name(), %actor, "admin command");
                let reply = ops::perform(ctx, &frame.request, &payload, &actor);
                if let Err(e) = &reply {
                    tracing::warn!(command = frame.request.name(), error = %e.code, message = %e.message, "admin command failed");
                }
                reply
            }
        },
    };
    let response = ResponseFrame::from_reply(&reply);
    let payload = reply.as_ref().ok().and_then(|(_, p)| p.as_deref());
    protocol::write_frame(&mut writer, &response, payload)
}

/// The administrator as recorded in the audit trail: the login name of a uid, or the uid.
pub fn actor_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(user)) => format!("{} (uid {uid})", user.name),
        _ => format!("uid {uid}"),
    }
}

/// Binds the admin socket of `config` and serves it until `shutdown` (nothing when it cannot
/// be bound: see [`bind`]). Called by the daemon once the store is open and the HTTP state
/// exists.
pub fn start(
    config: &crate::config::Config,
    store: teleconsult_store::Store,
    web: teleconsult_web::AppState,
    local: std::net::SocketAddr,
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) {
    let Some(socket) = bind(&config.admin.socket) else {
        return;
    };
    let clock = crate::clock::SystemClock;
    let ctx = ops::Context {
        store,
        app: web.app.clone(),
        clock: Arc::new(clock),
        site: ops::SiteInfo::from_config(config),
        sync_configured: config.platform.base_url.is_some(),
        set_aside: None,
        service: Some(ops::Service {
            started_at: teleconsult_core::ports::Clock::now(&clock),
            started: std::time::Instant::now(),
            url: format!("https://{local}/"),
            tls: crate::tls::TlsKind::of(config.http.tls_cert.as_deref()),
            admin_socket: config.admin.socket.clone(),
            web,
        }),
    };
    tracker.spawn(serve(
        socket,
        Arc::new(ctx),
        shutdown.clone(),
        tracker.clone(),
    ));
}
