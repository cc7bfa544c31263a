//! The patient journey of the seeds in a real headless Chromium, with the real daemon and real
//! SMTP and SMS sinks: register → activation e-mail → open its link → log in → SMS code → home
//! page; in French (the browser's language) and in German (chosen with the language switcher,
//! then remembered on the account, on a phone-sized window). axe-core checks every page visited,
//! and that none scrolls sideways or has touch targets under 44 px. Also: HTML forms without
//! the right CSRF token are refused.

use serde_json::Value;
use std::time::Duration;
use teleconsult_tests::accounts::{
    PASSWORD, WAIT, login, phone, register_and_activate, registration, sinks_config,
};
use teleconsult_tests::browser::{BrowserOptions, Tab, certificate_of, with_browser};
use teleconsult_tests::pages::{csrf_field, set_cookie};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::{Daemon, DaemonOptions, poll_until};

struct Site {
    daemon: Daemon,
    smtp: SmtpSink,
    sms: SmsSink,
}

async fn site() -> anyhow::Result<Site> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let daemon = Daemon::start(DaemonOptions {
        extra_config: sinks_config(&smtp, &sms),
        ..Default::default()
    })
    .await?;
    Ok(Site { daemon, smtp, sms })
}

fn options(daemon: &Daemon, language: &str) -> BrowserOptions {
    BrowserOptions {
        base_url: daemon.base_url.clone(),
        certificate: certificate_of(daemon),
        language: language.to_owned(),
    }
}

/// The first line of an e-mail body holding `needle` (the link to open).
fn link_in(body: &str, needle: &str) -> anyhow::Result<String> {
    body.lines()
        .map(str::trim)
        .find(|l| l.starts_with("https://") && l.contains(needle))
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no {needle} link in:\n{body}"))
}

/// Checks the page is `path`, in `lang`, shows `texts`, and passes axe-core (with
/// `TELECONSULT_SCREENSHOTS` set, also saves it under `target/test-artifacts/`).
async fn on_page(tab: &Tab, path: &str, lang: &str, texts: &[&str]) -> anyhow::Result<()> {
    tab.wait_for_path(path).await?;
    // A form posted to a page that redirects to the same path (the language switcher on
    // /home) is still the old page for a moment: wait, bounded, for the new one's language.
    let deadline = tokio::time::Instant::now() + teleconsult_tests::browser::STEP;
    let mut actual = tab.lang().await?;
    while actual != lang && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        actual = tab.lang().await?;
    }
    anyhow::ensure!(
        actual == lang,
        "{path}: <html lang={actual:?}>, expected {lang}"
    );
    tab.expect_text(texts).await?;
    if std::env::var_os("TELECONSULT_SCREENSHOTS").is_some() {
        // For reviewing the pages by eye: every page visited, under target/test-artifacts/.
        let name = format!("{lang}{}", path.replace('/', "_"));
        tab.save_artifacts(&name).await?;
    }
    tab.check_touch_layout().await?;
    tab.check_accessibility().await
}

/// Fills the registration form of test patient `n` (everything but the language).
async fn fill_registration(tab: &Tab, n: u32) -> anyhow::Result<Value> {
    let form = registration(n);
    for field in ["national_id", "first_name", "last_name", "phone", "email"] {
        tab.fill(field, form[field].as_str().unwrap_or_default())
            .await?;
    }
    tab.fill_date(
        "birth_date",
        form["birth_date"].as_str().unwrap_or_default(),
    )
    .await?;
    tab.fill("password", PASSWORD).await?;
    tab.fill("password_confirm", PASSWORD).await?;
    Ok(form)
}

/// Waits (bounded) until the page shows `text`: after a form posted back to the same path,
/// the path alone cannot tell the answer has arrived.
async fn shows(tab: &Tab, text: &str) -> anyhow::Result<()> {
    poll_until(&format!("{text:?} on the page"), WAIT, || async {
        tab.text().await.ok().filter(|t| t.contains(text)).map(drop)
    })
    .await
}

