//! The cabin as staff follow it (DESIGN §4d `GET /booth/status`, `POST /booth/check`;
//! `docs/booth.md` rule 6): the state of its camera, microphone, speaker, printer and network
//! as the cabin adapter ([`crate::Cabin`]) sees them, the platform link, and the device check
//! run before a call. Staff of a booth site; administrators read the status (not the check);
//! staff of a clinic get 404 (no cabin there), everyone else 403.
//!
//! Nothing here is health data: devices, links and measured levels. Nothing is audited.

use crate::error::AppError;
use crate::{App, require};
use teleconsult_core::account::{Account, Role};
use teleconsult_core::site::SiteKind;

/// How a part of the cabin is: `ok`, `degraded` (works, but not as it should) or `missing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Ok,
    Degraded,
    Missing,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Degraded => "degraded",
            Health::Missing => "missing",
        }
    }
}

/// One part's state and a sentence for staff saying why (never health data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub state: Health,
    pub detail: String,
}

impl Condition {
    pub fn ok(detail: impl Into<String>) -> Self {
        Self {
            state: Health::Ok,
            detail: detail.into(),
        }
    }

    pub fn degraded(detail: impl Into<String>) -> Self {
        Self {
            state: Health::Degraded,
            detail: detail.into(),
        }
    }

    pub fn missing(detail: impl Into<String>) -> Self {
        Self {
            state: Health::Missing,
            detail: detail.into(),
        }
    }
}

/// One device the cabin knows of (cameras, microphones, the printer; medical devices later).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CabinDevice {
    /// `camera`, `microphone`, `speaker`, `printer`.
    pub kind: &'static str,
    pub name: String,
    pub condition: Condition,
}

/// What the cabin's screen shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CabinView {
    /// The neutral welcome view: the site's name, nothing of anyone.
    Welcome,
    /// A session's appointment is known: the cabin waits for its call room (or sits in it).
    Waiting,
    /// The call: the practitioner big, the cabin small.
    Call,
}

impl CabinView {
    pub fn name(self) -> &'static str {
        match self {
            CabinView::Welcome => "welcome",
            CabinView::Waiting => "waiting",
            CabinView::Call => "call",
        }
    }
}

/// The cabin's parts as its adapter sees them now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CabinParts {
    pub camera: Condition,
    pub microphone: Condition,
    pub speaker: Condition,
    pub printer: Condition,
    pub network: Condition,
    pub devices: Vec<CabinDevice>,
    pub view: CabinView,
    /// Whether the box's call pipeline (camera, microphone, encoder, screen) runs.
    pub pipeline: bool,
    /// Whether the welcome view is drawn on the cabin's screen (between calls).
    pub welcome_screen: bool,
    /// The running call's link, once the booth measured it (none between calls).
    pub link: Option<CallLink>,
}

/// The running call's link as the booth's congestion control measures it (its latest
/// quality sample, docs/media.md): devices and bitrates, nothing of the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallLink {
    /// The bandwidth estimate for the whole call, kbit/s.
    pub estimate_kbps: u32,
    /// The video encoder's target from that estimate, kbit/s.
    pub target_kbps: Option<u32>,
    /// What the booth sent over the last sampling interval (audio and video), kbit/s.
    pub send_kbps: Option<u32>,
    /// What the video gives up to fit the estimate.
    pub degradation: Option<VideoDegradation>,
}

/// How staff read the link, in one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRating {
    /// The full picture fits.
    Good,
    /// Enough for a consultation, with a smaller picture or fewer frames.
    Fair,
    /// Below what teleconsultation guidance asks of a line: the picture suffers, the sound
    /// is kept first.
    Weak,
}

impl LinkRating {
    pub fn name(self) -> &'static str {
        match self {
            LinkRating::Good => "good",
            LinkRating::Fair => "fair",
            LinkRating::Weak => "weak",
        }
    }
}

pub use teleconsult_core::call::VideoDegradation;

/// Below this estimate (kbit/s) the link is weak: published teleconsultation guidance asks
/// 0.6–2 Mbit/s upstream, and under it the booth sends its smallest pictures.
pub const WEAK_BELOW_KBPS: u32 = 500;
/// From this estimate (kbit/s) up, with nothing given up, the link is good: 720p30 fits.
pub const GOOD_FROM_KBPS: u32 = 1000;

