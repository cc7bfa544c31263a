//! The call of an appointment end to end on the demo site: who may enter the room and when
//! (call endpoint and signalling WebSocket alike), the signalling protocol (waiting room, ring,
//! accept, relay, chat with an attachment, stats, hang-up, error frames that keep the socket
//! open), and two headless Chromium instances in a real WebRTC call through the call page.
//!
//! Appointments must start soon for the room to be open: staff give a demo practitioner
//! one-minute slots all day, and the tests book the first free one (or one 20 minutes ahead to
//! be too early). No clock back door.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use teleconsult_tests::accounts::{
    Login, PASSWORD, login, phone, register_and_activate, registration, sinks_config,
};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::{Daemon, DaemonOptions};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

pub const DR_WEBER: &str = "00000000-0000-0000-0000-00007c1e0001";
const FRAME_WAIT: Duration = Duration::from_secs(20);

pub struct Site {
    pub daemon: Daemon,
    pub smtp: SmtpSink,
    pub sms: SmsSink,
}

pub async fn demo_site() -> anyhow::Result<Site> {
    demo_site_of_kind("clinic").await
}

/// A demo site of `kind` (`clinic` or `booth`), its attachments limited to 1 MB.
pub async fn demo_site_of_kind(kind: &str) -> anyhow::Result<Site> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let extra_config = format!(
        "{}\n[limits]\nregister_per_hour = 1000\nlogin_per_minute = 1000\notp_per_minute = 1000\n\n\
         [media]\nattachment_max_mb = 1\n\n[site]\nkind = \"{kind}\"\n",
        sinks_config(&smtp, &sms)
    );
    let daemon = Daemon::start(DaemonOptions {
        demo: true,
        extra_config,
        ..Default::default()
    })
    .await?;
    Ok(Site { daemon, smtp, sms })
}

/// The size of the practitioner's snapshot among the appointment's files (it must be a JPEG
/// named `snapshot-…`).
async fn snapshot_size(site: &Site, weber: &Login, id: &str) -> anyhow::Result<(u32, u32)> {
    let (_, files) = get(
        site,
        weber,
        &format!("/api/v1/appointments/{id}/attachments"),
    )
    .await?;
    let snapshot = files
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| {
            f["file_name"]
                .as_str()
                .is_some_and(|n| n.starts_with("snapshot-"))
        })
        .ok_or_else(|| anyhow::anyhow!("no snapshot among {files}"))?;
    anyhow::ensure!(snapshot["content_type"] == "image/jpeg", "{snapshot}");
    let jpeg = site
        .daemon
        .client
        .get(
            site.daemon
                .url(snapshot["url"].as_str().unwrap_or_default()),
        )
        .header("authorization", weber.bearer())
        .send()
        .await?
        .bytes()
        .await?;
    teleconsult_tests::documents::jpeg_size(&jpeg)
}

/// A clinic demo site where Dr Weber is open all day, with staff, Dr Weber, Dr Ferreira (a
/// practitioner of no appointment) and two patients (`n`, the owner, and `n + 1`, a stranger)
/// logged in.
pub struct Clinic {
    pub site: Site,
    pub staff: Login,
    pub weber: Login,
    pub ferreira: Login,
    pub owner: Login,
    pub stranger: Login,
}

pub async fn clinic(n: u32) -> anyhow::Result<Clinic> {
    let site = demo_site().await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let weber = demo_login(&site, "dr.weber", "demo doctor 2026", "+352621000002").await?;
    let ferreira = demo_login(&site, "dr.ferreira", "demo doctor 2026", "+352621000003").await?;
    let owner = patient(&site, n).await?;
    let stranger = patient(&site, n + 1).await?;
    Ok(Clinic {
        site,
        staff,
        weber,
        ferreira,
        owner,
        stranger,
    })
}

pub async fn patient(site: &Site, n: u32) -> anyhow::Result<Login> {
    register_and_activate(&site.daemon, &site.smtp, &registration(n)).await?;
    login(
        &site.daemon,
        &site.sms,
        &format!("patient{n}@example.lu"),
        PASSWORD,
        &phone(n),
        0,
    )
    .await
}

pub async fn demo_login(
    site: &Site,
    who: &str,
    password: &str,
    phone: &str,
) -> anyhow::Result<Login> {
    let before = site
        .sms
        .messages()
        .iter()
        .filter(|m| m["to"] == phone)
        .count();
    login(&site.daemon, &site.sms, who, password, phone, before).await
}

pub async fn send(
    site: &Site,
    who: &Login,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut request = site
        .daemon
        .client
        .request(method, site.daemon.url(path))
        .header("authorization", who.bearer());
    if let Some(body) = body {
        request = request.json(body);
    }
    let r = request.send().await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

pub async fn get(site: &Site, who: &Login, path: &str) -> anyhow::Result<(u16, Value)> {
    send(site, who, reqwest::Method::GET, path, None).await
}

/// Gives Dr Weber one-minute video slots all day, every day (staff do it through the API).
pub async fn open_all_day(site: &Site, staff: &Login) -> anyhow::Result<()> {
    let day = json!([{"start": "00:00", "end": "23:59"}]);
    let schedule = json!({"hours": {"time_zone": "Europe/Luxembourg", "slot_minutes": 1, "modes": ["video", "audio"],
        "week": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
                 "saturday": day, "sunday": day}}, "exceptions": []});
    let (status, body) = send(
        site,
        staff,
        reqwest::Method::PUT,
        &format!("/api/v1/practitioners/{DR_WEBER}/schedule"),
        Some(&schedule),
    )
    .await?;
    anyhow::ensure!(status == 200, "schedule: {status} {body}");
    Ok(())
}

