//! Printing from the staff console (issue #19 item 4, `docs/booth.md` rule 7), through a real
//! CUPS (`tests/src/cups.rs`) on a demo booth site, driven as the console's forms are posted:
//! a walk-in's session, taken by Dr Weber from the queue, who issues a prescription and a
//! sick-leave certificate; the console lists them (kind, number, time — never their content)
//! with a "Print" button each (the certificate: one per part); the buttons print the stored
//! PDFs on the cabin's printer and the console says which job. The session's documents stay
//! listed, and print, after it ended — not while the next person sits in the cabin, not named
//! with another session, not after the hour —, each refusal a banner on the console, never a
//! 500. Patients cannot use the console's route. And the console with its document list passes
//! axe-core in Chromium.

use crate::booth_printing::{ended_ago, issue, pdf, printing};
use crate::booth_sessions::{Booth, booth, on_demand, walk_in};
use crate::documents_kinds::{sick_leave, today};
use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::booking::DR_WEBER;
use teleconsult_tests::browser::{BrowserOptions, with_browser};
use teleconsult_tests::cups::Cups;
use teleconsult_tests::pages::{get_page, post_form};
use teleconsult_tests::site::{STAFF, Site, WEBER};

const NOBODY: &str = "00000000-0000-4000-8000-00000000dead";

/// The console's print route for `document` of `session`.
fn route(session: &str, document: &str) -> String {
    format!("/booth/sessions/{session}/documents/{document}/print")
}

/// Starts a walk-in's session waiting for the first practitioner free; its id.
async fn start_walk_in(site: &Site, staff: &Login, n: u16) -> anyhow::Result<String> {
    let (status, session) = site
        .post(
            staff,
            "/api/v1/booth/sessions",
            &json!({"patient": walk_in(n, None), "specialty": "general_practice"}),
        )
        .await?;
    anyhow::ensure!(status == 201, "{status} {session}");
    Ok(session["id"].as_str().context("id")?.to_owned())
}

/// Dr Weber, on demand, takes the next patient: the appointment at the booth.
async fn taken_by_weber(site: &Site, weber: &Login) -> anyhow::Result<String> {
    let (status, taken) = site.post(weber, "/api/v1/queue/next", &Value::Null).await?;
    anyhow::ensure!(
        status == 200 && taken["at_booth"] == true,
        "{status} {taken}"
    );
    Ok(taken["appointment_id"]
        .as_str()
        .context("appointment")?
        .to_owned())
}

/// A sick-leave certificate for `appointment`, from today for three days; its id.
async fn certificate(site: &Site, weber: &Login, appointment: &str) -> anyhow::Result<String> {
    let from = today()?;
    let to = from.checked_add(jiff::Span::new().days(2))?;
    let (status, doc) = site
        .post(
            weber,
            &format!("/api/v1/appointments/{appointment}/documents"),
            &sick_leave(&from.to_string(), &to.to_string()),
        )
        .await?;
    anyhow::ensure!(status == 201, "{status} {doc}");
    Ok(doc["id"].as_str().context("id")?.to_owned())
}

/// The employer's part of sick-leave certificate `id`, as its issuer downloads it.
async fn employer_part(site: &Site, weber: &Login, id: &str) -> anyhow::Result<Vec<u8>> {
    let response = site
        .client
        .get(site.url(&format!("/api/v1/documents/{id}/pdf?part=employer")))
        .header("authorization", weber.bearer())
        .send()
        .await?
        .error_for_status()?;
    Ok(response.bytes().await?.to_vec())
}

/// The console's print form posted as staff (`part` when given): status, where it landed
/// (path and query) and the page.
async fn print_form(
    site: &Site,
    staff: &Login,
    path: &str,
    part: Option<&str>,
) -> anyhow::Result<(u16, String, String)> {
    let fields: Vec<(&str, &str)> = part.map(|p| ("part", p)).into_iter().collect();
    post_form(site, staff, path, &fields).await
}

/// The job the console says it sent, from where the print landed (`/booth?done=printed&job=`)
/// and its banner.
fn printed_job(answer: &(u16, String, String)) -> anyhow::Result<String> {
    let (status, at, html) = answer;
    anyhow::ensure!(*status == 200, "{status} {at} {html}");
    let job = at
        .strip_prefix("/booth?done=printed&job=")
        .with_context(|| format!("landed at {at}"))?
        .to_owned();
    anyhow::ensure!(
        html.contains(&format!("(tâche {job})")) && html.contains("role=\"status\""),
        "{html}"
    );
    Ok(job)
}

