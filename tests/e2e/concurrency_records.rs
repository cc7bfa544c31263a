//! Records changed by 30 parallel requests against the real daemon (issue #18, items 2 and
//! 9): the quota of open appointments (and the relatives bookings add to the account), joins
//! racing a cancellation, document numbers, dispensing, payment, and the quotas on uploads
//! and exports. Each test checks its invariant once every request is answered.

use crate::concurrency::{PARALLEL, tally};
use anyhow::Context;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::{DR_WEBER, MIN_LEAD, book_weber, free_starts};
use teleconsult_tests::signal::{Signal, connect};
use teleconsult_tests::site::{Clinic, PHARMACIST, Site};

/// Two minutes ahead: the slots booked in parallel keep their lead while 30 requests run.
const LEAD: Duration = Duration::from_secs(120);

/// The starts of Dr Weber's first `n` free slots at least [`LEAD`] from now.
async fn first_free_starts(c: &Clinic, who: &Login, n: usize) -> anyhow::Result<Vec<String>> {
    let mut starts = free_starts(&c.site, who, DR_WEBER, LEAD).await?;
    anyhow::ensure!(starts.len() >= n, "only {} free slots", starts.len());
    starts.truncate(n);
    Ok(starts)
}

async fn in_parallel<F, Fut>(n: usize, request: F) -> anyhow::Result<Vec<(u16, Value)>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(u16, Value)>>,
{
    join_all((0..n).map(request)).await.into_iter().collect()
}

