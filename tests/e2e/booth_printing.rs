//! Printing by booth staff (issue #19 item 4, `docs/booth.md` rule 7) through a real CUPS
//! (`tests/src/cups.rs`) on a demo booth site: staff print the prescription of the booth
//! session's appointment from the console while the session is open and within an hour after
//! it ended; the patient's side prints only while in the cabin; a patient at home is refused
//! (409 `not_at_the_booth`); staff never print a document of an appointment booked from home
//! (404, as not theirs); an hour after the end the session's documents no longer print (the end
//! moved an hour back through the store, the daemon stopped: no sleeping). Every print is
//! audited, by whoever printed.

use crate::booth_sessions::{Booth, booth};
use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::booth::{BoothSession, BoothState};
use teleconsult_core::ports::booth::SessionEnd;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::{DR_WEBER, free_starts};
use teleconsult_tests::cups::Cups;
use teleconsult_tests::documents::{book, prescription};
use teleconsult_tests::pages::post_form;
use teleconsult_tests::site::{Site, WEBER};

/// `[print]` on `printer` of `cups` (the booth helper makes the site a booth).
pub(crate) fn printing(cups: &Cups, printer: &str) -> String {
    format!(
        "[print]\nenabled = true\nprinter = \"{printer}\"\nserver = \"{}\"\n",
        cups.server
    )
}

/// Prints `document` as `who` (no body: the document itself).
async fn print(site: &Site, who: &Login, document: &str) -> anyhow::Result<(u16, Value)> {
    let path = format!("/api/v1/documents/{document}/print");
    site.send(Some(who), Method::POST, &path, None).await
}

/// The stored PDF of `document`, as `who` downloads it.
pub(crate) async fn pdf(site: &Site, who: &Login, document: &str) -> anyhow::Result<Vec<u8>> {
    let response = site
        .client
        .get(site.url(&format!("/api/v1/documents/{document}/pdf")))
        .header("authorization", who.bearer())
        .send()
        .await?
        .error_for_status()?;
    Ok(response.bytes().await?.to_vec())
}

/// Issues a prescription for `appointment` as Dr Weber; its id.
pub(crate) async fn issue(site: &Site, weber: &Login, appointment: &str) -> anyhow::Result<String> {
    let (status, doc) = site
        .post(
            weber,
            &format!("/api/v1/appointments/{appointment}/documents"),
            &prescription(),
        )
        .await?;
    anyhow::ensure!(status == 201, "{status} {doc}");
    Ok(doc["id"].as_str().context("id")?.to_owned())
}

/// The job id of a 202, else the answer.
fn job(answer: &(u16, Value)) -> anyhow::Result<String> {
    anyhow::ensure!(answer.0 == 202, "not printed: {answer:?}");
    Ok(answer.1["job_id"].as_str().context("job_id")?.to_owned())
}

fn refused(answer: &(u16, Value)) -> (u16, Option<&str>) {
    (answer.0, answer.1["error"].as_str())
}

/// Moves the end of ended booth session `id` to `ago` before now, as the daemon's own store
/// would hold a session that ended then: the daemon stopped, the record rewritten through the
/// store, the daemon started again on the same folder (the logins survive).
pub(crate) async fn ended_ago(site: &mut Site, id: &str, ago: Duration) -> anyhow::Result<()> {
    site.daemon.terminate(Duration::from_secs(20)).await?;
    {
        let store = teleconsult_tests::daemon::open_store(&site.daemon)?;
        let at = jiff::Timestamp::now() - jiff::SignedDuration::try_from(ago)?;
        let audit = AuditEvent {
            at,
            actor: Actor::System("test".into()),
            action: Action::Update,
            object_type: "booth_session".into(),
            object_id: id.to_owned(),
        };
        let moved = store.end_session(
            id.parse()?,
            &|session: &BoothSession, _| match session.state {
                BoothState::Ended {
                    reason,
                    appointment,
                    ..
                } => Some(SessionEnd {
                    session: BoothSession {
                        last_activity: at,
                        state: BoothState::Ended {
                            at,
                            reason,
                            appointment,
                        },
                        ..session.clone()
                    },
                    appointment: None,
                }),
                _ => None,
            },
            &audit,
        )?;
        moved.context("the session had not ended")?;
    }
    site.daemon.spawn().await
}

