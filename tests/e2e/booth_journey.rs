//! The booth's whole journey from the staff console, in two real headless Chromium instances
//! (issue #19, its first test): on a demo booth site with the test camera and microphone and a
//! real CUPS printer, inside a network namespace the test owns (daemon, sinks, CUPS,
//! chromedriver, both browsers: the media never leaves it). Staff register a walk-in at the
//! console and start a session for the first practitioner free now; Dr Weber switches on and
//! takes them from his queue page, lands on the call page and rings; the box's own GStreamer
//! pipeline joins as the patient's side by itself and answers: his browser decodes the cabin's
//! picture and sound. The console shows the call, the camera unplugged during it and back.
//! Dr Weber hangs up: the session ends, the console says the cabin is free and the cabin shows
//! its neutral welcome view. He issues a prescription from the document form; staff print it
//! on the cabin printer from the console, and the printer gets the stored PDF. Every page
//! visited passes axe-core (no serious or critical violation) and the touch-layout checks.

use crate::call_browsers::wait_js;
use serde_json::Value;
use std::time::Duration;
use teleconsult_tests::booking::{DR_WEBER, open_all_day};
use teleconsult_tests::browser::{BrowserOptions, FAKE_MEDIA_ARGS, Tab, with_browser_args};
use teleconsult_tests::cups::Cups;
use teleconsult_tests::national_ids::luxembourg;
use teleconsult_tests::pages::pdf_from;
use teleconsult_tests::poll_until;
use teleconsult_tests::site::{DemoAccount, STAFF, Site, WEBER};

/// Bound of each wait: two browsers, a media pipeline and CUPS on a loaded machine.
const WAIT: Duration = Duration::from_secs(60);

#[test]
fn from_the_console_a_walk_in_sees_a_doctor_now_and_the_prescription_prints_in_the_cabin()
-> anyhow::Result<()> {
    teleconsult_tests::netns::run_inside(
        "booth_journey::from_the_console_a_walk_in_sees_a_doctor_now_and_the_prescription_prints_in_the_cabin",
        journey,
    )
}

/// A number among `#call`'s data- attributes on `tab` (0 when absent).
async fn call_number(tab: &Tab, attribute: &str) -> anyhow::Result<f64> {
    let script = format!("return Number(document.getElementById('call').dataset.{attribute} || 0)");
    let value: Value = tab.client.execute(&script, vec![]).await?;
    Ok(value.as_f64().unwrap_or(0.0))
}

/// Logs `tab` in through the login pages (password, then the SMS code) and lands on `/home`.
async fn log_in(tab: &Tab, site: &Site, who: &DemoAccount) -> anyhow::Result<()> {
    tab.open("/login").await?;
    tab.log_in(&site.sms, who.login, who.password, who.phone)
        .await?;
    tab.wait_for_path("/home").await
}

