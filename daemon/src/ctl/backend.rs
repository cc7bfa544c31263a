//! Where `teleconsultctl` sends a request: to the running daemon over its admin socket, or,
//! when nothing answers there, to the store opened directly (the daemon is stopped).
//!
//! Run as root on a store that belongs to the service user, the store is opened by a helper:
//! `teleconsultctl` re-executes itself as the store's owner (hidden command `store-helper`)
//! and speaks the admin protocol with it over a pipe, so every file the store writes stays the
//! service user's (a root-owned file would stop the daemon later), while the archive or patient
//! file is still written by root where root asked.

use super::CtlError;
use crate::admin::ops::{Context, SiteInfo};
use crate::admin::protocol::{self, Request, RequestFrame, ResponseFrame};
use crate::config::Config;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use teleconsult_store::{StorageKey, Store, StoreError};

/// How long the CLI waits for the daemon between two reads (a backup of a big store takes a
/// while before the first byte arrives).
const DAEMON_TIMEOUT: Duration = Duration::from_secs(600);

/// Who answers.
pub enum Backend {
    /// The running daemon, through a connection to its admin socket.
    Daemon(UnixStream),
    /// The stopped daemon's store, opened by this process.
    Direct(Box<Context>),
    /// The stopped daemon's store, opened by a helper running as the store's owner.
    Helper(Child),
}

impl Backend {
    /// Whether the daemon answered (`false`: the store was opened while it is stopped).
    pub fn is_daemon(&self) -> bool {
        matches!(self, Backend::Daemon(_))
    }
}

/// Connects to the daemon; `Ok(None)` when nothing listens on the socket (daemon stopped).
pub fn connect_daemon(config: &Config) -> Result<Option<UnixStream>, CtlError> {
    let path = &config.admin.socket;
    match UnixStream::connect(path) {
        Ok(stream) => {
            let configured = stream
                .set_read_timeout(Some(DAEMON_TIMEOUT))
                .and_then(|()| stream.set_write_timeout(Some(DAEMON_TIMEOUT)));
            configured.map_err(|e| CtlError::failure(format!("admin socket: {e}")))?;
            Ok(Some(stream))
        }
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused) => {
            Ok(None)
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Err(CtlError::failure(format!(
            "cannot connect to the admin socket {}: permission denied (run teleconsultctl as \
             root)",
            path.display()
        ))),
        Err(e) => Err(CtlError::failure(format!(
            "cannot connect to the admin socket {}: {e}",
            path.display()
        ))),
    }
}

/// The daemon when it answers, else the store. `create` allows creating a new store (a
/// restore onto a fresh machine); other commands need one to exist.
pub fn open(
    config: &Config,
    config_path: Option<&Path>,
    create: bool,
    actor: &str,
) -> Result<Backend, CtlError> {
    if let Some(stream) = connect_daemon(config)? {
        return Ok(Backend::Daemon(stream));
    }
    let path = &config.storage.path;
    // sled keeps its data in `db`; without it there is no store (and opening would make one).
    if !create && !path.join("db").exists() {
        return Err(CtlError::failure(format!(
            "no store at {} (storage.path) and teleconsultd does not answer on {}: has it ever \
             run on this machine?",
            path.display(),
            config.admin.socket.display()
        )));
    }
    if let Some((uid, gid)) = foreign_owner(path) {
        return spawn_helper(config_path, create, false, actor, uid, gid);
    }
    Ok(Backend::Direct(Box::new(direct_context(config, create)?)))
}

/// [`open`] for `restore`: with `force`, a stopped daemon's store that cannot be opened
/// (damaged) has its files set aside (see `Store::set_aside`) and a new store is made.
pub fn open_for_restore(
    config: &Config,
    config_path: Option<&Path>,
    force: bool,
    actor: &str,
) -> Result<Backend, CtlError> {
    if let Some(stream) = connect_daemon(config)? {
        return Ok(Backend::Daemon(stream));
    }
    if let Some((uid, gid)) = foreign_owner(&config.storage.path) {
        return spawn_helper(config_path, true, force, actor, uid, gid);
    }
    Ok(Backend::Direct(Box::new(direct_context_for(
        config, true, force,
    )?)))
}

