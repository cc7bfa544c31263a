//! The call of an appointment over HTTP: `GET /appointments/{id}/call` (what a party needs to
//! join: their role, ICE servers, the signalling URL) and `GET /appointments/{id}/call/quality`
//! (the per-call quality record). Who may enter and when is decided by
//! `teleconsult_core::call`; the signalling itself is in [`crate::signal`], the rooms in
//! [`crate::call_room`], shared files in [`crate::call_attachments`].
//!
//! Site staff: on a booth site, staff run the booth, which is the patient's side of the call
//! (role `booth`); on a clinic site staff are no party to calls. Anyone who is no party gets
//! 404, like for any object that is not theirs.

use crate::appointments::visible;
use crate::auth::{AuthUser, event};
use crate::call_media::BoothMedia;
use crate::call_turn::{TurnAuth, TurnUri};
use crate::error::ApiError;
use crate::state::{AppState, Inner};
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use std::sync::Arc;
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::call::{EntryError, QualityRecord, QualitySummary, role_in_call, room_open};
use teleconsult_core::ids::AppointmentId;
use teleconsult_core::signal::Role;
use teleconsult_core::site::SiteKind;
use utoipa::ToSchema;

/// Default largest attachment (`[media] attachment_max_mb`).
pub const DEFAULT_ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// What the daemon configures for calls.
#[derive(Clone)]
pub struct CallConfig {
    pub site_kind: SiteKind,
    /// `[media] stun_servers` (`stun:host:port`).
    pub stun_servers: Vec<String>,
    /// `[media] turn_servers` (`turn:host:port`; deprecated: `turn(s)://user:pass@host:port`).
    pub turn_servers: Vec<String>,
    /// `[media] turn_secret_file` and `turn_ttl_s`: credentials of their own for each caller.
    pub turn_auth: Option<TurnAuth>,
    pub attachment_max_bytes: usize,
    /// The booth's own pipeline, on booth sites (absent: the patient side is always a browser).
    pub booth: Option<Arc<dyn BoothMedia>>,
}

impl Default for CallConfig {
    fn default() -> Self {
        Self {
            site_kind: SiteKind::Clinic,
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            turn_auth: None,
            attachment_max_bytes: DEFAULT_ATTACHMENT_MAX_BYTES,
            booth: None,
        }
    }
}

impl std::fmt::Debug for CallConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallConfig")
            .field("site_kind", &self.site_kind)
            .field("attachment_max_bytes", &self.attachment_max_bytes)
            .field("booth", &self.booth.is_some())
            .finish_non_exhaustive()
    }
}

/// An ICE server as `RTCPeerConnection` takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The configured STUN and TURN servers in browser form, for `who` at `now`. With a TURN
/// secret, each TURN server gets credentials made for `who` that expire (TURN REST API); else a
/// static `turn://user:pass@host:port` (deprecated) becomes `turn:host:port` with that pair.
pub fn ice_servers(config: &CallConfig, now: Timestamp, who: &str) -> Vec<IceServer> {
    let mut out: Vec<IceServer> = config
        .stun_servers
        .iter()
        .map(|s| IceServer {
            urls: vec![s.clone()],
            username: None,
            credential: None,
        })
        .collect();
    let fresh = config.turn_auth.as_ref().map(|a| a.credentials(now, who));
    for turn in &config.turn_servers {
        let Some(uri) = TurnUri::parse(turn) else {
            continue;
        };
        let (username, credential) = match (&fresh, uri.userinfo) {
            (Some(c), _) => (Some(c.username.clone()), Some(c.credential.clone())),
            (None, Some(user)) => {
                let (u, p) = user.split_once(':').unwrap_or((user, ""));
                (Some(u.to_owned()), Some(p.to_owned()))
            }
            (None, None) => (None, None),
        };
        out.push(IceServer {
            urls: vec![uri.browser_url()],
            username,
            credential,
        });
    }
    out
}

