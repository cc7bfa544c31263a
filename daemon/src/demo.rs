//! Demo data: practitioners of different specialties and languages, seeded idempotently (fixed
//! identifiers) each time the demo starts.

use jiff::civil::time;
use teleconsult_core::account::{Account, AccountStatus, Role};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::consent::{Consent, ConsentKind};
use teleconsult_core::ids::{AccountId, PatientId, PractitionerId};
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::{Clock, Repository};
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::schedule::{ConsultationMode, Schedule, TimeRange, Week, WeeklyHours};
use teleconsult_core::site::Language;
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

/// The demo laboratory directory: (code, name, e-mail address for lab requests).
pub const LABORATORIES: &[(&str, &str, &str)] = &[
    (
        "labo-centre",
        "Laboratoire d'analyses du Centre",
        "requests@labo-centre.demo.invalid",
    ),
    (
        "labo-nord",
        "Laboratoire du Nord",
        "demandes@labo-nord.demo.invalid",
    ),
    (
        "bio-sud",
        "Bio Sud Analysen",
        "auftrag@bio-sud.demo.invalid",
    ),
];

/// A demo login, printed by the demo banner.
pub struct DemoAccount {
    pub login: &'static str,
    pub password: &'static str,
    pub role: Role,
    pub name: &'static str,
    pub phone: &'static str,
    /// The demo practitioner record a practitioner account is linked to.
    pub practitioner: Option<u128>,
}

const fn demo(
    login: &'static str,
    password: &'static str,
    role: Role,
    name: &'static str,
    phone: &'static str,
    practitioner: Option<u128>,
) -> DemoAccount {
    DemoAccount {
        login,
        password,
        role,
        name,
        phone,
        practitioner,
    }
}

pub const ACCOUNTS: &[DemoAccount] = &[
    demo(
        "patient@demo.invalid",
        "demo patient 2026",
        Role::Patient,
        "Lea Demo",
        "+352621000001",
        None,
    ),
    demo(
        "dr.weber",
        "demo doctor 2026",
        Role::Practitioner,
        "Dr Anne Weber",
        "+352621000002",
        Some(0x7c1e_0001),
    ),
    demo(
        "dr.ferreira",
        "demo doctor 2026",
        Role::Practitioner,
        "Dr João Ferreira",
        "+352621000003",
        Some(0x7c1e_0002),
    ),
    demo(
        "staff",
        "demo staff 2026",
        Role::Staff,
        "Booth Staff",
        "+352621000004",
        None,
    ),
    demo(
        "pharmacist",
        "demo pharmacist 2026",
        Role::Pharmacist,
        "Paul Pharmacist",
        "+352621000005",
        None,
    ),
    demo(
        "admin",
        "demo admin 2026",
        Role::Admin,
        "Site Admin",
        "+352621000006",
        None,
    ),
];

