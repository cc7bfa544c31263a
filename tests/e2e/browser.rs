//! The patient journey of the seeds in a real headless Chromium, with the real daemon and real
//! SMTP and SMS sinks: register → activation e-mail → open its link → log in → SMS code → home
//! page; in French (the browser's language) and in German (chosen with the language switcher,
//! then remembered on the account, on a phone-sized window). axe-core checks every page visited,
//! and that none scrolls sideways or has touch targets under 44 px. Also: HTML forms without
//! the right CSRF token are refused. The booking and document journeys are in
//! `browser_booking.rs`.

use serde_json::Value;
use std::time::Duration;
use teleconsult_tests::accounts::{
    PASSWORD, WAIT, login, phone, register_and_activate, registration,
};
use teleconsult_tests::browser::{BrowserOptions, Tab, with_browser};
use teleconsult_tests::pages::{csrf_field, set_cookie};
use teleconsult_tests::site::Site;
use teleconsult_tests::{Daemon, DaemonOptions};

/// The first line of an e-mail body holding `needle` (the link to open).
fn link_in(body: &str, needle: &str) -> anyhow::Result<String> {
    body.lines()
        .map(str::trim)
        .find(|l| l.starts_with("https://") && l.contains(needle))
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no {needle} link in:\n{body}"))
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

#[tokio::test]
async fn browser_register_activate_and_log_in_in_french() -> anyhow::Result<()> {
    let s = Site::real("").await?;
    let result = with_browser(
        "browser_register_activate_and_log_in_in_french",
        BrowserOptions::for_daemon(&s, "fr-FR"),
        |tab| async move {
            // The browser speaks French: so does the site, unasked.
            tab.open("/").await?;
            tab.on_page("/", "fr", &["Créer un compte", "Ce qu'il vous faut"])
                .await?;
            tab.click("main a[href='/register']").await?;
            tab.on_page(
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
            tab.on_page(
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
            tab.on_page("/register/done", "fr", &["Consultez vos e-mails"])
                .await?;

            // The activation e-mail, from the real SMTP sink, opened in the browser.
            let mail = s
                .smtp
                .wait_for("patient900@example.lu", "activez votre compte", WAIT)
                .await?;
            // The link opens a page whose button activates (a GET activates nothing).
            tab.open(&link_in(&mail.body, "/activate?token=")?).await?;
            tab.on_page("/activate", "fr", &["Activer mon compte"])
                .await?;
            tab.click("main form button[type='submit']").await?;
            tab.on_page("/activate/done", "fr", &["Votre compte est activé"])
                .await?;
            tab.click("main a[href='/login']").await?;
            tab.on_page("/login", "fr", &["Mot de passe oublié ?"])
                .await?;

            // Password, then the code received by SMS: the patient's home page.
            tab.log_in(&s.sms, "patient900@example.lu", PASSWORD, &phone(900))
                .await?;
            tab.on_page(
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
            tab.on_page(
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
            tab.on_page("/me/erase", "fr", &["Cette action est irréversible."])
                .await?;

            // Logging out ends the session.
            tab.click("nav.main form button").await?;
            tab.on_page("/", "fr", &["Se connecter"]).await?;
            tab.open("/home").await?;
            tab.wait_for_path("/login").await
        },
    )
    .await;
    result.map_err(|e| e.context(format!("daemon log:\n{}", s.daemon.logs())))
}

#[tokio::test]
async fn browser_journey_in_german_chosen_with_the_language_switcher() -> anyhow::Result<()> {
    let s = Site::real("").await?;
    let result = with_browser(
        "browser_journey_in_german_chosen_with_the_language_switcher",
        BrowserOptions::for_daemon(&s, "en-GB"),
        |tab| async move {
            // This patient uses a phone.
            tab.client.set_window_size(390, 844).await?;
            tab.open("/").await?;
            tab.on_page("/", "en", &["Create an account"]).await?;
            tab.click("form.languages button[value='de']").await?;
            tab.on_page("/", "de", &["Konto erstellen", "Was Sie brauchen"])
                .await?;

            tab.click("main a[href='/register']").await?;
            tab.on_page(
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
            tab.on_page("/register/done", "de", &["Prüfen Sie Ihre E-Mails"])
                .await?;

            // The e-mail is in German too; its link opens the German activation page.
            let mail = s
                .smtp
                .wait_for("patient901@example.lu", "Aktivieren Sie Ihr Konto", WAIT)
                .await?;
            tab.open(&link_in(&mail.body, "/activate?token=")?).await?;
            tab.on_page("/activate", "de", &["Mein Konto aktivieren"])
                .await?;
            tab.click("main form button[type='submit']").await?;
            tab.on_page("/activate/done", "de", &["Ihr Konto ist aktiv"])
                .await?;
            tab.click("main a[href='/login']").await?;
            tab.on_page("/login", "de", &["Passwort vergessen?"])
                .await?;
            tab.log_in(&s.sms, "patient901@example.lu", PASSWORD, &phone(901))
                .await?;
            tab.on_page(
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
            tab.on_page(
                "/home",
                "pt",
                &["Olá, Zebulonia Quackenbush901.", "As minhas consultas"],
            )
            .await?;
            tab.client.delete_cookie("tc_lang").await?;
            tab.open("/me").await?;
            tab.on_page("/me", "pt", &["O que guardamos sobre si", "Português"])
                .await
        },
    )
    .await;
    result.map_err(|e| e.context(format!("daemon log:\n{}", s.daemon.logs())))
}

/// A client that keeps cookies out of it and does not follow redirects (to see the 303s).
fn raw_client(daemon: &Daemon) -> anyhow::Result<reqwest::Client> {
    let pem = std::fs::read(daemon.certificate_path())?;
    Ok(reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem)?])
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}

#[tokio::test]
async fn browser_forms_refuse_missing_csrf_tokens_and_work_with_them() -> anyhow::Result<()> {
    let s = Site::real("").await?;
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
        "__Host-tc_session={}",
        set_cookie(&opened, "__Host-tc_session").unwrap_or_default()
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
    // A new phone needs the password and a code sent to the current phone.
    let fields = "first_name=Zebulonia&last_name=Quackenbush902&phone=%2B352+621+999+902\
                  &email=patient902%40example.lu&language=fr";
    let unconfirmed = form("/me", &cookie, format!("csrf={csrf}&{fields}")).await?;
    assert_eq!(unconfirmed.status(), 403);
    let sent = form(
        "/me/confirmation-code",
        &cookie,
        format!("csrf={csrf}&purpose=contact_change"),
    )
    .await?;
    assert_eq!(sent.headers()["location"], "/me?done=code-sent");
    let code = s.sms.code_for(&phone(902), 2, WAIT).await?;
    let rectified = form(
        "/me",
        &cookie,
        format!("csrf={csrf}&{fields}&password=correct+horse+battery+staple&code={code}"),
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
    let unconfirmed = form("/me/erase", &cookie, format!("csrf={csrf}&confirm=on")).await?;
    assert_eq!(
        unconfirmed.status(),
        403,
        "not erased without password and code"
    );
    let sent = form(
        "/me/confirmation-code",
        &cookie,
        format!("csrf={csrf}&purpose=erasure"),
    )
    .await?;
    assert_eq!(sent.headers()["location"], "/me/erase?sent=1");
    let code = s.sms.code_for("+352621999902", 0, WAIT).await?;
    let erased = form(
        "/me/erase",
        &cookie,
        format!("csrf={csrf}&confirm=on&password=correct+horse+battery+staple&code={code}"),
    )
    .await?;
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
    let s = Site::real("").await?;
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
