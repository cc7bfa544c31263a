//! Call signalling frames (DESIGN §4b), serde only: JSON text frames tagged by `"type"`.
//!
//! Shared by the signalling WebSocket (`teleconsult-web`) and the booth pipeline
//! (`teleconsult-media`), hence here. [`parse`] never fails silently: anything that is not a
//! known frame becomes a [`SignalError`] whose [`SignalError::to_frame`] is the `error` frame to
//! send back (the socket stays open).

use crate::call::CallQuality;
use serde::{Deserialize, Serialize};

/// Who speaks on a signalling socket. `booth` is the patient's side when the patient sits in a
/// pharmacy booth (the box's camera and microphone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Patient,
    Practitioner,
    Booth,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SignalMessage {
    /// client → server: enter the room.
    Join {
        role: Role,
    },
    /// server → all: who waits in the waiting room.
    Waiting {
        #[serde(default)]
        roles: Vec<Role>,
    },
    /// server → all: who is in the call.
    Present {
        #[serde(default)]
        roles: Vec<Role>,
    },
    /// practitioner → patient side.
    Ring,
    Accept,
    Decline,
    Offer {
        sdp: String,
    },
    Answer {
        sdp: String,
    },
    Ice {
        candidate: String,
        #[serde(rename = "sdpMLineIndex", default)]
        sdp_m_line_index: u32,
    },
    /// An ICE restart is requested: the receiver makes a new offer with fresh credentials.
    Restart,
    Chat {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachment_id: Option<String>,
        /// Set by the server when it relays the message: who wrote it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Role>,
    },
    /// client → server: a getStats summary.
    Stats(CallQuality),
    Hangup,
    Error {
        error: String,
        message: String,
    },
}

impl Role {
    /// The snake_case name used in frames.
    pub fn name(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Practitioner => "practitioner",
            Role::Booth => "booth",
        }
    }

    /// The patient's side of the call: the patient's own browser or the booth.
    pub fn is_patient_side(self) -> bool {
        matches!(self, Role::Patient | Role::Booth)
    }
}

impl SignalMessage {
    /// The frame's `"type"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Join { .. } => "join",
            Self::Waiting { .. } => "waiting",
            Self::Present { .. } => "present",
            Self::Ring => "ring",
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Offer { .. } => "offer",
            Self::Answer { .. } => "answer",
            Self::Ice { .. } => "ice",
            Self::Restart => "restart",
            Self::Chat { .. } => "chat",
            Self::Stats(_) => "stats",
            Self::Hangup => "hangup",
            Self::Error { .. } => "error",
        }
    }

    /// The JSON text frame.
    pub fn to_json(&self) -> String {
        // A derived Serialize of strings, numbers and enums cannot fail (non-finite floats in a
        // stats frame become null).
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":"error"}"#.to_owned())
    }

    pub fn error(error: &str, message: impl Into<String>) -> Self {
        Self::Error {
            error: error.to_owned(),
            message: message.into(),
        }
    }
}

/// Every frame type of the contract.
pub const KNOWN_TYPES: &[&str] = &[
    "join", "waiting", "present", "ring", "accept", "decline", "offer", "answer", "ice", "restart",
    "chat", "stats", "hangup", "error",
];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    #[error("frame is not a JSON object with a string \"type\"")]
    NotAFrame,
    #[error("unknown frame type {0:?}")]
    UnknownType(String),
    #[error("bad {kind:?} frame: {detail}")]
    BadFields { kind: String, detail: String },
}

