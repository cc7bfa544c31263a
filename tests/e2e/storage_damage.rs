//! Storage faults (issue #23), damage: bytes flipped in the store file of a stopped daemon
//! (several seeds, several places, a store fresh or opened once more before). The daemon never
//! serves silently rolled-back data: it refuses to start (damaged), or serves nothing (behind
//! its audit anchor), or serves everything that was acknowledged; `teleconsultctl verify` names
//! what is damaged; a restore of the last backup brings every acknowledged record back. A
//! record altered in place is named by the check of every record, in the metrics and on the
//! pages of the site's people.

use crate::storage_faults::support::{copy_dir, ctl, ctl_async, metric, readyz};
use anyhow::Context;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use teleconsult_tests::accounts::{PASSWORD, login, phone, register_and_activate, registration};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::site::Site;
use teleconsult_tests::{Daemon, DaemonOptions, poll_until};

/// Flips `count` bytes of `file` at places drawn from `seed`, within `from..to` eighths of it.
fn flip(file: &Path, seed: u64, count: usize, (from, to): (usize, usize)) -> anyhow::Result<()> {
    let mut bytes = std::fs::read(file)?;
    let (start, end) = (bytes.len() * from / 8, bytes.len() * to / 8);
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..count {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let at = start + (r as usize) % (end - start);
        bytes[at] ^= ((r >> 56) as u8) | 1;
    }
    std::fs::write(file, bytes)?;
    Ok(())
}

/// Every patient logs in (`nth_sms`: codes each phone received before).
async fn all_log_in(
    daemon: &Daemon,
    sms: &SmsSink,
    patients: std::ops::RangeInclusive<u32>,
    nth_sms: usize,
) -> anyhow::Result<()> {
    for n in patients {
        login(
            daemon,
            sms,
            &format!("patient{n}@example.lu"),
            PASSWORD,
            &phone(n),
            nth_sms,
        )
        .await
        .with_context(|| format!("patient {n}"))?;
    }
    Ok(())
}

#[tokio::test]
async fn flipped_bytes_in_the_store_never_go_unnoticed_and_the_backup_brings_everything_back()
-> anyhow::Result<()> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let socket_dir = tempfile::Builder::new().prefix("tc-admin-").tempdir()?;
    let mut daemon = Daemon::start(DaemonOptions {
        extra_config: format!(
            "{}\n[limits]\nregister_per_hour = 1000\nlogin_per_minute = 1000\notp_per_minute = 1000\n\n\
             [admin]\nsocket = \"{}\"\n",
            teleconsult_tests::accounts::sinks_config(&smtp, &sms),
            socket_dir.path().join("admin.sock").display()
        ),
        ..Default::default()
    })
    .await?;
    let patients = 1..=15u32;
    for n in patients.clone() {
        register_and_activate(&daemon, &smtp, &registration(240 + n)).await?;
    }
    let patients = 241..=255u32;
    // Staff see the disk in the status.
    let (code, out, err) = ctl_async(&daemon, &["status"]).await?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("disk:") && out.contains("writes:   ok"),
        "{out}"
    );
    let backup = daemon.dir().join("last.tcbackup");
    let (code, out, err) =
        ctl_async(&daemon, &["backup", backup.to_str().context("path")?]).await?;
    assert_eq!(code, 0, "{out}{err}");
    daemon.terminate(Duration::from_secs(20)).await?;
    // The store as the daemon left it, and as it is after one more start (sled then keeps a
    // snapshot covering the records, and does not read them again when it opens).
    let fresh = daemon.dir().join("fresh");
    copy_dir(&daemon.storage_path(), &fresh)?;
    daemon.spawn().await?;
    daemon.terminate(Duration::from_secs(20)).await?;
    let restarted = daemon.dir().join("restarted");
    copy_dir(&daemon.storage_path(), &restarted)?;

    // (seed, store, place in eighths of the file, bytes flipped): several seeds, places and
    // amounts, each case from a copy of the same store.
    let cases = [
        (1, &fresh, (4, 8), 20),
        (2, &fresh, (0, 4), 20),
        (3, &fresh, (6, 8), 1),
        (4, &restarted, (0, 8), 20),
        (5, &restarted, (0, 1), 20),
        (6, &restarted, (2, 5), 20),
        (7, &restarted, (4, 8), 1),
        (9, &restarted, (0, 8), 20),
    ];
    let mut logins = 0;
    let mut outcomes = Vec::new();
    for (seed, pristine, place, count) in cases {
        copy_dir(pristine, &daemon.storage_path())?;
        flip(&daemon.storage_path().join("db"), seed, count, place)?;
        let logged_before = daemon.logs().len();
        let outcome = match daemon.spawn().await {
            Err(refused) => {
                // It refused to start, saying what to do.
                let _ = daemon.kill9().await;
                let logs = daemon.logs()[logged_before..].to_owned();
                assert!(
                    logs.contains("damaged") && logs.contains("teleconsultctl restore"),
                    "seed {seed}: {refused:#}"
                );
                let (code, out, err) = ctl(&daemon, &["verify"])?;
                assert_eq!(code, 1, "seed {seed}: {out}{err}");
                let (code, out, err) = ctl(
                    &daemon,
                    &["restore", "--force", backup.to_str().context("path")?],
                )?;
                assert_eq!(code, 0, "seed {seed}: {out}{err}");
                assert!(out.contains("moved to"), "seed {seed}: {out}");
                daemon.spawn().await?;
                "refused to start"
            }
            Ok(()) => {
                let (status, ready) = readyz(&daemon).await?;
                let (code, out, err) = ctl_async(&daemon, &["verify"]).await?;
                if status == 503 {
                    // Behind its anchor: nothing is served, and why is said.
                    let reason = ready["reason"].as_str().unwrap_or_default().to_owned();
                    assert!(reason.contains("earlier state"), "seed {seed}: {ready}");
                    assert!(
                        reason.contains("teleconsultctl restore"),
                        "seed {seed}: {reason}"
                    );
                    let r = daemon
                        .client
                        .post(daemon.url("/api/v1/auth/login"))
                        .json(&serde_json::json!({"login": "patient241@example.lu", "password": PASSWORD}))
                        .send()
                        .await?;
                    assert_eq!(r.status(), 503, "seed {seed}");
                    let body: Value = r.json().await?;
                    assert_eq!(body["error"], "store_rolled_back", "seed {seed}: {body}");
                    // Pages too: a page that says so, not the site as it was.
                    let page = daemon
                        .client
                        .get(daemon.url("/login"))
                        .header("accept", "text/html")
                        .header("accept-language", "en")
                        .send()
                        .await?;
                    assert_eq!(page.status(), 503, "seed {seed}");
                    let html = page.text().await?;
                    assert!(html.contains("earlier state"), "seed {seed}: {html}");
                    assert_eq!(code, 1, "seed {seed}: {out}{err}");
                    assert!(out.contains("ROLLED BACK"), "seed {seed}: {out}");
                    assert_eq!(
                        metric(&daemon, "teleconsult_store_rolled_back").await?,
                        Some(1.0),
                        "seed {seed}"
                    );
                    let (code, _, err) = ctl_async(&daemon, &["audit-verify"]).await?;
                    assert_eq!(
                        code, 1,
                        "seed {seed}: audit-verify must not say intact: {err}"
                    );
                    "rolled back"
                } else if code == 0 {
                    // Nothing found: then everything acknowledged is served.
                    all_log_in(&daemon, &sms, patients.clone(), logins).await?;
                    logins += 1;
                    "intact"
                } else {
                    assert!(out.contains("damaged"), "seed {seed}: {out}");
                    "damaged"
                }
            }
        };
        if outcome != "intact" {
            let (code, out, err) = ctl_async(
                &daemon,
                &["restore", "--force", backup.to_str().context("path")?],
            )
            .await?;
            assert_eq!(code, 0, "seed {seed}: {out}{err}");
            poll_until(
                "ready after the restore",
                Duration::from_secs(10),
                || async { matches!(readyz(&daemon).await, Ok((200, _))).then_some(()) },
            )
            .await?;
            all_log_in(&daemon, &sms, patients.clone(), logins).await?;
            logins += 1;
            let (code, out, err) = ctl_async(&daemon, &["verify"]).await?;
            assert_eq!(code, 0, "seed {seed}: after the restore: {out}{err}");
            // The check the administrator ran shows in the metrics.
            assert_eq!(
                metric(&daemon, "teleconsult_store_damaged_records").await?,
                Some(0.0)
            );
            assert!(
                metric(&daemon, "teleconsult_store_checked_records")
                    .await?
                    .is_some_and(|n| n > 15.0)
            );
            assert_eq!(
                metric(&daemon, "teleconsult_store_rolled_back").await?,
                Some(0.0)
            );
        }
        outcomes.push((seed, outcome));
        daemon.terminate(Duration::from_secs(20)).await?;
    }
    eprintln!("outcomes: {outcomes:?}");
    Ok(())
}

