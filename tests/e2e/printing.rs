//! Printing at the booth (issue #7) through a real CUPS (`tests/src/cups.rs`): the patient,
//! sitting in the cabin (a booth session of theirs open, issue #19), prints their prescription
//! (API) and a sick-leave part (page); the file the printer wrote is the stored PDF, byte for
//! byte. Nobody else prints (404); a site without `[print]` refuses (409
//! `printing_unavailable`); a scheduler that is down is a 503 `printer_unavailable`. Printing by
//! staff and the patient at home: `booth_printing.rs`.

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};
use teleconsult_tests::Daemon;
use teleconsult_tests::accounts::{Login, PASSWORD, phone};
use teleconsult_tests::cups::Cups;
use teleconsult_tests::documents::{book, pdf_text, prescription};
use teleconsult_tests::pages::{get_page, post_form};
use teleconsult_tests::sinks::SmsSink;
use teleconsult_tests::site::{STAFF, Site, WEBER};

async fn pdf_of(site: &Daemon, who: &Login, path: &str) -> anyhow::Result<Vec<u8>> {
    let r = site
        .client
        .get(site.url(path))
        .header("authorization", who.bearer())
        .send()
        .await?
        .error_for_status()?;
    Ok(r.bytes().await?.to_vec())
}

/// A demo site (`print`: the `[print]` section, or none), with two patients (registration
/// numbers `n` and `n + 1`) and Dr Weber logged in.
async fn site(print: &str, n: u32) -> anyhow::Result<(Site, [Login; 3])> {
    let site = Site::demo(print).await?;
    let patient = site.patient(n).await?;
    let other = site.patient(n + 1).await?;
    let weber = site.login(&WEBER).await?;
    Ok((site, [patient, other, weber]))
}

/// The configuration of a booth printing on `printer` of `cups`.
fn booth_printing(cups: &Cups, printer: &str) -> String {
    format!(
        "[site]\nkind = \"booth\"\n[print]\nenabled = true\nprinter = \"{printer}\"\nserver = \"{}\"\n",
        cups.server
    )
}

/// Staff seat the patient of `appointment` in the cabin: a booth session of theirs, waiting
/// for the first practitioner free (the patient's side prints only while in the cabin).
async fn in_the_cabin(site: &Site, patient: &Login, appointment: &str) -> anyhow::Result<()> {
    let staff = site.login(&STAFF).await?;
    let (status, a) = site
        .get(patient, &format!("/api/v1/appointments/{appointment}"))
        .await?;
    anyhow::ensure!(status == 200, "{status} {a}");
    let (status, session) = site
        .post(
            &staff,
            "/api/v1/booth/sessions",
            &json!({"patient": {"patient_id": a["patient_id"]}, "specialty": "general_practice"}),
        )
        .await?;
    anyhow::ensure!(status == 201, "{status} {session}");
    Ok(())
}

/// Issues a one-day sick-leave certificate for `appointment`; returns its id.
async fn sick_leave(site: &Daemon, weber: &Login, appointment: &str) -> anyhow::Result<String> {
    let zone = jiff::tz::TimeZone::get("Europe/Luxembourg")?;
    let today = jiff::Timestamp::now().to_zoned_datetime(zone).date();
    let (status, leave) = site
        .send(
            Some(weber),
            Method::POST,
            &format!("/api/v1/appointments/{appointment}/documents"),
            Some(
                &json!({"kind": "sick_leave_certificate", "from": today.to_string(),
                     "to": today.to_string(), "diagnosis": "Bronchite aiguë"}),
            ),
        )
        .await?;
    anyhow::ensure!(status == 201, "sick leave: {status} {leave}");
    Ok(leave["id"].as_str().context("id")?.to_owned())
}

