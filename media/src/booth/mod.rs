//! The booth side of a call: [`BoothSession`] owns one booth pipeline ([`pipeline`]) and speaks
//! the signalling protocol as frames in → frames out. Feed it the peer's frames with
//! [`BoothSession::handle`]; send what arrives on [`SessionChannels::outgoing`]; show
//! [`SessionChannels::events`] to staff. Nothing here knows about sockets: the WebSocket handler
//! (or a test with channels) does the transport.
//!
//! webrtcbin answers through promises; their replies come back on oneshot channels, so the
//! async methods never block a runtime thread. State changes and device work run on blocking
//! threads.

mod adapt;
mod bus;
pub(crate) mod pipeline;
mod recovery;
mod remote;
mod rung;
mod screen;
mod welcome;

use crate::devices::{self, MediaKind};
use crate::settings::MediaSettings;
use crate::signal::SignalMessage;
use crate::stats::{CallQuality, Counters, StatsSampler};
use crate::{MediaError, MediaEvent};
use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use gstreamer_sdp as gst_sdp;
use gstreamer_webrtc as gst_webrtc;
use pipeline::SourceSlot;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};
pub use welcome::WelcomeScreen;

/// Frames to send to the peer, and events for the daemon.
#[derive(Debug)]
pub struct SessionChannels {
    pub outgoing: mpsc::UnboundedReceiver<SignalMessage>,
    pub events: mpsc::UnboundedReceiver<MediaEvent>,
}

/// A snapshot for staff screens and tests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoothStatus {
    pub encoder: String,
    pub camera: String,
    pub camera_placeholder: bool,
    pub microphone: String,
    pub microphone_placeholder: bool,
    pub camera_frames: u64,
    pub display_frames: u64,
    pub ended: bool,
    /// Opus's expected loss (percent, `opusenc` `packet-loss-percentage`) as set from the
    /// peer's reports: in-band FEC is sent when it is above 0 (docs/media.md "Audio first").
    pub opus_loss_percent: u64,
    /// The receiving jitter buffers' latency (ms, webrtcbin `latency`), sized from the
    /// measured jitter.
    pub jitter_latency_ms: u64,
}

pub(crate) struct Inner {
    pub pipeline: gst::Pipeline,
    pub screen: gst::Pipeline,
    pub webrtcbin: gst::Element,
    pub settings: MediaSettings,
    pub counters: Arc<Counters>,
    pub video: Mutex<SourceSlot>,
    pub audio: Mutex<SourceSlot>,
    pub outgoing: mpsc::UnboundedSender<SignalMessage>,
    pub events: mpsc::UnboundedSender<MediaEvent>,
    pub ended: AtomicBool,
    encoder: String,
    sampler: Mutex<StatsSampler>,
    /// The degradation policy's state (under congestion control only), and when the session
    /// started (its clock).
    pub degrader: Option<Mutex<crate::degrade::Degrader>>,
    pub started: Instant,
    /// Held from sending a description until webrtcbin has set it locally, and while setting
    /// the peer's answer: an answer that comes back fast (or a webrtcbin busy with `get-stats`)
    /// could otherwise be set before the offer it answers.
    local_description: tokio::sync::Mutex<()>,
}

impl Inner {
    pub fn slot(&self, kind: MediaKind) -> &Mutex<SourceSlot> {
        match kind {
            MediaKind::Video => &self.video,
            MediaKind::Audio => &self.audio,
        }
    }

    pub fn emit(&self, event: MediaEvent) {
        let _ = self.events.send(event);
    }
}

impl Drop for Inner {
    /// A session dropped without `hangup`: stop the pipelines (blocking, but only on this last
    /// resort path) so GStreamer never disposes of elements that still run.
    fn drop(&mut self) {
        if !self.ended.swap(true, Ordering::SeqCst) {
            let _ = self.screen.set_state(gst::State::Null);
            let _ = self.pipeline.set_state(gst::State::Null);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Clone)]
pub struct BoothSession {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BoothSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoothSession")
            .field("encoder", &self.inner.encoder)
            .finish()
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MediaError> + Send + 'static,
) -> Result<T, MediaError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| MediaError::Pipeline(format!("blocking task failed: {e}")))?
}

