//! The on-demand queue end to end (issue #19): "next patient" hands each waiting entry to
//! exactly one practitioner, however many click at once.
//!
//! - Twenty walk-ins waiting at the booth's counter, three practitioners clicking "next" in
//!   parallel round after round: the cabin holds one person, so each round hands out exactly
//!   one walk-in (the others are told nobody can be taken now) until staff end the session;
//!   after twenty rounds every walk-in was handed out once.
//! - Twenty patients at home and thirty "next" requests at once from three practitioners:
//!   twenty appointments, ten empty answers, each patient taken once and told once.

use crate::booth_sessions::{Booth, booth, eventually, on_demand, post, walk_in};
use anyhow::Context;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use teleconsult_tests::accounts::{Login, phone};
use teleconsult_tests::booking::{DR_FERREIRA, DR_WEBER};
use teleconsult_tests::site::{ADMIN, FERREIRA, Site, WEBER};

/// Dr Weber, Dr Ferreira (both general practice) and a third general practitioner created by
/// the administrator, all on demand.
async fn three_practitioners(site: &Site) -> anyhow::Result<[Login; 3]> {
    let admin = site.login(&ADMIN).await?;
    let (status, body) = post(
        site,
        &admin,
        "/api/v1/users",
        json!({"role": "practitioner", "login": "dr.third", "name": "Dr Third Doctor",
               "phone": "+352621000077", "email": "third@example.lu", "specialty": "general_practice",
               "password": "a long enough passphrase"}),
    )
    .await?;
    anyhow::ensure!(status == 201, "{status} {body}");
    let weber = site.login(&WEBER).await?;
    let ferreira = site.login(&FERREIRA).await?;
    let third = site
        .login_as("dr.third", "a long enough passphrase", "+352621000077")
        .await?;
    let (_, found) = site.get(&third, "/api/v1/practitioners?q=Third").await?;
    let third_id = found[0]["id"]
        .as_str()
        .context("third practitioner")?
        .to_owned();
    for (who, id) in [
        (&weber, DR_WEBER),
        (&ferreira, DR_FERREIRA),
        (&third, &third_id),
    ] {
        on_demand(site, who, id).await?;
    }
    Ok([weber, ferreira, third])
}

