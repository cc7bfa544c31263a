//! The second factor that needs no network (issue #19, item 5): an authenticator app (TOTP,
//! RFC 6238) set up through the API or the pages, logins that take its code instead of an SMS,
//! each code accepted once (also by 30 requests at once), wrong codes locking like SMS codes,
//! removal with the password and a code, and a site that offers SMS only. Codes come from the
//! test's own implementation (`teleconsult_tests::totp`), not the daemon's. The administrator's
//! reset and the login with the WAN down are in `totp_admin.rs`.

use anyhow::Context;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use teleconsult_tests::accounts::{PASSWORD, WAIT, phone};
use teleconsult_tests::pages::{csrf_field, get_page, page_login, post_form, set_cookie};
use teleconsult_tests::poll_until;
use teleconsult_tests::site::{DEMO_PATIENT, Site};
use teleconsult_tests::totp::{
    App, app_challenge, code_step, password_step, set_up_app, wrong_code,
};

/// The subject of the e-mails telling an owner their second factor changed (accounts here
/// speak French).
const NOTICE: &str = "second facteur";

/// Waits until every SMS queued so far has been delivered — one more login by SMS, the demo
/// patient's, whose code is delivered after whatever was queued before it — and returns how
/// many SMS `to` has received then.
async fn sms_settled(site: &Site, to: &str) -> anyhow::Result<usize> {
    site.login(&DEMO_PATIENT).await?;
    Ok(site.sms_count(to))
}

#[tokio::test]
async fn an_app_set_up_through_the_api_replaces_the_sms_and_each_code_works_once()
-> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let who = site.patient(901).await?;
    let email = "patient901@example.lu";

    let (status, body) = site.get(&who, "/api/v1/me/totp").await?;
    assert_eq!(
        (status, &body["offered"], &body["enrolled"]),
        (200, &json!(true), &json!(false)),
        "{body}"
    );
    // The password is required: a stolen session alone cannot move the second factor.
    let (s, w) = (&site, &who);
    let start = |body: Value| async move { s.post(w, "/api/v1/me/totp", &body).await };
    let (status, body) = start(json!({})).await?;
    assert_eq!(status, 422, "{body}");
    let (status, body) = start(json!({"password": "not the password"})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_password"))
    );
    // A wrong first code leaves the set-up pending.
    let (status, started) = start(json!({"password": PASSWORD})).await?;
    assert_eq!(status, 201, "{started}");
    let app = App::from_uri(started["otpauth_uri"].as_str().context("uri")?)?;
    let wrong = json!({"code": wrong_code(&app)});
    let (status, body) = site.post(&who, "/api/v1/me/totp/confirm", &wrong).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_code"))
    );
    let (_, body) = site.get(&who, "/api/v1/me/totp").await?;
    assert_eq!(
        (&body["pending"], &body["enrolled"]),
        (&json!(true), &json!(false))
    );
    // Still by SMS while pending.
    let (_, body) = password_step(&site, email, PASSWORD).await?;
    assert_eq!(body["factor"], "sms", "{body}");

    // Started again (a new secret), confirmed with its first code.
    let mut app = set_up_app(&site, &who, PASSWORD).await?;
    let (_, body) = site.get(&who, "/api/v1/me/totp").await?;
    assert_eq!(
        (&body["pending"], &body["enrolled"]),
        (&json!(false), &json!(true))
    );
    let (status, body) = start(json!({"password": PASSWORD})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("totp_already_enrolled"))
    );
    site.smtp.wait_for(email, NOTICE, WAIT).await?;
    // The GDPR export says there is an app, never its secret.
    let exported = site.get_ok(&who, "/api/v1/me/export").await?;
    let export = exported.to_string();
    assert!(
        !export.contains("\"secret\""),
        "no secret in the export: {export}"
    );
    assert_eq!(exported["account"]["authenticator_app"], true);
    assert!(
        exported["account"].get("totp").is_none(),
        "{}",
        exported["account"]
    );

    // The login takes the app's code; no SMS goes out (counted once the SMS of the login
    // while pending has arrived).
    let smsed = sms_settled(&site, &phone(901)).await?;
    let challenge = app_challenge(&site, email, PASSWORD).await?;
    let code = app.fresh_code().await?;
    let (status, body) = code_step(&site, &challenge, &code).await?;
    assert_eq!(status, 200, "{body}");
    let session = body["token"].as_str().context("token")?;
    let me = site
        .client
        .get(site.url("/api/v1/me"))
        .bearer_auth(session)
        .send()
        .await?;
    assert_eq!(me.status(), 200);
    assert_eq!(
        sms_settled(&site, &phone(901)).await?,
        smsed,
        "no SMS for an app login"
    );

    // The same code again, in a new challenge: refused, and counted.
    let challenge = app_challenge(&site, email, PASSWORD).await?;
    let (status, body) = code_step(&site, &challenge, &code).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_code")),
        "{body}"
    );
    // The challenge survives a used code like a wrong one: the next fresh code opens it.
    let (status, body) = code_step(&site, &challenge, &app.fresh_code().await?).await?;
    assert_eq!(status, 200, "{body}");
    Ok(())
}

