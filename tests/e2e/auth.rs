//! Accounts end to end through the API, with real sinks: registration → activation mail →
//! login → SMS code → session; lockouts and rate limits; CSRF; password reset; GDPR. The site
//! is installed for real (not demo), with the daemon's own rate limits.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::accounts::{
    PASSWORD, WAIT, confirmation_code, login, phone, register_and_activate, registration,
};
use teleconsult_tests::sinks::link_token;
use teleconsult_tests::site::Site;

#[tokio::test]
async fn register_activate_login_with_sms_code_and_logout() -> anyhow::Result<()> {
    let s = Site::real("").await?;
    let d = &s.daemon;
    let form = registration(10);

    // Before activation the right password is not enough.
    let response = d
        .client
        .post(d.url("/api/v1/patients"))
        .json(&form)
        .send()
        .await?;
    assert_eq!(response.status(), 201);
    let mail = s
        .smtp
        .wait_for("patient10@example.lu", "activez votre compte", WAIT)
        .await?;
    assert!(
        mail.body.contains("Bonjour Zebulonia Quackenbush10"),
        "{}",
        mail.body
    );
    assert!(
        !mail
            .body
            .contains(form["national_id"].as_str().unwrap_or("-")),
        "no national id in mails"
    );
    let early = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient10@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    assert_eq!(early.status(), 403);
    assert_eq!(early.json::<Value>().await?["error"], "not_activated");

    let token = link_token(&mail.body).unwrap_or_default();
    assert!(
        mail.body.contains(&format!(
            "{}/activate?token={token}",
            d.base_url.replace("127.0.0.1", "localhost")
        )),
        "{}",
        mail.body
    );
    let activated = d
        .client
        .post(d.url("/api/v1/patients/activate"))
        .json(&json!({"token": token}))
        .send()
        .await?;
    assert_eq!(activated.status(), 200);
    let again = d
        .client
        .post(d.url("/api/v1/patients/activate"))
        .json(&json!({"token": token}))
        .send()
        .await?;
    assert_eq!(again.status(), 400, "an activation link works once");

    // Login: password, then the code from the SMS gateway.
    let session = login(d, &s.sms, "Patient10@Example.lu", PASSWORD, &phone(10), 0).await?;
    assert_eq!(session.role, "patient");
    let sms = &s.sms.messages()[0];
    assert!(
        sms["text"]
            .as_str()
            .unwrap_or_default()
            .contains("votre code de connexion"),
        "{sms}"
    );

    let me = d.get_ok(&session, "/api/v1/me").await?;
    assert_eq!(me["email"], "patient10@example.lu");
    assert_eq!(me["patient"]["last_name"], "Quackenbush10");

    let (status, _) = d
        .send(Some(&session), Method::POST, "/api/v1/auth/logout", None)
        .await?;
    assert_eq!(status, 204);
    assert_eq!(d.get(&session, "/api/v1/me").await?.0, 401);
    assert_eq!(d.send(None, Method::GET, "/api/v1/me", None).await?.0, 401);
    Ok(())
}

#[tokio::test]
async fn codes_are_single_use_and_wrong_ones_void_the_challenge() -> anyhow::Result<()> {
    let s = Site::real("").await?;
    let d = &s.daemon;
    register_and_activate(d, &s.smtp, &registration(11)).await?;
    let challenge = |body: Value| body["challenge_id"].as_str().unwrap_or_default().to_owned();
    let start = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient11@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    let id = challenge(start.json().await?);
    let code = s.sms.code_for(&phone(11), 0, WAIT).await?;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for expected in ["invalid_code", "invalid_code", "code_expired"] {
        let r = d
            .client
            .post(d.url("/api/v1/auth/otp"))
            .json(&json!({"challenge_id": id, "code": wrong}))
            .send()
            .await?;
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<Value>().await?["error"], expected);
    }
    let late = d
        .client
        .post(d.url("/api/v1/auth/otp"))
        .json(&json!({"challenge_id": id, "code": code}))
        .send()
        .await?;
    assert_eq!(
        late.status(),
        401,
        "the right code after the challenge was voided"
    );

    let start = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient11@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    let id = challenge(start.json().await?);
    let code = s.sms.code_for(&phone(11), 1, WAIT).await?;
    let ok = d
        .client
        .post(d.url("/api/v1/auth/otp"))
        .json(&json!({"challenge_id": id, "code": code}))
        .send()
        .await?;
    assert_eq!(ok.status(), 200);
    let cookie = ok
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    for attribute in ["tc_session=", "HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let replay = d
        .client
        .post(d.url("/api/v1/auth/otp"))
        .json(&json!({"challenge_id": id, "code": code}))
        .send()
        .await?;
    assert_eq!(replay.status(), 401, "a code works once");
    Ok(())
}

