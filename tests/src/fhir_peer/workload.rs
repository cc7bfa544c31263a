//! Bookings and documents written into a real store, as booking and document code will (one
//! transaction per change, the outbox message inside it): the sync tests and `cargo xtask bench
//! sync` drain them.

use base64::Engine;
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::{Effect, NewAppointment, book};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::document::{Document, DocumentKind, DocumentNumber, DocumentStatus};
use teleconsult_core::ids::{AccountId, AppointmentId, DocumentId, PatientId, PractitionerId};
use teleconsult_core::national_id::Country;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::Repository;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::schedule::ConsultationMode;
use teleconsult_store::Store;
use teleconsult_sync::message::{
    DocumentIssued, PrescribedMedication, RequestedService, document_issued,
};
use uuid::Uuid;

/// What was queued: the outbox keys of bookings and of documents.
#[derive(Clone, Debug, Default)]
pub struct Queued {
    pub booking_keys: Vec<String>,
    pub document_keys: Vec<String>,
    pub practitioners: Vec<PractitionerId>,
}

fn audit(at: Timestamp, object_type: &str, id: String) -> AuditEvent {
    AuditEvent {
        at,
        actor: Actor::System("test".to_owned()),
        action: Action::Create,
        object_type: object_type.to_owned(),
        object_id: id,
    }
}

/// `n`-th practitioner of a workload (stable ids, so reruns match).
pub fn practitioner(n: u32) -> Practitioner {
    Practitioner {
        id: PractitionerId::from_uuid(Uuid::from_u128(0xD0C0_0000 + u128::from(n))),
        name: format!("Dr Test {n}"),
        specialty: "general_practice".to_owned(),
        languages: vec!["fr".to_owned(), "de".to_owned()],
    }
}

/// Writes `practitioners` practitioners, then `bookings` patients each with one booking, and a
/// prescription for every `document_every`-th booking (0: none). Ids start at `first`, so a
/// second call with another `first` adds new records.
pub fn seed(
    store: &Store,
    practitioners: u32,
    first: u32,
    bookings: u32,
    document_every: u32,
    now: Timestamp,
) -> anyhow::Result<Queued> {
    let mut queued = Queued::default();
    for n in 0..practitioners.max(1) {
        let p = practitioner(n);
        store.upsert_practitioner(&p, &audit(now, "practitioner", p.id.to_string()))?;
        queued.practitioners.push(p.id);
    }
    for i in first..first + bookings {
        let patient = Patient {
            id: PatientId::from_uuid(Uuid::from_u128(0xA000_0000 + u128::from(i))),
            national_id: format!("1980010{i:06}"),
            country: Country::LU,
            first_name: format!("Test{i}"),
            last_name: "Patient".to_owned(),
            birth_date: jiff::civil::date(1980, 1, 1),
            phone: "+352621000000".to_owned(),
            email: format!("patient{i}@example.org"),
            language: "fr".to_owned(),
            created_at: now,
            consents: Vec::new(),
        };
        let practitioner = queued.practitioners[i as usize % queued.practitioners.len()];
        let start = now.checked_add(jiff::SignedDuration::from_mins(60 + 20 * i64::from(i)))?;
        let (appointment, effects) = book(
            NewAppointment {
                id: AppointmentId::from_uuid(Uuid::from_u128(0xB000_0000 + u128::from(i))),
                practitioner,
                patient: patient.id,
                booked_by: AccountId::from_uuid(Uuid::from_u128(0xC000_0000 + u128::from(i))),
                for_relative: None,
                start,
                end: start.checked_add(jiff::SignedDuration::from_mins(20))?,
                mode: ConsultationMode::Video,
                reason: "follow-up".to_owned(),
                at_booth: false,
            },
            now,
        )?;
        let mut messages: Vec<OutboxMessage> = effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Outbox(m) => Some(m),
                Effect::Notify { .. } => None,
            })
            .collect();
        for m in &messages {
            queued.booking_keys.push(m.idempotency_key.clone());
        }
        if document_every > 0 && i % document_every == 0 {
            let message = document_issued(&prescription(i, &appointment, now, false)?)?;
            queued.document_keys.push(message.idempotency_key.clone());
            messages.push(message);
        }
        store.create_patient(
            &patient,
            &audit(now, "patient", patient.id.to_string()),
            &messages,
        )?;
    }
    Ok(queued)
}