/// Password, then the code from the SMS sink, through the pages.
async fn log_in(tab: &Tab, sms: &SmsSink, email: &str, phone: &str) -> anyhow::Result<()> {
    log_in_as(tab, sms, email, PASSWORD, phone).await
}

/// [`log_in`] with any login and password (the phone's first SMS code).
async fn log_in_as(
    tab: &Tab,
    sms: &SmsSink,
    login: &str,
    password: &str,
    phone: &str,
) -> anyhow::Result<()> {
    tab.fill("login", login).await?;
    tab.fill("password", password).await?;
    tab.click("main form button[type='submit']").await?;
    tab.wait_for_path("/login/code").await?;
    tab.check_accessibility().await?;
    let code = sms.code_for(phone, 0, WAIT).await?;
    tab.fill("code", &code).await?;
    tab.click("main form button[type='submit']").await
}

#[tokio::test]
async fn browser_register_activate_and_log_in_in_french() -> anyhow::Result<()> {
    let s = site().await?;
    let result = with_browser(
        "browser_register_activate_and_log_in_in_french",
        options(&s.daemon, "fr-FR"),
        |tab| async move {
            // The browser speaks French: so does the site, unasked.
            tab.open("/").await?;
            on_page(&tab, "/", "fr", &["Créer un compte", "Ce qu'il vous faut"]).await?;
            tab.click("main a[href='/register']").await?;
            on_page(
                &tab,
                "/register",
                "fr",
                &[
                    "Créer votre compte",
                    "J'accepte le traitement de mes données",
                ],
            )
            .await?;
            anyhow::ensure!(tab.value_of("select[name='language']").await? == "fr");

            // A first try with a wrong phone number: the error is on that field, in French.
            let form = fill_registration(&tab, 900).await?;
            tab.fill("phone", "621 000 900").await?;
            tab.click("#data_processing").await?;
            tab.click("#teleconsultation").await?;
            tab.click("main form button[type='submit']").await?;
            on_page(
                &tab,
                "/register",
                "fr",
                &[
                    "Veuillez corriger les points suivants",
                    "Saisissez un numéro de GSM avec l'indicatif du pays",
                ],
            )
            .await?;
            let described = tab
                .client
                .find(fantoccini::Locator::Css("#phone"))
                .await?
                .attr("aria-describedby")
                .await?
                .unwrap_or_default();
            anyhow::ensure!(described.contains("phone-error"), "{described}");
            // Typed values are kept (passwords are not); correct the phone and send again.
            anyhow::ensure!(tab.value_of("#email").await? == "patient900@example.lu");
            tab.fill("phone", form["phone"].as_str().unwrap_or_default())
                .await?;
            tab.fill("password", PASSWORD).await?;
            tab.fill("password_confirm", PASSWORD).await?;
            tab.click("main form button[type='submit']").await?;
            on_page(&tab, "/register/done", "fr", &["Consultez vos e-mails"]).await?;

            // The activation e-mail, from the real SMTP sink, opened in the browser.
            let mail = s
                .smtp
                .wait_for("patient900@example.lu", "activez votre compte", WAIT)
                .await?;
            tab.open(&link_in(&mail.body, "/activate?token=")?).await?;
            on_page(&tab, "/activate/done", "fr", &["Votre compte est activé"]).await?;
            tab.click("main a[href='/login']").await?;
            on_page(&tab, "/login", "fr", &["Mot de passe oublié ?"]).await?;

            // Password, then the code received by SMS: the patient's home page.
            log_in(&tab, &s.sms, "patient900@example.lu", &phone(900)).await?;
            on_page(
                &tab,
                "/home",
                "fr",
                &[
                    "Bonjour Zebulonia Quackenbush900.",
                    "Mes rendez-vous",
                    "Vous n'avez pas encore de rendez-vous.",
                    "Mes documents",
                ],
            )
            .await?;

            // My data: what is held, the consents, export and erasure offered.
            tab.click("main a[href='/me']").await?;
            on_page(
                &tab,
                "/me",
                "fr",
                &[
                    "Ce que nous conservons à votre sujet",
                    "1985-07-15",
                    "Retirer ce consentement",
                    "Télécharger mes données",
                ],
            )
            .await?;
            tab.click("a.danger[href='/me/erase']").await?;
            on_page(&tab, "/me/erase", "fr", &["Cette action est irréversible."]).await?;

            // Logging out ends the session.
            tab.click("nav.main form button").await?;
            on_page(&tab, "/", "fr", &["Se connecter"]).await?;
            tab.open("/home").await?;
            tab.wait_for_path("/login").await
        },
    )
    .await;
    result.map_err(|e| e.context(format!("daemon log:\n{}", s.daemon.logs())))
}

