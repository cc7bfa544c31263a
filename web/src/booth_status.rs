//! The cabin as the console follows it (DESIGN §4d): `GET /booth/status` — camera, microphone,
//! speaker, printer, network and platform, each `ok` | `degraded` | `missing` with a detail,
//! the devices found, and what the cabin's screen shows — and `POST /booth/check`, the device
//! check before a call (camera frames, microphone level, speaker tone). Staff of a booth site;
//! administrators read the status; staff of a clinic get 404, everyone else 403 (decided in
//! `teleconsult-app`). Handlers parse, call, present.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use teleconsult_app::cabin::{
    CabinStatus, CallLink, Condition, DeviceCheck, Health, Measured, PlatformLink, VideoDegradation,
};
use utoipa::ToSchema;

/// One part's state.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct PartView {
    /// `ok`, `degraded` or `missing`.
    pub state: String,
    /// Why, for staff (a device name, an error; never anything of a patient).
    pub detail: String,
}

impl From<&Condition> for PartView {
    fn from(c: &Condition) -> Self {
        Self {
            state: c.state.name().to_owned(),
            detail: c.detail.clone(),
        }
    }
}

/// A device the cabin knows of.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct DeviceView {
    /// `camera`, `microphone`, `speaker`, `printer`.
    pub kind: String,
    pub name: String,
    /// `ok`, `degraded` or `missing`.
    pub state: String,
    pub detail: String,
}

/// What the cabin's screen shows, and whether its call pipeline runs.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct CabinScreenView {
    /// `welcome` (the site's name, nothing of anyone), `waiting` (a session's appointment is
    /// known, its call not started) or `call` (the practitioner big, the cabin small).
    pub view: String,
    /// The box's call pipeline (camera, microphone, encoder, screen) runs.
    pub pipeline: bool,
    /// The welcome view (the site's name) is drawn on the cabin's screen.
    pub welcome_screen: bool,
}

/// `GET /booth/status`.
#[derive(Serialize, ToSchema, Debug)]
pub struct BoothStatusView {
    pub camera: PartView,
    pub microphone: PartView,
    pub speaker: PartView,
    pub printer: PartView,
    pub network: PartView,
    pub platform: PartView,
    pub devices: Vec<DeviceView>,
    pub cabin: CabinScreenView,
    /// The running call's link as the booth measures it; absent between calls and before
    /// its first measurement.
    pub call_link: Option<CallLinkView>,
}

/// The running call's link (docs/media.md): the booth's bandwidth estimate, its video target
/// and what it sent, and what its video gives up to fit. Nothing of the person.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct CallLinkView {
    /// `good` (the full picture fits), `fair` (enough, with a smaller picture or fewer frames)
    /// or `weak` (under 500 kbit/s).
    pub rating: String,
    /// The bandwidth estimate for the whole call, kbit/s.
    pub estimate_kbps: u32,
    /// The video encoder's target, kbit/s.
    pub target_kbps: Option<u32>,
    /// What the booth sent over its last sampling interval, kbit/s.
    pub send_kbps: Option<u32>,
    /// `resolution` (a smaller picture) or `frame_rate` (fewer frames a second); absent at
    /// the full picture.
    pub degradation: Option<String>,
}

impl From<&CallLink> for CallLinkView {
    fn from(l: &CallLink) -> Self {
        Self {
            rating: l.rating().name().to_owned(),
            estimate_kbps: l.estimate_kbps,
            target_kbps: l.target_kbps,
            send_kbps: l.send_kbps,
            degradation: l.degradation.map(|d| {
                match d {
                    VideoDegradation::Resolution => "resolution",
                    VideoDegradation::FrameRate => "frame_rate",
                }
                .to_owned()
            }),
        }
    }
}

pub(crate) fn status_view(s: &CabinStatus) -> BoothStatusView {
    let p = &s.parts;
    BoothStatusView {
        camera: (&p.camera).into(),
        microphone: (&p.microphone).into(),
        speaker: (&p.speaker).into(),
        printer: (&p.printer).into(),
        network: (&p.network).into(),
        platform: (&s.platform).into(),
        devices: p
            .devices
            .iter()
            .map(|d| DeviceView {
                kind: d.kind.to_owned(),
                name: d.name.clone(),
                state: d.condition.state.name().to_owned(),
                detail: d.condition.detail.clone(),
            })
            .collect(),
        cabin: CabinScreenView {
            view: p.view.name().to_owned(),
            pipeline: p.pipeline,
            welcome_screen: p.welcome_screen,
        },
        call_link: p.link.as_ref().map(CallLinkView::from),
    }
}

/// The state of the booth's cabin: its devices as found now and as the running call reports
/// them (a camera or microphone lost and recovered shows here within a second), the printer,
/// the network, the platform link and the screen. The console polls it.
#[utoipa::path(get, path = "/booth/status", tag = "booth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Each part `ok`, `degraded` or `missing` with a detail", body = BoothStatusView),
        (status = 403, description = "Only staff (and administrators) follow the booth", body = crate::error::ErrorBody),
        (status = 404, description = "Not a booth site", body = crate::error::ErrorBody)))]
pub async fn booth_status(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<BoothStatusView>, ApiError> {
    let sync = state.sync.status();
    let link = PlatformLink {
        enabled: sync.enabled,
        circuit: sync.state.name().to_owned(),
        pending: sync.pending,
        parked: sync.parked,
    };
    let status = state
        .blocking(move |inner| Ok(inner.app.cabin_status(&user.account, &link)?))
        .await?;
    Ok(Json(status_view(&status)))
}

/// The camera's measure.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct CameraCheckView {
    /// `ok` (frames arrived), `degraded` (found, no frames) or `missing`.
    pub state: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Frames delivered within the window.
    pub frames: u64,
    pub width: u32,
    pub height: u32,
}