/// Creates the demo accounts that do not exist yet (the demo patient with a patient record).
pub fn seed_accounts(store: &Store, clock: &dyn Clock) -> anyhow::Result<()> {
    let now = clock.now();
    for (index, demo) in ACCOUNTS.iter().enumerate() {
        let DemoAccount {
            login,
            password,
            role,
            name,
            phone,
            practitioner,
        } = demo;
        if store.account_by_login(login)?.is_some() {
            continue;
        }
        let id = AccountId::from_uuid(Uuid::from_u128(0xacc0_0000 + index as u128));
        let patient_id = PatientId::from_uuid(Uuid::from_u128(0xbac0_0000 + index as u128));
        let password_hash = teleconsult_app::password::hash(password)?;
        let email = if login.contains('@') {
            (*login).to_owned()
        } else {
            format!("{login}@demo.invalid")
        };
        let account = Account {
            id,
            login: (*login).to_owned(),
            role: *role,
            name: (*name).to_owned(),
            email: email.clone(),
            phone: (*phone).to_owned(),
            language: Language::Fr,
            password_hash,
            status: AccountStatus::Active,
            patient: (*role == Role::Patient).then_some(patient_id),
            practitioner: practitioner.map(|p| PractitionerId::from_uuid(Uuid::from_u128(p))),
            failed_attempts: 0,
            locked_until: None,
            created_at: now,
            sessions_not_before: None,
            relatives: Vec::new(),
            totp: None,
        };
        let audit = AuditEvent {
            at: now,
            actor: Actor::System("demo-seed".into()),
            action: Action::Create,
            object_type: "account".into(),
            object_id: id.to_string(),
        };
        if *role == Role::Patient {
            let patient = Patient {
                id: patient_id,
                // A valid Luxembourg matricule (the regulation's own example).
                national_id: "1893120105732".into(),
                country: teleconsult_core::national_id::Country::LU,
                first_name: "Lea".into(),
                last_name: "Demo".into(),
                birth_date: jiff::civil::date(1989, 12, 31),
                phone: (*phone).to_owned(),
                email,
                language: "fr".into(),
                created_at: now,
                consents: [ConsentKind::DataProcessing, ConsentKind::Teleconsultation]
                    .into_iter()
                    .map(|kind| Consent {
                        kind,
                        text_version: "demo".into(),
                        given_at: now,
                        withdrawn_at: None,
                        collected_by: None,
                    })
                    .collect(),
            };
            // Seeded active: no activation token, no e-mail.
            store.register_patient(&account, &patient, None, &audit)?;
        } else {
            store.create_account(&account, &audit)?;
        }
    }
    Ok(())
}

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
    for (index, (id, ..)) in PRACTITIONERS.iter().enumerate() {
        let id = PractitionerId::from_uuid(Uuid::from_u128(*id));
        if store.schedule(id)?.is_none() {
            let audit = AuditEvent {
                at: clock.now(),
                actor: Actor::System("demo-seed".into()),
                action: Action::Create,
                object_type: "schedule".into(),
                object_id: id.to_string(),
            };
            store.set_schedule(id, &demo_schedule(index)?, &audit)?;
        }
    }
    for (id, name, email) in LABORATORIES {
        let lab = teleconsult_core::document::Laboratory {
            id: (*id).to_owned(),
            name: (*name).to_owned(),
            email: (*email).to_owned(),
        };
        if store.laboratory(id)?.as_ref() != Some(&lab) {
            let audit = AuditEvent {
                at: clock.now(),
                actor: Actor::System("demo-seed".into()),
                action: Action::Update,
                object_type: "laboratory".into(),
                object_id: lab.id.clone(),
            };
            store.upsert_laboratory(&lab, &audit)?;
        }
    }
    tracing::info!(
        practitioners = PRACTITIONERS.len(),
        written,
        "demo data seeded"
    );
    Ok(())
}

/// Weekday hours 08:00–12:00 and 13:30–18:00 (Europe/Luxembourg); every other practitioner
/// also works Saturday mornings; 20-minute slots (30 for the therapists), video and audio.
fn demo_schedule(index: usize) -> anyhow::Result<Schedule> {
    let range = |h1, m1, h2, m2| TimeRange::new(time(h1, m1, 0, 0), time(h2, m2, 0, 0));
    let day = vec![range(8, 0, 12, 0)?, range(13, 30, 18, 0)?];
    let saturday = if index.is_multiple_of(2) {
        vec![range(9, 0, 12, 0)?]
    } else {
        Vec::new()
    };
    let week = Week {
        monday: day.clone(),
        tuesday: day.clone(),
        wednesday: day.clone(),
        thursday: day.clone(),
        friday: day,
        saturday,
        sunday: Vec::new(),
    };
    let hours = WeeklyHours {
        time_zone: "Europe/Luxembourg".into(),
        slot_minutes: if index >= 3 { 30 } else { 20 },
        modes: vec![ConsultationMode::Video, ConsultationMode::Audio],
        week,
    };
    Ok(Schedule::new(hours, Vec::new())?)
}
