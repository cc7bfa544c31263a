//! Issue #18, items 3 and 4 and the downloads of item 11, end to end on the demo site:
//!
//! - booth staff are the patient's side only of appointments *held at the booth*, and only
//!   while the room is open: a patient who booked from home shares nothing with the booth
//!   (files, call, reason);
//! - a seated party is never replaced by another account's `join` (a running call included);
//! - staff and administrators see the facts of the day, never the patient's reason;
//! - only the issuing practitioner records the payment of a fee memo;
//! - uploaded files are downloaded as sandboxed attachments.
//!
//! No appointment is held at the booth until booth sessions exist (issue #19): the tests mark
//! one as the daemon's own store would hold it — the daemon stopped, the record rewritten
//! through the store, the daemon started again on the same folder.

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_tests::Daemon;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::{DR_WEBER, MIN_LEAD, book_weber};
use teleconsult_tests::pages::get_page;
use teleconsult_tests::signal::{Signal, connect};
use teleconsult_tests::site::{ADMIN, FERREIRA, PHARMACIST, Site, WEBER};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
/// What `booking::book_weber` gives as the reason: it must reach those who handle the
/// appointment only.
const REASON: &str = "sore throat";

/// Marks appointments as held at the booth, as booth sessions (issue #19) will create them:
/// stops the daemon, rewrites the records through the store, starts the daemon again.
pub(crate) async fn hold_at_the_booth(site: &mut Site, ids: &[&str]) -> anyhow::Result<()> {
    mark_at_booth(&mut site.daemon, ids).await
}

/// [`hold_at_the_booth`] for any daemon (sessions survive the restart).
pub(crate) async fn mark_at_booth(daemon: &mut Daemon, ids: &[&str]) -> anyhow::Result<()> {
    daemon.terminate(Duration::from_secs(20)).await?;
    {
        let store = teleconsult_tests::daemon::open_store(daemon)?;
        for id in ids {
            let audit = AuditEvent {
                at: jiff::Timestamp::now(),
                actor: Actor::System("test".into()),
                action: Action::Update,
                object_type: "appointment".into(),
                object_id: (*id).to_owned(),
            };
            let changed = store.change_appointment(
                id.parse()?,
                |a| {
                    Ok::<_, std::convert::Infallible>(Some(teleconsult_store::AppointmentChange {
                        next: teleconsult_core::appointment::Appointment {
                            at_booth: true,
                            ..a.clone()
                        },
                        notifications: Vec::new(),
                        outbox: Vec::new(),
                    }))
                },
                None,
                &audit,
            )?;
            changed?.context("no such appointment")?;
        }
    }
    daemon.spawn().await
}

/// A booth site with staff, an administrator, Dr Weber (open all day) and patient `n`.
struct Booth {
    site: Site,
    staff: Login,
    admin: Login,
    weber: Login,
    owner: Login,
}

async fn booth(n: u32) -> anyhow::Result<Booth> {
    let (site, staff) = Site::for_calls("booth").await?;
    let admin = site.login(&ADMIN).await?;
    let weber = site.login(&WEBER).await?;
    let owner = site.patient(n).await?;
    Ok(Booth {
        site,
        staff,
        admin,
        weber,
        owner,
    })
}

/// Frames up to and including the first of type `kind`.
async fn frames_until(socket: &mut Signal, kind: &str) -> anyhow::Result<Vec<Value>> {
    let mut frames = Vec::new();
    for _ in 0..50 {
        let frame = socket.next().await?;
        let done = frame["type"] == kind;
        frames.push(frame);
        if done {
            return Ok(frames);
        }
    }
    anyhow::bail!("no {kind:?} frame among {frames:?}")
}

/// What the server answers a `join`: the room (`waiting` / `present`) or an `error`.
async fn join_answer(socket: &mut Signal) -> anyhow::Result<Value> {
    for _ in 0..50 {
        let frame = socket.next().await?;
        if matches!(
            frame["type"].as_str(),
            Some("error" | "waiting" | "present")
        ) {
            return Ok(frame);
        }
    }
    anyhow::bail!("no answer to the join")
}

