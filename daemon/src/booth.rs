//! Calls on a booth site: the booth's own camera, microphone and screen are the patient's side
//! of the call. This adapter gives the signalling room ([`teleconsult_web::call_media`]) a
//! `BoothSession` of the media crate per call, so the web crate never sees GStreamer.

use crate::config::{Config, VideoCodec};
use std::sync::Arc;
use teleconsult_core::call::CallQuality;
use teleconsult_core::signal::SignalMessage;
use teleconsult_media::{BoothSession, MediaSettings, SourceChoice};
use teleconsult_web::call_media::{BoothMedia, BoxFuture, MediaPeer, StartedPeer};

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
        stun_servers: media.stun_servers.clone(),
        turn_servers: media.turn_servers.clone(),
        ..MediaSettings::default()
    }
}

/// Starts one booth pipeline per call.
pub struct BoothPipeline {
    pub settings: MediaSettings,
}

impl BoothMedia for BoothPipeline {
    fn start(&self) -> BoxFuture<'static, Result<StartedPeer, String>> {
        let settings = self.settings.clone();
        Box::pin(async move {
            let (session, channels) = BoothSession::start(settings)
                .await
                .map_err(|e| e.to_string())?;
            let mut events = channels.events;
            // Device and connection events, for staff and the journal (no health data in them).
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    tracing::info!(?event, "booth media");
                }
            });
            let peer: Arc<dyn MediaPeer> = Arc::new(BoothPeer(session));
            Ok((peer, channels.outgoing))
        })
    }
}

struct BoothPeer(BoothSession);

impl MediaPeer for BoothPeer {
    fn handle(&self, frame: SignalMessage) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.0.handle(frame).await.map_err(|e| e.to_string()) })
    }

    fn quality(&self) -> BoxFuture<'_, Option<CallQuality>> {
        Box::pin(async move { self.0.quality().await.ok() })
    }

    fn hangup(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.0.hangup().await {
                tracing::warn!(error = %e, "booth pipeline did not stop cleanly");
            }
        })
    }
}
