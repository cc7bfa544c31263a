//! Counters of the account under 30 parallel requests against the real daemon (issue #18,
//! items 2 and 9): the lockout after wrong passwords, the attempts of an SMS code, an
//! administrator disabling an account while logins fail — and the memory a burst of 200
//! anonymous logins takes (password hashing is bounded). Each test checks its invariant once
//! the requests are answered.

use anyhow::Context;
use futures_util::StreamExt;
use futures_util::future::join_all;
use futures_util::stream::FuturesUnordered;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use teleconsult_tests::Daemon;
use teleconsult_tests::accounts::{Login, PASSWORD, WAIT, phone};
use teleconsult_tests::site::{ADMIN, Site};

pub const PARALLEL: usize = 30;

/// `POST path` with `body`, as `who` when given (the shared API client).
async fn post(
    daemon: &Daemon,
    who: Option<&Login>,
    path: &str,
    body: &Value,
) -> anyhow::Result<(u16, Value)> {
    daemon
        .send(who, reqwest::Method::POST, path, Some(body))
        .await
}

/// How many answers had each (status, error code).
pub fn tally(answers: &[(u16, Value)]) -> BTreeMap<(u16, String), usize> {
    let mut counts = BTreeMap::new();
    for (status, body) in answers {
        let code = body["error"].as_str().unwrap_or_default().to_owned();
        *counts.entry((*status, code)).or_insert(0) += 1;
    }
    counts
}

async fn wrong_passwords(
    daemon: &Daemon,
    login: &str,
    n: usize,
) -> anyhow::Result<Vec<(u16, Value)>> {
    let body = json!({"login": login, "password": "not the password at all"});
    join_all((0..n).map(|_| post(daemon, None, "/api/v1/auth/login", &body)))
        .await
        .into_iter()
        .collect()
}