async fn joined(site: &Site, id: &str, who: &Login, role: &str) -> anyhow::Result<Signal> {
    let mut socket = connect(site, id, who)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    socket.send(json!({"type": "join", "role": role})).await?;
    Ok(socket)
}

/// Two days ahead: an at-booth appointment whose room is not open yet.
const TWO_DAYS: Duration = Duration::from_secs(2 * 24 * 3600);
/// An hour ahead: time to issue documents and upload files before the start.
const AN_HOUR: Duration = Duration::from_secs(3600);

async fn download(site: &Site, who: &Login, url: &str) -> anyhow::Result<reqwest::Response> {
    Ok(site
        .daemon
        .client
        .get(site.daemon.url(url))
        .header("authorization", who.bearer())
        .send()
        .await?)
}

/// The status of the file list, of a file's download and of an upload for `who`.
async fn file_doors(
    site: &Site,
    who: &Login,
    id: &str,
    file_url: &str,
) -> anyhow::Result<[(u16, Value); 3]> {
    let list = site
        .get(who, &format!("/api/v1/appointments/{id}/attachments"))
        .await?;
    let r = download(site, who, file_url).await?;
    let status = r.status().as_u16();
    // The file itself (not JSON) or the error (JSON): what came, never "nothing".
    let text = r.text().await?;
    let one = (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    );
    let sent = site
        .upload_attachment(who, id, "application/pdf", "x.pdf", PDF.to_vec())
        .await?;
    Ok([list, one, sent])
}

/// Item 3: on a booth site, a patient who booked from home uploads a file days before; the
/// booth's staff can neither list, download nor add files, nor enter the call, nor read the
/// reason — the appointment has nothing to do with the booth. (Before: staff were the
/// patient's side of every appointment of a booth site.)
#[tokio::test]
async fn booth_staff_reach_nothing_of_an_appointment_booked_from_home() -> anyhow::Result<()> {
    let Booth {
        site,
        staff,
        admin,
        weber,
        owner,
    } = booth(160).await?;
    let later = book_weber(&site, &owner, TWO_DAYS).await?;
    let soon = book_weber(&site, &owner, MIN_LEAD).await?;
    let mut file_urls = Vec::new();
    for id in [&later, &soon] {
        let (status, file) = site
            .upload_attachment(&owner, id, "application/pdf", "results.pdf", PDF.to_vec())
            .await?;
        assert_eq!(status, 201, "{file}");
        file_urls.push(file["url"].as_str().context("file url")?.to_owned());
    }
    for (id, url) in [&later, &soon].into_iter().zip(&file_urls) {
        for who in [&staff, &admin] {
            for (status, body) in file_doors(&site, who, id, url).await? {
                assert_eq!(
                    (status, body["error"].as_str()),
                    (404, Some("not_found")),
                    "{} on an appointment booked from home: {body}",
                    who.role
                );
            }
        }
    }
    // The call, while its room is open: no party, no socket, no seat.
    for who in [&staff, &admin] {
        let (status, body) = site
            .get(who, &format!("/api/v1/appointments/{soon}/call"))
            .await?;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
        match connect(&site, &soon, who).await? {
            Ok(_) => anyhow::bail!("{} opened the signalling socket", who.role),
            Err((status, _)) => assert_eq!(status, 404),
        }
    }
    // The parties still can.
    assert_eq!(site.get(&weber, &file_urls[0]).await?.0, 200);
    let (status, info) = site
        .get(&owner, &format!("/api/v1/appointments/{soon}/call"))
        .await?;
    assert_eq!((status, info["role"].as_str()), (200, Some("patient")));

    // The reason is the patient's and the practitioner's; staff and administrators see the
    // facts of the day without it, in the API and on the pages.
    let (_, facts) = site
        .get(&owner, &format!("/api/v1/appointments/{later}"))
        .await?;
    let start: jiff::Timestamp = facts["start"].as_str().context("start")?.parse()?;
    let day = start.in_tz("Europe/Luxembourg")?.date();
    for (who, handles) in [
        (&owner, true),
        (&weber, true),
        (&staff, false),
        (&admin, false),
    ] {
        let (status, one) = site
            .get(who, &format!("/api/v1/appointments/{later}"))
            .await?;
        assert_eq!(status, 200, "{one}");
        assert_eq!(
            one.get("reason").and_then(Value::as_str),
            handles.then_some(REASON),
            "{}: {one}",
            who.role
        );
        for path in [
            "/api/v1/appointments".to_owned(),
            format!("/api/v1/appointments?date={day}"),
        ] {
            let (_, list) = site.get(who, &path).await?;
            let mine = list
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["id"] == later.as_str())
                .with_context(|| format!("{} lists {later}: {list}", who.role))?;
            assert_eq!(
                mine.get("reason").and_then(Value::as_str),
                handles.then_some(REASON),
                "{} {path}: {mine}",
                who.role
            );
        }
        let (status, html) = get_page(&site.daemon, who, &format!("/appointments/{later}")).await?;
        assert_eq!(status, 200);
        assert_eq!(html.contains(REASON), handles, "{}: {html}", who.role);
        if who.role != "patient" {
            // The day view (reception): time, practitioner, patient, mode, state.
            let (status, html) = get_page(&site.daemon, who, &format!("/home?date={day}")).await?;
            assert_eq!(status, 200);
            assert!(html.contains(&format!("/appointments/{later}")), "{html}");
            assert!(
                html.contains("Quackenbush160"),
                "the patient's name: {html}"
            );
            assert_eq!(
                html.contains(REASON),
                handles,
                "{} day view: {html}",
                who.role
            );
        }
    }
    Ok(())
}

