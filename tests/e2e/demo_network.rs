//! Issue #18 (5): demo mode serves fixed passwords (an administrator's among them) and every
//! login code on `/demo/outbox`, so it refuses to listen anywhere but on loopback unless the
//! operator starts it with `--demo-on-network` — and then the banner, the status and every page
//! say so. The on-network daemon runs in a network namespace the test creates
//! ([`teleconsult_tests::netns`]: loopback and a veth pair whose both ends are inside it):
//! listening on every address there exposes nothing. Without namespaces, the capability rule
//! decides (a failure under `cargo xtask test`).

use std::process::Command;
use std::time::Duration;
use teleconsult_tests::daemon::binary;
use teleconsult_tests::{Daemon, DaemonOptions, netns};

/// `teleconsultd [args] --config <file>` with `toml`, bounded in time; (exit code, stdout, stderr).
fn teleconsultd(toml: &str, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("teleconsult.toml");
    std::fs::write(&path, toml)?;
    let storage = dir.path().join("data");
    let mut child = Command::new(binary()?)
        .current_dir(dir.path())
        .args(args)
        .arg("--config")
        .arg(&path)
        .env_clear()
        .env("TELECONSULT__STORAGE__PATH", &storage)
        .env(
            "TELECONSULT__STORAGE__KEY_FILE",
            dir.path().join("storage.key"),
        )
        .env("TELECONSULT__ADMIN__SOCKET", dir.path().join("admin.sock"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    // A daemon that wrongly starts is stopped after a bound, and the test then fails.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait()?.is_none() {
        if std::time::Instant::now() > deadline {
            child.kill()?;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn demo_mode_refuses_a_non_loopback_address_without_the_flag() -> anyhow::Result<()> {
    for (toml, args) in [
        ("[http]\nlisten = \"0.0.0.0:0\"\n", &["--demo"][..]),
        ("[http]\nlisten = \"[::]:0\"\n", &["--demo"][..]),
        // Demo mode switched on in the file, not on the command line.
        (
            "[site]\ndemo = true\n[http]\nlisten = \"0.0.0.0:0\"\n",
            &[][..],
        ),
    ] {
        // check-config first: on a daemon without the rule it exits 0 and the test stops here,
        // before anything is started on the network.
        let check: Vec<&str> = args.iter().copied().chain(["check-config"]).collect();
        let (code, stdout, stderr) = teleconsultd(toml, &check)?;
        assert_eq!(code, 2, "{toml}\nstdout: {stdout}\nstderr: {stderr}");
        assert!(
            stderr.contains("http.listen") && stderr.contains("--demo-on-network"),
            "{stderr}"
        );
        assert!(
            stderr.contains("127.0.0.1:0"),
            "says what to write: {stderr}"
        );
        let (code, _, stderr) = teleconsultd(toml, args)?;
        assert_eq!(code, 2, "the daemon must not start: {stderr}");
        assert!(stderr.contains("--demo-on-network"), "{stderr}");
    }
    // Loopback needs nothing; the flag makes the check pass and says what it means.
    let (code, _, stderr) = teleconsultd(
        "[http]\nlisten = \"127.0.0.2:0\"\n",
        &["--demo", "check-config"],
    )?;
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = teleconsultd(
        "[http]\nlisten = \"0.0.0.0:0\"\n",
        &["--demo", "--demo-on-network", "check-config"],
    )?;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: http.listen") && stderr.contains("reachable from the network"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn with_demo_on_network_the_banner_status_and_pages_say_so() -> anyhow::Result<()> {
    let test = "demo_network::with_demo_on_network_the_banner_status_and_pages_say_so";
    netns::run_inside(test, || async {
        let mut daemon = Daemon::start(DaemonOptions {
            demo: true,
            args: vec!["--demo-on-network".into()],
            env: vec![("TELECONSULT__HTTP__LISTEN".into(), "0.0.0.0:0".into())],
            ..Default::default()
        })
        .await?;
        // A STATUS after READY carries the warning (after the self-signed certificate's):
        // read the notifications until it comes, within a bound.
        let mut statuses = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !statuses
            .iter()
            .any(|s: &String| s.contains("WARNING") && s.contains("--demo-on-network"))
        {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match daemon.next_notify(left).await {
                Some(status) => statuses.push(status),
                None => anyhow::bail!("no STATUS with the warning: {statuses:?}"),
            }
        }
        let logs = daemon.logs();
        assert!(
            logs.contains("WARNING: demo reachable from the network (--demo-on-network)"),
            "banner: {logs}"
        );
        // Pages, through loopback inside the namespace (the demo certificate names localhost).
        let port = daemon
            .base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or_else(|| anyhow::anyhow!("no port in {}", daemon.base_url))?;
        let pem = std::fs::read(daemon.certificate_path())?;
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem)?])
            .resolve("localhost", ([127, 0, 0, 1], port).into())
            .timeout(Duration::from_secs(30))
            .build()?;
        for path in ["/", "/demo/outbox", "/login"] {
            let page = client
                .get(format!("https://localhost:{port}{path}"))
                .header("accept-language", "en")
                .send()
                .await?
                .text()
                .await?;
            assert!(
                page.contains("This demo is reachable from the network"),
                "{path}: {page}"
            );
        }
        daemon.terminate(Duration::from_secs(10)).await?;
        Ok(())
    })
}
