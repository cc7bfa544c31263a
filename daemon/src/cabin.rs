//! The booth's cabin (`teleconsult_app::Cabin`, `docs/booth.md` rule 6): when a booth session's
//! appointment exists and its room opens, the box takes the patient's seat of the call by
//! itself ([`teleconsult_web::call_cabin`]): the practitioner's ring is accepted and the booth
//! pipeline (camera, microphone, the screen's compositor: practitioner big, cabin small)
//! carries the call. When the session ends — staff end it, the call ended, it sat idle — the
//! cabin leaves the room, the pipeline stops and the screen shows the neutral welcome view
//! (the site's name; nothing of anyone).
//!
//! It also reports the cabin's parts for `GET /booth/status` ([`Board`]: live device events of
//! the running call, discovery, the printer, the network) and runs the device check of
//! `POST /booth/check`. The application calls it from blocking threads; the seat itself is
//! handled by one task ([`run`]).

pub mod demo_devices;
pub mod probes;

use probes::PrinterProbe;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use teleconsult_app::cabin::{
    CabinDevice, CabinParts, CabinView, CameraMeasure, CheckRefused, Condition, DeviceCheck,
    Measured, MicrophoneMeasure,
};
use teleconsult_core::booth::BoothSessionId;
use teleconsult_core::ids::AppointmentId;
use teleconsult_media::devices::{self, MediaKind};
use teleconsult_media::{MediaEvent, MediaSettings, WelcomeScreen};
use teleconsult_web::call_cabin::{CabinSeat, NotSeated, take_seat};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long camera and microphone are measured by the device check.
const CHECK_WINDOW: Duration = Duration::from_millis(1500);
/// Discovery and the printer are asked at most this often (the console polls every 2 s).
const PROBE_EVERY: Duration = Duration::from_secs(2);
/// How often the cabin tries again to sit in a room that is not open yet (or held by staff).
const SEAT_RETRY: Duration = Duration::from_millis(500);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The live state of the cabin: what the running call's pipeline reports and what the screen
/// shows. Shared by the booth pipeline (events), the cabin task (view) and the status. It also
/// holds the welcome view, drawn whenever no call pipeline runs (one of them holds the display
/// at a time).
#[derive(Clone, Default)]
pub struct Board(Arc<Mutex<Live>>, Arc<Screen>);

/// The welcome view's settings (none: no screen to draw, as in tests) and the view shown.
#[derive(Default)]
struct Screen {
    welcome: Option<(MediaSettings, String)>,
    shown: Mutex<Option<WelcomeScreen>>,
}

#[derive(Default)]
struct Live {
    /// Pipelines running (ids handed out by [`Board::pipeline_started`]).
    running: BTreeSet<u64>,
    next: u64,
    camera: Option<Condition>,
    microphone: Option<Condition>,
    view: Option<CabinView>,
    /// The running call's link, from the pipeline's latest quality sample.
    link: Option<teleconsult_app::cabin::CallLink>,
}

impl Board {
    /// A board whose screen shows `title` (the site's name) between calls.
    pub fn with_welcome(settings: MediaSettings, title: String) -> Self {
        Self(
            Arc::default(),
            Arc::new(Screen {
                welcome: Some((settings, title)),
                shown: Mutex::new(None),
            }),
        )
    }

    /// Takes the welcome view off the screen (before a call pipeline starts).
    pub async fn hide_welcome(&self) {
        let screen = Arc::clone(&self.1);
        let _ = tokio::task::spawn_blocking(move || drop(lock(&screen.shown).take())).await;
    }

