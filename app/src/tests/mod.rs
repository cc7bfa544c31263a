//! Unit tests of the use cases, on a real store in a temporary folder, with a clock the test
//! moves and texts and a cabin that record what they were asked: the fixtures here, the tests
//! of booth sessions in `booth.rs`, of the queue and its doors in `queue.rs`.
#![allow(clippy::unwrap_used)]

mod authenticator;
mod booth;
mod cabin;
mod call;
mod cancel;
mod confirmation;
mod consents;
mod directory;
mod files;
mod gdpr;
mod login;
mod medical_record;
mod messages;
mod print;
mod profile;
mod queue;
mod registration;
mod schedule;
mod session_documents;
mod users;

use crate::booth::StartSession;
use crate::queue::WaitRequest;
use crate::walk_in::{Identify, WalkInForm};
use crate::{App, AppError, AppSettings, Cabin, Contact, Texts};
use std::sync::{Arc, Mutex};
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, AccountStatus, Role};
use teleconsult_core::appointment::{Appointment, CancelledBy, Status};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::booth::{BoothSessionId, BoothState, EndReason};
use teleconsult_core::consent::{Consent, ConsentKind};
use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use teleconsult_core::national_id::Country;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::{Clock, Repository};
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::schedule::{ConsultationMode, Schedule};
use teleconsult_core::site::{Language, SiteKind};
use teleconsult_store::{StorageKey, Store};
use uuid::Uuid;

/// Passwords whose hash is the password itself: the use cases' rules, not argon2, are under
/// test.
pub(super) struct Plain;

impl crate::login::Passwords for Plain {
    fn verify(&mut self, password: &str, stored: Option<&str>) -> bool {
        stored == Some(password)
    }
    fn hash(&mut self, password: &str) -> Result<String, AppError> {
        Ok(password.to_owned())
    }
}

/// A Monday, 10:00 UTC.
pub(super) const T0: &str = "2026-03-02T10:00:00Z";

