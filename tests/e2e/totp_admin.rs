//! The authenticator app where the site's people depend on it (issue #19, item 5): an
//! administrator resets a lost app (API, accounts page, `teleconsultctl user reset-totp`), and
//! a booth's staff log in with their app while the SMS gateway, the mail relay and the platform
//! are out of reach. The API itself is tested in `totp.rs`.

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};
use teleconsult_tests::accounts::{PASSWORD, WAIT};
use teleconsult_tests::pages::{get_page, post_form};
use teleconsult_tests::site::{ADMIN, DEMO_PATIENT, STAFF, Site};
use teleconsult_tests::totp::{login_with_app, password_step, set_up_app};
use teleconsult_tests::{closed_port, poll_until};

/// The home page's request to set up an app (a booth site's staff and practitioners).
const NUDGE: &str = "<div class=\"notice warning\" role=\"status\"><p>Merci de configurer";

#[tokio::test]
async fn an_administrator_resets_a_lost_app_through_the_api_the_page_and_teleconsultctl()
-> anyhow::Result<()> {
    let socket = tempfile::Builder::new().prefix("tc-admin-").tempdir()?;
    let extra = format!(
        "[admin]\nsocket = \"{}\"\n",
        socket.path().join("admin.sock").display()
    );
    let site = Site::demo(&extra).await?;
    let who = site.patient(907).await?;
    let email = "patient907@example.lu";
    set_up_app(&site, &who, PASSWORD).await?;
    let id = site.get_ok(&who, "/api/v1/me").await?["id"]
        .as_str()
        .context("id")?
        .to_owned();
    let path = format!("/api/v1/users/{id}/reset-totp");

    let staff = site.login(&STAFF).await?;
    let (status, _) = site.send(Some(&staff), Method::POST, &path, None).await?;
    assert_eq!(status, 403, "administrators only");
    let (status, _) = site.send(Some(&who), Method::POST, &path, None).await?;
    assert_eq!(
        status, 403,
        "not the owner either: that is removal, with a code"
    );
    let admin = site.login(&ADMIN).await?;
    let unknown = format!("/api/v1/users/{}/reset-totp", uuid::Uuid::new_v4());
    let (status, _) = site
        .send(Some(&admin), Method::POST, &unknown, None)
        .await?;
    assert_eq!(status, 404);
    let (status, body) = site.send(Some(&admin), Method::POST, &path, None).await?;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("reset")),
        "{body}"
    );
    poll_until("the reset e-mail", WAIT, || async {
        site.smtp
            .mails()
            .iter()
            .any(|m| m.to.iter().any(|t| t == email) && m.body.contains("administrateur"))
            .then_some(())
    })
    .await?;
    let (_, body) = site.send(Some(&admin), Method::POST, &path, None).await?;
    assert_eq!(body["status"], "none", "nothing left to reset");
    // The next login is by SMS (an account with an app is sent none).
    let who = site.login_patient(907).await?;

    // The same from the command line, through the admin socket.
    set_up_app(&site, &who, PASSWORD).await?;
    let ctl = teleconsult_tests::daemon::binary()?.with_file_name("teleconsultctl");
    let config = site.config_path();
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
    let out = run("patient907@example.lu").await??;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no authenticator app"),
        "{out:?}"
    );
    let who = site.login_patient(907).await?;

    // And from the administrators' accounts page.
    set_up_app(&site, &who, PASSWORD).await?;
    let button = format!("/admin/users/{id}/reset-totp");
    let (_, users) = get_page(&site, &admin, "/admin/users").await?;
    assert!(
        users.contains(&button),
        "a reset button for an account with an app"
    );
    let (status, at, _) = post_form(&site, &admin, &button, &[]).await?;
    assert_eq!((status, at.as_str()), (200, "/admin/users?totp_reset=1"));
    let (_, users) = get_page(&site, &admin, "/admin/users").await?;
    assert!(!users.contains(&button), "none once reset");
    let (_, body) = password_step(&site, email, PASSWORD).await?;
    assert_eq!(body["factor"], "sms");

    // The resets are in the account's audit trail, by their administrators: the admin
    // account through the API and the page, the system administrator through teleconsultctl.
    let export = site.get_ok(&who, "/api/v1/me/export").await?;
    let accesses = export["accesses"].as_array().context("accesses")?;
    let by: Vec<&str> = accesses
        .iter()
        .filter(|e| e["object_type"] == "totp" && e["object_id"] == id.as_str())
        .filter_map(|e| e["actor"]["kind"].as_str())
        .collect();
    let admin_id = site.get_ok(&admin, "/api/v1/me").await?["id"]
        .as_str()
        .context("admin id")?
        .to_owned();
    let by_admin = accesses
        .iter()
        .filter(|e| e["object_type"] == "totp" && e["actor"]["id"] == admin_id.as_str())
        .count();
    assert_eq!(by_admin, 2, "the API's and the page's: {export}");
    assert!(by.contains(&"admin"), "teleconsultctl's reset: {by:?}");
    Ok(())
}