    /// Draws the welcome view, unless a call pipeline runs or it is drawn already.
    pub async fn show_welcome(&self) {
        let board = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let Some((settings, title)) = &board.1.welcome else {
                return;
            };
            let mut shown = lock(&board.1.shown);
            if shown.is_some() || board.pipeline() {
                return;
            }
            match WelcomeScreen::show(settings, title) {
                Ok(screen) => *shown = screen,
                Err(e) => tracing::warn!(error = %e, "the welcome view could not be drawn"),
            }
        })
        .await;
    }

    /// A call's pipeline stopped: its states go, the welcome view comes back.
    pub async fn stopped(&self, id: u64) {
        self.pipeline_stopped(id);
        self.show_welcome().await;
    }

    fn welcome_shown(&self) -> bool {
        lock(&self.1.shown)
            .as_ref()
            .is_some_and(WelcomeScreen::is_playing)
    }

    /// A call's pipeline starts: its id, for [`Self::pipeline_stopped`].
    pub fn pipeline_started(&self) -> u64 {
        let mut live = lock(&self.0);
        live.next += 1;
        let id = live.next;
        live.running.insert(id);
        id
    }

    /// A call's pipeline stopped (idempotent): its device states go with it.
    pub fn pipeline_stopped(&self, id: u64) {
        let mut live = lock(&self.0);
        if live.running.remove(&id) && live.running.is_empty() {
            live.camera = None;
            live.microphone = None;
            live.link = None;
        }
    }

    /// A quality sample of the running pipeline: its link, for staff.
    pub fn quality(&self, quality: &teleconsult_core::call::CallQuality) {
        let mut live = lock(&self.0);
        if !live.running.is_empty() {
            live.link = teleconsult_app::cabin::CallLink::from_quality(quality);
        }
    }

    /// An event of the running pipeline.
    pub fn event(&self, event: &MediaEvent) {
        let mut live = lock(&self.0);
        for (kind, condition) in probes::event_conditions(event) {
            match kind {
                MediaKind::Video => live.camera = Some(condition),
                MediaKind::Audio => live.microphone = Some(condition),
            }
        }
    }

    fn pipeline(&self) -> bool {
        !lock(&self.0).running.is_empty()
    }

    fn set_view(&self, view: CabinView) {
        lock(&self.0).view = Some(view);
    }
}

/// Device discovery and the printer, as last asked.
struct Probed {
    at: Instant,
    camera: Result<String, String>,
    microphone: Result<String, String>,
    devices: Vec<CabinDevice>,
    printer: (Condition, Option<String>),
}

enum Command {
    Join(BoothSessionId, AppointmentId),
    Reset(BoothSessionId),
}

/// The box's cabin.
pub struct BoxCabin {
    board: Board,
    settings: MediaSettings,
    printer: PrinterProbe,
    commands: mpsc::UnboundedSender<Command>,
    probed: Mutex<Option<Probed>>,
    checking: AtomicBool,
    /// The last device check's speaker result (the only way to know a speaker works).
    speaker: Mutex<Option<Condition>>,
}

impl BoxCabin {
    /// The cabin and its task (to spawn with [`run`]).
    pub fn new(
        board: Board,
        settings: MediaSettings,
        printer: PrinterProbe,
    ) -> (Arc<Self>, CabinTask) {
        let (commands, receiver) = mpsc::unbounded_channel();
        let cabin = Arc::new(Self {
            board: board.clone(),
            settings,
            printer,
            commands,
            probed: Mutex::new(None),
            checking: AtomicBool::new(false),
            speaker: Mutex::new(None),
        });
        (cabin, CabinTask { receiver, board })
    }

    fn probe(&self) -> Probed {
        let found = |kind: MediaKind| {
            let choice = match kind {
                MediaKind::Video => &self.settings.video_source,
                MediaKind::Audio => &self.settings.audio_source,
            };
            devices::select(kind, choice)
                .map(|s| s.name())
                .map_err(|e| e.to_string())
        };
        let mut devices: Vec<CabinDevice> = devices::list_devices()
            .unwrap_or_default()
            .into_iter()
            .map(|d| CabinDevice {
                kind: d.kind.noun(),
                name: d.name,
                condition: Condition::ok("found"),
            })
            .collect();
        let camera = found(MediaKind::Video);
        let microphone = found(MediaKind::Audio);
        // A test source is no device discovery lists: show it as the one in use.
        for (kind, chosen) in [(MediaKind::Video, &camera), (MediaKind::Audio, &microphone)] {
            if let Ok(name) = chosen
                && !devices.iter().any(|d| &d.name == name)
            {
                devices.push(CabinDevice {
                    kind: kind.noun(),
                    name: name.clone(),
                    condition: Condition::ok("in use by the cabin"),
                });
            }
        }
        let printer = self.printer.probe();
        if let Some(name) = &printer.1 {
            devices.push(CabinDevice {
                kind: "printer",
                name: name.clone(),
                condition: printer.0.clone(),
            });
        }
        Probed {
            at: Instant::now(),
            camera,
            microphone,
            devices,
            printer,
        }
    }
}