#[tokio::test]
async fn thirty_parallel_bookings_by_one_patient_stop_at_five_open_appointments()
-> anyhow::Result<()> {
    let c = Site::clinic(310).await?;
    let starts = first_free_starts(&c, &c.owner, PARALLEL).await?;
    let answers = in_parallel(PARALLEL, |i| {
        let booking = json!({"practitioner_id": DR_WEBER, "start": starts[i], "mode": "video",
            "reason": "sore throat", "confirm": true});
        let c = &c;
        async move {
            c.site
                .send(
                    Some(&c.owner),
                    Method::POST,
                    "/api/v1/appointments",
                    Some(&booking),
                )
                .await
        }
    })
    .await?;
    let counts = tally(&answers);
    assert_eq!(counts.get(&(201, String::new())), Some(&5), "{counts:?}");
    assert_eq!(
        counts.get(&(409, "too_many_open_appointments".into())),
        Some(&(PARALLEL - 5)),
        "{counts:?}"
    );
    let (_, mine) = c.site.get(&c.owner, "/api/v1/appointments").await?;
    assert_eq!(mine.as_array().map(Vec::len), Some(5), "{mine}");

    // Cancelling one frees a place (staff cancel: these start within the patient's deadline).
    let first = mine[0]["id"].as_str().context("no id")?;
    let reason = json!({"reason": "the practitioner is ill"});
    let (status, body) = c
        .site
        .send(
            Some(&c.staff),
            Method::POST,
            &format!("/api/v1/appointments/{first}/cancel"),
            Some(&reason),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    let again = first_free_starts(&c, &c.owner, PARALLEL + 5).await?;
    let booking = json!({"practitioner_id": DR_WEBER, "start": again[PARALLEL + 4], "mode": "video",
        "reason": "sore throat", "confirm": true});
    let (status, body) = c
        .site
        .send(
            Some(&c.owner),
            Method::POST,
            "/api/v1/appointments",
            Some(&booking),
        )
        .await?;
    assert_eq!(status, 201, "{body}");
    Ok(())
}

#[tokio::test]
async fn thirty_parallel_bookings_for_new_relatives_keep_every_relative_booked()
-> anyhow::Result<()> {
    let c = Site::clinic(312).await?;
    let starts = first_free_starts(&c, &c.owner, PARALLEL).await?;
    let answers = in_parallel(PARALLEL, |i| {
        let serial = u16::try_from(500 + i).unwrap_or(999);
        let birth = "20150304";
        let booking = json!({"practitioner_id": DR_WEBER, "start": starts[i], "mode": "video",
            "reason": "fever", "confirm": true,
            "for": {"relationship": "parent",
                    "national_id": teleconsult_tests::national_ids::luxembourg(birth, serial),
                    "first_name": "Kid", "last_name": format!("Number{i}"),
                    "birth_date": teleconsult_tests::national_ids::iso_date(birth)}});
        let c = &c;
        async move {
            c.site
                .send(
                    Some(&c.owner),
                    Method::POST,
                    "/api/v1/appointments",
                    Some(&booking),
                )
                .await
        }
    })
    .await?;
    let booked: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    assert!(!booked.is_empty(), "{:?}", tally(&answers));
    // Every relative booked for is linked to the account: none was lost to a parallel
    // booking writing the account back without it.
    let mut lost = Vec::new();
    for appointment in &booked {
        let relative = appointment["patient_id"].as_str().unwrap_or_default();
        let (status, _) = c
            .site
            .get(
                &c.owner,
                &format!("/api/v1/patients/{relative}/medical-record"),
            )
            .await?;
        if status != 200 {
            lost.push(relative.to_owned());
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} relatives lost: {lost:?}",
        lost.len(),
        booked.len()
    );
    assert_eq!(booked.len(), 5, "the quota holds: {:?}", tally(&answers));
    Ok(())
}

/// Reads frames until the outcome of this socket's join: `waiting` (seated) or an error.
async fn join_outcome(socket: &mut Signal) -> anyhow::Result<String> {
    for _ in 0..20 {
        let frame = socket.next().await?;
        match frame["type"].as_str() {
            Some("waiting" | "present") => return Ok("joined".into()),
            Some("error") => return Ok(frame["error"].as_str().unwrap_or_default().to_owned()),
            _ => {}
        }
    }
    anyhow::bail!("no answer to the join")
}

#[tokio::test]
async fn joins_racing_a_cancellation_never_bring_the_appointment_back() -> anyhow::Result<()> {
    let c = Site::clinic(314).await?;
    for round in 0..10 {
        let id = book_weber(&c.site, &c.owner, Duration::from_secs(90)).await?;
        let mut sockets = Vec::new();
        for i in 0..PARALLEL {
            let who = if i % 2 == 0 { &c.owner } else { &c.weber };
            let socket = connect(&c.site.daemon, &id, who)
                .await?
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            sockets.push((
                socket,
                if i % 2 == 0 {
                    "patient"
                } else {
                    "practitioner"
                },
            ));
        }
        let joins = join_all(sockets.iter_mut().map(|(socket, role)| async move {
            socket.send(json!({"type": "join", "role": role})).await?;
            join_outcome(socket).await
        }));
        // The cancellation is sent first: it is decided while the joins are being applied.
        let cancel_path = format!("/api/v1/appointments/{id}/cancel");
        let reason = json!({"reason": "the practitioner is ill"});
        let cancel = c
            .site
            .send(Some(&c.staff), Method::POST, &cancel_path, Some(&reason));
        let (cancelled, joined) = tokio::join!(cancel, joins);
        let (status, body) = cancelled?;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("cancelled")),
            "{body}"
        );
        let outcomes: Vec<String> = joined.into_iter().collect::<anyhow::Result<_>>()?;
        assert!(
            outcomes.iter().all(
                |o| ["joined", "call_closed", "replaced", "appointment_cancelled"]
                    .contains(&o.as_str())
            ),
            "{outcomes:?}"
        );
        // Every join has been answered: none may have written the appointment back.
        let (_, stored) = c
            .site
            .get(&c.staff, &format!("/api/v1/appointments/{id}"))
            .await?;
        assert_eq!(stored["status"], "cancelled", "round {round}: {stored}");
        let start = stored["start"].as_str().unwrap_or_default().to_owned();
        let (_, slots) = c
            .site
            .get(&c.owner, &format!("/api/v1/practitioners/{DR_WEBER}/slots"))
            .await?;
        let free: BTreeSet<&str> = slots
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["start"].as_str())
            .collect();
        assert!(
            free.contains(start.as_str()),
            "round {round}: the slot {start} is free again"
        );
    }
    Ok(())
}

fn prescription(items: usize) -> Value {
    let items: Vec<Value> = (0..items)
        .map(|i| {
            json!({"medication": format!("Medicine {i}"), "dose": "500 mg", "form": "comprimé",
            "posology": "1 par jour", "duration": "5 jours", "substitution_allowed": true})
        })
        .collect();
    json!({"kind": "prescription", "items": items})
}

#[tokio::test]
async fn thirty_documents_issued_in_parallel_are_numbered_without_gap() -> anyhow::Result<()> {
    let c = Site::clinic(316).await?;
    let appointment = book_weber(&c.site, &c.owner, MIN_LEAD).await?;
    let path = format!("/api/v1/appointments/{appointment}/documents");
    let answers = in_parallel(PARALLEL, |_| {
        let c = &c;
        let path = &path;
        async move {
            c.site
                .send(Some(&c.weber), Method::POST, path, Some(&prescription(1)))
                .await
        }
    })
    .await?;
    assert!(
        answers.iter().all(|(s, _)| *s == 201),
        "{:?}",
        tally(&answers)
    );
    let mut serials: Vec<u32> = answers
        .iter()
        .filter_map(|(_, d)| d["number"].as_str())
        .filter_map(|n| n.rsplit('-').next()?.parse().ok())
        .collect();
    serials.sort_unstable();
    assert_eq!(
        serials,
        (1..=PARALLEL as u32).collect::<Vec<_>>(),
        "distinct, from 1, no gap"
    );
    Ok(())
}

