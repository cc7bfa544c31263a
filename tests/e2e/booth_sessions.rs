//! Booth sessions end to end on a demo booth site (issue #19, DESIGN §4d, `docs/booth.md`):
//! staff identify the person at the counter (look-up by national id, or a walk-in's minimum),
//! start a session — first practitioner free now, or a chosen slot —, a practitioner takes it,
//! the appointment is held at the booth and visible to staff and practitioner; one cabin, one
//! session; ending a session cancels what was not held; an idle session ends by itself; a
//! waiting session is offered the first free slot after the configured time.

use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::{DR_WEBER, free_starts, open_all_day};
use teleconsult_tests::national_ids::luxembourg;
use teleconsult_tests::poll_until;
use teleconsult_tests::site::{FERREIRA, STAFF, Site, WEBER};

pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// A demo booth site with `extra` configuration, staff logged in, Dr Weber open all day
/// (one-minute slots).
pub(crate) struct Booth {
    pub(crate) site: Site,
    pub(crate) staff: Login,
}

pub(crate) async fn booth(extra: &str) -> anyhow::Result<Booth> {
    let site = Site::demo(&format!("[site]\nkind = \"booth\"\n\n{extra}")).await?;
    let staff = site.login(&STAFF).await?;
    open_all_day(&site, &staff, DR_WEBER, 1, &["video", "audio"]).await?;
    Ok(Booth { site, staff })
}

/// A walk-in's minimum: someone born on 1 January 1990 with serial `n`.
pub(crate) fn walk_in(n: u16, phone: Option<&str>) -> Value {
    let mut p = json!({"national_id": luxembourg("19900101", n), "first_name": "Rui",
        "last_name": format!("Costa{n}"), "birth_date": "1990-01-01", "language": "pt"});
    if let Some(phone) = phone {
        p["phone"] = json!(phone);
    }
    p
}

pub(crate) async fn post(
    site: &Site,
    who: &Login,
    path: &str,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    site.post(who, path, &body).await
}

pub(crate) async fn on_demand(site: &Site, who: &Login, practitioner: &str) -> anyhow::Result<()> {
    let (status, body) = site
        .put(
            who,
            &format!("/api/v1/practitioners/{practitioner}/availability"),
            &json!({"on_demand": true}),
        )
        .await?;
    anyhow::ensure!(
        status == 200 && body["on_demand"] == true,
        "{status} {body}"
    );
    Ok(())
}

/// [`poll_until`] (at most [`WAIT`]) with a probe that may fail: a failing probe fails at once.
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    poll_until(what, WAIT, || {
        let next = probe();
        async { next.await.transpose() }
    })
    .await?
}

/// The SMS texts sent to `phone` so far.
fn texts_to(site: &Site, phone: &str) -> Vec<String> {
    site.sms
        .messages()
        .iter()
        .filter(|m| m["to"] == phone)
        .filter_map(|m| m["text"].as_str().map(str::to_owned))
        .collect()
}

/// The first free slot of Dr Weber starting at least `lead_s` seconds from now.
async fn weber_slot(site: &Site, who: &Login, lead_s: u64) -> anyhow::Result<String> {
    free_starts(site, who, DR_WEBER, Duration::from_secs(lead_s))
        .await?
        .into_iter()
        .next()
        .context("no free slot")
}

/// The session as staff see it, once `done` holds (polled, bounded).
async fn session_when(
    site: &Site,
    staff: &Login,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let path = format!("/api/v1/booth/sessions/{id}");
    eventually("the session's state", || async {
        let (status, body) = site.get(staff, &path).await?;
        anyhow::ensure!(status == 200, "{status} {body}");
        Ok(done(&body).then_some(body))
    })
    .await
}

