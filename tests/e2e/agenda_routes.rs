//! Agenda routes no other test walks (issue #21): the first available slot (API and the
//! `/book/first` page), the `date` filter of the appointment list in the site's time zone, the
//! `from`/`to` window of free slots and its refusals, the `/schedule` index page, the content
//! of a listing change, and a practitioner's cancellation through the API (a reason required).

use anyhow::Context;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use teleconsult_tests::accounts::{WAIT, phone};
use teleconsult_tests::booking::{
    DR_FERREIRA, DR_WEBER, MIN_LEAD, book_id_with_lead, open_all_day, request,
};
use teleconsult_tests::pages::get_page;
use teleconsult_tests::site::{FERREIRA, PHARMACIST, STAFF, Site, WEBER};

/// Dr Claire Muller, the demo dermatologist.
const DR_MULLER: &str = "00000000-0000-0000-0000-00007c1e0003";
const ZONE: &str = "Europe/Luxembourg";

/// The first free start of `practitioner`, as the slots endpoint offers it now (no lead).
async fn first_free(
    site: &Site,
    who: &teleconsult_tests::accounts::Login,
    practitioner: &str,
) -> anyhow::Result<String> {
    let slots = site
        .get_ok(who, &format!("/api/v1/practitioners/{practitioner}/slots"))
        .await?;
    slots[0]["start"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no free slot of {practitioner}: {slots}"))
}

/// `local` (e.g. `2026-11-30T23:30`) in the site's time zone, as the API writes instants.
fn instant(local: jiff::civil::DateTime) -> anyhow::Result<String> {
    Ok(local
        .to_zoned_datetime(TimeZone::get(ZONE)?)?
        .timestamp()
        .to_string())
}

fn today() -> anyhow::Result<jiff::civil::Date> {
    Ok(Timestamp::now()
        .to_zoned_datetime(TimeZone::get(ZONE)?)
        .date())
}

#[tokio::test]
async fn first_available_is_the_earliest_free_slot_of_the_practitioners_that_match()
-> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let staff = site.login(&STAFF).await?;
    // Dr Weber closed for the next 15 days: of the general practitioners only Dr Ferreira is
    // free, and he offers video only.
    let from = today()?;
    let to = from.checked_add(jiff::Span::new().days(15))?;
    let mut schedule = site
        .get_ok(
            &staff,
            &format!("/api/v1/practitioners/{DR_WEBER}/schedule"),
        )
        .await?;
    schedule["exceptions"] =
        json!([{"kind": "closed", "from": from.to_string(), "to": to.to_string()}]);
    let (status, body) = site
        .put(
            &staff,
            &format!("/api/v1/practitioners/{DR_WEBER}/schedule"),
            &schedule,
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    open_all_day(&site, &staff, DR_FERREIRA, 30, &["video"]).await?;

    for (query, practitioner) in [
        ("specialty=general_practice", DR_FERREIRA),
        ("specialty=general_practice&mode=video", DR_FERREIRA),
        ("specialty=general_practice&language=pt", DR_FERREIRA),
        ("specialty=dermatology", DR_MULLER),
    ] {
        // A slot may start between two requests: the answer is the first free one just
        // before or just after it.
        let before = first_free(&site, &staff, practitioner).await?;
        let (status, found) = site
            .get(
                &staff,
                &format!("/api/v1/practitioners/first-available?{query}"),
            )
            .await?;
        let after = first_free(&site, &staff, practitioner).await?;
        assert_eq!(status, 200, "{query}: {found}");
        assert_eq!(
            found["practitioner"]["id"], practitioner,
            "{query}: {found}"
        );
        let start = found["slot"]["start"].as_str().context("slot start")?;
        assert!(
            start == before || start == after,
            "{query}: {start}, the first free slot being {before} / {after}"
        );
        assert!(found["slot"]["modes"].is_array(), "{found}");
    }
    // Every practitioner offering video competes: the answer is the earliest of their first
    // free slots (free slots only go as time passes: between the earliest before and after).
    let everyone = site.get_ok(&staff, "/api/v1/practitioners").await?;
    let ids: Vec<&str> = everyone
        .as_array()
        .context("a list")?
        .iter()
        .filter_map(|p| p["id"].as_str())
        .filter(|id| *id != DR_WEBER)
        .collect();
    let mut before = Vec::new();
    for id in &ids {
        before.push((
            *id,
            first_free(&site, &staff, id).await?.parse::<Timestamp>()?,
        ));
    }
    let (status, found) = site
        .get(&staff, "/api/v1/practitioners/first-available?mode=video")
        .await?;
    let mut after = Vec::new();
    for id in &ids {
        after.push((
            *id,
            first_free(&site, &staff, id).await?.parse::<Timestamp>()?,
        ));
    }
    assert_eq!(status, 200, "{found}");
    let start: Timestamp = found["slot"]["start"].as_str().context("start")?.parse()?;
    let earliest = |firsts: &[(&str, Timestamp)]| firsts.iter().map(|(_, t)| *t).min();
    assert!(
        earliest(&before).is_some_and(|t| t <= start)
            && earliest(&after).is_some_and(|t| start <= t),
        "{start} is not the earliest of {before:?} / {after:?}"
    );
    let whose = found["practitioner"]["id"]
        .as_str()
        .context("practitioner")?;
    assert!(
        before
            .iter()
            .chain(&after)
            .any(|(id, t)| *id == whose && *t == start),
        "{start} is not a first free slot of {whose}: {before:?} / {after:?}"
    );

    // Nobody matches: 404; a mode that does not exist: 422 on `mode`.
    for query in [
        "specialty=general_practice&mode=audio",
        "specialty=general_practice&language=de",
        "specialty=astrology",
    ] {
        let (status, body) = site
            .get(
                &staff,
                &format!("/api/v1/practitioners/first-available?{query}"),
            )
            .await?;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("not_found")),
            "{query}: {body}"
        );
    }
    let (status, body) = site
        .get(&staff, "/api/v1/practitioners/first-available?mode=fax")
        .await?;
    assert_eq!(
        (status, body["fields"]["mode"].is_string()),
        (422, true),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn the_book_first_page_opens_the_earliest_slot_of_a_specialty() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let anne = site.patient(120).await?;
    let no_redirects = site.client_without_redirects()?;
    let page = |query: &str| {
        no_redirects
            .get(site.url(&format!("/book/first?{query}")))
            .header("cookie", format!("tc_session={}", anne.token))
            .header("accept", "text/html")
            .send()
    };
    let before = first_free(&site, &anne, DR_MULLER).await?;
    let answer = page("specialty=dermatology").await?;
    let after = first_free(&site, &anne, DR_MULLER).await?;
    assert_eq!(answer.status(), 303);
    let location = answer.headers()["location"].to_str()?.to_owned();
    let slot_page = format!("/book/{DR_MULLER}/slot?start=");
    let start = location
        .strip_prefix(&slot_page)
        .with_context(|| format!("redirected to {location}"))?;
    assert!(
        start == before || start == after,
        "{start} vs {before} / {after}"
    );

    let none = page("specialty=astrology").await?;
    assert_eq!(none.status(), 404);
    let html = none.text().await?;
    assert!(
        html.contains("Aucun horaire libre dans les 14 prochains jours"),
        "{html}"
    );
    // Only patients book online.
    let staff = site.login(&STAFF).await?;
    let (status, _) = get_page(&site, &staff, "/book/first?specialty=dermatology").await?;
    assert_eq!(status, 403);
    Ok(())
}