/// A prescription for `appointment`; `broken` gives it a PDF that is not base64 (the
/// platform refuses it: a poison message).
pub fn prescription(
    i: u32,
    appointment: &teleconsult_core::appointment::Appointment,
    now: Timestamp,
    broken: bool,
) -> anyhow::Result<DocumentIssued> {
    let number = DocumentNumber::new("TEST", 2026, i.max(1))?;
    Ok(DocumentIssued {
        document: Document {
            id: DocumentId::from_uuid(Uuid::from_u128(0xE000_0000 + u128::from(i))),
            number: number.clone(),
            kind: DocumentKind::Prescription,
            appointment: appointment.id,
            patient: appointment.patient,
            practitioner: appointment.practitioner,
            issued_at: now,
            status: DocumentStatus::Issued,
        },
        title: format!("Prescription {number}"),
        content_type: "application/pdf".to_owned(),
        data_base64: if broken {
            "%%% not base64 %%%".to_owned()
        } else {
            base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7\n% test document\n")
        },
        replaces: None,
        medications: vec![PrescribedMedication {
            medication: "Paracetamol 500 mg tablet".to_owned(),
            dosage: "1 tablet up to 3 times a day".to_owned(),
        }],
        services: vec![RequestedService {
            service: "C-reactive protein".to_owned(),
            note: Some("fasting not required".to_owned()),
        }],
        acts: Vec::new(),
    })
}

/// The booking `seed` makes for index `i` (same ids), without storing anything.
pub fn booked_appointment(
    i: u32,
    now: Timestamp,
) -> anyhow::Result<teleconsult_core::appointment::Appointment> {
    use teleconsult_core::ids::{AccountId, AppointmentId, PatientId};
    let start = now.checked_add(jiff::SignedDuration::from_mins(60 + 20 * i64::from(i)))?;
    let (appointment, _) = teleconsult_core::appointment::book(
        teleconsult_core::appointment::NewAppointment {
            id: AppointmentId::from_uuid(uuid::Uuid::from_u128(0xB000_0000 + u128::from(i))),
            practitioner: practitioner(0).id,
            patient: PatientId::from_uuid(uuid::Uuid::from_u128(0xA000_0000 + u128::from(i))),
            booked_by: AccountId::from_uuid(uuid::Uuid::from_u128(1)),
            for_relative: None,
            start,
            end: start.checked_add(jiff::SignedDuration::from_mins(20))?,
            mode: teleconsult_core::schedule::ConsultationMode::Audio,
            reason: String::new(),
            at_booth: false,
        },
        now,
    )?;
    Ok(appointment)
}

/// Queues messages the only way a store offers: inside the transaction of a change (here a
/// throw-away patient record). Any storage adapter (`Repository`).
pub fn enqueue<S: teleconsult_core::ports::Repository + ?Sized>(
    store: &S,
    n: u32,
    messages: &[teleconsult_core::outbox::OutboxMessage],
    now: Timestamp,
) -> anyhow::Result<()> {
    let patient = teleconsult_core::patient::Patient {
        id: teleconsult_core::ids::PatientId::from_uuid(uuid::Uuid::from_u128(
            0xF000_0000 + u128::from(n),
        )),
        national_id: format!("1990010{n:06}"),
        country: teleconsult_core::national_id::Country::LU,
        first_name: "Carrier".into(),
        last_name: "Record".into(),
        birth_date: jiff::civil::date(1990, 1, 1),
        phone: "+352621000001".into(),
        email: format!("carrier{n}@example.org"),
        language: "fr".into(),
        created_at: now,
        consents: Vec::new(),
    };
    let audit = teleconsult_core::audit::AuditEvent {
        at: now,
        actor: teleconsult_core::audit::Actor::System("test".into()),
        action: teleconsult_core::audit::Action::Create,
        object_type: "patient".into(),
        object_id: patient.id.to_string(),
    };
    store.create_patient(&patient, &audit, messages)?;
    Ok(())
}