/// Books the first free slot of Dr Weber starting at least `lead_s` seconds from now (and never
/// less than the usual lead).
pub async fn book(site: &Site, who: &Login, lead_s: u64) -> anyhow::Result<String> {
    teleconsult_tests::booking::book_id_with_lead(
        &site.daemon,
        who,
        DR_WEBER,
        Duration::from_secs(lead_s),
        json!({"reason": "sore throat"}),
    )
    .await
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A signalling socket to the daemon, trusting its certificate.
pub struct Signal {
    socket: Socket,
}

fn tls_connector(daemon: &Daemon) -> anyhow::Result<tokio_tungstenite::Connector> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(daemon.certificate_path())? {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_tungstenite::Connector::Rustls(Arc::new(config)))
}

/// Opens the signalling WebSocket with a bearer token; the refusal (status, JSON body) when
/// the daemon answers with an HTTP error instead of upgrading.
pub async fn connect(
    daemon: &Daemon,
    appointment: &str,
    who: &Login,
) -> anyhow::Result<Result<Signal, (u16, Value)>> {
    let url = daemon
        .url(&format!("/api/v1/appointments/{appointment}/signal"))
        .replacen("https://", "wss://", 1);
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", who.bearer().parse()?);
    connect_request(daemon, request).await
}

async fn connect_request(
    daemon: &Daemon,
    request: tungstenite::handshake::client::Request,
) -> anyhow::Result<Result<Signal, (u16, Value)>> {
    let connected = tokio::time::timeout(
        FRAME_WAIT,
        tokio_tungstenite::connect_async_tls_with_config(
            request,
            None,
            false,
            Some(tls_connector(daemon)?),
        ),
    )
    .await
    .context("WebSocket connect timed out")?;
    match connected {
        Ok((socket, _)) => Ok(Ok(Signal { socket })),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Ok(Err((status, body)))
        }
        Err(e) => Err(e.into()),
    }
}

impl Signal {
    pub async fn send(&mut self, frame: Value) -> anyhow::Result<()> {
        self.send_text(&frame.to_string()).await
    }

    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.socket.send(Message::text(text)).await?;
        Ok(())
    }

    /// The next JSON frame (control frames skipped).
    pub async fn next(&mut self) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .context("no frame in time")?
                .context("socket closed")??;
            match message {
                Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
                Message::Close(_) => bail!("socket closed by the server"),
                _ => {}
            }
        }
    }

    /// Reads until the server closes: the close frame's code and reason (`None` when the
    /// connection ended without one).
    pub async fn closed(&mut self) -> anyhow::Result<Option<(u16, String)>> {
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .context("the socket stayed open")?;
            match message {
                Some(Ok(Message::Close(frame))) => {
                    return Ok(frame.map(|f| (u16::from(f.code), f.reason.to_string())));
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return Ok(None),
            }
        }
    }

    /// Frames until one of type `kind` (earlier ones are returned too, for inspection).
    pub async fn until(&mut self, kind: &str) -> anyhow::Result<Value> {
        for _ in 0..50 {
            let frame = self.next().await?;
            if frame["type"] == kind {
                return Ok(frame);
            }
        }
        bail!("no {kind:?} frame among the next 50")
    }
}

