//! The second factor that needs no network (issue #19, item 5): an authenticator app (TOTP,
//! RFC 6238) set up through the API or the pages, logins that take its code instead of an SMS
//! — with the SMS gateway and the platform out of reach —, each code accepted once (also by 30
//! requests at once), wrong codes locking like SMS codes, removal with the password and a
//! code, a site that offers SMS only, and the administrator's reset. Codes come from the
//! test's own implementation (`teleconsult_tests::totp`), not the daemon's.

use anyhow::Context;
use futures_util::future::join_all;
use serde_json::{Value, json};
use teleconsult_tests::accounts::{
    Login, PASSWORD, WAIT, demo_with_sinks, login, phone, register_and_activate, registration,
    sinks_config,
};
use teleconsult_tests::pages::{csrf_field, get_page, post_form, set_cookie};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::totp::{App, wrong_code};
use teleconsult_tests::{Daemon, DaemonOptions, poll_until};

/// The subject of the e-mails telling an owner their second factor changed (accounts here
/// speak French).
const NOTICE: &str = "second facteur";
/// The home page's request to set up an app (a booth site's staff and practitioners).
const NUDGE: &str = "<div class=\"notice warning\" role=\"status\"><p>Merci de configurer";

const STAFF: (&str, &str, &str) = ("staff", "demo staff 2026", "+352621000004");
const ADMIN: (&str, &str, &str) = ("admin", "demo admin 2026", "+352621000006");
const DEMO_PATIENT: (&str, &str, &str) =
    ("patient@demo.invalid", "demo patient 2026", "+352621000001");