/// A capture device's condition: the running call's report wins; else what discovery found.
fn device_condition(live: Option<&Condition>, found: &Result<String, String>) -> Condition {
    match (live, found) {
        (Some(live), _) => live.clone(),
        (None, Ok(name)) => Condition::ok(format!("{name}: ready")),
        (None, Err(e)) => Condition::missing(e.clone()),
    }
}

impl teleconsult_app::Cabin for BoxCabin {
    fn reset(&self, session: BoothSessionId) {
        let _ = self.commands.send(Command::Reset(session));
    }

    fn join(&self, session: BoothSessionId, appointment: AppointmentId) {
        let _ = self.commands.send(Command::Join(session, appointment));
    }

    fn parts(&self) -> CabinParts {
        let mut probed = lock(&self.probed);
        if probed
            .as_ref()
            .is_none_or(|p| p.at.elapsed() >= PROBE_EVERY)
        {
            *probed = Some(self.probe());
        }
        let Some(p) = probed.as_ref() else {
            return CabinParts::absent();
        };
        let welcome_screen = self.board.welcome_shown();
        let live = lock(&self.board.0);
        let pipeline = !live.running.is_empty();
        let view = if pipeline {
            CabinView::Call
        } else {
            live.view.unwrap_or(CabinView::Welcome)
        };
        let speaker = lock(&self.speaker).clone().unwrap_or_else(|| {
            Condition::degraded("not checked since the box started: run the device check")
        });
        CabinParts {
            camera: device_condition(live.camera.as_ref(), &p.camera),
            microphone: device_condition(live.microphone.as_ref(), &p.microphone),
            speaker,
            printer: p.printer.0.clone(),
            network: probes::network(),
            devices: p.devices.clone(),
            view,
            pipeline,
            welcome_screen,
            link: if pipeline { live.link } else { None },
        }
    }

    fn check(&self) -> Result<DeviceCheck, CheckRefused> {
        if self.board.pipeline() {
            return Err(CheckRefused::InCall);
        }
        if self.checking.swap(true, Ordering::SeqCst) {
            return Err(CheckRefused::Running);
        }
        let report = teleconsult_media::check::check_devices_blocking(&self.settings, CHECK_WINDOW);
        self.checking.store(false, Ordering::SeqCst);
        let checked = DeviceCheck {
            camera: match report.camera {
                Ok(c) => Measured::Ok(CameraMeasure {
                    device: c.device,
                    frames: c.frames,
                    width: c.width,
                    height: c.height,
                }),
                Err(e) => Measured::Failed(e),
            },
            microphone: match report.microphone {
                Ok(m) => Measured::Ok(MicrophoneMeasure {
                    device: m.device,
                    peak_db: m.peak_db,
                    rms_db: m.rms_db,
                    audible: m.audible,
                }),
                Err(e) => Measured::Failed(e),
            },
            speaker: report.speaker.map_or_else(Measured::Failed, Measured::Ok),
            window_ms: CHECK_WINDOW.as_millis() as u64,
        };
        *lock(&self.speaker) = Some(match &checked.speaker {
            Measured::Ok(()) => Condition::ok("the test tone played at the last device check"),
            Measured::Failed(e) => Condition::missing(format!("at the last device check: {e}")),
        });
        Ok(checked)
    }
}

/// The cabin's seat, driven by [`run`].
pub struct CabinTask {
    receiver: mpsc::UnboundedReceiver<Command>,
    board: Board,
}

/// What the cabin is doing for the open session.
struct Target {
    session: BoothSessionId,
    appointment: AppointmentId,
}

