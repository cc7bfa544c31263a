//! `teleconsultctl user …` on a stopped daemon: the same use cases as through the running
//! daemon's admin socket and the admin API (`teleconsult_app::users`), run by the CLI on the
//! store itself — created, listed, refused, disabled; the daemon started again honours it.

use crate::ctl::{ctl, ctl_stdin};
use std::time::Duration;
use teleconsult_tests::site::Site;

#[tokio::test]
async fn accounts_are_administered_with_the_daemon_stopped() -> anyhow::Result<()> {
    let socket_dir = tempfile::Builder::new().prefix("tc-admin-").tempdir()?;
    let mut site = Site::real(&format!(
        "[admin]\nsocket = \"{}\"\n",
        socket_dir.path().join("admin.sock").display()
    ))
    .await?;
    site.terminate(Duration::from_secs(10)).await?;

    let add = [
        "user",
        "add",
        "--role",
        "staff",
        "--login",
        "Nurse.Joy",
        "--phone",
        "+352 621 008 888",
        "--email",
        "joy@example.lu",
        "--password-stdin",
    ];
    let password = "night shift passphrase 3";
    let added = ctl_stdin(&site, &add, &format!("{password}\n")).await?.ok();
    assert!(added.stdout.contains("nurse.joy"), "{added:?}");
    ctl_stdin(&site, &add, &format!("{password}\n"))
        .await?
        .failed(1, "already exists");
    let mut bad = add;
    bad[7] = "12";
    bad[9] = "not an address";
    let refused = ctl_stdin(&site, &bad, "short\n")
        .await?
        .failed(1, "--phone");
    assert!(
        ["--email", "password"]
            .iter()
            .all(|f| refused.stderr.contains(f)),
        "every bad field named at once: {refused:?}"
    );
    let listing = ctl(&site, &["user", "list"]).await?.ok();
    assert!(listing.stdout.contains("nurse.joy"), "{listing:?}");
    ctl(&site, &["user", "reset-totp", "nurse.joy"])
        .await?
        .failed(1, "no authenticator app");
    ctl(&site, &["user", "disable", "nobody"])
        .await?
        .failed(1, "no account with login \"nobody\"");

    // Started again, the daemon serves the account created while it was stopped …
    site.spawn().await?;
    let nurse = site
        .login_as("nurse.joy", password, "+352621008888")
        .await?;
    assert_eq!(site.get_ok(&nurse, "/api/v1/me").await?["role"], "staff");
    // … and one disabled while it was stopped logs in no more.
    site.terminate(Duration::from_secs(10)).await?;
    ctl(&site, &["user", "disable", "NURSE.JOY"]).await?.ok();
    ctl(&site, &["audit-verify"]).await?.ok();
    site.spawn().await?;
    assert_eq!(site.get(&nurse, "/api/v1/me").await?.0, 401);
    let again = serde_json::json!({"login": "nurse.joy", "password": password});
    let (status, _) = site
        .send(
            None,
            reqwest::Method::POST,
            "/api/v1/auth/login",
            Some(&again),
        )
        .await?;
    assert_eq!(status, 401);
    Ok(())
}
