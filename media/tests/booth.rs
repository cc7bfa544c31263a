//! The booth session in-process, driven through channels (no sockets, no browser): two booth
//! sessions call each other over loopback, the camera is unplugged and replugged mid-session,
//! and frames that are not the booth's are refused. Fake devices come from the in-process
//! `DeviceProvider`, found through `DeviceMonitor`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use teleconsult_media::devices::MediaKind;
use teleconsult_media::{
    AudioOutput, BoothSession, DisplaySink, MediaError, MediaEvent, MediaSettings, SessionChannels,
    SignalMessage, SourceChoice, VideoFormat, fake_devices,
};
use tokio::sync::mpsc::UnboundedReceiver;

/// Fake devices are process-wide (unplugging affects every session in the process).
static DEVICES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn settings() -> MediaSettings {
    MediaSettings {
        video_source: SourceChoice::Named(fake_devices::CAMERA_NAME.into()),
        audio_source: SourceChoice::Auto,
        capture: VideoFormat {
            width: 320,
            height: 180,
            fps: 30,
        },
        display_size: (320, 180),
        display: DisplaySink::Fake,
        audio_output: AudioOutput::Fake,
        max_bitrate_kbps: 600,
        loopback_only: true,
        ..MediaSettings::default()
    }
}

async fn next_event(
    events: &mut UnboundedReceiver<MediaEvent>,
    within: Duration,
    want: impl Fn(&MediaEvent) -> bool,
) -> MediaEvent {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(event)) if want(&event) => return event,
            Ok(Some(other)) => eprintln!("(skipped event {other:?})"),
            Ok(None) => panic!("event channel closed"),
            Err(_) => panic!("no matching event within {within:?}"),
        }
    }
}

