//! In-process fake camera and microphone, registered as a GStreamer `DeviceProvider` so the real
//! discovery path (`DeviceMonitor` → [`crate::devices`]) finds them on machines without hardware
//! (CI, demo boxes). The camera wraps `videotestsrc` (moving SMPTE bars), the microphone wraps
//! `audiotestsrc` (a 440 Hz tone, or silence). [`unplug_camera`] / [`replug_camera`] simulate a
//! USB camera leaving and coming back: the live element stops producing and posts the same kind
//! of error `v4l2src` does, and the device disappears from discovery until replugged.

use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use std::sync::{LazyLock, Mutex};

pub const CAMERA_NAME: &str = "Teleconsult Test Camera";
pub const MICROPHONE_NAME: &str = "Teleconsult Test Microphone";
const PROVIDER_NAME: &str = "teleconsultfakedevices";

#[derive(Debug)]
struct State {
    camera_plugged: bool,
    microphone_silent: bool,
    live_cameras: Vec<glib::WeakRef<gst::Element>>,
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(|| {
    Mutex::new(State {
        camera_plugged: true,
        microphone_silent: false,
        live_cameras: Vec::new(),
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
        let camera = gst::ElementFactory::make("videotestsrc")
            .name_if_some(name)
            .property("is-live", true)
            .property_from_str("pattern", "smpte")
            .property("horizontal-speed", 2i32)
            .build()?;
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