#[tokio::test]
async fn the_patient_prints_their_documents_on_the_booth_printer() -> anyhow::Result<()> {
    let mut cups = Cups::start()?;
    let out = cups.add_printer("booth")?;
    let (site, [patient, other, weber]) = site(&booth_printing(&cups, "booth"), 90).await?;
    let appointment = book(&site, &patient).await?;
    let issue = format!("/api/v1/appointments/{appointment}/documents");
    let (status, doc) = site
        .send(Some(&weber), Method::POST, &issue, Some(&prescription()))
        .await?;
    assert_eq!(status, 201, "{doc}");
    let id = doc["id"].as_str().context("id")?.to_owned();
    let number = doc["number"].as_str().context("number")?.to_owned();
    let print_path = format!("/api/v1/documents/{id}/print");
    in_the_cabin(&site, &patient, &appointment).await?;

    // Only the patient prints (the practitioner is remote; anyone else: no such document).
    for (who, name) in [(&other, "other patient"), (&weber, "issuing practitioner")] {
        let (status, body) = site
            .send(Some(who), Method::POST, &print_path, None)
            .await?;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("not_found")),
            "{name}"
        );
    }
    // Refused before anything reached the scheduler: CUPS has no job at all.
    assert_eq!(
        cups.jobs("all")?,
        Vec::<String>::new(),
        "nothing printed for them"
    );

    let (status, job) = site
        .send(Some(&patient), Method::POST, &print_path, None)
        .await?;
    assert_eq!(status, 202, "{job}\n{}", site.logs());
    let job_id = job["job_id"].as_str().context("job_id")?.to_owned();
    assert!(job_id.starts_with("booth-"), "{job}");
    let stored = pdf_of(&site, &patient, &format!("/api/v1/documents/{id}/pdf")).await?;
    let printed = cups.printed(&out, &job_id).await?;
    assert!(
        printed == stored,
        "the printer got the stored PDF unchanged"
    );
    let text = pdf_text(&printed)?;
    assert!(text.contains(&number), "{text}");
    // The print is in the patient's record of accesses; no health data reached the log.
    let export: Value = site
        .client
        .get(site.url("/api/v1/me/export"))
        .header("authorization", patient.bearer())
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let prints = export["accesses"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["object_type"] == "document_print" && e["object_id"] == id.as_str())
                .count()
        })
        .unwrap_or_default();
    assert_eq!(prints, 1, "{export}");
    assert!(!site.logs().contains("Paracétamol"));

    // A prescription has no parts.
    let (status, body) = site
        .send(
            Some(&patient),
            Method::POST,
            &print_path,
            Some(&json!({"part": 3})),
        )
        .await?;
    assert_eq!(
        (status, body["fields"]["part"].is_string()),
        (422, true),
        "{body}"
    );

    // In the page: the employer's part of a sick leave, without the diagnosis.
    let leave_id = sick_leave(&site, &weber, &appointment).await?;
    let (status, html) = get_page(&site, &patient, &format!("/documents/{leave_id}")).await?;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("action=\"/documents/{leave_id}/print\"")),
        "{html}"
    );
    let (status, doctor_page) = get_page(&site, &weber, &format!("/documents/{leave_id}")).await?;
    assert_eq!(status, 200, "{doctor_page}");
    assert!(
        !doctor_page.contains("/print\""),
        "no print button for the practitioner"
    );
    std::fs::remove_file(&out)?;
    let (status, at, html) = post_form(
        &site,
        &patient,
        &format!("/documents/{leave_id}/print"),
        &[("part", "employer")],
    )
    .await?;
    assert_eq!(status, 200, "{html}");
    let job_id = at
        .split_once("printed=")
        .map(|(_, job)| job.split('&').next().unwrap_or_default().to_owned())
        .filter(|job| job.starts_with("booth-"))
        .with_context(|| format!("no job in {at}"))?;
    let employer = pdf_of(
        &site,
        &patient,
        &format!("/api/v1/documents/{leave_id}/pdf?part=3"),
    )
    .await?;
    let printed = cups.printed(&out, &job_id).await?;
    assert!(printed == employer, "part 3 as stored");
    let text = pdf_text(&printed)?;
    assert!(
        text.contains("Volet 3 sur 3") && !text.contains("Bronchite"),
        "{text}"
    );

    // The scheduler goes away: the patient is told, nothing hangs.
    cups.stop();
    let (status, body) = site
        .send(Some(&patient), Method::POST, &print_path, None)
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("printer_unavailable")),
        "{body}"
    );
    let (status, _, html) =
        post_form(&site, &patient, &format!("/documents/{id}/print"), &[]).await?;
    assert_eq!(status, 503, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    Ok(())
}

