//! The call page `/appointments/{id}/call`: device check (camera preview, microphone level,
//! speaker test), the waiting room (the practitioner sees who waits and calls; the patient's
//! screen rings with a green accept button), the call (remote video, mute, camera off,
//! audio-only, red hang-up) and the chat with attachments.
//!
//! The server renders the frame and hands `web/static/call.js` everything it needs in `data-`
//! attributes of `#call` (role, ICE servers, signalling path, CSRF token, translated texts): no
//! inline script or style (CSP). Who may open it and when is decided by the same function as
//! the API (`call::call_info`), so the page and the WebSocket refuse the same people.

use super::context::Page;
use super::errors::{fault, redirect};
use super::format::date_time;
use super::layout::{document, respond};
use super::static_files;
use crate::call::{CallInfo, call_info};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use teleconsult_core::Timestamp;

/// Texts the script shows, as one JSON object in `data-texts` (name → translated text).
const SCRIPT_TEXTS: &[(&str, &str)] = &[
    ("connecting", "call-connecting"),
    ("waiting-patient", "call-waiting-for-patient"),
    ("waiting-practitioner", "call-waiting-for-practitioner"),
    ("patient-waiting", "call-patient-waiting"),
    ("ringing", "call-ringing"),
    ("incoming", "call-incoming-short"),
    ("in-call", "call-in-call"),
    ("declined", "call-declined"),
    ("ended", "call-ended"),
    ("replaced", "call-replaced"),
    ("session-ended", "call-session-ended"),
    ("appointment-cancelled", "call-appointment-cancelled"),
    ("reconnecting", "call-reconnecting"),
    ("no-devices", "call-no-devices"),
    ("peer-left", "call-peer-left"),
    ("you", "call-you"),
    ("patient", "call-role-patient"),
    ("practitioner", "call-role-practitioner"),
    ("booth", "call-role-booth"),
    ("attachment", "call-attachment"),
    ("upload-failed", "call-upload-failed"),
    ("snapshot-taken", "call-snapshot-taken"),
    ("snapshot-failed", "call-snapshot-failed"),
    ("error", "call-error"),
];

/// `GET /appointments/{id}/call`.
pub async fn page(page: Page, Path(id): Path<String>) -> Response {
    let Some(user) = page.user.clone() else {
        return redirect("/login");
    };
    let csrf = user.session.csrf_token.clone();
    let info = match call_info(State(page.state.clone()), user, Path(id.clone())).await {
        Ok(axum::Json(info)) => info,
        Err(error) if matches!(error.code, "too_early" | "too_late" | "call_closed") => {
            return closed(&page, &id, error.code);
        }
        Err(error) => return fault(&page, error),
    };
    let body = call_body(&page, &info, &csrf);
    respond(
        StatusCode::OK,
        document(&page, &page.t("call-title"), &body),
    )
}

fn closed(page: &Page, id: &str, code: &str) -> Response {
    let text = page.t(if code == "too_early" {
        "call-too-early"
    } else {
        "call-closed"
    });
    let body = html! {
        p.notice.info role="status" { (text) }
        p { a href=(format!("/appointments/{id}")) { (page.t("call-back-to-appointment")) } }
    };
    let status = if code == "call_closed" {
        StatusCode::CONFLICT
    } else {
        StatusCode::FORBIDDEN
    };
    respond(status, document(page, &page.t("call-title"), &body))
}

fn call_body(page: &Page, info: &CallInfo, csrf: &str) -> Markup {
    let ice = serde_json::to_string(&info.ice_servers).unwrap_or_else(|_| "[]".to_owned());
    let start = info.start.parse::<Timestamp>().ok();
    let practitioner = info.role == "practitioner";
    let browser_media = info.media == "browser";
    let accept = info.attachment_types.join(",");
    let texts: serde_json::Map<String, serde_json::Value> = SCRIPT_TEXTS
        .iter()
        .map(|(name, id)| ((*name).to_owned(), page.t(id).into()))
        .collect();
    let texts = serde_json::Value::Object(texts).to_string();
    html! {
        link rel="stylesheet" href=(static_files::url("call.css"));
        div #call data-appointment=(info.appointment_id) data-role=(info.role)
            data-media=(info.media) data-mode=(info.mode) data-signal-path=(info.signal_path)
            data-ticket-path=(format!("{}-ticket", info.signal_path))
            data-ice=(ice) data-csrf=(csrf) data-max-bytes=(info.attachment_max_bytes)
            data-state="connecting" data-remote-frames="0" data-texts=(texts) {
            @if let Some(start) = start {
                p { (page.t("call-appointment-at")) " " (date_time(page, start)) }
            }
            p #call-status .notice.info role="status" aria-live="polite" { (page.t("call-connecting")) }

            @if browser_media {
                section #device-check aria-labelledby="check-title" {
                    h2 #check-title { (page.t("call-check-title")) }
                    div.videos {
                        figure {
                            video #self-view autoplay muted playsinline aria-label=(page.t("call-self-view")) {}
                            figcaption { (page.t("call-self-view")) }
                        }
                    }
                    p {
                        label for="mic-level" { (page.t("call-mic-level")) }
                        " "
                        meter #mic-level min="0" max="1" low="0.05" optimum="0.5" value="0" {}
                    }
                    button #speaker-test type="button" { (page.t("call-speaker-test")) }
                }
            }

            section #room aria-labelledby="room-title" {
                h2 #room-title { (page.t("call-room-title")) }
                ul #who aria-label=(page.t("call-who")) {}
                @if practitioner {
                    button #ring .primary type="button" disabled { (page.t("call-ring")) }
                }
                div #incoming .incoming hidden role="alertdialog" aria-labelledby="incoming-text" {
                    p #incoming-text { (page.t("call-incoming")) }
                    button #accept .accept type="button" { (page.t("call-accept")) }
                    button #decline type="button" { (page.t("call-decline")) }
                }
            }

            section #in-call aria-labelledby="call-area-title" {
                h2 #call-area-title { (page.t("call-area-title")) }
                @if browser_media {
                    video #remote-video autoplay playsinline aria-label=(page.t("call-remote-video")) {}
                } @else {
                    p { (page.t("call-booth-screen")) }
                }
                div.controls {
                    @if browser_media {
                        button #mute type="button" aria-pressed="false" { (page.t("call-mute")) }
                        button #camera type="button" aria-pressed="false" { (page.t("call-camera-off")) }
                        button #audio-only type="button" aria-pressed="false" { (page.t("call-audio-only")) }
                    }
                    @if practitioner {
                        // The other side's picture, as shown, saved with the appointment's files.
                        button #snapshot type="button" { (page.t("call-snapshot")) }
                    }
                    button #hangup .hangup type="button" { (page.t("call-hangup")) }
                }
            }

            section #chat aria-labelledby="chat-title" {
                h2 #chat-title { (page.t("call-chat-title")) }
                ol #chat-log aria-live="polite" {}
                form #chat-form novalidate {
                    div.field {
                        label for="chat-text" { (page.t("call-chat-message")) }
                        textarea #chat-text name="text" rows="2" maxlength="2000" {}
                    }
                    div.field {
                        label for="chat-file" { (page.t("call-chat-file")) }
                        p.hint #chat-file-hint { (page.t("call-chat-file-hint")) }
                        input #chat-file type="file" name="file" accept=(accept) aria-describedby="chat-file-hint";
                    }
                    button #chat-send type="submit" { (page.t("call-chat-send")) }
                }
            }
            p { a href=(format!("/appointments/{}", info.appointment_id)) { (page.t("call-back-to-appointment")) } }
        }
        script src=(static_files::url("call.js")) defer {}
    }
}
