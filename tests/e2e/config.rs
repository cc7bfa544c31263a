//! `teleconsultd check-config`: every problem reported at once, with its key path.

use std::process::Command;
use teleconsult_tests::daemon::binary;

fn check_config(toml: &str, env: &[(&str, &str)]) -> anyhow::Result<(i32, String, String)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("teleconsult.toml");
    std::fs::write(&path, toml)?;
    let out = Command::new(binary()?)
        .arg("check-config")
        .arg("--config")
        .arg(&path)
        .env_clear()
        .envs(env.iter().copied())
        .output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

const VALID: &str = r#"
[site]
id = "lux-gare"
name = "Pharmacie de la Gare"
kind = "booth"
country = "LU"
[http]
listen = "127.0.0.1:8443"
tls_cert = "/etc/teleconsult/cert.pem"
tls_key = "/etc/teleconsult/key.pem"
"#;

#[test]
fn a_valid_file_passes() -> anyhow::Result<()> {
    let (code, stdout, stderr) = check_config(VALID, &[])?;
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("configuration is valid"), "{stdout}");
    Ok(())
}

#[test]
fn unknown_keys_wrong_types_and_bad_values_are_all_reported_at_once() -> anyhow::Result<()> {
    let toml = r#"
[site]
id = "Not Valid!"
kind = "spaceship"
colour = "blue"
[http]
listen = 8443
shutdown_grace_s = "soon"
[media]
max_bitrate_kbps = 5
[nonsense]
x = 1
"#;
    let (code, _, stderr) = check_config(toml, &[])?;
    assert_eq!(code, 2, "{stderr}");
    for needle in [
        "site.colour (TELECONSULT__SITE__COLOUR): unknown key",
        "nonsense (TELECONSULT__NONSENSE): unknown key",
        "site.kind",
        "site.id",
        "http.listen",
        "http.shutdown_grace_s",
        "media.max_bitrate_kbps",
        "http.tls_cert",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(stderr.contains("8 errors"), "{stderr}");
    Ok(())
}

#[test]
fn environment_overrides_the_file_and_is_checked_too() -> anyhow::Result<()> {
    // A good value from the environment replaces the file's.
    let (code, stdout, stderr) =
        check_config(VALID, &[("TELECONSULT__HTTP__LISTEN", "127.0.0.1:9443")])?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("listen 127.0.0.1:9443"), "{stdout}");

    // Bad ones are reported with their key path, all of them.
    let (code, _, stderr) = check_config(
        VALID,
        &[
            ("TELECONSULT__HTTP__LISTEN", "not-an-address"),
            ("TELECONSULT__SITE__TIMEZONE", "Mars/Olympus"),
        ],
    )?;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("http.listen"), "{stderr}");
    assert!(stderr.contains("site.timezone"), "{stderr}");
    assert!(stderr.contains("2 errors"), "{stderr}");
    Ok(())
}

#[test]
fn a_broken_file_is_reported_with_its_location() -> anyhow::Result<()> {
    let (code, _, stderr) = check_config("[site\nid = 1", &[])?;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("line 1"), "{stderr}");
    Ok(())
}

#[test]
fn a_missing_explicit_file_is_an_error() -> anyhow::Result<()> {
    let out = Command::new(binary()?)
        .args(["check-config", "--config", "/nonexistent/teleconsult.toml"])
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/teleconsult.toml")
    );
    Ok(())
}
