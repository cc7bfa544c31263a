//! Sessions (issue #18, items 7 and 10): the `__Host-` session cookie, session tokens never
//! taken from a query string except by the signalling socket, single-use signalling tickets,
//! sockets that close when their session ends or their appointment is cancelled, and the idle
//! timeout.

use anyhow::Context;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use teleconsult_tests::Daemon;
use teleconsult_tests::accounts::{Login, PASSWORD, WAIT, phone};
use teleconsult_tests::booking::{MIN_LEAD, book_weber};
use teleconsult_tests::signal::{self, Signal, connect, connect_url};
use teleconsult_tests::sinks::link_token;
use teleconsult_tests::site::{ADMIN, Site};

/// The signalling socket of `appointment` opened with `query` (`ticket=…` or `token=…`) and no
/// header at all, as a browser's WebSocket.
async fn connect_with(
    daemon: &Daemon,
    appointment: &str,
    query: &str,
) -> anyhow::Result<Result<Signal, (u16, Value)>> {
    connect_url(daemon, &signal::url(daemon, appointment, Some(query))).await
}

/// A signalling ticket asked for with the session cookie and CSRF header, as the call page does.
async fn ticket(daemon: &Daemon, who: &Login, appointment: &str) -> anyhow::Result<(u16, Value)> {
    let r = daemon
        .client
        .post(daemon.url(&format!("/api/v1/appointments/{appointment}/signal-ticket")))
        .header("cookie", format!("__Host-tc_session={}", who.token))
        .header("x-csrf-token", &who.csrf)
        .send()
        .await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    let body = serde_json::from_str(&text).with_context(|| format!("ticket: {status} {text}"))?;
    Ok((status, body))
}

async fn status_of(request: reqwest::RequestBuilder) -> anyhow::Result<u16> {
    Ok(request.send().await?.status().as_u16())
}