/// Item 3: an appointment held at the booth. Its staff are the patient's side while the room
/// is open — call, files, reason — and not before (an at-booth appointment two days ahead) or
/// after (once cancelled); administrators never. Nobody takes a seat someone else holds, in
/// the waiting room or in a running call; the same account coming back takes its own seat over.
#[tokio::test]
async fn booth_staff_act_for_the_patient_only_at_the_booth_and_never_take_a_seat()
-> anyhow::Result<()> {
    let Booth {
        mut site,
        staff,
        admin,
        weber,
        owner,
    } = booth(161).await?;
    let later = book_weber(&site, &owner, TWO_DAYS).await?;
    let soon = book_weber(&site, &owner, MIN_LEAD).await?;
    let mut file_urls = Vec::new();
    for id in [&later, &soon] {
        let (status, file) = site
            .upload_attachment(&owner, id, "application/pdf", "results.pdf", PDF.to_vec())
            .await?;
        assert_eq!(status, 201, "{file}");
        file_urls.push(file["url"].as_str().context("file url")?.to_owned());
    }
    hold_at_the_booth(&mut site, &[&later, &soon]).await?;

    // Open: the staff's call, files and reason.
    let (status, info) = site
        .get(&staff, &format!("/api/v1/appointments/{soon}/call"))
        .await?;
    assert_eq!(
        (status, info["role"].as_str()),
        (200, Some("booth")),
        "{info}"
    );
    let [list, one, sent] = file_doors(&site, &staff, &soon, &file_urls[1]).await?;
    assert_eq!(
        (list.0, one.0, sent.0),
        (200, 200, 201),
        "{list:?} {one:?} {sent:?}"
    );
    let (_, seen) = site
        .get(&staff, &format!("/api/v1/appointments/{soon}"))
        .await?;
    assert_eq!(seen["reason"], REASON, "{seen}");
    // Not open yet: a party, but not before the room opens (and no reason to read yet).
    for (status, body) in file_doors(&site, &staff, &later, &file_urls[0]).await? {
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("too_early")),
            "{body}"
        );
    }
    let (status, body) = site
        .get(&staff, &format!("/api/v1/appointments/{later}/call"))
        .await?;
    assert_eq!((status, body["error"].as_str()), (403, Some("too_early")));
    let (_, seen) = site
        .get(&staff, &format!("/api/v1/appointments/{later}"))
        .await?;
    assert!(seen.get("reason").is_none(), "{seen}");
    // Administrators are not the booth.
    for id in [&soon, &later] {
        let (status, _) = site
            .get(&admin, &format!("/api/v1/appointments/{id}/call"))
            .await?;
        assert_eq!(status, 404);
        let (status, _) = site
            .get(&admin, &format!("/api/v1/appointments/{id}/attachments"))
            .await?;
        assert_eq!(status, 404);
        let (_, seen) = site
            .get(&admin, &format!("/api/v1/appointments/{id}"))
            .await?;
        assert!(seen.get("reason").is_none(), "{seen}");
    }

    // The patient came in person and sits in the call with the practitioner.
    let mut patient_ws = joined(&site, &soon, &owner, "patient").await?;
    patient_ws.until("waiting").await?;
    let mut doctor = joined(&site, &soon, &weber, "practitioner").await?;
    doctor.until("waiting").await?;
    doctor.send(json!({"type": "ring"})).await?;
    patient_ws.until("ring").await?;
    patient_ws.send(json!({"type": "accept"})).await?;
    doctor.until("accept").await?;
    // Staff join the running call: refused, the patient keeps the seat and the call goes on.
    let mut booth_ws = joined(&site, &soon, &staff, "booth").await?;
    let refused = join_answer(&mut booth_ws).await?;
    assert_eq!(refused["error"], "seat_taken", "{refused}");
    doctor
        .send(json!({"type": "offer", "sdp": "v=0 still here"}))
        .await?;
    let heard = frames_until(&mut patient_ws, "offer").await?;
    assert!(
        heard.iter().all(|f| f["type"] != "error"),
        "the patient was not disturbed: {heard:?}"
    );
    assert_eq!(
        heard.last().map(|f| &f["sdp"]),
        Some(&json!("v=0 still here"))
    );
    // Not seated: nothing of the call reaches them, nothing of theirs reaches the call.
    booth_ws
        .send(json!({"type": "chat", "text": "hello"}))
        .await?;
    assert_eq!(booth_ws.until("error").await?["error"], "not_joined");

    // The patient leaves (the practitioner sees them go); the booth takes the free seat, and
    // now it is the booth's.
    drop(patient_ws);
    let mut gone = false;
    for _ in 0..50 {
        let frame = doctor.next().await?;
        if frame["type"] == "present" && frame["roles"] == json!(["practitioner"]) {
            gone = true;
            break;
        }
    }
    anyhow::ensure!(gone, "the practitioner never saw the patient leave");
    booth_ws
        .send(json!({"type": "join", "role": "booth"}))
        .await?;
    let present = booth_ws.until("present").await?;
    assert_eq!(
        present["roles"],
        json!(["booth", "practitioner"]),
        "{present}"
    );
    let mut back = joined(&site, &soon, &owner, "patient").await?;
    let refused = join_answer(&mut back).await?;
    assert_eq!(refused["error"], "seat_taken", "{refused}");
    // The same account on a second device takes its own seat over.
    let mut booth_again = joined(&site, &soon, &staff, "booth").await?;
    booth_again.until("present").await?;
    assert_eq!(booth_ws.until("error").await?["error"], "replaced");
    drop(booth_again);

    // Over (cancelled): the staff's part ends with the room.
    let (status, body) = site
        .send(
            Some(&weber),
            Method::POST,
            &format!("/api/v1/appointments/{later}/cancel"),
            Some(&json!({"reason": "the practitioner is ill"})),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    for (status, body) in file_doors(&site, &staff, &later, &file_urls[0]).await? {
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("call_closed")),
            "{body}"
        );
    }
    let (status, _) = site
        .get(&owner, &format!("/api/v1/appointments/{later}/attachments"))
        .await?;
    assert_eq!(status, 200, "the patient keeps their own files");
    Ok(())
}

