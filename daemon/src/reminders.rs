//! The reminder scheduler: reminders are stored with their due time in the booking
//! transaction; this worker fires each exactly once (removal and queueing of its messages are
//! one transaction), so a restart or a crash neither loses nor repeats one. Reminders of
//! appointments no longer booked are dropped silently.

use std::sync::Arc;
use std::time::Duration;
use teleconsult_app::texts::patient_side;
use teleconsult_core::appointment::Status;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ports::{Clock, Repository};
use teleconsult_core::site::Language;
use teleconsult_store::Store;
use teleconsult_web::booking_messages::{Site, reminder};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const POLL: Duration = Duration::from_secs(2);

/// What the messages need besides the store.
#[derive(Clone, Debug)]
pub struct ReminderSettings {
    pub site_name: String,
    pub time_zone: String,
    /// `[notify.email] from`.
    pub organizer: String,
    pub public_url: String,
}

pub async fn run(
    store: Store,
    clock: Arc<dyn Clock>,
    settings: ReminderSettings,
    notifier: Arc<Notify>,
    shutdown: CancellationToken,
) {
    loop {
        let (s, c, cfg) = (store.clone(), clock.clone(), settings.clone());
        // While the store refuses writes (disk full, or fenced after a rollback) nothing can
        // fire: the store said why once; wait for it rather than fail every round.
        let refused = store.condition().refusal().is_some();
        let fired = if refused {
            Ok(Ok(0))
        } else {
            tokio::task::spawn_blocking(move || fire_due(&s, c.as_ref(), &cfg)).await
        };
        match fired {
            Ok(Ok(0)) => {}
            Ok(Ok(fired)) => {
                tracing::info!(fired, "reminders queued");
                notifier.notify_one();
            }
            Ok(Err(e)) => tracing::error!(error = %e, "reminder scheduler failed"),
            Err(e) => tracing::error!(error = %e, "reminder task failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Fires every due reminder; returns how many produced messages.
fn fire_due(
    store: &Store,
    clock: &dyn Clock,
    settings: &ReminderSettings,
) -> anyhow::Result<usize> {
    let now = clock.now();
    let mut fired = 0;
    for (key, r) in store.due_reminders(now, 100)? {
        let audit = AuditEvent {
            at: now,
            actor: Actor::System("reminders".into()),
            action: Action::Read,
            object_type: "appointment".into(),
            object_id: r.appointment.to_string(),
        };
        let appointment = store.appointment(r.appointment, &audit)?;
        let messages = match appointment {
            Some(a) if matches!(a.status, Status::Booked | Status::Waiting) => {
                let booker = store.account(a.booked_by)?;
                let practitioner = store
                    .practitioner(a.practitioner)?
                    .map(|p| p.name)
                    .unwrap_or_default();
                let link = format!("{}/appointments/{}", settings.public_url, a.id);
                let site = Site {
                    name: &settings.site_name,
                    time_zone: &settings.time_zone,
                    organizer: &settings.organizer,
                };
                // Held at the booth: the patient's own phone, never the staff who booked.
                let patient = match a.at_booth {
                    true => store.patient(
                        a.patient,
                        &AuditEvent {
                            object_type: "patient".into(),
                            object_id: a.patient.to_string(),
                            ..audit.clone()
                        },
                    )?,
                    false => None,
                };
                patient_side(a.at_booth, booker.as_ref(), patient.as_ref(), Language::En)
                    .map(|to| reminder(site, &to, &a, &practitioner, &link, now))
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        };
        if store.fire_reminder(&key, &messages)? && !messages.is_empty() {
            fired += 1;
        }
    }
    Ok(fired)
}
