//! # teleconsult-app — the use cases
//!
//! Owns what the site's doors do: each use case is a method of [`App`] taking the acting
//! account and a request, checking who may do it, applying core's rules, and writing through
//! the ports of `teleconsult-core` (`Repository`, `AccountStore`, `AgendaStore`,
//! `BookingStore`, `BoothStore`, `CallStore`, `DocumentStore`, `MedicalRecordStore`,
//! `MessageStore`) as one unit of work — the record, its audit records, its outbox messages
//! and its notifications together. The HTTP API, the pages, the admin socket and the daemon's
//! workers call these; they only parse and present.
//!
//! Here so far (issue #19 started the crate; issue #20 moves the rest of the application):
//! booking an appointment ([`booking`]) and cancelling one ([`cancel`]), booth sessions and
//! walk-ins ([`booth`], [`walk_in`]), the on-demand queue and availability ([`queue`]),
//! printing on the cabin's printer ([`print`], through the [`print::Printer`] port), the
//! documents of the booth's sessions on the staff console ([`session_documents`]), what a call
//! room records ([`call`]), the accounts an administrator creates, lists, disables or resets
//! ([`users`], for the admin API and page and for `teleconsultctl user`), password hashing
//! ([`password`]), a patient's withdrawal of a consent ([`consents`]), sending a secure
//! message ([`messages`]), the patient's short medical record ([`medical_record`]), a
//! practitioner's hours and listing ([`schedule`]), the files shared in an appointment
//! ([`files`]).
//!
//! **Must not**: know HTTP (status codes are chosen by `web`), sled or any storage engine (only
//! the ports), GStreamer (the cabin is the [`Cabin`] port), or Fluent (texts come through the
//! [`texts::Texts`] port). It may read the clock only through the `Clock` port.

pub mod authenticator;
pub mod booking;
pub mod booth;
pub mod cabin;
pub mod call;
pub mod cancel;
pub mod confirmation;
pub mod consents;
pub mod directory;
mod entries;
pub mod error;
pub mod files;
pub mod gdpr;
pub mod login;
pub mod medical_record;
pub mod messages;
pub mod password;
pub mod print;
pub mod profile;
pub mod queue;
pub mod registration;
pub mod schedule;
pub mod session_documents;
pub mod texts;
pub mod users;
pub mod waiting;
pub mod walk_in;

pub use error::AppError;
pub use texts::{Contact, Texts};

use std::sync::{Arc, PoisonError, RwLock};
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, Role};
use teleconsult_core::appointment::Policy;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::booking::BookingPolicy;
use teleconsult_core::booth::{BoothPolicy, BoothSessionId};
use teleconsult_core::ids::AppointmentId;
use teleconsult_core::national_id::Country;
use teleconsult_core::ports::accounts::AccountStore;
use teleconsult_core::ports::agenda::AgendaStore;
use teleconsult_core::ports::booking::BookingStore;
use teleconsult_core::ports::booth::BoothStore;
use teleconsult_core::ports::call::CallStore;
use teleconsult_core::ports::documents::DocumentStore;
use teleconsult_core::ports::medical_records::MedicalRecordStore;
use teleconsult_core::ports::messages::MessageStore;
use teleconsult_core::ports::registration::RegistrationStore;
use teleconsult_core::ports::sessions::SessionStore;
use teleconsult_core::ports::{Clock, Repository};
use teleconsult_core::queue::QueuePolicy;
use teleconsult_core::site::{Language, SiteKind};

/// Everything the use cases need from storage.
pub trait SiteStore:
    Repository
    + AccountStore
    + AgendaStore
    + BookingStore
    + BoothStore
    + CallStore
    + DocumentStore
    + MedicalRecordStore
    + MessageStore
    + RegistrationStore
    + SessionStore
{
}

impl<T> SiteStore for T where
    T: Repository
        + AccountStore
        + AgendaStore
        + BookingStore
        + BoothStore
        + CallStore
        + DocumentStore
        + MedicalRecordStore
        + MessageStore
        + RegistrationStore
        + SessionStore
{
}

/// The booth's cabin: its screen, camera, microphone and printer (`docs/booth.md` rule 6).
/// Calls return at once; the adapter does the work in the background and reports problems in
/// the log (the console shows the cabin's state through its own door).
pub trait Cabin: Send + Sync {
    /// The session ended: stop the cabin's call and show the neutral welcome view.
    fn reset(&self, session: BoothSessionId);
    /// The session's appointment exists: join its call as the patient's side when its room
    /// opens.
    fn join(&self, session: BoothSessionId, appointment: AppointmentId);
    /// Its parts now (camera, microphone, speaker, printer, network, screen). May block
    /// briefly (device discovery): called from a blocking thread.
    fn parts(&self) -> cabin::CabinParts {
        cabin::CabinParts::absent()
    }
    /// The device check (`media::check`): blocks for its measuring window.
    fn check(&self) -> Result<cabin::DeviceCheck, cabin::CheckRefused> {
        let none = "this box has no cabin";
        Ok(cabin::DeviceCheck {
            camera: cabin::Measured::Failed(none.to_owned()),
            microphone: cabin::Measured::Failed(none.to_owned()),
            speaker: cabin::Measured::Failed(none.to_owned()),
            window_ms: 0,
        })
    }
}