#[tokio::test]
async fn wrong_app_codes_use_up_the_challenge_and_lock_the_account_like_sms_codes()
-> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let who = site.patient(902).await?;
    let email = "patient902@example.lu";
    let mut app = set_up_app(&site, &who, PASSWORD).await?;
    let wrong = wrong_code(&app);

    let challenge = app_challenge(&site, email, PASSWORD).await?;
    for left in ["2", "1"] {
        let (status, body) = code_step(&site, &challenge, &wrong).await?;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_code"))
        );
        assert!(
            body["message"].as_str().unwrap_or_default().contains(left),
            "{body}"
        );
    }
    let (status, body) = code_step(&site, &challenge, &wrong).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("code_expired")),
        "{body}"
    );
    // Used up: even the right code is refused now.
    let (status, _) = code_step(&site, &challenge, &app.fresh_code().await?).await?;
    assert_eq!(status, 401);

    // Two more failures make five: the account is locked, the right code included.
    let challenge = app_challenge(&site, email, PASSWORD).await?;
    for _ in 0..2 {
        let (status, _) = code_step(&site, &challenge, &wrong).await?;
        assert_eq!(status, 401);
    }
    let r = site
        .client
        .post(site.url("/api/v1/auth/otp"))
        .json(&json!({"challenge_id": challenge, "code": app.fresh_code().await?}))
        .send()
        .await?;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let (status, body) = password_step(&site, email, PASSWORD).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("too_many_attempts"))
    );
    Ok(())
}

#[tokio::test]
async fn thirty_logins_typing_one_code_at_once_open_one_session() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let who = site.patient(903).await?;
    let email = "patient903@example.lu";
    let mut app = set_up_app(&site, &who, PASSWORD).await?;
    // Thirty challenges (someone who watched the password), then one code typed into all.
    let mut challenges = Vec::new();
    for _ in 0..30 {
        challenges.push(app_challenge(&site, email, PASSWORD).await?);
    }
    let code = app.fresh_code().await?;
    let outcomes = join_all(challenges.iter().map(|c| code_step(&site, c, &code))).await;
    let statuses: Vec<u16> = outcomes
        .into_iter()
        .map(|o| o.map(|(s, _)| s))
        .collect::<anyhow::Result<_>>()?;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 401, 429].contains(s)),
        "{statuses:?}"
    );

    // One challenge, one code, thirty requests at once: one session too.
    let other = Site::demo("").await?;
    let who = other.patient(904).await?;
    let mut app = set_up_app(&other, &who, PASSWORD).await?;
    let challenge = app_challenge(&other, "patient904@example.lu", PASSWORD).await?;
    let code = app.fresh_code().await?;
    let outcomes = join_all((0..30).map(|_| code_step(&other, &challenge, &code))).await;
    let opened = outcomes
        .iter()
        .filter(|o| o.as_ref().is_ok_and(|(s, _)| *s == 200))
        .count();
    assert_eq!(opened, 1);
    Ok(())
}

#[tokio::test]
async fn removing_the_app_needs_the_password_and_a_current_code() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let who = site.patient(905).await?;
    let email = "patient905@example.lu";
    let mut app = set_up_app(&site, &who, PASSWORD).await?;
    let confirmed = app.last_code();
    site.smtp.wait_for(email, NOTICE, WAIT).await?;
    let (s, w) = (&site, &who);
    let delete = |body: Value| async move {
        s.send(Some(w), Method::DELETE, "/api/v1/me/totp", Some(&body))
            .await
    };

    let (status, _) = delete(json!({"password": PASSWORD})).await?;
    assert_eq!(status, 422, "the code is required");
    let (status, body) = delete(json!({"password": "wrong", "code": app.peek_code()})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_password"))
    );
    let (status, body) = delete(json!({"password": PASSWORD, "code": wrong_code(&app)})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_code"))
    );
    // The code used by the confirmation does not work twice either.
    let (status, body) = delete(json!({"password": PASSWORD, "code": confirmed})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_code"))
    );
    let (_, body) = password_step(&site, email, PASSWORD).await?;
    assert_eq!(body["factor"], "totp", "still set up");
    let (status, body) =
        delete(json!({"password": PASSWORD, "code": app.fresh_code().await?})).await?;
    assert_eq!(status, 200, "{body}");
    poll_until("the removal e-mail", WAIT, || async {
        (site
            .smtp
            .mails()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == email) && m.subject.contains(NOTICE))
            .count()
            == 2)
            .then_some(())
    })
    .await?;
    let (_, body) = password_step(&site, email, PASSWORD).await?;
    assert_eq!(body["factor"], "sms", "{body}");
    let (status, body) = delete(json!({"password": PASSWORD, "code": wrong_code(&app)})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("totp_not_enrolled"))
    );
    Ok(())
}