/// A refusal: the console again (not the error page), with the status and a banner saying
/// `words`.
fn refused_with(answer: &(u16, String, String), status: u16, words: &str) {
    let (got, at, html) = answer;
    assert_eq!(*got, status, "{at} {html}");
    assert!(
        html.contains("id=\"cabin\"") && html.contains("role=\"alert\""),
        "the console with a banner: {html}"
    );
    assert!(html.contains(words), "{words:?} missing: {html}");
}

#[tokio::test]
async fn staff_print_a_booth_session_s_documents_from_the_console() -> anyhow::Result<()> {
    let mut cups = Cups::start()?;
    let out = cups.add_printer("cabin")?;
    let Booth { mut site, staff } = booth(&printing(&cups, "cabin")).await?;
    let weber = site.login(&WEBER).await?;
    on_demand(&site, &weber, DR_WEBER).await?;

    // A walk-in waits in the cabin: nothing issued yet.
    let session = start_walk_in(&site, &staff, 601).await?;
    let (status, html) = get_page(&site, &staff, "/booth").await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Documents à imprimer") && html.contains("encore été établi"),
        "{html}"
    );

    // Dr Weber takes them and issues a prescription and a sick-leave certificate.
    let appointment = taken_by_weber(&site, &weber).await?;
    let prescription = issue(&site, &weber, &appointment).await?;
    let sick_note = certificate(&site, &weber, &appointment).await?;
    let (status, html) = get_page(&site, &staff, "/booth").await?;
    assert_eq!(status, 200, "{html}");
    let (_, doc) = site
        .get(&weber, &format!("/api/v1/documents/{prescription}"))
        .await?;
    let number = doc["number"].as_str().context("number")?;
    assert!(
        html.contains(number) && html.contains("Ordonnance médicale"),
        "{html}"
    );
    assert!(html.contains(&format!("action=\"{}\"", route(&session, &prescription))));
    // One button per part of the certificate, none without a part.
    for part in ["insurer", "patient", "employer"] {
        assert!(
            html.contains(&format!("name=\"part\" value=\"{part}\"")),
            "{part}: {html}"
        );
    }
    assert_eq!(
        html.matches(&format!("action=\"{}\"", route(&session, &sick_note)))
            .count(),
        3
    );
    // What a document says is not shown to staff.
    for content in ["Paracétamol", "Bronchite", "Xarope"] {
        assert!(!html.contains(content), "{content} shown: {html}");
    }

    // Printed from the console: the stored PDFs reach the cabin's printer.
    let answer = print_form(&site, &staff, &route(&session, &prescription), None).await?;
    let printed = printed_job(&answer)?;
    assert!(cups.printed(&out, &printed).await? == pdf(&site, &weber, &prescription).await?);
    std::fs::remove_file(&out)?;
    let answer = print_form(
        &site,
        &staff,
        &route(&session, &sick_note),
        Some("employer"),
    )
    .await?;
    let employer = printed_job(&answer)?;
    let employer_copy = cups.printed(&out, &employer).await?;
    std::fs::remove_file(&out)?;
    // The employer's copy as stored (without the diagnosis), not the patient's.
    assert!(employer_copy == employer_part(&site, &weber, &sick_note).await?);
    let text = teleconsult_tests::documents::pdf_text(&employer_copy)?;
    assert!(!text.contains("Bronchite"), "{text}");
    // An unknown part: refused on the console, nothing printed.
    let answer = print_form(&site, &staff, &route(&session, &sick_note), Some("boss")).await?;
    refused_with(&answer, 422, "vérifiez ce que vous avez saisi");

    // Named with a session that is not its own (none, or the next one): not found.
    let answer = print_form(&site, &staff, &route(NOBODY, &prescription), None).await?;
    refused_with(&answer, 404, "plus là : la page");
    let answer = print_form(&site, &staff, &route(&session, NOBODY), None).await?;
    refused_with(&answer, 404, "plus là : la page");
    let answer = print_form(&site, &staff, &route("not-a-session", "x"), None).await?;
    refused_with(&answer, 404, "plus là : la page");

    // A patient cannot use the console's route, not even for a document they could print.
    let patient = site.patient(602).await?;
    let (status, _, html) =
        print_form(&site, &patient, &route(&session, &prescription), None).await?;
    assert_eq!(status, 403, "{html}");

    // The session ends: its documents stay listed and print; the document page's form
    // brings staff back to the console too.
    let (status, ended) = site
        .post(
            &staff,
            &format!("/api/v1/booth/sessions/{session}/end"),
            &Value::Null,
        )
        .await?;
    assert_eq!((status, &ended["state"]), (200, &json!("ended")), "{ended}");
    let (status, html) = get_page(&site, &staff, "/booth").await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Terminées depuis moins") && html.contains(&route(&session, &prescription)),
        "{html}"
    );
    let answer = post_form(
        &site,
        &staff,
        &format!("/documents/{prescription}/print"),
        &[],
    )
    .await?;
    let again = printed_job(&answer)?;
    cups.printed(&out, &again).await?;
    std::fs::remove_file(&out)?;

    // The next person in the cabin: not in front of them, and not as their document.
    let next = start_walk_in(&site, &staff, 603).await?;
    let answer = print_form(&site, &staff, &route(&session, &prescription), None).await?;
    refused_with(&answer, 409, "est dans la cabine");
    let answer = print_form(&site, &staff, &route(&next, &prescription), None).await?;
    refused_with(&answer, 404, "plus là : la page");
    let (status, _) = site
        .post(
            &staff,
            &format!("/api/v1/booth/sessions/{next}/end"),
            &Value::Null,
        )
        .await?;
    assert_eq!(status, 200);

    // Three jobs reached CUPS, all from the console's forms; none for the refusals.
    assert_eq!(cups.jobs("completed")?.len(), 3);

    // The printer stops answering: a banner, not a fault.
    cups.stop();
    let answer = print_form(&site, &staff, &route(&session, &prescription), None).await?;
    refused_with(&answer, 503, "pas disponible pour le moment");

    // An hour and a minute after the end: no longer listed, and refused in words.
    ended_ago(&mut site, &session, Duration::from_secs(61 * 60)).await?;
    let (status, html) = get_page(&site, &staff, "/booth").await?;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains(&route(&session, &prescription)), "{html}");
    let answer = print_form(&site, &staff, &route(&session, &prescription), None).await?;
    refused_with(&answer, 409, "terminée il y a plus");

    assert!(!site.logs().contains("Paracétamol"));
    Ok(())
}