/// The cabin's task: takes the seat of the open session's appointment when its room opens,
/// leaves it when the session ends (or the appointment ends on its own), and shows the
/// welcome view in between. On start it picks up a session left open by a restart.
pub async fn run(state: teleconsult_web::AppState, task: CabinTask, shutdown: CancellationToken) {
    let CabinTask {
        mut receiver,
        board,
    } = task;
    board.set_view(CabinView::Welcome);
    board.show_welcome().await;
    let mut target: Option<Target> = None;
    let mut seat: Option<CabinSeat> = None;
    let app = state.app.clone();
    if let Ok(Ok(Some(open))) = tokio::task::spawn_blocking(move || app.cabin_session()).await
        && let Some(appointment) = open.appointment()
    {
        target = Some(Target {
            session: open.id,
            appointment,
        });
        board.set_view(CabinView::Waiting);
    }
    let mut retry = tokio::time::interval(SEAT_RETRY);
    retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A room that opens later is not asked about before then.
    let mut not_before: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            command = receiver.recv() => match command {
                Some(Command::Join(session, appointment)) => {
                    if let Some(old) = seat.take_if(|s| s.appointment() != appointment) {
                        old.leave().await;
                    }
                    target = Some(Target { session, appointment });
                    not_before = None;
                    board.set_view(CabinView::Waiting);
                }
                Some(Command::Reset(session)) => {
                    if target.as_ref().is_some_and(|t| t.session != session) {
                        // Another session's end (it never held the seat): nothing to reset.
                        continue;
                    }
                    target = None;
                    if let Some(old) = seat.take() {
                        old.leave().await;
                    }
                    board.set_view(CabinView::Welcome);
                    tracing::info!(%session, "cabin reset: welcome view");
                }
                None => break,
            },
            _ = retry.tick() => {}
            () = shutdown.cancelled() => break,
        }
        // The appointment ended on its own (cancelled, the room closed): leave the room.
        if let Some(done) = seat.take_if(|s| s.finished()) {
            done.leave().await;
            target = None;
            board.set_view(CabinView::Welcome);
        }
        let due = not_before.is_none_or(|t| tokio::time::Instant::now() >= t);
        if let (Some(t), None, true) = (&target, &seat, due) {
            match take_seat(&state, t.appointment).await {
                Ok(taken) => seat = Some(taken),
                Err(NotSeated::SeatTaken) => {}
                Err(NotSeated::NotOpen(opens_at)) => {
                    use teleconsult_core::ports::Clock as _;
                    let wait = crate::clock::SystemClock.now().duration_until(opens_at);
                    let wait = std::time::Duration::try_from(wait).unwrap_or_default();
                    not_before = Some(tokio::time::Instant::now() + wait);
                }
                Err(NotSeated::Gone) => {
                    target = None;
                    board.set_view(CabinView::Welcome);
                }
                Err(NotSeated::Failed(e)) => {
                    tracing::warn!(error = %e, "the cabin could not join its call yet");
                }
            }
        }
    }
    if let Some(old) = seat.take() {
        old.leave().await;
    }
    board.hide_welcome().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use teleconsult_app::cabin::Health;

    #[test]
    fn the_running_call_decides_the_camera_until_its_pipeline_stops() {
        let board = Board::default();
        let found: Result<String, String> = Ok("Cabin camera".into());
        let id = board.pipeline_started();
        board.event(&MediaEvent::DeviceLost {
            kind: MediaKind::Video,
            device: "Cabin camera".into(),
            reason: "unplugged".into(),
        });
        let camera = |b: &Board| device_condition(lock(&b.0).camera.as_ref(), &found).state;
        assert_eq!(
            camera(&board),
            Health::Missing,
            "lost, though discovery finds it"
        );
        board.event(&MediaEvent::DeviceRecovered {
            kind: MediaKind::Video,
            device: "Cabin camera".into(),
            attempts: 2,
        });
        assert_eq!(camera(&board), Health::Ok);
        board.event(&MediaEvent::DeviceLost {
            kind: MediaKind::Video,
            device: "Cabin camera".into(),
            reason: "unplugged".into(),
        });
        board.pipeline_stopped(id);
        board.pipeline_stopped(id);
        assert!(!board.pipeline());
        assert_eq!(camera(&board), Health::Ok, "after the call: discovery says");
        assert_eq!(
            device_condition(None, &Err("no camera found".into())).state,
            Health::Missing
        );
    }

    #[test]
    fn the_calls_link_shows_while_its_pipeline_runs_and_goes_with_it() {
        use teleconsult_core::call::CallQuality;
        let board = Board::default();
        let sample = CallQuality {
            estimate_kbps: Some(850.0),
            target_kbps: Some(770.0),
            send_kbps: Some(800.0),
            ..CallQuality::default()
        };
        board.quality(&sample);
        assert_eq!(lock(&board.0).link, None, "no call: nothing to show");
        let id = board.pipeline_started();
        board.quality(&sample);
        let link = lock(&board.0).link.expect("the link");
        assert_eq!(
            (link.estimate_kbps, link.target_kbps, link.send_kbps),
            (850, Some(770), Some(800))
        );
        board.pipeline_stopped(id);
        assert_eq!(lock(&board.0).link, None);
    }
}