/// Maps a closed room to the API error.
pub(crate) fn entry_error(e: EntryError) -> ApiError {
    match e {
        EntryError::TooEarly { .. } => ApiError::too_early(e.to_string()),
        EntryError::TooLate { .. } => ApiError::too_late(e.to_string()),
        EntryError::Closed { .. } => ApiError::call_closed(e.to_string()),
    }
}

pub(crate) fn appointment_id(raw: &str) -> Result<AppointmentId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// The appointment and the caller's role in its call, if the room is open now: 404 for anyone
/// who is no party, 403 `too_early` / `too_late`, 409 `call_closed`.
pub(crate) fn enter(
    inner: &Inner,
    user: &AuthUser,
    id: AppointmentId,
) -> Result<(Appointment, Role), ApiError> {
    let appointment = visible(inner, user, id)?;
    let site = inner.calls.config().site_kind;
    let role = role_in_call(&user.account, &appointment, site).ok_or_else(ApiError::not_found)?;
    room_open(
        &appointment,
        inner.clock.now(),
        &inner.settings.appointments,
    )
    .map_err(entry_error)?;
    Ok((appointment, role))
}

/// What a party needs to join the call.
#[derive(Serialize, ToSchema)]
pub struct CallInfo {
    pub appointment_id: String,
    /// `patient`, `practitioner` or `booth`: the role to send in the `join` frame.
    pub role: String,
    /// `video` or `audio`.
    pub mode: String,
    pub start: String,
    pub end: String,
    pub status: String,
    /// `browser`: this client sends and receives media itself (WebRTC); `booth`: the booth's own
    /// camera and screen carry the call, this client only signals (ring, accept, chat).
    pub media: String,
    pub ice_servers: Vec<IceServer>,
    /// Absolute `wss://` URL of the signalling WebSocket (the site's public URL).
    pub signal_url: String,
    /// The same, as a path on this host.
    pub signal_path: String,
    /// Largest attachment accepted, in bytes.
    pub attachment_max_bytes: usize,
    /// Content types accepted as attachments.
    pub attachment_types: Vec<String>,
}

/// What the caller needs to join the call of an appointment.
#[utoipa::path(get, path = "/appointments/{id}/call", tag = "call", params(("id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's role, ICE servers and the signalling URL", body = CallInfo),
        (status = 403, description = "`too_early`: more than 10 minutes before the start; `too_late`: the room has closed", body = crate::error::ErrorBody),
        (status = 404, description = "No such appointment, or the caller is no party to its call", body = crate::error::ErrorBody),
        (status = 409, description = "`call_closed`: the appointment is completed, cancelled or a no-show", body = crate::error::ErrorBody)))]
pub async fn call_info(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<CallInfo>, ApiError> {
    let id = appointment_id(&id)?;
    let caller = user.account.id.to_string();
    let (appointment, role) = state.blocking(move |inner| enter(inner, &user, id)).await?;
    let config = state.calls.config();
    let media = if role == Role::Booth && config.booth.is_some() {
        "booth"
    } else {
        "browser"
    };
    let signal_path = format!("/api/v1/appointments/{id}/signal");
    let base = &state.settings.public_url;
    let ws_base = base
        .strip_prefix("https://")
        .map(|rest| format!("wss://{rest}"))
        .or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")))
        .unwrap_or_else(|| base.clone());
    Ok(Json(CallInfo {
        appointment_id: id.to_string(),
        role: role.name().to_owned(),
        mode: crate::agenda::mode_name(appointment.mode).to_owned(),
        start: appointment.start.to_string(),
        end: appointment.end.to_string(),
        status: appointment.status.name().to_owned(),
        media: media.to_owned(),
        ice_servers: ice_servers(config, state.clock.now(), &caller),
        signal_url: format!("{ws_base}{signal_path}"),
        signal_path,
        attachment_max_bytes: config.attachment_max_bytes,
        attachment_types: teleconsult_core::call::ATTACHMENT_TYPES
            .iter()
            .map(|t| (*t).to_owned())
            .collect(),
    }))
}

/// The quality record of a call: samples from both sides and per-side averages.
#[derive(Serialize, ToSchema)]
pub struct QualityView {
    pub appointment_id: String,
    pub first_sample_at: String,
    pub last_sample_at: String,
    pub sample_count: u64,
    #[schema(value_type = Vec<Object>)]
    pub summary: Vec<QualitySummary>,
    #[schema(value_type = Vec<Object>)]
    pub samples: Vec<teleconsult_core::call::QualitySample>,
}

impl From<QualityRecord> for QualityView {
    fn from(r: QualityRecord) -> Self {
        Self {
            appointment_id: r.appointment.to_string(),
            first_sample_at: r.first_sample_at.to_string(),
            last_sample_at: r.last_sample_at.to_string(),
            sample_count: r.sample_count,
            summary: r.summary(),
            samples: r.samples,
        }
    }
}

/// The per-call quality record (RTT, loss, jitter, bitrate, fps, resolution), for the parties
/// of the call and the site's staff and administrators (support).
#[utoipa::path(get, path = "/appointments/{id}/call/quality", tag = "call", params(("id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The quality record", body = QualityView),
        (status = 404, description = "No such appointment, not yours, or no call measured yet", body = crate::error::ErrorBody)))]
