//! Storage faults (issue #23): a full disk and a damaged store file never fail silently.
//!
//! - The store on a small tmpfs the test mounts (so these tests need root): filled through the
//!   API, the daemon answers clearly, stays up, `/readyz` says why it is not ready; once the
//!   tmpfs grows, writes succeed again without a restart, and every acknowledged write is there.
//! - Below the reserve, files are refused while bookings go on, and staff pages warn.
//! - Backups are refused where they would eat the reserve.
//!
//! Damaged store files are in `storage_damage.rs`.

pub(crate) mod support;

use anyhow::Context;
use serde_json::Value;
use std::time::Duration;
use support::{
    Tmpfs, copy_dir, ctl_env, download, fill, fill_leaving, metric, pdf, readyz, root_missing,
};
use teleconsult_tests::booking::{DR_WEBER, book_weber, open_all_day};
use teleconsult_tests::capability;
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::site::{LIFTED_LIMITS, STAFF, Site};
use teleconsult_tests::{Daemon, DaemonOptions, poll_until};

/// A demo site with a reserve of `reserve_mb` for files, whose store is then moved onto a
/// tmpfs of `mb` megabytes (stopped, copied, started again).
/// The disk fills with files, not with the per-account upload quotas: those are lifted.
/// `None` when this machine cannot mount one (no root) and the run allows skipping
/// (see [`capability`]).
async fn site_on_tmpfs(
    test: &str,
    mb: u64,
    reserve_mb: u64,
) -> anyhow::Result<Option<(Site, Tmpfs)>> {
    if let Some(missing) = root_missing() {
        capability::skip(test, &missing)?;
        return Ok(None);
    }
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let extra_config = format!(
        "{}\n{LIFTED_LIMITS}uploads_per_appointment = 100000\nuploads_per_day = 100000\n\n\
         [media]\nattachment_max_mb = 1\n",
        teleconsult_tests::accounts::sinks_config(&smtp, &sms)
    );
    let env = vec![
        (
            "TELECONSULT__STORAGE__RESERVE_MB".to_owned(),
            reserve_mb.to_string(),
        ),
        (
            "TELECONSULT__STORAGE__RESERVE_PERCENT".to_owned(),
            "0".to_owned(),
        ),
        (
            "TELECONSULT__ADMIN__CONTACT".to_owned(),
            "the pharmacy's IT desk, +352 12 34 56".to_owned(),
        ),
    ];
    let mut daemon = Daemon::start(DaemonOptions {
        demo: true,
        extra_config,
        env,
        ..Default::default()
    })
    .await?;
    daemon.terminate(Duration::from_secs(20)).await?;
    let store = daemon.storage_path();
    let copy = daemon.dir().join("store-copy");
    copy_dir(&store, &copy)?;
    std::fs::remove_dir_all(&store)?;
    std::fs::create_dir(&store)?;
    let fs = Tmpfs::mount(&store, mb)?;
    copy_dir(&copy, &store)?;
    std::fs::remove_dir_all(&copy)?;
    daemon.spawn().await?;
    Ok(Some((Site { daemon, smtp, sms }, fs)))
}

