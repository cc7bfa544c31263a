//! Issue #18 (6): outside demo mode, secrets never travel in clear text. `check-config` refuses
//! `smtp://` without required TLS, `http://` SMS gateways and `http://` platforms, naming each
//! key and what to write instead — except to this machine (a relay on the box, the tests'
//! sinks), and in demo mode.

use std::process::Command;
use teleconsult_tests::daemon::binary;

fn check_config(toml: &str, demo: bool) -> anyhow::Result<(i32, String)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("teleconsult.toml");
    std::fs::write(&path, toml)?;
    let mut cmd = Command::new(binary()?);
    if demo {
        cmd.arg("--demo");
    }
    let out = cmd
        .arg("check-config")
        .arg("--config")
        .arg(&path)
        .env_clear()
        .output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

const SITE: &str = "[site]\nid = \"lux-gare\"\n[http]\nlisten = \"127.0.0.1:8443\"\ntls_cert = \"/etc/teleconsult/cert.pem\"\ntls_key = \"/etc/teleconsult/key.pem\"\n";

fn config(smtp: &str, sms: &str, platform: &str) -> String {
    format!(
        "{SITE}[notify.email]\nsmtp_url = \"{smtp}\"\n[notify.sms]\nurl = \"{sms}\"\n[platform]\nbase_url = \"{platform}\"\n"
    )
}

#[test]
fn plaintext_transports_for_secrets_are_refused_with_what_to_write() -> anyhow::Result<()> {
    let toml = config(
        "smtp://teleconsult:mail-s3cret@mail.example.lu:587",
        "http://sms.example.lu/send?token=sms-s3cret",
        "http://fhir.example.lu/R4",
    );
    let (code, out) = check_config(&toml, false)?;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("3 errors"), "all three at once: {out}");
    for expected in [
        // Each key with its environment variable, and what to write instead.
        "notify.email.smtp_url (TELECONSULT__NOTIFY__EMAIL__SMTP_URL)",
        "smtps://mail.example.lu:465",
        "smtp://mail.example.lu:587?tls=required",
        "notify.sms.url (TELECONSULT__NOTIFY__SMS__URL)",
        "https://sms.example.lu/",
        "platform.base_url (TELECONSULT__PLATFORM__BASE_URL)",
        "https://fhir.example.lu/",
        // Where plain text is still fine.
        "127.0.0.1, ::1, localhost",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(
        !out.contains("s3cret"),
        "passwords and tokens are never echoed: {out}"
    );

    // Opportunistic STARTTLS can be stripped: refused too; an unknown tls value is named.
    let (code, out) = check_config(
        &format!("{SITE}[notify.email]\nsmtp_url = \"smtp://mail.example.lu?tls=opportunistic\"\n"),
        false,
    )?;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("tls=required"), "{out}");
    let (code, out) = check_config(
        &format!("{SITE}[notify.email]\nsmtp_url = \"smtps://mail.example.lu?tls=maybe\"\n"),
        false,
    )?;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("tls=\"maybe\""), "{out}");
    Ok(())
}

#[test]
fn tls_transports_local_relays_and_the_demo_are_accepted() -> anyhow::Result<()> {
    for (smtp, sms, platform) in [
        (
            "smtps://mail.example.lu:465",
            "https://sms.example.lu/send",
            "https://fhir.example.lu/R4",
        ),
        (
            "smtp://mail.example.lu:587?tls=required",
            "https://sms.example.lu/send",
            "https://fhir.example.lu/R4",
        ),
        // This machine: a local relay, the tests' sinks and peers.
        (
            "smtp://127.0.0.1:2525",
            "http://127.0.0.1:9000/sms",
            "http://localhost:8080/fhir",
        ),
        (
            "smtp://localhost?tls=opportunistic",
            "http://[::1]:9000/sms",
            "http://127.0.0.53:8080/fhir",
        ),
    ] {
        let (code, out) = check_config(&config(smtp, sms, platform), false)?;
        assert_eq!(code, 0, "{smtp} {sms} {platform}:\n{out}");
    }
    // Demo mode (loopback, public passwords anyway): plain text anywhere.
    let demo = "[notify.email]\nsmtp_url = \"smtp://mail.example.lu\"\n[notify.sms]\nurl = \"http://sms.example.lu/send\"\n";
    let (code, out) = check_config(demo, true)?;
    assert_eq!(code, 0, "{out}");
    Ok(())
}