/// A JSON request with `who`'s bearer token: status and body.
async fn api(
    d: &Daemon,
    who: &Login,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut request = d
        .client
        .request(method, d.url(path))
        .header("authorization", who.bearer());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

/// `POST /auth/login`: status and body (`challenge_id`, `factor`).
async fn password_step(d: &Daemon, login: &str, password: &str) -> anyhow::Result<(u16, Value)> {
    let r = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

/// `POST /auth/otp`: status and body.
async fn code_step(d: &Daemon, challenge: &str, code: &str) -> anyhow::Result<(u16, Value)> {
    let r = d
        .client
        .post(d.url("/api/v1/auth/otp"))
        .json(&json!({"challenge_id": challenge, "code": code}))
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

/// A login by the app: the password step must answer `factor: totp`.
async fn totp_challenge(d: &Daemon, login: &str, password: &str) -> anyhow::Result<String> {
    let (status, body) = password_step(d, login, password).await?;
    anyhow::ensure!(status == 200, "{login}: {status} {body}");
    anyhow::ensure!(body["factor"] == "totp", "{login}: {body}");
    Ok(body["challenge_id"]
        .as_str()
        .context("challenge")?
        .to_owned())
}

/// A session opened with the app's next code.
async fn totp_login(
    d: &Daemon,
    app: &mut App,
    login: &str,
    password: &str,
) -> anyhow::Result<Login> {
    let challenge = totp_challenge(d, login, password).await?;
    let (status, body) = code_step(d, &challenge, &app.fresh_code().await?).await?;
    anyhow::ensure!(status == 200, "{login}: app code refused: {status} {body}");
    Ok(Login {
        token: body["token"].as_str().context("token")?.to_owned(),
        csrf: body["csrf_token"].as_str().context("csrf")?.to_owned(),
        role: body["role"].as_str().context("role")?.to_owned(),
    })
}

/// Sets up an app through the API (password, then its first code); checks the URI.
async fn enrol(d: &Daemon, who: &Login, password: &str) -> anyhow::Result<App> {
    let (status, started) = api(
        d,
        who,
        reqwest::Method::POST,
        "/api/v1/me/totp",
        Some(json!({"password": password})),
    )
    .await?;
    anyhow::ensure!(status == 201, "start: {status} {started}");
    let uri = started["otpauth_uri"].as_str().context("uri")?;
    let secret = started["secret"].as_str().context("secret")?;
    anyhow::ensure!(uri.starts_with("otpauth://totp/"), "{uri}");
    anyhow::ensure!(
        uri.contains(&format!("?secret={secret}&issuer="))
            && uri.ends_with("&algorithm=SHA1&digits=6&period=30"),
        "{uri}"
    );
    let mut app = App::from_uri(uri)?;
    let (status, body) = api(
        d,
        who,
        reqwest::Method::POST,
        "/api/v1/me/totp/confirm",
        Some(json!({"code": app.fresh_code().await?})),
    )
    .await?;
    anyhow::ensure!(status == 200, "confirm: {status} {body}");
    Ok(app)
}

/// How many SMS went to `to`.
fn sms_to(sms: &SmsSink, to: &str) -> usize {
    sms.messages().iter().filter(|m| m["to"] == to).count()
}

/// Waits until every SMS queued so far has been delivered: one more login by SMS of the demo
/// patient, whose code is delivered after whatever was queued before it. Returns the SMS
/// count of `to` then.
async fn sms_settled(d: &Daemon, sms: &SmsSink, to: &str) -> anyhow::Result<usize> {
    let before = sms_to(sms, DEMO_PATIENT.2);
    let (status, body) = password_step(d, DEMO_PATIENT.0, DEMO_PATIENT.1).await?;
    anyhow::ensure!(status == 200 && body["factor"] == "sms", "{status} {body}");
    sms.code_for(DEMO_PATIENT.2, before, WAIT).await?;
    Ok(sms_to(sms, to))
}

#[tokio::test]
async fn an_app_set_up_through_the_api_replaces_the_sms_and_each_code_works_once()
-> anyhow::Result<()> {
    let (d, smtp, sms) = demo_with_sinks("").await?;
    register_and_activate(&d, &smtp, &registration(901)).await?;
    let email = "patient901@example.lu";
    let who = login(&d, &sms, email, PASSWORD, &phone(901), 0).await?;

    let (status, body) = api(&d, &who, reqwest::Method::GET, "/api/v1/me/totp", None).await?;
    assert_eq!(
        (status, &body["offered"], &body["enrolled"]),
        (200, &json!(true), &json!(false)),
        "{body}"
    );
    // The password is required: a stolen session alone cannot move the second factor.
    let post = |body: Value| {
        api(
            &d,
            &who,
            reqwest::Method::POST,
            "/api/v1/me/totp",
            Some(body),
        )
    };
    let (status, body) = post(json!({})).await?;
    assert_eq!(status, 422, "{body}");
    let (status, body) = post(json!({"password": "not the password"})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_password"))
    );
    // A wrong first code leaves the set-up pending.
    let (status, started) = post(json!({"password": PASSWORD})).await?;
    assert_eq!(status, 201, "{started}");
    let app = App::from_uri(started["otpauth_uri"].as_str().context("uri")?)?;
    let (status, body) = api(
        &d,
        &who,
        reqwest::Method::POST,
        "/api/v1/me/totp/confirm",
        Some(json!({"code": wrong_code(&app)})),
    )
    .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_code"))
    );
    let (_, body) = api(&d, &who, reqwest::Method::GET, "/api/v1/me/totp", None).await?;
    assert_eq!(
        (&body["pending"], &body["enrolled"]),
        (&json!(true), &json!(false))
    );
    // Still by SMS while pending.
    let (_, body) = password_step(&d, email, PASSWORD).await?;
    assert_eq!(body["factor"], "sms", "{body}");

    // Started again (a new secret), confirmed with its first code.
    let mut app = enrol(&d, &who, PASSWORD).await?;
    let (_, body) = api(&d, &who, reqwest::Method::GET, "/api/v1/me/totp", None).await?;
    assert_eq!(
        (&body["pending"], &body["enrolled"]),
        (&json!(false), &json!(true))
    );
    let (status, body) = post(json!({"password": PASSWORD})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("totp_already_enrolled"))
    );
    smtp.wait_for(email, NOTICE, WAIT).await?;
    // The GDPR export says there is an app, never its secret.
    let export = d
        .client
        .get(d.url("/api/v1/me/export"))
        .header("authorization", who.bearer())
        .send()
        .await?
        .text()
        .await?;
    assert!(
        !export.contains("\"secret\""),
        "no secret in the export: {export}"
    );
    let exported: Value = serde_json::from_str(&export)?;
    assert_eq!(exported["account"]["authenticator_app"], true);
    assert!(
        exported["account"].get("totp").is_none(),
        "{}",
        exported["account"]
    );

    // The login takes the app's code; no SMS goes out.
    let smsed = sms_to(&sms, &phone(901));
    let challenge = totp_challenge(&d, email, PASSWORD).await?;
    let code = app.fresh_code().await?;
    let (status, body) = code_step(&d, &challenge, &code).await?;
    assert_eq!(status, 200, "{body}");
    let session = body["token"].as_str().context("token")?;
    let me = d
        .client
        .get(d.url("/api/v1/me"))
        .bearer_auth(session)
        .send()
        .await?;
    assert_eq!(me.status(), 200);
    assert_eq!(
        sms_settled(&d, &sms, &phone(901)).await?,
        smsed,
        "no SMS for an app login"
    );

    // The same code again, in a new challenge: refused, and counted.
    let challenge = totp_challenge(&d, email, PASSWORD).await?;
    let (status, body) = code_step(&d, &challenge, &code).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_code")),
        "{body}"
    );
    // The challenge survives a used code like a wrong one: the next fresh code opens it.
    let (status, body) = code_step(&d, &challenge, &app.fresh_code().await?).await?;
    assert_eq!(status, 200, "{body}");
    Ok(())
}

