//! Device discovery with `DeviceMonitor` and the choice the config asks for: `auto` takes the
//! first device the monitor lists, `test` takes a test source, a name takes that device or fails
//! with the list of what is there. Blocking (the monitor probes providers): call from a blocking
//! thread, never from async code directly.

use crate::MediaError;
use crate::settings::SourceChoice;
use gstreamer as gst;
use gstreamer::prelude::*;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Video,
    Audio,
}

impl MediaKind {
    fn monitor_class(self) -> &'static str {
        match self {
            Self::Video => "Video/Source",
            Self::Audio => "Audio/Source",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Self::Video => "camera",
            Self::Audio => "microphone",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    pub name: String,
    pub kind: MediaKind,
    pub class: String,
}

/// A source the pipeline can build: a discovered device, or a test pattern/tone.
#[derive(Clone, Debug)]
pub enum SelectedSource {
    Device { name: String, device: gst::Device },
    Test(MediaKind),
}

impl SelectedSource {
    pub fn name(&self) -> String {
        match self {
            Self::Device { name, .. } => name.clone(),
            Self::Test(kind) => format!("test {}", kind.noun()),
        }
    }

    /// A new source element for this device (a fresh one each call: used again on recovery).
    pub fn make_element(&self) -> Result<gst::Element, MediaError> {
        match self {
            Self::Device { device, name } => device
                .create_element(None)
                .map_err(|e| MediaError::Pipeline(format!("{name}: {e}"))),
            Self::Test(MediaKind::Video) => gst::ElementFactory::make("videotestsrc")
                .property("is-live", true)
                .property_from_str("pattern", "ball")
                .build()
                .map_err(|_| MediaError::MissingElement("videotestsrc".into())),
            Self::Test(MediaKind::Audio) => gst::ElementFactory::make("audiotestsrc")
                .property("is-live", true)
                .property("volume", 0.2f64)
                .build()
                .map_err(|_| MediaError::MissingElement("audiotestsrc".into())),
        }
    }
}

fn monitored(kind: MediaKind) -> Result<Vec<gst::Device>, MediaError> {
    crate::init()?;
    let monitor = gst::DeviceMonitor::new();
    monitor.add_filter(Some(kind.monitor_class()), None);
    // Not started: `devices()` then probes every provider once, which is all a choice needs.
    Ok(monitor.devices().into_iter().collect())
}

/// Every camera and microphone GStreamer can see, cameras first.
pub fn list_devices() -> Result<Vec<DeviceInfo>, MediaError> {
    let mut out = Vec::new();
    for kind in [MediaKind::Video, MediaKind::Audio] {
        out.extend(monitored(kind)?.iter().map(|d| DeviceInfo {
            name: d.display_name().to_string(),
            kind,
            class: d.device_class().to_string(),
        }));
    }
    Ok(out)
}

/// Applies the config's choice.
pub fn select(kind: MediaKind, choice: &SourceChoice) -> Result<SelectedSource, MediaError> {
    if *choice == SourceChoice::Test {
        crate::init()?;
        return Ok(SelectedSource::Test(kind));
    }
    let devices = monitored(kind)?;
    let found = match choice {
        SourceChoice::Auto => devices.first(),
        SourceChoice::Named(wanted) => devices.iter().find(|d| d.display_name() == *wanted),
        SourceChoice::Test => None,
    };
    match (found, choice) {
        (Some(device), _) => Ok(SelectedSource::Device {
            name: device.display_name().to_string(),
            device: device.clone(),
        }),
        (None, SourceChoice::Named(wanted)) => Err(MediaError::DeviceNotFound {
            kind: kind.noun(),
            wanted: wanted.clone(),
            available: devices
                .iter()
                .map(|d| d.display_name().to_string())
                .collect(),
        }),
        (None, _) => Err(MediaError::NoDevice(kind.noun())),
    }
}