async fn journey() -> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let cups = Cups::start()?;
    let paper = cups.add_printer("cabin")?;
    let site = Site::demo(&format!(
        "[site]\nkind = \"booth\"\n\n\
         [media]\nvideo_source = \"Teleconsult Test Camera\"\nattachment_max_mb = 1\n\n\
         [print]\nenabled = true\nprinter = \"cabin\"\nserver = \"{}\"\n",
        cups.server
    ))
    .await?;
    let staff = site.login(&STAFF).await?;
    open_all_day(&site, &staff, DR_WEBER, 1, &["video", "audio"]).await?;
    let weber = site.login(&WEBER).await?;
    let national_id = luxembourg("19900101", 419);
    let options = BrowserOptions::for_daemon(&site.daemon, "fr-FR");
    let site = &site;

    let (appointment, document) =
        with_browser_args("booth-journey-staff", options.clone(), &[], |console| {
            let (options, national_id) = (options.clone(), national_id.clone());
            async move {
                at_the_counter(&console, site, &national_id).await?;
                let console_ref = &console;
                let (appointment, document) = with_browser_args(
                    "booth-journey-practitioner",
                    options,
                    FAKE_MEDIA_ARGS,
                    |doctor| async move { consultation(&doctor, console_ref, site).await },
                )
                .await?;
                // 6. Staff print the prescription on the cabin printer from the console.
                // The session ended with the call: the console lists it among those ended
                // within the hour, with its prescription and a Print button.
                console.open("/booth").await?;
                console
                    .on_page(
                        "/booth",
                        "fr",
                        &["Terminées depuis moins d'une heure", "Imprimer"],
                    )
                    .await?;
                console
                    .click(&format!(
                        "form[action$='/documents/{document}/print'] button"
                    ))
                    .await?;
                console
                    .wait_for_text("Envoyé à l'imprimante de la cabine")
                    .await?;
                console
                    .on_page("/booth", "fr", &["Envoyé à l'imprimante de la cabine"])
                    .await?;
                Ok((appointment, document))
            }
        })
        .await?;

    // The cabin printer got the stored PDF, once.
    let job = poll_until("the console's print job", WAIT, || async {
        let jobs = cups.jobs("all").ok()?;
        (jobs.len() == 1).then(|| jobs[0].clone())
    })
    .await?;
    let printed = cups.printed(&paper, &job).await?;
    let path = format!("/api/v1/documents/{document}/pdf");
    let request = site.client.get(site.url(&path));
    let stored = pdf_from(request.header("authorization", weber.bearer()), &path).await?;
    assert!(printed == stored, "the stored PDF, printed");

    // The cabin shows its neutral welcome view, with nothing of the person or the call.
    let status = site.get_ok(&staff, "/api/v1/booth/status").await?;
    assert_eq!(
        (&status["cabin"]["view"], &status["cabin"]["pipeline"]),
        (&Value::from("welcome"), &Value::from(false)),
        "{status}"
    );
    let shown = status.to_string();
    for personal in [
        national_id.as_str(),
        "Costa419",
        "Rui",
        &appointment,
        &document,
    ] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }
    let (code, record) = site
        .get(&weber, &format!("/api/v1/appointments/{appointment}"))
        .await?;
    assert_eq!(
        (code, &record["status"]),
        (200, &Value::from("completed")),
        "{record}"
    );
    Ok(())
}

/// Step 1, at the counter: the walk-in registered with the minimum, "first practitioner free
/// now"; the console says the session started and who waits.
async fn at_the_counter(console: &Tab, site: &Site, national_id: &str) -> anyhow::Result<()> {
    log_in(console, site, &STAFF).await?;
    console.click("main a[href='/booth']").await?;
    console
        .on_page(
            "/booth",
            "fr",
            &["Console de la cabine", "La cabine est libre."],
        )
        .await?;
    console.fill("find_national_id", national_id).await?;
    console
        .click("form[action='/booth/find'] button[type='submit']")
        .await?;
    console
        .on_page("/booth/find", "fr", &["Personne n'est encore enregistré"])
        .await?;
    console.fill("first_name", "Rui").await?;
    console.fill("last_name", "Costa419").await?;
    console.fill_date("birth_date", "1990-01-01").await?;
    console.select("specialty", "general_practice").await?;
    console.click("#counter_consents").await?;
    console.click("button[name='how'][value='now']").await?;
    console.wait_for_text("La session a démarré.").await?;
    console
        .on_page(
            "/booth",
            "fr",
            &["Rui Costa419", "attend le premier praticien libre"],
        )
        .await
}