#[tokio::test]
async fn browser_journey_in_german_chosen_with_the_language_switcher() -> anyhow::Result<()> {
    let s = site().await?;
    let result = with_browser(
        "browser_journey_in_german_chosen_with_the_language_switcher",
        options(&s.daemon, "en-GB"),
        |tab| async move {
            // This patient uses a phone.
            tab.client.set_window_size(390, 844).await?;
            tab.open("/").await?;
            on_page(&tab, "/", "en", &["Create an account"]).await?;
            tab.click("form.languages button[value='de']").await?;
            on_page(&tab, "/", "de", &["Konto erstellen", "Was Sie brauchen"]).await?;

            tab.click("main a[href='/register']").await?;
            on_page(
                &tab,
                "/register",
                "de",
                &[
                    "Ihr Konto erstellen",
                    "Ich willige in eine Fernbehandlung ein",
                ],
            )
            .await?;
            anyhow::ensure!(tab.value_of("select[name='language']").await? == "de");
            fill_registration(&tab, 901).await?;
            tab.click("#data_processing").await?;
            tab.click("#teleconsultation").await?;
            tab.click("main form button[type='submit']").await?;
            on_page(&tab, "/register/done", "de", &["Prüfen Sie Ihre E-Mails"]).await?;

            // The e-mail is in German too; its link opens the German activation page.
            let mail = s
                .smtp
                .wait_for("patient901@example.lu", "Aktivieren Sie Ihr Konto", WAIT)
                .await?;
            tab.open(&link_in(&mail.body, "/activate?token=")?).await?;
            on_page(&tab, "/activate/done", "de", &["Ihr Konto ist aktiv"]).await?;
            tab.click("main a[href='/login']").await?;
            on_page(&tab, "/login", "de", &["Passwort vergessen?"]).await?;
            log_in(&tab, &s.sms, "patient901@example.lu", &phone(901)).await?;
            on_page(
                &tab,
                "/home",
                "de",
                &[
                    "Guten Tag, Zebulonia Quackenbush901.",
                    "Meine Termine",
                    "Sie haben noch keinen Termin.",
                ],
            )
            .await?;
            let sms = s.sms.messages();
            anyhow::ensure!(
                sms.iter().any(|m| m["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("Anmeldecode")),
                "the login SMS is in German: {sms:?}"
            );

            // Switching while logged in is remembered on the account: it survives losing the
            // language cookie.
            tab.click("form.languages button[value='pt']").await?;
            on_page(
                &tab,
                "/home",
                "pt",
                &["Olá, Zebulonia Quackenbush901.", "As minhas consultas"],
            )
            .await?;
            tab.client.delete_cookie("tc_lang").await?;
            tab.open("/me").await?;
            on_page(
                &tab,
                "/me",
                "pt",
                &["O que guardamos sobre si", "Português"],
            )
            .await
        },
    )
    .await;
    result.map_err(|e| e.context(format!("daemon log:\n{}", s.daemon.logs())))
}

/// A client that keeps cookies out of it and does not follow redirects (to see the 303s).
fn raw_client(daemon: &Daemon) -> anyhow::Result<reqwest::Client> {
    let pem = std::fs::read(certificate_of(daemon))?;
    Ok(reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem)?])
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}

