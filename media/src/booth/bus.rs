//! The pipeline bus, drained in one task: errors become [`MediaEvent`]s, a failing capture
//! device starts recovery, latency changes are applied, the peer's audio level is recorded.

use super::{Inner, recovery};
use crate::MediaEvent;
use crate::devices::MediaKind;
use futures_util::StreamExt;
use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

/// Drains the call pipeline's and the screen's buses, merged, in this one task.
pub(super) async fn watch(buses: [gst::Bus; 2], session: Weak<Inner>) {
    let [call, screen] = buses;
    let mut messages = futures_util::stream::select(call.stream(), screen.stream());
    while let Some(msg) = messages.next().await {
        let Some(inner) = session.upgrade() else {
            break;
        };
        if inner.ended.load(Ordering::SeqCst) {
            break;
        }
        on_message(&inner, &msg);
    }
}

fn source_kind(inner: &Inner, src: Option<&gst::Object>) -> Option<MediaKind> {
    let src = src?;
    [MediaKind::Video, MediaKind::Audio]
        .into_iter()
        .find(|kind| {
            let slot = super::lock(inner.slot(*kind));
            let element = slot.element.upcast_ref::<gst::Object>();
            !slot.placeholder && (src == element || src.has_as_ancestor(element))
        })
}

fn on_message(inner: &Arc<Inner>, msg: &gst::Message) {
    use gst::MessageView;
    let element = || msg.src().map(|s| s.name().to_string()).unwrap_or_default();
    match msg.view() {
        MessageView::Error(err) => {
            let message = err.error().to_string();
            if let Some(kind) = source_kind(inner, msg.src()) {
                let inner = Arc::clone(inner);
                tokio::task::spawn_blocking(move || recovery::recover(&inner, kind, message));
            } else {
                inner.emit(MediaEvent::Error {
                    element: element(),
                    message,
                });
            }
        }
        MessageView::Warning(w) => inner.emit(MediaEvent::Warning {
            element: element(),
            message: w.error().to_string(),
        }),
        MessageView::Latency(_) => {
            let pipeline = inner.pipeline.clone();
            tokio::task::spawn_blocking(move || pipeline.recalculate_latency());
        }
        MessageView::Element(e) if element() == "remotelevel" => {
            let peak = e
                .structure()
                .and_then(|s| s.get::<glib::ValueArray>("peak").ok())
                .and_then(|a| {
                    a.iter()
                        .filter_map(|v| v.get::<f64>().ok())
                        .reduce(f64::max)
                });
            if let (Some(peak), Ok(mut slot)) = (peak, inner.counters.recv_audio_peak_db.lock()) {
                // The highest since the last quality sample, which resets it.
                *slot = Some(slot.map_or(peak, |p| p.max(peak)));
            }
        }
        _ => {}
    }
}