#[tokio::test]
async fn a_site_without_a_printer_prints_nothing() -> anyhow::Result<()> {
    let (site, [patient, other, weber]) = site("", 92).await?;
    let appointment = book(&site, &patient).await?;
    let issue = format!("/api/v1/appointments/{appointment}/documents");
    let (status, doc) = site
        .send(Some(&weber), Method::POST, &issue, Some(&prescription()))
        .await?;
    assert_eq!(status, 201, "{doc}");
    let id = doc["id"].as_str().context("id")?;
    let path = format!("/api/v1/documents/{id}/print");
    let (status, body) = site.send(Some(&patient), Method::POST, &path, None).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("printing_unavailable")),
        "{body}"
    );
    let (status, body) = site.send(Some(&other), Method::POST, &path, None).await?;
    assert_eq!(status, 404, "not yours stays not found: {body}");
    let (status, html) = get_page(&site, &patient, &format!("/documents/{id}")).await?;
    assert_eq!(status, 200);
    assert!(!html.contains("/print\""), "no print button: {html}");
    Ok(())
}

/// The same in a real Chromium, in French: the patient logs in at the booth screen, opens their
/// sick-leave certificate, prints the employer's part with its button; the page says it was
/// sent, both pages pass axe-core and the touch-target check, and the printer got that part.
#[tokio::test]
async fn browser_the_patient_prints_the_employer_part_at_the_booth() -> anyhow::Result<()> {
    use teleconsult_tests::accounts::WAIT;
    use teleconsult_tests::browser::{BrowserOptions, with_browser};
    let cups = Cups::start()?;
    let out = cups.add_printer("booth")?;
    let (site, [patient, _, weber]) = site(&booth_printing(&cups, "booth"), 94).await?;
    let appointment = book(&site, &patient).await?;
    let leave_id = sick_leave(&site, &weber, &appointment).await?;
    in_the_cabin(&site, &patient, &appointment).await?;
    let employer = pdf_of(
        &site,
        &patient,
        &format!("/api/v1/documents/{leave_id}/pdf?part=employer"),
    )
    .await?;
    // The API login and the booking confirmation came first: the browser's code is the next.
    poll_until_confirmed(&site.sms).await?;
    let options = BrowserOptions::for_daemon(&site, "fr-FR");
    let job_id = with_browser(
        "browser_the_patient_prints_the_employer_part_at_the_booth",
        options,
        |tab| {
            let (sms, leave_id) = (&site.sms, &leave_id);
            async move {
                tab.open("/login").await?;
                tab.log_in(sms, "patient94@example.lu", PASSWORD, &phone(94))
                    .await?;
                tab.wait_for_path("/home").await?;
                let page = format!("/documents/{leave_id}");
                tab.open(&page).await?;
                tab.wait_for_path(&page).await?;
                tab.expect_text(&["Imprimer dans la cabine", "Imprimer le volet 3 (employeur)"])
                    .await?;
                tab.check_touch_layout().await?;
                tab.check_accessibility().await?;
                tab.click(&format!(
                    "form[action='{page}/print']:has(input[value='employer']) button"
                ))
                .await?;
                let notice = teleconsult_tests::poll_until("the printed notice", WAIT, || async {
                    tab.text()
                        .await
                        .ok()
                        .filter(|t| t.contains("Envoyé à l'imprimante (travail booth-"))
                })
                .await?;
                tab.check_accessibility().await?;
                notice
                    .split_once("(travail ")
                    .and_then(|(_, rest)| rest.split(')').next())
                    .map(str::to_owned)
                    .context("no job in the notice")
            }
        },
    )
    .await?;
    let printed = cups.printed(&out, &job_id).await?;
    assert!(printed == employer, "the employer's part, as stored");
    Ok(())
}

/// Waits until patient 94's booking confirmation arrived; how many messages they had then.
async fn poll_until_confirmed(sms: &SmsSink) -> anyhow::Result<usize> {
    teleconsult_tests::poll_until(
        "the booking SMS",
        teleconsult_tests::accounts::WAIT,
        || async {
            let to_patient: Vec<Value> = sms
                .messages()
                .into_iter()
                .filter(|m| m["to"] == phone(94))
                .collect();
            to_patient
                .iter()
                .any(|m| m["text"].as_str().is_some_and(|t| t.contains("réservée")))
                .then_some(to_patient.len())
        },
    )
    .await
}