#[tokio::test]
async fn browser_forms_refuse_missing_csrf_tokens_and_work_with_them() -> anyhow::Result<()> {
    let s = site().await?;
    let d = &s.daemon;
    let client = raw_client(d)?;
    register_and_activate(d, &s.smtp, &registration(902)).await?;
    let session = login(d, &s.sms, "patient902@example.lu", PASSWORD, &phone(902), 0).await?;
    let cookie = format!("tc_session={}", session.token);
    let form = |path: &str, cookie: &str, body: String| {
        client
            .post(d.url(path))
            .header("cookie", cookie.to_owned())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let me = || async {
        let response = d
            .client
            .get(d.url("/api/v1/me"))
            .header("authorization", session.bearer())
            .send()
            .await?;
        anyhow::Ok((
            response.status(),
            response.json::<Value>().await.unwrap_or_default(),
        ))
    };

    // Logged-in forms without, or with a wrong, CSRF token: 403, nothing happens.
    let wrong = "A".repeat(43);
    for (path, body) in [
        ("/logout", String::new()),
        ("/me/erase", "confirm=on".to_owned()),
        ("/me/erase", format!("confirm=on&csrf={wrong}")),
        ("/lang", "lang=pt&next=%2F".to_owned()),
        ("/me/consents/teleconsultation/withdraw", String::new()),
        (
            "/me",
            "phone=%2B352621999999&email=x%40example.lu&language=pt".to_owned(),
        ),
    ] {
        let response = form(path, &cookie, body).await?;
        assert_eq!(response.status(), 403, "{path}");
        assert!(
            response.text().await?.contains("Formulaire expiré"),
            "{path}: a page in the account's language"
        );
    }
    let (_, before) = me().await?;
    assert_eq!(before["language"], "fr", "language unchanged");
    assert_eq!(before["phone"], phone(902), "phone unchanged");
    assert!(
        before["patient"]["consents"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["withdrawn_at"].is_null())),
        "{before}"
    );

    // Pre-login forms need the double-submit token: missing, or not matching the cookie.
    let page = client.get(d.url("/login")).send().await?;
    let token = set_cookie(&page, "__Host-tc_csrf").unwrap_or_default();
    assert_eq!(token.len(), 43);
    let pre = format!("__Host-tc_csrf={token}");
    let credentials = "login=patient902%40example.lu&password=correct+horse+battery+staple";
    for (cookie, body) in [
        (pre.clone(), credentials.to_owned()),
        (String::new(), format!("csrf={token}&{credentials}")),
        (pre.clone(), format!("csrf={}&{credentials}", &token[1..])),
    ] {
        assert_eq!(form("/login", &cookie, body).await?.status(), 403);
    }
    assert_eq!(s.sms.messages().len(), 1, "no code sent for refused forms");
    // The same form from another site (as the browser labels it) is refused even with the token.
    let cross = client
        .post(d.url("/login"))
        .header("cookie", pre.clone())
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}&{credentials}"))
        .send()
        .await?;
    assert_eq!(cross.status(), 403);

    // With the right tokens the login forms work: password, code, a second session…
    let started = form("/login", &pre, format!("csrf={token}&{credentials}")).await?;
    assert_eq!(started.status(), 303);
    assert_eq!(started.headers()["location"], "/login/code");
    let challenge = set_cookie(&started, "__Host-tc_challenge").unwrap_or_default();
    let code = s.sms.code_for(&phone(902), 1, WAIT).await?;
    let opened = form(
        "/login/code",
        &format!("{pre}; __Host-tc_challenge={challenge}"),
        format!("csrf={token}&code={code}"),
    )
    .await?;
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/home");
    let second = format!(
        "tc_session={}",
        set_cookie(&opened, "tc_session").unwrap_or_default()
    );
    let home = client
        .get(d.url("/home"))
        .header("cookie", second.clone())
        .send()
        .await?;
    let home = home.text().await?;
    assert!(home.contains("Bonjour Zebulonia Quackenbush902."), "{home}");
    // …which its own logout form ends, leaving the first one alone.
    let csrf = csrf_field(&home).unwrap_or_default();
    assert_eq!(
        form("/logout", &second, format!("csrf={csrf}"))
            .await?
            .status(),
        303
    );
    let after = client
        .get(d.url("/home"))
        .header("cookie", second)
        .send()
        .await?;
    assert_eq!(after.headers()["location"], "/login");
    assert_eq!(me().await?.0, 200);

    // "My data" forms with the session's token: withdraw, rectify, export, erase.
    let csrf = &session.csrf;
    let withdrawn = form(
        "/me/consents/teleconsultation/withdraw",
        &cookie,
        format!("csrf={csrf}"),
    )
    .await?;
    assert_eq!(withdrawn.headers()["location"], "/me?done=withdrawn");
    let rectified = form(
        "/me",
        &cookie,
        format!(
            "csrf={csrf}&first_name=Zebulonia&last_name=Quackenbush902&phone=%2B352+621+999+902\
             &email=patient902%40example.lu&language=fr"
        ),
    )
    .await?;
    assert_eq!(rectified.headers()["location"], "/me?done=saved");
    let (_, now) = me().await?;
    assert_eq!(now["phone"], "+352621999902");
    let consents = now["patient"]["consents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        consents
            .iter()
            .any(|c| c["kind"] == "teleconsultation" && !c["withdrawn_at"].is_null()),
        "{now}"
    );
    let export = client
        .get(d.url("/me/export"))
        .header("cookie", cookie.clone())
        .send()
        .await?;
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-disposition"]
            .to_str()?
            .starts_with("attachment")
    );
    let data: Value = export.json().await?;
    assert_eq!(data["patient"]["last_name"], "Quackenbush902");
    assert!(data["account"].get("password_hash").is_none());

    let unconfirmed = form("/me/erase", &cookie, format!("csrf={csrf}")).await?;
    assert_eq!(unconfirmed.status(), 422);
    assert_eq!(me().await?.0, 200, "not erased without the confirmation");
    let erased = form("/me/erase", &cookie, format!("csrf={csrf}&confirm=on")).await?;
    assert_eq!(erased.status(), 200);
    assert!(
        erased
            .text()
            .await?
            .contains("Votre compte et vos données ont été supprimés.")
    );
    assert_eq!(me().await?.0, 401);
    Ok(())
}

