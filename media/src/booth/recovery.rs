//! Capture device recovery, on a blocking thread: the failed source is swapped for a
//! placeholder at once (the peer sees black / hears silence instead of a frozen call), then
//! discovery is polled, bounded in attempts, until the device (or with `auto`, any device) is
//! back and swapped in.

use super::{Inner, lock};
use crate::MediaEvent;
use crate::devices::{self, MediaKind};
use std::sync::atomic::Ordering;
use std::time::Duration;

pub(crate) const ATTEMPTS: u32 = 60;
pub(crate) const INTERVAL: Duration = Duration::from_millis(500);

pub(super) fn recover(inner: &Inner, kind: MediaKind, reason: String) {
    let device = {
        let mut slot = lock(inner.slot(kind));
        if slot.placeholder {
            return;
        }
        if kind == MediaKind::Video {
            inner.counters.camera_live.store(false, Ordering::Relaxed);
        }
        let device = slot.source.name();
        inner.emit(MediaEvent::DeviceLost {
            kind,
            device: device.clone(),
            reason,
        });
        let swapped = slot
            .placeholder_element()
            .and_then(|p| slot.swap(&inner.pipeline, p, true));
        if let Err(e) = swapped {
            inner.emit(MediaEvent::Error {
                element: "recovery".into(),
                message: e.to_string(),
            });
        }
        device
    };
    let choice = match kind {
        MediaKind::Video => inner.settings.video_source.clone(),
        MediaKind::Audio => inner.settings.audio_source.clone(),
    };
    for attempt in 1..=ATTEMPTS {
        std::thread::sleep(INTERVAL);
        if inner.ended.load(Ordering::SeqCst) {
            return;
        }
        let Ok(source) = devices::select(kind, &choice) else {
            continue;
        };
        let Ok(element) = source.make_element() else {
            continue;
        };
        let mut slot = lock(inner.slot(kind));
        if slot.swap(&inner.pipeline, element, false).is_err() {
            continue;
        }
        let name = source.name();
        slot.source = source;
        if kind == MediaKind::Video {
            inner.counters.camera_live.store(true, Ordering::Relaxed);
        }
        inner.emit(MediaEvent::DeviceRecovered {
            kind,
            device: name,
            attempts: attempt,
        });
        return;
    }
    inner.emit(MediaEvent::DeviceUnavailable {
        kind,
        device,
        attempts: ATTEMPTS,
    });
}
