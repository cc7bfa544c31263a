//! Device discovery and the device check, through the real `DeviceMonitor` path with the
//! in-process fake camera and microphone (no hardware on CI machines).

use std::time::Duration;
use teleconsult_media::check::{self, check_devices_blocking};
use teleconsult_media::devices::{self, MediaKind, SelectedSource};
use teleconsult_media::{AudioOutput, MediaError, MediaSettings, SourceChoice, fake_devices};

fn settings(video: SourceChoice, audio: SourceChoice) -> MediaSettings {
    MediaSettings {
        video_source: video,
        audio_source: audio,
        audio_output: AudioOutput::Fake,
        ..MediaSettings::default()
    }
}

/// One test body: the fake devices' state is process-wide, so the steps run in order.
#[test]
fn discovery_selection_and_device_check() {
    fake_devices::register().expect("fake devices");

    // The monitor lists the fake devices, each under its class.
    let found = devices::list_devices().expect("list");
    assert!(
        found
            .iter()
            .any(|d| d.name == fake_devices::CAMERA_NAME && d.kind == MediaKind::Video),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|d| d.name == fake_devices::MICROPHONE_NAME && d.kind == MediaKind::Audio),
        "{found:?}"
    );

    // auto = the first the monitor lists; a name = that device; test = a test source.
    let first_camera = found
        .iter()
        .find(|d| d.kind == MediaKind::Video)
        .map(|d| d.name.clone());
    let auto = devices::select(MediaKind::Video, &SourceChoice::Auto).expect("auto");
    assert_eq!(Some(auto.name()), first_camera);
    let named = devices::select(
        MediaKind::Audio,
        &SourceChoice::Named(fake_devices::MICROPHONE_NAME.into()),
    )
    .expect("named");
    assert!(matches!(named, SelectedSource::Device { .. }));
    assert!(matches!(
        devices::select(MediaKind::Video, &SourceChoice::Test),
        Ok(SelectedSource::Test(MediaKind::Video))
    ));
    match devices::select(MediaKind::Video, &SourceChoice::Named("Nope".into())) {
        Err(MediaError::DeviceNotFound { available, .. }) => {
            assert!(available.contains(&fake_devices::CAMERA_NAME.to_owned()))
        }
        other => panic!("{other:?}"),
    }

    // The device check: frames from the camera, the tone's level from the microphone.
    let named_devices = settings(
        SourceChoice::Named(fake_devices::CAMERA_NAME.into()),
        SourceChoice::Named(fake_devices::MICROPHONE_NAME.into()),
    );
    let report = check_devices_blocking(&named_devices, Duration::from_millis(800));
    let camera = report.camera.as_ref().expect("camera probe");
    assert!(camera.frames >= 10, "{camera:?}");
    assert!(camera.width > 0 && camera.height > 0, "{camera:?}");
    let mic = report.microphone.as_ref().expect("mic probe");
    assert!(
        mic.audible && mic.peak_db > -20.0,
        "a 0.3 tone peaks near -10 dB: {mic:?}"
    );
    assert!(report.all_ok(), "{report:?}");

    // A silent microphone is reported, not passed.
    fake_devices::set_microphone_silent(true);
    let silent = check_devices_blocking(&named_devices, Duration::from_millis(500));
    fake_devices::set_microphone_silent(false);
    let mic = silent.microphone.as_ref().expect("mic probe");
    assert!(!mic.audible && mic.peak_db < check::SILENCE_DB, "{mic:?}");
    assert!(!silent.all_ok());

    // An unplugged camera fails the check with a reason naming what is there.
    fake_devices::unplug_camera();
    let unplugged = check_devices_blocking(&named_devices, Duration::from_millis(300));
    fake_devices::replug_camera();
    let reason = unplugged.camera.expect_err("no camera");
    assert!(reason.contains(fake_devices::CAMERA_NAME), "{reason}");
}