/// Relays every outgoing frame of `from` into `to`, recording what was relayed.
fn relay(
    mut from: UnboundedReceiver<SignalMessage>,
    to: BoothSession,
    seen: Arc<Mutex<Vec<SignalMessage>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(frame) = from.recv().await {
            seen.lock().expect("seen").push(frame.clone());
            match to.handle(frame).await {
                Ok(()) => {}
                // After a hangup the other side has ended: nothing more to deliver.
                Err(MediaError::Ended) => break,
                Err(e) => panic!("relay: {e}"),
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_booth_sessions_call_each_other_through_channels() {
    let _guard = DEVICES.lock().await;
    fake_devices::register().expect("fake devices");
    let (
        a,
        SessionChannels {
            outgoing: a_out,
            events: mut a_events,
        },
    ) = BoothSession::start(settings()).await.expect("booth a");
    let (
        b,
        SessionChannels {
            outgoing: b_out,
            events: mut b_events,
        },
    ) = BoothSession::start(settings()).await.expect("booth b");
    let sent_by_a = Arc::new(Mutex::new(Vec::new()));
    let a_to_b = relay(a_out, b.clone(), Arc::clone(&sent_by_a));
    let b_to_a = relay(b_out, a.clone(), Arc::new(Mutex::new(Vec::new())));
    a.call().await.expect("offer");

    for events in [&mut a_events, &mut b_events] {
        let (mut video, mut audio) = (false, false);
        while !(video && audio) {
            let event = next_event(events, Duration::from_secs(15), |e| {
                matches!(e, MediaEvent::RemoteVideo { .. } | MediaEvent::RemoteAudio)
            })
            .await;
            if let MediaEvent::RemoteVideo { width, height } = event {
                assert_eq!((width, height), (320, 180));
                video = true;
            } else {
                audio = true;
            }
        }
    }
    // Media keeps flowing: frames decoded on both sides over two seconds, and stats sampled.
    let _ = (a.quality().await, b.quality().await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (name, side) in [("a", &a), ("b", &b)] {
        let q = side.quality().await.expect("quality");
        assert!(q.recv_fps.unwrap_or(0.0) > 15.0, "{name}: {q:?}");
        assert!(q.send_kbps.unwrap_or(0.0) > 50.0, "{name}: {q:?}");
        assert!(
            q.recv_audio_buffers_total.unwrap_or(0) > 20,
            "{name}: {q:?}"
        );
        assert_eq!((q.recv_width, q.recv_height), (Some(320), Some(180)));
        assert!(
            side.status().display_frames > 30,
            "{name}: {:?}",
            side.status()
        );
    }
    a.hangup().await.expect("hangup");
    next_event(&mut b_events, Duration::from_secs(5), |e| {
        matches!(e, MediaEvent::Ended { .. })
    })
    .await;
    a_to_b.abort();
    b_to_a.abort();
    let sent_by_a = sent_by_a.lock().expect("frames").clone();
    let offer = sent_by_a
        .iter()
        .find_map(|f| match f {
            SignalMessage::Offer { sdp } => Some(sdp.clone()),
            _ => None,
        })
        .expect("a sent an offer");
    let (video, audio) = offer
        .split_once("m=audio")
        .expect("audio m-line after video");
    assert!(offer.contains("a=group:BUNDLE"), "max-bundle: {offer}");
    assert!(
        video.contains("VP8/90000") && video.contains("nack"),
        "{video}"
    );
    assert!(video.contains("transport-cc"), "{video}");
    assert!(!audio.contains("nack"), "no NACK on audio: {audio}");
    assert!(
        sent_by_a
            .iter()
            .any(|f| matches!(f, SignalMessage::Ice { .. }))
    );
    assert_eq!(sent_by_a.last(), Some(&SignalMessage::Hangup));
    assert!(matches!(
        a.handle(SignalMessage::Restart).await,
        Err(MediaError::Ended)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_camera_is_replaced_then_recovered() {
    let _guard = DEVICES.lock().await;
    fake_devices::register().expect("fake devices");
    let (booth, mut channels) = BoothSession::start(settings()).await.expect("booth");
    let frames_after = |booth: &BoothSession, d: Duration| {
        let booth = booth.clone();
        async move {
            let before = booth.status();
            tokio::time::sleep(d).await;
            let after = booth.status();
            (
                after.camera_frames - before.camera_frames,
                after.display_frames - before.display_frames,
            )
        }
    };
    let (camera, display) = frames_after(&booth, Duration::from_secs(1)).await;
    assert!(
        camera > 15 && display > 15,
        "camera {camera} display {display}"
    );

    fake_devices::unplug_camera();
    let lost = next_event(&mut channels.events, Duration::from_secs(5), |e| {
        matches!(e, MediaEvent::DeviceLost { .. })
    })
    .await;
    assert!(
        matches!(
            lost,
            MediaEvent::DeviceLost {
                kind: MediaKind::Video,
                ..
            }
        ),
        "{lost:?}"
    );
    assert!(booth.status().camera_placeholder);
    // The screen keeps running on the placeholder; no camera frames while it is out.
    let (camera, display) = frames_after(&booth, Duration::from_secs(1)).await;
    assert_eq!(camera, 0);
    assert!(display > 15, "display froze: {display}");

    fake_devices::replug_camera();
    let back = next_event(&mut channels.events, Duration::from_secs(10), |e| {
        matches!(e, MediaEvent::DeviceRecovered { .. })
    })
    .await;
    assert!(
        matches!(&back, MediaEvent::DeviceRecovered { kind: MediaKind::Video, device, .. }
            if device == fake_devices::CAMERA_NAME),
        "{back:?}"
    );
    let (camera, display) = frames_after(&booth, Duration::from_secs(1)).await;
    assert!(
        camera > 15 && display > 15,
        "after replug: camera {camera} display {display}"
    );
    assert!(!booth.status().camera_placeholder);
    booth.hangup().await.expect("hangup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_that_are_not_the_booths_are_refused() {
    let _guard = DEVICES.lock().await;
    fake_devices::register().expect("fake devices");
    let (booth, _channels) = BoothSession::start(settings()).await.expect("booth");
    let chat = SignalMessage::Chat {
        text: "hello".into(),
        attachment_id: None,
        from: None,
    };
    assert!(matches!(
        booth.handle(chat).await,
        Err(MediaError::NotForBooth("chat"))
    ));
    let garbage = SignalMessage::Offer {
        sdp: "hello".into(),
    };
    assert!(matches!(
        booth.handle(garbage).await,
        Err(MediaError::BadSdp(_))
    ));
    booth.hangup().await.expect("hangup");
    assert!(booth.status().ended);
    assert!(matches!(
        booth
            .handle(SignalMessage::Answer { sdp: String::new() })
            .await,
        Err(MediaError::Ended)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_named_camera_is_an_error_listing_what_is_there() {
    let _guard = DEVICES.lock().await;
    fake_devices::register().expect("fake devices");
    let wanted = MediaSettings {
        video_source: SourceChoice::Named("Nonexistent Cam".into()),
        ..settings()
    };
    match BoothSession::start(wanted).await {
        Err(MediaError::DeviceNotFound {
            wanted, available, ..
        }) => {
            assert_eq!(wanted, "Nonexistent Cam");
            assert!(
                available.iter().any(|n| n == fake_devices::CAMERA_NAME),
                "{available:?}"
            );
        }
        other => panic!("expected DeviceNotFound, got {other:?}"),
    }
}
