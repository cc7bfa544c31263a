//! The booth in pages (issue #19, `docs/booth.md`): the staff console, the practitioner's queue
//! page and "as soon as possible" from home, driven without a browser — forms posted with the
//! session's CSRF token as the browser's would. A walk-in registered at the console waits for
//! the first practitioner free; a second person waits at the counter while the cabin is busy;
//! Dr Weber switches on and takes the walk-in from his queue page, landing on the call page;
//! the console shows who took them; the walk-in at the counter cannot be taken while the cabin
//! is busy ("nobody you can take"); staff end the session and the cabin is free again.

use crate::booth_sessions::{booth, walk_in};
use anyhow::Context;
use teleconsult_tests::pages::{get_page, post_form};
use teleconsult_tests::site::WEBER;

/// The id of the open session, from the console's end form.
fn session_in(html: &str) -> Option<String> {
    let start = html.find("action=\"/booth/sessions/")? + "action=\"/booth/sessions/".len();
    html[start..].split('/').next().map(str::to_owned)
}

/// The console's cabin panel (the open session), without the rest of the page.
fn cabin_part(html: &str) -> &str {
    let start = html.find("id=\"cabin\"").unwrap_or(0);
    let end = html[start..]
        .find("id=\"devices\"")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

fn fields(n: u16) -> Vec<(String, String)> {
    let p = walk_in(n, None);
    ["national_id", "first_name", "last_name", "birth_date"]
        .iter()
        .map(|k| {
            (
                (*k).to_owned(),
                p[*k].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn form<'a>(pairs: &'a [(String, String)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    out.extend_from_slice(more);
    out
}

#[tokio::test]
async fn a_walk_in_from_the_console_is_taken_from_the_queue_page_and_staff_see_it_taken()
-> anyhow::Result<()> {
    let b = booth("").await?;
    let (site, staff) = (&b.site, &b.staff);
    let weber = site.login(&WEBER).await?;

    let (status, html) = get_page(site, staff, "/booth").await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("id=\"cabin\"") && html.contains("id=\"devices\""),
        "{html}"
    );
    assert!(session_in(&html).is_none(), "the cabin is free: {html}");

    // Mistakes come back next to their fields, nothing is started.
    let walk = fields(301);
    let bad = vec![
        ("national_id".to_owned(), "123".to_owned()),
        ("first_name".to_owned(), String::new()),
    ];
    let (status, _, html) =
        post_form(site, staff, "/booth/start", &form(&bad, &[("how", "now")])).await?;
    assert_eq!(status, 422, "{html}");
    for field in ["counter_consents-error", "specialty-error"] {
        assert!(html.contains(field), "{field} missing: {html}");
    }
    let (status, _, html) = post_form(
        site,
        staff,
        "/booth/start",
        &form(
            &bad,
            &[
                ("how", "now"),
                ("counter_consents", "yes"),
                ("specialty", "general_practice"),
            ],
        ),
    )
    .await?;
    assert_eq!(status, 422, "{html}");
    for field in ["national_id-error", "first_name-error", "last_name-error"] {
        assert!(html.contains(field), "{field} missing: {html}");
    }
    let (status, html) = get_page(site, staff, "/booth").await?;
    assert!(status == 200 && session_in(&html).is_none(), "{html}");

    // The look-up: unknown yet, the walk-in form comes back with the national id typed.
    let national_id = walk[0].1.clone();
    let (status, _, html) = post_form(
        site,
        staff,
        "/booth/find",
        &[("find_national_id", national_id.as_str())],
    )
    .await?;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!("value=\"{national_id}\"")), "{html}");
    let (status, _, html) =
        post_form(site, staff, "/booth/find", &[("find_national_id", "12")]).await?;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("find_national_id-error"), "{html}");

    // The walk-in, first practitioner free now.
    let now = [
        ("how", "now"),
        ("counter_consents", "yes"),
        ("specialty", "general_practice"),
        ("reason", "fever since yesterday"),
    ];
    let (status, at, html) = post_form(site, staff, "/booth/start", &form(&walk, &now)).await?;
    assert_eq!(
        (status, at.as_str()),
        (200, "/booth?done=started"),
        "{html}"
    );
    let session = session_in(&html).context("the open session on the console")?;
    assert!(cabin_part(&html).contains("Costa301"), "{html}");
    assert!(
        !html.contains("fever since yesterday"),
        "no reason for staff: {html}"
    );

    // Found by national id now: the patient, not a duplicate.
    let (status, _, html) = post_form(
        site,
        staff,
        "/booth/find",
        &[("find_national_id", national_id.as_str())],
    )
    .await?;
    assert!(
        status == 200 && html.contains("name=\"patient_id\""),
        "{html}"
    );

    // The cabin is busy: a second person cannot start, but waits at the counter.
    let second = fields(302);
    let (status, _, html) = post_form(site, staff, "/booth/start", &form(&second, &now)).await?;
    assert_eq!(status, 409, "cabin busy: {html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    let line = [
        ("how", "line"),
        ("counter_consents", "yes"),
        ("specialty", "general_practice"),
    ];
    let (status, at, html) = post_form(site, staff, "/booth/start", &form(&second, &line)).await?;
    assert_eq!((status, at.as_str()), (200, "/booth?done=line"), "{html}");
    assert!(
        html.contains("Costa302") && html.contains("/withdraw\""),
        "{html}"
    );

    // Dr Weber's queue page: two waiting, no names, no reason; "next" needs the switch on.
    let (status, html) = get_page(site, &weber, "/queue").await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        !html.contains("Costa30") && !html.contains("fever"),
        "{html}"
    );
    let (status, _, html) = post_form(site, &weber, "/queue/next", &[]).await?;
    assert_eq!(status, 409, "not on demand yet: {html}");
    let (status, at, _) =
        post_form(site, &weber, "/queue/availability", &[("on_demand", "on")]).await?;
    assert_eq!((status, at.as_str()), (200, "/queue"));
    let (status, at, html) = post_form(site, &weber, "/queue/next", &[]).await?;
    assert!(
        status == 200 && at.starts_with("/appointments/") && at.ends_with("/call"),
        "{status} {at}: {html}"
    );
    let appointment = at
        .trim_start_matches("/appointments/")
        .trim_end_matches("/call")
        .to_owned();

    // The console: taken by Dr Weber, the same appointment as the session's.
    let (_, html) = get_page(site, staff, "/booth").await?;
    assert_eq!(
        session_in(&html).as_deref(),
        Some(session.as_str()),
        "{html}"
    );
    assert!(
        cabin_part(&html).contains("Dr Anne Weber"),
        "taken by: {html}"
    );
    let (status, api) = site
        .get(staff, &format!("/api/v1/booth/sessions/{session}"))
        .await?;
    assert_eq!(
        (
            status,
            api["state"].as_str(),
            api["appointment_id"].as_str()
        ),
        (200, Some("booked"), Some(appointment.as_str())),
        "{api}"
    );

    // The walk-in at the counter cannot sit in the busy cabin: nobody to take now.
    let (status, at, html) = post_form(site, &weber, "/queue/next", &[]).await?;
    assert_eq!((status, at.as_str()), (200, "/queue?done=empty"), "{html}");

    // Staff end the session: the cabin is free, the walk-in at the counter still waits.
    let (status, at, html) =
        post_form(site, staff, &format!("/booth/sessions/{session}/end"), &[]).await?;
    assert_eq!((status, at.as_str()), (200, "/booth?done=ended"), "{html}");
    assert!(session_in(&html).is_none(), "{html}");
    assert!(html.contains("Costa302"), "{html}");
    let (status, api) = site
        .get(staff, &format!("/api/v1/booth/sessions/{session}"))
        .await?;
    assert_eq!(
        (status, api["state"].as_str()),
        (200, Some("ended")),
        "{api}"
    );

    // Back another day: found by national id, started as that patient (no second record),
    // without the walk-in's box (the record's own consents apply).
    let (_, _, html) = post_form(
        site,
        staff,
        "/booth/find",
        &[("find_national_id", national_id.as_str())],
    )
    .await?;
    let at = html
        .find("name=\"patient_id\" value=\"")
        .context("the found patient")?;
    let patient_id = html[at + "name=\"patient_id\" value=\"".len()..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (status, at, html) = post_form(
        site,
        staff,
        "/booth/start",
        &[
            ("patient_id", patient_id.as_str()),
            ("find_national_id", national_id.as_str()),
            ("how", "now"),
            ("specialty", "general_practice"),
        ],
    )
    .await?;
    assert_eq!(
        (status, at.as_str()),
        (200, "/booth?done=started"),
        "{html}"
    );
    let again = session_in(&html).context("the new session")?;
    let (_, api) = site
        .get(staff, &format!("/api/v1/booth/sessions/{again}"))
        .await?;
    assert_eq!(
        api["patient_id"].as_str(),
        Some(patient_id.as_str()),
        "{api}"
    );

    // Nonsense is a clear 4xx page, never a 500.
    for (path, body) in [
        ("/booth/sessions/not-an-id/end", vec![]),
        ("/booth/entries/not-an-id/withdraw", vec![]),
        ("/booth/entries/not-an-id/book", vec![("slot", "x|y")]),
        (
            "/booth/start",
            vec![("how", "slot"), ("patient_id", "nope")],
        ),
        ("/queue/availability", vec![("on_demand", "maybe")]),
    ] {
        let (status, _, html) = post_form(site, staff, path, &body).await?;
        assert!((400..500).contains(&status), "{path}: {status} {html}");
    }
    Ok(())
}

/// A patient at home asks for the first practitioner free from the booking pages, waits on a
/// page showing their place and the estimated wait (nothing about them in its URL), and
/// leaves the line.
#[tokio::test]
async fn a_patient_at_home_waits_for_the_first_practitioner_free_and_leaves() -> anyhow::Result<()>
{
    let b = booth("").await?;
    let site = &b.site;
    let patient = site.patient(310).await?;
    let (status, html) = get_page(site, &patient, "/book").await?;
    assert!(
        status == 200 && html.contains("href=\"/book/asap\""),
        "{html}"
    );
    let (status, html) = get_page(site, &patient, "/book/asap").await?;
    assert_eq!(status, 200, "{html}");
    let (status, _, html) = post_form(site, &patient, "/book/asap", &[("specialty", "")]).await?;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("specialty-error"), "{html}");
    let (status, _, html) =
        post_form(site, &patient, "/book/asap", &[("specialty", "astrology")]).await?;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("specialty-error"), "{html}");
    let (status, at, html) = post_form(
        site,
        &patient,
        "/book/asap",
        &[("specialty", "general_practice"), ("reason", "cough")],
    )
    .await?;
    assert_eq!((status, at.as_str()), (200, "/book/waiting"), "{html}");
    assert!(
        html.contains("id=\"waiting\"") && html.contains("data-refresh=\"/book/waiting\""),
        "{html}"
    );
    let (status, api) = site.get(&patient, "/api/v1/queue/asap").await?;
    assert_eq!(
        (status, api["queue_position"].as_u64()),
        (200, Some(1)),
        "{api}"
    );
    // Asking again leads to the same waiting page, not a second entry.
    let (_, at, _) = post_form(
        site,
        &patient,
        "/book/asap",
        &[("specialty", "general_practice")],
    )
    .await?;
    assert_eq!(at, "/book/waiting");
    let (status, at, _) = post_form(site, &patient, "/book/waiting/leave", &[]).await?;
    assert_eq!((status, at.as_str()), (200, "/home"));
    let (status, _) = site.get(&patient, "/api/v1/queue/asap").await?;
    assert_eq!(status, 404, "left the line");
    let (status, html) = get_page(site, &patient, "/book/waiting").await?;
    assert!(status == 200 && !html.contains("data-refresh"), "{html}");
    Ok(())
}

