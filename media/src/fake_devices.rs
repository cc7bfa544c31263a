//! In-process fake camera and microphone, registered as a GStreamer `DeviceProvider` so the real
//! discovery path (`DeviceMonitor` → [`crate::devices`]) finds them on machines without hardware
//! (CI, demo boxes). The camera wraps `videotestsrc` (moving SMPTE bars), the microphone wraps
//! `audiotestsrc` (a 440 Hz tone, or silence). [`unplug_camera`] / [`replug_camera`] simulate a
//! USB camera leaving and coming back: the live element stops producing and posts the same kind
//! of error `v4l2src` does, and the device disappears from discovery until replugged.
//!
//! [`set_camera_clip`] makes the camera play a recorded Y4M clip in a loop instead, paced like a
//! real camera and costing no more than one: the media benchmark gives the booth and Chromium
//! the same clip, so both senders encode the same pictures and neither pays for drawing them.

use crate::encoder::make;
use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

pub const CAMERA_NAME: &str = "Teleconsult Test Camera";
pub const MICROPHONE_NAME: &str = "Teleconsult Test Microphone";
const PROVIDER_NAME: &str = "teleconsultfakedevices";

#[derive(Debug)]
struct State {
    camera_plugged: bool,
    microphone_silent: bool,
    live_cameras: Vec<glib::WeakRef<gst::Element>>,
    clip: Option<Arc<Clip>>,
}

/// A recorded clip held in memory: its caps, frame rate and raw frames.
#[derive(Debug)]
struct Clip {
    caps: gst::Caps,
    period: Duration,
    frames: Vec<gst::Buffer>,
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(|| {
    Mutex::new(State {
        camera_plugged: true,
        microphone_silent: false,
        live_cameras: Vec::new(),
        clip: None,
    })
});

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    // A poisoned lock only means a panicking test thread; the state itself stays usable.
    let mut guard = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

/// Registers the fake provider with this process's GStreamer registry (idempotent).
pub fn register() -> Result<(), crate::MediaError> {
    static REGISTERED: LazyLock<Result<(), String>> = LazyLock::new(|| {
        gst::DeviceProvider::register(
            None,
            PROVIDER_NAME,
            gst::Rank::PRIMARY,
            FakeDeviceProvider::static_type(),
        )
        .map_err(|e| e.to_string())
    });
    crate::init()?;
    REGISTERED.clone().map_err(crate::MediaError::Init)
}

/// The camera is pulled out: live camera elements stop and post a resource error, and discovery
/// no longer lists it.
pub fn unplug_camera() {
    let cameras = with_state(|s| {
        s.camera_plugged = false;
        std::mem::take(&mut s.live_cameras)
    });
    for camera in cameras.iter().filter_map(glib::WeakRef::upgrade) {
        if let Some(pad) = camera.static_pad("src") {
            pad.add_probe(gst::PadProbeType::BUFFER, |_, _| gst::PadProbeReturn::Drop);
        }
        let _ = camera.post_message(
            gst::message::Error::builder(
                gst::ResourceError::Read,
                "Could not read from resource: the camera was disconnected",
            )
            .src(&camera)
            .debug("teleconsult fake camera: unplugged")
            .build(),
        );
    }
}

/// The camera is back: discovery lists it again.
pub fn replug_camera() {
    with_state(|s| s.camera_plugged = true);
}

/// Cameras created from now on play the raw frames of the Y4M file at `path` in a loop (or the
/// test pattern again with `None`). The file is read here, once.
pub fn set_camera_clip(path: Option<&Path>) -> Result<(), crate::MediaError> {
    let clip = path.map(read_clip).transpose()?;
    with_state(|s| s.clip = clip.map(Arc::new));
    Ok(())
}

/// Writes `frames` frames of moving SMPTE bars in `format` as a Y4M clip at `path`, for
/// [`set_camera_clip`] (and for a browser's fake camera, which reads the same format).
pub fn write_clip(
    path: &Path,
    format: crate::VideoFormat,
    frames: u32,
) -> Result<(), crate::MediaError> {
    let failed = |what: String| clip_error(path, what);
    crate::init()?;
    let src = make("videotestsrc")?;
    src.set_property_from_str("pattern", "smpte");
    src.set_property("horizontal-speed", 2i32);
    src.set_property("num-buffers", i32::try_from(frames).unwrap_or(i32::MAX));
    let caps = make("capsfilter")?;
    caps.set_property(
        "caps",
        gstreamer_video::VideoCapsBuilder::new()
            .format(gstreamer_video::VideoFormat::I420)
            .width(format.width as i32)
            .height(format.height as i32)
            .framerate(gst::Fraction::new(format.fps as i32, 1))
            .build(),
    );
    let enc = make("y4menc")?;
    let sink = make("filesink")?;
    sink.set_property("location", PathBuf::from(path));
    let pipeline = gst::Pipeline::new();
    pipeline.add_many([&src, &caps, &enc, &sink])?;
    gst::Element::link_many([&src, &caps, &enc, &sink])?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| failed(e.to_string()))?;
    let bus = pipeline
        .bus()
        .ok_or_else(|| failed("pipeline without bus".into()))?;
    let end = bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(60),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    let _ = pipeline.set_state(gst::State::Null);
    match end.as_ref().map(|m| m.view()) {
        Some(gst::MessageView::Eos(_)) => Ok(()),
        Some(gst::MessageView::Error(e)) => Err(failed(e.error().to_string())),
        _ => Err(failed("not written within 60 s".into())),
    }
}