/// A site without a cabin adapter (clinic sites, tests): nothing to reset or join.
#[derive(Debug, Default)]
pub struct NoCabin;

impl Cabin for NoCabin {
    fn reset(&self, _session: BoothSessionId) {}
    fn join(&self, _session: BoothSessionId, _appointment: AppointmentId) {}
}

/// The site's rules the use cases apply (from the configuration).
#[derive(Clone, Debug)]
pub struct AppSettings {
    pub site_kind: SiteKind,
    /// Whose national identifiers patients are registered with.
    pub country: Country,
    /// The site's languages, the first being the default (walk-ins' messages).
    pub languages: Vec<Language>,
    /// Version of the consent texts shown to patients (registration, counter).
    pub consent_text_version: String,
    pub booking: BookingPolicy,
    pub appointments: Policy,
    pub queue: QueuePolicy,
    pub booth: BoothPolicy,
    /// Open future appointments one patient account may hold (`[limits]`).
    pub open_appointments: u32,
    /// Files one account may send per UTC day (`[limits] uploads_per_day`).
    pub uploads_per_day: u32,
    /// Files one appointment may hold (`[limits] uploads_per_appointment`).
    pub uploads_per_appointment: u32,
    /// Lockout, code and session lifetimes (`[auth]`).
    pub login: teleconsult_core::account::LoginPolicy,
    /// Whether accounts may log in with an authenticator app (`auth.second_factors`).
    pub totp_offered: bool,
}

impl AppSettings {
    pub fn default_language(&self) -> Language {
        self.languages.first().copied().unwrap_or(Language::En)
    }
}

/// The application: the use cases over the site's ports. Shared (`Arc`) by every door.
pub struct App {
    store: Arc<dyn SiteStore>,
    clock: Arc<dyn Clock>,
    texts: Arc<dyn Texts>,
    cabin: RwLock<Arc<dyn Cabin>>,
    /// The booth's printer; `None`: this site does not print.
    printer: RwLock<Option<Arc<dyn print::Printer>>>,
    settings: AppSettings,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn new(
        store: Arc<dyn SiteStore>,
        clock: Arc<dyn Clock>,
        texts: Arc<dyn Texts>,
        settings: AppSettings,
    ) -> Self {
        Self {
            store,
            clock,
            texts,
            cabin: RwLock::new(Arc::new(NoCabin)),
            printer: RwLock::new(None),
            settings,
        }
    }

    /// Plugs in the booth's cabin (the daemon does on booth sites).
    pub fn set_cabin(&self, cabin: Arc<dyn Cabin>) {
        *self.cabin.write().unwrap_or_else(PoisonError::into_inner) = cabin;
    }

    pub fn settings(&self) -> &AppSettings {
        &self.settings
    }

    fn cabin(&self) -> Arc<dyn Cabin> {
        self.cabin
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Appointment `id` if `actor` may see it (core `access.rs`: the patient side, its
    /// practitioner, staff and administrators of the site), its read audited;
    /// [`AppError::NotFound`] otherwise, whether it exists or not.
    pub fn appointment(
        &self,
        actor: &Account,
        id: AppointmentId,
    ) -> Result<teleconsult_core::appointment::Appointment, AppError> {
        let read = event(
            self.now(),
            &actor_of(actor),
            Action::Read,
            "appointment",
            id,
        );
        match self.store.appointment_record(id, &read)? {
            Some(a) if teleconsult_core::access::may_see(actor, &a) => Ok(a),
            _ => Err(AppError::NotFound),
        }
    }

    /// Records audit events on their own (reads of a refused or failed change).
    pub fn record_reads(&self, reads: &[AuditEvent]) -> Result<(), AppError> {
        for read in reads {
            self.store.record_audit(read)?;
        }
        Ok(())
    }
}

/// An audit event of `actor` at `at`.
fn event(
    at: Timestamp,
    actor: &Actor,
    action: Action,
    object_type: &str,
    object_id: impl ToString,
) -> AuditEvent {
    AuditEvent {
        at,
        actor: actor.clone(),
        action,
        object_type: object_type.to_owned(),
        object_id: object_id.to_string(),
    }
}

fn actor_of(account: &Account) -> Actor {
    Actor::Account(account.id.to_string())
}

/// 403 unless `account` has one of `roles`.
fn require(account: &Account, roles: &[Role]) -> Result<(), AppError> {
    if roles.contains(&account.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden("your role does not allow this"))
    }
}

/// A new random identifier (identifiers are made at the edge of core; the application is it).
fn new_id() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

#[cfg(test)]
mod tests;
