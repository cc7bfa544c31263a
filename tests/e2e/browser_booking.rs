//! Two journeys through the pages in a real headless Chromium on the demo site, every page
//! checked by axe-core: a patient searches, picks a time in the week and books for a relative
//! (issue #5); a practitioner issues a prescription the patient then finds (issue #7).

use serde_json::Value;
use teleconsult_tests::accounts::{PASSWORD, WAIT, phone, registration};
use teleconsult_tests::booking::DR_WEBER;
use teleconsult_tests::browser::{BrowserOptions, with_browser};
use teleconsult_tests::poll_until;
use teleconsult_tests::site::{Site, WEBER};

/// Issue #5's journey in pages, on the demo site: a patient logs in, searches a practitioner,
/// opens the week of free slots, picks one, first forgets the relative's identity (errors on
/// the fields), then books for a new relative; the confirmation arrives by SMS and e-mail
/// (with the `.ics`), the patient's home page lists it, and the practitioner finds it in their
/// day with the relative's name and the reason. Every page passes axe-core.
#[tokio::test]
async fn browser_search_calendar_and_book_for_a_relative() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let (daemon, smtp, sms) = (&site.daemon, &site.smtp, &site.sms);
    let form = registration(950);
    site.register(950).await?;
    let email = form["email"].as_str().unwrap_or_default().to_owned();
    let child_id = teleconsult_tests::national_ids::luxembourg("20150310", 951);
    with_browser(
        "browser_search_calendar_and_book_for_a_relative",
        BrowserOptions::for_daemon(daemon, "fr-FR"),
        |tab| {
            let sms = &sms;
            let smtp = &smtp;
            let email = &email;
            let child_id = &child_id;
            async move {
                tab.open("/login").await?;
                tab.log_in(sms, email, PASSWORD, &phone(950)).await?;
                tab.on_page(
                    "/home",
                    "fr",
                    &["Mes rendez-vous", "Vous n'avez pas encore de rendez-vous"],
                )
                .await?;
                tab.click("main a[href='/book']").await?;
                tab.on_page(
                    "/book",
                    "fr",
                    &["Prendre rendez-vous", "Praticiens trouvés"],
                )
                .await?;
                tab.fill("q", "weber").await?;
                tab.click("form.search button[type='submit']").await?;
                // The results come back to the same path: wait for them, not for the path
                // (reading the page being replaced gave a stale element in CI).
                tab.wait_for_text("Praticiens trouvés : 1").await?;
                tab.expect_text(&["Praticiens trouvés : 1", "Dr Anne Weber"])
                    .await?;
                tab.click(&format!("main a[href='/book/{DR_WEBER}']"))
                    .await?;
                let calendar = format!("/book/{DR_WEBER}");
                tab.on_page(&calendar, "fr", &["Dr Anne Weber", "Semaine du"])
                    .await?;
                // The first time far enough ahead that it is still free of the "past" when the
                // form is posted, a few pages later (a loaded machine takes its time).
                let earliest = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(15);
                let mut picked = None;
                for link in tab
                    .client
                    .find_all(fantoccini::Locator::Css("a.slot"))
                    .await?
                {
                    let href = link.attr("href").await?.unwrap_or_default();
                    let start = href.split("start=").nth(1).unwrap_or_default().to_owned();
                    if start
                        .parse::<jiff::Timestamp>()
                        .is_ok_and(|t| t >= earliest)
                    {
                        picked = Some((href, start));
                        break;
                    }
                }
                let (href, start) =
                    picked.ok_or_else(|| anyhow::anyhow!("no time 15 minutes ahead this week"))?;
                tab.click(&format!("a.slot[href='{href}']")).await?;
                let slot_page = format!("/book/{DR_WEBER}/slot");
                tab.on_page(
                    &slot_page,
                    "fr",
                    &["Confirmer le rendez-vous", "Pour qui est ce rendez-vous ?"],
                )
                .await?;

                // A new relative without an identity: each missing field is reported.
                tab.click("#for_whom-new").await?;
                tab.click("#confirm").await?;
                tab.click("main form button[type='submit']").await?;
                tab.wait_for_text("Veuillez corriger les points suivants")
                    .await?;
                tab.on_page(
                    &slot_page,
                    "fr",
                    &[
                        "Veuillez corriger les points suivants",
                        "Vérifiez votre identifiant national",
                        "Saisissez votre prénom",
                    ],
                )
                .await?;

                tab.click("#for_whom-new").await?;
                tab.select("relationship", "parent").await?;
                tab.fill("national_id", child_id).await?;
                tab.fill("first_name", "Noé").await?;
                tab.fill("last_name", "Quackenbush950").await?;
                tab.fill_date("birth_date", "2015-03-10").await?;
                tab.fill("reason", "fièvre depuis deux jours").await?;
                if tab
                    .client
                    .find(fantoccini::Locator::Css("#confirm:checked"))
                    .await
                    .is_err()
                {
                    tab.click("#confirm").await?;
                }
                tab.click("main form button[type='submit']").await?;
                // The form posts back to a page of another path: wait for it (bounded).
                let page = poll_until("the appointment page after booking", WAIT, || async {
                    tab.path()
                        .await
                        .ok()
                        .filter(|p| p.starts_with("/appointments/"))
                })
                .await?;
                tab.on_page(
                    &page,
                    "fr",
                    &[
                        "Votre rendez-vous est réservé",
                        "Noé Quackenbush950",
                        "Dr Anne Weber",
                        "fièvre depuis deux jours",
                    ],
                )
                .await?;
                let appointment = page.trim_start_matches("/appointments/").to_owned();

                // The confirmation, to the booker, by e-mail (with the invitation) and SMS.
                let mail = smtp
                    .wait_for(email, "téléconsultation réservée", WAIT)
                    .await?;
                anyhow::ensure!(
                    mail.body.contains(&appointment)
                        && mail.attachments == [Some("teleconsultation.ics".to_owned())],
                    "confirmation e-mail: {:?}\n{}",
                    mail.attachments,
                    mail.body
                );
                poll_until("confirmation SMS", WAIT, || async {
                    sms.messages().into_iter().find(|m| {
                        m["to"] == phone(950)
                            && m["text"].as_str().is_some_and(|t| t.contains("réservée"))
                    })
                })
                .await?;

                // The relative's short medical record, from the appointment page: the form
                // (labels, hints, touch targets, axe), saved, confirmed.
                tab.click("main a[href$='/medical-record']").await?;
                let record = poll_until("the medical record form", WAIT, || async {
                    tab.path()
                        .await
                        .ok()
                        .filter(|p| p.ends_with("/medical-record"))
                })
                .await?;
                tab.on_page(
                    &record,
                    "fr",
                    &[
                        "Dossier médical de Noé Quackenbush950",
                        "Allergies",
                        "Traitements en cours",
                    ],
                )
                .await?;
                tab.fill("allergies", "Amoxicilline : éruption").await?;
                tab.click("main form button[type='submit']").await?;
                tab.wait_for_text("Dossier médical enregistré").await?;
                tab.on_page(&record, "fr", &["Amoxicilline : éruption"])
                    .await?;

                tab.open("/home").await?;
                tab.on_page("/home", "fr", &["Dr Anne Weber", "Pour Noé Quackenbush950"])
                    .await?;

                // The practitioner's day shows it, with the reason.
                tab.click("header form[action='/logout'] button").await?;
                tab.wait_for_path("/").await?;
                tab.open("/login").await?;
                tab.log_in(sms, WEBER.login, WEBER.password, WEBER.phone)
                    .await?;
                tab.wait_for_path("/home").await?;
                let date = start.get(..10).unwrap_or_default();
                tab.open(&format!("/home?date={date}")).await?;
                tab.on_page(
                    "/home",
                    "fr",
                    &[
                        "Ma journée",
                        "Noé Quackenbush950",
                        "fièvre depuis deux jours",
                    ],
                )
                .await?;
                // The appointment shows the practitioner what the family declared.
                tab.open(&page).await?;
                tab.on_page(
                    &page,
                    "fr",
                    &[
                        "Dossier médical renseigné par le patient",
                        "Amoxicilline : éruption",
                    ],
                )
                .await?;
                // The practitioner writes to the family from the appointment (the form with its
                // file input passes axe and the touch-target check).
                tab.click("main a[href^='/messages/']").await?;
                let conversation = poll_until("the conversation page", WAIT, || async {
                    tab.path()
                        .await
                        .ok()
                        .filter(|p| p.starts_with("/messages/"))
                })
                .await?;
                tab.on_page(
                    &conversation,
                    "fr",
                    &["Aucun message pour l’instant", "Votre message"],
                )
                .await?;
                tab.fill("text", "Bonjour, comment va Noé ce matin ?")
                    .await?;
                tab.click("main form button[type='submit']").await?;
                tab.wait_for_text("Message envoyé").await?;
                tab.on_page(&conversation, "fr", &["Bonjour, comment va Noé ce matin ?"])
                    .await?;
                tab.open("/messages").await?;
                tab.on_page("/messages", "fr", &["Noé Quackenbush950"])
                    .await?;
                Ok(())
            }
        },
    )
    .await
}