#[tokio::test]
async fn a_walk_in_is_taken_by_the_first_practitioner_free_and_held_at_the_booth()
-> anyhow::Result<()> {
    let Booth { site, staff } = booth("").await?;
    let weber = site.login(&WEBER).await?;
    let ferreira = site.login(&FERREIRA).await?;
    let person = walk_in(1, Some("+352691000001"));
    let (status, started) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": person, "specialty": "general_practice", "reason": "fever since Monday"}),
    )
    .await?;
    assert_eq!(status, 201, "{started}");
    assert_eq!(
        (
            &started["state"],
            &started["known_patient"],
            &started["queue_position"]
        ),
        (&json!("queued"), &json!(false), &json!(1))
    );
    assert!(
        started.get("estimated_wait_s").is_none(),
        "nobody available: {started}"
    );
    let id = started["id"].as_str().context("id")?;
    let patient_id = started["patient_id"].as_str().context("patient id")?;

    // Found again by national id: the minimum only (no phone, no e-mail, no history).
    let path = format!(
        "/api/v1/booth/patients?national_id={}",
        person["national_id"].as_str().unwrap_or_default()
    );
    let (status, found) = site.get(&staff, &path).await?;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found,
        json!([{"id": patient_id, "first_name": "Rui", "last_name": "Costa1", "birth_date": "1990-01-01"}])
    );

    on_demand(&site, &weber, DR_WEBER).await?;
    let (_, waiting) = site
        .get(&staff, &format!("/api/v1/booth/sessions/{id}"))
        .await?;
    assert_eq!(
        (
            &waiting["estimated_wait_s"],
            &waiting["practitioners_available"]
        ),
        (&json!(900), &json!(1)),
        "{waiting}"
    );
    let (status, body) = post(&site, &ferreira, "/api/v1/queue/next", Value::Null).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("not_on_demand"))
    );
    let (status, taken) = post(&site, &weber, "/api/v1/queue/next", Value::Null).await?;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(
        (
            &taken["patient_id"],
            &taken["at_booth"],
            &taken["session_id"]
        ),
        (&json!(patient_id), &json!(true), &json!(id))
    );
    let (status, _) = post(&site, &weber, "/api/v1/queue/next", Value::Null).await?;
    assert_eq!(status, 204, "handed out once");

    let appointment = taken["appointment_id"].as_str().context("appointment")?;
    let (_, session) = site
        .get(&staff, &format!("/api/v1/booth/sessions/{id}"))
        .await?;
    assert_eq!(
        (&session["state"], &session["appointment_id"]),
        (&json!("booked"), &json!(appointment))
    );
    assert!(session.get("queue_position").is_none());
    // Held at the booth, its room open now: staff (the patient's side) and the practitioner
    // see it, reason included, and both may enter the call.
    for who in [&staff, &weber] {
        let (status, a) = site
            .get(who, &format!("/api/v1/appointments/{appointment}"))
            .await?;
        assert_eq!(status, 200, "{a}");
        assert_eq!(a["reason"], json!("fever since Monday"));
        // The cabin takes the patient's seat by itself as soon as the room is open.
        assert!(a["status"] == "booked" || a["status"] == "waiting", "{a}");
        let (status, call) = site
            .get(who, &format!("/api/v1/appointments/{appointment}/call"))
            .await?;
        assert_eq!(status, 200, "{} enters the call: {call}", who.role);
    }
    let (_, list) = site.get(&weber, "/api/v1/appointments").await?;
    assert!(
        list.as_array()
            .into_iter()
            .flatten()
            .any(|a| a["id"] == appointment)
    );
    Ok(())
}

#[tokio::test]
async fn a_chosen_slot_holds_the_cabin_until_the_session_ends_which_cancels_it()
-> anyhow::Result<()> {
    let Booth { site, staff } = booth("").await?;
    let phone = "+352691000002";
    let start = weber_slot(&site, &staff, 120).await?;
    let (status, started) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": walk_in(2, Some(phone)), "practitioner_id": DR_WEBER, "start": start}),
    )
    .await?;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["state"], "booked");
    let id = started["id"].as_str().context("id")?;
    let appointment = started["appointment_id"].as_str().context("appointment")?;
    assert_eq!(started["appointment"]["start"], json!(start));

    // One cabin, one session.
    let (status, busy) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": walk_in(3, None), "specialty": "general_practice"}),
    )
    .await?;
    assert_eq!(
        (status, busy["error"].as_str()),
        (409, Some("cabin_busy")),
        "{busy}"
    );
    assert!(
        busy["message"].as_str().unwrap_or_default().contains(id),
        "{busy}"
    );
    // The confirmation went to the walk-in's phone; staff got nothing but their login code.
    let confirmation = eventually("the confirmation SMS", || async {
        Ok(texts_to(&site, phone).first().cloned())
    })
    .await?;
    assert!(confirmation.contains("Anne Weber"), "{confirmation}");
    assert_eq!(
        texts_to(&site, "+352621000004").len(),
        1,
        "staff: one login code"
    );

    let (status, ended) = post(
        &site,
        &staff,
        &format!("/api/v1/booth/sessions/{id}/end"),
        Value::Null,
    )
    .await?;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(
        (&ended["state"], &ended["end_reason"]),
        (&json!("ended"), &json!("staff"))
    );
    assert_eq!(ended["appointment"]["status"], "cancelled");
    let (_, a) = site
        .get(&staff, &format!("/api/v1/appointments/{appointment}"))
        .await?;
    assert_eq!(a["status"], "cancelled");
    eventually("the cancellation SMS to the walk-in's phone", || async {
        Ok((texts_to(&site, phone).len() == 2).then_some(()))
    })
    .await?;
    let (_, slots) = site
        .get(&staff, &format!("/api/v1/practitioners/{DR_WEBER}/slots"))
        .await?;
    assert!(
        slots
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["start"] == json!(start)),
        "the slot is free again"
    );
    // Ending again changes nothing; the cabin takes the next person.
    let (status, again) = post(
        &site,
        &staff,
        &format!("/api/v1/booth/sessions/{id}/end"),
        Value::Null,
    )
    .await?;
    assert_eq!((status, &again["end_reason"]), (200, &json!("staff")));
    let (status, next) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": walk_in(3, None), "specialty": "general_practice"}),
    )
    .await?;
    assert_eq!(status, 201, "{next}");
    // A slot the person would wait for in the cabin longer than the idle limit is refused.
    let (status, late) = post(
        &site,
        &staff,
        &format!(
            "/api/v1/queue/entries/{}/book",
            next["queue_entry_id"].as_str().unwrap_or_default()
        ),
        json!({"practitioner_id": DR_WEBER, "start": weber_slot(&site, &staff, 45 * 60).await?}),
    )
    .await?;
    assert_eq!(status, 422, "{late}");
    assert!(late["fields"]["start"].is_string(), "{late}");
    Ok(())
}

