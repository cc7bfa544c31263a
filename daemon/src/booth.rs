//! Calls on a booth site: the booth's own camera, microphone and screen are the patient's side
//! of the call. This adapter gives the signalling room ([`teleconsult_web::call_media`]) a
//! `BoothSession` of the media crate per call, so the web crate never sees GStreamer; its
//! device events go to the cabin's board ([`crate::cabin::Board`]). The sweeper ends idle
//! booth sessions.

use crate::config::{Config, VideoCodec};
use std::sync::Arc;
use teleconsult_core::call::CallQuality;
use teleconsult_core::signal::SignalMessage;
use teleconsult_media::{BoothSession, MediaSettings, SourceChoice};
use teleconsult_web::call_media::{BoothMedia, BoxFuture, MediaPeer, StartedPeer};
use teleconsult_web::call_turn::{TurnAuth, TurnUri};

/// The `[media]` section as the media crate takes it.
pub fn media_settings(config: &Config) -> MediaSettings {
    let media = &config.media;
    MediaSettings {
        video_source: SourceChoice::parse(&media.video_source),
        audio_source: SourceChoice::parse(&media.audio_source),
        video_codec: match media.video_codec {
            VideoCodec::Vp8 => teleconsult_media::VideoCodec::Vp8,
            VideoCodec::H264 => teleconsult_media::VideoCodec::H264,
        },
        max_bitrate_kbps: media.max_bitrate_kbps,
        min_bitrate_kbps: media.min_bitrate_kbps,
        degradation: Some(media.degradation),
        stun_servers: media.stun_servers.clone(),
        turn_servers: media.turn_servers.clone(),
        ..MediaSettings::default()
    }
}

/// Starts one booth pipeline per call.
pub struct BoothPipeline {
    pub settings: MediaSettings,
    /// `[media] turn_secret_file`: each call's pipeline gets TURN credentials of its own.
    pub turn_auth: Option<TurnAuth>,
    /// The cabin's live state: the pipeline's device events feed `GET /booth/status`.
    pub board: crate::cabin::Board,
}

impl BoothPipeline {
    /// The settings of one call: with a TURN secret, every TURN URI carries credentials made
    /// now for the booth (percent-encoded, as webrtcbin's `add-turn-server` takes them).
    fn call_settings(&self, now: teleconsult_core::Timestamp) -> MediaSettings {
        let mut settings = self.settings.clone();
        if let Some(auth) = &self.turn_auth {
            let credentials = auth.credentials(now, "booth");
            settings.turn_servers = settings
                .turn_servers
                .iter()
                .filter_map(|uri| TurnUri::parse(uri).map(|u| u.with_credentials(&credentials)))
                .collect();
        }
        settings
    }
}

impl BoothMedia for BoothPipeline {
    fn start(&self) -> BoxFuture<'static, Result<StartedPeer, String>> {
        use teleconsult_core::ports::Clock as _;
        let settings = self.call_settings(crate::clock::SystemClock.now());
        let board = self.board.clone();
        Box::pin(async move {
            let id = board.pipeline_started();
            // The call's screen takes the display from the welcome view.
            board.hide_welcome().await;
            let (session, channels) = match BoothSession::start(settings).await {
                Ok(started) => started,
                Err(e) => {
                    board.stopped(id).await;
                    return Err(e.to_string());
                }
            };
            let mut events = channels.events;
            // Device and connection events, for staff (`GET /booth/status`) and the journal
            // (no health data in them).
            let live = board.clone();
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    tracing::info!(?event, "booth media");
                    live.event(&event);
                    if matches!(event, teleconsult_media::MediaEvent::Ended { .. }) {
                        break;
                    }
                }
                live.stopped(id).await;
            });
            let peer: Arc<dyn MediaPeer> = Arc::new(BoothPeer { session, board, id });
            Ok((peer, channels.outgoing))
        })
    }
}

struct BoothPeer {
    session: BoothSession,
    board: crate::cabin::Board,
    /// The pipeline's id on the board.
    id: u64,
}

impl MediaPeer for BoothPeer {
    fn handle(&self, frame: SignalMessage) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.session.handle(frame).await.map_err(|e| e.to_string()) })
    }

    fn quality(&self) -> BoxFuture<'_, Option<CallQuality>> {
        Box::pin(async move {
            let quality = self.session.quality().await.ok();
            // The console shows the call's link from the sample the room records.
            if let Some(q) = &quality {
                self.board.quality(q);
            }
            quality
        })
    }

    fn hangup(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.session.hangup().await {
                tracing::warn!(error = %e, "booth pipeline did not stop cleanly");
            }
            self.board.stopped(self.id).await;
        })
    }
}

/// How often the sweeper looks at the open session: a quarter of the idle limit, between
/// half a second and 15 seconds (a session ends at most that late).
pub fn sweep_interval(policy: teleconsult_core::booth::BoothPolicy) -> std::time::Duration {
    let quarter = policy.idle_limit.as_secs_f64() / 4.0;
    std::time::Duration::from_secs_f64(quarter.clamp(0.5, 15.0))
}

/// The sweeper of booth sessions: ends the open one when its call ended or it sat idle for
/// `[booth] idle_limit_min` (through the application, as staff would), and closes the call
/// room of an appointment that ended with it.
pub async fn sweep(
    state: teleconsult_web::AppState,
    interval: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        let app = state.app.clone();
        match tokio::task::spawn_blocking(move || app.sweep_booth()).await {
            Ok(Ok(Some((session, closed)))) => {
                tracing::info!(%session, "booth session ended by itself");
                if let Some(appointment) = closed {
                    state
                        .live
                        .announce(teleconsult_web::live::Ended::Appointment(appointment));
                }
                state.wake_workers();
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "booth sweeper failed"),
            Err(e) => tracing::error!(error = %e, "booth sweeper task failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use teleconsult_web::call_turn::TurnSecret;

    #[test]
    fn each_booth_call_gets_fresh_turn_credentials_in_the_uri() {
        let pipeline = BoothPipeline {
            settings: MediaSettings {
                turn_servers: vec!["turn:turn.example.lu:3478".into()],
                ..MediaSettings::default()
            },
            turn_auth: Some(TurnAuth {
                secret: TurnSecret::from_file_contents(b"north-secret").unwrap(),
                ttl: std::time::Duration::from_secs(3600),
            }),
            board: crate::cabin::Board::default(),
        };
        let now = teleconsult_core::Timestamp::from_second(1_800_000_000).unwrap();
        let uri = &pipeline.call_settings(now).turn_servers[0];
        assert!(
            uri.starts_with("turn://1800003600%3Abooth:") && uri.ends_with("@turn.example.lu:3478"),
            "{uri}"
        );
    }
}