#[tokio::test]
async fn a_full_disk_answers_clearly_and_writes_resume_by_themselves_once_it_grows()
-> anyhow::Result<()> {
    const TEST: &str =
        "storage_faults::a_full_disk_answers_clearly_and_writes_resume_by_themselves_once_it_grows";
    // No reserve: the API itself fills the disk, as in the booth that ran out of space.
    let Some((mut site, fs)) = site_on_tmpfs(TEST, 48, 0).await? else {
        return Ok(());
    };
    let staff = site.login(&STAFF).await?;
    open_all_day(&site, &staff, DR_WEBER, 1, &["video", "audio"]).await?;
    let owner = site.patient(231).await?;
    let appointment = book_weber(&site, &owner, Duration::from_secs(2 * 24 * 3600)).await?;
    let pid = site.daemon.pid();

    // 1 MB files until the disk refuses them, then smaller ones until the store itself is
    // full. A file that does not fit is refused (507) before the storage engine sees it.
    let mut acknowledged: Vec<(String, Vec<u8>)> = Vec::new();
    let mut size = 1_000_000;
    let mut refused_in_a_row = 0;
    let mut full = None;
    for n in 0..3000 {
        let content = pdf(n, size);
        let (status, body) = site
            .upload_attachment(
                &owner,
                &appointment,
                "application/pdf",
                &format!("scan-{n}.pdf"),
                content.clone(),
            )
            .await
            .with_context(|| site.daemon.logs())?;
        match status {
            201 => {
                refused_in_a_row = 0;
                acknowledged.push((body["url"].as_str().context("no url")?.to_owned(), content));
            }
            503 => {
                full = Some(body);
                break;
            }
            _ => {
                assert_eq!(
                    (status, body["error"].as_str()),
                    (507, Some("insufficient_storage")),
                    "{body}"
                );
                refused_in_a_row += 1;
                if refused_in_a_row == 3 {
                    size = (size / 8).max(512);
                    refused_in_a_row = 0;
                }
            }
        }
    }
    let full = full.context("the 48 MB store never filled up")?;
    assert!(acknowledged.len() >= 20, "{} files", acknowledged.len());
    assert_eq!(full["error"], "storage_full", "{full}");
    let message = full["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("full") && message.contains("IT desk"),
        "says why and whom to call: {message}"
    );

    // What is left goes to something else on the box (logs do that): the store stays full.
    let free_at_first_refusal = metric(&site.daemon, "teleconsult_storage_free_bytes").await?;
    eprintln!("free space when the store first refused: {free_at_first_refusal:?}");
    fill(&fs.at.join("filler"))?;
    let logged_before = site
        .daemon
        .logs()
        .matches("the store refuses writes")
        .count();
    for n in 0..5 {
        let (status, body) = site
            .upload_attachment(
                &owner,
                &appointment,
                "application/pdf",
                "more.pdf",
                pdf(n, 600),
            )
            .await?;
        assert!(status == 503 || status == 507, "{status} {body}");
    }
    poll_until(
        "readyz 503 on the full disk",
        Duration::from_secs(15),
        || async { matches!(readyz(&site.daemon).await, Ok((503, _))).then_some(()) },
    )
    .await?;

    // The daemon stays up and says it is not ready, and why.
    let health = site
        .daemon
        .client
        .get(site.daemon.url("/healthz"))
        .send()
        .await?;
    assert_eq!(health.status(), 200);
    let (status, ready) = readyz(&site.daemon).await?;
    assert_eq!(status, 503, "{ready}");
    assert!(
        ready["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("full"),
        "{ready}"
    );
    // Reads of health data fail closed (their access cannot be recorded), saying so.
    let r = site
        .daemon
        .client
        .get(
            site.daemon
                .url(&format!("/api/v1/appointments/{appointment}")),
        )
        .header("authorization", owner.bearer())
        .send()
        .await?;
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await?;
    assert_eq!(body["error"], "storage_full", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("recorded")),
        "{body}"
    );
    for n in 0..3 {
        let (status, _) = site
            .upload_attachment(
                &owner,
                &appointment,
                "application/pdf",
                "more.pdf",
                pdf(n, 600),
            )
            .await?;
        assert!(status == 503 || status == 507, "{status}");
    }
    assert_eq!(
        metric(&site.daemon, "teleconsult_store_writable").await?,
        Some(0.0)
    );
    assert!(
        metric(&site.daemon, "teleconsult_storage_free_bytes")
            .await?
            .is_some()
    );
    // The journal says it once, not once per refused request.
    let logged = site
        .daemon
        .logs()
        .matches("the store refuses writes")
        .count();
    assert!(
        logged <= logged_before + 1,
        "{logged_before} then {logged}: {}",
        site.daemon.logs()
    );

    // Room again: writes resume by themselves, without a restart.
    fs.grow(128)?;
    poll_until(
        "readyz 200 after the disk grew",
        Duration::from_secs(30),
        || async { matches!(readyz(&site.daemon).await, Ok((200, _))).then_some(()) },
    )
    .await
    .with_context(|| site.daemon.logs())?;
    assert_eq!(site.daemon.pid(), pid, "no restart");
    let (status, body) = site
        .upload_attachment(
            &owner,
            &appointment,
            "application/pdf",
            "after.pdf",
            pdf(7, 1_000_000),
        )
        .await?;
    assert_eq!(status, 201, "{body}");
    acknowledged.push((
        body["url"].as_str().context("no url")?.to_owned(),
        pdf(7, 1_000_000),
    ));
    // sled was either poisoned (re-opened in the process) or jammed by a failed blob write
    // (the daemon executed itself again, same process, same address): either way by itself.
    let logs = site.daemon.logs();
    let how = if logs.contains("starts afresh") {
        "started afresh"
    } else {
        assert!(logs.contains("the store accepts writes again"), "{logs}");
        assert!(logs.contains("store re-opened"), "{logs}");
        "re-opened in the process"
    };
    eprintln!("writes resumed: {how}");
    assert_eq!(
        metric(&site.daemon, "teleconsult_store_writable").await?,
        Some(1.0)
    );
    // Every acknowledged write is there, now and after a restart.
    for run in 0..2 {
        for (url, content) in &acknowledged {
            let (status, bytes) = download(&site, &owner.bearer(), url).await?;
            assert_eq!(status, 200, "run {run}: {url}");
            assert!(bytes == *content, "run {run}: {url} differs");
        }
        if run == 0 {
            site.daemon.terminate(Duration::from_secs(20)).await?;
            site.daemon.spawn().await?;
        }
    }
    Ok(())
}