#[tokio::test]
async fn an_idle_session_ends_by_itself_and_frees_the_cabin() -> anyhow::Result<()> {
    let Booth { site, staff } = booth("[booth]\nidle_limit_min = 0.05\n").await?;
    let (status, started) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": walk_in(4, None), "specialty": "dermatology"}),
    )
    .await?;
    assert_eq!(status, 201, "{started}");
    let id = started["id"].as_str().context("id")?;
    let ended = session_when(&site, &staff, id, |s| s["state"] == "ended").await?;
    assert_eq!(ended["end_reason"], "idle", "{ended}");
    let (_, queue) = site.get(&staff, "/api/v1/queue").await?;
    assert_eq!(queue["entries"], json!([]), "its entry left the queue");
    let (status, next) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": walk_in(5, None), "specialty": "dermatology"}),
    )
    .await?;
    assert_eq!(status, 201, "the cabin is free: {next}");
    Ok(())
}

#[tokio::test]
async fn a_waiting_session_is_offered_the_first_free_slot_and_staff_book_it_instead()
-> anyhow::Result<()> {
    let Booth { site, staff } = booth("[queue]\noffer_slot_after_min = 0.05\n").await?;
    let (status, started) = post(
        &site,
        &staff,
        "/api/v1/booth/sessions",
        json!({"patient": walk_in(6, None), "specialty": "general_practice", "reason": "cough"}),
    )
    .await?;
    assert_eq!(status, 201, "{started}");
    assert!(started.get("offered_slot").is_none(), "not yet: {started}");
    let id = started["id"].as_str().context("id")?;
    let entry = started["queue_entry_id"].as_str().context("entry")?;
    let waiting = session_when(&site, &staff, id, |s| s.get("offered_slot").is_some()).await?;
    let offer = &waiting["offered_slot"];
    // Dr Weber's one-minute slots all day: the first free one of the specialty, in a minute.
    assert_eq!(offer["practitioner_id"], DR_WEBER, "{offer}");
    let start: jiff::Timestamp = offer["start"].as_str().context("start")?.parse()?;
    assert!(
        (start.as_second() - jiff::Timestamp::now().as_second()).abs() <= 120,
        "{offer}"
    );
    assert_eq!(waiting["queue_position"], 1, "it keeps its place");

    let (status, booked) = post(
        &site,
        &staff,
        &format!("/api/v1/queue/entries/{entry}/book"),
        json!({"practitioner_id": DR_WEBER, "start": weber_slot(&site, &staff, 60).await?}),
    )
    .await?;
    assert_eq!(status, 201, "{booked}");
    let (_, session) = site
        .get(&staff, &format!("/api/v1/booth/sessions/{id}"))
        .await?;
    assert_eq!(
        (&session["state"], &session["appointment_id"]),
        (&json!("booked"), &booked["id"])
    );
    let (_, queue) = site.get(&staff, "/api/v1/queue").await?;
    assert_eq!(
        queue["entries"],
        json!([]),
        "booking the slot ended the entry"
    );
    let (status, gone) = post(
        &site,
        &staff,
        &format!("/api/v1/queue/entries/{entry}/book"),
        json!({"practitioner_id": DR_WEBER, "start": weber_slot(&site, &staff, 60).await?}),
    )
    .await?;
    assert_eq!(status, 404, "{gone}");
    Ok(())
}