#[tokio::test]
async fn with_the_sms_gateway_the_mail_relay_and_the_platform_unreachable_staff_log_in_with_their_app()
-> anyhow::Result<()> {
    let platform = format!("http://127.0.0.1:{}/fhir", closed_port().await?);
    let mut site = Site::demo(&format!(
        "[site]\nkind = \"booth\"\n\n[platform]\nbase_url = \"{platform}\"\n"
    ))
    .await?;
    // On a good day: the booth's staff member logs in by SMS, is asked to set up an app, does.
    let staff = site.login(&STAFF).await?;
    let (_, home) = get_page(&site, &staff, "/home").await?;
    assert!(home.contains(NUDGE), "the nudge: {home}");
    let mut app = set_up_app(&site, &staff, STAFF.password).await?;
    let (_, home) = get_page(&site, &staff, "/home").await?;
    assert!(!home.contains(NUDGE), "no nudge once set up");

    // The WAN goes: the SMS gateway, the mail relay and the platform are out of reach.
    site.terminate(std::time::Duration::from_secs(30)).await?;
    let config = std::fs::read_to_string(site.config_path())?;
    let gateway = format!("http://127.0.0.1:{}/sms", closed_port().await?);
    let relay = format!("smtp://127.0.0.1:{}", closed_port().await?);
    let (sms_url, smtp_url) = (site.sms.url.clone(), site.smtp.url());
    anyhow::ensure!(
        config.contains(&sms_url) && config.contains(&smtp_url),
        "{config}"
    );
    let config = config
        .replace(&sms_url, &gateway)
        .replace(&smtp_url, &relay);
    std::fs::write(site.config_path(), config)?;
    site.spawn().await?;

    let staff = login_with_app(&site, &mut app, STAFF.login, STAFF.password).await?;
    let (status, home) = get_page(&site, &staff, "/home").await?;
    assert_eq!(status, 200, "{home}");
    site.get_ok(&staff, "/api/v1/me").await?;

    // No SMS was attempted for the app login: the demo patient's SMS login, queued after it,
    // is the first and only SMS the worker tries (and fails) to deliver.
    let (status, body) = password_step(&site, DEMO_PATIENT.login, DEMO_PATIENT.password).await?;
    assert_eq!((status, &body["factor"]), (200, &json!("sms")));
    let attempts = poll_until("the failed SMS delivery in the log", WAIT, || async {
        let ids = sms_delivery_failures(&site.logs());
        (!ids.is_empty()).then_some(ids)
    })
    .await?;
    assert_eq!(
        attempts.len(),
        1,
        "one SMS tried, the patient's: {attempts:?}"
    );
    // And the platform being unreachable stopped nothing.
    site.get_ok(&staff, "/api/v1/sync/status").await?;
    Ok(())
}

/// The ids of SMS notifications whose delivery failed, from the daemon's JSON log.
pub(crate) fn sms_delivery_failures(log: &str) -> std::collections::BTreeSet<String> {
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