impl CallLink {
    /// The link a booth quality sample shows; `None` without an estimate (no congestion
    /// control, or nothing measured yet).
    pub fn from_quality(q: &teleconsult_core::call::CallQuality) -> Option<Self> {
        let kbps = |v: Option<f64>| {
            v.filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| v.round().min(f64::from(u32::MAX)) as u32)
        };
        Some(Self {
            estimate_kbps: kbps(q.estimate_kbps)?,
            target_kbps: kbps(q.target_kbps),
            send_kbps: kbps(q.send_kbps),
            degradation: q.degradation,
        })
    }

    pub fn rating(&self) -> LinkRating {
        if self.estimate_kbps < WEAK_BELOW_KBPS {
            LinkRating::Weak
        } else if self.estimate_kbps < GOOD_FROM_KBPS || self.degradation.is_some() {
            LinkRating::Fair
        } else {
            LinkRating::Good
        }
    }
}

impl CabinParts {
    /// A site without a cabin adapter.
    pub fn absent() -> Self {
        let none = || Condition::missing("this box has no cabin");
        Self {
            camera: none(),
            microphone: none(),
            speaker: none(),
            printer: none(),
            network: none(),
            devices: Vec::new(),
            view: CabinView::Welcome,
            pipeline: false,
            welcome_screen: false,
            link: None,
        }
    }
}

/// The link to the national platform, as the sync worker reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformLink {
    /// `[platform] base_url` is set.
    pub enabled: bool,
    /// `online`, `offline` or `degraded` (the worker's circuit).
    pub circuit: String,
    /// Messages waiting to leave.
    pub pending: u64,
    /// Messages the platform refused, set aside for staff.
    pub parked: u64,
}

/// The platform's part of the status. Without a platform the site works on its own: that is
/// `ok`. Offline is `degraded`, not `missing`: consultations go on and messages wait.
pub fn platform_condition(link: &PlatformLink) -> Condition {
    if !link.enabled {
        return Condition::ok("no national platform configured: nothing to send");
    }
    let waiting = match link.pending {
        0 => String::new(),
        1 => ", 1 message waits to be sent".to_owned(),
        n => format!(", {n} messages wait to be sent"),
    };
    let parked = match link.parked {
        0 => String::new(),
        n => format!(", {n} refused and set aside (see the sync page)"),
    };
    match link.circuit.as_str() {
        "online" if link.parked == 0 => Condition::ok(format!("platform reachable{waiting}")),
        "online" | "degraded" => {
            Condition::degraded(format!("platform answers with errors{waiting}{parked}"))
        }
        _ => Condition::degraded(format!(
            "platform unreachable: the booth works on, messages leave once it is back{waiting}{parked}"
        )),
    }
}

/// `GET /booth/status`: the parts and the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CabinStatus {
    pub parts: CabinParts,
    pub platform: Condition,
}