async fn expect_refused(
    site: &Site,
    who: &Login,
    appointment: &str,
    status: u16,
    code: &str,
) -> anyhow::Result<()> {
    let (got, body) = get(
        site,
        who,
        &format!("/api/v1/appointments/{appointment}/call"),
    )
    .await?;
    assert_eq!(
        (got, body["error"].as_str()),
        (status, Some(code)),
        "call endpoint: {body}"
    );
    match connect(&site.daemon, appointment, who).await? {
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

#[tokio::test]
async fn the_room_opens_ten_minutes_before_and_only_for_the_parties() -> anyhow::Result<()> {
    let site = demo_site().await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let anne = patient(&site, 80).await?;
    let stranger = patient(&site, 81).await?;
    let weber = demo_login(&site, "dr.weber", "demo doctor 2026", "+352621000002").await?;
    let ferreira = demo_login(&site, "dr.ferreira", "demo doctor 2026", "+352621000003").await?;

    // 20 minutes ahead: the room is not open yet, for either party.
    let later = book(&site, &anne, 20 * 60).await?;
    expect_refused(&site, &anne, &later, 403, "too_early").await?;
    expect_refused(&site, &weber, &later, 403, "too_early").await?;

    // Starting within a minute: open to the parties, 404 to everybody else.
    let soon = book(&site, &anne, 30).await?;
    for outsider in [&stranger, &ferreira, &staff] {
        expect_refused(&site, outsider, &soon, 404, "not_found").await?;
    }
    expect_refused(
        &site,
        &anne,
        "00000000-0000-0000-0000-000000000000",
        404,
        "not_found",
    )
    .await?;
    let (status, info) = get(&site, &anne, &format!("/api/v1/appointments/{soon}/call")).await?;
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
    let (status, info) = get(&site, &weber, &format!("/api/v1/appointments/{soon}/call")).await?;
    assert_eq!((status, info["role"].as_str()), (200, Some("practitioner")));

    // Not logged in: 401 before anything else.
    let url = site
        .daemon
        .url(&format!("/api/v1/appointments/{soon}/signal"))
        .replacen("https://", "wss://", 1);
    let anonymous = connect_request(&site.daemon, url.into_client_request()?).await?;
    assert!(matches!(anonymous, Err((401, _))), "anonymous socket");
    // A plain GET of the signalling URL asks for a WebSocket.
    let (status, body) = get(&site, &anne, &format!("/api/v1/appointments/{soon}/signal")).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (426, Some("websocket_required"))
    );

    // The documented API knows the call routes, the WebSocket included.
    let doc: Value = site
        .daemon
        .client
        .get(site.daemon.url("/api/v1/openapi.json"))
        .send()
        .await?
        .json()
        .await?;
    for path in [
        "/api/v1/appointments/{id}/call",
        "/api/v1/appointments/{id}/signal",
        "/api/v1/appointments/{id}/attachments",
        "/api/v1/appointments/{id}/call/quality",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} undocumented");
    }
    Ok(())
}