/// Issue #7's journey in pages, on the demo site: a patient booked Dr Weber through the API;
/// Dr Weber logs in, opens the appointment, adds a medicine line, first forgets a posology
/// (the error is on that row's field), then issues the prescription and lands on its page.
/// The patient logs in, finds it among their documents on the home page, opens it, and its
/// PDF link answers a PDF. Every page passes axe-core and the touch-target check.
#[tokio::test]
async fn browser_practitioner_issues_a_prescription_the_patient_finds_it() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let (daemon, sms) = (&site.daemon, &site.sms);
    let email = registration(990)["email"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let patient = site.patient(990).await?;
    let appointment = teleconsult_tests::booking::book_id_with_lead(
        daemon,
        &patient,
        DR_WEBER,
        teleconsult_tests::booking::MIN_LEAD,
        serde_json::json!({"reason": "angine"}),
    )
    .await?;
    with_browser(
        "browser_practitioner_issues_a_prescription_the_patient_finds_it",
        BrowserOptions::for_daemon(daemon, "fr-FR"),
        |tab| {
            let sms = &sms;
            let email = &email;
            let appointment = &appointment;
            async move {
                tab.open("/login").await?;
                tab.log_in(sms, WEBER.login, WEBER.password, WEBER.phone)
                    .await?;
                tab.wait_for_path("/home").await?;
                let page = format!("/appointments/{appointment}");
                tab.open(&page).await?;
                tab.on_page(
                    &page,
                    "fr",
                    &[
                        "Documents",
                        "Émettre un document",
                        "Zebulonia Quackenbush990",
                    ],
                )
                .await?;
                let new = format!("/appointments/{appointment}/documents/new");
                tab.click(&format!("main a[href='{new}?kind=prescription']"))
                    .await?;
                tab.on_page(
                    &new,
                    "fr",
                    &["Nouveau document : Ordonnance médicale", "Médicament 3"],
                )
                .await?;

                // One more line, without script: typed values are kept.
                tab.fill("items[0].medication", "Amoxicilline").await?;
                tab.fill("items[0].dose", "1 g").await?;
                tab.fill("items[0].form", "comprimé").await?;
                tab.fill("items[0].duration", "6 jours").await?;
                tab.click("button[name='add_line']").await?;
                tab.wait_for_text("Médicament 4").await?;
                tab.on_page(&new, "fr", &["Médicament 4"]).await?;
                anyhow::ensure!(tab.value_of("[name='items[0].dose']").await? == "1 g");

                // The posology is missing: the error is on that field, in the summary too.
                tab.click("button[name='issue']").await?;
                tab.wait_for_text("Indiquez la posologie").await?;
                tab.on_page(
                    &new,
                    "fr",
                    &[
                        "Veuillez corriger les points suivants",
                        "Indiquez la posologie",
                    ],
                )
                .await?;
                let posology = tab
                    .client
                    .find(fantoccini::Locator::Css("[name='items[0].posology']"))
                    .await?;
                let invalid = posology.attr("aria-invalid").await?.unwrap_or_default();
                let described = posology.attr("aria-describedby").await?.unwrap_or_default();
                anyhow::ensure!(
                    invalid == "true" && described == "items[0].posology-error",
                    "posology field: aria-invalid={invalid:?} aria-describedby={described:?}"
                );
                anyhow::ensure!(
                    tab.value_of("[name='items[0].medication']").await? == "Amoxicilline"
                );
                tab.fill("items[0].posology", "1 comprimé matin et soir")
                    .await?;
                tab.click("button[name='issue']").await?;
                let document = poll_until("the document page", WAIT, || async {
                    tab.path()
                        .await
                        .ok()
                        .filter(|p| p.starts_with("/documents/"))
                })
                .await?;
                tab.on_page(
                    &document,
                    "fr",
                    &[
                        "Ordonnance médicale",
                        "Le document est émis.",
                        "Amoxicilline",
                        "1 comprimé matin et soir",
                        "Télécharger le PDF",
                        "Corriger ce document",
                    ],
                )
                .await?;

                // The patient logs in and finds it on the home page.
                tab.click("header form[action='/logout'] button").await?;
                tab.wait_for_path("/").await?;
                poll_until("the booking SMS", WAIT, || async {
                    sms.messages().into_iter().find(|m| {
                        m["to"] == phone(990)
                            && m["text"].as_str().is_some_and(|t| t.contains("réservée"))
                    })
                })
                .await?;
                tab.open("/login").await?;
                tab.log_in(sms, email, PASSWORD, &phone(990)).await?;
                tab.on_page(
                    "/home",
                    "fr",
                    &["Mes documents", "Ordonnance médicale", "Dr Anne Weber"],
                )
                .await?;
                tab.click(&format!("main a[href='{document}']")).await?;
                tab.on_page(
                    &document,
                    "fr",
                    &["Ordonnance médicale", "Amoxicilline", "Tous mes documents"],
                )
                .await?;
                let text = tab.text().await?;
                anyhow::ensure!(
                    !text.contains("Corriger ce document"),
                    "only the issuer corrects"
                );
                let href = tab
                    .client
                    .find(fantoccini::Locator::Css("main a[download]"))
                    .await?
                    .attr("href")
                    .await?
                    .unwrap_or_default();
                anyhow::ensure!(href == format!("{document}/pdf"), "PDF link {href}");
                // Downloaded by the page itself, with the patient's session cookie.
                let fetched = tab
                    .client
                    .execute_async(
                        "const done = arguments[arguments.length - 1];
                         fetch(arguments[0], { credentials: 'same-origin' })
                           .then(async r => {
                             const bytes = new Uint8Array(await r.arrayBuffer());
                             done({ status: r.status, type: r.headers.get('content-type'),
                                    head: String.fromCharCode(...bytes.slice(0, 5)) });
                           })
                           .catch(e => done({ error: String(e) }));",
                        vec![Value::String(href)],
                    )
                    .await?;
                anyhow::ensure!(
                    fetched["status"] == 200
                        && fetched["type"] == "application/pdf"
                        && fetched["head"] == "%PDF-",
                    "the PDF link answered {fetched}"
                );
                Ok(())
            }
        },
    )
    .await
    .map_err(|e| e.context(format!("daemon log:\n{}", daemon.logs())))
}