/// The value of the first `<option>` naming a practitioner's slot (`{id}|{start}`).
fn first_slot_option(html: &str) -> Option<String> {
    html.split("<option value=\"")
        .skip(1)
        .filter_map(|piece| piece.split('"').next())
        .find(|v| v.contains('|'))
        .map(str::to_owned)
}

/// The offer form of the session in the cabin: its action and the slot it books.
fn offer_form(html: &str) -> Option<(String, String)> {
    let start = html.find("action=\"/booth/entries/")? + "action=\"".len();
    let action = html[start..].split('"').next()?.to_owned();
    let rest = &html[start..];
    let slot_at = rest.find("name=\"slot\" value=\"")? + "name=\"slot\" value=\"".len();
    Some((action, rest[slot_at..].split('"').next()?.to_owned()))
}

/// One cabin, one session, even when the counter form is sent thirty times at once (thirty
/// people, thirty taps): exactly one starts, the others are told the cabin is busy, and one
/// entry waits. Then the slot offered after `[queue] offer_slot_after_min` is booked from the
/// console, and, once that session ended, a chosen slot starting soon from the slot list.
#[tokio::test]
async fn the_console_holds_one_session_under_a_rush_books_the_offer_and_a_chosen_slot()
-> anyhow::Result<()> {
    let b = booth("[queue]\noffer_slot_after_min = 0.05\n").await?;
    let (site, staff) = (&b.site, &b.staff);
    let client = site.daemon.client_without_redirects()?;
    let mut tasks = Vec::new();
    for n in 0..30u16 {
        let mut form: Vec<(String, String)> = fields(400 + n);
        for (k, v) in [
            ("csrf", staff.csrf.as_str()),
            ("how", "now"),
            ("counter_consents", "yes"),
            ("specialty", "general_practice"),
        ] {
            form.push((k.to_owned(), v.to_owned()));
        }
        let request = client
            .post(site.daemon.url("/booth/start"))
            .header("cookie", format!("tc_session={}", staff.token))
            .header("accept", "text/html")
            .form(&form);
        tasks.push(tokio::spawn(async move {
            let r = request.send().await?;
            let location = r
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            anyhow::Ok((r.status().as_u16(), location))
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await??);
    }
    let started = outcomes
        .iter()
        .filter(|(s, at)| *s == 303 && at == "/booth?done=started")
        .count();
    let busy = outcomes.iter().filter(|(s, _)| *s == 409).count();
    assert_eq!((started, busy), (1, 29), "{outcomes:?}");
    let (status, queue) = site.get(staff, "/api/v1/queue").await?;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(
        queue["entries"].as_array().map(Vec::len),
        Some(1),
        "one waits: {queue}"
    );

    // Waited long enough: the console offers the first free slot; staff book it.
    let (action, slot) = crate::booth_sessions::eventually("the slot offer", || async {
        let (status, html) = get_page(site, staff, "/booth").await?;
        anyhow::ensure!(status == 200, "{html}");
        Ok(offer_form(&html))
    })
    .await?;
    let (_, html) = get_page(site, staff, "/booth").await?;
    let session = session_in(&html).context("the open session")?;
    let (status, at, html) = post_form(site, staff, &action, &[("slot", slot.as_str())]).await?;
    assert_eq!((status, at.as_str()), (200, "/booth?done=booked"), "{html}");
    let (_, api) = site
        .get(staff, &format!("/api/v1/booth/sessions/{session}"))
        .await?;
    assert_eq!(api["state"], "booked", "{api}");
    assert_eq!(
        api["appointment"]["start"].as_str(),
        slot.split_once('|').map(|(_, s)| s),
        "{api}"
    );
    let (status, at, _) =
        post_form(site, staff, &format!("/booth/sessions/{session}/end"), &[]).await?;
    assert_eq!((status, at.as_str()), (200, "/booth?done=ended"));

    // A chosen slot from the list (starting within the idle limit): booked at once.
    let (_, html) = get_page(site, staff, "/booth").await?;
    let chosen = first_slot_option(&html).context("a slot starting soon in the list")?;
    let walk = fields(450);
    let (status, at, html) = post_form(
        site,
        staff,
        "/booth/start",
        &form(
            &walk,
            &[
                ("how", "slot"),
                ("counter_consents", "yes"),
                ("slot", chosen.as_str()),
            ],
        ),
    )
    .await?;
    assert_eq!(
        (status, at.as_str()),
        (200, "/booth?done=started"),
        "{html}"
    );
    let session = session_in(&html).context("the new session")?;
    let (_, api) = site
        .get(staff, &format!("/api/v1/booth/sessions/{session}"))
        .await?;
    assert_eq!(
        (api["state"].as_str(), api["appointment"]["start"].as_str()),
        (Some("booked"), chosen.split_once('|').map(|(_, s)| s)),
        "{api}"
    );
    Ok(())
}