/// One "next" per practitioner, all sent at once: the statuses and bodies.
async fn next_in_parallel(site: &Site, who: &[&Login]) -> anyhow::Result<Vec<(u16, Value)>> {
    let mut tasks = Vec::new();
    for w in who {
        let (client, url, auth) = (
            site.daemon.client.clone(),
            site.daemon.url("/api/v1/queue/next"),
            w.bearer(),
        );
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .header("authorization", auth)
                .send()
                .await?;
            let status = r.status().as_u16();
            anyhow::Ok((status, r.json::<Value>().await.unwrap_or(Value::Null)))
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

#[tokio::test]
async fn twenty_walk_ins_and_three_practitioners_clicking_next_each_walk_in_handed_out_once()
-> anyhow::Result<()> {
    let Booth { site, staff } = booth("").await?;
    let mut patients = BTreeSet::new();
    for n in 0..20 {
        let (status, entry) = post(
            &site,
            &staff,
            "/api/v1/queue/walk-ins",
            json!({"patient": walk_in(100 + n, None), "specialty": "general_practice"}),
        )
        .await?;
        anyhow::ensure!(status == 201, "{entry}");
        assert_eq!(entry["queue_position"], json!(n + 1), "{entry}");
        assert!(
            entry.get("session_id").is_none(),
            "waiting at the counter: {entry}"
        );
        patients.insert(
            entry["patient"]["id"]
                .as_str()
                .context("patient")?
                .to_owned(),
        );
    }
    assert_eq!(patients.len(), 20);
    let doctors = three_practitioners(&site).await?;
    let who: Vec<&Login> = doctors.iter().collect();
    let (_, queue) = site.get(&doctors[0], "/api/v1/queue").await?;
    assert_eq!(queue["entries"].as_array().map(Vec::len), Some(20));
    assert!(
        queue["entries"][0].get("patient").is_none(),
        "no names for practitioners"
    );

    let mut handed: BTreeMap<String, String> = BTreeMap::new();
    for round in 0..20 {
        let answers = next_in_parallel(&site, &who).await?;
        let taken: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == 200)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(
            taken.len(),
            1,
            "round {round}: one person into the cabin: {answers:?}"
        );
        assert!(
            answers.iter().all(|(s, _)| *s == 200 || *s == 204),
            "{answers:?}"
        );
        let t = taken[0];
        assert_eq!(t["at_booth"], true);
        let patient = t["patient_id"].as_str().context("patient")?.to_owned();
        let appointment = t["appointment_id"]
            .as_str()
            .context("appointment")?
            .to_owned();
        assert!(
            handed.insert(patient, appointment).is_none(),
            "handed out twice: {t}"
        );
        // The walk-in goes into the cabin; when they leave, the next one can come in.
        let session = t["session_id"].as_str().context("session")?;
        let (status, ended) = post(
            &site,
            &staff,
            &format!("/api/v1/booth/sessions/{session}/end"),
            Value::Null,
        )
        .await?;
        assert_eq!(status, 200, "{ended}");
    }
    assert_eq!(
        handed.keys().cloned().collect::<BTreeSet<_>>(),
        patients,
        "every walk-in once"
    );
    let appointments: BTreeSet<&String> = handed.values().collect();
    assert_eq!(appointments.len(), 20);
    for (status, body) in next_in_parallel(&site, &who).await? {
        assert_eq!(status, 204, "{body}");
    }
    let (_, queue) = site.get(&staff, "/api/v1/queue").await?;
    assert_eq!(queue["entries"], json!([]));
    Ok(())
}

#[tokio::test]
async fn thirty_parallel_next_requests_take_each_patient_at_home_once() -> anyhow::Result<()> {
    let Booth { site, .. } = booth("").await?;
    let mut at_home = Vec::new();
    for n in 0..20 {
        let who = site.patient(300 + n).await?;
        let (status, entry) = post(
            &site,
            &who,
            "/api/v1/queue/asap",
            json!({"specialty": "general_practice", "reason": "fever"}),
        )
        .await?;
        anyhow::ensure!(status == 201, "{entry}");
        let (status, again) = post(
            &site,
            &who,
            "/api/v1/queue/asap",
            json!({"specialty": "general_practice"}),
        )
        .await?;
        assert_eq!(
            (status, again["error"].as_str()),
            (409, Some("already_waiting"))
        );
        at_home.push(who);
    }
    let doctors = three_practitioners(&site).await?;
    // Each waiting side sees its place and the wait with three practitioners available.
    for (i, who) in at_home.iter().enumerate() {
        let (status, mine) = site.get(who, "/api/v1/queue/asap").await?;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["queue_position"], json!(i + 1));
        assert_eq!(mine["practitioners_available"], json!(3));
        // ceil(position / 3 available) × 15 minutes.
        assert_eq!(
            mine["estimated_wait_s"],
            json!((i + 1).div_ceil(3) * 900),
            "{mine}"
        );
    }
    let who: Vec<&Login> = (0..30).map(|i| &doctors[i % 3]).collect();
    let answers = next_in_parallel(&site, &who).await?;
    let taken: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(taken.len(), 20, "{answers:?}");
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 204).count(),
        10,
        "{answers:?}"
    );
    let patients: BTreeSet<&str> = taken
        .iter()
        .filter_map(|t| t["patient_id"].as_str())
        .collect();
    let appointments: BTreeSet<&str> = taken
        .iter()
        .filter_map(|t| t["appointment_id"].as_str())
        .collect();
    assert_eq!(
        (patients.len(), appointments.len()),
        (20, 20),
        "each taken once"
    );
    assert!(taken.iter().all(|t| t["at_booth"] == false));
    // Each patient is told once that a practitioner is ready, and no longer waits.
    for (n, who) in (300..).zip(&at_home) {
        let (status, _) = site.get(who, "/api/v1/queue/asap").await?;
        assert_eq!(status, 404);
        let number = phone(n);
        let ready = eventually("the ready SMS", || async {
            let texts: Vec<Value> = site
                .sms
                .messages()
                .into_iter()
                .filter(|m| {
                    m["to"] == number.as_str()
                        && m["text"]
                            .as_str()
                            .is_some_and(|t| t.contains("est prêt(e)"))
                })
                .collect();
            Ok((!texts.is_empty()).then_some(texts.len()))
        })
        .await?;
        assert_eq!(ready, 1, "told once");
    }
    let (_, list) = site.get(&doctors[0], "/api/v1/queue").await?;
    assert_eq!(list["entries"], json!([]));
    Ok(())
}