#[tokio::test]
async fn wrong_app_codes_use_up_the_challenge_and_lock_the_account_like_sms_codes()
-> anyhow::Result<()> {
    let (d, smtp, sms) = demo_with_sinks("").await?;
    register_and_activate(&d, &smtp, &registration(902)).await?;
    let email = "patient902@example.lu";
    let who = login(&d, &sms, email, PASSWORD, &phone(902), 0).await?;
    let mut app = enrol(&d, &who, PASSWORD).await?;
    let wrong = wrong_code(&app);

    let challenge = totp_challenge(&d, email, PASSWORD).await?;
    for left in ["2", "1"] {
        let (status, body) = code_step(&d, &challenge, &wrong).await?;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_code"))
        );
        assert!(
            body["message"].as_str().unwrap_or_default().contains(left),
            "{body}"
        );
    }
    let (status, body) = code_step(&d, &challenge, &wrong).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("code_expired")),
        "{body}"
    );
    // Used up: even the right code is refused now.
    let (status, _) = code_step(&d, &challenge, &app.fresh_code().await?).await?;
    assert_eq!(status, 401);

    // Two more failures make five: the account is locked, the right code included.
    let challenge = totp_challenge(&d, email, PASSWORD).await?;
    for _ in 0..2 {
        let (status, _) = code_step(&d, &challenge, &wrong).await?;
        assert_eq!(status, 401);
    }
    let r = d
        .client
        .post(d.url("/api/v1/auth/otp"))
        .json(&json!({"challenge_id": challenge, "code": app.fresh_code().await?}))
        .send()
        .await?;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let (status, body) = password_step(&d, email, PASSWORD).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("too_many_attempts"))
    );
    Ok(())
}