#[tokio::test]
async fn fifty_wrong_passwords_or_codes_lock_the_account_even_for_the_right_ones()
-> anyhow::Result<()> {
    // Per-address limits lifted, so the per-account lockout is what is tested.
    let s = Site::real("[limits]\nlogin_per_minute = 1000\notp_per_minute = 1000\n").await?;
    let d = &s.daemon;
    register_and_activate(d, &s.smtp, &registration(12)).await?;
    let attempt = |password: &'static str| {
        d.client
            .post(d.url("/api/v1/auth/login"))
            .json(&json!({"login": "patient12@example.lu", "password": password}))
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..50 {
        statuses.push(attempt("wrong password 123").await?.status().as_u16());
    }
    assert_eq!(statuses[..5], [401; 5]);
    assert!(
        statuses[5..].iter().all(|s| *s == 429),
        "locked after 5 failures: {statuses:?}"
    );
    let right = attempt(PASSWORD).await?;
    assert_eq!(
        right.status(),
        429,
        "the right password during the lockout is refused too"
    );
    let wait: u64 = right
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((60..=15 * 60).contains(&wait), "Retry-After {wait}");
    assert_eq!(right.json::<Value>().await?["error"], "too_many_attempts");

    // Codes: a second patient, 50 wrong codes across fresh challenges.
    register_and_activate(d, &s.smtp, &registration(13)).await?;
    let mut locked = false;
    for _ in 0..50 {
        let start = d
            .client
            .post(d.url("/api/v1/auth/login"))
            .json(&json!({"login": "patient13@example.lu", "password": PASSWORD}))
            .send()
            .await?;
        if start.status() == 429 {
            locked = true;
            break;
        }
        let id = start.json::<Value>().await?["challenge_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let r = d
            .client
            .post(d.url("/api/v1/auth/otp"))
            .json(&json!({"challenge_id": id, "code": "abcdef"}))
            .send()
            .await?;
        if r.status() == 429 {
            locked = true;
            break;
        }
    }
    assert!(locked, "wrong codes must lock the account");
    let blocked = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient13@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    assert_eq!(blocked.status(), 429);
    Ok(())
}

#[tokio::test]
async fn one_address_is_rate_limited_across_accounts_without_revealing_them() -> anyhow::Result<()>
{
    let s = Site::real("").await?;
    let d = &s.daemon;
    let mut statuses = Vec::new();
    for n in 0..12 {
        let r = d
            .client
            .post(d.url("/api/v1/auth/login"))
            .json(&json!({"login": format!("nobody{n}@example.lu"), "password": "x"}))
            .send()
            .await?;
        let status = r.status().as_u16();
        let body: Value = r.json().await?;
        statuses.push((
            status,
            body["error"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|(s, e)| *s == 401 && e == "invalid_credentials"),
        "{statuses:?}"
    );
    assert!(
        statuses[10..].iter().all(|(s, _)| *s == 429),
        "{statuses:?}"
    );
    Ok(())
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_changes() -> anyhow::Result<()> {
    let s = Site::real("").await?;
    let d = &s.daemon;
    register_and_activate(d, &s.smtp, &registration(14)).await?;
    let session = login(d, &s.sms, "patient14@example.lu", PASSWORD, &phone(14), 0).await?;
    let cookie = format!("tc_session={}", session.token);
    let read = d
        .client
        .get(d.url("/api/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_eq!(read.status(), 200, "reads work with the cookie alone");
    let change = json!({"language": "de"});
    let forged = d
        .client
        .patch(d.url("/api/v1/me"))
        .header("cookie", &cookie)
        .json(&change)
        .send()
        .await?;
    assert_eq!(forged.status(), 403);
    let ok = d
        .client
        .patch(d.url("/api/v1/me"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &session.csrf)
        .json(&change)
        .send()
        .await?;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await?["language"], "de");
    Ok(())
}

#[tokio::test]
async fn password_reset_by_mail_ends_older_sessions() -> anyhow::Result<()> {
    let s = Site::real("").await?;
    let d = &s.daemon;
    register_and_activate(d, &s.smtp, &registration(15)).await?;
    let old = login(d, &s.sms, "patient15@example.lu", PASSWORD, &phone(15), 0).await?;
    for login in ["patient15@example.lu", "nobody@example.lu"] {
        let r = d
            .client
            .post(d.url("/api/v1/auth/password-reset"))
            .json(&json!({"login": login}))
            .send()
            .await?;
        assert_eq!(
            r.status(),
            202,
            "same answer whether the account exists or not"
        );
    }
    let mail = s
        .smtp
        .wait_for("patient15@example.lu", "mot de passe", WAIT)
        .await?;
    let token = link_token(&mail.body).unwrap_or_default();
    let weak = d
        .client
        .post(d.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": "short"}))
        .send()
        .await?;
    assert_eq!(weak.status(), 422);
    let new_password = "another long passphrase 42";
    let done = d
        .client
        .post(d.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": new_password}))
        .send()
        .await?;
    assert_eq!(done.status(), 200);
    assert_eq!(
        d.get(&old, "/api/v1/me").await?.0,
        401,
        "sessions opened with the old password end"
    );
    let fresh = login(
        d,
        &s.sms,
        "patient15@example.lu",
        new_password,
        &phone(15),
        1,
    )
    .await?;
    assert_eq!(d.get(&fresh, "/api/v1/me").await?.0, 200);
    Ok(())
}

#[tokio::test]
async fn gdpr_export_rectify_withdraw_and_erase() -> anyhow::Result<()> {
    let s = Site::real("").await?;
    let d = &s.daemon;
    let id = register_and_activate(d, &s.smtp, &registration(16)).await?;
    let session = login(d, &s.sms, "patient16@example.lu", PASSWORD, &phone(16), 0).await?;
    let me = |method: Method, path: &'static str, body: Option<Value>| {
        let session = session.clone();
        async move { d.send(Some(&session), method, path, body.as_ref()).await }
    };

    // A new phone needs the password and a code sent to the current phone.
    let code = confirmation_code(d, &s.sms, &session, "contact_change", &phone(16), 1).await?;
    let fix = json!({"last_name": "Quackenbush-Weber", "phone": "+352 691 000 016",
        "password": PASSWORD, "code": code});
    let (status, fixed) = me(Method::PATCH, "/api/v1/me", Some(fix)).await?;
    assert_eq!(status, 200, "{fixed}");
    let (status, bad) = me(Method::PATCH, "/api/v1/me", Some(json!({"email": "nope"}))).await?;
    assert_eq!(status, 422, "{bad}");

    let withdraw = "/api/v1/me/consents/teleconsultation/withdraw";
    let (status, consents) = me(Method::POST, withdraw, None).await?;
    assert_eq!(status, 200, "{consents}");
    assert!(
        consents.as_array().is_some_and(|c| c
            .iter()
            .any(|c| c["kind"] == "teleconsultation" && c["withdrawn_at"].is_string())),
        "{consents}"
    );

    let export = d.get_ok(&session, "/api/v1/me/export").await?;
    assert_eq!(export["patient"]["last_name"], "Quackenbush-Weber");
    assert_eq!(export["patient"]["id"], id.as_str());
    assert!(export["account"].get("password_hash").is_none(), "{export}");
    let accesses = export["accesses"].as_array().map_or(0, Vec::len);
    assert!(
        accesses >= 4,
        "registration, activation, login, reads and updates are listed: {export}"
    );

    let code = confirmation_code(d, &s.sms, &session, "erasure", "+352691000016", 0).await?;
    let confirm = json!({"password": PASSWORD, "code": code});
    let (status, body) = me(Method::DELETE, "/api/v1/me", Some(confirm)).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["erased"], true);
    assert!(
        body["kept"][0]
            .as_str()
            .is_some_and(|k| k.contains("audit trail")),
        "{body}"
    );
    assert_eq!(d.get(&session, "/api/v1/me").await?.0, 401);
    let relogin = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient16@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    assert_eq!(relogin.status(), 401);
    // The national id and e-mail are free again: the person can register anew.
    let again = d
        .client
        .post(d.url("/api/v1/patients"))
        .json(&registration(16))
        .send()
        .await?;
    assert_eq!(again.status(), 201);
    Ok(())
}

#[tokio::test]
async fn messages_are_retried_until_the_gateway_accepts_them() -> anyhow::Result<()> {
    let s = Site::real("").await?;
    let d = &s.daemon;
    register_and_activate(d, &s.smtp, &registration(17)).await?;
    s.sms.fail_next(1);
    let start = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient17@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    assert_eq!(start.status(), 200);
    // Back-off: the second attempt comes 10 s after the first.
    let code = s
        .sms
        .code_for(&phone(17), 0, Duration::from_secs(45))
        .await?;
    assert_eq!(code.len(), 6);
    assert_eq!(s.sms.messages().len(), 1, "delivered once");
    Ok(())
}
