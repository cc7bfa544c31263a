//! The authenticator-app pages in a real headless Chromium (issue #19, item 5): set up from
//! `/account/totp` (password, QR code as inline SVG and the secret, first code), then a login
//! whose code step asks for the app's code. Every page passes axe-core (no serious or critical
//! violation) and the touch-layout check; the CSP forbids inline script and style, so the QR
//! code must render without them.

use fantoccini::Locator;
use teleconsult_tests::accounts::{
    PASSWORD, WAIT, phone, register_and_activate, registration, sinks_config,
};
use teleconsult_tests::browser::{BrowserOptions, Tab, certificate_of, with_browser};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::totp::App;
use teleconsult_tests::{Daemon, DaemonOptions, poll_until};

async fn checked(tab: &Tab, path: &str) -> anyhow::Result<()> {
    tab.wait_for_path(path).await?;
    tab.check_touch_layout().await?;
    tab.check_accessibility().await
}

/// Waits (bounded) until an element matching `css` is on the page.
async fn present(tab: &Tab, css: &str) -> anyhow::Result<()> {
    poll_until(&format!("{css} on the page"), WAIT, || async {
        tab.client.find(Locator::Css(css)).await.ok().map(drop)
    })
    .await
}

#[tokio::test]
async fn browser_sets_up_an_authenticator_app_and_logs_in_with_it() -> anyhow::Result<()> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let daemon = Daemon::start(DaemonOptions {
        extra_config: sinks_config(&smtp, &sms),
        ..Default::default()
    })
    .await?;
    register_and_activate(&daemon, &smtp, &registration(920)).await?;
    let email = "patient920@example.lu";
    let options = BrowserOptions {
        base_url: daemon.base_url.clone(),
        certificate: certificate_of(&daemon),
        language: "en-GB".to_owned(),
    };
    with_browser("totp_enrolment", options, |tab| async move {
        tab.open("/login").await?;
        tab.fill("login", email).await?;
        tab.fill("password", PASSWORD).await?;
        tab.click("main form button[type='submit']").await?;
        tab.wait_for_path("/login/code").await?;
        let code = sms.code_for(&phone(920), 0, WAIT).await?;
        tab.fill("code", &code).await?;
        tab.click("main form button[type='submit']").await?;
        tab.wait_for_path("/home").await?;

        tab.open("/account/totp").await?;
        checked(&tab, "/account/totp").await?;
        tab.fill("password", PASSWORD).await?;
        tab.click("main form button[type='submit']").await?;
        present(&tab, "figure.qr svg[role='img']").await?;
        checked(&tab, "/account/totp").await?;
        let secret = tab
            .client
            .find(Locator::Css("code.secret"))
            .await?
            .text()
            .await?;
        // The QR code as the browser draws it, read back by a scanner: the app's URI.
        let shot = tab
            .client
            .find(Locator::Css("figure.qr svg"))
            .await?
            .screenshot()
            .await?;
        let uri = scan(&shot)?;
        anyhow::ensure!(uri.starts_with("otpauth://totp/"), "{uri}");
        anyhow::ensure!(
            uri.contains(&format!("secret={}&", secret.replace(' ', ""))),
            "the QR code and the text give the same secret: {uri} / {secret}"
        );
        let mut app = App::from_uri(&uri)?;
        tab.fill("code", &app.fresh_code().await?).await?;
        tab.click("main form button[type='submit']").await?;
        present(&tab, "form[action='/account/totp/remove']").await?;
        checked(&tab, "/account/totp").await?;

        // Log out, log in again: the code step takes the app's code.
        tab.click("form[action='/logout'] button").await?;
        tab.wait_for_path("/").await?;
        tab.open("/login").await?;
        tab.fill("login", email).await?;
        tab.fill("password", PASSWORD).await?;
        tab.click("main form button[type='submit']").await?;
        tab.wait_for_path("/login/code").await?;
        present(&tab, "input[name='factor'][value='totp']").await?;
        tab.check_accessibility().await?;
        tab.fill("code", &app.fresh_code().await?).await?;
        tab.click("main form button[type='submit']").await?;
        tab.wait_for_path("/home").await?;
        Ok(())
    })
    .await
}

/// The text of the QR code in a PNG image (`zbarimg`, zbar-tools).
fn scan(png: &[u8]) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("qr.png");
    std::fs::write(&path, png)?;
    let out = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&path)
        .output()?;
    anyhow::ensure!(out.status.success(), "zbarimg found no QR code: {out:?}");
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}