pub async fn quality(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<QualityView>, ApiError> {
    let id = appointment_id(&id)?;
    state
        .blocking(move |inner| {
            visible(inner, &user, id)?;
            let audit = event(
                inner.clock.now(),
                Actor::Account(user.account.id.to_string()),
                Action::Read,
                "call_quality",
                id.to_string(),
            );
            let record = inner
                .store
                .quality_record(id, &audit)?
                .ok_or_else(ApiError::not_found)?;
            Ok(Json(QualityView::from(record)))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_uris_become_browser_ice_servers() {
        let config = CallConfig {
            stun_servers: vec!["stun:stun.example.lu:3478".into()],
            turn_servers: vec![
                "turn://alice:s3cret@turn.example.lu:3478".into(),
                "turns://turn.example.lu:5349".into(),
            ],
            ..CallConfig::default()
        };
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let servers = ice_servers(&config, now, "acc");
        assert_eq!(servers.len(), 3);
        assert_eq!(servers[0].urls, ["stun:stun.example.lu:3478"]);
        assert_eq!(servers[1].urls, ["turn:turn.example.lu:3478"]);
        assert_eq!(servers[1].username.as_deref(), Some("alice"));
        assert_eq!(servers[1].credential.as_deref(), Some("s3cret"));
        assert_eq!(servers[2].urls, ["turns:turn.example.lu:5349"]);
        assert_eq!(servers[2].username, None);
    }

    /// Issue #18 (11): with a TURN secret every caller gets credentials of their own, which
    /// expire `turn_ttl_s` after they were given, instead of the site's static pair.
    #[test]
    fn with_a_secret_each_caller_gets_expiring_credentials() {
        let secret = crate::call_turn::TurnSecret::from_file_contents(b"north-secret\n").unwrap();
        let config = CallConfig {
            turn_servers: vec!["turn:turn.example.lu:3478".into()],
            turn_auth: Some(TurnAuth {
                secret,
                ttl: std::time::Duration::from_secs(3600),
            }),
            ..CallConfig::default()
        };
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let alice = ice_servers(&config, now, "alice");
        assert_eq!(alice[0].urls, ["turn:turn.example.lu:3478"]);
        assert_eq!(alice[0].username.as_deref(), Some("1800003600:alice"));
        assert_eq!(
            alice[0].credential.as_deref(),
            Some("ERbGROgPO96Ue8GY9xOaOOqmnZI=")
        );
        let bob = ice_servers(&config, now, "bob");
        assert_ne!(bob[0].credential, alice[0].credential);
        let later = ice_servers(
            &config,
            Timestamp::from_second(1_800_000_060).unwrap(),
            "alice",
        );
        assert_eq!(later[0].username.as_deref(), Some("1800003660:alice"));
    }
}