#[tokio::test]
async fn browser_other_roles_land_on_their_own_home_page() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions {
        demo: true,
        ..Default::default()
    })
    .await?;
    // Each role's home page: a practitioner's day and hours, the site's day and the
    // administrators' pages.
    for (login, password, phone, name, role, shows) in [
        (
            "dr.weber",
            "demo doctor 2026",
            "+352621000002",
            "Dr Anne Weber",
            "praticien",
            &[
                "Ma journée",
                "href=\"/schedule/00000000-0000-0000-0000-00007c1e0001\"",
            ][..],
        ),
        (
            "admin",
            "demo admin 2026",
            "+352621000006",
            "Site Admin",
            "administrateur",
            &[
                "La journée du site",
                "href=\"/admin/users\"",
                "href=\"/sync\"",
            ][..],
        ),
    ] {
        let start = daemon
            .client
            .post(daemon.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"login": login, "password": password}))
            .send()
            .await?;
        assert_eq!(start.status(), 200, "{login}");
        let challenge = start.json::<Value>().await?["challenge_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // Demo mode shows the SMS on its outbox page, newest first.
        let code = teleconsult_tests::poll_until("the code on the outbox page", WAIT, || async {
            let page = daemon
                .client
                .get(daemon.url("/demo/outbox"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let newest = page.split("<article").nth(1)?;
            newest
                .contains(phone)
                .then(|| teleconsult_tests::sinks::six_digits(newest))
                .flatten()
        })
        .await?;
        let session = daemon
            .client
            .post(daemon.url("/api/v1/auth/otp"))
            .json(&serde_json::json!({"challenge_id": challenge, "code": code}))
            .send()
            .await?
            .json::<Value>()
            .await?;
        let token = session["token"].as_str().unwrap_or_default();
        let home = daemon
            .client
            .get(daemon.url("/home"))
            .header("cookie", format!("tc_session={token}"))
            .send()
            .await?
            .text()
            .await?;
        assert!(
            home.contains(&format!(
                "Bonjour {name}, vous êtes connecté en tant que {role}."
            )),
            "{home}"
        );
        for text in shows {
            assert!(home.contains(text), "{login}: {text} missing in {home}");
        }
        assert!(!home.contains("Mes rendez-vous"), "no patient sections");
    }
    Ok(())
}

#[tokio::test]
async fn browser_password_reset_through_the_pages() -> anyhow::Result<()> {
    let s = site().await?;
    let d = &s.daemon;
    let client = raw_client(d)?;
    register_and_activate(d, &s.smtp, &registration(903)).await?;
    let old = login(d, &s.sms, "patient903@example.lu", PASSWORD, &phone(903), 0).await?;

    // Ask for a link (the answer is the same whether the login exists or not).
    let page = client.get(d.url("/password-reset")).send().await?;
    let token = set_cookie(&page, "__Host-tc_csrf").unwrap_or_default();
    let pre = format!("__Host-tc_csrf={token}");
    let post = |path: &str, body: String| {
        client
            .post(d.url(path))
            .header("cookie", pre.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let asked = post(
        "/password-reset",
        format!("csrf={token}&login=patient903%40example.lu"),
    )
    .await?;
    assert_eq!(asked.status(), 200);
    assert!(
        asked
            .text()
            .await?
            .contains("Si un compte existe pour cet identifiant")
    );
    let mail = s
        .smtp
        .wait_for("patient903@example.lu", "réinitialisation", WAIT)
        .await?;
    let link = link_in(&mail.body, "/password-reset?token=")?;
    let reset = link.split("token=").nth(1).unwrap_or_default().to_owned();

    // The link opens the new-password form, in the account's language.
    let form = client
        .get(d.url(&format!("/password-reset?token={reset}")))
        .header("accept-language", "en")
        .send()
        .await?
        .text()
        .await?;
    assert!(
        form.contains("<html lang=\"fr\">") && form.contains("Choisissez un nouveau mot de passe")
    );
    let confirm = |password: &str, again: &str| {
        post(
            "/password-reset/confirm",
            format!("csrf={token}&token={reset}&password={password}&password_confirm={again}"),
        )
    };
    let differ = confirm("another+long+passphrase+here", "another+long+passphrase").await?;
    assert_eq!(differ.status(), 422);
    assert!(
        differ
            .text()
            .await?
            .contains("Les deux mots de passe sont différents.")
    );
    let weak = confirm("short", "short").await?;
    assert_eq!(weak.status(), 422);
    assert!(
        weak.text()
            .await?
            .contains("Ce mot de passe n'est pas assez sûr")
    );
    let done = confirm(
        "another+long+passphrase+here",
        "another+long+passphrase+here",
    )
    .await?;
    assert_eq!(done.status(), 200);
    assert!(
        done.text()
            .await?
            .contains("Votre mot de passe a été modifié.")
    );

    // The link works once; older sessions are over; the new password logs in.
    let again = confirm("yet+another+long+passphrase", "yet+another+long+passphrase").await?;
    assert_eq!(again.status(), 400);
    let me = d
        .client
        .get(d.url("/api/v1/me"))
        .header("authorization", old.bearer())
        .send()
        .await?;
    assert_eq!(me.status(), 401);
    login(
        d,
        &s.sms,
        "patient903@example.lu",
        "another long passphrase here",
        &phone(903),
        1,
    )
    .await?;
    Ok(())
}

const DR_WEBER: &str = "00000000-0000-0000-0000-00007c1e0001";

/// Issue #5's journey in pages, on the demo site: a patient logs in, searches a practitioner,
/// opens the week of free slots, picks one, first forgets the relative's identity (errors on
/// the fields), then books for a new relative; the confirmation arrives by SMS and e-mail
/// (with the `.ics`), the patient's home page lists it, and the practitioner finds it in their
/// day with the relative's name and the reason. Every page passes axe-core.
#[tokio::test]
async fn browser_search_calendar_and_book_for_a_relative() -> anyhow::Result<()> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let daemon = Daemon::start(DaemonOptions {
        demo: true,
        extra_config: sinks_config(&smtp, &sms),
        ..Default::default()
    })
    .await?;
    let form = registration(950);
    register_and_activate(&daemon, &smtp, &form).await?;
    let email = form["email"].as_str().unwrap_or_default().to_owned();
    let child_id = teleconsult_tests::national_ids::luxembourg("20150310", 951);
    with_browser(
        "browser_search_calendar_and_book_for_a_relative",
        options(&daemon, "fr-FR"),
        |tab| {
            let sms = &sms;
            let smtp = &smtp;
            let email = &email;
            let child_id = &child_id;
            async move {
                tab.open("/login").await?;
                log_in(&tab, sms, email, &phone(950)).await?;
                on_page(
                    &tab,
                    "/home",
                    "fr",
                    &["Mes rendez-vous", "Vous n'avez pas encore de rendez-vous"],
                )
                .await?;
                tab.click("main a[href='/book']").await?;
                on_page(
                    &tab,
                    "/book",
                    "fr",
                    &["Prendre rendez-vous", "Praticiens trouvés"],
                )
                .await?;
                tab.fill("q", "weber").await?;
                tab.click("form.search button[type='submit']").await?;
                tab.wait_for_path("/book").await?;
                tab.expect_text(&["Praticiens trouvés : 1", "Dr Anne Weber"])
                    .await?;
                tab.click(&format!("main a[href='/book/{DR_WEBER}']"))
                    .await?;
                let calendar = format!("/book/{DR_WEBER}");
                on_page(&tab, &calendar, "fr", &["Dr Anne Weber", "Semaine du"]).await?;
                let href = tab
                    .client
                    .find(fantoccini::Locator::Css("a.slot"))
                    .await?
                    .attr("href")
                    .await?
                    .unwrap_or_default();
                anyhow::ensure!(href.contains("start="), "slot link {href}");
                let start = href.split("start=").nth(1).unwrap_or_default().to_owned();
                tab.click("a.slot").await?;
                let slot_page = format!("/book/{DR_WEBER}/slot");
                on_page(
                    &tab,
                    &slot_page,
                    "fr",
                    &["Confirmer le rendez-vous", "Pour qui est ce rendez-vous ?"],
                )
                .await?;

                // A new relative without an identity: each missing field is reported.
                tab.click("#for_whom-new").await?;
                tab.click("#confirm").await?;
                tab.click("main form button[type='submit']").await?;
                shows(&tab, "Veuillez corriger les points suivants").await?;
                on_page(
                    &tab,
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
                on_page(
                    &tab,
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
                on_page(
                    &tab,
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
                shows(&tab, "Dossier médical enregistré").await?;
                on_page(&tab, &record, "fr", &["Amoxicilline : éruption"]).await?;

                tab.open("/home").await?;
                on_page(
                    &tab,
                    "/home",
                    "fr",
                    &["Dr Anne Weber", "Pour Noé Quackenbush950"],
                )
                .await?;

                // The practitioner's day shows it, with the reason.
                tab.click("header form[action='/logout'] button").await?;
                tab.wait_for_path("/").await?;
                tab.open("/login").await?;
                log_in_as(&tab, sms, "dr.weber", "demo doctor 2026", "+352621000002").await?;
                tab.wait_for_path("/home").await?;
                let date = start.get(..10).unwrap_or_default();
                tab.open(&format!("/home?date={date}")).await?;
                on_page(
                    &tab,
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
                on_page(
                    &tab,
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
                on_page(
                    &tab,
                    &conversation,
                    "fr",
                    &["Aucun message pour l’instant", "Votre message"],
                )
                .await?;
                tab.fill("text", "Bonjour, comment va Noé ce matin ?")
                    .await?;
                tab.click("main form button[type='submit']").await?;
                shows(&tab, "Message envoyé").await?;
                on_page(
                    &tab,
                    &conversation,
                    "fr",
                    &["Bonjour, comment va Noé ce matin ?"],
                )
                .await?;
                tab.open("/messages").await?;
                on_page(&tab, "/messages", "fr", &["Noé Quackenbush950"]).await?;
                Ok(())
            }
        },
    )
    .await
}

/// [`log_in_as`] when the phone already received `nth` text messages (codes, confirmations).
async fn log_in_nth(
    tab: &Tab,
    sms: &SmsSink,
    login: &str,
    password: &str,
    phone: &str,
    nth: usize,
) -> anyhow::Result<()> {
    tab.fill("login", login).await?;
    tab.fill("password", password).await?;
    tab.click("main form button[type='submit']").await?;
    tab.wait_for_path("/login/code").await?;
    let code = sms.code_for(phone, nth, WAIT).await?;
    tab.fill("code", &code).await?;
    tab.click("main form button[type='submit']").await
}

/// Issue #7's journey in pages, on the demo site: a patient booked Dr Weber through the API;
/// Dr Weber logs in, opens the appointment, adds a medicine line, first forgets a posology
/// (the error is on that row's field), then issues the prescription and lands on its page.
/// The patient logs in, finds it among their documents on the home page, opens it, and its
/// PDF link answers a PDF. Every page passes axe-core and the touch-target check.
#[tokio::test]
async fn browser_practitioner_issues_a_prescription_the_patient_finds_it() -> anyhow::Result<()> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let daemon = Daemon::start(DaemonOptions {
        demo: true,
        extra_config: sinks_config(&smtp, &sms),
        ..Default::default()
    })
    .await?;
    let form = registration(990);
    register_and_activate(&daemon, &smtp, &form).await?;
    let email = form["email"].as_str().unwrap_or_default().to_owned();
    let patient = login(&daemon, &sms, &email, PASSWORD, &phone(990), 0).await?;
    let appointment = teleconsult_tests::booking::book_id_with_lead(
        &daemon,
        &patient,
        DR_WEBER,
        teleconsult_tests::booking::MIN_LEAD,
        serde_json::json!({"reason": "angine"}),
    )
    .await?;
    with_browser(
        "browser_practitioner_issues_a_prescription_the_patient_finds_it",
        options(&daemon, "fr-FR"),
        |tab| {
            let sms = &sms;
            let email = &email;
            let appointment = &appointment;
            async move {
                tab.open("/login").await?;
                log_in_as(&tab, sms, "dr.weber", "demo doctor 2026", "+352621000002").await?;
                tab.wait_for_path("/home").await?;
                let page = format!("/appointments/{appointment}");
                tab.open(&page).await?;
                on_page(
                    &tab,
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
                on_page(
                    &tab,
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
                shows(&tab, "Médicament 4").await?;
                on_page(&tab, &new, "fr", &["Médicament 4"]).await?;
                anyhow::ensure!(tab.value_of("[name='items[0].dose']").await? == "1 g");

                // The posology is missing: the error is on that field, in the summary too.
                tab.click("button[name='issue']").await?;
                shows(&tab, "Indiquez la posologie").await?;
                on_page(
                    &tab,
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
                on_page(
                    &tab,
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
                let received = sms
                    .messages()
                    .into_iter()
                    .filter(|m| m["to"] == phone(990))
                    .count();
                tab.open("/login").await?;
                log_in_nth(&tab, sms, email, PASSWORD, &phone(990), received).await?;
                on_page(
                    &tab,
                    "/home",
                    "fr",
                    &["Mes documents", "Ordonnance médicale", "Dr Anne Weber"],
                )
                .await?;
                tab.click(&format!("main a[href='{document}']")).await?;
                on_page(
                    &tab,
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
