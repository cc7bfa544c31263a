//! What every page a browser test visits must pass: axe-core (no serious or critical
//! violation), a layout for touch screens (no sideways scrolling, no target under 44 px), and
//! for failures a screenshot with the page's source under [`artifacts_dir`].

use crate::browser::{STEP, Tab, artifacts_dir};
use anyhow::{Context, bail};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

impl Tab {
    /// Checks the page is `path`, in `lang`, shows `texts`, does not scroll sideways, has no
    /// touch target under 44 px and passes axe-core (with `TELECONSULT_SCREENSHOTS` set, also
    /// saves it under [`artifacts_dir`], for reviewing the pages by eye).
    pub async fn on_page(&self, path: &str, lang: &str, texts: &[&str]) -> anyhow::Result<()> {
        self.wait_for_path(path).await?;
        // A form posted to a page that redirects to the same path (the language switcher on
        // /home) is still the old page for a moment: wait, bounded, for the new one's language.
        let deadline = tokio::time::Instant::now() + STEP;
        let mut actual = self.lang().await?;
        while actual != lang && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            actual = self.lang().await?;
        }
        anyhow::ensure!(
            actual == lang,
            "{path}: <html lang={actual:?}>, expected {lang}"
        );
        self.expect_text(texts).await?;
        if std::env::var_os("TELECONSULT_SCREENSHOTS").is_some() {
            let name = format!("{lang}{}", path.replace('/', "_"));
            self.save_artifacts(&name).await?;
        }
        self.check_touch_layout().await?;
        self.check_accessibility().await
    }

    /// Runs axe-core on the page; fails on any serious or critical violation.
    pub async fn check_accessibility(&self) -> anyhow::Result<()> {
        let injected = self
            .client
            .execute(&format!("{}\nreturn typeof window.axe;", self.axe), vec![])
            .await?;
        if injected.as_str() != Some("object") {
            bail!("axe-core did not load ({injected})");
        }
        let script = r"
            const done = arguments[arguments.length - 1];
            window.axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.map(v => ({
                  id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
              .catch(e => done({ error: String(e) }));";
        let result = tokio::time::timeout(STEP, self.client.execute_async(script, vec![]))
            .await
            .context("axe-core timed out")??;
        if let Some(error) = result.get("error") {
            bail!("axe-core failed: {error}");
        }
        // Anything but the list of violations (an object, null…) means axe did not report:
        // never read as "no violations".
        let Some(violations) = result.as_array().cloned() else {
            bail!("axe-core returned no list of violations: {result}");
        };
        let path = self.path().await?;
        let (blocking, other): (Vec<Value>, Vec<Value>) = violations
            .into_iter()
            .partition(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")));
        for v in &other {
            eprintln!(
                "axe on {path}: {} ({}) {}",
                v["id"], v["impact"], v["nodes"]
            );
        }
        if !blocking.is_empty() {
            bail!(
                "serious/critical accessibility violations on {path}:\n{}",
                serde_json::to_string_pretty(&blocking)?
            );
        }
        Ok(())
    }

    /// Fails if the page scrolls sideways or if a visible button, field, select or navigation
    /// link is less than 44 px high (touch targets on phones and booth screens).
    pub async fn check_touch_layout(&self) -> anyhow::Result<()> {
        let script = r"
            // A checkbox or radio button is tapped through its label too: the larger counts.
            const height = e => {
              const own = e.getBoundingClientRect().height;
              const label = e.id && document.querySelector(`label[for='${e.id}']`);
              return Math.max(own, label ? label.getBoundingClientRect().height : 0);
            };
            const small = [...document.querySelectorAll(
                'button, select, input:not([type=hidden]), a.button, nav a')]
              .filter(e => e.offsetParent !== null)
              .map(e => ({ element: e.outerHTML.slice(0, 100), height: height(e) }))
              .filter(e => e.height < 44);
            return { overflow: document.documentElement.scrollWidth > window.innerWidth,
                     width: window.innerWidth, small };";
        let result = self.client.execute(script, vec![]).await?;
        let path = self.path().await?;
        if result["overflow"].as_bool() != Some(false) {
            bail!("{path} scrolls sideways at {} px wide", result["width"]);
        }
        if result["small"].as_array().is_none_or(|s| !s.is_empty()) {
            bail!("touch targets under 44 px on {path}: {}", result["small"]);
        }
        Ok(())
    }

    /// Screenshot and HTML of the current page under [`artifacts_dir`]; returns the PNG path.
    pub async fn save_artifacts(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir)?;
        let png = dir.join(format!("{name}.png"));
        let shot = tokio::time::timeout(STEP, self.client.screenshot()).await??;
        std::fs::write(&png, shot)?;
        if let Ok(Ok(source)) = tokio::time::timeout(STEP, self.client.source()).await {
            std::fs::write(dir.join(format!("{name}.html")), source)?;
        }
        Ok(png)
    }
}
