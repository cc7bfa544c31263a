//! A demo site syncing to the FHIR peer, with a patient and a staff member logged in: the
//! set-up of the tests about the national platform.

use crate::accounts::{Login, registration};
use crate::fhir_peer::FhirPeer;
use crate::site::{STAFF, Site};
use serde_json::{Value, json};

pub use crate::booking::DR_WEBER;

/// A demo site syncing to a peer (polling it every second), with a patient and a staff member
/// logged in. It is a [`Site`] (through `Deref`) with these around it.
pub struct PlatformSite {
    pub site: Site,
    pub patient: Login,
    pub staff: Login,
    /// The patient's national id.
    pub national_id: String,
}

impl std::ops::Deref for PlatformSite {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

impl std::ops::DerefMut for PlatformSite {
    fn deref_mut(&mut self) -> &mut Site {
        &mut self.site
    }
}

impl PlatformSite {
    /// `platform` is the body of the `[platform]` section after `base_url` and
    /// `poll_interval_s`; `patient` the test patient's number.
    pub async fn start(peer: &FhirPeer, platform: &str, patient: u32) -> anyhow::Result<Self> {
        let site = Site::demo(&format!(
            "[platform]\nbase_url = \"{}\"\npoll_interval_s = 1\n{platform}\n",
            peer.base_url
        ))
        .await?;
        let national_id = registration(patient)["national_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let patient = site.patient(patient).await?;
        let staff = site.login(&STAFF).await?;
        Ok(PlatformSite {
            site,
            patient,
            staff,
            national_id,
        })
    }

    /// Books, as the patient, the first free slot of Dr Weber the patient may still cancel
    /// online wherever in the day the test runs; returns the appointment id.
    pub async fn book(&self) -> anyhow::Result<String> {
        crate::booking::book_id_with_lead(
            &self.site,
            &self.patient,
            DR_WEBER,
            crate::booking::CANCELLABLE,
            json!({}),
        )
        .await
    }

    /// The patient cancels appointment `id` (200 required).
    pub async fn cancel(&self, id: &str) -> anyhow::Result<()> {
        let path = format!("/api/v1/appointments/{id}/cancel");
        let (status, body) = self.site.post(&self.patient, &path, &json!({})).await?;
        anyhow::ensure!(status == 200, "cancel: {status} {body}");
        Ok(())
    }

    /// `/api/v1/sync/status` as staff see it.
    pub async fn sync_status(&self) -> anyhow::Result<Value> {
        self.site.get_ok(&self.staff, "/api/v1/sync/status").await
    }
}