/// One bit of one sealed patient record altered on disk (a bad sector under a store that still
/// opens): the administrator's check (`teleconsultctl verify`, through the running daemon) names
/// the record's kind, the metrics count it, and staff pages say so with what to do.
#[tokio::test]
async fn a_record_damaged_in_place_is_named_by_the_check_in_the_metrics_and_on_staff_pages()
-> anyhow::Result<()> {
    let socket_dir = tempfile::Builder::new().prefix("tc-admin-").tempdir()?;
    let mut site = Site::real(&format!(
        "[admin]\nsocket = \"{}\"\n",
        socket_dir.path().join("admin.sock").display()
    ))
    .await?;
    let (login, password, phone) = ("frontdesk", "front desk passphrase 7", "+352621009998");
    crate::ctl::ctl_stdin(
        &site,
        &[
            "user",
            "add",
            "--role",
            "staff",
            "--login",
            login,
            "--phone",
            phone,
            "--email",
            "fd@example.lu",
            "--name",
            "Front Desk",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    )
    .await?
    .ok();
    site.register(262).await?;
    let (code, out, err) = ctl_async(&site.daemon, &["verify"]).await?;
    assert_eq!(code, 0, "a clean store first: {out}{err}");
    site.daemon.terminate(Duration::from_secs(20)).await?;
    {
        let db = sled::Config::new()
            .path(site.daemon.storage_path())
            .open()?;
        let patients = db.open_tree("patients")?;
        let (key, value) = patients.iter().next().context("no patient record")??;
        let mut value = value.to_vec();
        let last = value.len() - 1;
        value[last] ^= 0x20;
        patients.insert(key, value)?;
        db.flush()?;
    }
    site.daemon.spawn().await?;
    let (code, out, err) = ctl_async(&site.daemon, &["verify"]).await?;
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("patients"), "names the kind of record: {out}");
    assert_eq!(
        metric(&site.daemon, "teleconsult_store_damaged_records").await?,
        Some(1.0)
    );
    let staff = site.login_as(login, password, phone).await?;
    let (status, html) = teleconsult_tests::pages::get_page(&site.daemon, &staff, "/home").await?;
    assert_eq!(status, 200);
    assert!(
        html.contains("storage-alert") && html.contains("teleconsultctl verify"),
        "no damage banner for staff: {html}"
    );
    Ok(())
}