pub async fn upload(
    site: &Site,
    who: &Login,
    appointment: &str,
    content_type: &str,
    name: &str,
    body: Vec<u8>,
) -> anyhow::Result<(u16, Value)> {
    let r = site
        .daemon
        .client
        .post(site.daemon.url(&format!(
            "/api/v1/appointments/{appointment}/attachments?name={name}"
        )))
        .header("authorization", who.bearer())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

#[tokio::test]
async fn signalling_relays_between_the_sides_and_keeps_the_record() -> anyhow::Result<()> {
    let site = demo_site().await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let anne = patient(&site, 82).await?;
    let stranger = patient(&site, 83).await?;
    let weber = demo_login(&site, "dr.weber", "demo doctor 2026", "+352621000002").await?;
    let id = book(&site, &anne, 30).await?;

    let mut doctor = connect(&site.daemon, &id, &weber)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // Anything the server cannot understand is answered, and the socket stays open.
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
    let waiting = doctor.until("waiting").await?;
    assert_eq!(waiting["roles"], json!(["practitioner"]));
    doctor.send(json!({"type": "ring"})).await?;
    assert_eq!(doctor.next().await?["error"], "nobody_waiting");

    // The patient joins with ?token= (as clients that cannot set headers do).
    let url = site
        .daemon
        .url(&format!(
            "/api/v1/appointments/{id}/signal?token={}",
            anne.token
        ))
        .replacen("https://", "wss://", 1);
    let mut patient_ws = connect_request(&site.daemon, url.into_client_request()?)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    patient_ws
        .send(json!({"type": "join", "role": "patient"}))
        .await?;
    assert_eq!(
        patient_ws.until("waiting").await?["roles"],
        json!(["patient", "practitioner"])
    );
    assert_eq!(
        doctor.until("waiting").await?["roles"],
        json!(["patient", "practitioner"])
    );
    let (_, a) = get(&site, &anne, &format!("/api/v1/appointments/{id}")).await?;
    assert_eq!(a["status"], "waiting");

    doctor.send(json!({"type": "ring"})).await?;
    patient_ws.until("ring").await?;
    patient_ws.send(json!({"type": "accept"})).await?;
    doctor.until("accept").await?;
    assert_eq!(
        doctor.until("present").await?["roles"],
        json!(["patient", "practitioner"])
    );
    doctor
        .send(json!({"type": "offer", "sdp": "v=0 fake"}))
        .await?;
    assert_eq!(patient_ws.until("offer").await?["sdp"], "v=0 fake");
    patient_ws
        .send(json!({"type": "answer", "sdp": "v=0 answer"}))
        .await?;
    assert_eq!(doctor.until("answer").await?["sdp"], "v=0 answer");
    patient_ws.send(json!({"type": "ice", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMLineIndex": 0})).await?;
    assert_eq!(doctor.until("ice").await?["sdpMLineIndex"], 0);

    // Chat with an attachment: uploaded over HTTP, announced in the chat, stored, downloadable
    // by the parties only.
    let pdf = b"%PDF-1.4\n% a lab result\n".to_vec();
    let (status, attachment) =
        upload(&site, &anne, &id, "application/pdf", "lab.pdf", pdf.clone()).await?;
    assert_eq!(status, 201, "{attachment}");
    let (status, body) =
        upload(&site, &anne, &id, "text/html", "x.html", b"<html>".to_vec()).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (status, _) = upload(
        &site,
        &anne,
        &id,
        "application/pdf",
        "fake.pdf",
        b"MZ...".to_vec(),
    )
    .await?;
    assert_eq!(status, 422);
    let (status, body) = upload(
        &site,
        &anne,
        &id,
        "image/png",
        "big.png",
        vec![0x89; 2 * 1024 * 1024],
    )
    .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (413, Some("payload_too_large"))
    );
    let (status, _) = upload(
        &site,
        &stranger,
        &id,
        "application/pdf",
        "x.pdf",
        pdf.clone(),
    )
    .await?;
    assert_eq!(status, 404);
    let attachment_id = attachment["id"].as_str().context("no attachment id")?;
    patient_ws
        .send(json!({"type": "chat", "text": "my lab result", "attachment_id": attachment_id}))
        .await?;
    let chat = doctor.until("chat").await?;
    assert_eq!(
        (
            chat["text"].as_str(),
            chat["attachment_id"].as_str(),
            chat["from"].as_str()
        ),
        (Some("my lab result"), Some(attachment_id), Some("patient"))
    );
    patient_ws.until("chat").await?;
    patient_ws
        .send(json!({"type": "chat", "text": "x", "attachment_id": "00000000-0000-0000-0000-000000000000"}))
        .await?;
    assert_eq!(patient_ws.until("error").await?["error"], "not_found");
    let download = |who: &Login| {
        let request = site
            .daemon
            .client
            .get(site.daemon.url(&format!(
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
    let (status, kind, bytes) = download(&weber).await?;
    assert_eq!(
        (status, kind.as_str(), bytes),
        (200, "application/pdf", pdf)
    );
    assert_eq!(download(&stranger).await?.0, 404);

    // Stats frames become the quality record; metrics carry only aggregates.
    doctor
        .send(
            json!({"type": "stats", "rtt_ms": 42.0, "loss_pct": 0.5, "jitter_ms": 3.0,
            "recv_kbps": 900.0, "recv_fps": 29.5, "recv_width": 640, "recv_height": 480}),
        )
        .await?;
    patient_ws
        .send(json!({"type": "stats", "rtt_ms": 40.0, "recv_fps": 30.0}))
        .await?;

    // A rejoin replaces the old socket of the same seat.
    let mut doctor2 = connect(&site.daemon, &id, &weber)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    doctor2
        .send(json!({"type": "join", "role": "practitioner"}))
        .await?;
    assert_eq!(doctor.until("error").await?["error"], "replaced");
    doctor2.until("present").await?;
    // …and gets the conversation so far.
    assert_eq!(doctor2.until("chat").await?["text"], "my lab result");

    doctor2.send(json!({"type": "hangup"})).await?;
    patient_ws.until("hangup").await?;
    let (_, a) = get(&site, &anne, &format!("/api/v1/appointments/{id}")).await?;
    assert_eq!(a["status"], "completed");
    let (status, record) = get(
        &site,
        &weber,
        &format!("/api/v1/appointments/{id}/call/quality"),
    )
    .await?;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["sample_count"], 2, "{record}");
    let roles: Vec<&str> = record["summary"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["role"].as_str())
        .collect();
    assert_eq!(roles, ["patient", "practitioner"]);
    assert_eq!(
        get(
            &site,
            &stranger,
            &format!("/api/v1/appointments/{id}/call/quality")
        )
        .await?
        .0,
        404
    );
    // The call is over: the room is closed.
    expect_refused(&site, &anne, &id, 409, "call_closed").await?;

    // The patient's GDPR export holds the conversation and describes the shared file.
    let (_, export) = get(&site, &anne, "/api/v1/me/export").await?;
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
    let (_, stranger_export) = get(&site, &stranger, "/api/v1/me/export").await?;
    assert_eq!(
        stranger_export["call_chats"],
        json!([]),
        "{stranger_export}"
    );

    let metrics = site
        .daemon
        .client
        .get(site.daemon.url("/metrics"))
        .send()
        .await?
        .text()
        .await?;
    assert!(
        metrics.contains("teleconsult_call_rtt_seconds_count 2"),
        "{metrics}"
    );
    assert!(!metrics.contains(&id), "no appointment id in metrics");
    assert!(!metrics.contains("lab result"));
    assert!(
        !site.daemon.logs().contains("my lab result"),
        "no chat text in the log"
    );
    Ok(())
}

/// Two headless Chromium instances, the patient's and the practitioner's, through the call
/// page: waiting room, ring, accept, a real WebRTC call (each side decodes the other's video),
/// a chat message with an attachment, hang-up; the quality record is there afterwards.
/// Daemon, sinks, chromedriver and both browsers run in a namespace the test owns.
#[test]
fn two_browsers_call_through_the_waiting_room() -> anyhow::Result<()> {
    teleconsult_tests::netns::run_inside(
        "call::two_browsers_call_through_the_waiting_room",
        call_in_two_browsers,
    )
}

async fn js(tab: &teleconsult_tests::browser::Tab, script: &str) -> anyhow::Result<Value> {
    Ok(tab.client.execute(script, vec![]).await?)
}

async fn wait_js(
    tab: &teleconsult_tests::browser::Tab,
    what: &str,
    script: &str,
) -> anyhow::Result<()> {
    teleconsult_tests::poll_until(what, Duration::from_secs(45), || async {
        js(tab, script)
            .await
            .ok()?
            .as_bool()
            .filter(|b| *b)
            .map(drop)
    })
    .await
}

/// A number of `#call`'s data- attributes (0 when absent).
async fn call_number(
    tab: &teleconsult_tests::browser::Tab,
    attribute: &str,
) -> anyhow::Result<f64> {
    let value = js(
        tab,
        &format!("return Number(document.getElementById('call').dataset.{attribute} || 0)"),
    )
    .await?;
    Ok(value.as_f64().unwrap_or(0.0))
}

/// How much a `#call` data- attribute grows over `over`.
async fn growth(
    tab: &teleconsult_tests::browser::Tab,
    attribute: &str,
    over: Duration,
) -> anyhow::Result<f64> {
    let before = call_number(tab, attribute).await?;
    tokio::time::sleep(over).await;
    Ok(call_number(tab, attribute).await? - before)
}

/// Waits (at most 30 s) until `measure` gives a value `wanted` accepts: a switch shows after
/// the page's next stats and the media pipelines catch up, later on a loaded machine.
async fn eventually<F, Fut>(
    what: &str,
    measure: F,
    wanted: impl Fn(f64) -> bool,
) -> anyhow::Result<f64>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<f64>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let value = measure().await?;
        if wanted(value) {
            return Ok(value);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{what}: still {value} after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Mean brightness (0–255) of the other side's picture as `tab` shows it.
async fn brightness(tab: &teleconsult_tests::browser::Tab) -> anyhow::Result<f64> {
    let value = js(
        tab,
        "const v = document.getElementById('remote-video'); \
         const c = document.createElement('canvas'); c.width = 64; c.height = 36; \
         const g = c.getContext('2d'); g.drawImage(v, 0, 0, 64, 36); \
         const d = g.getImageData(0, 0, 64, 36).data; let sum = 0; \
         for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2]; \
         return sum / (d.length / 4) / 3;",
    )
    .await?;
    value
        .as_f64()
        .ok_or_else(|| anyhow::anyhow!("brightness: {value}"))
}

/// The patient's controls during the call, seen from the practitioner's side: mute
/// silences the audio (getStats energy), camera off turns the picture black, audio-only stops
/// the video altogether (no frames decoded) while the sound goes on, and each switches back.
async fn switching(
    patient: &teleconsult_tests::browser::Tab,
    doctor: &teleconsult_tests::browser::Tab,
) -> anyhow::Result<()> {
    let window = Duration::from_secs(3);
    let frames = || growth(doctor, "remoteFrames", window);
    let energy = || growth(doctor, "remoteAudioEnergy", window);
    let video = eventually("video before", frames, |f| f > 20.0).await?;
    let sound = eventually("sound before", energy, |e| e > 0.0).await?;

    patient.click("#mute").await?;
    eventually("muted energy", energy, |e| e < sound * 0.005).await?;
    patient.click("#mute").await?;
    eventually("unmuted energy", energy, |e| e > sound * 0.1).await?;

    // Camera off: black frames instead of the picture (the track is disabled, not removed).
    let picture = || brightness(doctor);
    let lit = eventually("the camera's picture", picture, |b| b > 20.0).await?;
    patient.click("#camera").await?;
    eventually("camera off", picture, |b| b < 5.0).await?;
    patient.click("#camera").await?;
    eventually("camera on", picture, |b| b > lit * 0.5).await?;

    // Audio only: no video is sent at all, the sound goes on; then video again.
    patient.click("#audio-only").await?;
    eventually("no video in audio only", frames, |f| f < 1.0).await?;
    // Far above a muted line (under 0.5 %: silence), though below the call's level at times:
    // the receiver's playout stretches the sound while the machine is busy.
    eventually("sound in audio only", energy, |e| e > sound * 0.02).await?;
    let hidden = js(
        patient,
        "return document.getElementById('remote-video').hidden",
    )
    .await?;
    anyhow::ensure!(
        hidden.as_bool() == Some(true),
        "audio only hides the picture"
    );
    patient.click("#audio-only").await?;
    eventually("video again", frames, |f| f > video * 0.5).await?;
    Ok(())
}

/// The path lost under a call in two browsers (run inside the test's namespace): every UDP
/// packet is dropped until ICE, seeing no answer, has restarted (fresh credentials, candidates
/// gathered again); then the path is back. The call goes on over the restarted ICE generation:
/// the pair in use has a new local ufrag.
async fn ice_restart_after_a_lost_path(
    patient: Option<&teleconsult_tests::browser::Tab>,
    doctor: &teleconsult_tests::browser::Tab,
) -> anyhow::Result<()> {
    let nft = |rules: &str| -> anyhow::Result<()> {
        let out = std::process::Command::new("nft").arg(rules).output()?;
        anyhow::ensure!(
            out.status.success(),
            "nft {rules}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    };
    let ufrag = |tab| async move {
        js(
            tab,
            "return document.getElementById('call').dataset.iceUfrag || ''",
        )
        .await
        .map(|v| v.as_str().unwrap_or_default().to_owned())
    };
    let restarts = || async {
        let theirs = match patient {
            Some(patient) => call_number(patient, "iceRestarts").await?,
            None => 0.0,
        };
        Ok::<f64, anyhow::Error>(call_number(doctor, "iceRestarts").await? + theirs)
    };
    let before = ufrag(doctor).await?;
    anyhow::ensure!(!before.is_empty(), "no ICE pair in use before the cut");
    nft("add table inet tccut; \
         add chain inet tccut input { type filter hook input priority -10; policy accept; }; \
         add chain inet tccut output { type filter hook output priority -10; policy accept; }; \
         add rule inet tccut input meta l4proto udp drop; \
         add rule inet tccut output meta l4proto udp drop")?;
    let cut = eventually("an ICE restart while the path is lost", restarts, |r| {
        r >= 1.0
    })
    .await;
    nft("delete table inet tccut")?;
    cut?;
    let window = Duration::from_secs(3);
    eventually(
        "video at the practitioner after the restart",
        || growth(doctor, "remoteFrames", window),
        |f| f > 20.0,
    )
    .await?;
    if let Some(patient) = patient {
        eventually(
            "video at the patient after the restart",
            || growth(patient, "remoteFrames", window),
            |f| f > 20.0,
        )
        .await?;
    }
    let after = ufrag(doctor).await?;
    anyhow::ensure!(
        after != before,
        "the call goes on over the first ICE generation ({before}): no restart carried it"
    );
    Ok(())
}

/// Waits (bounded) until the call's quality record holds at least `samples` samples from each
/// of `roles`; returns the record. (404 until the first sample: "no call measured yet".)
async fn quality_samples(
    site: &Site,
    who: &Login,
    id: &str,
    roles: &[&str],
    samples: u64,
) -> anyhow::Result<Value> {
    let path = format!("/api/v1/appointments/{id}/call/quality");
    teleconsult_tests::poll_until(
        &format!("{samples} quality samples from each of {roles:?}"),
        Duration::from_secs(60),
        || async {
            let (status, record) = get(site, who, &path).await.ok()?;
            let summary = record["summary"].as_array()?;
            let enough = roles.iter().all(|role| {
                summary.iter().any(|side| {
                    side["role"] == *role && side["samples"].as_u64().is_some_and(|n| n >= samples)
                })
            });
            (status == 200 && enough).then_some(record)
        },
    )
    .await
}

/// Logs in through the login pages (password, then the SMS code read from the sink).
async fn log_in_tab(
    tab: &teleconsult_tests::browser::Tab,
    site: &Site,
    login: &str,
    password: &str,
    phone: &str,
) -> anyhow::Result<()> {
    let before = site
        .sms
        .messages()
        .iter()
        .filter(|m| m["to"] == phone)
        .count();
    tab.open("/login").await?;
    tab.fill("login", login).await?;
    tab.fill("password", password).await?;
    tab.click("main form button[type='submit']").await?;
    tab.wait_for_path("/login/code").await?;
    let code = site
        .sms
        .code_for(phone, before, teleconsult_tests::accounts::WAIT)
        .await?;
    tab.fill("code", &code).await?;
    tab.click("main form button[type='submit']").await?;
    tab.wait_for_path("/home").await
}

async fn call_in_two_browsers() -> anyhow::Result<()> {
    use teleconsult_tests::browser::{
        BrowserOptions, FAKE_MEDIA_ARGS, certificate_of, with_browser_args,
    };
    let site = demo_site().await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let anne = patient(&site, 84).await?;
    let weber = demo_login(&site, "dr.weber", "demo doctor 2026", "+352621000002").await?;
    let id = book(&site, &anne, 30).await?;
    let options = BrowserOptions {
        base_url: site.daemon.base_url.clone(),
        certificate: certificate_of(&site.daemon),
        language: "en-GB".into(),
    };
    let call_page = format!("/appointments/{id}/call");
    let pdf_dir = tempfile::tempdir()?;
    let pdf_path = pdf_dir.path().join("lab-result.pdf");
    std::fs::write(&pdf_path, b"%PDF-1.4\n% lab result for the call test\n")?;
    // The patient's microphone hears a steady tone: muting must silence it.
    let tone = pdf_dir.path().join("tone.wav");
    teleconsult_tests::browser::write_tone_wav(&tone)?;
    let tone_arg = format!("--use-file-for-fake-audio-capture={}", tone.display());
    let patient_args: Vec<&str> = FAKE_MEDIA_ARGS
        .iter()
        .copied()
        .chain([tone_arg.as_str()])
        .collect();

    let weber_ref = &weber;
    with_browser_args("call-patient", options.clone(), &patient_args, |patient_tab| {
        let (site_ref, call_page, options) = (&site, call_page.clone(), options.clone());
        let (id, pdf_path) = (id.clone(), pdf_path.clone());
        async move {
            log_in_tab(&patient_tab, site_ref, "patient84@example.lu", PASSWORD, &phone(84)).await?;
            patient_tab.open(&call_page).await?;
            patient_tab.wait_for_path(&call_page).await?;
            wait_js(&patient_tab, "the patient in the waiting room",
                "return document.getElementById('call').dataset.state === 'waiting'").await?;
            patient_tab.check_accessibility().await?;

            with_browser_args("call-practitioner", options, FAKE_MEDIA_ARGS, |doctor_tab| {
                let call_page = call_page.clone();
                let (id, pdf_path, patient_tab) = (id.clone(), pdf_path.clone(), patient_tab.clone());
                async move {
                    log_in_tab(&doctor_tab, site_ref, "dr.weber", "demo doctor 2026", "+352621000002").await?;
                    doctor_tab.open(&call_page).await?;
                    // The practitioner sees the patient waiting and calls.
                    wait_js(&doctor_tab, "the ring button",
                        "return document.getElementById('ring').disabled === false").await?;
                    doctor_tab.expect_text(&["Le patient attend."]).await?; // Dr Weber reads French.
                    doctor_tab.click("#ring").await?;
                    wait_js(&patient_tab, "the incoming call",
                        "return document.getElementById('incoming').hidden === false").await?;
                    patient_tab.click("#accept").await?;

                    // WebRTC connects: both sides decode the other's video.
                    for (tab, who) in [(&patient_tab, "patient"), (&doctor_tab, "practitioner")] {
                        wait_js(tab, &format!("remote video frames at the {who}"),
                            "return Number(document.getElementById('call').dataset.remoteFrames) > 30").await?;
                    }

                    switching(&patient_tab, &doctor_tab).await?;
                    ice_restart_after_a_lost_path(Some(&patient_tab), &doctor_tab).await?;

                    // The practitioner's snapshot of the patient's picture goes into the
                    // appointment's files, and the patient is told in the chat.
                    doctor_tab.click("#snapshot").await?;
                    wait_js(&patient_tab, "the snapshot notice in the patient's chat",
                        "return [...document.querySelectorAll('#chat-log li')].some(li => \
                         li.querySelector('a.attachment'))").await?;

                    // Chat with an attachment, from the patient.
                    patient_tab.fill("text", "Here is my lab result").await?;
                    let input = patient_tab.client.find(fantoccini::Locator::Css("#chat-file")).await?;
                    input.send_keys(&pdf_path.display().to_string()).await?;
                    patient_tab.click("#chat-send").await?;
                    wait_js(&doctor_tab, "the chat message with its attachment",
                        "return [...document.querySelectorAll('#chat-log li')].some(li => \
                         li.textContent.includes('Here is my lab result') && li.querySelector('a.attachment'))").await?;
                    let fetched = doctor_tab.client.execute_async(
                        "const done = arguments[0]; \
                         fetch([...document.querySelectorAll('#chat-log li')] \
                           .find(li => li.textContent.includes('Here is my lab result')) \
                           .querySelector('a.attachment').href) \
                           .then(r => r.text().then(t => done(r.status + ' ' + t.slice(0, 5)))) \
                           .catch(e => done(String(e)));",
                        vec![],
                    ).await?;
                    assert_eq!(fetched.as_str(), Some("200 %PDF-"), "attachment download");

                    // Stats frames from both sides in the quality record, then the practitioner
                    // hangs up.
                    quality_samples(site_ref, weber_ref, &id, &["patient", "practitioner"], 2).await?;
                    doctor_tab.click("#hangup").await?;
                    wait_js(&patient_tab, "the end of the call on the patient's side",
                        "return document.getElementById('call').dataset.state === 'ended'").await?;
                    Ok(())
                }
            })
            .await
        }
    })
    .await?;

    let (_, appointment) = get(&site, &anne, &format!("/api/v1/appointments/{id}")).await?;
    assert_eq!(appointment["status"], "completed");
    // The snapshot is a JPEG of the patient's picture, kept with the appointment.
    let size = snapshot_size(&site, &weber, &id).await?;
    assert!(
        size.0 >= 320 && size.1 >= 180,
        "a picture of the camera: {size:?}"
    );
    let (status, record) = get(
        &site,
        &weber,
        &format!("/api/v1/appointments/{id}/call/quality"),
    )
    .await?;
    assert_eq!(status, 200, "{record}");
    let summary = record["summary"].as_array().cloned().unwrap_or_default();
    let sides: Vec<&str> = summary.iter().filter_map(|s| s["role"].as_str()).collect();
    assert_eq!(sides, ["patient", "practitioner"], "{record}");
    for side in &summary {
        assert!(
            side["recv_fps_avg"].as_f64().is_some_and(|f| f > 5.0),
            "{side}"
        );
        assert!(side["recv_width"].as_u64().is_some_and(|w| w > 0), "{side}");
    }
    Ok(())
}

/// A booth site: the patient's side is the booth's own GStreamer pipeline, run by the daemon.
/// Staff at the booth join as `booth` and accept; the practitioner's Chromium calls, and its
/// offer, answer and candidates are exchanged with the pipeline: the practitioner sees the
/// booth camera (the test pattern), and the quality record has the booth's own samples.
#[test]
fn a_booth_site_answers_with_its_own_camera() -> anyhow::Result<()> {
    teleconsult_tests::netns::run_inside(
        "call::a_booth_site_answers_with_its_own_camera",
        booth_call,
    )
}

async fn booth_call() -> anyhow::Result<()> {
    use teleconsult_tests::browser::{
        BrowserOptions, FAKE_MEDIA_ARGS, certificate_of, with_browser_args,
    };
    let site = demo_site_of_kind("booth").await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let anne = patient(&site, 85).await?;
    let weber = demo_login(&site, "dr.weber", "demo doctor 2026", "+352621000002").await?;
    let id = book(&site, &anne, 30).await?;
    let (status, info) = get(&site, &staff, &format!("/api/v1/appointments/{id}/call")).await?;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        (info["role"].as_str(), info["media"].as_str()),
        (Some("booth"), Some("booth"))
    );

    let mut booth = connect(&site.daemon, &id, &staff)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    booth.send(json!({"type": "join", "role": "booth"})).await?;
    assert_eq!(booth.until("waiting").await?["roles"], json!(["booth"]));

    let options = BrowserOptions {
        base_url: site.daemon.base_url.clone(),
        certificate: certificate_of(&site.daemon),
        language: "en-GB".into(),
    };
    let call_page = format!("/appointments/{id}/call");
    let (site_ref, weber_ref, id_ref) = (&site, &weber, id.as_str());
    with_browser_args(
        "call-booth-practitioner",
        options,
        FAKE_MEDIA_ARGS,
        |doctor_tab| {
            let booth = &mut booth;
            async move {
                log_in_tab(
                    &doctor_tab,
                    site_ref,
                    "dr.weber",
                    "demo doctor 2026",
                    "+352621000002",
                )
                .await?;
                doctor_tab.open(&call_page).await?;
                wait_js(
                    &doctor_tab,
                    "the ring button",
                    "return document.getElementById('ring').disabled === false",
                )
                .await?;
                doctor_tab.click("#ring").await?;
                booth.until("ring").await?;
                booth.send(json!({"type": "accept"})).await?;
                wait_js(
                    &doctor_tab,
                    "the booth camera at the practitioner",
                    "return Number(document.getElementById('call').dataset.remoteFrames) > 30",
                )
                .await?;
                // The booth's pipeline answers the practitioner's ICE restart too.
                ice_restart_after_a_lost_path(None, &doctor_tab).await?;
                // The practitioner's snapshot of the booth camera; the booth is told in the chat.
                doctor_tab.click("#snapshot").await?;
                let told = booth.until("chat").await?;
                anyhow::ensure!(told["attachment_id"].is_string(), "{told}");
                // A booth sample (every 5 s) besides the browser's, in the quality record.
                quality_samples(site_ref, weber_ref, id_ref, &["booth", "practitioner"], 1).await?;
                doctor_tab.click("#hangup").await?;
                booth.until("hangup").await?;
                Ok(())
            }
        },
    )
    .await
    .with_context(|| {
        let logs = site.daemon.logs();
        let media: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("booth") || l.contains("ERROR") || l.contains("WARN"))
            .collect();
        format!("daemon log (media lines):\n{}", media.join("\n"))
    })?;

    let (_, appointment) = get(&site, &anne, &format!("/api/v1/appointments/{id}")).await?;
    assert_eq!(appointment["status"], "completed");
    let (status, record) = get(
        &site,
        &weber,
        &format!("/api/v1/appointments/{id}/call/quality"),
    )
    .await?;
    assert_eq!(status, 200, "{record}");
    let sides: Vec<&str> = record["summary"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["role"].as_str())
        .collect();
    assert_eq!(sides, ["booth", "practitioner"], "{record}");
    // The booth camera's picture, at the size the booth sends.
    let size = snapshot_size(&site, &weber, &id).await?;
    assert!(size.0 >= 320 && size.1 >= 180, "{size:?}");
    Ok(())
}

/// A stopping daemon tells every signalling socket it is going away (1001), so clients come
/// back instead of guessing from a cut connection.
#[tokio::test]
async fn on_sigterm_every_signalling_socket_is_closed_with_going_away() -> anyhow::Result<()> {
    let mut site = demo_site().await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let anne = patient(&site, 84).await?;
    let weber = demo_login(&site, "dr.weber", "demo doctor 2026", "+352621000002").await?;
    let id = book(&site, &anne, 30).await?;
    let mut sockets = Vec::new();
    for (who, role) in [(&anne, "patient"), (&weber, "practitioner")] {
        let mut socket = connect(&site.daemon, &id, who)
            .await?
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        socket.send(json!({"type": "join", "role": role})).await?;
        socket.until("waiting").await?;
        sockets.push(socket);
    }
    site.daemon.signal(nix::sys::signal::Signal::SIGTERM)?;
    for socket in &mut sockets {
        let (code, reason) = socket
            .closed()
            .await?
            .context("closed without a close frame")?;
        assert_eq!(code, 1001, "{reason}");
        assert!(reason.contains("restarting"), "{reason}");
    }
    let status = site.daemon.terminate(Duration::from_secs(15)).await?;
    assert!(status.success(), "{status}");
    Ok(())
}