pub(super) struct TestClock(pub(super) Mutex<Timestamp>);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// What the use cases asked to send (kind, to whom), and the secrets in it (login codes,
/// link tokens), in order.
#[derive(Default)]
pub(super) struct RecordingTexts(
    pub(super) Mutex<Vec<(&'static str, Contact)>>,
    pub(super) Mutex<Vec<String>>,
);

impl RecordingTexts {
    fn record(&self, kind: &'static str, to: &Contact, now: Timestamp) -> Vec<Notification> {
        self.0.lock().unwrap().push((kind, to.clone()));
        vec![Notification::sms(to.phone.clone(), kind.into(), now)]
    }

    fn record_secret(
        &self,
        kind: &'static str,
        to: &Contact,
        secret: &str,
        now: Timestamp,
    ) -> Notification {
        self.1.lock().unwrap().push(secret.to_owned());
        self.record(kind, to, now).remove(0)
    }

    /// The last login code or link token sent.
    pub(super) fn last_secret(&self) -> String {
        self.1.lock().unwrap().last().cloned().unwrap()
    }

    pub(super) fn sent(&self) -> Vec<(&'static str, String)> {
        let sent = self.0.lock().unwrap();
        sent.iter().map(|(k, c)| (*k, c.phone.clone())).collect()
    }
}

impl Texts for RecordingTexts {
    fn booked(&self, to: &Contact, _: &Appointment, _: &str, now: Timestamp) -> Vec<Notification> {
        self.record("booked", to, now)
    }
    fn cancelled(
        &self,
        to: &Contact,
        _: &Appointment,
        _: &str,
        now: Timestamp,
    ) -> Vec<Notification> {
        self.record("cancelled", to, now)
    }
    fn ready(&self, to: &Contact, _: &Appointment, _: &str, now: Timestamp) -> Vec<Notification> {
        self.record("ready", to, now)
    }
    fn message_waiting(
        &self,
        to: &Contact,
        _: PatientId,
        _: PractitionerId,
        now: Timestamp,
    ) -> Vec<Notification> {
        self.record("message_waiting", to, now)
    }
    fn registration(
        &self,
        to: &Contact,
        message: crate::registration::RegistrationMessage<'_>,
        now: Timestamp,
    ) -> Notification {
        use crate::registration::RegistrationMessage as M;
        match message {
            M::Activation { token } => self.record_secret("activation", to, token, now),
            M::EmailTaken => self.record("email_taken", to, now).remove(0),
            M::NotCompleted => self.record("not_completed", to, now).remove(0),
            M::NationalIdTried => self.record("national_id_tried", to, now).remove(0),
        }
    }
    fn confirmation_code(
        &self,
        to: &Contact,
        _: teleconsult_core::account::ConfirmationPurpose,
        code: &str,
        now: Timestamp,
    ) -> Notification {
        self.record_secret("confirmation_code", to, code, now)
    }
    fn contact_changed(
        &self,
        to: &Contact,
        _: Option<&str>,
        _: Option<&str>,
        now: Timestamp,
    ) -> Vec<Notification> {
        self.record("contact_changed", to, now)
    }
    fn erased(&self, to: &Contact, now: Timestamp) -> Notification {
        self.record("erased", to, now).remove(0)
    }
    fn login_code(&self, to: &Contact, code: &str, now: Timestamp) -> Notification {
        self.record_secret("login_code", to, code, now)
    }
    fn password_reset_link(&self, to: &Contact, token: &str, now: Timestamp) -> Notification {
        self.record_secret("password_reset", to, token, now)
    }
    fn authenticator_changed(
        &self,
        to: &Contact,
        change: crate::authenticator::AuthenticatorChange,
        now: Timestamp,
    ) -> Notification {
        let kind = match change {
            crate::authenticator::AuthenticatorChange::SetUp => "authenticator_set_up",
            crate::authenticator::AuthenticatorChange::Removed => "authenticator_removed",
        };
        self.record(kind, to, now).remove(0)
    }
    fn authenticator_reset(&self, to: &Contact, now: Timestamp) -> Vec<Notification> {
        self.record("authenticator_reset", to, now)
    }
    fn left_the_booth(&self, _: Language) -> String {
        "left the booth".into()
    }
}

#[derive(Default)]
pub(super) struct RecordingCabin(pub(super) Mutex<Vec<String>>);

impl Cabin for RecordingCabin {
    fn reset(&self, session: BoothSessionId) {
        self.0.lock().unwrap().push(format!("reset {session}"));
    }
    fn join(&self, session: BoothSessionId, appointment: AppointmentId) {
        self.0
            .lock()
            .unwrap()
            .push(format!("join {session} {appointment}"));
    }
}

pub(super) struct Site {
    pub(super) _dir: tempfile::TempDir,
    pub(super) store: Store,
    pub(super) app: App,
    pub(super) clock: Arc<TestClock>,
    pub(super) texts: Arc<RecordingTexts>,
    pub(super) cabin: Arc<RecordingCabin>,
    pub(super) staff: Account,
    pub(super) gp: Account,
    pub(super) derm: Account,
    pub(super) patient: Account,
}

pub(super) fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(super) fn audit() -> AuditEvent {
    AuditEvent {
        at: at(T0),
        actor: Actor::System("test".into()),
        action: Action::Create,
        object_type: "test".into(),
        object_id: "test".into(),
    }
}

pub(super) fn account(n: u128, role: Role) -> Account {
    Account {
        id: AccountId::from_uuid(Uuid::from_u128(0x100 + n)),
        login: format!("account{n}"),
        role,
        name: format!("Account {n}"),
        email: format!("account{n}@example.lu"),
        phone: format!("+35262100{n:04}"),
        language: Language::Fr,
        password_hash: "x".into(),
        status: AccountStatus::Active,
        patient: None,
        practitioner: None,
        failed_attempts: 0,
        locked_until: None,
        created_at: at(T0),
        sessions_not_before: None,
        relatives: Vec::new(),
        totp: None,
    }
}

pub(super) fn practitioner(store: &Store, n: u128, specialty: &str, languages: &[&str]) -> Account {
    let id = PractitionerId::from_uuid(Uuid::from_u128(0x200 + n));
    let record = Practitioner {
        id,
        name: format!("Dr {n}"),
        specialty: specialty.into(),
        languages: languages.iter().map(|l| (*l).to_owned()).collect(),
    };
    store.upsert_practitioner(&record, &audit()).unwrap();
    let day = serde_json::json!([{"start": "00:00:00", "end": "23:45:00"}]);
    let schedule: Schedule = serde_json::from_value(serde_json::json!({"hours": {
        "time_zone": "UTC", "slot_minutes": 15, "modes": ["video", "audio"],
        "week": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day,
                 "friday": day, "saturday": day, "sunday": day}}}))
    .unwrap();
    store.set_schedule(id, &schedule, &audit()).unwrap();
    let mut a = account(n, Role::Practitioner);
    a.practitioner = Some(id);
    store.create_account(&a, &audit()).unwrap();
    a
}