/// Steps 2 to 5, Dr Weber's side with the console beside: the walk-in taken from the queue
/// page, the call with the cabin (picture and sound), the camera unplugged and back on the
/// console, the hang-up resetting the cabin, the prescription issued from the document form.
/// The appointment's id and the document's.
async fn consultation(
    doctor: &Tab,
    console: &Tab,
    site: &Site,
) -> anyhow::Result<(String, String)> {
    // 2. Dr Weber, free now, takes them from his queue page and rings: the cabin (the box's
    // pipeline) joins and answers by itself.
    log_in(doctor, site, &WEBER).await?;
    doctor.click("main a[href='/queue']").await?;
    doctor
        .on_page(
            "/queue",
            "fr",
            &["Vous ne prenez pas de patients maintenant."],
        )
        .await?;
    doctor
        .click("form[action='/queue/availability'] button")
        .await?;
    doctor.wait_for_text("Vous êtes disponible").await?;
    doctor.on_page("/queue", "fr", &["dans la cabine"]).await?;
    doctor.click("form[action='/queue/next'] button").await?;
    let call_page = poll_until("the call page after next", WAIT, || async {
        doctor
            .path()
            .await
            .ok()
            .filter(|p| p.starts_with("/appointments/") && p.ends_with("/call"))
    })
    .await?;
    let appointment = call_page
        .trim_start_matches("/appointments/")
        .trim_end_matches("/call")
        .to_owned();
    let ring = "return document.getElementById('ring').disabled === false";
    wait_js(doctor, "the ring button", ring).await?;
    doctor.check_accessibility().await?;
    doctor.click("#ring").await?;
    let frames = "return Number(document.getElementById('call').dataset.remoteFrames) > 30";
    wait_js(doctor, "the cabin's camera at the practitioner", frames).await?;
    // The cabin's microphone too: packets keep coming, with sound in them.
    let packets = call_number(doctor, "remoteAudioPackets").await?;
    poll_until("the cabin's sound at the practitioner", WAIT, || async {
        let more = call_number(doctor, "remoteAudioPackets").await.ok()?;
        let energy = call_number(doctor, "remoteAudioEnergy").await.ok()?;
        (more > packets + 50.0 && energy > 0.0).then_some(())
    })
    .await?;

    // 3. The console follows the call, the camera unplugged and back (its refresh, no
    // reload), and the call goes on through it.
    console.wait_for_text("en consultation").await?;
    console
        .on_page("/booth", "fr", &["Dr Anne Weber", "en consultation"])
        .await?;
    let camera = "#device_status dd:first-of-type";
    console
        .wait_for_element(&format!("{camera}[data-part-state='ok']"))
        .await?;
    let unplugged = site.daemon.storage_path().join("demo-camera-unplugged");
    std::fs::write(&unplugged, b"")?;
    console
        .wait_for_element(&format!("{camera}[data-part-state='missing']"))
        .await?;
    std::fs::remove_file(&unplugged)?;
    console
        .wait_for_element(&format!("{camera}[data-part-state='ok']"))
        .await?;
    let before = call_number(doctor, "remoteFrames").await?;
    poll_until("frames after the camera came back", WAIT, || async {
        let now = call_number(doctor, "remoteFrames").await.ok()?;
        (now > before + 30.0).then_some(())
    })
    .await?;

    // 4. Dr Weber hangs up: the session ends, the console says the cabin is free.
    doctor.click("#hangup").await?;
    console.wait_for_text("La cabine est libre.").await?;
    console
        .on_page("/booth", "fr", &["La cabine est libre."])
        .await?;

    // 5. The prescription, from the document form.
    doctor
        .open(&format!(
            "/appointments/{appointment}/documents/new?kind=prescription"
        ))
        .await?;
    doctor.wait_for_element("form.document").await?;
    doctor.check_accessibility().await?;
    doctor.fill("items[0].medication", "Amoxicilline").await?;
    doctor.fill("items[0].dose", "500 mg").await?;
    doctor.fill("items[0].form", "gélule").await?;
    doctor
        .fill("items[0].posology", "1 gélule 3 fois par jour")
        .await?;
    doctor.fill("items[0].duration", "7 jours").await?;
    doctor.click("button[name='issue']").await?;
    let issued = poll_until("the issued prescription's page", WAIT, || async {
        doctor
            .path()
            .await
            .ok()
            .filter(|p| p.starts_with("/documents/") && p.len() > "/documents/".len())
    })
    .await?;
    let document = issued.trim_start_matches("/documents/").to_owned();
    doctor.on_page(&issued, "fr", &["Amoxicilline"]).await?;
    Ok((appointment, document))
}
