//! Accounts (issue #18, items 7 and 8): a new phone or e-mail and an erasure need the password
//! and a code sent to the current phone, and the old address is told; registration does not
//! reveal what is registered; registrations never activated expire; the activation link opens a
//! page whose button activates (a GET activates nothing).

use anyhow::Context;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::Daemon;
use teleconsult_tests::accounts::{Login, PASSWORD, WAIT, confirmation_code, phone, registration};
use teleconsult_tests::pages::{csrf_field, set_cookie};
use teleconsult_tests::sinks::{SmtpSink, link_token};
use teleconsult_tests::site::Site;

async fn patch_me(d: &Daemon, who: &Login, body: &Value) -> anyhow::Result<(u16, Value)> {
    d.send(Some(who), Method::PATCH, "/api/v1/me", Some(body))
        .await
}

async fn delete_me(d: &Daemon, who: &Login, body: Option<&Value>) -> anyhow::Result<(u16, Value)> {
    d.send(Some(who), Method::DELETE, "/api/v1/me", body).await
}

/// A six-digit code that is not `code`.
fn other_code(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect()
}

async fn mails_to(smtp: &SmtpSink, to: &str, subject: &str) -> usize {
    smtp.mails()
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to) && m.subject.contains(subject))
        .count()
}

#[tokio::test]
async fn a_stolen_session_cannot_change_the_phone_or_the_email_or_erase() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let (d, smtp, sms) = (&site.daemon, &site.smtp, &site.sms);
    site.register(750).await?;
    let email = "patient750@example.lu";
    // The attacker holds this session's token, nothing else.
    let stolen = site.login_patient(750).await?;
    let attacker_phone = "+352691666750";

    for change in [
        json!({"phone": attacker_phone}),
        json!({"email": "attacker@example.lu"}),
    ] {
        let (status, body) = patch_me(d, &stolen, &change).await?;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("confirmation_required")),
            "{body}"
        );
    }
    let (status, body) = delete_me(d, &stolen, None).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("confirmation_required"))
    );

    // Asking for a code sends it to the phone the account has now, never to the new one.
    let code = confirmation_code(d, sms, &stolen, "contact_change", &phone(750), 1).await?;
    assert!(
        sms.messages().iter().all(|m| m["to"] != attacker_phone),
        "nothing went to the attacker's number"
    );
    // Without the password the code is useless, and a guessed code too.
    let guesses = [
        json!({"phone": attacker_phone, "password": "letmein-123456", "code": code}),
        json!({"phone": attacker_phone, "password": PASSWORD, "code": other_code(&code)}),
    ];
    for guess in &guesses {
        let (status, body) = patch_me(d, &stolen, guess).await?;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_confirmation")),
            "{body}"
        );
    }
    let me = d.get_ok(&stolen, "/api/v1/me").await?;
    assert_eq!(me["phone"], phone(750), "unchanged");

    // The owner, with her password and the code her phone received: changed; the code
    // works once; the old address and the old phone are told.
    let new_phone = "+352691000750";
    let change = json!({"phone": "+352 691 000 750", "password": PASSWORD, "code": code});
    let (status, body) = patch_me(d, &stolen, &change).await?;
    assert_eq!(
        (status, body["phone"].as_str()),
        (200, Some(new_phone)),
        "{body}"
    );
    let (status, _) = patch_me(
        d,
        &stolen,
        &json!({"phone": "+352691000751", "password": PASSWORD, "code": code}),
    )
    .await?;
    assert_eq!(status, 403, "a code works once");
    let notice = smtp.wait_for(email, "coordonnées", WAIT).await?;
    assert!(notice.body.contains("+352…50"), "{}", notice.body);
    teleconsult_tests::poll_until("the SMS notice to the old phone", WAIT, || async {
        sms.messages()
            .iter()
            .any(|m| {
                m["to"] == phone(750) && m["text"].as_str().is_some_and(|t| t.contains("modifié"))
            })
            .then_some(())
    })
    .await?;

    // A code is bound to the session that asked for it.
    let other = site.login_as(email, PASSWORD, new_phone).await?;
    let code = confirmation_code(d, sms, &stolen, "contact_change", new_phone, 1).await?;
    let elsewhere = json!({"email": "anne.new@example.lu", "password": PASSWORD, "code": code});
    let (status, body) = patch_me(d, &other, &elsewhere).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_confirmation"))
    );
    // ... and to its purpose: a code for a change does not erase.
    let (status, _) = delete_me(
        d,
        &stolen,
        Some(&json!({"password": PASSWORD, "code": code})),
    )
    .await?;
    assert_eq!(status, 403);
    let (status, body) = patch_me(d, &stolen, &elsewhere).await?;
    assert_eq!(
        (status, body["email"].as_str()),
        (200, Some("anne.new@example.lu"))
    );
    teleconsult_tests::poll_until("a second notice to the old address", WAIT, || async {
        (mails_to(smtp, email, "coordonnées").await == 2).then_some(())
    })
    .await?;
    site.login_as("anne.new@example.lu", PASSWORD, new_phone)
        .await?;

    // Erasure, with the password and an erasure code.
    let code = confirmation_code(d, sms, &stolen, "erasure", new_phone, 3).await?;
    let (status, body) = delete_me(
        d,
        &stolen,
        Some(&json!({"password": PASSWORD, "code": code})),
    )
    .await?;
    assert_eq!(
        (status, body["erased"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    smtp.wait_for("anne.new@example.lu", "supprimé", WAIT)
        .await?;
    Ok(())
}

#[tokio::test]
async fn thirty_racing_confirmations_use_a_code_once_and_void_it_after_three_wrong_tries()
-> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let (d, sms) = (&site.daemon, &site.sms);
    let who = site.patient(760).await?;

    let code = confirmation_code(d, sms, &who, "contact_change", &phone(760), 1).await?;
    let changes: Vec<Value> = (0..30)
        .map(|n| json!({"phone": format!("+35269100{n:04}"), "password": PASSWORD, "code": code}))
        .collect();
    let answers = join_all(changes.iter().map(|c| patch_me(d, &who, c))).await;
    let mut changed = Vec::new();
    for answer in answers {
        match answer? {
            (200, body) => changed.push(body["phone"].clone()),
            (status, body) => assert_eq!(
                (status, body["error"].as_str()),
                (403, Some("invalid_confirmation")),
                "{body}"
            ),
        }
    }
    assert_eq!(changed.len(), 1, "one change per code: {changed:?}");
    let new_phone = changed[0].as_str().context("no phone")?.to_owned();

    // Thirty wrong codes at once: the code takes three, then it is void; the right one then
    // fails too.
    let code = confirmation_code(d, sms, &who, "contact_change", &new_phone, 0).await?;
    let wrong = json!({"phone": "+352691999760", "password": PASSWORD, "code": other_code(&code)});
    let answers = join_all((0..30).map(|_| patch_me(d, &who, &wrong))).await;
    let mut messages = Vec::new();
    for answer in answers {
        let (status, body) = answer?;
        assert_eq!(status, 403, "{body}");
        messages.push(body["message"].as_str().unwrap_or_default().to_owned());
    }
    let count = |needle: &str| messages.iter().filter(|m| m.contains(needle)).count();
    assert_eq!(count("attempt(s) left"), 2, "{messages:?}");
    assert_eq!(count("mistyped too often"), 1, "{messages:?}");
    assert_eq!(count("no code is waiting"), 27, "{messages:?}");
    let right = json!({"phone": "+352691999760", "password": PASSWORD, "code": code});
    assert_eq!(patch_me(d, &who, &right).await?.0, 403, "void");
    Ok(())
}

/// Registers `form`; the status and the body's keys (what an observer sees).
async fn register(d: &Daemon, form: &Value) -> anyhow::Result<(u16, Vec<String>, String)> {
    let (status, body) = d
        .send(None, Method::POST, "/api/v1/patients", Some(form))
        .await?;
    let keys = body
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    Ok((
        status,
        keys,
        body["id"].as_str().unwrap_or_default().to_owned(),
    ))
}

#[tokio::test]
async fn registration_answers_the_same_whatever_is_registered() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let (d, smtp) = (&site.daemon, &site.smtp);
    let owner = registration(800);
    site.register(800).await?;
    let mut same_email = registration(802);
    same_email["email"] = owner["email"].clone();
    let mut same_id = registration(803);
    same_id["national_id"] = owner["national_id"].clone();
    let fresh = registration(801);

    let mut ids = Vec::new();
    for form in [&fresh, &same_email, &same_id] {
        let (status, keys, id) = register(d, form).await?;
        assert_eq!((status, keys), (201, vec!["id".to_owned()]));
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "a fresh id each time");

    // What happened is told to the mailboxes concerned only.
    smtp.wait_for("patient801@example.lu", "activez", WAIT)
        .await?;
    smtp.wait_for("patient800@example.lu", "avec votre adresse", WAIT)
        .await?;
    smtp.wait_for("patient800@example.lu", "numéro d'identification", WAIT)
        .await?;
    smtp.wait_for("patient803@example.lu", "n'a pas pu aboutir", WAIT)
        .await?;
    assert_eq!(mails_to(smtp, "patient803@example.lu", "activez").await, 0);
    // Nothing was created or changed for the taken ones.
    let refused = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient803@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    assert_eq!(refused.status(), 401);
    site.login_patient(800).await?;

    // Thirty registrations of one new person at once: one account, one activation e-mail,
    // the same answer to all.
    let racing = registration(810);
    let answers = join_all((0..30).map(|_| register(d, &racing))).await;
    for answer in answers {
        let (status, keys, _) = answer?;
        assert_eq!((status, keys), (201, vec!["id".to_owned()]));
    }
    teleconsult_tests::poll_until("thirty e-mails to patient810", WAIT, || async {
        (smtp
            .mails()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == "patient810@example.lu"))
            .count()
            == 30)
            .then_some(())
    })
    .await?;
    assert_eq!(mails_to(smtp, "patient810@example.lu", "activez").await, 1);
    assert_eq!(
        mails_to(smtp, "patient810@example.lu", "avec votre adresse").await,
        29
    );
    Ok(())
}