fn clip_error(path: &Path, what: String) -> crate::MediaError {
    crate::MediaError::Pipeline(format!("{}: {what}", path.display()))
}

fn read_clip(path: &Path) -> Result<Clip, crate::MediaError> {
    let failed = |what: String| clip_error(path, what);
    crate::init()?;
    let sink = gst_app::AppSink::builder().sync(false).build();
    let pipeline = gst::Pipeline::new();
    let src = make("filesrc")?;
    src.set_property("location", PathBuf::from(path));
    let parse = make("y4mdec")?;
    pipeline.add_many([&src, &parse, sink.upcast_ref()])?;
    gst::Element::link_many([&src, &parse, sink.upcast_ref()])?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| failed(e.to_string()))?;
    let mut frames = Vec::new();
    let mut caps = None;
    let outcome = loop {
        match sink.pull_sample() {
            Ok(sample) => {
                if caps.is_none() {
                    caps = sample.caps_owned();
                }
                if let Some(mut buffer) = sample.buffer_owned() {
                    // The camera stamps each frame when it pushes it (`do-timestamp`).
                    let frame = buffer.make_mut();
                    frame.set_pts(gst::ClockTime::NONE);
                    frame.set_dts(gst::ClockTime::NONE);
                    frame.set_duration(gst::ClockTime::NONE);
                    frames.push(buffer);
                }
            }
            Err(_) if sink.is_eos() => break Ok(()),
            Err(_) => break Err(failed("not a readable Y4M clip".into())),
        }
    };
    let _ = pipeline.set_state(gst::State::Null);
    outcome?;
    let caps = caps
        .filter(|_| !frames.is_empty())
        .ok_or_else(|| failed("no frames".into()))?;
    let fps = caps
        .structure(0)
        .and_then(|s| s.get::<gst::Fraction>("framerate").ok())
        .filter(|f| f.numer() > 0 && f.denom() > 0)
        .ok_or_else(|| failed("no frame rate".into()))?;
    let period = Duration::from_secs_f64(f64::from(fps.denom()) / f64::from(fps.numer()));
    Ok(Clip {
        caps,
        period,
        frames,
    })
}

/// A live `appsrc` fed by a thread of its own at the clip's frame rate, as a camera driver
/// would. The thread stops when the element is gone.
fn clip_source(clip: Arc<Clip>, name: Option<&str>) -> Result<gst::Element, glib::BoolError> {
    let mut builder = gst_app::AppSrc::builder()
        .caps(&clip.caps)
        .is_live(true)
        .format(gst::Format::Time)
        .do_timestamp(true)
        .max_buffers(2)
        .leaky_type(gst_app::AppLeakyType::Downstream);
    if let Some(name) = name {
        builder = builder.name(name);
    }
    let src = builder.build();
    let weak = src.downgrade();
    std::thread::Builder::new()
        .name("fake-camera-clip".into())
        .spawn(move || {
            let mut next = Instant::now();
            for frame in clip.frames.iter().cycle() {
                next += clip.period;
                let now = Instant::now();
                match next.checked_duration_since(now) {
                    Some(wait) => std::thread::sleep(wait),
                    None => next = now,
                }
                let Some(src) = weak.upgrade() else { break };
                // Refused while the pipeline is not playing, like frames a camera drops.
                let _ = src.push_buffer(frame.clone());
            }
        })
        .map_err(|e| glib::bool_error!("cannot start the clip thread: {e}"))?;
    Ok(src.upcast())
}