/// Item 3, under concurrency: the patient and 30 booth staff accounts join the patient's seat
/// of an appointment held at the booth at the same moment. Exactly one is seated; every other
/// one is told `seat_taken`, and the room holds one patient's side.
#[tokio::test]
async fn thirty_one_accounts_racing_for_one_seat_seat_exactly_one() -> anyhow::Result<()> {
    let Booth {
        mut site,
        admin,
        weber,
        owner,
        ..
    } = booth(164).await?;
    let id = book_weber(&site, &owner, MIN_LEAD).await?;
    let mut staff = Vec::new();
    for n in 0..30 {
        let account = json!({"role": "staff", "login": format!("booth.{n}"),
            "phone": format!("+352 621 777 {n:03}"), "email": format!("booth.{n}@example.lu"),
            "password": "a long enough passphrase"});
        let (status, body) = site
            .send(Some(&admin), Method::POST, "/api/v1/users", Some(&account))
            .await?;
        anyhow::ensure!(status == 201, "{body}");
    }
    hold_at_the_booth(&mut site, &[&id]).await?;
    for n in 0..30 {
        staff.push(
            site.login_as(
                &format!("booth.{n}"),
                "a long enough passphrase",
                &format!("+352621777{n:03}"),
            )
            .await?,
        );
    }
    let mut sockets = Vec::new();
    for who in std::iter::once(&owner).chain(&staff) {
        let socket = connect(&site, &id, who)
            .await?
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let role = if who.role == "patient" {
            "patient"
        } else {
            "booth"
        };
        sockets.push((socket, role));
    }
    let answers =
        futures_util::future::join_all(sockets.iter_mut().map(|(socket, role)| async move {
            socket.send(json!({"type": "join", "role": *role})).await?;
            join_answer(socket).await
        }))
        .await;
    let mut seated = 0;
    for answer in answers {
        let answer = answer?;
        match (answer["type"].as_str(), answer["error"].as_str()) {
            (Some("waiting"), _) => seated += 1,
            (Some("error"), Some("seat_taken")) => {}
            _ => anyhow::bail!("unexpected answer to a join: {answer}"),
        }
    }
    assert_eq!(seated, 1, "exactly one account holds the patient's seat");
    let mut doctor = joined(&site, &id, &weber, "practitioner").await?;
    let room = join_answer(&mut doctor).await?;
    let roles = room["roles"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        roles.len(),
        2,
        "one patient's side and the practitioner: {room}"
    );
    Ok(())
}