#[tokio::test]
async fn the_session_cookie_is_host_prefixed_and_the_old_name_is_still_read() -> anyhow::Result<()>
{
    let d = Site::demo("").await?;
    d.register(700).await?;
    let r = d
        .client
        .post(d.url("/api/v1/auth/login"))
        .json(&json!({"login": "patient700@example.lu", "password": PASSWORD}))
        .send()
        .await?;
    let challenge = r.json::<Value>().await?["challenge_id"].clone();
    let code = d.sms.code_for(&phone(700), 0, WAIT).await?;
    let opened = d
        .client
        .post(d.url("/api/v1/auth/otp"))
        .json(&json!({"challenge_id": challenge, "code": code}))
        .send()
        .await?;
    assert_eq!(opened.status(), 200);
    let cookie = opened
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.starts_with("__Host-tc_session="), "{cookie}");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.to_lowercase().contains("domain="), "{cookie}");
    let token = opened.json::<Value>().await?["token"]
        .as_str()
        .context("no token")?
        .to_owned();

    let me = d.url("/api/v1/me");
    let with_cookie = |name: &str| {
        d.client
            .get(&me)
            .header("cookie", format!("{name}={token}"))
    };
    assert_eq!(status_of(with_cookie("__Host-tc_session")).await?, 200);
    // Sessions opened before the rename keep working until they end.
    assert_eq!(status_of(with_cookie("tc_session")).await?, 200);

    let out = d
        .client
        .post(d.url("/api/v1/auth/logout"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await?;
    assert_eq!(out.status(), 204);
    let cleared: Vec<&str> = out
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    for name in ["__Host-tc_session=;", "tc_session=;"] {
        assert!(
            cleared
                .iter()
                .any(|c| c.starts_with(name) && c.contains("Max-Age=0")),
            "{cleared:?}"
        );
    }
    assert_eq!(status_of(with_cookie("__Host-tc_session")).await?, 401);
    Ok(())
}

#[tokio::test]
async fn a_session_token_in_a_query_string_only_opens_the_signalling_socket() -> anyhow::Result<()>
{
    let c = Site::clinic(710).await?;
    let d = &c.site.daemon;
    // A token in a URL ends up in logs and histories: the API does not take it.
    for path in ["/api/v1/me", "/api/v1/appointments", "/api/v1/me/export"] {
        let status = status_of(
            d.client
                .get(d.url(&format!("{path}?token={}", c.owner.token))),
        )
        .await?;
        assert_eq!(status, 401, "{path}");
    }
    // The signalling socket still does, for clients that can do nothing else (DESIGN §4b).
    let id = book_weber(&c.site, &c.owner, MIN_LEAD).await?;
    let mut socket = connect_with(d, &id, &format!("token={}", c.owner.token))
        .await?
        .map_err(|e| anyhow::anyhow!("?token= refused: {e:?}"))?;
    socket
        .send(json!({"type": "join", "role": "patient"}))
        .await?;
    socket.until("waiting").await?;
    Ok(())
}

#[tokio::test]
async fn a_signalling_ticket_opens_one_socket_once() -> anyhow::Result<()> {
    let c = Site::clinic(720).await?;
    let d = &c.site.daemon;
    let id = book_weber(&c.site, &c.owner, MIN_LEAD).await?;
    let other = book_weber(&c.site, &c.owner, 2 * MIN_LEAD).await?;

    // Asked for with the cookie, a ticket needs the CSRF token like any change.
    let forged = d
        .client
        .post(d.url(&format!("/api/v1/appointments/{id}/signal-ticket")))
        .header("cookie", format!("__Host-tc_session={}", c.owner.token))
        .send()
        .await?;
    assert_eq!(forged.status(), 403);
    // Only the parties get one.
    let (status, _) = ticket(d, &c.stranger, &id).await?;
    assert_eq!(status, 404);

    let (status, body) = ticket(d, &c.owner, &id).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in_s"], 30);
    let first = body["ticket"].as_str().context("no ticket")?.to_owned();
    let mut socket = connect_with(d, &id, &format!("ticket={first}"))
        .await?
        .map_err(|e| anyhow::anyhow!("ticket refused: {e:?}"))?;
    socket
        .send(json!({"type": "join", "role": "patient"}))
        .await?;
    socket.until("waiting").await?;
    let again = connect_with(d, &id, &format!("ticket={first}")).await?;
    assert_eq!(
        again.err().map(|(s, b)| (s, b["error"].clone())),
        Some((401, json!("unauthenticated"))),
        "a ticket works once"
    );

    // A ticket is for its appointment only (and is used up by the attempt).
    let (_, body) = ticket(d, &c.owner, &id).await?;
    let misused = body["ticket"].as_str().context("no ticket")?.to_owned();
    let elsewhere = connect_with(d, &other, &format!("ticket={misused}")).await?;
    assert_eq!(elsewhere.err().map(|(s, _)| s), Some(401));
    let after = connect_with(d, &id, &format!("ticket={misused}")).await?;
    assert_eq!(after.err().map(|(s, _)| s), Some(401));

    // Thirty sockets racing for one ticket: exactly one opens.
    let (_, body) = ticket(d, &c.owner, &id).await?;
    let raced = body["ticket"].as_str().context("no ticket")?.to_owned();
    let query = format!("ticket={raced}");
    let attempts = join_all((0..30).map(|_| connect_with(d, &id, &query))).await;
    let mut opened = 0;
    for attempt in attempts {
        match attempt? {
            Ok(_) => opened += 1,
            Err((status, _)) => assert_eq!(status, 401),
        }
    }
    assert_eq!(opened, 1, "one socket per ticket");
    Ok(())
}

#[tokio::test]
async fn sockets_close_when_their_session_ends_or_their_appointment_is_cancelled()
-> anyhow::Result<()> {
    let c = Site::clinic(730).await?;
    let (site, d) = (&c.site, &c.site.daemon);
    let id = book_weber(site, &c.owner, MIN_LEAD).await?;
    let open = |who: &Login, role: &'static str| {
        let who = who.clone();
        let id = id.clone();
        async move {
            let mut socket = connect(d, &id, &who)
                .await?
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            socket.send(json!({"type": "join", "role": role})).await?;
            socket.until("waiting").await?;
            anyhow::Ok(socket)
        }
    };
    let mut patient_ws = open(&c.owner, "patient").await?;
    let mut doctor = open(&c.weber, "practitioner").await?;

    // Logout: the socket of that session is told and closed (4001); the other stays.
    let out = d
        .client
        .post(d.url("/api/v1/auth/logout"))
        .header("authorization", c.owner.bearer())
        .send()
        .await?;
    assert_eq!(out.status(), 204);
    assert_eq!(patient_ws.until("error").await?["error"], "session_ended");
    assert_eq!(patient_ws.closed().await?.map(|(code, _)| code), Some(4001));
    assert_eq!(
        doctor.until("waiting").await?["roles"],
        json!(["practitioner"])
    );

    // A password reset ends the sessions opened before it, and their sockets.
    let again = site.login_patient(730).await?;
    let mut patient_ws = open(&again, "patient").await?;
    let asked = d
        .client
        .post(d.url("/api/v1/auth/password-reset"))
        .json(&json!({"login": "patient730@example.lu"}))
        .send()
        .await?;
    assert_eq!(asked.status(), 202);
    let mail = site
        .smtp
        .wait_for("patient730@example.lu", "mot de passe", WAIT)
        .await?;
    let token = link_token(&mail.body).context("no reset link")?;
    let reset = d
        .client
        .post(d.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": "a whole new passphrase 730"}))
        .send()
        .await?;
    assert_eq!(reset.status(), 200);
    assert_eq!(patient_ws.until("error").await?["error"], "session_ended");
    assert_eq!(patient_ws.closed().await?.map(|(code, _)| code), Some(4001));

    // An administrator disables the account: its sockets close too.
    let third = site
        .login_as(
            "patient730@example.lu",
            "a whole new passphrase 730",
            &phone(730),
        )
        .await?;
    let mut patient_ws = open(&third, "patient").await?;
    let admin = site.login(&ADMIN).await?;
    let me = site.get_ok(&third, "/api/v1/me").await?;
    let account = me["id"].as_str().context("no account id")?;
    let (status, body) = site
        .send(
            Some(&admin),
            Method::POST,
            &format!("/api/v1/users/{account}/disable"),
            None,
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(patient_ws.until("error").await?["error"], "session_ended");
    assert_eq!(patient_ws.closed().await?.map(|(code, _)| code), Some(4001));

    // Cancellation: the room closes (4002) for whoever is in it.
    let cancelled = d
        .client
        .post(d.url(&format!("/api/v1/appointments/{id}/cancel")))
        .header("authorization", c.weber.bearer())
        .json(&json!({"reason": "the practitioner is ill"}))
        .send()
        .await?;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(
        doctor.until("error").await?["error"],
        "appointment_cancelled"
    );
    assert_eq!(doctor.closed().await?.map(|(code, _)| code), Some(4002));
    Ok(())
}

#[tokio::test]
async fn an_unused_session_ends_after_the_idle_timeout_and_use_keeps_one_alive()
-> anyhow::Result<()> {
    // Three seconds: a quarter of it is the most the recorded use may lag.
    let d = Site::demo("[auth]\nidle_timeout_min = 0.05\n").await?;
    d.register(740).await?;
    let idle = d.login_patient(740).await?;
    let busy = d.login_patient(740).await?;
    let me = |who: &Login| {
        d.client
            .get(d.url("/api/v1/me"))
            .header("authorization", who.bearer())
            .send()
    };
    // Both used once: both are kept in memory from now on.
    assert_eq!(me(&idle).await?.status(), 200);
    let last_use = Instant::now();
    // The busy one is used in bursts of 30 parallel requests, every half second, for twice the
    // timeout: every request is answered, and the session's use is recorded (once per burst
    // at most: a compare-and-swap), so it never goes idle. The pace is the test (time must
    // pass for a session to go idle), not a wait for something.
    let mut pace = tokio::time::interval(Duration::from_millis(500));
    while last_use.elapsed() < Duration::from_secs(6) {
        pace.tick().await;
        let burst = join_all((0..30).map(|_| me(&busy))).await;
        for r in burst {
            assert_eq!(r?.status(), 200, "a used session stays open");
        }
    }
    assert_eq!(
        me(&idle).await?.status(),
        401,
        "unused for twice the idle timeout"
    );
    assert_eq!(me(&busy).await?.status(), 200);
    Ok(())
}
