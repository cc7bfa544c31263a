//! What the checks build: the adapters behind one trait, and domain values.

use teleconsult_core::Timestamp;
use teleconsult_core::appointment::{Appointment, Status};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
use teleconsult_core::national_id::Country;
use teleconsult_core::notification::Notification;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::accounts::AccountStore;
use teleconsult_core::ports::agenda::AgendaStore;
use teleconsult_core::ports::booking::{BookingStore, BookingWrite};
use teleconsult_core::ports::call::CallStore;
use teleconsult_core::ports::medical_records::MedicalRecordStore;
use teleconsult_core::ports::messages::MessageStore;
use teleconsult_core::ports::registration::RegistrationStore;
use teleconsult_core::ports::sessions::SessionStore;
use teleconsult_core::ports::{Repository, RepositoryError};
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::schedule::{ConsultationMode, Schedule};
use teleconsult_seal::StorageKey;
use uuid::Uuid;

/// The ports under test, and the few operations the checks need that no port has yet.
pub trait Backend:
    Repository
    + BookingStore
    + AccountStore
    + AgendaStore
    + MedicalRecordStore
    + MessageStore
    + CallStore
    + SessionStore
    + RegistrationStore
    + Send
    + Sync
    + 'static
{
    fn set_schedule_for(
        &self,
        practitioner: PractitionerId,
        schedule: &Schedule,
        event: &AuditEvent,
    );
    /// Records in the audit chain.
    fn audit_records(&self) -> u64;
    /// Checks every link; returns the number of records.
    fn verify_audit(&self) -> u64;
    /// An appointment's call quality record: its samples.
    fn quality_samples(&self, appointment: AppointmentId) -> usize;
}

/// Both adapters have the same inherent operations under these names.
macro_rules! backend {
    ($store:ty, $records:expr) => {
        impl Backend for $store {
            fn set_schedule_for(
                &self,
                practitioner: PractitionerId,
                schedule: &Schedule,
                event: &AuditEvent,
            ) {
                self.set_schedule(practitioner, schedule, event).unwrap();
            }
            fn audit_records(&self) -> u64 {
                self.audit_len().unwrap()
            }
            fn quality_samples(&self, appointment: AppointmentId) -> usize {
                let read = event(Action::Read, "call_quality", appointment.to_string());
                self.quality_record(appointment, &read)
                    .unwrap()
                    .map_or(0, |r| r.samples.len())
            }
            fn verify_audit(&self) -> u64 {
                #[allow(clippy::redundant_closure_call)]
                $records(self.verify_audit_chain().unwrap())
            }
        }
    };
}

backend!(
    teleconsult_store::Store,
    |v: teleconsult_store::AuditVerification| v.records
);
backend!(teleconsult_store_postgres::PgStore, |records: u64| records);

pub fn key() -> StorageKey {
    StorageKey::from_bytes([0x42; 32])
}

pub fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_750_000_000 + seconds).unwrap()
}

pub fn event(action: Action, object_type: &str, object_id: impl Into<String>) -> AuditEvent {
    AuditEvent {
        at: ts(1),
        actor: Actor::Anonymous(Some("192.0.2.1".to_owned())),
        action,
        object_type: object_type.to_owned(),
        object_id: object_id.into(),
    }
}

pub fn patient_id(n: u128) -> PatientId {
    PatientId::from_uuid(Uuid::from_u128(0x1000 + n))
}

/// A patient whose name, national id and e-mail all contain `n`.
pub fn patient(n: u128) -> Patient {
    Patient {
        id: patient_id(n),
        national_id: format!("19850715{n:05}"),
        first_name: format!("Zebulonia{n}"),
        last_name: format!("Quackenbush{n}"),
        birth_date: jiff::civil::date(1985, 7, 15),
        phone: "+352621123456".to_owned(),
        email: format!("patient{n}@example.org"),
        language: "fr".to_owned(),
        created_at: ts(0),
        country: Country::LU,
        consents: Vec::new(),
    }
}

pub fn practitioner_id(n: u128) -> PractitionerId {
    PractitionerId::from_uuid(Uuid::from_u128(0x7000 + n))
}

pub fn practitioner(n: u128, name: &str) -> Practitioner {
    Practitioner {
        id: practitioner_id(n),
        name: name.to_owned(),
        specialty: "general_practice".to_owned(),
        languages: vec!["fr".to_owned(), "de".to_owned()],
    }
}