/// One measured result of the device check.
#[derive(Clone, Debug, PartialEq)]
pub enum Measured<T> {
    Ok(T),
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct CameraMeasure {
    pub device: String,
    pub frames: u64,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MicrophoneMeasure {
    pub device: String,
    pub peak_db: f64,
    pub rms_db: f64,
    pub audible: bool,
}

/// What the device check measured (`media::check`).
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceCheck {
    pub camera: Measured<CameraMeasure>,
    pub microphone: Measured<MicrophoneMeasure>,
    pub speaker: Measured<()>,
    /// How long the camera and microphone were measured, in milliseconds.
    pub window_ms: u64,
}

impl DeviceCheck {
    pub fn all_ok(&self) -> bool {
        matches!(&self.camera, Measured::Ok(c) if c.frames > 0)
            && matches!(&self.microphone, Measured::Ok(m) if m.audible)
            && matches!(self.speaker, Measured::Ok(()))
    }
}

/// Why the cabin cannot run the check now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckRefused {
    /// The call pipeline holds the camera and microphone: the status shows them live.
    InCall,
    /// Another check runs.
    Running,
}

impl App {
    /// 404 on a site without a booth, 403 for roles other than those given.
    fn require_cabin_door(&self, actor: &Account, roles: &[Role]) -> Result<(), AppError> {
        require(actor, roles)?;
        if self.settings.site_kind == SiteKind::Booth {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The cabin's state (staff of a booth site, administrators), with the platform link the
    /// caller read from the sync worker.
    pub fn cabin_status(
        &self,
        actor: &Account,
        platform: &PlatformLink,
    ) -> Result<CabinStatus, AppError> {
        self.require_cabin_door(actor, &[Role::Staff, Role::Admin])?;
        Ok(CabinStatus {
            parts: self.cabin().parts(),
            platform: platform_condition(platform),
        })
    }

    /// Runs the device check on the cabin's own devices (staff of a booth site): camera
    /// frames, microphone level, a speaker tone. Blocking for about the measuring window.
    /// Restarts the open session's idle time. 409 `cabin_in_call` while the call pipeline has
    /// the devices, `check_running` while another check runs.
    pub fn cabin_check(&self, actor: &Account) -> Result<DeviceCheck, AppError> {
        self.require_cabin_door(actor, &[Role::Staff])?;
        let checked = self.cabin().check().map_err(|refused| match refused {
            CheckRefused::InCall => AppError::conflict(
                "cabin_in_call",
                "the cabin is in a call: its camera and microphone are in use (the status shows them live)",
            ),
            CheckRefused::Running => AppError::conflict(
                "check_running",
                "a device check is already running: its result comes in a few seconds",
            ),
        })?;
        self.cabin_activity()?;
        Ok(checked)
    }
}

/// Whether the cabin may sit in an appointment's call room now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CabinEntry {
    /// The room is open: the cabin takes the patient's seat.
    Open,
    /// The room opens later (a chosen slot): try again then.
    NotYet {
        opens_at: teleconsult_core::Timestamp,
    },
    /// Not (or no longer) the open session's appointment, or its call is over.
    Gone,
}

impl App {
    /// For the cabin adapter (no account): may the cabin enter `appointment`'s call room now?
    /// Only the open session's appointment, held at the booth, while its room is open. The
    /// appointment's read is audited (actor `system:cabin`).
    pub fn cabin_entry(
        &self,
        appointment: teleconsult_core::ids::AppointmentId,
    ) -> Result<CabinEntry, AppError> {
        use teleconsult_core::audit::{Action, Actor};
        use teleconsult_core::call::{EntryError, room_open};
        let Some(session) = self.cabin_session()? else {
            return Ok(CabinEntry::Gone);
        };
        if session.appointment() != Some(appointment) {
            return Ok(CabinEntry::Gone);
        }
        let now = self.now();
        let read = crate::event(
            now,
            &Actor::System("cabin".into()),
            Action::Read,
            "appointment",
            appointment,
        );
        let Some(record) = self.store.appointment_record(appointment, &read)? else {
            return Ok(CabinEntry::Gone);
        };
        if !record.at_booth {
            return Ok(CabinEntry::Gone);
        }
        Ok(match room_open(&record, now, &self.settings.appointments) {
            Ok(()) => CabinEntry::Open,
            Err(EntryError::TooEarly { opens_at }) => CabinEntry::NotYet { opens_at },
            Err(_) => CabinEntry::Gone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teleconsult_core::call::CallQuality;

    fn link(estimate: f64, degradation: Option<VideoDegradation>) -> CallLink {
        CallLink::from_quality(&CallQuality {
            estimate_kbps: Some(estimate),
            target_kbps: Some(estimate * 0.9),
            send_kbps: Some(estimate * 0.8),
            degradation,
            ..CallQuality::default()
        })
        .expect("an estimate")
    }

    #[test]
    fn the_link_is_good_weak_or_in_between_by_its_estimate_and_what_the_video_gives_up() {
        assert_eq!(link(2400.0, None).rating(), LinkRating::Good);
        assert_eq!(link(1000.0, None).rating(), LinkRating::Good);
        assert_eq!(link(999.4, None).rating(), LinkRating::Fair);
        assert_eq!(link(500.0, None).rating(), LinkRating::Fair);
        assert_eq!(link(499.0, None).rating(), LinkRating::Weak);
        assert_eq!(
            link(1500.0, Some(VideoDegradation::Resolution)).rating(),
            LinkRating::Fair,
            "a smaller picture is not a good link"
        );
        assert_eq!(
            link(300.0, Some(VideoDegradation::FrameRate)).rating(),
            LinkRating::Weak
        );
        let l = link(850.4, None);
        assert_eq!(
            (l.estimate_kbps, l.target_kbps, l.send_kbps),
            (850, Some(765), Some(680))
        );
    }

    #[test]
    fn without_an_estimate_there_is_no_link_to_show() {
        assert_eq!(CallLink::from_quality(&CallQuality::default()), None);
        let odd = CallQuality {
            estimate_kbps: Some(f64::NAN),
            ..CallQuality::default()
        };
        assert_eq!(CallLink::from_quality(&odd), None);
    }
}
