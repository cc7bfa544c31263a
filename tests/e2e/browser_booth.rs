//! The booth's pages in a real headless Chromium on a demo booth site (issue #19), every page
//! checked by axe-core (no serious or critical violation) and for touch screens: staff log in,
//! register a walk-in at the console (a mistake first, reported on its field) and start a
//! session for the first practitioner free; Dr Weber switches on and takes the walk-in from his
//! queue page, landing on the call page; the console shows who took them; a patient at home
//! asks for "as soon as possible", sees their place on the waiting page, and the open page
//! changes by itself to "join now" when Dr Weber takes them.

use crate::booth_sessions::booth;
use teleconsult_tests::accounts::{PASSWORD, WAIT, phone};
use teleconsult_tests::browser::{BrowserOptions, with_browser};
use teleconsult_tests::national_ids::luxembourg;
use teleconsult_tests::poll_until;
use teleconsult_tests::site::{STAFF, WEBER};

#[tokio::test]
async fn browser_console_queue_and_waiting_pages() -> anyhow::Result<()> {
    // The demo's fake camera, which can be unplugged (`demo-camera-unplugged`).
    let b = booth("[media]\nvideo_source = \"Teleconsult Test Camera\"\n").await?;
    let site = &b.site;
    site.register(320).await?;
    let sms = &site.sms;
    let national_id = luxembourg("19900101", 321);
    // Dr Weber's own API session, to take the patient at home while their page is open.
    let weber = site.login(&WEBER).await?;
    with_browser(
        "browser_console_queue_and_waiting_pages",
        BrowserOptions::for_daemon(&site.daemon, "fr-FR"),
        |tab| {
            let national_id = &national_id;
            let weber = &weber;
            async move {
                tab.open("/login").await?;
                tab.log_in(sms, STAFF.login, STAFF.password, STAFF.phone)
                    .await?;
                tab.wait_for_path("/home").await?;
                tab.click("main a[href='/booth']").await?;
                tab.on_page(
                    "/booth",
                    "fr",
                    &[
                        "Console de la cabine",
                        "La cabine est libre.",
                        "Personne n'attend.",
                    ],
                )
                .await?;

                // The cabin's devices: the camera unplugged shows as missing on the open
                // console by its refresh (no reload); the device check's results pass axe.
                let camera = "#device_status dd:first-of-type";
                tab.wait_for_element(&format!("{camera}[data-part-state='ok']"))
                    .await?;
                let unplugged = site.daemon.storage_path().join("demo-camera-unplugged");
                std::fs::write(&unplugged, b"")?;
                tab.wait_for_element(&format!("{camera}[data-part-state='missing']"))
                    .await?;
                std::fs::remove_file(&unplugged)?;
                tab.wait_for_element(&format!("{camera}[data-part-state='ok']"))
                    .await?;
                tab.click("form[action='/booth/check'] button[type='submit']")
                    .await?;
                tab.wait_for_path("/booth/check").await?;
                tab.wait_for_text("Vérification des appareils").await?;
                tab.on_page("/booth/check", "fr", &[" images en ", "dBFS"])
                    .await?;

                // Not found yet: the walk-in form, the national id already typed.
                tab.fill("find_national_id", national_id).await?;
                tab.click("form[action='/booth/find'] button[type='submit']")
                    .await?;
                tab.wait_for_path("/booth/find").await?;
                tab.on_page("/booth/find", "fr", &["Personne n'est encore enregistré"])
                    .await?;
                anyhow::ensure!(tab.value_of("#national_id").await? == *national_id);

                // A mistake (no consent ticked), reported on its field.
                tab.fill("first_name", "Rui").await?;
                tab.fill("last_name", "Costa321").await?;
                tab.fill_date("birth_date", "1990-01-01").await?;
                tab.select("specialty", "general_practice").await?;
                tab.click("button[name='how'][value='now']").await?;
                tab.wait_for_text("Cochez la case").await?;
                tab.on_page("/booth/start", "fr", &["Cochez la case"])
                    .await?;

                tab.click("#counter_consents").await?;
                tab.click("button[name='how'][value='now']").await?;
                tab.wait_for_text("La session a démarré.").await?;
                tab.on_page(
                    "/booth",
                    "fr",
                    &[
                        "Rui Costa321",
                        "attend le premier praticien libre",
                        "Place dans la file",
                    ],
                )
                .await?;

                // Dr Weber takes the walk-in from his queue page.
                tab.click("header form[action='/logout'] button").await?;
                tab.wait_for_path("/").await?;
                tab.open("/login").await?;
                tab.log_in(sms, WEBER.login, WEBER.password, WEBER.phone)
                    .await?;
                tab.wait_for_path("/home").await?;
                tab.click("main a[href='/queue']").await?;
                tab.on_page(
                    "/queue",
                    "fr",
                    &[
                        "Patients en attente maintenant",
                        "Vous ne prenez pas de patients maintenant.",
                    ],
                )
                .await?;
                tab.click("form[action='/queue/availability'] button")
                    .await?;
                tab.wait_for_text("Vous êtes disponible").await?;
                tab.on_page("/queue", "fr", &["Vous êtes disponible", "dans la cabine"])
                    .await?;
                tab.click("form[action='/queue/next'] button").await?;
                poll_until("the call page after next", WAIT, || async {
                    tab.path()
                        .await
                        .ok()
                        .filter(|p| p.starts_with("/appointments/") && p.ends_with("/call"))
                })
                .await?;

                // The console shows who took them.
                tab.open("/home").await?;
                tab.click("header form[action='/logout'] button").await?;
                tab.wait_for_path("/").await?;
                tab.open("/login").await?;
                tab.log_in(sms, STAFF.login, STAFF.password, STAFF.phone)
                    .await?;
                tab.wait_for_path("/home").await?;
                tab.open("/booth").await?;
                tab.on_page("/booth", "fr", &["Prise en charge par", "Dr Anne Weber"])
                    .await?;

                // A patient at home: "as soon as possible", then the waiting page.
                tab.click("header form[action='/logout'] button").await?;
                tab.wait_for_path("/").await?;
                tab.open("/login").await?;
                tab.log_in(sms, "patient320@example.lu", PASSWORD, &phone(320))
                    .await?;
                tab.wait_for_path("/home").await?;
                tab.click("main a[href='/book/asap']").await?;
                tab.on_page("/book/asap", "fr", &["Un praticien dès que possible"])
                    .await?;
                tab.select("specialty", "general_practice").await?;
                tab.click("form[action='/book/asap'] button[type='submit']")
                    .await?;
                tab.wait_for_path("/book/waiting").await?;
                tab.on_page(
                    "/book/waiting",
                    "fr",
                    &[
                        "En attente d'un praticien",
                        "Place dans la file",
                        "Quitter la file",
                    ],
                )
                .await?;

                // Dr Weber takes them: the open page changes by itself to "join now".
                let (status, taken) = site
                    .post(weber, "/api/v1/queue/next", &serde_json::json!({}))
                    .await?;
                anyhow::ensure!(
                    status == 200 && taken["at_booth"] == false,
                    "{status} {taken}"
                );
                tab.wait_for_text("Votre praticien est prêt").await?;
                tab.on_page(
                    "/book/waiting",
                    "fr",
                    &["Dr Anne Weber", "Rejoindre la consultation maintenant"],
                )
                .await?;
                let appointment = taken["appointment_id"].as_str().unwrap_or_default();
                tab.click(&format!("a[href='/appointments/{appointment}/call']"))
                    .await?;
                tab.wait_for_path(&format!("/appointments/{appointment}/call"))
                    .await
            }
        },
    )
    .await
}
