//! A real headless Chromium driven over WebDriver (chromedriver + fantoccini), for the browser
//! tests of the pages.
//!
//! - One chromedriver per test on an ephemeral loopback port, in its own process group, so that
//!   it and every Chromium process it started are killed by that id at the end, even when the
//!   test fails. A fresh profile folder per test.
//! - Chromium trusts exactly the daemon's certificate (`--ignore-certificate-errors-spki-list`
//!   with the SHA-256 of its public key), not every certificate; host names other than
//!   localhost/127.0.0.1 resolve to nothing, so no request can leave the machine.
//! - [`Tab::check_accessibility`] injects axe-core (installed by `cargo xtask test` with
//!   `npm ci` in `tests/browser/`) and fails on serious or critical violations.
//! - On failure [`with_browser`] saves a screenshot and the HTML of the page under
//!   `target/test-artifacts/` (CI keeps that folder).

use crate::daemon::workspace_root;
use anyhow::{Context, bail};
use base64::Engine;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};
use sha2::Digest;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::process::{Child, Command};

/// Longest wait for one page, one element or one script.
pub const STEP: Duration = Duration::from_secs(15);

/// How a test's browser is set up.
#[derive(Clone, Debug)]
pub struct BrowserOptions {
    /// `https://127.0.0.1:PORT` of the daemon under test.
    pub base_url: String,
    /// The certificate the daemon serves (PEM): Chromium trusts exactly its key.
    pub certificate: PathBuf,
    /// The browser's language (`--lang`, and so `Accept-Language`), e.g. `fr-FR`.
    pub language: String,
}

impl BrowserOptions {
    /// A browser speaking `language` (e.g. `fr-FR`) to `daemon`, trusting its certificate.
    pub fn for_daemon(daemon: &crate::Daemon, language: &str) -> Self {
        Self {
            base_url: daemon.base_url.clone(),
            certificate: daemon.certificate_path(),
            language: language.to_owned(),
        }
    }
}

/// Folder for screenshots and page sources of failed browser tests.
pub fn artifacts_dir() -> PathBuf {
    workspace_root().join("target/test-artifacts")
}

/// A handle on the browser page of a test (cheap to clone).
#[derive(Clone)]
pub struct Tab {
    pub client: Client,
    base_url: String,
    /// axe-core's script (see `browser_checks.rs`).
    pub(crate) axe: Arc<str>,
}

/// Runs `test` with a fresh browser; saves a screenshot and the page source under
/// [`artifacts_dir`] if it fails (error or panic); always ends Chromium and chromedriver.
pub async fn with_browser<T, F, Fut>(
    name: &str,
    options: BrowserOptions,
    test: F,
) -> anyhow::Result<T>
where
    F: FnOnce(Tab) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    with_browser_args(name, options, &[], test).await
}

/// Chromium switches for pages that use camera and microphone: fake devices (a test pattern
/// and a beep) granted without a prompt, WebRTC allowed on loopback, media that plays without
/// a click. Use them only inside a network namespace the test owns (TESTING.md: Chromium's
/// WebRTC otherwise binds every interface of the machine).
pub const FAKE_MEDIA_ARGS: &[&str] = &[
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream=fps=30",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
];