/// Makes fake microphones created from now on silent (or audible again).
pub fn set_microphone_silent(silent: bool) {
    with_state(|s| s.microphone_silent = silent);
}

fn current_devices() -> Vec<gst::Device> {
    let plugged = with_state(|s| s.camera_plugged);
    let mut devices = Vec::new();
    if plugged {
        devices.push(new_device(CAMERA_NAME, "Video/Source", "video/x-raw"));
    }
    devices.push(new_device(MICROPHONE_NAME, "Audio/Source", "audio/x-raw"));
    devices
}

fn new_device(name: &str, class: &str, caps: &str) -> gst::Device {
    glib::Object::builder::<FakeDevice>()
        .property("display-name", name)
        .property("device-class", class)
        .property("caps", gst::Caps::builder(caps).build())
        .build()
        .upcast()
}

fn create_source(class: &str, name: Option<&str>) -> Result<gst::Element, glib::BoolError> {
    if class.contains("Video") {
        let camera = match with_state(|s| s.clip.clone()) {
            Some(clip) => clip_source(clip, name)?,
            None => gst::ElementFactory::make("videotestsrc")
                .name_if_some(name)
                .property("is-live", true)
                .property_from_str("pattern", "smpte")
                .property("horizontal-speed", 2i32)
                .build()?,
        };
        with_state(|s| {
            s.live_cameras.retain(|w| w.upgrade().is_some());
            s.live_cameras.push(camera.downgrade());
        });
        Ok(camera)
    } else {
        let silent = with_state(|s| s.microphone_silent);
        gst::ElementFactory::make("audiotestsrc")
            .name_if_some(name)
            .property("is-live", true)
            .property_from_str("wave", if silent { "silence" } else { "sine" })
            .property("freq", 440.0f64)
            .property("volume", 0.3f64)
            .build()
    }
}

// glib's subclassing macros expand to `unsafe impl`s of glib's own traits; no hand-written
// unsafe code lives here.
#[allow(unsafe_code)]
mod imp {
    use super::*;
    use gstreamer::subclass::prelude::*;

    #[derive(Default)]
    pub struct FakeDeviceProvider;

    #[glib::object_subclass]
    impl ObjectSubclass for FakeDeviceProvider {
        const NAME: &'static str = "TeleconsultFakeDeviceProvider";
        type Type = super::FakeDeviceProvider;
        type ParentType = gst::DeviceProvider;
    }

    impl ObjectImpl for FakeDeviceProvider {}
    impl GstObjectImpl for FakeDeviceProvider {}

    impl DeviceProviderImpl for FakeDeviceProvider {
        fn metadata() -> Option<&'static gst::subclass::DeviceProviderMetadata> {
            static META: LazyLock<gst::subclass::DeviceProviderMetadata> = LazyLock::new(|| {
                gst::subclass::DeviceProviderMetadata::new(
                    "Teleconsult fake devices",
                    "Video/Audio/Source",
                    "Test camera and microphone for machines without hardware",
                    "teleconsult developers",
                )
            });
            Some(&*META)
        }

        fn probe(&self) -> Vec<gst::Device> {
            super::current_devices()
        }
    }

    #[derive(Default)]
    pub struct FakeDevice;

    #[glib::object_subclass]
    impl ObjectSubclass for FakeDevice {
        const NAME: &'static str = "TeleconsultFakeDevice";
        type Type = super::FakeDevice;
        type ParentType = gst::Device;
    }

    impl ObjectImpl for FakeDevice {}
    impl GstObjectImpl for FakeDevice {}

    impl DeviceImpl for FakeDevice {
        fn create_element(&self, name: Option<&str>) -> Result<gst::Element, gst::LoggableError> {
            let class = self.obj().device_class();
            super::create_source(&class, name).map_err(|e| {
                gst::loggable_error!(gst::CAT_RUST, "cannot create fake source: {}", e)
            })
        }
    }
}

glib::wrapper! {
    pub struct FakeDeviceProvider(ObjectSubclass<imp::FakeDeviceProvider>)
        @extends gst::DeviceProvider, gst::Object;
}

glib::wrapper! {
    pub struct FakeDevice(ObjectSubclass<imp::FakeDevice>) @extends gst::Device, gst::Object;
}
