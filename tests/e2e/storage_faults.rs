//! Storage faults (issue #23): a full disk and a damaged store file never fail silently.
//!
//! - The store on a small tmpfs the test mounts (so these tests need root): filled through the
//!   API, the daemon answers clearly, stays up, `/readyz` says why it is not ready; once the
//!   tmpfs grows, writes succeed again without a restart, and every acknowledged write is there.
//! - Below the reserve, files are refused while bookings go on, and staff pages warn.
//! - Bytes flipped in the store file of a stopped daemon: it refuses (damaged, or behind its
//!   audit anchor) or serves everything acknowledged; `teleconsultctl verify` names the damage;
//!   a restore of the last backup brings every acknowledged record back.

use crate::call::{DR_WEBER, Site, book, demo_login, open_all_day, patient, upload};
use anyhow::Context;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use teleconsult_tests::accounts::{PASSWORD, login, phone, register_and_activate, registration};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::{Daemon, DaemonOptions, poll_until};

/// Fails clearly when the test cannot mount a filesystem.
fn require_root() -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    anyhow::ensure!(
        std::fs::metadata("/proc/self")?.uid() == 0,
        "this test mounts a tmpfs for the store: it needs root (the test machines run the suite \
         as root)"
    );
    Ok(())
}

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mb` megabytes on `at` (an existing, empty folder).
    fn mount(at: &Path, mb: u64) -> anyhow::Result<Tmpfs> {
        require_root()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={mb}m,mode=0700"))
            .arg("tmpfs")
            .arg(at)
            .status()?;
        anyhow::ensure!(status.success(), "mount -t tmpfs failed: {status}");
        Ok(Tmpfs { at: at.to_owned() })
    }

    fn grow(&self, mb: u64) -> anyhow::Result<()> {
        let status = Command::new("mount")
            .arg("-o")
            .arg(format!("remount,size={mb}m"))
            .arg(&self.at)
            .status()?;
        anyhow::ensure!(status.success(), "remount failed: {status}");
        Ok(())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

/// A demo site with a reserve of `reserve_mb` for files, whose store is then moved onto a
/// tmpfs of `mb` megabytes (stopped, copied, started again).
async fn site_on_tmpfs(mb: u64, reserve_mb: u64) -> anyhow::Result<(Site, Tmpfs)> {
    require_root()?;
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let extra_config = format!(
        "{}\n[limits]\nregister_per_hour = 1000\nlogin_per_minute = 1000\notp_per_minute = 1000\n\n\
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
    Ok((Site { daemon, smtp, sms }, fs))
}

/// Writes `path` until the filesystem is full.
fn fill(path: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    let chunk = vec![0x55u8; 64 * 1024];
    for _ in 0..100_000 {
        if let Err(e) = file.write_all(&chunk).and_then(|()| file.sync_data()) {
            anyhow::ensure!(
                e.raw_os_error() == Some(28),
                "filling the disk failed otherwise: {e}"
            );
            return Ok(());
        }
    }
    anyhow::bail!("the filesystem never filled up")
}

/// A PDF of `size` bytes whose content depends on `n`.
fn pdf(n: usize, size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(size, b'0' + (n % 10) as u8);
    bytes
}

async fn readyz(daemon: &Daemon) -> anyhow::Result<(u16, Value)> {
    let r = daemon.client.get(daemon.url("/readyz")).send().await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

async fn metric(daemon: &Daemon, name: &str) -> anyhow::Result<Option<f64>> {
    let text = daemon
        .client
        .get(daemon.url("/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    }))
}

/// Downloads a file as `who`; its bytes.
async fn download(site: &Site, who: &str, url: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    let r = site
        .daemon
        .client
        .get(site.daemon.url(url))
        .header("authorization", who)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.bytes().await?.to_vec()))
}

#[tokio::test]
async fn a_full_disk_answers_clearly_and_writes_resume_by_themselves_once_it_grows()
-> anyhow::Result<()> {
    // No reserve: the API itself fills the disk, as in the booth that ran out of space.
    let (mut site, fs) = site_on_tmpfs(48, 0).await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let owner = patient(&site, 231).await?;
    let appointment = book(&site, &owner, 2 * 24 * 3600).await?;
    let pid = site.daemon.pid();

    // 1 MB files until the disk refuses them, then smaller ones until the store itself is
    // full. A file that does not fit is refused (507) before the storage engine sees it.
    let mut acknowledged: Vec<(String, Vec<u8>)> = Vec::new();
    let mut size = 1_000_000;
    let mut refused_in_a_row = 0;
    let mut full = None;
    for n in 0..3000 {
        let content = pdf(n, size);
        let (status, body) = upload(
            &site,
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
        let (status, body) = upload(
            &site,
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
        let (status, _) = upload(
            &site,
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
    let (status, body) = upload(
        &site,
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

/// Writes `path` until only about `leave` bytes of its filesystem are free.
fn fill_leaving(path: &Path, leave: u64) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;
    let mut file = std::fs::File::create(path)?;
    let chunk = vec![0x55u8; 64 * 1024];
    for _ in 0..100_000 {
        let stats = nix::sys::statvfs::statvfs(path)?;
        let free = stats.blocks_available() * stats.fragment_size();
        if free <= leave + chunk.len() as u64 {
            file.sync_all()?;
            anyhow::ensure!(file.metadata()?.size() > 0, "nothing to fill");
            return Ok(());
        }
        file.write_all(&chunk)?;
    }
    anyhow::bail!("the filesystem never filled up")
}

/// The common case of sled's two failure modes: the disk fills with small writes (no blob
/// files), sled keeps the error and refuses every write; once there is room, the daemon opens
/// the store again in its own process — connections and sessions stay.
#[tokio::test]
async fn small_writes_filling_the_disk_resume_after_an_in_process_reopen() -> anyhow::Result<()> {
    let (site, fs) = site_on_tmpfs(32, 0).await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let owner = patient(&site, 233).await?;
    let appointment = book(&site, &owner, 2 * 24 * 3600).await?;
    // Something else on the box leaves 2 MB; small files (2 KB, stored inline in sled's log)
    // take the rest.
    fill_leaving(&fs.at.join("filler"), 2 * 1024 * 1024)?;
    let mut acknowledged = Vec::new();
    let mut full = None;
    for n in 0..5000 {
        let content = pdf(n, 2048);
        let (status, body) = upload(
            &site,
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
    let (status, body) = upload(
        &site,
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
    let (site, _fs) = site_on_tmpfs(96, 4).await?;
    let staff = demo_login(&site, "staff", "demo staff 2026", "+352621000004").await?;
    open_all_day(&site, &staff).await?;
    let owner = patient(&site, 232).await?;
    let appointment = book(&site, &owner, 2 * 24 * 3600).await?;

    // Files of 256 KB until they are refused: a file may briefly cost the storage engine 17
    // times its size, so the last ones are refused with about 4 MB + 17 × 256 KB free.
    let mut refused = None;
    for n in 0..400 {
        let (status, body) = upload(
            &site,
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
    let second = book(&site, &owner, 3 * 24 * 3600).await?;
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
    let (status, _) = crate::call::get(
        &site,
        &staff,
        &format!("/api/v1/practitioners/{DR_WEBER}/slots"),
    )
    .await?;
    assert_eq!(status, 200);
    Ok(())
}

/// One `teleconsultctl` run: exit status, stdout, stderr.
fn ctl(daemon: &Daemon, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    ctl_env(daemon, &[], args)
}

/// [`ctl`] on a blocking thread (the daemon may need the test's runtime meanwhile).
async fn ctl_async(daemon: &Daemon, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    let config = daemon.config_path();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let binary = teleconsult_tests::daemon::binary()?.with_file_name("teleconsultctl");
    tokio::task::spawn_blocking(move || run_ctl(&binary, &config, &[], &args)).await?
}

/// `teleconsultctl` with extra environment variables (the configuration's last layer).
fn ctl_env(
    daemon: &Daemon,
    env: &[(&str, &str)],
    args: &[&str],
) -> anyhow::Result<(i32, String, String)> {
    let binary = teleconsult_tests::daemon::binary()?.with_file_name("teleconsultctl");
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    run_ctl(&binary, &daemon.config_path(), env, &args)
}

fn run_ctl(
    binary: &Path,
    config: &Path,
    env: &[(&str, &str)],
    args: &[String],
) -> anyhow::Result<(i32, String, String)> {
    let out = Command::new(binary)
        .arg("--config")
        .arg(config)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("TELECONSULT__ADMIN__SOCKET")
        .stdin(Stdio::null())
        .output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

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

/// Makes `to` (created when missing, emptied else — it may be a mount point) a copy of `from`.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(to)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
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