#[tokio::test]
async fn a_site_offering_sms_only_refuses_apps_and_sends_sms_to_accounts_that_have_one()
-> anyhow::Result<()> {
    let mut site = Site::demo("").await?;
    let who = site.patient(906).await?;
    let email = "patient906@example.lu";
    set_up_app(&site, &who, PASSWORD).await?;
    let (_, body) = password_step(&site, email, PASSWORD).await?;
    assert_eq!(body["factor"], "totp");

    // The operator takes TOTP off the list.
    site.terminate(std::time::Duration::from_secs(30)).await?;
    let config = std::fs::read_to_string(site.config_path())?;
    std::fs::write(
        site.config_path(),
        format!("{config}\n[auth]\nsecond_factors = [\"sms\"]\n"),
    )?;
    site.spawn().await?;
    let who = site.login_patient(906).await?;
    let start = json!({"password": PASSWORD});
    let (status, body) = site.post(&who, "/api/v1/me/totp", &start).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("totp_not_offered"))
    );
    let (_, body) = site.get(&who, "/api/v1/me/totp").await?;
    assert_eq!(body["offered"], false);
    let (status, page) = get_page(&site, &who, "/account/totp").await?;
    assert_eq!(status, 200);
    assert!(!page.contains("<svg"), "no set-up offered");
    Ok(())
}

#[tokio::test]
async fn an_app_set_up_through_the_pages_then_logs_in_through_the_pages() -> anyhow::Result<()> {
    let site = Site::demo("").await?;
    site.register(908).await?;
    let email = "patient908@example.lu";
    let who = page_login(&site, &site.sms, email, PASSWORD, &phone(908)).await?;
    let (status, page) = get_page(&site, &who, "/account/totp").await?;
    assert_eq!(status, 200);
    assert!(page.contains("action=\"/account/totp/start\""), "{page}");

    let (status, _, page) =
        post_form(&site, &who, "/account/totp/start", &[("password", "wrong")]).await?;
    assert_eq!(status, 403);
    assert!(page.contains("id=\"password-error\""), "{page}");
    let (status, at, page) = post_form(
        &site,
        &who,
        "/account/totp/start",
        &[("password", PASSWORD)],
    )
    .await?;
    assert_eq!((status, at.as_str()), (200, "/account/totp"));
    assert!(
        page.contains("<svg") && page.contains("role=\"img\""),
        "{page}"
    );
    assert!(
        !page.contains("style=") && !page.contains("<script>"),
        "CSP-safe"
    );
    let secret = page
        .split("class=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .context("no secret on the page")?;
    let mut app = App::from_base32(secret)?;
    let (status, _, page) = post_form(
        &site,
        &who,
        "/account/totp/confirm",
        &[("code", &wrong_code(&app))],
    )
    .await?;
    assert_eq!(status, 403);
    assert!(page.contains("id=\"code-error\""), "{page}");
    let code = app.fresh_code().await?;
    let (status, at, page) =
        post_form(&site, &who, "/account/totp/confirm", &[("code", &code)]).await?;
    assert_eq!(
        (status, at.as_str()),
        (200, "/account/totp?done=enrolled"),
        "{page}"
    );
    assert!(page.contains("action=\"/account/totp/remove\""), "{page}");
    assert!(!page.contains(secret), "the secret is never shown again");

    // The login pages ask for the app's code.
    let client = site.client_without_redirects()?;
    let first = client.get(site.url("/login")).send().await?;
    let token = set_cookie(&first, "__Host-tc_csrf").context("pre-session cookie")?;
    let pre = format!("__Host-tc_csrf={token}");
    let started = client
        .post(site.url("/login"))
        .header("cookie", pre.clone())
        .form(&[
            ("csrf", token.as_str()),
            ("login", email),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    assert_eq!(started.headers()["location"], "/login/code?factor=totp");
    let challenge = set_cookie(&started, "__Host-tc_challenge").context("challenge")?;
    let cookies = format!("{pre}; __Host-tc_challenge={challenge}");
    let code_page = client
        .get(site.url("/login/code?factor=totp"))
        .header("cookie", cookies.clone())
        .send()
        .await?
        .text()
        .await?;
    assert!(
        code_page.contains("Aucun SMS n'est envoyé"),
        "the app's texts: {code_page}"
    );
    assert!(csrf_field(&code_page).is_some());
    let opened = client
        .post(site.url("/login/code"))
        .header("cookie", cookies)
        .form(&[
            ("csrf", token.as_str()),
            ("factor", "totp"),
            ("code", app.fresh_code().await?.as_str()),
        ])
        .send()
        .await?;
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/home");
    // Only the registration's login SMS went to this phone.
    assert_eq!(sms_settled(&site, &phone(908)).await?, 1);
    Ok(())
}