impl SignalError {
    /// The `error` frame answering a frame that could not be understood.
    pub fn to_frame(&self) -> SignalMessage {
        let code = match self {
            Self::NotAFrame => "bad_frame",
            Self::UnknownType(_) => "unknown_type",
            Self::BadFields { .. } => "bad_fields",
        };
        SignalMessage::error(code, self.to_string())
    }
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<SignalMessage, SignalError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| SignalError::NotAFrame)?;
    let kind = value
        .get("type")
        .and_then(serde_json::Value::as_str)
        .ok_or(SignalError::NotAFrame)?
        .to_owned();
    if !KNOWN_TYPES.contains(&kind.as_str()) {
        return Err(SignalError::UnknownType(kind));
    }
    serde_json::from_value(value).map_err(|e| SignalError::BadFields {
        kind,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_use_the_contract_spelling() {
        let ice = parse(r#"{"type":"ice","candidate":"candidate:1 1 UDP 1 10.77.0.2 5000 typ host","sdpMLineIndex":1,"sdpMid":"1"}"#)
            .expect("browser ice frame");
        assert_eq!(
            ice,
            SignalMessage::Ice {
                candidate: "candidate:1 1 UDP 1 10.77.0.2 5000 typ host".into(),
                sdp_m_line_index: 1
            }
        );
        assert!(ice.to_json().contains(r#""sdpMLineIndex":1"#));
        assert_eq!(
            SignalMessage::Join { role: Role::Booth }.to_json(),
            r#"{"type":"join","role":"booth"}"#
        );
        assert_eq!(SignalMessage::Hangup.to_json(), r#"{"type":"hangup"}"#);
        assert_eq!(parse(r#"{"type":"restart"}"#), Ok(SignalMessage::Restart));
        let chat = parse(r#"{"type":"chat","text":"bonjour"}"#).expect("chat");
        assert_eq!(chat.to_json(), r#"{"type":"chat","text":"bonjour"}"#);
        let stats = parse(r#"{"type":"stats","rtt_ms":12.5,"recv_fps":29.0}"#).expect("stats");
        let SignalMessage::Stats(q) = stats else {
            panic!("not stats")
        };
        assert_eq!(q.rtt_ms, Some(12.5));
        assert_eq!(q.recv_fps, Some(29.0));
    }

    #[test]
    fn every_known_type_round_trips() {
        let frames = [
            SignalMessage::Join {
                role: Role::Patient,
            },
            SignalMessage::Waiting {
                roles: vec![Role::Patient],
            },
            SignalMessage::Present {
                roles: vec![Role::Patient, Role::Practitioner],
            },
            SignalMessage::Ring,
            SignalMessage::Accept,
            SignalMessage::Decline,
            SignalMessage::Offer { sdp: "v=0".into() },
            SignalMessage::Answer { sdp: "v=0".into() },
            SignalMessage::Ice {
                candidate: String::new(),
                sdp_m_line_index: 0,
            },
            SignalMessage::Restart,
            SignalMessage::Chat {
                text: "x".into(),
                attachment_id: Some("a1".into()),
                from: Some(Role::Practitioner),
            },
            SignalMessage::Stats(CallQuality::default()),
            SignalMessage::Hangup,
            SignalMessage::error("e", "m"),
        ];
        assert_eq!(frames.len(), KNOWN_TYPES.len());
        for frame in frames {
            assert!(KNOWN_TYPES.contains(&frame.kind()));
            assert_eq!(
                parse(&frame.to_json()),
                Ok(frame.clone()),
                "{}",
                frame.kind()
            );
        }
    }

    #[test]
    fn bad_frames_become_error_frames() {
        let unknown = parse(r#"{"type":"teleport"}"#).expect_err("unknown");
        assert_eq!(unknown, SignalError::UnknownType("teleport".into()));
        let SignalMessage::Error { error, .. } = unknown.to_frame() else {
            panic!("not an error frame")
        };
        assert_eq!(error, "unknown_type");
        assert_eq!(parse("not json"), Err(SignalError::NotAFrame));
        assert_eq!(parse(r#"{"sdp":"v=0"}"#), Err(SignalError::NotAFrame));
        let missing = parse(r#"{"type":"offer"}"#).expect_err("offer without sdp");
        assert!(matches!(missing, SignalError::BadFields { ref kind, .. } if kind == "offer"));
        assert!(matches!(
            parse(r#"{"type":"join","role":"janitor"}"#),
            Err(SignalError::BadFields { .. })
        ));
    }
}