impl BoothSession {
    /// Finds the devices, builds the pipeline and sets it playing (self view and capture run;
    /// the call starts with [`Self::call`] or an incoming `offer`).
    pub async fn start(settings: MediaSettings) -> Result<(Self, SessionChannels), MediaError> {
        crate::init()?;
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let built = {
            let settings = settings.clone();
            let counters = Arc::clone(&counters);
            let events = ev_tx.clone();
            blocking(move || {
                let video = devices::select(MediaKind::Video, &settings.video_source)?;
                let audio = devices::select(MediaKind::Audio, &settings.audio_source)?;
                pipeline::build(&settings, video, audio, &counters, &events)
            })
            .await?
        };
        connect_webrtc_signals(&built.webrtcbin, &out_tx, &ev_tx);
        if settings.loopback_only {
            let agent = built.webrtcbin.property::<glib::Object>("ice-agent");
            if !agent.emit_by_name::<bool>("add-local-ip-address", &[&"127.0.0.1"]) {
                return Err(MediaError::Pipeline("ICE agent refused 127.0.0.1".into()));
            }
        }
        let degrader = settings
            .degradation
            .filter(|_| settings.congestion_control)
            .map(|what| {
                Mutex::new(crate::degrade::Degrader::new(crate::degrade::Ladder::new(
                    settings.capture,
                    what,
                )))
            });
        let inner = Arc::new(Inner {
            pipeline: built.pipeline,
            screen: built.screen,
            webrtcbin: built.webrtcbin,
            settings,
            counters,
            video: Mutex::new(built.video),
            audio: Mutex::new(built.audio),
            outgoing: out_tx,
            events: ev_tx,
            ended: AtomicBool::new(false),
            encoder: built.encoder,
            sampler: Mutex::new(StatsSampler::default()),
            degrader,
            started: Instant::now(),
            local_description: tokio::sync::Mutex::new(()),
        });
        let bus = inner
            .pipeline
            .bus()
            .ok_or_else(|| MediaError::Pipeline("pipeline has no bus".into()))?;
        let screen_bus = inner
            .screen
            .bus()
            .ok_or_else(|| MediaError::Pipeline("screen has no bus".into()))?;
        tokio::spawn(bus::watch([bus, screen_bus], Arc::downgrade(&inner)));
        tokio::spawn(adapt::run(Arc::downgrade(&inner)));
        let (pipeline, screen) = (inner.pipeline.clone(), inner.screen.clone());
        blocking(move || {
            pipeline.set_state(gst::State::Playing)?;
            screen.set_state(gst::State::Playing)?;
            Ok(())
        })
        .await?;
        let status = Self {
            inner: Arc::clone(&inner),
        }
        .status();
        inner.emit(MediaEvent::Started {
            encoder: status.encoder,
            camera: status.camera,
            microphone: status.microphone,
        });
        Ok((
            Self { inner },
            SessionChannels {
                outgoing: out_rx,
                events: ev_rx,
            },
        ))
    }

    /// The booth starts the call: it sends an `offer`.
    pub async fn call(&self) -> Result<(), MediaError> {
        self.offer(false).await
    }

    /// One frame from the peer. `offer`, `answer`, `ice`, `restart` and `hangup` are the
    /// booth's; anything else is [`MediaError::NotForBooth`] (the room logic handles it).
    pub async fn handle(&self, frame: SignalMessage) -> Result<(), MediaError> {
        if self.inner.ended.load(Ordering::SeqCst) {
            return Err(MediaError::Ended);
        }
        match frame {
            SignalMessage::Offer { sdp } => self.answer(&sdp).await,
            SignalMessage::Answer { sdp } => {
                let desc = description(gst_webrtc::WebRTCSDPType::Answer, &sdp)?;
                let _offer_set = self.inner.local_description.lock().await;
                self.promise("set-remote-description", desc.to_value())
                    .await
                    .map(drop)
            }
            SignalMessage::Ice {
                candidate,
                sdp_m_line_index,
            } => {
                // An empty candidate is the browser's end-of-candidates marker.
                if !candidate.trim().is_empty() {
                    self.inner
                        .webrtcbin
                        .emit_by_name::<()>("add-ice-candidate", &[&sdp_m_line_index, &candidate]);
                }
                Ok(())
            }
            SignalMessage::Restart => self.offer(true).await,
            SignalMessage::Hangup => self.end("hangup").await,
            other => Err(MediaError::NotForBooth(other.kind())),
        }
    }