/// The microphone's measure.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct MicrophoneCheckView {
    /// `ok` (audible), `degraded` (silent: muted, wrong input) or `missing`.
    pub state: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Loudest peak and RMS level over the window, in dBFS (absent when nothing was measured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_db: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rms_db: Option<f64>,
    pub audible: bool,
}

/// `POST /booth/check`.
#[derive(Serialize, ToSchema, Debug)]
pub struct DeviceCheckView {
    /// Everything works: frames, an audible microphone, the tone played.
    pub ok: bool,
    /// How long camera and microphone were measured, in milliseconds.
    pub window_ms: u64,
    pub camera: CameraCheckView,
    pub microphone: MicrophoneCheckView,
    /// `ok` (the tone played: ask the person in the cabin whether they heard it) or `missing`.
    pub speaker: PartView,
}

pub(crate) fn check_view(c: &DeviceCheck) -> DeviceCheckView {
    let camera = match &c.camera {
        Measured::Ok(m) if m.frames > 0 => CameraCheckView {
            state: Health::Ok.name().into(),
            detail: format!("{} frames at {}×{}", m.frames, m.width, m.height),
            device: Some(m.device.clone()),
            frames: m.frames,
            width: m.width,
            height: m.height,
        },
        Measured::Ok(m) => CameraCheckView {
            state: Health::Degraded.name().into(),
            detail: "the camera was found but delivered no picture".into(),
            device: Some(m.device.clone()),
            frames: 0,
            width: m.width,
            height: m.height,
        },
        Measured::Failed(e) => CameraCheckView {
            state: Health::Missing.name().into(),
            detail: e.clone(),
            device: None,
            frames: 0,
            width: 0,
            height: 0,
        },
    };
    let microphone = match &c.microphone {
        Measured::Ok(m) => MicrophoneCheckView {
            state: if m.audible {
                Health::Ok
            } else {
                Health::Degraded
            }
            .name()
            .into(),
            detail: if m.audible {
                format!("peak {:.1} dBFS", m.peak_db)
            } else {
                format!(
                    "silent (peak {:.1} dBFS): muted, unplugged, or the wrong input",
                    m.peak_db
                )
            },
            device: Some(m.device.clone()),
            peak_db: Some(m.peak_db),
            rms_db: Some(m.rms_db),
            audible: m.audible,
        },
        Measured::Failed(e) => MicrophoneCheckView {
            state: Health::Missing.name().into(),
            detail: e.clone(),
            device: None,
            peak_db: None,
            rms_db: None,
            audible: false,
        },
    };
    let speaker = match &c.speaker {
        Measured::Ok(()) => PartView {
            state: Health::Ok.name().into(),
            detail: "a test tone was played: ask whether it was heard".into(),
        },
        Measured::Failed(e) => PartView {
            state: Health::Missing.name().into(),
            detail: e.clone(),
        },
    };
    DeviceCheckView {
        ok: c.all_ok(),
        window_ms: c.window_ms,
        camera,
        microphone,
        speaker,
    }
}

/// Runs the device check on the cabin's own camera, microphone and speaker (staff of a booth
/// site), before a call: a few seconds. Restarts the open session's idle time.
#[utoipa::path(post, path = "/booth/check", tag = "booth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was measured (a failed part says why)", body = DeviceCheckView),
        (status = 403, description = "Only staff run the booth", body = crate::error::ErrorBody),
        (status = 404, description = "Not a booth site", body = crate::error::ErrorBody),
        (status = 409, description = "`cabin_in_call` (the call has the devices: see the status), `check_running`", body = crate::error::ErrorBody)))]
pub async fn booth_check(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<DeviceCheckView>, ApiError> {
    let checked = state
        .blocking(move |inner| Ok(inner.app.cabin_check(&user.account)?))
        .await?;
    Ok(Json(check_view(&checked)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use teleconsult_app::cabin::{CameraMeasure, MicrophoneMeasure};

    #[test]
    fn a_check_reads_frames_levels_and_failures_as_states() {
        let checked = DeviceCheck {
            camera: Measured::Ok(CameraMeasure {
                device: "cam".into(),
                frames: 0,
                width: 640,
                height: 480,
            }),
            microphone: Measured::Ok(MicrophoneMeasure {
                device: "mic".into(),
                peak_db: -80.0,
                rms_db: -90.0,
                audible: false,
            }),
            speaker: Measured::Failed("no audio output".into()),
            window_ms: 1000,
        };
        let view = check_view(&checked);
        assert!(!view.ok);
        assert_eq!(
            (
                view.camera.state.as_str(),
                view.microphone.state.as_str(),
                view.speaker.state.as_str()
            ),
            ("degraded", "degraded", "missing")
        );
        let good = DeviceCheck {
            camera: Measured::Ok(CameraMeasure {
                device: "cam".into(),
                frames: 25,
                width: 640,
                height: 480,
            }),
            microphone: Measured::Ok(MicrophoneMeasure {
                device: "mic".into(),
                peak_db: -12.0,
                rms_db: -20.0,
                audible: true,
            }),
            speaker: Measured::Ok(()),
            window_ms: 1000,
        };
        let view = check_view(&good);
        assert!(view.ok);
        assert_eq!(view.camera.frames, 25);
        assert_eq!(view.microphone.peak_db, Some(-12.0));
    }
}