/// Item 4: the patient sees their fee memo but cannot mark it paid (the insurer would be told
/// it was); only the issuing practitioner records the payment, once, whatever the concurrency.
#[tokio::test]
async fn only_the_issuing_practitioner_records_a_fee_memo_payment() -> anyhow::Result<()> {
    let (mut site, staff) = Site::for_calls("clinic").await?;
    let weber = site.login(&WEBER).await?;
    let ferreira = site.login(&FERREIRA).await?;
    let admin = site.login(&ADMIN).await?;
    let pharmacist = site.login(&PHARMACIST).await?;
    let owner = site.patient(162).await?;
    let id = book_weber(&site, &owner, AN_HOUR).await?;
    let memo = json!({"kind": "fee_memo", "acts": [
        {"code": "C1", "label": "Consultation de médecine générale", "amount_cents": 5230}]});
    let (status, issued) = site
        .send(
            Some(&weber),
            Method::POST,
            &format!("/api/v1/appointments/{id}/documents"),
            Some(&memo),
        )
        .await?;
    assert_eq!(status, 201, "{issued}");
    let doc = issued["id"].as_str().context("document id")?.to_owned();
    let paid_path = format!("/api/v1/documents/{doc}/paid");
    let (_, nothing) = site
        .send(
            Some(&owner),
            Method::POST,
            "/api/v1/documents/00000000-0000-4000-8000-00000000dead/paid",
            None,
        )
        .await?;

    // The patient reads it, but is not the one who says it is paid: answered as for a memo
    // that does not exist; the page offers no button, and its form is refused the same way.
    let (status, seen) = site
        .get(&owner, &format!("/api/v1/documents/{doc}"))
        .await?;
    assert_eq!(
        (status, seen["payment"]["status"].as_str()),
        (200, Some("unpaid"))
    );
    for who in [&owner, &ferreira, &staff, &admin, &pharmacist] {
        let (status, body) = site.send(Some(who), Method::POST, &paid_path, None).await?;
        assert_eq!((status, &body), (404, &nothing), "{}", who.role);
    }
    let (status, html) = get_page(&site.daemon, &owner, &format!("/documents/{doc}")).await?;
    assert_eq!(status, 200);
    assert!(!html.contains(&format!("/documents/{doc}/paid")), "{html}");
    let (status, _, _) = teleconsult_tests::pages::post_form(
        &site.daemon,
        &owner,
        &format!("/documents/{doc}/paid"),
        &[],
    )
    .await?;
    assert_eq!(status, 404);
    let (_, html) = get_page(&site.daemon, &weber, &format!("/documents/{doc}")).await?;
    assert!(
        html.contains(&format!("action=\"/documents/{doc}/paid\"")),
        "the issuer's button"
    );

    // 40 at once, half of them the patient's: one payment, by the practitioner.
    let attempts = (0..40).map(|i| {
        let who = if i % 2 == 0 { &owner } else { &weber };
        let (site, path) = (&site, &paid_path);
        async move {
            let (status, _) = site.send(Some(who), Method::POST, path, None).await?;
            anyhow::Ok((who.role.clone(), status))
        }
    });
    let mut outcomes = std::collections::BTreeMap::<(String, u16), usize>::new();
    for outcome in futures_util::future::join_all(attempts).await {
        *outcomes.entry(outcome?).or_default() += 1;
    }
    let expected = std::collections::BTreeMap::from([
        (("patient".to_owned(), 404), 20),
        (("practitioner".to_owned(), 200), 1),
        (("practitioner".to_owned(), 409), 19),
    ]);
    assert_eq!(outcomes, expected);
    let (_, seen) = site
        .get(&owner, &format!("/api/v1/documents/{doc}"))
        .await?;
    assert_eq!(
        (
            seen["payment"]["status"].as_str(),
            seen["payment"]["paid_by"].as_str()
        ),
        (Some("paid"), Some("practitioner")),
        "{seen}"
    );

    // The insurer is told once.
    site.daemon.terminate(Duration::from_secs(20)).await?;
    let store = teleconsult_tests::daemon::open_store(&site.daemon)?;
    let payments = store
        .outbox_peek(10_000)?
        .into_iter()
        .filter(|e| {
            e.message.kind == "document.paid" && e.message.aggregate == format!("document/{doc}")
        })
        .count();
    assert_eq!(payments, 1);
    Ok(())
}

