//! The call of an appointment end to end on the demo site, without browsers: who may enter the
//! room and when (call endpoint and signalling WebSocket alike), then the signalling protocol
//! one step per test — error frames that keep the socket open; the waiting room, ring, accept
//! and relay; chat with an attachment; a rejoin; hang-up and what the call leaves (quality
//! record, chat in the GDPR export, aggregates only in metrics). A stopping daemon closes
//! every socket with "going away". The calls in real browsers are in `call_browsers.rs`.
//!
//! Appointments must start soon for the room to be open: staff give Dr Weber one-minute slots
//! all day ([`Site::clinic`]), and the tests book the first free one a minute ahead (or one 20
//! minutes ahead to be too early). No clock back door.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::{MIN_LEAD, book_weber};
use teleconsult_tests::signal::{self, Signal, connect};
use teleconsult_tests::site::{Clinic, Site};

/// Both the call endpoint and the WebSocket refuse `who` with `status` and error `code`.
async fn expect_refused(
    site: &Site,
    who: &Login,
    appointment: &str,
    status: u16,
    code: &str,
) -> anyhow::Result<()> {
    let (got, body) = site
        .get(who, &format!("/api/v1/appointments/{appointment}/call"))
        .await?;
    assert_eq!(
        (got, body["error"].as_str()),
        (status, Some(code)),
        "call endpoint: {body}"
    );
    match connect(site, appointment, who).await? {
        Ok(_) => bail!("the WebSocket was opened for a refused caller"),
        Err((got, body)) => {
            assert_eq!(
                (got, body["error"].as_str()),
                (status, Some(code)),
                "WebSocket: {body}"
            )
        }
    }
    Ok(())
}

/// `who`'s signalling socket to appointment `id` (it must open).
async fn open(site: &Site, id: &str, who: &Login) -> anyhow::Result<Signal> {
    connect(site, id, who)
        .await?
        .map_err(|(status, body)| anyhow::anyhow!("socket refused: {status} {body}"))
}

#[tokio::test]
async fn the_room_opens_ten_minutes_before_and_only_for_the_parties() -> anyhow::Result<()> {
    let Clinic {
        site,
        staff,
        weber,
        ferreira,
        owner: anne,
        stranger,
    } = Site::clinic(80).await?;

    // 20 minutes ahead: the room is not open yet, for either party.
    let later = book_weber(&site, &anne, Duration::from_secs(20 * 60)).await?;
    expect_refused(&site, &anne, &later, 403, "too_early").await?;
    expect_refused(&site, &weber, &later, 403, "too_early").await?;

    // Starting within a few minutes: open to the parties, 404 to everybody else.
    let soon = book_weber(&site, &anne, MIN_LEAD).await?;
    for outsider in [&stranger, &ferreira, &staff] {
        expect_refused(&site, outsider, &soon, 404, "not_found").await?;
    }
    let nothing = "00000000-0000-0000-0000-000000000000";
    expect_refused(&site, &anne, nothing, 404, "not_found").await?;
    let (status, info) = site
        .get(&anne, &format!("/api/v1/appointments/{soon}/call"))
        .await?;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["role"], "patient");
    assert_eq!(info["media"], "browser");
    assert!(
        info["signal_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("wss://")
                && u.ends_with(&format!("/api/v1/appointments/{soon}/signal"))),
        "{info}"
    );
    assert!(info["ice_servers"].is_array());
    let (status, info) = site
        .get(&weber, &format!("/api/v1/appointments/{soon}/call"))
        .await?;
    assert_eq!((status, info["role"].as_str()), (200, Some("practitioner")));

    // Not logged in: 401 before anything else.
    let anonymous = signal::connect_url(&site, &signal::url(&site, &soon, None)).await?;
    assert!(matches!(anonymous, Err((401, _))), "anonymous socket");
    // A plain GET of the signalling URL asks for a WebSocket.
    let (status, body) = site
        .get(&anne, &format!("/api/v1/appointments/{soon}/signal"))
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (426, Some("websocket_required"))
    );
    Ok(())
}