#[tokio::test]
async fn staff_print_a_booth_session_s_prescription_until_an_hour_after_it_ended()
-> anyhow::Result<()> {
    let cups = Cups::start()?;
    let out = cups.add_printer("cabin")?;
    let Booth { mut site, staff } = booth(&printing(&cups, "cabin")).await?;
    let weber = site.login(&WEBER).await?;
    let patient = site.patient(120).await?;

    // A consultation from home, and its prescription.
    let home_appt = book(&site, &patient).await?;
    let home_doc = issue(&site, &weber, &home_appt).await?;
    let (status, home) = site
        .get(&patient, &format!("/api/v1/appointments/{home_appt}"))
        .await?;
    assert_eq!(status, 200, "{home}");
    let patient_id = home["patient_id"]
        .as_str()
        .context("patient_id")?
        .to_owned();

    // At home: the patient never prints at the booth; staff never print what was not held
    // at their booth.
    assert_eq!(
        refused(&print(&site, &patient, &home_doc).await?),
        (409, Some("not_at_the_booth"))
    );
    assert_eq!(
        refused(&print(&site, &staff, &home_doc).await?),
        (404, Some("not_found"))
    );
    assert_eq!(cups.jobs("all")?, Vec::<String>::new(), "nothing printed");

    // The patient comes to the booth: staff start a session with a chosen slot of Dr Weber.
    let start = free_starts(&site, &staff, DR_WEBER, Duration::from_secs(120))
        .await?
        .into_iter()
        .next()
        .context("no free slot")?;
    let (status, session) = site
        .post(
            &staff,
            "/api/v1/booth/sessions",
            &json!({"patient": {"patient_id": patient_id}, "practitioner_id": DR_WEBER,
                    "start": start}),
        )
        .await?;
    assert_eq!(status, 201, "{session}");
    let session_id = session["id"].as_str().context("id")?.to_owned();
    let booth_appt = session["appointment_id"]
        .as_str()
        .context("appointment")?
        .to_owned();
    let booth_doc = issue(&site, &weber, &booth_appt).await?;
    let stored = pdf(&site, &patient, &booth_doc).await?;

    // Staff print it from the console: the cabin printer gets the stored PDF.
    let staff_job = job(&print(&site, &staff, &booth_doc).await?)?;
    assert!(
        cups.printed(&out, &staff_job).await? == stored,
        "the cabin printer got the stored PDF"
    );
    // In the cabin, the patient's side prints too — also a document of an earlier
    // consultation from home; staff still do not print that one.
    job(&print(&site, &patient, &booth_doc).await?)?;
    let last = job(&print(&site, &patient, &home_doc).await?)?;
    cups.printed(&out, &last).await?;
    std::fs::remove_file(&out)?;
    assert_eq!(
        refused(&print(&site, &staff, &home_doc).await?),
        (404, Some("not_found"))
    );
    // The practitioner is remote: nothing to print in the cabin.
    assert_eq!(
        refused(&print(&site, &weber, &booth_doc).await?),
        (404, Some("not_found"))
    );

    // The session ends: the patient left the cabin; staff hand over what was issued.
    let (status, ended) = site
        .post(
            &staff,
            &format!("/api/v1/booth/sessions/{session_id}/end"),
            &Value::Null,
        )
        .await?;
    assert_eq!((status, &ended["state"]), (200, &json!("ended")), "{ended}");
    assert_eq!(
        refused(&print(&site, &patient, &booth_doc).await?),
        (409, Some("not_at_the_booth"))
    );
    // The patient's page says why, in their language.
    let (status, _, html) = post_form(
        &site,
        &patient,
        &format!("/documents/{booth_doc}/print"),
        &[],
    )
    .await?;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    let after_end = job(&print(&site, &staff, &booth_doc).await?)?;
    assert!(cups.printed(&out, &after_end).await? == stored);

    // An hour and a minute later, the session's documents no longer print at the booth.
    ended_ago(&mut site, &session_id, Duration::from_secs(61 * 60)).await?;
    assert_eq!(
        refused(&print(&site, &staff, &booth_doc).await?),
        (409, Some("print_window_closed"))
    );
    assert_eq!(
        refused(&print(&site, &patient, &booth_doc).await?),
        (409, Some("not_at_the_booth"))
    );

    assert_eq!(cups.jobs("completed")?.len(), 4, "four jobs reached CUPS");
    assert!(!site.logs().contains("Paracétamol"));

    // Every print is audited as an export of the document, by whoever printed (the
    // refusals printed nothing): read from the daemon's own store, the daemon stopped.
    site.daemon.terminate(Duration::from_secs(20)).await?;
    let store = teleconsult_tests::daemon::open_store(&site.daemon)?;
    let prints: Vec<AuditEvent> = store
        .audit_records(1, usize::MAX)?
        .into_iter()
        .map(|r| r.event)
        .filter(|e| e.action == Action::Export && e.object_type == "document_print")
        .collect();
    let of = |id: &str| -> Vec<&Actor> {
        prints
            .iter()
            .filter(|e| e.object_id == id)
            .map(|e| &e.actor)
            .collect()
    };
    let (booth_prints, home_prints) = (of(&booth_doc), of(&home_doc));
    assert_eq!(
        (booth_prints.len(), home_prints.len()),
        (3, 1),
        "staff twice and the patient once; the patient once in the cabin: {prints:?}"
    );
    // Staff's two prints and the patient's one: two accounts; the patient's is the same
    // account that printed the home document.
    let patient_actor = home_prints[0];
    assert_eq!(
        booth_prints.iter().filter(|a| **a == patient_actor).count(),
        1,
        "{prints:?}"
    );
    Ok(())
}