/// A booth site that does not print: the console says so (409, a banner), as the document
/// page's form does for staff — and the console with its list, refusal included, passes
/// axe-core in Chromium.
#[tokio::test]
async fn the_console_s_document_list_in_a_browser_without_a_printer() -> anyhow::Result<()> {
    let Booth { site, staff } = booth("").await?;
    let weber = site.login(&WEBER).await?;
    on_demand(&site, &weber, DR_WEBER).await?;
    let session = start_walk_in(&site, &staff, 611).await?;
    let appointment = taken_by_weber(&site, &weber).await?;
    let prescription = issue(&site, &weber, &appointment).await?;
    certificate(&site, &weber, &appointment).await?;

    let answer = print_form(&site, &staff, &route(&session, &prescription), None).await?;
    refused_with(&answer, 409, "impriment pas sur ce site");
    let answer = post_form(
        &site,
        &staff,
        &format!("/documents/{prescription}/print"),
        &[],
    )
    .await?;
    refused_with(&answer, 409, "impriment pas sur ce site");

    let sms = &site.sms;
    with_browser(
        "the_console_s_document_list_in_a_browser_without_a_printer",
        BrowserOptions::for_daemon(&site.daemon, "fr-FR"),
        |tab| {
            let (session, prescription) = (&session, &prescription);
            async move {
                tab.open("/login").await?;
                tab.log_in(sms, STAFF.login, STAFF.password, STAFF.phone)
                    .await?;
                tab.wait_for_path("/home").await?;
                tab.open("/booth").await?;
                tab.on_page(
                    "/booth",
                    "fr",
                    &["Documents à imprimer", "Ordonnance médicale", "Volet 3"],
                )
                .await?;
                tab.click(&format!(
                    "form[action='{}'] button[type='submit']",
                    route(session, prescription)
                ))
                .await?;
                tab.wait_for_text("impriment pas sur ce site").await?;
                tab.on_page(
                    &route(session, prescription),
                    "fr",
                    &["impriment pas sur ce site", "Documents à imprimer"],
                )
                .await
            }
        },
    )
    .await
}