/// Like [`with_browser`], with extra Chromium switches (e.g. [`FAKE_MEDIA_ARGS`]).
pub async fn with_browser_args<T, F, Fut>(
    name: &str,
    options: BrowserOptions,
    extra_args: &[&str],
    test: F,
) -> anyhow::Result<T>
where
    F: FnOnce(Tab) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    crate::init_crypto();
    let axe = axe_source()?;
    let mut driver = Driver::start().await?;
    let tab = match driver.session(&options, extra_args).await {
        Ok(client) => Tab {
            client,
            base_url: options.base_url.clone(),
            axe,
        },
        Err(e) => {
            driver.kill();
            return Err(e.context(format!("chromedriver log:\n{}", driver.log())));
        }
    };
    let outcome = AssertUnwindSafe(test(tab.clone())).catch_unwind().await;
    let failed = !matches!(outcome, Ok(Ok(_)));
    if failed {
        match tab.save_artifacts(name).await {
            Ok(path) => eprintln!(
                "browser test {name} failed: page saved as {}",
                path.display()
            ),
            Err(e) => eprintln!("browser test {name} failed; could not save the page: {e:#}"),
        }
    }
    // Closing the session makes chromedriver end Chromium; the group kill catches leftovers.
    let _ = tokio::time::timeout(STEP, tab.client.clone().close()).await;
    driver.kill();
    match outcome {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// chromedriver in its own process group; the group is killed on drop.
struct Driver {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
}

impl Driver {
    async fn start() -> anyhow::Result<Self> {
        let profile = tempfile::Builder::new()
            .prefix("teleconsult-chromium-")
            .tempdir()?;
        let port = free_port()?;
        let log = std::fs::File::create(profile.path().join("chromedriver.log"))?;
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .context("cannot start chromedriver (apt package chromium-driver; `cargo xtask test` installs it)")?;
        let driver = Self {
            child,
            port,
            profile,
        };
        let status_url = format!("http://127.0.0.1:{port}/status");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        crate::poll_until(
            "chromedriver to listen",
            Duration::from_secs(10),
            || async {
                let response = http.get(&status_url).send().await.ok()?;
                let body: Value = response.json().await.ok()?;
                body["value"]["ready"].as_bool().filter(|r| *r)
            },
        )
        .await?;
        Ok(driver)
    }

    async fn session(
        &self,
        options: &BrowserOptions,
        extra_args: &[&str],
    ) -> anyhow::Result<Client> {
        let spki = spki_sha256(&std::fs::read_to_string(&options.certificate)?)?;
        let user_data = self.profile.path().join("profile");
        let accept = format!(
            "{},{}",
            options.language,
            options.language.split('-').next().unwrap_or("en")
        );
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--password-store=basic".to_owned(),
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
                .to_owned(),
            "--window-size=1280,1000".to_owned(),
            format!("--user-data-dir={}", user_data.display()),
            format!("--lang={}", options.language),
            format!("--ignore-certificate-errors-spki-list={spki}"),
        ];
        args.extend(extra_args.iter().map(|a| (*a).to_owned()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": args,
                "prefs": { "intl.accept_languages": accept },
            }),
        );
        let url = format!("http://127.0.0.1:{}", self.port);
        let client = tokio::time::timeout(
            Duration::from_secs(30),
            ClientBuilder::rustls()?
                .capabilities(capabilities)
                .connect(&url),
        )
        .await
        .context("timed out starting Chromium")??;
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(STEP),
                Some(STEP),
                Some(Duration::ZERO),
            ))
            .await?;
        Ok(client)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chromedriver.log")).unwrap_or_default()
    }

    /// Kills chromedriver and everything it started (its process group), by id.
    fn kill(&mut self) {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.start_kill();
        let _ = self.child.try_wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// axe-core's script, read once.
fn axe_source() -> anyhow::Result<Arc<str>> {
    static AXE: OnceLock<Arc<str>> = OnceLock::new();
    if let Some(source) = AXE.get() {
        return Ok(source.clone());
    }
    let path = workspace_root().join("tests/browser/node_modules/axe-core/axe.min.js");
    let source: Arc<str> = std::fs::read_to_string(&path)
        .with_context(|| {
            format!(
                "{} missing: run the suite with `cargo xtask test` (it runs `npm ci` in tests/browser)",
                path.display()
            )
        })?
        .into();
    Ok(AXE.get_or_init(|| source).clone())
}

/// Base64 of the SHA-256 of a PEM certificate's SubjectPublicKeyInfo (what Chromium's
/// `--ignore-certificate-errors-spki-list` wants).
pub fn spki_sha256(pem: &str) -> anyhow::Result<String> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body.trim())?;
    let spki = subject_public_key_info(&der).context("not an X.509 certificate")?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(spki)))
}

/// One DER element at the start of some bytes.
struct DerElement<'a> {
    tag: u8,
    content: &'a [u8],
    /// Tag, length and content.
    whole: &'a [u8],
    /// The bytes after it.
    rest: &'a [u8],
}

fn der_element(data: &[u8]) -> Option<DerElement<'_>> {
    let tag = *data.first()?;
    let first = usize::from(*data.get(1)?);
    let (length, header) = if first < 0x80 {
        (first, 2)
    } else {
        let count = first & 0x7f;
        let bytes = data.get(2..2 + count)?;
        let length = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (length, 2 + count)
    };
    let end = header.checked_add(length)?;
    Some(DerElement {
        tag,
        content: data.get(header..end)?,
        whole: data.get(..end)?,
        rest: data.get(end..)?,
    })
}

