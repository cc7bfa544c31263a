//! `teleconsultd --demo`: embedded defaults, self-signed TLS, seeded data, clean stop.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use teleconsult_tests::{Daemon, DaemonOptions};

#[tokio::test]
async fn demo_starts_serves_tls_and_stops_cleanly_on_sigterm() -> anyhow::Result<()> {
    let mut daemon = Daemon::start(DaemonOptions {
        demo: true,
        ..Default::default()
    })
    .await?;

    // The client trusts only the certificate the daemon generated: this proves TLS is served
    // with it.
    let health = daemon.client.get(daemon.url("/healthz")).send().await?;
    assert_eq!(health.status(), 200);

    // Key created by the daemon, private.
    let mode = std::fs::metadata(daemon.key_path())?.permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "storage key mode {mode:o}");
    let key_mode = std::fs::metadata(daemon.storage_path().join("tls/demo-key.pem"))?
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600, "TLS key mode {key_mode:o}");

    // The landing page shows the seeded practitioners and the demo warning (asked in English:
    // without Accept-Language, pages speak the site's first language).
    let page = daemon
        .client
        .get(daemon.url("/"))
        .header("accept-language", "en")
        .send()
        .await?
        .text()
        .await?;
    assert!(page.contains("Demo mode"), "{page}");
    assert!(
        page.contains("Dr Anne Weber") && page.contains("speech_therapy"),
        "{page}"
    );

    let status = daemon.terminate(Duration::from_secs(5)).await?;
    assert!(
        status.success(),
        "exit status {status}; log:\n{}",
        daemon.logs()
    );
    assert!(
        daemon.logs().contains("teleconsultd stopped"),
        "{}",
        daemon.logs()
    );
    Ok(())
}

#[tokio::test]
async fn demo_restart_keeps_key_and_certificate() -> anyhow::Result<()> {
    let mut daemon = Daemon::start(DaemonOptions {
        demo: true,
        ..Default::default()
    })
    .await?;
    let key = std::fs::read(daemon.key_path())?;
    let cert = std::fs::read(daemon.storage_path().join("tls/demo-cert.pem"))?;
    daemon.terminate(Duration::from_secs(5)).await?;
    daemon.spawn().await?;
    assert_eq!(std::fs::read(daemon.key_path())?, key);
    assert_eq!(
        std::fs::read(daemon.storage_path().join("tls/demo-cert.pem"))?,
        cert
    );
    let page = daemon
        .client
        .get(daemon.url("/"))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(
        page.matches("Dr Anne Weber").count(),
        1,
        "seeding twice must not duplicate"
    );
    Ok(())
}

#[tokio::test]
async fn sighup_reloads_the_log_level_and_keeps_serving() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions {
        demo: true,
        ..Default::default()
    })
    .await?;
    let config = std::fs::read_to_string(daemon.config_path())?;
    std::fs::write(
        daemon.config_path(),
        config.replace("level = \"info\"", "level = \"debug\""),
    )?;
    daemon.signal(nix::sys::signal::Signal::SIGHUP)?;
    let status = daemon.next_notify(Duration::from_secs(10)).await;
    assert_eq!(
        status.as_deref(),
        Some("STATUS=ready: configuration reloaded"),
        "log:\n{}",
        daemon.logs()
    );
    assert!(
        daemon.logs().contains("configuration reloaded (log level)"),
        "{}",
        daemon.logs()
    );
    assert_eq!(
        daemon
            .client
            .get(daemon.url("/healthz"))
            .send()
            .await?
            .status(),
        200
    );
    Ok(())
}

#[tokio::test]
async fn a_real_install_refuses_to_start_without_its_storage_key() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions::default()).await;
    let mut daemon = daemon?;
    daemon.terminate(Duration::from_secs(5)).await?;
    std::fs::remove_file(daemon.key_path())?;
    let err = daemon
        .spawn()
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(err.contains("exited before READY"), "{err}");
    let logs = daemon.logs();
    assert!(
        logs.contains("storage.key"),
        "the error must name the key file:\n{logs}"
    );
    assert!(
        !daemon.key_path().exists(),
        "a real install must never create a key by itself"
    );
    Ok(())
}

#[tokio::test]
async fn the_watchdog_is_pinged_while_the_store_answers() -> anyhow::Result<()> {
    // As systemd does for `WatchdogSec=`: the daemon must ping at half the period.
    let options = DaemonOptions {
        demo: true,
        env: vec![("WATCHDOG_USEC".into(), "400000".into())],
        ..Default::default()
    };
    let daemon = Daemon::start(options).await?;
    let mut pings = 0;
    for _ in 0..20 {
        if daemon.next_notify(Duration::from_secs(2)).await.as_deref() == Some("WATCHDOG=1") {
            pings += 1;
            if pings == 3 {
                break;
            }
        }
    }
    assert_eq!(
        pings,
        3,
        "expected regular WATCHDOG=1 pings; log:\n{}",
        daemon.logs()
    );
    Ok(())
}

#[tokio::test]
async fn demo_logins_work_with_codes_from_the_demo_outbox() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions {
        demo: true,
        ..Default::default()
    })
    .await?;
    let login =
        serde_json::json!({"login": "patient@demo.invalid", "password": "demo patient 2026"});
    let start = daemon
        .client
        .post(daemon.url("/api/v1/auth/login"))
        .json(&login)
        .send()
        .await?;
    assert_eq!(start.status(), 200);
    let challenge = start.json::<serde_json::Value>().await?["challenge_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let code = teleconsult_tests::poll_until(
        "the code on the demo outbox page",
        Duration::from_secs(20),
        || async {
            let page = daemon
                .client
                .get(daemon.url("/demo/outbox"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            page.contains("+352621000001")
                .then(|| teleconsult_tests::sinks::six_digits(&page))
                .flatten()
        },
    )
    .await?;
    let otp = serde_json::json!({"challenge_id": challenge, "code": code});
    let session = daemon
        .client
        .post(daemon.url("/api/v1/auth/otp"))
        .json(&otp)
        .send()
        .await?;
    assert_eq!(session.status(), 200);
    assert_eq!(
        session.json::<serde_json::Value>().await?["role"],
        "patient"
    );
    Ok(())
}

#[tokio::test]
async fn the_demo_outbox_does_not_exist_on_a_real_install() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions::default()).await?;
    assert_eq!(
        daemon
            .client
            .get(daemon.url("/demo/outbox"))
            .send()
            .await?
            .status(),
        404
    );
    Ok(())
}
