//! The practitioner's on-demand switch under concurrency (issue #19, DESIGN §4d): the same
//! practitioner switching on and off many times at once while "next patient" is clicked
//! (two tabs, impatient clicks). Each switch is one blind write (record and audit in one
//! transaction); each "next" checks the switch again inside the take's transaction, so an
//! entry is never handed out while the switch, as stored then, is off (the deterministic
//! interleaving is `app`'s `a_switch_off_committed_during_a_next_is_not_handed_an_entry`).
//! Afterwards: every answer was a success or a clear refusal, each entry was handed out once,
//! the line and the availability count agree with the switch, and once the requests are
//! sequential the last acknowledged switch is the one in force.

use anyhow::Context;
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::DR_WEBER;
use teleconsult_tests::site::{Site, WEBER};

/// Patients waiting in the general-practice line before the burst.
const WAITING: u32 = 8;
/// Requests sent at once: two switches (alternately on and off) for each "next".
const AT_ONCE: usize = 48;

fn availability() -> String {
    format!("/api/v1/practitioners/{DR_WEBER}/availability")
}

async fn switch(site: &Site, weber: &Login, on: bool) -> anyhow::Result<(u16, Value)> {
    site.put(weber, &availability(), &json!({"on_demand": on}))
        .await
}

/// Dr Weber's view of the line: (entries, his switch, practitioners of his specialty on).
async fn line(site: &Site, weber: &Login) -> anyhow::Result<(usize, bool, u64)> {
    let (status, view) = site.get(weber, "/api/v1/queue").await?;
    anyhow::ensure!(status == 200, "{status} {view}");
    Ok((
        view["entries"].as_array().context("entries")?.len(),
        view["on_demand"].as_bool().context("on_demand")?,
        view["practitioners_available"]
            .as_u64()
            .context("practitioners_available")?,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switches_and_nexts_at_once_hand_each_entry_out_once_and_only_while_on()
-> anyhow::Result<()> {
    let site = Site::demo("").await?;
    for n in 0..WAITING {
        let who = site.patient(700 + n).await?;
        let (status, body) = site
            .post(
                &who,
                "/api/v1/queue/asap",
                &json!({"specialty": "general_practice", "reason": "fever"}),
            )
            .await?;
        anyhow::ensure!(status == 201, "{status} {body}");
    }
    let weber = site.login(&WEBER).await?;
    assert_eq!(line(&site, &weber).await?, (8, false, 0), "off at first");
    let (status, body) = switch(&site, &weber, true).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(line(&site, &weber).await?, (8, true, 1));

    // Every third request a "next", the others switches, alternately on and off.
    let outcomes = join_all((0..AT_ONCE).map(|i| {
        let (site, weber) = (&site, &weber);
        async move {
            if i % 3 == 2 {
                let answer = site.post(weber, "/api/v1/queue/next", &json!({})).await;
                (None, answer)
            } else {
                let on = i % 2 == 0;
                (Some(on), switch(site, weber, on).await)
            }
        }
    }))
    .await;

    let (mut taken, mut patients, mut refused, mut switches) =
        (Vec::new(), BTreeSet::new(), 0, [0, 0]);
    let mut wrong = Vec::new();
    for (i, (on, answer)) in outcomes.into_iter().enumerate() {
        let (status, body) = answer?;
        match (on, status) {
            (Some(on), 200)
                if body["on_demand"] == on
                    && body["practitioner_id"] == DR_WEBER
                    && body["since"]
                        .as_str()
                        .is_some_and(|s| s.parse::<jiff::Timestamp>().is_ok()) =>
            {
                switches[usize::from(on)] += 1;
            }
            (None, 200) => {
                taken.push(
                    body["appointment_id"]
                        .as_str()
                        .context("appointment")?
                        .to_owned(),
                );
                patients.insert(body["patient_id"].as_str().context("patient")?.to_owned());
            }
            (None, 204) => {}
            (None, 409) if body["error"] == "not_on_demand" => refused += 1,
            _ => wrong.push(format!("request {i} ({on:?}): {status} {body}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(switches, [16, 16], "every switch acknowledged");
    println!("{} taken, {refused} refused while off", taken.len());

    // Each entry handed out once, to Dr Weber, as an appointment booked now.
    let distinct: BTreeSet<_> = taken.iter().collect();
    assert_eq!(distinct.len(), taken.len(), "{taken:?}");
    assert_eq!(patients.len(), taken.len(), "one entry per patient");
    for id in &taken {
        let (status, a) = site
            .get(&weber, &format!("/api/v1/appointments/{id}"))
            .await?;
        assert_eq!(status, 200, "{a}");
        assert_eq!(a["practitioner_id"], DR_WEBER, "{a}");
    }
    // The line and the count of practitioners on agree with the switch as it ended.
    let (waiting, on, available) = line(&site, &weber).await?;
    assert_eq!(waiting + taken.len(), 8, "nothing lost, nothing duplicated");
    assert_eq!(available, u64::from(on), "the count follows the switch");

    // Sequential from here: the last acknowledged switch is in force, and "next" obeys it.
    let (status, body) = switch(&site, &weber, false).await?;
    assert_eq!((status, &body["on_demand"]), (200, &json!(false)), "{body}");
    assert_eq!(line(&site, &weber).await?, (waiting, false, 0));
    let (status, body) = site.post(&weber, "/api/v1/queue/next", &json!({})).await?;
    assert_eq!((status, &body["error"]), (409, &json!("not_on_demand")));
    assert_eq!(
        line(&site, &weber).await?.0,
        waiting,
        "nothing taken while off"
    );
    let (status, body) = switch(&site, &weber, true).await?;
    assert_eq!((status, &body["on_demand"]), (200, &json!(true)), "{body}");
    assert_eq!(line(&site, &weber).await?, (waiting, true, 1));
    let (status, body) = site.post(&weber, "/api/v1/queue/next", &json!({})).await?;
    if waiting > 0 {
        assert_eq!(status, 200, "{body}");
        assert!(
            !patients.contains(body["patient_id"].as_str().unwrap_or_default()),
            "{body}"
        );
    } else {
        assert_eq!(status, 204, "{body}");
    }
    Ok(())
}