pub fn schedule() -> Schedule {
    let day = serde_json::json!([{"start": "08:00:00", "end": "18:00:00"}]);
    serde_json::from_value(serde_json::json!({"hours": {
        "time_zone": "Europe/Luxembourg", "slot_minutes": 20, "modes": ["video", "audio"],
        "week": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day,
                 "friday": day}}}))
    .unwrap()
}

/// Appointment `n` in slot `slot` of practitioner 1, booked by account `booker`.
pub fn appointment(n: u128, slot: i64, booker: u128) -> Appointment {
    Appointment {
        id: AppointmentId::from_uuid(Uuid::from_u128(0x5000 + n)),
        practitioner: practitioner_id(1),
        patient: patient_id(n),
        booked_by: AccountId::from_uuid(Uuid::from_u128(0x9000 + booker)),
        for_relative: None,
        start: ts(86_400 + slot * 1200),
        end: ts(86_400 + slot * 1200 + 1200),
        mode: ConsultationMode::Video,
        reason: format!("Toux persistante {n} depuis trois semaines"),
        status: Status::Booked,
        created_at: ts(1),
        patient_joined_at: None,
        practitioner_joined_at: None,
        call_started_at: None,
        call_ended_at: None,
        at_booth: false,
    }
}

/// The booking of `a`: one read of the patient's record recorded with it, one SMS, one
/// message for the platform.
pub fn booking(a: &Appointment) -> BookingWrite {
    BookingWrite {
        appointment: a.clone(),
        new_relative: None,
        open_limit: None,
        notifications: vec![Notification::sms(
            "+352621000000".into(),
            format!("RDV {}", a.id),
            ts(1),
        )],
        reminders: Vec::new(),
        outbox: vec![OutboxMessage {
            idempotency_key: format!("appointment.created/{}", a.id),
            aggregate: format!("appointment/{}", a.id),
            kind: "appointment.created".to_owned(),
            payload: serde_json::json!({ "reason": a.reason }),
        }],
        reads: vec![event(Action::Read, "patient", a.patient.to_string())],
        audit: event(Action::Create, "appointment", a.id.to_string()),
        ends_entry: None,
        booth: None,
    }
}

/// Counts outcomes: (booked, refused as `expected`), failing on anything else.
pub fn tally(
    outcomes: impl IntoIterator<Item = Result<(), RepositoryError>>,
    expected: impl Fn(&RepositoryError) -> bool,
) -> (usize, usize) {
    let (mut ok, mut refused) = (0, 0);
    for outcome in outcomes {
        match outcome {
            Ok(()) => ok += 1,
            Err(e) if expected(&e) => refused += 1,
            Err(e) => panic!("unexpected outcome: {e}"),
        }
    }
    (ok, refused)
}

/// Account `n` of `role`, login `account<n>`.
pub fn account(
    n: u128,
    role: teleconsult_core::account::Role,
) -> teleconsult_core::account::Account {
    teleconsult_core::account::Account {
        id: AccountId::from_uuid(Uuid::from_u128(0x9000 + n)),
        login: format!("account{n}"),
        role,
        name: format!("Account {n}"),
        email: format!("account{n}@example.lu"),
        phone: format!("+35262100{n:04}"),
        language: teleconsult_core::site::Language::Fr,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        status: teleconsult_core::account::AccountStatus::Active,
        patient: None,
        practitioner: None,
        failed_attempts: 0,
        locked_until: None,
        created_at: ts(0),
        sessions_not_before: None,
        relatives: Vec::new(),
        totp: None,
    }
}

/// Cancels an appointment as stored, refusing when it is already final (as the cancel use
/// case does), with a message for the platform.
pub fn cancel(
    current: &Appointment,
) -> Result<
    Option<teleconsult_core::ports::AppointmentChange>,
    teleconsult_core::appointment::TransitionError,
> {
    use teleconsult_core::appointment::{CancelledBy, TransitionError};
    if current.status.is_final() {
        return Err(TransitionError::NotAllowed {
            event: "cancel",
            status: "final",
        });
    }
    let mut next = current.clone();
    next.status = Status::Cancelled {
        by: CancelledBy::Patient,
        reason: None,
        at: ts(2),
    };
    Ok(Some(teleconsult_core::ports::AppointmentChange {
        next,
        notifications: Vec::new(),
        outbox: vec![OutboxMessage {
            idempotency_key: format!("appointment.cancelled/{}", current.id),
            aggregate: format!("appointment/{}", current.id),
            kind: "appointment.cancelled".into(),
            payload: serde_json::json!({}),
        }],
    }))
}