#[tokio::test]
async fn frames_the_server_cannot_use_are_answered_and_the_socket_stays_open() -> anyhow::Result<()>
{
    let clinic = Site::clinic(82).await?;
    let site = &clinic.site;
    let id = book_weber(site, &clinic.owner, MIN_LEAD).await?;
    let mut doctor = open(site, &id, &clinic.weber).await?;
    doctor.send(json!({"type": "teleport"})).await?;
    let e = doctor.next().await?;
    assert_eq!(
        (e["type"].as_str(), e["error"].as_str()),
        (Some("error"), Some("unknown_type")),
        "{e}"
    );
    doctor.send_text("this is not json").await?;
    assert_eq!(doctor.next().await?["error"], "bad_frame");
    doctor.send(json!({"type": "offer"})).await?;
    assert_eq!(doctor.next().await?["error"], "bad_fields");
    doctor.send(json!({"type": "ring"})).await?;
    assert_eq!(doctor.next().await?["error"], "not_joined");
    doctor
        .send(json!({"type": "join", "role": "patient"}))
        .await?;
    assert_eq!(doctor.next().await?["error"], "wrong_role");
    doctor
        .send(json!({"type": "join", "role": "practitioner"}))
        .await?;
    assert_eq!(
        doctor.until("waiting").await?["roles"],
        json!(["practitioner"])
    );
    doctor.send(json!({"type": "ring"})).await?;
    assert_eq!(doctor.next().await?["error"], "nobody_waiting");
    // Still open after all that.
    doctor.send(json!({"type": "teleport"})).await?;
    assert_eq!(doctor.next().await?["error"], "unknown_type");
    Ok(())
}

/// A call in progress: both sides joined (the patient with `?token=`, as clients that cannot
/// set headers do), rung and accepted.
struct Room {
    clinic: Clinic,
    id: String,
    doctor: Signal,
    patient: Signal,
}

async fn room(n: u32) -> anyhow::Result<Room> {
    let clinic = Site::clinic(n).await?;
    let site = &clinic.site;
    let id = book_weber(site, &clinic.owner, MIN_LEAD).await?;
    let mut doctor = open(site, &id, &clinic.weber).await?;
    doctor
        .send(json!({"type": "join", "role": "practitioner"}))
        .await?;
    doctor.until("waiting").await?;
    let query = format!("token={}", clinic.owner.token);
    let mut patient = signal::connect_url(site, &signal::url(site, &id, Some(&query)))
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    patient
        .send(json!({"type": "join", "role": "patient"}))
        .await?;
    let both = json!(["patient", "practitioner"]);
    assert_eq!(patient.until("waiting").await?["roles"], both);
    assert_eq!(doctor.until("waiting").await?["roles"], both);
    let waiting = site
        .get_ok(&clinic.owner, &format!("/api/v1/appointments/{id}"))
        .await?;
    assert_eq!(waiting["status"], "waiting", "{waiting}");
    doctor.send(json!({"type": "ring"})).await?;
    patient.until("ring").await?;
    patient.send(json!({"type": "accept"})).await?;
    doctor.until("accept").await?;
    assert_eq!(doctor.until("present").await?["roles"], both);
    Ok(Room {
        clinic,
        id,
        doctor,
        patient,
    })
}