/// The SubjectPublicKeyInfo element of a DER certificate (RFC 5280 §4.1).
fn subject_public_key_info(der: &[u8]) -> Option<&[u8]> {
    let certificate = der_element(der)?.content;
    let tbs = der_element(certificate)?.content;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = der_element(rest)?.rest; // explicit version
    }
    for _ in 0..5 {
        rest = der_element(rest)?.rest; // serial, signature, issuer, validity, subject
    }
    let spki = der_element(rest)?;
    (spki.tag == 0x30).then_some(spki.whole)
}

impl Tab {
    /// Opens a full URL, or a path on the current site (the daemon's base URL at first: a link
    /// from an e-mail may name the daemon `localhost`, and cookies stay with that host).
    pub async fn open(&self, path_or_url: &str) -> anyhow::Result<()> {
        let url = if path_or_url.starts_with("https://") {
            path_or_url.to_owned()
        } else {
            let current = self.client.current_url().await?;
            let origin = match current.scheme() {
                "https" => current.origin().ascii_serialization(),
                _ => self.base_url.clone(),
            };
            format!("{origin}{path_or_url}")
        };
        // Tests running beside this one create and remove network namespaces and veth pairs;
        // Chromium notices the host's interfaces change and aborts the load under way with
        // ERR_NETWORK_CHANGED, or for a moment believes it is offline (ERR_INTERNET_DISCONNECTED)
        // although the daemon is on loopback. Those two errors (and only they) are retried, a
        // bounded few times.
        for attempt in 1..=5 {
            tokio::time::timeout(STEP, self.client.goto(&url))
                .await
                .with_context(|| format!("timed out opening {url}"))??;
            // Chromium may report the failed load under the URL asked for rather than
            // `chrome-error://` (seen on a namespace whose link had just come up): the error
            // page is recognised by its error code, whatever the URL.
            let text = self.text().await?;
            let interrupted =
                text.contains("ERR_NETWORK_CHANGED") || text.contains("ERR_INTERNET_DISCONNECTED");
            if !interrupted {
                return Ok(());
            }
            eprintln!("{url}: interrupted by a network change (attempt {attempt}), loading again");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!("{url}: the load kept being interrupted by network changes")
    }

    /// The path of the current page.
    pub async fn path(&self) -> anyhow::Result<String> {
        Ok(self.client.current_url().await?.path().to_owned())
    }

    /// Waits (bounded) until an element matching `css` is on the page.
    pub async fn wait_for_element(&self, css: &str) -> anyhow::Result<()> {
        crate::poll_until(&format!("{css} on the page"), STEP, || async {
            self.client.find(Locator::Css(css)).await.ok().map(drop)
        })
        .await
    }

    /// Waits (bounded) until the page shows `text`: after a form posted back to the same path,
    /// the path alone cannot tell the answer has arrived.
    pub async fn wait_for_text(&self, text: &str) -> anyhow::Result<()> {
        crate::poll_until(&format!("{text:?} on the page"), STEP, || async {
            self.text()
                .await
                .ok()
                .filter(|t| t.contains(text))
                .map(drop)
        })
        .await
    }

    /// Logs in through the login pages from the page the tab is on (`/login`): `login` and
    /// `password`, then the code of the next SMS to `phone` (those it received before are
    /// counted first). The code page passes axe-core. Returns once the code form is sent: the
    /// caller waits for the page it expects.
    pub async fn log_in(
        &self,
        sms: &crate::sinks::SmsSink,
        login: &str,
        password: &str,
        phone: &str,
    ) -> anyhow::Result<()> {
        let before = sms.messages().iter().filter(|m| m["to"] == phone).count();
        self.fill("login", login).await?;
        self.fill("password", password).await?;
        self.click("main form button[type='submit']").await?;
        self.wait_for_path("/login/code").await?;
        self.check_accessibility().await?;
        let code = sms.code_for(phone, before, crate::accounts::WAIT).await?;
        self.fill("code", &code).await?;
        self.click("main form button[type='submit']").await
    }

    /// Waits (bounded) until the current page is `path` and fully loaded.
    pub async fn wait_for_path(&self, path: &str) -> anyhow::Result<()> {
        let result = crate::poll_until(&format!("the page {path}"), STEP, || {
            let tab = self.clone();
            async move {
                let current = tab.path().await.ok()?;
                let state = tab
                    .client
                    .execute("return document.readyState", vec![])
                    .await
                    .ok()?;
                (current == path && state.as_str() == Some("complete")).then_some(())
            }
        })
        .await;
        match result {
            Ok(()) => Ok(()),
            Err(e) => Err(e.context(format!(
                "still on {}",
                self.path().await.unwrap_or_default()
            ))),
        }
    }

    /// The visible text of the page.
    pub async fn text(&self) -> anyhow::Result<String> {
        Ok(self.client.find(Locator::Css("body")).await?.text().await?)
    }

    /// Fails unless the page's visible text contains every one of `texts`.
    pub async fn expect_text(&self, texts: &[&str]) -> anyhow::Result<()> {
        let text = self.text().await?;
        for wanted in texts {
            if !text.contains(wanted) {
                bail!("{wanted:?} not on the page {}:\n{text}", self.path().await?);
            }
        }
        Ok(())
    }

    /// The `lang` attribute of `<html>`.
    pub async fn lang(&self) -> anyhow::Result<String> {
        let value = self
            .client
            .execute("return document.documentElement.lang", vec![])
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Types `value` into the field named `name` (after clearing it).
    pub async fn fill(&self, name: &str, value: &str) -> anyhow::Result<()> {
        let field = self
            .client
            .find(Locator::Css(&format!("[name='{name}']")))
            .await
            .with_context(|| format!("no field {name}"))?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Types a date into a date field the way a user does — digits in the order of the
    /// browser's locale (day-month-year, month-day-year…) — and checks the browser understood
    /// `iso` (`YYYY-MM-DD`).
    pub async fn fill_date(&self, name: &str, iso: &str) -> anyhow::Result<()> {
        let parts: Vec<&str> = iso.split('-').collect();
        let [year, month, day] = parts[..] else {
            bail!("not an ISO date: {iso}");
        };
        let order = self
            .client
            .execute(
                "return new Intl.DateTimeFormat(undefined, \
                   {year: 'numeric', month: '2-digit', day: '2-digit'}) \
                 .formatToParts(new Date(2000, 10, 22)) \
                 .filter(p => p.type !== 'literal').map(p => p.type)",
                vec![],
            )
            .await?;
        let keys: String = order
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|part| match part.as_str() {
                Some("year") => Some(year),
                Some("month") => Some(month),
                Some("day") => Some(day),
                _ => None,
            })
            .collect();
        let field = self
            .client
            .find(Locator::Css(&format!("[name='{name}']")))
            .await?;
        field.send_keys(&keys).await?;
        let value = field.prop("value").await?.unwrap_or_default();
        if value != iso {
            bail!("the date field holds {value:?} after typing {keys} ({order}) for {iso}");
        }
        Ok(())
    }

    /// Picks `value` in the select named `name`.
    pub async fn select(&self, name: &str, value: &str) -> anyhow::Result<()> {
        self.client
            .find(Locator::Css(&format!("select[name='{name}']")))
            .await?
            .select_by_value(value)
            .await?;
        Ok(())
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("nothing matches {css}"))?
            .click()
            .await?;
        Ok(())
    }

    /// The `value` of the first element matching `css`.
    pub async fn value_of(&self, css: &str) -> anyhow::Result<String> {
        let element = self.client.find(Locator::Css(css)).await?;
        Ok(element.prop("value").await?.unwrap_or_default())
    }
}

/// Writes a 2-second 440 Hz tone as 16-bit mono 48 kHz WAV, for Chromium's
/// `--use-file-for-fake-audio-capture` (looped): a steady sound, where the default fake
/// microphone beeps in step with the fake camera's frames.
pub fn write_tone_wav(path: &std::path::Path) -> anyhow::Result<()> {
    const RATE: u32 = 48_000;
    let samples: Vec<i16> = (0..RATE * 2)
        .map(|n| {
            let t = f64::from(n) / f64::from(RATE);
            // Whole cycles in the file: the loop has no click.
            (f64::sin(2.0 * std::f64::consts::PI * 440.0 * t) * 8000.0) as i16
        })
        .collect();
    let data_len = u32::try_from(samples.len() * 2)?;
    let mut wav = Vec::with_capacity(44 + samples.len() * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE.to_le_bytes());
    wav.extend_from_slice(&(RATE * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        wav.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, wav)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spki_hash_is_that_of_the_certificates_public_key() {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let expected = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(
            rcgen::PublicKeyData::subject_public_key_info(&certified.signing_key),
        ));
        assert_eq!(spki_sha256(&certified.cert.pem()).unwrap(), expected);
        assert!(spki_sha256("not a certificate").is_err());
    }
}
