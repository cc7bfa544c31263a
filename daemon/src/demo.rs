//! Demo data: practitioners of different specialties and languages, seeded idempotently (fixed
//! identifiers) each time the demo starts.

use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::ports::{Clock, Repository};
use teleconsult_core::practitioner::Practitioner;
use teleconsult_store::Store;
use uuid::Uuid;

/// The demo practitioners: (fixed id, name, specialty, languages).
const PRACTITIONERS: &[(u128, &str, &str, &[&str])] = &[
    (
        0x7c1e_0001,
        "Dr Anne Weber",
        "general_practice",
        &["fr", "de", "lb", "en"],
    ),
    (
        0x7c1e_0002,
        "Dr João Ferreira",
        "general_practice",
        &["pt", "fr", "en"],
    ),
    (
        0x7c1e_0003,
        "Dr Claire Muller",
        "dermatology",
        &["fr", "de"],
    ),
    (
        0x7c1e_0004,
        "Marc Schmit",
        "speech_therapy",
        &["lb", "de", "fr"],
    ),
    (
        0x7c1e_0005,
        "Sofia Almeida",
        "dietetics",
        &["pt", "en", "fr"],
    ),
];

/// Creates the demo practitioners that are missing or differ; leaves the others (and the audit
/// log) untouched, so restarting the demo changes nothing.
pub fn seed(store: &Store, clock: &dyn Clock) -> anyhow::Result<()> {
    let existing = store.practitioners()?;
    let mut written = 0;
    for (id, name, specialty, languages) in PRACTITIONERS {
        let practitioner = Practitioner {
            id: PractitionerId::from_uuid(Uuid::from_u128(*id)),
            name: (*name).to_owned(),
            specialty: (*specialty).to_owned(),
            languages: languages.iter().map(|l| (*l).to_owned()).collect(),
        };
        if existing.contains(&practitioner) {
            continue;
        }
        let audit = AuditEvent {
            at: clock.now(),
            actor: Actor::System("demo-seed".into()),
            action: Action::Update,
            object_type: "practitioner".into(),
            object_id: practitioner.id.to_string(),
        };
        store.upsert_practitioner(&practitioner, &audit)?;
        written += 1;
    }
    tracing::info!(
        practitioners = PRACTITIONERS.len(),
        written,
        "demo data seeded"
    );
    Ok(())
}
