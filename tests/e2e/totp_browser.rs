//! The authenticator-app pages in a real headless Chromium (issue #19, item 5): set up from
//! `/account/totp` (password, QR code as inline SVG and the secret, first code), then a login
//! whose code step asks for the app's code. Every page passes axe-core (no serious or critical
//! violation) and the touch-layout check; the CSP forbids inline script and style, so the QR
//! code must render without them.

use fantoccini::Locator;
use teleconsult_tests::accounts::{PASSWORD, phone, registration};
use teleconsult_tests::browser::{BrowserOptions, with_browser};
use teleconsult_tests::documents::qr_codes_in_png;
use teleconsult_tests::site::Site;
use teleconsult_tests::totp::App;

#[tokio::test]
async fn browser_sets_up_an_authenticator_app_and_logs_in_with_it() -> anyhow::Result<()> {
    let site = Site::real("").await?;
    site.register(920).await?;
    let form = registration(920);
    let email = form["email"].as_str().unwrap_or_default();
    let sms = &site.sms;
    with_browser(
        "totp_enrolment",
        BrowserOptions::for_daemon(&site.daemon, "fr-FR"),
        |tab| async move {
            tab.open("/login").await?;
            tab.log_in(sms, email, PASSWORD, &phone(920)).await?;
            tab.wait_for_path("/home").await?;

            tab.open("/account/totp").await?;
            tab.on_page(
                "/account/totp",
                "fr",
                &[
                    "Application d'authentification",
                    "Configurer une application",
                ],
            )
            .await?;
            tab.fill("password", PASSWORD).await?;
            tab.click("main form button[type='submit']").await?;
            tab.wait_for_element("figure.qr svg[role='img']").await?;
            tab.on_page("/account/totp", "fr", &["Scannez ce code QR"])
                .await?;
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
            let codes = qr_codes_in_png(&shot)?;
            let [uri] = codes.as_slice() else {
                anyhow::bail!("one QR code expected in the drawing, found {codes:?}");
            };
            anyhow::ensure!(uri.starts_with("otpauth://totp/"), "{uri}");
            anyhow::ensure!(
                uri.contains(&format!("secret={}&", secret.replace(' ', ""))),
                "the QR code and the text give the same secret: {uri} / {secret}"
            );
            let mut app = App::from_uri(uri)?;
            tab.fill("code", &app.fresh_code().await?).await?;
            tab.click("main form button[type='submit']").await?;
            tab.wait_for_element("form[action='/account/totp/remove']")
                .await?;
            tab.on_page(
                "/account/totp",
                "fr",
                &["Votre application d'authentification est configurée"],
            )
            .await?;

            // Log out, log in again: the code step takes the app's code.
            tab.click("form[action='/logout'] button").await?;
            tab.wait_for_path("/").await?;
            tab.open("/login").await?;
            tab.fill("login", email).await?;
            tab.fill("password", PASSWORD).await?;
            tab.click("main form button[type='submit']").await?;
            tab.wait_for_path("/login/code").await?;
            tab.wait_for_element("input[name='factor'][value='totp']")
                .await?;
            tab.check_accessibility().await?;
            tab.fill("code", &app.fresh_code().await?).await?;
            tab.click("main form button[type='submit']").await?;
            tab.wait_for_path("/home").await?;
            Ok(())
        },
    )
    .await
}
