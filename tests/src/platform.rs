//! A demo site syncing to the FHIR peer, with a patient and a staff member logged in: the
//! set-up of the tests about the national platform.

use crate::accounts::{
    Login, PASSWORD, login, phone, register_and_activate, registration, sinks_config,
};
use crate::fhir_peer::FhirPeer;
use crate::sinks::{SmsSink, SmtpSink};
use crate::{Daemon, DaemonOptions};
use serde_json::{Value, json};

pub use crate::booking::DR_WEBER;
/// The demo staff member's phone (for the SMS code).
pub const STAFF_PHONE: &str = "+352621000004";

/// A demo daemon syncing to a peer, with a patient and a staff member logged in.
pub struct PlatformSite {
    pub daemon: Daemon,
    pub smtp: SmtpSink,
    pub sms: SmsSink,
    pub patient: Login,
    pub staff: Login,
    /// The patient's national id.
    pub national_id: String,
}

impl PlatformSite {
    /// `platform` is the body of the `[platform]` section after `base_url` and
    /// `poll_interval_s`.
    pub async fn start(peer: &FhirPeer, platform: &str, patient: u32) -> anyhow::Result<Self> {
        let smtp = SmtpSink::start()?;
        let sms = SmsSink::start().await?;
        let extra_config = format!(
            "{}\n[platform]\nbase_url = \"{}\"\npoll_interval_s = 1\n{platform}\n",
            sinks_config(&smtp, &sms),
            peer.base_url
        );
        let daemon = Daemon::start(DaemonOptions {
            demo: true,
            extra_config,
            ..Default::default()
        })
        .await?;
        let form = registration(patient);
        register_and_activate(&daemon, &smtp, &form).await?;
        let email = format!("patient{patient}@example.lu");
        let patient_login = login(&daemon, &sms, &email, PASSWORD, &phone(patient), 0).await?;
        let staff = login(&daemon, &sms, "staff", "demo staff 2026", STAFF_PHONE, 0).await?;
        Ok(PlatformSite {
            daemon,
            smtp,
            sms,
            patient: patient_login,
            staff,
            national_id: form["national_id"].as_str().unwrap_or_default().to_owned(),
        })
    }

    pub async fn get(&self, who: &Login, path: &str) -> anyhow::Result<Value> {
        let response = self
            .daemon
            .client
            .get(self.daemon.url(path))
            .header("authorization", who.bearer())
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "GET {path}: {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    /// Books, as the patient, the first free slot of Dr Weber the patient may still cancel
    /// online wherever in the day the test runs; returns the appointment id.
    pub async fn book(&self) -> anyhow::Result<String> {
        crate::booking::book_id_with_lead(
            &self.daemon,
            &self.patient,
            DR_WEBER,
            crate::booking::CANCELLABLE,
            json!({}),
        )
        .await
    }

    pub async fn cancel(&self, id: &str) -> anyhow::Result<()> {
        let response = self
            .daemon
            .client
            .post(
                self.daemon
                    .url(&format!("/api/v1/appointments/{id}/cancel")),
            )
            .header("authorization", self.patient.bearer())
            .json(&json!({}))
            .send()
            .await?;
        anyhow::ensure!(response.status() == 200, "cancel: {}", response.status());
        Ok(())
    }

    /// `/api/v1/sync/status` as staff see it.
    pub async fn sync_status(&self) -> anyhow::Result<Value> {
        self.get(&self.staff, "/api/v1/sync/status").await
    }
}