#[tokio::test]
async fn thirty_logins_typing_one_code_at_once_open_one_session() -> anyhow::Result<()> {
    let (d, smtp, sms) = demo_with_sinks("").await?;
    register_and_activate(&d, &smtp, &registration(903)).await?;
    let email = "patient903@example.lu";
    let who = login(&d, &sms, email, PASSWORD, &phone(903), 0).await?;
    let mut app = enrol(&d, &who, PASSWORD).await?;
    // Thirty challenges (someone who watched the password), then one code typed into all.
    let mut challenges = Vec::new();
    for _ in 0..30 {
        challenges.push(totp_challenge(&d, email, PASSWORD).await?);
    }
    let code = app.fresh_code().await?;
    let outcomes = join_all(challenges.iter().map(|c| code_step(&d, c, &code))).await;
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
    let (d2, smtp2, sms2) = demo_with_sinks("").await?;
    register_and_activate(&d2, &smtp2, &registration(904)).await?;
    let who = login(
        &d2,
        &sms2,
        "patient904@example.lu",
        PASSWORD,
        &phone(904),
        0,
    )
    .await?;
    let mut app = enrol(&d2, &who, PASSWORD).await?;
    let challenge = totp_challenge(&d2, "patient904@example.lu", PASSWORD).await?;
    let code = app.fresh_code().await?;
    let outcomes = join_all((0..30).map(|_| code_step(&d2, &challenge, &code))).await;
    let opened = outcomes
        .iter()
        .filter(|o| o.as_ref().is_ok_and(|(s, _)| *s == 200))
        .count();
    assert_eq!(opened, 1);
    Ok(())
}

#[tokio::test]
async fn removing_the_app_needs_the_password_and_a_current_code() -> anyhow::Result<()> {
    let (d, smtp, sms) = demo_with_sinks("").await?;
    register_and_activate(&d, &smtp, &registration(905)).await?;
    let email = "patient905@example.lu";
    let who = login(&d, &sms, email, PASSWORD, &phone(905), 0).await?;
    let mut app = enrol(&d, &who, PASSWORD).await?;
    let confirmed = app.last_code();
    smtp.wait_for(email, NOTICE, WAIT).await?;
    let delete = |body: Value| {
        api(
            &d,
            &who,
            reqwest::Method::DELETE,
            "/api/v1/me/totp",
            Some(body),
        )
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
    let (_, body) = password_step(&d, email, PASSWORD).await?;
    assert_eq!(body["factor"], "totp", "still set up");
    let (status, body) =
        delete(json!({"password": PASSWORD, "code": app.fresh_code().await?})).await?;
    assert_eq!(status, 200, "{body}");
    poll_until("the removal e-mail", WAIT, || async {
        (smtp
            .mails()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == email) && m.subject.contains(NOTICE))
            .count()
            == 2)
            .then_some(())
    })
    .await?;
    let (_, body) = password_step(&d, email, PASSWORD).await?;
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
    let (mut d, smtp, sms) = demo_with_sinks("").await?;
    register_and_activate(&d, &smtp, &registration(906)).await?;
    let email = "patient906@example.lu";
    let who = login(&d, &sms, email, PASSWORD, &phone(906), 0).await?;
    enrol(&d, &who, PASSWORD).await?;
    let (_, body) = password_step(&d, email, PASSWORD).await?;
    assert_eq!(body["factor"], "totp");

    // The operator takes TOTP off the list.
    d.terminate(std::time::Duration::from_secs(30)).await?;
    let config = std::fs::read_to_string(d.config_path())?;
    std::fs::write(
        d.config_path(),
        format!("{config}\n[auth]\nsecond_factors = [\"sms\"]\n"),
    )?;
    d.spawn().await?;
    let who = login(&d, &sms, email, PASSWORD, &phone(906), 1).await?;
    let (status, body) = api(
        &d,
        &who,
        reqwest::Method::POST,
        "/api/v1/me/totp",
        Some(json!({"password": PASSWORD})),
    )
    .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("totp_not_offered"))
    );
    let (_, body) = api(&d, &who, reqwest::Method::GET, "/api/v1/me/totp", None).await?;
    assert_eq!(body["offered"], false);
    let (status, page) = get_page(&d, &who, "/account/totp").await?;
    assert_eq!(status, 200);
    assert!(!page.contains("<svg"), "no set-up offered");
    Ok(())
}

