//! Pull of remote appointments: every `poll_interval`, the Appointments of the site's
//! practitioners changed on the platform since the persisted cursor (minus an overlap, so
//! changes stamped with the same instant or by a skewed clock are not missed) are handed to the
//! [`RemoteAppointments`] port, which must be idempotent (the overlap repeats some).

use crate::backoff::Backoff;
use crate::client::Failure;
use crate::fhir::{Appointment, AppointmentStatus, Patient, Resource, encode_query};
use crate::ports::{Applied, RemoteAppointment, RemoteAppointments, RemoteStatus, SyncStore};
use crate::send::SendError;
use crate::worker::{Worker, blocking};
use std::collections::HashMap;
use std::sync::Arc;
use teleconsult_core::Timestamp;
use teleconsult_core::ids::{AppointmentId, PractitionerId};
use tokio_util::sync::CancellationToken;

/// Name of the pull cursor in the store.
pub const APPOINTMENTS_CURSOR: &str = "appointments";
/// Results per page, and pages per practitioner and poll (a bound, not a target).
const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 50;

/// What one poll did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullReport {
    pub seen: usize,
    pub applied: Vec<Applied>,
    pub cursor: Option<Timestamp>,
}

impl<S: SyncStore + 'static, R: RemoteAppointments> Worker<S, R> {
    pub(crate) async fn pull_loop(self: Arc<Self>, shutdown: CancellationToken) {
        let mut versions: HashMap<String, String> = HashMap::new();
        let mut failures = 0u32;
        let backoff = Backoff {
            base: self.config.poll_interval,
            max: self.config.poll_interval.saturating_mul(10),
        };
        loop {
            let wait = match self.pull_once(&mut versions).await {
                Ok(_) => {
                    failures = 0;
                    self.config.poll_interval
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, "pull of remote appointments failed");
                    if let SendError::Platform(failure @ Failure::Unauthorized(_)) = &e {
                        // Wrong credentials show in the status even when nothing is queued.
                        let why = failure.describe();
                        self.handle.update(|s| s.last_error = Some(why));
                    }
                    let asked = match &e {
                        SendError::Platform(Failure::Throttled { retry_after, .. }) => {
                            retry_after.delay(self.clock.now())
                        }
                        _ => std::time::Duration::ZERO,
                    };
                    backoff.jittered(failures).max(asked)
                }
            };
            self.publish_state();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// One poll over all practitioners of the site. `versions` remembers what was applied in
    /// this process (resource id → version), to skip the overlap's repeats cheaply.
    pub async fn pull_once(
        &self,
        versions: &mut HashMap<String, String>,
    ) -> Result<PullReport, SendError> {
        let store = self.store.clone();
        let (practitioners, cursor) =
            blocking(move || Ok((store.practitioners()?, store.cursor(APPOINTMENTS_CURSOR)?)))
                .await?;
        let now = self.clock.now();
        let since = match cursor {
            Some(c) => sub(c, self.config.pull_overlap),
            None => sub(now, self.config.pull_lookback),
        };
        let mut report = PullReport::default();
        let mut newest = cursor;
        let probe = practitioners.is_empty();
        if probe {
            // Nothing to pull: one cheap request still tells whether the platform answers.
            let query = format!("_count=1&_lastUpdated=gt{}", encode_query(&now.to_string()));
            self.sender.client.search("Appointment", &query).await?;
        }
        for practitioner in practitioners {
            let refs = self.sender.practitioner(practitioner.id).await?;
            let query = format!(
                "actor={}&_lastUpdated=ge{}&_sort=_lastUpdated&_count={PAGE_SIZE}",
                encode_query(&refs.practitioner),
                encode_query(&since.to_string())
            );
            let mut page = self.sender.client.search("Appointment", &query).await?;
            for _ in 0..MAX_PAGES {
                for appointment in page.resources::<Appointment>() {
                    report.seen += 1;
                    let updated = last_updated(&appointment);
                    if let Some(t) = updated {
                        newest = Some(newest.map_or(t, |n| n.max(t)));
                    }
                    let (Some(id), version) = (
                        appointment.id.clone(),
                        appointment.version_id().map(str::to_owned),
                    ) else {
                        continue;
                    };
                    if version.is_some() && versions.get(&id) == version.as_ref() {
                        continue;
                    }
                    let Some(change) = self.remote_change(&appointment, practitioner.id).await?
                    else {
                        continue;
                    };
                    let remote = self.remote.clone();
                    let applied = blocking(move || remote.apply(&change)).await?;
                    self.handle.metrics().pulled.inc();
                    report.applied.push(applied);
                    if let Some(v) = version {
                        versions.insert(id, v);
                    }
                }
                let Some(next) = page.next_link().map(str::to_owned) else {
                    break;
                };
                page = self.sender.client.follow(&next).await?;
            }
        }
        if newest != cursor
            && let Some(t) = newest
        {
            let store = self.store.clone();
            blocking(move || Ok(store.set_cursor(APPOINTMENTS_CURSOR, t)?)).await?;
        }
        report.cursor = newest;
        self.answered(true);
        self.handle.succeeded(self.clock.now());
        Ok(report)
    }

    /// The port's view of a platform Appointment; `None` when it has no usable period.
    async fn remote_change(
        &self,
        appointment: &Appointment,
        practitioner: PractitionerId,
    ) -> Result<Option<RemoteAppointment>, SendError> {
        let (Some(start), Some(end)) = (
            appointment
                .start
                .as_deref()
                .and_then(|s| s.parse::<Timestamp>().ok()),
            appointment
                .end
                .as_deref()
                .and_then(|s| s.parse::<Timestamp>().ok()),
        ) else {
            return Ok(None);
        };
        let systems = &self.sender.mapper.systems;
        let local_system = systems.local("appointment");
        let local = appointment
            .identifier
            .iter()
            .find(|i| i.system.as_deref() == Some(local_system.as_str()))
            .and_then(|i| i.value.as_deref())
            .and_then(|v| v.parse::<uuid::Uuid>().ok())
            .map(AppointmentId::from_uuid);
        let status = match appointment.status.clone() {
            Some(
                AppointmentStatus::Booked
                | AppointmentStatus::Pending
                | AppointmentStatus::Arrived
                | AppointmentStatus::CheckedIn,
            ) => RemoteStatus::Booked,
            Some(AppointmentStatus::Cancelled) => RemoteStatus::Cancelled,
            Some(other) => RemoteStatus::Other(other.code().to_owned()),
            None => RemoteStatus::Other(String::new()),
        };
        let mut patient_identifier = None;
        if local.is_none() {
            patient_identifier = self.patient_identifier(appointment).await?;
        }
        Ok(Some(RemoteAppointment {
            remote_id: appointment.id.clone().unwrap_or_default(),
            version: appointment.version_id().map(str::to_owned),
            last_updated: last_updated(appointment),
            practitioner,
            start,
            end,
            status,
            local,
            patient_identifier,
        }))
    }

    /// The national identifier of the appointment's patient: from a logical reference, or by
    /// reading the referenced Patient.
    async fn patient_identifier(
        &self,
        appointment: &Appointment,
    ) -> Result<Option<(String, String)>, SendError> {
        let national: Vec<String> = self
            .sender
            .mapper
            .systems
            .national_id
            .values()
            .cloned()
            .collect();
        let pick = |ids: &[crate::fhir::Identifier]| {
            ids.iter().find_map(|i| match (&i.system, &i.value) {
                (Some(s), Some(v)) if national.contains(s) => Some((s.clone(), v.clone())),
                _ => None,
            })
        };
        for participant in &appointment.participant {
            let Some(actor) = &participant.actor else {
                continue;
            };
            if let Some(found) = actor
                .identifier
                .as_ref()
                .and_then(|i| pick(std::slice::from_ref(i)))
            {
                return Ok(Some(found));
            }
            let Some(reference) = actor
                .reference
                .as_deref()
                .filter(|r| r.starts_with("Patient/"))
            else {
                continue;
            };
            let bundle = self
                .sender
                .client
                .search(
                    Patient::TYPE,
                    &format!("_id={}", encode_query(&reference["Patient/".len()..])),
                )
                .await?;
            if let Some(patient) = bundle.resources::<Patient>().first() {
                return Ok(pick(&patient.identifier));
            }
        }
        Ok(None)
    }
}

fn last_updated(appointment: &Appointment) -> Option<Timestamp> {
    appointment
        .meta
        .as_ref()
        .and_then(|m| m.last_updated.as_deref())
        .and_then(|t| t.parse().ok())
}

fn sub(t: Timestamp, d: std::time::Duration) -> Timestamp {
    let d = jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::ZERO);
    t.checked_sub(d).unwrap_or(t)
}