/// Item 11 (downloads): every file someone uploaded — files of an appointment, files of a
/// message — comes back as an attachment under its own name (RFC 6266, with the exact name
/// per RFC 5987) and sandboxed, whoever downloads it.
#[tokio::test]
async fn uploaded_files_come_back_as_sandboxed_attachments() -> anyhow::Result<()> {
    let (site, _staff) = Site::for_calls("clinic").await?;
    let weber = site.login(&WEBER).await?;
    let owner = site.patient(163).await?;
    let id = book_weber(&site, &owner, AN_HOUR).await?;
    let name = "R%C3%A9sultat%20%22labo%22.pdf"; // Résultat "labo".pdf
    let (status, file) = site
        .upload_attachment(&owner, &id, "application/pdf", name, PDF.to_vec())
        .await?;
    assert_eq!(status, 201, "{file}");
    let (_, booked) = site
        .get(&owner, &format!("/api/v1/appointments/{id}"))
        .await?;
    let own = booked["patient_id"].as_str().context("patient id")?;
    let r = site
        .daemon
        .client
        .post(site.daemon.url(&format!(
            "/api/v1/conversations/{own}/{}/files?name={name}",
            DR_WEBER
        )))
        .header("authorization", owner.bearer())
        .header("content-type", "application/pdf")
        .body(PDF.to_vec())
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let message: Value = r.json().await?;
    let urls = [
        file["url"].as_str().context("attachment url")?.to_owned(),
        message["file"]["url"]
            .as_str()
            .context("message file url")?
            .to_owned(),
    ];
    for url in &urls {
        for who in [&owner, &weber] {
            let r = download(&site, who, url).await?;
            assert_eq!(r.status(), 200, "{url}");
            let header = |name: &str| {
                r.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            // The stored name lost its quotes at upload; the ASCII fallback its accent.
            assert_eq!(
                header("content-disposition"),
                "attachment; filename=\"R_sultat labo.pdf\"; \
                 filename*=UTF-8''R%C3%A9sultat%20labo.pdf",
                "{url}"
            );
            let csp = header("content-security-policy");
            assert!(
                csp.split(';').any(|d| d.trim() == "sandbox"),
                "{url}: {csp:?}"
            );
            assert_eq!(header("content-type"), "application/pdf");
            assert_eq!(header("x-content-type-options"), "nosniff");
            assert_eq!(r.bytes().await?.as_ref(), PDF);
        }
    }
    Ok(())
}