/// The common case of sled's two failure modes: the disk fills with small writes (no blob
/// files), sled keeps the error and refuses every write; once there is room, the daemon opens
/// the store again in its own process — connections and sessions stay.
#[tokio::test]
async fn small_writes_filling_the_disk_resume_after_an_in_process_reopen() -> anyhow::Result<()> {
    const TEST: &str =
        "storage_faults::small_writes_filling_the_disk_resume_after_an_in_process_reopen";
    let Some((site, fs)) = site_on_tmpfs(TEST, 32, 0).await? else {
        return Ok(());
    };
    let staff = site.login(&STAFF).await?;
    open_all_day(&site, &staff, DR_WEBER, 1, &["video", "audio"]).await?;
    let owner = site.patient(233).await?;
    let appointment = book_weber(&site, &owner, Duration::from_secs(2 * 24 * 3600)).await?;
    // Something else on the box leaves 2 MB; small files (2 KB, stored inline in sled's log)
    // take the rest.
    fill_leaving(&fs.at.join("filler"), 2 * 1024 * 1024)?;
    let mut acknowledged = Vec::new();
    let mut full = None;
    for n in 0..5000 {
        let content = pdf(n, 2048);
        let (status, body) = site
            .upload_attachment(
                &owner,
                &appointment,
                "application/pdf",
                "note.pdf",
                content.clone(),
            )
            .await?;
        match status {
            201 => acknowledged.push((body["url"].as_str().context("no url")?.to_owned(), content)),
            503 => {
                full = Some(body);
                break;
            }
            other => assert_eq!(other, 507, "{body}"),
        }
    }
    let full = full.context("the store never filled up")?;
    assert_eq!(full["error"], "storage_full", "{full}");
    assert_eq!(readyz(&site.daemon).await?.0, 503);
    let pid = site.daemon.pid();
    fs.grow(64)?;
    poll_until(
        "readyz 200 after the disk grew",
        Duration::from_secs(30),
        || async { matches!(readyz(&site.daemon).await, Ok((200, _))).then_some(()) },
    )
    .await
    .with_context(|| site.daemon.logs())?;
    let logs = site.daemon.logs();
    assert!(logs.contains("store re-opened"), "{logs}");
    assert!(!logs.contains("starts afresh"), "{logs}");
    assert_eq!(site.daemon.pid(), pid);
    // The same session goes on: no log-in again.
    let (status, body) = site
        .upload_attachment(
            &owner,
            &appointment,
            "application/pdf",
            "after.pdf",
            pdf(9, 2048),
        )
        .await?;
    assert_eq!(status, 201, "{body}");
    for (url, content) in &acknowledged {
        let (status, bytes) = download(&site, &owner.bearer(), url).await?;
        assert_eq!(status, 200, "{url}");
        assert!(bytes == *content, "{url} differs");
    }
    Ok(())
}