pub(super) fn site(kind: SiteKind) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::from_bytes([7; 32])).unwrap();
    let clock = Arc::new(TestClock(Mutex::new(at(T0))));
    let texts = Arc::new(RecordingTexts::default());
    let cabin = Arc::new(RecordingCabin::default());
    let settings = AppSettings {
        site_kind: kind,
        country: Country::LU,
        languages: vec![Language::Fr, Language::En],
        consent_text_version: "2026-11".into(),
        booking: Default::default(),
        appointments: Default::default(),
        queue: Default::default(),
        booth: Default::default(),
        open_appointments: 5,
        uploads_per_day: 3,
        uploads_per_appointment: 4,
        login: Default::default(),
        totp_offered: true,
    };
    let app = App::new(
        Arc::new(store.clone()),
        clock.clone(),
        texts.clone(),
        settings,
    );
    app.set_cabin(cabin.clone());
    let staff = account(1, Role::Staff);
    store.create_account(&staff, &audit()).unwrap();
    let gp = practitioner(&store, 2, "general_practice", &["fr", "en"]);
    let derm = practitioner(&store, 3, "dermatology", &["fr"]);
    let mut patient = account(4, Role::Patient);
    let record = Patient {
        id: PatientId::from_uuid(Uuid::from_u128(0x404)),
        national_id: "1985071512345".into(),
        country: Country::LU,
        first_name: "Anne".into(),
        last_name: "Weber".into(),
        birth_date: jiff::civil::date(1985, 7, 15),
        phone: patient.phone.clone(),
        email: patient.email.clone(),
        language: "fr".into(),
        created_at: at(T0),
        consents: [ConsentKind::DataProcessing, ConsentKind::Teleconsultation]
            .into_iter()
            .map(|kind| Consent {
                kind,
                text_version: "2026-11".into(),
                given_at: at("2026-01-01T00:00:00Z"),
                withdrawn_at: None,
                collected_by: None,
            })
            .collect(),
    };
    patient.patient = Some(record.id);
    store
        .register_patient(&patient, &record, None, &audit())
        .unwrap();
    Site {
        _dir: dir,
        store,
        app,
        clock,
        texts,
        cabin,
        staff,
        gp,
        derm,
        patient,
    }
}

/// The site's patient books `doctor` at `start` through the use case, written.
pub(super) fn book_at(s: &Site, doctor: &Account, start: Timestamp) -> Appointment {
    let request = crate::booking::BookRequest {
        practitioner: doctor.practitioner.unwrap(),
        start,
        mode: ConsultationMode::Video,
        for_whom: None,
        reason: "persistent cough".into(),
    };
    let queued = s.app.book(&s.patient, request).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(queued.written())
        .unwrap()
        .appointment
}

impl Site {
    pub(super) fn advance(&self, minutes: i64) {
        let mut now = self.clock.0.lock().unwrap();
        *now = now
            .checked_add(jiff::SignedDuration::from_mins(minutes))
            .unwrap();
    }

    pub(super) fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// A walk-in's minimum: national id of someone born on `birth` (LU: the date is in it).
pub(super) fn walk_in(serial: u32, phone: Option<&str>) -> Identify {
    let national_id = luxembourg("19900101", serial);
    Identify::WalkIn(WalkInForm {
        national_id: Some(national_id),
        first_name: Some("Rui".into()),
        last_name: Some(format!("Costa{serial}")),
        birth_date: Some("1990-01-01".into()),
        phone: phone.map(Into::into),
        language: Some("pt".into()),
    })
}

/// A valid Luxembourg national id: the prefix completed with the check digits core accepts.
pub(super) fn luxembourg(birth: &str, serial: u32) -> String {
    let prefix = format!("{birth}{:03}", serial % 1000);
    (0..100)
        .map(|check| format!("{prefix}{check:02}"))
        .find(|c| teleconsult_core::national_id::validate_national_id(Country::LU, c).is_ok())
        .unwrap()
}

pub(super) fn queue_request(patient: Identify, specialty: &str) -> StartSession {
    StartSession {
        patient,
        specialty: Some(specialty.into()),
        language: None,
        practitioner: None,
        start: None,
        mode: ConsultationMode::Video,
        reason: "fever".into(),
    }
}

pub(super) fn slot_request(patient: Identify, doctor: &Account, start: Timestamp) -> StartSession {
    StartSession {
        patient,
        specialty: None,
        language: None,
        practitioner: doctor.practitioner,
        start: Some(start),
        mode: ConsultationMode::Video,
        reason: "rash".into(),
    }
}

pub(super) fn appointment(site: &Site, id: AppointmentId) -> Appointment {
    site.store.appointment(id, &audit()).unwrap().unwrap()
}