#[tokio::test]
async fn thirty_wrong_passwords_in_parallel_lock_the_account() -> anyhow::Result<()> {
    let daemon = Site::demo("").await?;
    daemon.register(301).await?;
    let who = "patient301@example.lu";

    let answers = wrong_passwords(&daemon, who, PARALLEL).await?;
    let counts = tally(&answers);
    // Each failure counts on the account as stored; the fifth locks it, and the others find
    // it locked, as they would have a moment later: exactly five "wrong", the rest 429.
    assert_eq!(
        counts.get(&(401, "invalid_credentials".into())),
        Some(&5),
        "{counts:?}"
    );
    assert_eq!(
        counts.get(&(429, "too_many_attempts".into())),
        Some(&(PARALLEL - 5)),
        "{counts:?}"
    );
    // The right password right after is refused too: the lock holds.
    let (status, body) = post(
        &daemon,
        None,
        "/api/v1/auth/login",
        &json!({"login": who, "password": PASSWORD}),
    )
    .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("too_many_attempts")),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn thirty_wrong_codes_in_parallel_void_the_challenge() -> anyhow::Result<()> {
    let daemon = Site::demo("").await?;
    daemon.register(302).await?;
    let (status, body) = post(
        &daemon,
        None,
        "/api/v1/auth/login",
        &json!({"login": "patient302@example.lu", "password": PASSWORD}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let challenge = body["challenge_id"]
        .as_str()
        .context("no challenge")?
        .to_owned();
    let code = daemon.sms.code_for(&phone(302), 0, WAIT).await?;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let body = json!({"challenge_id": challenge, "code": wrong});
    let answers: Vec<(u16, Value)> =
        join_all((0..PARALLEL).map(|_| post(&daemon, None, "/api/v1/auth/otp", &body)))
            .await
            .into_iter()
            .collect::<anyhow::Result<_>>()?;
    assert!(
        answers.iter().all(|(s, _)| *s == 401),
        "{:?}",
        tally(&answers)
    );
    // Three codes may be tried per challenge: two are told how many are left, the third
    // voids it; the other 27 find no challenge.
    let told_left = answers
        .iter()
        .filter(|(_, b)| b["message"].as_str().is_some_and(|m| m.contains("left")))
        .count();
    let voided = answers
        .iter()
        .filter(|(_, b)| b["error"] == "code_expired")
        .count();
    assert_eq!((told_left, voided), (2, 1), "{answers:?}");

    // The right code is refused now: the challenge is void.
    let (status, body) = post(
        &daemon,
        None,
        "/api/v1/auth/otp",
        &json!({"challenge_id": challenge, "code": code}),
    )
    .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_code")),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn logins_failing_while_an_admin_disables_the_account_leave_it_disabled() -> anyhow::Result<()>
{
    let daemon = Site::demo("").await?;
    daemon.register(303).await?;
    let admin = daemon.login(&ADMIN).await?;
    let users = daemon.get_ok(&admin, "/api/v1/users").await?;
    let account = users
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["login"] == "patient303@example.lu")
        .and_then(|u| u["id"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no account in {users}"))?;

    // Wrong passwords in flight (each reads the account, checks the password for tens of
    // milliseconds, then counts the failure); once the first is answered, the others have
    // read the account and the administrator disables it.
    let body = json!({"login": "patient303@example.lu", "password": "not the password at all"});
    let mut failing: FuturesUnordered<_> = (0..PARALLEL)
        .map(|_| post(&daemon, None, "/api/v1/auth/login", &body))
        .collect();
    let mut failed = vec![
        failing
            .next()
            .await
            .ok_or_else(|| anyhow::anyhow!("no login answered"))??,
    ];
    let disable_path = format!("/api/v1/users/{account}/disable");
    let (status, body) = post(&daemon, Some(&admin), &disable_path, &json!({})).await?;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("disabled")),
        "{body}"
    );
    while let Some(answer) = failing.next().await {
        failed.push(answer?);
    }
    assert!(
        failed.iter().all(|(s, _)| *s == 401 || *s == 429),
        "{:?}",
        tally(&failed)
    );

    let users = daemon.get_ok(&admin, "/api/v1/users").await?;
    let status = users
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["id"] == account.as_str())
        .map(|u| u["status"].clone());
    assert_eq!(
        status,
        Some(json!("disabled")),
        "no failed login wrote the account back enabled"
    );
    Ok(())
}

/// Resident and peak memory of process `pid` in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| anyhow::anyhow!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// argon2id's default memory per password check (m = 19456 KiB).
const ARGON2_KIB: u64 = 19_456;

#[tokio::test]
async fn a_burst_of_200_anonymous_logins_does_not_take_the_memory_of_200_hashes()
-> anyhow::Result<()> {
    const BURST: usize = 200;
    let daemon = Site::demo("").await?;
    let pid = daemon.pid().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    // Warm: one login checked (the dummy hash of unknown logins is made on first use).
    wrong_passwords(&daemon, "nobody-warm@example.lu", 1).await?;
    let (before, _) = memory_kib(pid)?;
    let answers: Vec<(u16, Value)> = join_all((0..BURST).map(|i| {
        let body = json!({"login": format!("nobody{i}@example.lu"), "password": "guess"});
        let daemon = &daemon;
        async move { post(daemon, None, "/api/v1/auth/login", &body).await }
    }))
    .await
    .into_iter()
    .collect::<anyhow::Result<_>>()?;
    let (after, peak) = memory_kib(pid)?;
    let counts = tally(&answers);
    eprintln!(
        "200 parallel anonymous logins: RSS before {} MiB, after {} MiB, peak {} MiB; answers {counts:?}",
        before / 1024,
        after / 1024,
        peak / 1024
    );
    // Unknown logins: 401, or 429 `busy` for those that waited too long for a permit.
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == 401 || (*s == 429 && b["error"] == "busy")),
        "{counts:?}"
    );
    assert!(counts.contains_key(&(401, "invalid_credentials".into())));
    // At most one argon2 buffer per core at once, plus room for 200 connections.
    let cores = std::thread::available_parallelism().map_or(2, usize::from) as u64;
    let bound = cores * ARGON2_KIB + 96 * 1024;
    assert!(
        peak.saturating_sub(before) < bound,
        "peak {peak} KiB, {before} KiB before: more than {bound} KiB for the burst"
    );
    Ok(())
}
