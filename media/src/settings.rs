//! What the daemon's `[media]` section (DESIGN §3) becomes once handed to this crate, plus the
//! few knobs only the box itself needs (display sink, capture format). The daemon maps its
//! config onto [`MediaSettings`]; this crate never reads configuration files.

use serde::{Deserialize, Serialize};

/// `auto` (first device found), `test` (test pattern / tone) or a device's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceChoice {
    Auto,
    Test,
    Named(String),
}

impl SourceChoice {
    /// The config spelling: `"auto"`, `"test"`, anything else is a device name.
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "" | "auto" => Self::Auto,
            "test" => Self::Test,
            name => Self::Named(name.to_owned()),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoCodec {
    #[default]
    Vp8,
    H264,
}

impl VideoCodec {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "vp8" => Some(Self::Vp8),
            "h264" => Some(Self::H264),
            _ => None,
        }
    }
}

/// Where the booth screen is drawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplaySink {
    /// `autovideosink`: what a real box uses.
    Auto,
    /// `ximagesink` (tests under Xvfb).
    Ximage,
    /// `fakesink` (headless tests, benchmarks).
    Fake,
    /// Any other sink element by factory name (`kmssink`, `waylandsink`).
    Element(String),
    /// No screen at all (headless booth, sender benchmark): nothing is composited.
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioOutput {
    Auto,
    Fake,
}

/// Raw capture format fed to the encoder (and the self view).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoFormat {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl Default for VideoFormat {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            fps: 30,
        }
    }
}

/// `media.min_bitrate_kbps` by default: below it 720p video is a smear; a slower path lowers
/// frame rate or resolution instead (degradation policy).
pub const DEFAULT_MIN_BITRATE_KBPS: u32 = 150;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaSettings {
    pub video_source: SourceChoice,
    pub audio_source: SourceChoice,
    pub video_codec: VideoCodec,
    pub max_bitrate_kbps: u32,
    /// The lowest video bitrate congestion control may set, kbit/s.
    pub min_bitrate_kbps: u32,
    /// Follow a bandwidth estimate (`rtpgccbwe`) between `min_bitrate_kbps` and
    /// `max_bitrate_kbps`; off, the encoder sends `max_bitrate_kbps` whatever the path (only the
    /// media benchmark turns it off, to compare).
    pub congestion_control: bool,
    /// What the video gives up first when the estimate is too low for the full picture
    /// (`media.degradation`, [`crate::degrade`]); only under congestion control. `None`: the
    /// full picture whatever the estimate (only the media tests, to compare).
    pub degradation: Option<crate::degrade::Degradation>,
    /// `stun:host:port` URIs; webrtcbin takes one STUN server, the first is used.
    pub stun_servers: Vec<String>,
    /// `turn(s)://user:pass@host:port` URIs, all added.
    pub turn_servers: Vec<String>,
    pub capture: VideoFormat,
    pub display: DisplaySink,
    /// Size of the booth screen the compositor draws (remote full screen, self view inset).
    pub display_size: (u32, u32),
    pub audio_output: AudioOutput,
    /// Offer only 127.0.0.1 as ICE host candidate (libnice ignores loopback otherwise). For
    /// tests on machines without network namespaces.
    pub loopback_only: bool,
    /// Draw the capture wall-clock time into each frame ([`crate::stamp`]): latency diagnosis.
    pub stamp_capture_time: bool,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            video_source: SourceChoice::Auto,
            audio_source: SourceChoice::Auto,
            video_codec: VideoCodec::Vp8,
            max_bitrate_kbps: 2500,
            min_bitrate_kbps: DEFAULT_MIN_BITRATE_KBPS,
            congestion_control: true,
            degradation: Some(crate::degrade::Degradation::MaintainFramerate),
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            capture: VideoFormat::default(),
            display: DisplaySink::Auto,
            display_size: (1280, 720),
            audio_output: AudioOutput::Auto,
            loopback_only: false,
            stamp_capture_time: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_choice_follows_the_config_spelling() {
        assert_eq!(SourceChoice::parse("auto"), SourceChoice::Auto);
        assert_eq!(SourceChoice::parse(""), SourceChoice::Auto);
        assert_eq!(SourceChoice::parse("test"), SourceChoice::Test);
        assert_eq!(
            SourceChoice::parse(" HD Webcam C615 "),
            SourceChoice::Named("HD Webcam C615".into())
        );
        assert_eq!(VideoCodec::parse("h264"), Some(VideoCodec::H264));
        assert_eq!(VideoCodec::parse("av1"), None);
    }
}