    /// Ends the call from this side: sends `hangup` and stops the pipeline.
    pub async fn hangup(&self) -> Result<(), MediaError> {
        let _ = self.inner.outgoing.send(SignalMessage::Hangup);
        self.end("local hangup").await
    }

    /// A quality sample; rates are over the time since the previous call.
    pub async fn quality(&self) -> Result<CallQuality, MediaError> {
        let stats = adapt::stats(&self.inner.webrtcbin).await;
        let totals = stats
            .as_deref()
            .map(crate::stats::rtp_totals)
            .unwrap_or_default();
        let mut sampler = lock(&self.inner.sampler);
        Ok(sampler.sample(Instant::now(), totals, &self.inner.counters))
    }

    pub fn status(&self) -> BoothStatus {
        let c = &self.inner.counters;
        let (camera, camera_placeholder) = {
            let v = lock(&self.inner.video);
            (v.source.name(), v.placeholder)
        };
        let (microphone, microphone_placeholder) = {
            let a = lock(&self.inner.audio);
            (a.source.name(), a.placeholder)
        };
        BoothStatus {
            encoder: self.inner.encoder.clone(),
            camera,
            camera_placeholder,
            microphone,
            microphone_placeholder,
            camera_frames: c.camera_frames.load(Ordering::Relaxed),
            display_frames: c.display_frames.load(Ordering::Relaxed),
            ended: self.inner.ended.load(Ordering::SeqCst),
            // Read back from the elements: what they run with, not what was meant.
            opus_loss_percent: self.inner.pipeline.by_name("opusenc").map_or(0, |e| {
                u64::try_from(e.property::<i32>("packet-loss-percentage")).unwrap_or(0)
            }),
            jitter_latency_ms: u64::from(self.inner.webrtcbin.property::<u32>("latency")),
        }
    }

    async fn end(&self, reason: &str) -> Result<(), MediaError> {
        if self.inner.ended.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let (pipeline, screen) = (self.inner.pipeline.clone(), self.inner.screen.clone());
        let result = blocking(move || {
            screen.set_state(gst::State::Null)?;
            pipeline.set_state(gst::State::Null)?;
            Ok(())
        })
        .await;
        self.inner.emit(MediaEvent::Ended {
            reason: reason.to_owned(),
        });
        result
    }