/// The owner of the store folder, when this process is root and the folder is someone else's.
fn foreign_owner(path: &Path) -> Option<(u32, u32)> {
    if !nix::unistd::Uid::effective().is_root() {
        return None;
    }
    // A folder that does not exist yet is created by root; systemd hands StateDirectory= to
    // the service user when the service starts.
    let meta = std::fs::metadata(path).ok()?;
    (meta.uid() != 0).then_some((meta.uid(), meta.gid()))
}

/// Opens the store in this process.
pub fn direct_context(config: &Config, create: bool) -> Result<Context, CtlError> {
    direct_context_for(config, create, false)
}

/// Whether opening failed because the storage engine cannot read the store's files.
fn damaged(error: &StoreError) -> bool {
    matches!(error, StoreError::Damaged { .. } | StoreError::Corrupt(_))
}

/// [`direct_context`]; with `set_aside_damaged`, a store that cannot be opened has its files
/// set aside and a new one is made in its place (for `restore --force`).
pub fn direct_context_for(
    config: &Config,
    create: bool,
    set_aside_damaged: bool,
) -> Result<Context, CtlError> {
    let path = &config.storage.path;
    if !create && !path.join("db").exists() {
        return Err(CtlError::failure(format!(
            "no store at {} (storage.path)",
            path.display()
        )));
    }
    let key =
        StorageKey::load(&config.storage.key_file).map_err(|e| CtlError::failure(e.to_string()))?;
    // As the daemon's unit does (UMask=0077): store files are for their owner only.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let mut set_aside = None;
    let opened = match Store::open(path, key.clone()) {
        Err(error) if set_aside_damaged && damaged(&error) => {
            let aside = Store::set_aside(path).map_err(|e| CtlError::failure(e.to_string()))?;
            eprintln!(
                "teleconsultctl: the store at {} cannot be opened ({error}); its files were \
                 moved to {} and the backup goes into a new store",
                path.display(),
                aside.display()
            );
            set_aside = Some(aside);
            Store::open(path, key)
        }
        other => other,
    };
    let store = opened.map_err(|e| match e {
        StoreError::Locked { .. } => CtlError::failure(format!(
            "the store at {} is in use, so teleconsultd is running, but nothing answers on its \
             admin socket {}: check [admin] socket and the daemon's log (journalctl -u \
             teleconsultd)",
            path.display(),
            config.admin.socket.display()
        )),
        other => CtlError::failure(other.to_string()),
    })?;
    let clock: Arc<dyn teleconsult_core::ports::Clock> = Arc::new(crate::clock::SystemClock);
    let settings = crate::run::web_settings(config, config.http.listen);
    let app = Arc::new(teleconsult_web::state::application(
        &store, &clock, &settings,
    ));
    Ok(Context {
        store,
        app,
        clock,
        site: SiteInfo::from_config(config),
        sync_configured: config.platform.base_url.is_some(),
        service: None,
        set_aside,
    })
}

fn spawn_helper(
    config_path: Option<&Path>,
    create: bool,
    set_aside_damaged: bool,
    actor: &str,
    uid: u32,
    gid: u32,
) -> Result<Backend, CtlError> {
    let exe = std::env::current_exe()
        .map_err(|e| CtlError::failure(format!("cannot find teleconsultctl itself: {e}")))?;
    let mut cmd = Command::new(exe);
    if let Some(path) = config_path {
        // The helper runs in `/`: a relative path would name another file there.
        let path = std::path::absolute(path)
            .map_err(|e| CtlError::failure(format!("{}: {e}", path.display())))?;
        cmd.arg("--config").arg(path);
    }
    cmd.arg("store-helper").arg("--actor").arg(actor);
    if create {
        cmd.arg("--create");
    }
    if set_aside_damaged {
        cmd.arg("--set-aside-damaged");
    }
    // std drops the supplementary groups when it changes the uid as root.
    cmd.uid(uid)
        .gid(gid)
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let child = cmd.spawn().map_err(|e| {
        CtlError::failure(format!(
            "cannot start the store helper as uid {uid} (the owner of the store): {e}"
        ))
    })?;
    Ok(Backend::Helper(child))
}