/// `?date=` picks the appointments of one day in the site's time zone: an appointment at
/// 00:00 in Luxembourg is on that day, though on the day before in UTC (as is one at 23:00).
#[tokio::test]
async fn the_appointments_of_one_day_in_the_site_time_zone() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let staff = site.login(&STAFF).await?;
    open_all_day(&site, &staff, DR_FERREIRA, 30, &["video"]).await?;
    let anne = site.patient(121).await?;
    let ferreira = site.login(&FERREIRA).await?;
    let day = today()?.tomorrow()?;
    let next = day.tomorrow()?;
    let late = instant(day.at(23, 0, 0, 0))?;
    let midnight = instant(next.at(0, 0, 0, 0))?;
    let mut ids = Vec::new();
    for start in [&late, &midnight] {
        let (status, booked) = site
            .post(&anne, "/api/v1/appointments", &request(DR_FERREIRA, start))
            .await?;
        assert_eq!(status, 201, "{booked}");
        ids.push(booked["id"].as_str().context("id")?.to_owned());
    }
    let listed = |list: &Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["id"].as_str().map(str::to_owned))
            .collect()
    };
    for who in [&anne, &ferreira, &staff] {
        for (date, expected) in [
            (day.to_string(), vec![ids[0].clone()]),
            (next.to_string(), vec![ids[1].clone()]),
            (today()?.to_string(), vec![]),
        ] {
            let list = site
                .get_ok(who, &format!("/api/v1/appointments?date={date}"))
                .await?;
            assert_eq!(listed(&list), expected, "{} on {date}: {list}", who.role);
        }
        let all = site.get_ok(who, "/api/v1/appointments").await?;
        assert_eq!(listed(&all), ids, "{}: {all}", who.role);
    }
    let (status, body) = site
        .get(&staff, "/api/v1/appointments?date=31/12/2026")
        .await?;
    assert_eq!(
        (status, body["fields"]["date"].is_string()),
        (422, true),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn free_slots_within_a_window_and_bad_windows_refused() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let staff = site.login(&STAFF).await?;
    open_all_day(&site, &staff, DR_FERREIRA, 30, &["video"]).await?;
    let slots = format!("/api/v1/practitioners/{DR_FERREIRA}/slots");
    let day = today()?.tomorrow()?;
    let (from, to) = (instant(day.at(10, 0, 0, 0))?, instant(day.at(12, 0, 0, 0))?);
    let window = site
        .get_ok(&staff, &format!("{slots}?from={from}&to={to}"))
        .await?;
    let starts: Vec<String> = window
        .as_array()
        .context("a list")?
        .iter()
        .filter_map(|s| s["start"].as_str().map(str::to_owned))
        .collect();
    let expected: Vec<String> = [(10, 0), (10, 30), (11, 0), (11, 30)]
        .into_iter()
        .map(|(h, m)| instant(day.at(h, m, 0, 0)))
        .collect::<anyhow::Result<_>>()?;
    assert!(
        starts == expected,
        "{} slots from {:?} to {:?}, expected {expected:?}",
        starts.len(),
        starts.first(),
        starts.last()
    );

    // A window reaching into the past starts now.
    let yesterday = (Timestamp::now() - SignedDuration::from_hours(24)).to_string();
    let soon = (Timestamp::now() + SignedDuration::from_hours(2)).to_string();
    let recent = site
        .get_ok(&staff, &format!("{slots}?from={yesterday}&to={soon}"))
        .await?;
    let now = Timestamp::now() - SignedDuration::from_secs(5);
    for slot in recent.as_array().context("a list")? {
        let start: Timestamp = slot["start"].as_str().context("start")?.parse()?;
        assert!(start >= now, "a slot in the past: {slot}");
    }
    assert!(!recent.as_array().is_some_and(Vec::is_empty), "{recent}");

    let far = instant(day.checked_add(jiff::Span::new().days(32))?.at(10, 0, 0, 0))?;
    for (query, field) in [
        (format!("from={to}&to={from}"), "to"),
        (format!("from={from}&to={from}"), "to"),
        (format!("from={from}&to={far}"), "to"),
        ("from=tomorrow".to_owned(), "from"),
        (format!("from={from}&to=noon"), "to"),
    ] {
        let (status, body) = site.get(&staff, &format!("{slots}?{query}")).await?;
        assert_eq!(
            (status, body["fields"][field].is_string()),
            (422, true),
            "{query}: {body}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_schedule_index_lists_the_practitioners_for_staff_only() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let staff = site.login(&STAFF).await?;
    let (status, html) = get_page(&site, &staff, "/schedule").await?;
    assert_eq!(status, 200, "{html}");
    let practitioners = site.get_ok(&staff, "/api/v1/practitioners").await?;
    let all = practitioners.as_array().context("a list")?;
    assert_eq!(all.len(), 5, "{practitioners}");
    for p in all {
        let id = p["id"].as_str().context("id")?;
        let name = p["name"].as_str().context("name")?;
        assert!(
            html.contains(&format!("<a href=\"/schedule/{id}\">{name}</a>")),
            "{name} not linked in:\n{html}"
        );
    }
    // A practitioner goes straight to their own hours; patients and pharmacists may not.
    let no_redirects = site.client_without_redirects()?;
    let weber = site.login(&WEBER).await?;
    let own = no_redirects
        .get(site.url("/schedule"))
        .header("cookie", format!("tc_session={}", weber.token))
        .header("accept", "text/html")
        .send()
        .await?;
    assert_eq!(own.status(), 303);
    assert_eq!(
        own.headers()["location"],
        format!("/schedule/{DR_WEBER}").as_str()
    );
    let anne = site.patient(122).await?;
    let pharmacist = site.login(&PHARMACIST).await?;
    for who in [&anne, &pharmacist] {
        let (status, _) = get_page(&site, who, "/schedule").await?;
        assert_eq!(status, 403, "{}", who.role);
    }
    let anonymous = no_redirects.get(site.url("/schedule")).send().await?;
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/login");
    Ok(())
}

/// What `PUT /practitioners/{id}` saves is what the directory then lists and searches by.
#[tokio::test]
async fn a_listing_change_is_what_the_directory_then_shows() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let staff = site.login(&STAFF).await?;
    let anne = site.patient(123).await?;
    let change = json!({"name": "Dr Anne Weber-Schmit", "specialty": "cardiology", "languages": ["de", "FR", "de"]});
    let (status, saved) = site
        .put(
            &staff,
            &format!("/api/v1/practitioners/{DR_WEBER}"),
            &change,
        )
        .await?;
    assert_eq!(status, 200, "{saved}");
    let expected = json!({"id": DR_WEBER, "name": "Dr Anne Weber-Schmit", "specialty": "cardiology",
        "languages": ["de", "fr"], "modes": ["video", "audio"]});
    assert_eq!(saved, expected);
    let found = site
        .get_ok(&anne, "/api/v1/practitioners?specialty=cardiology")
        .await?;
    assert_eq!(found, json!([expected]));
    let by_name = site
        .get_ok(&anne, "/api/v1/practitioners?q=WEBER-schmit")
        .await?;
    assert_eq!(by_name, json!([expected]));
    let luxembourgish = site
        .get_ok(&anne, "/api/v1/practitioners?language=lb")
        .await?;
    assert!(
        !luxembourgish
            .as_array()
            .context("a list")?
            .iter()
            .any(|p| p["id"] == DR_WEBER),
        "no longer listed as speaking lb: {luxembourgish}"
    );
    let general = site
        .get_ok(&anne, "/api/v1/practitioners?specialty=general_practice")
        .await?;
    assert_eq!(general.as_array().map(Vec::len), Some(1), "{general}");
    // Without a name the name stays; an unknown practitioner is 404.
    let (status, kept) = site
        .put(
            &staff,
            &format!("/api/v1/practitioners/{DR_WEBER}"),
            &json!({"specialty": "cardiology", "languages": ["de"]}),
        )
        .await?;
    assert_eq!(
        (status, kept["name"].as_str()),
        (200, Some("Dr Anne Weber-Schmit")),
        "{kept}"
    );
    let (status, _) = site
        .put(
            &staff,
            "/api/v1/practitioners/00000000-0000-4000-8000-00000000dead",
            &change,
        )
        .await?;
    assert_eq!(status, 404);
    Ok(())
}

/// A practitioner cancels through the API: only with a reason (422 on `reason` otherwise, the
/// appointment untouched); then the patient is told.
#[tokio::test]
async fn a_practitioner_cancels_through_the_api_only_with_a_reason() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let anne = site.patient(124).await?;
    let weber = site.login(&WEBER).await?;
    let id = book_id_with_lead(&site, &anne, DR_WEBER, MIN_LEAD, json!({})).await?;
    let cancel = format!("/api/v1/appointments/{id}/cancel");
    for body in [json!({}), json!({"reason": "   "}), json!({"reason": null})] {
        let (status, answer) = site.post(&weber, &cancel, &body).await?;
        assert_eq!(
            (status, answer["fields"]["reason"].is_string()),
            (422, true),
            "{body}: {answer}"
        );
    }
    let empty = site
        .client
        .post(site.url(&cancel))
        .header("authorization", weber.bearer())
        .send()
        .await?;
    assert_eq!(empty.status(), 422, "no body at all");
    let still = site
        .get_ok(&anne, &format!("/api/v1/appointments/{id}"))
        .await?;
    assert_eq!(still["status"], "booked", "{still}");

    let (status, cancelled) = site
        .post(&weber, &cancel, &json!({"reason": "called away"}))
        .await?;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled")),
        "{cancelled}"
    );
    site.smtp
        .wait_for("patient124@example.lu", "annulée", WAIT)
        .await?;
    teleconsult_tests::poll_until("the cancellation SMS", WAIT, || async {
        site.sms.messages().into_iter().find(|m| {
            m["to"] == phone(124) && m["text"].as_str().is_some_and(|t| t.contains("annulée"))
        })
    })
    .await?;
    let free = site
        .get_ok(&anne, &format!("/api/v1/practitioners/{DR_WEBER}/slots"))
        .await?;
    assert!(
        free.as_array()
            .context("a list")?
            .iter()
            .any(|s| s["start"] == cancelled["start"]),
        "the slot is free again: {free}"
    );
    Ok(())
}