    /// webrtcbin builds an offer from the caps on its sink pads: before the first encoded
    /// buffers arrive it has none (and an early create-offer stalled the pipeline), so wait,
    /// bounded.
    async fn wait_for_media_caps(&self) -> Result<(), MediaError> {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let ready = self
                .inner
                .webrtcbin
                .sink_pads()
                .iter()
                .all(|p| p.current_caps().is_some());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(MediaError::Negotiation(
                    "no encoded media after 10 s".into(),
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    async fn offer(&self, ice_restart: bool) -> Result<(), MediaError> {
        self.wait_for_media_caps().await?;
        let options = gst::Structure::builder("options")
            .field("ice-restart", ice_restart)
            .build();
        let reply = self.promise("create-offer", options.to_value()).await?;
        let offer = reply
            .get::<gst_webrtc::WebRTCSessionDescription>("offer")
            .map_err(|e| MediaError::Negotiation(format!("no offer: {e}")))?;
        self.send_local(
            SignalMessage::Offer {
                sdp: sdp_text(&offer)?,
            },
            &offer,
        )
        .await
    }

    async fn answer(&self, sdp: &str) -> Result<(), MediaError> {
        self.wait_for_media_caps().await?;
        let desc = description(gst_webrtc::WebRTCSDPType::Offer, sdp)?;
        self.promise("set-remote-description", desc.to_value())
            .await?;
        let reply = self
            .promise("create-answer", None::<gst::Structure>.to_value())
            .await?;
        let answer = reply
            .get::<gst_webrtc::WebRTCSessionDescription>("answer")
            .map_err(|e| MediaError::Negotiation(format!("no answer: {e}")))?;
        self.send_local(
            SignalMessage::Answer {
                sdp: sdp_text(&answer)?,
            },
            &answer,
        )
        .await
    }

    /// Sends the description first, then sets it locally: ICE candidates (which follow
    /// set-local-description) then always reach the peer after the description. The peer's
    /// answer waits until it is set (`local_description`).
    async fn send_local(
        &self,
        frame: SignalMessage,
        desc: &gst_webrtc::WebRTCSessionDescription,
    ) -> Result<(), MediaError> {
        let _setting = self.inner.local_description.lock().await;
        self.inner
            .outgoing
            .send(frame)
            .map_err(|_| MediaError::Ended)?;
        self.promise("set-local-description", desc.to_value())
            .await
            .map(drop)
    }

    /// Emits a webrtcbin action signal that takes a promise last; the returned future awaits
    /// the reply. (Not an `async fn`: the `glib::Value` argument is not `Send` and must not live
    /// in the future.)
    fn promise(
        &self,
        signal: &str,
        arg: glib::Value,
    ) -> impl std::future::Future<Output = Result<gst::Structure, MediaError>> + Send + 'static
    {
        let (tx, rx) = oneshot::channel();
        let promise = gst::Promise::with_change_func(move |reply| {
            let _ = tx.send(reply.map(|r| r.map(gst::StructureRef::to_owned)));
        });
        self.inner
            .webrtcbin
            .emit_by_name_with_values(signal, &[arg, promise.to_value()]);
        let signal = signal.to_owned();
        async move {
            let reply = rx
                .await
                .map_err(|_| MediaError::Negotiation(format!("{signal}: no reply")))?
                .map_err(|e| MediaError::Negotiation(format!("{signal}: {e:?}")))?
                .unwrap_or_else(|| gst::Structure::new_empty("empty"));
            if let Ok(err) = reply.get::<glib::Error>("error") {
                return Err(MediaError::Negotiation(format!("{signal}: {err}")));
            }
            Ok(reply)
        }
    }
}

fn description(
    kind: gst_webrtc::WebRTCSDPType,
    sdp: &str,
) -> Result<gst_webrtc::WebRTCSessionDescription, MediaError> {
    let message = gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes())
        .map_err(|e| MediaError::BadSdp(e.to_string()))?;
    if message.medias_len() == 0 {
        return Err(MediaError::BadSdp("no media section".into()));
    }
    Ok(gst_webrtc::WebRTCSessionDescription::new(kind, message))
}

fn sdp_text(desc: &gst_webrtc::WebRTCSessionDescription) -> Result<String, MediaError> {
    desc.sdp()
        .as_text()
        .map(|s| s.to_string())
        .map_err(|e| MediaError::Negotiation(format!("SDP to text: {e}")))
}

fn connect_webrtc_signals(
    webrtcbin: &gst::Element,
    outgoing: &mpsc::UnboundedSender<SignalMessage>,
    events: &mpsc::UnboundedSender<MediaEvent>,
) {
    let out = outgoing.clone();
    webrtcbin.connect("on-ice-candidate", false, move |values| {
        let index = values.get(1).and_then(|v| v.get::<u32>().ok());
        let candidate = values.get(2).and_then(|v| v.get::<String>().ok());
        if let (Some(sdp_m_line_index), Some(candidate)) = (index, candidate) {
            let _ = out.send(SignalMessage::Ice {
                candidate,
                sdp_m_line_index,
            });
        }
        None
    });
    let ev = events.clone();
    webrtcbin.connect_notify(Some("ice-connection-state"), move |bin, _| {
        let state = bin.property::<gst_webrtc::WebRTCICEConnectionState>("ice-connection-state");
        let _ = ev.send(MediaEvent::IceConnectionState {
            state: state_name(&state.to_value()),
        });
    });
    let ev = events.clone();
    webrtcbin.connect_notify(Some("connection-state"), move |bin, _| {
        let state = bin.property::<gst_webrtc::WebRTCPeerConnectionState>("connection-state");
        let _ = ev.send(MediaEvent::ConnectionState {
            state: state_name(&state.to_value()),
        });
    });
}

/// The GLib nick of an enum value (`connected`, `failed`…).
fn state_name(value: &glib::Value) -> String {
    glib::EnumValue::from_value(value)
        .map(|(_, v)| v.nick().to_owned())
        .unwrap_or_else(|| "unknown".into())
}