#[tokio::test]
async fn the_sides_meet_and_offer_answer_and_candidates_are_relayed() -> anyhow::Result<()> {
    // (Bound whole: the site must live as long as the sockets.)
    let room = room(84).await?;
    let (mut doctor, mut patient) = (room.doctor, room.patient);
    doctor
        .send(json!({"type": "offer", "sdp": "v=0 fake"}))
        .await?;
    assert_eq!(patient.until("offer").await?["sdp"], "v=0 fake");
    patient
        .send(json!({"type": "answer", "sdp": "v=0 answer"}))
        .await?;
    assert_eq!(doctor.until("answer").await?["sdp"], "v=0 answer");
    patient
        .send(json!({"type": "ice", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMLineIndex": 0}))
        .await?;
    let ice = doctor.until("ice").await?;
    assert_eq!(
        (ice["candidate"].as_str(), ice["sdpMLineIndex"].as_u64()),
        (Some("candidate:1 1 udp 1 127.0.0.1 9 typ host"), Some(0)),
        "{ice}"
    );
    Ok(())
}

/// Uploads `content` as an attachment of `id`, as `who`.
async fn upload(
    site: &Site,
    who: &Login,
    id: &str,
    content_type: &str,
    name: &str,
    content: Vec<u8>,
) -> anyhow::Result<(u16, Value)> {
    let path = format!("/api/v1/appointments/{id}/attachments?name={name}");
    site.post_bytes(who, &path, content_type, content).await
}

const LAB_RESULT: &[u8] = b"%PDF-1.4\n% a lab result\n";

/// The patient shares a PDF in the chat: uploaded over HTTP, announced in the chat.
async fn share_lab_result(room: &mut Room) -> anyhow::Result<String> {
    let (site, anne) = (&room.clinic.site, &room.clinic.owner);
    let (status, attachment) = upload(
        site,
        anne,
        &room.id,
        "application/pdf",
        "lab.pdf",
        LAB_RESULT.to_vec(),
    )
    .await?;
    assert_eq!(status, 201, "{attachment}");
    let attachment_id = attachment["id"]
        .as_str()
        .context("no attachment id")?
        .to_owned();
    room.patient
        .send(json!({"type": "chat", "text": "my lab result", "attachment_id": attachment_id}))
        .await?;
    let chat = room.doctor.until("chat").await?;
    assert_eq!(
        (
            chat["text"].as_str(),
            chat["attachment_id"].as_str(),
            chat["from"].as_str()
        ),
        (
            Some("my lab result"),
            Some(attachment_id.as_str()),
            Some("patient")
        )
    );
    room.patient.until("chat").await?;
    Ok(attachment_id)
}

#[tokio::test]
async fn chat_attachments_are_checked_stored_and_given_to_the_parties_only() -> anyhow::Result<()> {
    let mut room = room(86).await?;
    let attachment_id = share_lab_result(&mut room).await?;
    let Room {
        clinic,
        id,
        patient,
        ..
    } = &mut room;
    let (site, anne, stranger) = (&clinic.site, &clinic.owner, &clinic.stranger);
    for (who, content_type, name, content, expected) in [
        (
            anne,
            "text/html",
            "x.html",
            b"<html>".to_vec(),
            (415, "unsupported_media_type"),
        ),
        (
            anne,
            "application/pdf",
            "fake.pdf",
            b"MZ...".to_vec(),
            (422, "invalid_fields"),
        ),
        (
            anne,
            "image/png",
            "big.png",
            vec![0x89; 2 * 1024 * 1024],
            (413, "payload_too_large"),
        ),
        (
            stranger,
            "application/pdf",
            "x.pdf",
            LAB_RESULT.to_vec(),
            (404, "not_found"),
        ),
    ] {
        let (status, body) = upload(site, who, id, content_type, name, content).await?;
        assert_eq!(status, expected.0, "{name}: {body}");
        if expected.0 != 422 {
            assert_eq!(body["error"], expected.1, "{name}: {body}");
        }
    }
    patient
        .send(json!({"type": "chat", "text": "x", "attachment_id": "00000000-0000-0000-0000-000000000000"}))
        .await?;
    assert_eq!(patient.until("error").await?["error"], "not_found");
    let download = |who: &Login| {
        let request = site
            .client
            .get(site.url(&format!(
                "/api/v1/appointments/{id}/attachments/{attachment_id}"
            )))
            .header("authorization", who.bearer());
        async move {
            let r = request.send().await?;
            let status = r.status().as_u16();
            let kind = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            anyhow::Ok((status, kind, r.bytes().await?.to_vec()))
        }
    };
    let (status, kind, bytes) = download(&clinic.weber).await?;
    assert_eq!(
        (status, kind.as_str(), bytes.as_slice()),
        (200, "application/pdf", LAB_RESULT)
    );
    assert_eq!(download(stranger).await?.0, 404);
    Ok(())
}

#[tokio::test]
async fn a_rejoin_replaces_the_old_socket_and_gets_the_conversation() -> anyhow::Result<()> {
    let mut room = room(88).await?;
    share_lab_result(&mut room).await?;
    let mut doctor2 = open(&room.clinic.site, &room.id, &room.clinic.weber).await?;
    doctor2
        .send(json!({"type": "join", "role": "practitioner"}))
        .await?;
    assert_eq!(room.doctor.until("error").await?["error"], "replaced");
    doctor2.until("present").await?;
    assert_eq!(doctor2.until("chat").await?["text"], "my lab result");
    // The new socket carries the call: the patient hears it.
    doctor2
        .send(json!({"type": "offer", "sdp": "v=0 again"}))
        .await?;
    assert_eq!(room.patient.until("offer").await?["sdp"], "v=0 again");
    Ok(())
}

/// Hang-up completes the appointment and closes the room; what the call leaves: the quality
/// record (from the stats frames), the chat in the patient's GDPR export, aggregates only in
/// the metrics and nothing of the chat in the log.
#[tokio::test]
async fn hang_up_completes_the_call_and_leaves_the_record_and_no_trace_in_logs()
-> anyhow::Result<()> {
    let mut room = room(90).await?;
    share_lab_result(&mut room).await?;
    let Room {
        clinic,
        id,
        doctor,
        patient,
    } = &mut room;
    let (site, anne, stranger) = (&clinic.site, &clinic.owner, &clinic.stranger);
    doctor
        .send(
            json!({"type": "stats", "rtt_ms": 42.0, "loss_pct": 0.5, "jitter_ms": 3.0,
            "recv_kbps": 900.0, "recv_fps": 29.5, "recv_width": 640, "recv_height": 480}),
        )
        .await?;
    patient
        .send(json!({"type": "stats", "rtt_ms": 40.0, "recv_fps": 30.0}))
        .await?;
    doctor.send(json!({"type": "hangup"})).await?;
    patient.until("hangup").await?;
    let done = site
        .get_ok(anne, &format!("/api/v1/appointments/{id}"))
        .await?;
    assert_eq!(done["status"], "completed", "{done}");
    let quality = format!("/api/v1/appointments/{id}/call/quality");
    let record = site.get_ok(&clinic.weber, &quality).await?;
    assert_eq!(record["sample_count"], 2, "{record}");
    let roles: Vec<&str> = record["summary"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["role"].as_str())
        .collect();
    assert_eq!(roles, ["patient", "practitioner"], "{record}");
    assert_eq!(site.get(stranger, &quality).await?.0, 404);
    // The call is over: the room is closed.
    expect_refused(site, anne, id, 409, "call_closed").await?;

    // The patient's GDPR export holds the conversation and describes the shared file.
    let export = site.get_ok(anne, "/api/v1/me/export").await?;
    let chats = export["call_chats"].as_array().cloned().unwrap_or_default();
    assert_eq!(chats.len(), 1, "{export}");
    assert_eq!(chats[0]["appointment"], id.as_str());
    let shared = chats[0]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["text"] == "my lab result")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        shared["attachment"]["content_type"], "application/pdf",
        "{export}"
    );
    let theirs = site.get_ok(stranger, "/api/v1/me/export").await?;
    assert_eq!(theirs["call_chats"], json!([]), "{theirs}");

    let metrics = site
        .client
        .get(site.url("/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    assert!(
        metrics.contains("teleconsult_call_rtt_seconds_count 2"),
        "{metrics}"
    );
    assert!(
        !metrics.contains(id.as_str()),
        "no appointment id in metrics"
    );
    assert!(!metrics.contains("lab result"));
    assert!(
        !site.logs().contains("my lab result"),
        "no chat text in the log"
    );
    Ok(())
}

/// A stopping daemon tells every signalling socket it is going away (1001), so clients come
/// back instead of guessing from a cut connection.
#[tokio::test]
async fn on_sigterm_every_signalling_socket_is_closed_with_going_away() -> anyhow::Result<()> {
    let Clinic {
        mut site,
        weber,
        owner: anne,
        ..
    } = Site::clinic(92).await?;
    let id = book_weber(&site, &anne, MIN_LEAD).await?;
    let mut sockets = Vec::new();
    for (who, role) in [(&anne, "patient"), (&weber, "practitioner")] {
        let mut socket = open(&site, &id, who).await?;
        socket.send(json!({"type": "join", "role": role})).await?;
        socket.until("waiting").await?;
        sockets.push(socket);
    }
    site.signal(nix::sys::signal::Signal::SIGTERM)?;
    for socket in &mut sockets {
        let (code, reason) = socket
            .closed()
            .await?
            .context("closed without a close frame")?;
        assert_eq!(code, 1001, "{reason}");
        assert!(reason.contains("restarting"), "{reason}");
    }
    let status = site.terminate(Duration::from_secs(15)).await?;
    assert!(status.success(), "{status}");
    Ok(())
}
