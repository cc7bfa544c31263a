//! The admin socket protocol, shared by the daemon and `teleconsultctl`.
//!
//! One request per connection. A frame is one line of JSON, followed by `payload_bytes` raw
//! bytes when that field is non-zero (a backup archive). The client sends a [`RequestFrame`];
//! the daemon answers with a [`ResponseFrame`]: `{"ok":true,"result":…}` or
//! `{"ok":false,"error":"<snake_case_code>","message":"<human text>"}`.
//!
//! Blocking I/O on `std` sockets: the daemon serves each connection on a blocking thread (the
//! operations block on the store anyway), and the CLI needs no runtime.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};

/// Longest JSON line accepted.
pub const MAX_LINE_BYTES: u64 = 1024 * 1024;
/// Largest payload accepted (a backup archive is held in memory).
pub const MAX_PAYLOAD_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// What `teleconsultctl` asks the daemon to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Request {
    Status,
    /// Answered with the archive as payload.
    Backup,
    /// Sent with the archive as payload.
    Restore {
        force: bool,
    },
    ExportPatient {
        id: String,
    },
    ErasePatient {
        id: String,
    },
    AuditVerify,
    /// Reads and checks every record (the scrub).
    Verify,
    SyncRetry,
    UserAdd(super::users::NewUser),
    UserList,
    UserDisable {
        login: String,
    },
    UserResetTotp {
        login: String,
    },
}

impl Request {
    /// The command name as typed on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Backup => "backup",
            Request::Restore { .. } => "restore",
            Request::ExportPatient { .. } => "export-patient",
            Request::ErasePatient { .. } => "erase-patient",
            Request::AuditVerify => "audit-verify",
            Request::Verify => "verify",
            Request::SyncRetry => "sync retry",
            Request::UserAdd(_) => "user add",
            Request::UserList => "user list",
            Request::UserDisable { .. } => "user disable",
            Request::UserResetTotp { .. } => "user reset-totp",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFrame {
    #[serde(flatten)]
    pub request: Request,
    #[serde(default)]
    pub payload_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseFrame {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default)]
    pub payload_bytes: u64,
}

/// A failed operation: a stable code for scripts and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AdminError {
    pub code: String,
    pub message: String,
}

impl AdminError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<teleconsult_store::StoreError> for AdminError {
    fn from(e: teleconsult_store::StoreError) -> Self {
        let code = match &e {
            teleconsult_store::StoreError::AuditChainBroken { .. } => "audit_chain_broken",
            teleconsult_store::StoreError::Locked { .. } => "store_locked",
            teleconsult_store::StoreError::WrongKey { .. } => "wrong_key",
            teleconsult_store::StoreError::Corrupt(_) => "store_corrupt",
            teleconsult_store::StoreError::RolledBack(_) => "store_rolled_back",
            teleconsult_store::StoreError::Damaged { .. } => "store_damaged",
            teleconsult_store::StoreError::ReserveReached { .. } => "insufficient_storage",
            e if e.is_storage_full() => "storage_full",
            _ => "store_error",
        };
        Self::new(code, e.to_string())
    }
}

impl From<teleconsult_store::BackupError> for AdminError {
    fn from(e: teleconsult_store::BackupError) -> Self {
        match e {
            teleconsult_store::BackupError::Store(inner) => inner.into(),
            other => Self::new(other.code(), other.to_string()),
        }
    }
}

/// Outcome of one operation: a JSON result and, for a backup, the archive.
pub type Reply = Result<(serde_json::Value, Option<Vec<u8>>), AdminError>;

/// Writes a JSON line and its payload.
pub fn write_frame<T: Serialize>(
    out: &mut impl Write,
    frame: &T,
    payload: Option<&[u8]>,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(frame).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    if let Some(payload) = payload {
        out.write_all(payload)?;
    }
    out.flush()
}

/// Reads a JSON line; `None` when the peer closed the connection before sending anything.
pub fn read_frame<T: DeserializeOwned>(input: &mut impl BufRead) -> std::io::Result<Option<T>> {
    let mut line = Vec::new();
    input.take(MAX_LINE_BYTES).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "incomplete or oversized frame",
        ));
    }
    serde_json::from_slice(&line)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Reads exactly `len` payload bytes.
pub fn read_payload(input: &mut impl Read, len: u64) -> std::io::Result<Vec<u8>> {
    if len > MAX_PAYLOAD_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("payload of {len} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit"),
        ));
    }
    let len = usize::try_from(len).map_err(std::io::Error::other)?;
    let mut payload = Vec::new();
    payload
        .try_reserve_exact(len)
        .map_err(std::io::Error::other)?;
    input.take(len as u64).read_to_end(&mut payload)?;
    if payload.len() != len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("payload ended after {} of {len} bytes", payload.len()),
        ));
    }
    Ok(payload)
}

impl ResponseFrame {
    pub fn from_reply(reply: &Reply) -> Self {
        match reply {
            Ok((result, payload)) => Self {
                ok: true,
                result: Some(result.clone()),
                error: None,
                message: None,
                payload_bytes: payload.as_ref().map_or(0, |p| p.len() as u64),
            },
            Err(e) => Self {
                ok: false,
                result: None,
                error: Some(e.code.clone()),
                message: Some(e.message.clone()),
                payload_bytes: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn requests_are_tagged_snake_case_json() {
        let frame = RequestFrame {
            request: Request::Restore { force: true },
            payload_bytes: 12,
        };
        let json = serde_json::to_value(&frame).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"command": "restore", "force": true, "payload_bytes": 12})
        );
        let status: RequestFrame = serde_json::from_str(r#"{"command":"status"}"#).unwrap();
        assert_eq!(status.request, Request::Status);
        assert_eq!(status.payload_bytes, 0);
        let err = serde_json::from_str::<RequestFrame>(r#"{"command":"format_disk"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown variant"), "{err}");
    }

    #[test]
    fn frames_round_trip_with_their_payload() {
        let mut wire = Vec::new();
        let reply: Reply = Ok((serde_json::json!({"a": 1}), Some(vec![1, 2, 3])));
        let (_, payload) = reply.as_ref().unwrap();
        write_frame(
            &mut wire,
            &ResponseFrame::from_reply(&reply),
            payload.as_deref(),
        )
        .unwrap();
        let mut input = std::io::BufReader::new(wire.as_slice());
        let frame: ResponseFrame = read_frame(&mut input).unwrap().unwrap();
        assert!(frame.ok);
        assert_eq!(frame.payload_bytes, 3);
        assert_eq!(read_payload(&mut input, 3).unwrap(), vec![1, 2, 3]);
        assert!(read_frame::<ResponseFrame>(&mut input).unwrap().is_none());
    }

    #[test]
    fn short_payloads_and_unterminated_lines_are_errors() {
        use std::io::ErrorKind;
        let mut short = std::io::BufReader::new(&[1u8, 2][..]);
        let err = read_payload(&mut short, 3).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
        assert!(err.to_string().contains("after 2 of 3 bytes"), "{err}");
        let mut unterminated = std::io::BufReader::new(&b"{\"ok\":true}"[..]);
        let err = read_frame::<ResponseFrame>(&mut unterminated).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
        assert!(err.to_string().contains("incomplete"), "{err}");
        let err = read_payload(&mut std::io::empty(), MAX_PAYLOAD_BYTES + 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
        assert!(err.to_string().contains("exceeds"), "{err}");
    }
}
