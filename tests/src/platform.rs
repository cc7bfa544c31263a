//! A demo site syncing to the FHIR peer, with a patient and a staff member logged in: the
//! set-up of the tests about the national platform.

use crate::accounts::{
    Login, PASSWORD, login, phone, register_and_activate, registration, sinks_config,
};
use crate::fhir_peer::FhirPeer;
use crate::sinks::{SmsSink, SmtpSink};
use crate::{Daemon, DaemonOptions};
use serde_json::{Value, json};

/// Dr Weber, the demo general practitioner.
pub const DR_WEBER: &str = "00000000-0000-0000-0000-00007c1e0001";
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

    /// Dr Weber's free slots that the patient may still cancel online wherever in the day the
    /// test runs (more than three hours ahead; the deadline is an hour before the start).
    pub async fn free_slots(&self) -> anyhow::Result<Vec<String>> {
        let cancellable = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(3);
        let slots = self
            .get(
                &self.patient,
                &format!("/api/v1/practitioners/{DR_WEBER}/slots"),
            )
            .await?;
        Ok(slots
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s["start"].as_str().map(str::to_owned))
                    .filter(|s| s.parse::<jiff::Timestamp>().is_ok_and(|t| t > cancellable))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Books the `nth` free slot of Dr Weber; returns the appointment id.
    pub async fn book(&self, nth: usize) -> anyhow::Result<String> {
        let free = self.free_slots().await?;
        let start = free
            .get(nth)
            .ok_or_else(|| anyhow::anyhow!("fewer than {} free slots", nth + 1))?;
        let response = self
            .daemon
            .client
            .post(self.daemon.url("/api/v1/appointments"))
            .header("authorization", self.patient.bearer())
            .json(&json!({"practitioner_id": DR_WEBER, "start": start, "mode": "video", "confirm": true}))
            .send()
            .await?;
        anyhow::ensure!(response.status() == 201, "booking: {}", response.status());
        let booked: Value = response.json().await?;
        Ok(booked["id"].as_str().unwrap_or_default().to_owned())
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