#[tokio::test]
async fn below_the_reserve_files_are_refused_while_bookings_go_on_and_staff_are_warned()
-> anyhow::Result<()> {
    const TEST: &str = "storage_faults::below_the_reserve_files_are_refused_while_bookings_go_on_and_staff_are_warned";
    let Some((mut site, fs)) = site_on_tmpfs(TEST, 96, 4).await? else {
        return Ok(());
    };
    let staff = site.login(&STAFF).await?;
    open_all_day(&site, &staff, DR_WEBER, 1, &["video", "audio"]).await?;
    let owner = site.patient(232).await?;
    let appointment = book_weber(&site, &owner, Duration::from_secs(2 * 24 * 3600)).await?;

    // Files of 256 KB until they are refused: a file may briefly cost the storage engine 17
    // times its size, so the last ones are refused with about 4 MB + 17 × 256 KB free.
    let mut refused = None;
    for n in 0..400 {
        let (status, body) = site
            .upload_attachment(
                &owner,
                &appointment,
                "application/pdf",
                "scan.pdf",
                pdf(n, 256 * 1024),
            )
            .await?;
        if status != 201 {
            refused = Some((status, body));
            break;
        }
    }
    let (status, body) = refused.context("files never reached the reserve")?;
    assert_eq!(
        (status, body["error"].as_str()),
        (507, Some("insufficient_storage")),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("free")),
        "{body}"
    );
    // The reserve keeps room for the essentials: a booking still succeeds, the site is ready.
    let second = book_weber(&site, &owner, Duration::from_secs(3 * 24 * 3600)).await?;
    assert_ne!(second, appointment);
    assert_eq!(readyz(&site.daemon).await?.0, 200);
    let free = metric(&site.daemon, "teleconsult_storage_free_bytes")
        .await?
        .context("no free-space metric")?;
    let reserve = metric(&site.daemon, "teleconsult_storage_reserve_bytes").await?;
    assert_eq!(reserve, Some(4.0 * 1024.0 * 1024.0));
    assert!(free < 10.0 * 1024.0 * 1024.0, "{free}");
    let used = metric(&site.daemon, "teleconsult_storage_used_percent")
        .await?
        .context("no used metric")?;
    assert!(used >= 90.0, "{used}");
    // Staff see it coming on their pages; patients are not bothered with it.
    let (status, html) = teleconsult_tests::pages::get_page(&site.daemon, &staff, "/home").await?;
    assert_eq!(status, 200);
    assert!(
        html.contains("storage-alert"),
        "no storage banner for staff"
    );
    let (_, html) = teleconsult_tests::pages::get_page(&site.daemon, &owner, "/home").await?;
    assert!(!html.contains("storage-alert"), "patients see no banner");
    // Other practitioners' bookings are not files either: the practitioner's agenda works.
    let (status, _) = site
        .get(&staff, &format!("/api/v1/practitioners/{DR_WEBER}/slots"))
        .await?;
    assert_eq!(status, 200);
    // The check of every record finds nothing wrong in a store with all kinds of records
    // (practitioners, schedules, accounts, sessions, appointments, reminders, files…).
    // (Room first: sled may write while it reads.)
    site.daemon.terminate(Duration::from_secs(20)).await?;
    fs.grow(256)?;
    let store = teleconsult_tests::daemon::open_store(&site.daemon)?;
    let report = store.scrub();
    assert!(report.is_clean(), "{report:?}");
    assert!(report.records > 100, "{}", report.records);
    Ok(())
}

/// Backups are refused on the storage filesystem when they would eat into the reserve, and
/// written elsewhere.
#[tokio::test]
async fn a_backup_that_would_eat_the_reserve_is_refused_on_the_storage_filesystem()
-> anyhow::Result<()> {
    let socket_dir = tempfile::Builder::new().prefix("tc-admin-").tempdir()?;
    let daemon = Daemon::start(DaemonOptions {
        extra_config: format!(
            "[admin]\nsocket = \"{}\"\n",
            socket_dir.path().join("admin.sock").display()
        ),
        ..Default::default()
    })
    .await?;
    // A reserve larger than any disk this runs on: the storage filesystem has no room for it.
    let huge_reserve = [("TELECONSULT__STORAGE__RESERVE_MB", "1048576")];
    let beside = daemon.dir().join("beside-the-store.tcbackup");
    let run = ctl_env(
        &daemon,
        &huge_reserve,
        &["backup", beside.to_str().context("path")?],
    )?;
    assert_eq!(run.0, 1, "{run:?}");
    assert!(
        run.2.contains("kept free") && run.2.contains("another disk"),
        "{run:?}"
    );
    assert!(!beside.exists(), "nothing written");
    // Another filesystem is the administrator's business.
    let elsewhere = tempfile::Builder::new().prefix("tc-backup-").tempdir()?;
    let _fs = Tmpfs::mount(elsewhere.path(), 16)?;
    let target = elsewhere.path().join("site.tcbackup");
    let run = ctl_env(
        &daemon,
        &huge_reserve,
        &["backup", target.to_str().context("path")?],
    )?;
    assert_eq!(run.0, 0, "{run:?}");
    assert!(target.exists());
    Ok(())
}