#[tokio::test]
async fn an_administrator_resets_a_lost_app_through_the_api_the_page_and_teleconsultctl()
-> anyhow::Result<()> {
    let socket = tempfile::Builder::new().prefix("tc-admin-").tempdir()?;
    let extra = format!(
        "[admin]\nsocket = \"{}\"\n",
        socket.path().join("admin.sock").display()
    );
    let (d, smtp, sms) = demo_with_sinks(&extra).await?;
    register_and_activate(&d, &smtp, &registration(907)).await?;
    let email = "patient907@example.lu";
    let who = login(&d, &sms, email, PASSWORD, &phone(907), 0).await?;
    enrol(&d, &who, PASSWORD).await?;
    let id = api(&d, &who, reqwest::Method::GET, "/api/v1/me", None)
        .await?
        .1["id"]
        .as_str()
        .context("id")?
        .to_owned();
    let path = format!("/api/v1/users/{id}/reset-totp");

    let staff = login(&d, &sms, STAFF.0, STAFF.1, STAFF.2, 0).await?;
    let (status, _) = api(&d, &staff, reqwest::Method::POST, &path, None).await?;
    assert_eq!(status, 403, "administrators only");
    let (status, _) = api(&d, &who, reqwest::Method::POST, &path, None).await?;
    assert_eq!(
        status, 403,
        "not the owner either: that is removal, with a code"
    );
    let admin = login(&d, &sms, ADMIN.0, ADMIN.1, ADMIN.2, 0).await?;
    let unknown = format!("/api/v1/users/{}/reset-totp", uuid::Uuid::new_v4());
    let (status, _) = api(&d, &admin, reqwest::Method::POST, &unknown, None).await?;
    assert_eq!(status, 404);
    let (status, body) = api(&d, &admin, reqwest::Method::POST, &path, None).await?;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("reset")),
        "{body}"
    );
    poll_until("the reset e-mail", WAIT, || async {
        smtp.mails()
            .iter()
            .any(|m| m.to.iter().any(|t| t == email) && m.body.contains("administrateur"))
            .then_some(())
    })
    .await?;
    let (_, body) = password_step(&d, email, PASSWORD).await?;
    assert_eq!(body["factor"], "sms");
    let (_, body) = api(&d, &admin, reqwest::Method::POST, &path, None).await?;
    assert_eq!(body["status"], "none", "nothing left to reset");

    // The same from the command line, through the admin socket.
    let who = login(&d, &sms, email, PASSWORD, &phone(907), 2).await?;
    enrol(&d, &who, PASSWORD).await?;
    let ctl = teleconsult_tests::daemon::binary()?.with_file_name("teleconsultctl");
    let config = d.config_path();
    let run = |login: &'static str| {
        let (ctl, config) = (ctl.clone(), config.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(ctl)
                .arg("--config")
                .arg(config)
                .args(["--json", "user", "reset-totp", login])
                .env_remove("TELECONSULT__ADMIN__SOCKET")
                // The daemon runs with --demo: the CLI reads its configuration the same way.
                .env("TELECONSULT__SITE__DEMO", "true")
                .output()
        })
    };
    let out = run("patient907@example.lu").await??;
    assert!(out.status.success(), "{out:?}");
    let summary: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        (&summary["login"], &summary["totp"]),
        (&json!(email), &json!(false))
    );
    let (_, body) = password_step(&d, email, PASSWORD).await?;
    assert_eq!(body["factor"], "sms");
    let out = run("patient907@example.lu").await??;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no authenticator app"),
        "{out:?}"
    );
    // The resets are in the account's audit trail, by their administrators: the admin
    // account through the API and the page, the system administrator through teleconsultctl.
    let who = login(&d, &sms, email, PASSWORD, &phone(907), 4).await?;
    // And from the administrators' accounts page.
    enrol(&d, &who, PASSWORD).await?;
    let button = format!("/admin/users/{id}/reset-totp");
    let (_, users) = get_page(&d, &admin, "/admin/users").await?;
    assert!(
        users.contains(&button),
        "a reset button for an account with an app"
    );
    let (status, at, _) = post_form(&d, &admin, &button, &[]).await?;
    assert_eq!((status, at.as_str()), (200, "/admin/users?totp_reset=1"));
    let (_, users) = get_page(&d, &admin, "/admin/users").await?;
    assert!(!users.contains(&button), "none once reset");
    let (_, body) = password_step(&d, email, PASSWORD).await?;
    assert_eq!(body["factor"], "sms");
    let (_, export) = api(&d, &who, reqwest::Method::GET, "/api/v1/me/export", None).await?;
    let by: Vec<&str> = export["accesses"]
        .as_array()
        .context("accesses")?
        .iter()
        .filter(|e| e["object_type"] == "totp" && e["object_id"] == id.as_str())
        .filter_map(|e| e["actor"]["kind"].as_str())
        .collect();
    let admin_id = api(&d, &admin, reqwest::Method::GET, "/api/v1/me", None)
        .await?
        .1["id"]
        .as_str()
        .context("admin id")?
        .to_owned();
    let by_admin = export["accesses"]
        .as_array()
        .context("accesses")?
        .iter()
        .filter(|e| e["object_type"] == "totp" && e["actor"]["id"] == admin_id.as_str())
        .count();
    assert_eq!(by_admin, 2, "the API's and the page's: {export}");
    assert!(by.contains(&"admin"), "teleconsultctl's reset: {by:?}");
    Ok(())
}