#[tokio::test]
async fn thirty_pharmacists_dispensing_in_parallel_each_hand_out_their_item() -> anyhow::Result<()>
{
    let c = Site::clinic(318).await?;
    let pharmacist = c.site.login(&PHARMACIST).await?;
    let appointment = book_weber(&c.site, &c.owner, MIN_LEAD).await?;
    let path = format!("/api/v1/appointments/{appointment}/documents");
    let (status, doc) = c
        .site
        .send(
            Some(&c.weber),
            Method::POST,
            &path,
            Some(&prescription(PARALLEL)),
        )
        .await?;
    assert_eq!(status, 201, "{doc}");
    let dispense = format!(
        "/api/v1/prescriptions/{}/dispense",
        doc["id"].as_str().unwrap_or_default()
    );

    // One item each: all thirty are recorded.
    let answers = in_parallel(PARALLEL, |i| {
        let (c, pharmacist, dispense) = (&c, &pharmacist, &dispense);
        async move {
            c.site
                .send(
                    Some(pharmacist),
                    Method::POST,
                    dispense,
                    Some(&json!({"items": [i]})),
                )
                .await
        }
    })
    .await?;
    assert!(
        answers.iter().all(|(s, _)| *s == 200),
        "{:?}",
        tally(&answers)
    );
    let (_, doc) = c
        .site
        .get(
            &c.owner,
            &format!(
                "/api/v1/documents/{}",
                doc["id"].as_str().unwrap_or_default()
            ),
        )
        .await?;
    let dispensed = doc["dispensed"].as_array().cloned().unwrap_or_default();
    assert_eq!(dispensed.len(), PARALLEL);
    assert!(dispensed.iter().all(Value::is_string), "{doc}");

    // The same item thirty times: handed out once.
    let (status, doc) = c
        .site
        .send(Some(&c.weber), Method::POST, &path, Some(&prescription(2)))
        .await?;
    assert_eq!(status, 201, "{doc}");
    let dispense = format!(
        "/api/v1/prescriptions/{}/dispense",
        doc["id"].as_str().unwrap_or_default()
    );
    let answers = in_parallel(PARALLEL, |_| {
        let (c, pharmacist, dispense) = (&c, &pharmacist, &dispense);
        async move {
            c.site
                .send(
                    Some(pharmacist),
                    Method::POST,
                    dispense,
                    Some(&json!({"items": [0]})),
                )
                .await
        }
    })
    .await?;
    let counts = tally(&answers);
    assert_eq!(counts.get(&(200, String::new())), Some(&1), "{counts:?}");
    assert_eq!(
        counts.get(&(409, "already_dispensed".into())),
        Some(&(PARALLEL - 1)),
        "{counts:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_fee_memo_marked_paid_thirty_times_in_parallel_is_paid_once() -> anyhow::Result<()> {
    let c = Site::clinic(320).await?;
    let appointment = book_weber(&c.site, &c.owner, MIN_LEAD).await?;
    let memo = json!({"kind": "fee_memo", "acts": [
        {"code": "C1", "label": "Consultation", "amount_cents": 5230}]});
    let (status, doc) = c
        .site
        .send(
            Some(&c.weber),
            Method::POST,
            &format!("/api/v1/appointments/{appointment}/documents"),
            Some(&memo),
        )
        .await?;
    assert_eq!(status, 201, "{doc}");
    let sync = c.site.get_ok(&c.staff, "/api/v1/sync/status").await?;
    let pending_before = sync["pending"].as_u64().context("no pending count")?;
    let paid = format!(
        "/api/v1/documents/{}/paid",
        doc["id"].as_str().unwrap_or_default()
    );
    let answers = in_parallel(PARALLEL, |i| {
        let who = if i % 2 == 0 { &c.owner } else { &c.weber };
        let (c, paid) = (&c, &paid);
        async move { c.site.send(Some(who), Method::POST, paid, None).await }
    })
    .await?;
    // Half the requests are the patient's: only the issuing practitioner records a payment,
    // the patient is told the document does not exist for that (issue #18, item 4).
    let counts = tally(&answers);
    assert_eq!(counts.get(&(200, String::new())), Some(&1), "{counts:?}");
    assert_eq!(
        counts.get(&(404, "not_found".into())),
        Some(&(PARALLEL / 2)),
        "{counts:?}"
    );
    assert_eq!(
        counts.get(&(409, "already_paid".into())),
        Some(&(PARALLEL / 2 - 1)),
        "{counts:?}"
    );
    let sync = c.site.get_ok(&c.staff, "/api/v1/sync/status").await?;
    assert_eq!(
        sync["pending"].as_u64(),
        Some(pending_before + 1),
        "one payment message for the platform"
    );
    Ok(())
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

#[tokio::test]
async fn parallel_uploads_stop_at_the_appointment_and_daily_quotas() -> anyhow::Result<()> {
    let c = Site::clinic(322).await?;
    // Files before the consultation (the patient side may share them from booking on).
    let first = book_weber(&c.site, &c.owner, Duration::from_secs(600)).await?;
    let answers = in_parallel(PARALLEL, |i| {
        let (c, first) = (&c, &first);
        async move {
            c.site
                .upload_attachment(
                    &c.owner,
                    first,
                    "application/pdf",
                    &format!("lab{i}.pdf"),
                    PDF.to_vec(),
                )
                .await
        }
    })
    .await?;
    let counts = tally(&answers);
    assert_eq!(counts.get(&(201, String::new())), Some(&20), "{counts:?}");
    assert_eq!(
        counts.get(&(409, "too_many_files".into())),
        Some(&(PARALLEL - 20)),
        "{counts:?}"
    );
    let (_, files) = c
        .site
        .get(
            &c.owner,
            &format!("/api/v1/appointments/{first}/attachments"),
        )
        .await?;
    assert_eq!(files.as_array().map(Vec::len), Some(20));

    // 20 sent today: 30 more across two other appointments, and the day stops at 50.
    let second = book_weber(&c.site, &c.owner, Duration::from_secs(600)).await?;
    let third = book_weber(&c.site, &c.owner, Duration::from_secs(600)).await?;
    let answers = in_parallel(PARALLEL, |i| {
        let appointment = if i % 2 == 0 { &second } else { &third };
        let c = &c;
        async move {
            c.site
                .upload_attachment(
                    &c.owner,
                    appointment,
                    "application/pdf",
                    &format!("scan{i}.pdf"),
                    PDF.to_vec(),
                )
                .await
        }
    })
    .await?;
    let counts = tally(&answers);
    assert_eq!(counts.get(&(201, String::new())), Some(&30), "{counts:?}");
    let answers = in_parallel(PARALLEL, |i| {
        let appointment = if i % 2 == 0 { &second } else { &third };
        let c = &c;
        async move {
            c.site
                .upload_attachment(
                    &c.owner,
                    appointment,
                    "application/pdf",
                    &format!("more{i}.pdf"),
                    PDF.to_vec(),
                )
                .await
        }
    })
    .await?;
    let counts = tally(&answers);
    assert_eq!(
        counts.get(&(201, String::new())),
        None,
        "the day's 50 are used: {counts:?}"
    );
    assert_eq!(
        counts.get(&(429, "upload_quota_exceeded".into())),
        Some(&PARALLEL),
        "{counts:?}"
    );
    Ok(())
}

#[tokio::test]
async fn thirty_parallel_exports_stop_at_five_an_hour() -> anyhow::Result<()> {
    let c = Site::clinic(324).await?;
    let answers = in_parallel(PARALLEL, |_| {
        let c = &c;
        async move {
            let r = c
                .site
                .daemon
                .client
                .get(c.site.daemon.url("/api/v1/me/export"))
                .header("authorization", c.owner.bearer())
                .send()
                .await?;
            let status = r.status().as_u16();
            let retry = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let text = r.text().await?;
            if status != 429 {
                return Ok((status, json!({})));
            }
            let mut body: Value =
                serde_json::from_str(&text).with_context(|| format!("429: {text}"))?;
            anyhow::ensure!(
                retry.is_some_and(|s| (1..=3600).contains(&s)),
                "Retry-After: {retry:?}"
            );
            body["retry"] = json!(retry);
            Ok((status, body))
        }
    })
    .await?;
    let counts = tally(&answers);
    assert_eq!(counts.get(&(200, String::new())), Some(&5), "{counts:?}");
    assert_eq!(
        counts.get(&(429, "export_quota_exceeded".into())),
        Some(&(PARALLEL - 5)),
        "{counts:?}"
    );
    Ok(())
}