#[tokio::test]
async fn opening_the_activation_link_activates_nothing_until_the_button_is_pressed()
-> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let (d, smtp) = (&site.daemon, &site.smtp);
    let form = registration(820);
    assert_eq!(register(d, &form).await?.0, 201);
    let mail = smtp
        .wait_for("patient820@example.lu", "activez", WAIT)
        .await?;
    let token = link_token(&mail.body).context("no link")?;
    let client = d.client_without_redirects()?;
    // A mail scanner follows the link (twice, say): a page, nothing more.
    let mut page = None;
    for _ in 0..2 {
        let opened = client
            .get(d.url(&format!("/activate?token={token}")))
            .send()
            .await?;
        assert_eq!(opened.status(), 200);
        let pre = set_cookie(&opened, "__Host-tc_csrf");
        let html = opened.text().await?;
        assert!(html.contains("action=\"/activate\""), "{html}");
        page = Some((pre, html));
    }
    let early = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient820@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    assert_eq!(early.json::<Value>().await?["error"], "not_activated");

    // The person presses the button: a POST with the page's CSRF token.
    let (pre, html) = page.context("no page")?;
    let pre = pre.context("no pre-session cookie")?;
    let csrf = csrf_field(&html).context("no csrf field")?;
    let pressed = client
        .post(d.url("/activate"))
        .header("cookie", format!("__Host-tc_csrf={pre}"))
        .form(&[("csrf", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await?;
    assert_eq!(pressed.status(), 303);
    assert_eq!(pressed.headers()["location"], "/activate/done");
    site.login_patient(820).await?;
    Ok(())
}

#[tokio::test]
async fn an_unactivated_registration_expires_and_frees_its_national_id_and_email()
-> anyhow::Result<()> {
    let mut site = Site::demo("").await?;
    let (old, young) = (registration(830), registration(831));
    for form in [&old, &young] {
        assert_eq!(register(&site, form).await?.0, 201);
    }
    site.smtp
        .wait_for("patient830@example.lu", "activez", WAIT)
        .await?;
    site.terminate(Duration::from_secs(10)).await?;
    // Two days pass for the first registration (its creation moved back, the clock cannot be).
    {
        let store = teleconsult_tests::daemon::open_store(&site)?;
        let pending = store
            .account_by_login("patient830@example.lu")?
            .context("no pending account")?;
        store.change_account(
            pending.id,
            |account| {
                account.created_at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(49);
                Ok::<_, std::convert::Infallible>(())
            },
            None,
        )??;
    }
    // The daemon's sweeper removes it at start-up (and every 15 minutes).
    site.spawn().await?;
    teleconsult_tests::poll_until("the sweeper's report", WAIT, || async {
        site.logs()
            .contains("expired registrations removed")
            .then_some(())
    })
    .await?;

    // Its national id and e-mail are free again: the same person registers and activates (a
    // new link); the young registration still holds its own.
    assert_eq!(register(&site, &old).await?.0, 201);
    let mail = teleconsult_tests::poll_until("a second activation e-mail", WAIT, || async {
        let mut sent = site
            .smtp
            .mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == "patient830@example.lu"));
        sent.nth(1)
    })
    .await?;
    assert!(mail.subject.contains("activez"), "{}", mail.subject);
    let token = link_token(&mail.body).context("no link")?;
    let (status, body) = site
        .send(
            None,
            Method::POST,
            "/api/v1/patients/activate",
            Some(&json!({"token": token})),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    site.login_patient(830).await?;
    assert_eq!(register(&site, &young).await?.0, 201);
    site.smtp
        .wait_for("patient831@example.lu", "avec votre adresse", WAIT)
        .await?;
    Ok(())
}