/// A loopback port nobody listens on.
async fn closed_port() -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    Ok(listener.local_addr()?.port())
}

#[tokio::test]
async fn with_the_sms_gateway_the_mail_relay_and_the_platform_unreachable_staff_log_in_with_their_app()
-> anyhow::Result<()> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let platform = format!("http://127.0.0.1:{}/fhir", closed_port().await?);
    let extra_config = format!(
        "[site]\nkind = \"booth\"\n\n{}\n[platform]\nbase_url = \"{platform}\"\n\n\
         [limits]\nlogin_per_minute = 1000\notp_per_minute = 1000\n",
        sinks_config(&smtp, &sms)
    );
    let mut d = Daemon::start(DaemonOptions {
        demo: true,
        extra_config,
        ..Default::default()
    })
    .await?;
    // On a good day: the booth's staff member logs in by SMS, is asked to set up an app, does.
    let staff = login(&d, &sms, STAFF.0, STAFF.1, STAFF.2, 0).await?;
    let (_, home) = get_page(&d, &staff, "/home").await?;
    assert!(home.contains(NUDGE), "the nudge: {home}");
    let mut app = enrol(&d, &staff, STAFF.1).await?;
    let (_, home) = get_page(&d, &staff, "/home").await?;
    assert!(!home.contains(NUDGE), "no nudge once set up");

    // The WAN goes: the SMS gateway, the mail relay and the platform are out of reach.
    d.terminate(std::time::Duration::from_secs(30)).await?;
    let config = std::fs::read_to_string(d.config_path())?;
    let gateway = format!("http://127.0.0.1:{}/sms", closed_port().await?);
    let relay = format!("smtp://127.0.0.1:{}", closed_port().await?);
    anyhow::ensure!(config.contains(&smtp.url()), "{config}");
    let config = config
        .replace(&sms.url, &gateway)
        .replace(&smtp.url(), &relay);
    std::fs::write(d.config_path(), config)?;
    d.spawn().await?;

    let staff = totp_login(&d, &mut app, STAFF.0, STAFF.1).await?;
    let (status, home) = get_page(&d, &staff, "/home").await?;
    assert_eq!(status, 200, "{home}");
    let (status, _) = api(&d, &staff, reqwest::Method::GET, "/api/v1/me", None).await?;
    assert_eq!(status, 200);

    // No SMS was attempted for the app login: the demo patient's SMS login, queued after it,
    // is the first and only SMS the worker tries (and fails) to deliver.
    let (status, body) = password_step(&d, DEMO_PATIENT.0, DEMO_PATIENT.1).await?;
    assert_eq!((status, &body["factor"]), (200, &json!("sms")));
    let attempts = poll_until("the failed SMS delivery in the log", WAIT, || async {
        let ids = sms_delivery_failures(&d.logs());
        (!ids.is_empty()).then_some(ids)
    })
    .await?;
    assert_eq!(
        attempts.len(),
        1,
        "one SMS tried, the patient's: {attempts:?}"
    );
    // And the platform being unreachable stopped nothing.
    let (status, sync) = api(
        &d,
        &staff,
        reqwest::Method::GET,
        "/api/v1/sync/status",
        None,
    )
    .await?;
    assert_eq!(status, 200, "{sync}");
    Ok(())
}