/// Sends one request; returns the result and any payload (a backup archive).
pub fn call(
    backend: &mut Backend,
    request: &Request,
    payload: &[u8],
    actor: &str,
) -> Result<(serde_json::Value, Option<Vec<u8>>), CtlError> {
    match backend {
        Backend::Direct(ctx) => crate::admin::ops::perform(ctx, request, payload, actor)
            .map_err(|e| CtlError::failure(e.message).with_code(e.code)),
        Backend::Daemon(stream) => {
            let reader = BufReader::new(&*stream);
            exchange(reader, &*stream, request, payload, "teleconsultd")
        }
        Backend::Helper(child) => {
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                return Err(CtlError::failure("the store helper has no pipes"));
            };
            let result = exchange(
                BufReader::new(stdout),
                stdin,
                request,
                payload,
                "the store helper",
            );
            let _ = child.wait();
            result
        }
    }
}

/// Writes the request frame and reads the response frame (and payload) back.
fn exchange(
    mut reader: impl BufRead,
    mut writer: impl Write,
    request: &Request,
    payload: &[u8],
    peer: &str,
) -> Result<(serde_json::Value, Option<Vec<u8>>), CtlError> {
    let lost = |e: std::io::Error| {
        CtlError::failure(format!(
            "lost the connection to {peer} during {}: {e}",
            request.name()
        ))
    };
    let frame = RequestFrame {
        request: request.clone(),
        payload_bytes: payload.len() as u64,
    };
    protocol::write_frame(
        &mut writer,
        &frame,
        (!payload.is_empty()).then_some(payload),
    )
    .map_err(lost)?;
    let response: ResponseFrame = protocol::read_frame(&mut reader)
        .map_err(lost)?
        .ok_or_else(|| lost(std::io::Error::from(ErrorKind::UnexpectedEof)))?;
    if !response.ok {
        let code = response.error.unwrap_or_else(|| "failed".into());
        let message = response
            .message
            .unwrap_or_else(|| format!("{} failed ({code})", request.name()));
        return Err(CtlError::failure(message).with_code(code));
    }
    let payload = if response.payload_bytes > 0 {
        Some(protocol::read_payload(&mut reader, response.payload_bytes).map_err(lost)?)
    } else {
        None
    };
    Ok((response.result.unwrap_or_default(), payload))
}

/// `teleconsultctl store-helper`: answers one request on stdin/stdout with the store opened
/// here (see the module documentation).
pub fn serve_helper(
    config: &Config,
    create: bool,
    set_aside_damaged: bool,
    actor: &str,
) -> std::io::Result<()> {
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = std::io::stdout().lock();
    let Some(frame) = protocol::read_frame::<RequestFrame>(&mut input)? else {
        return Ok(());
    };
    let payload = protocol::read_payload(&mut input, frame.payload_bytes)?;
    let reply = match direct_context_for(config, create, set_aside_damaged) {
        Ok(ctx) => crate::admin::ops::perform(&ctx, &frame.request, &payload, actor),
        Err(e) => Err(crate::admin::protocol::AdminError::new(e.code, e.message)),
    };
    let response = ResponseFrame::from_reply(&reply);
    let payload = reply.as_ref().ok().and_then(|(_, p)| p.as_deref());
    protocol::write_frame(&mut output, &response, payload)
}
