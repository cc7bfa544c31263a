//! The console's panel of the cabin's devices (issue #19): the status as `GET /booth/status`
//! gives it (camera, microphone, speaker, printer, network, platform: each ok, degraded or
//! missing in words with its detail, and what the cabin's screen shows), refreshed with the
//! console, and the device check's button with what `POST /booth/check` measured.

use super::context::Page;
use super::layout::csrf_field;
use crate::booth_status::{BoothStatusView, DeviceCheckView, PartView};
use maud::{Markup, html};

fn health(page: &Page, state: &str) -> String {
    match state {
        "ok" => page.t("booth-health-ok"),
        "degraded" => page.t("booth-health-degraded"),
        _ => page.t("booth-health-missing"),
    }
}

fn part(page: &Page, label: &str, p: &PartView) -> Markup {
    html! {
        dt { (page.t(label)) }
        dd data-part-state=(p.state) {
            strong { (health(page, &p.state)) }
            @if !p.detail.is_empty() { " — " (p.detail) }
        }
    }
}

fn screen(page: &Page, view: &str) -> String {
    match view {
        "call" => page.t("booth-screen-call"),
        "waiting" => page.t("booth-screen-waiting"),
        _ => page.t("booth-screen-welcome"),
    }
}

/// The status, refreshed in place with the rest of the console.
fn status(page: &Page, s: &BoothStatusView) -> Markup {
    html! {
        div #device_status data-refresh="/booth" {
            dl.facts {
                (part(page, "booth-part-camera", &s.camera))
                (part(page, "booth-part-microphone", &s.microphone))
                (part(page, "booth-part-speaker", &s.speaker))
                (part(page, "booth-part-printer", &s.printer))
                (part(page, "booth-part-network", &s.network))
                (part(page, "booth-part-platform", &s.platform))
                dt { (page.t("booth-screen")) }
                dd data-cabin-view=(s.cabin.view) { (screen(page, &s.cabin.view)) }
            }
        }
    }
}

/// What the device check measured.
fn measured(page: &Page, c: &DeviceCheckView) -> Markup {
    let camera = if c.camera.frames > 0 {
        page.t_args(
            "booth-check-frames",
            &[
                ("frames", &c.camera.frames.to_string()),
                ("width", &c.camera.width.to_string()),
                ("height", &c.camera.height.to_string()),
            ],
        )
    } else {
        c.camera.detail.clone()
    };
    let microphone = match c.microphone.peak_db {
        Some(peak) => page.t_args(
            if c.microphone.audible {
                "booth-check-level"
            } else {
                "booth-check-silent"
            },
            &[("peak", &format!("{peak:.1}"))],
        ),
        None => c.microphone.detail.clone(),
    };
    let speaker = if c.speaker.state == "ok" {
        page.t("booth-check-tone")
    } else {
        c.speaker.detail.clone()
    };
    html! {
        div #device_check role="status" aria-labelledby="device_check_title" {
            h3 #device_check_title { (page.t("booth-check-title")) }
            p { (page.t(if c.ok { "booth-check-all-ok" } else { "booth-check-not-ok" })) }
            dl.facts {
                dt { (page.t("booth-part-camera")) }
                dd data-check="camera" { strong { (health(page, &c.camera.state)) } " — " (camera) }
                dt { (page.t("booth-part-microphone")) }
                dd data-check="microphone" { strong { (health(page, &c.microphone.state)) } " — " (microphone) }
                dt { (page.t("booth-part-speaker")) }
                dd data-check="speaker" { strong { (health(page, &c.speaker.state)) } " — " (speaker) }
            }
        }
    }
}

/// The panel: the status, the last check's results (on the page that ran it), the button.
pub(super) fn devices(page: &Page, s: &BoothStatusView, check: Option<&DeviceCheckView>) -> Markup {
    html! {
        section #devices.panel.devices aria-labelledby="devices_title" {
            h2 #devices_title { (page.t("booth-devices-title")) }
            (status(page, s))
            @if let Some(c) = check { (measured(page, c)) }
            form method="post" action="/booth/check" {
                (csrf_field(page))
                p.hint #device_check_hint { (page.t("booth-check-hint")) }
                button type="submit" aria-describedby="device_check_hint" { (page.t("booth-check")) }
            }
        }
    }
}