/// The ids of SMS notifications whose delivery failed, from the daemon's JSON log.
fn sms_delivery_failures(log: &str) -> std::collections::BTreeSet<String> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| {
            let fields = &l["fields"];
            fields["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("notification delivery failed"))
                && fields["channel"]
                    .as_str()
                    .is_some_and(|c| c.contains("Sms"))
        })
        .filter_map(|l| l["fields"]["id"].as_u64().map(|id| id.to_string()))
        .collect()
}

#[tokio::test]
async fn an_app_set_up_through_the_pages_then_logs_in_through_the_pages() -> anyhow::Result<()> {
    let (d, smtp, sms) = demo_with_sinks("").await?;
    register_and_activate(&d, &smtp, &registration(908)).await?;
    let email = "patient908@example.lu";
    let who = teleconsult_tests::pages::page_login(&d, &sms, email, PASSWORD, &phone(908)).await?;
    let (status, page) = get_page(&d, &who, "/account/totp").await?;
    assert_eq!(status, 200);
    assert!(page.contains("action=\"/account/totp/start\""), "{page}");

    let (status, _, page) =
        post_form(&d, &who, "/account/totp/start", &[("password", "wrong")]).await?;
    assert_eq!(status, 403);
    assert!(page.contains("id=\"password-error\""), "{page}");
    let (status, at, page) =
        post_form(&d, &who, "/account/totp/start", &[("password", PASSWORD)]).await?;
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
        &d,
        &who,
        "/account/totp/confirm",
        &[("code", &wrong_code(&app))],
    )
    .await?;
    assert_eq!(status, 403);
    assert!(page.contains("id=\"code-error\""), "{page}");
    let code = app.fresh_code().await?;
    let (status, at, page) =
        post_form(&d, &who, "/account/totp/confirm", &[("code", &code)]).await?;
    assert_eq!(
        (status, at.as_str()),
        (200, "/account/totp?done=enrolled"),
        "{page}"
    );
    assert!(page.contains("action=\"/account/totp/remove\""), "{page}");
    assert!(!page.contains(secret), "the secret is never shown again");

    // The login pages ask for the app's code.
    let client = d.client_without_redirects()?;
    let first = client.get(d.url("/login")).send().await?;
    let token = set_cookie(&first, "__Host-tc_csrf").context("pre-session cookie")?;
    let pre = format!("__Host-tc_csrf={token}");
    let started = client
        .post(d.url("/login"))
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
        .get(d.url("/login/code?factor=totp"))
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
        .post(d.url("/login/code"))
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
    assert_eq!(sms_settled(&d, &sms, &phone(908)).await?, 1);
    Ok(())
}
