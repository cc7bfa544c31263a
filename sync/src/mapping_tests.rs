#![allow(clippy::unwrap_used)]

use super::*;
use crate::message::{DocumentIssued, PrescribedMedication, RequestedService};
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::{Appointment as CoreAppointment, Status};
use teleconsult_core::document::{Document, DocumentKind, DocumentNumber, DocumentStatus};
use teleconsult_core::ids::{AccountId, AppointmentId, DocumentId, PatientId, PractitionerId};
use teleconsult_core::national_id::Country;
use uuid::Uuid;

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + s).unwrap()
}

fn mapper() -> Mapper {
    Mapper::new(IdentifierSystems::for_site("LUX-GARE"))
}

fn patient() -> PatientRecord {
    PatientRecord {
        id: PatientId::from_uuid(Uuid::from_u128(1)),
        national_id: "1985071512345".into(),
        country: Country::LU,
        first_name: "Anna".into(),
        last_name: "Muller".into(),
        birth_date: jiff::civil::date(1985, 7, 15),
        phone: "+352621123456".into(),
        email: "anna@example.org".into(),
        language: "lb".into(),
    }
}

fn appointment(status: Status) -> CoreAppointment {
    CoreAppointment {
        id: AppointmentId::from_uuid(Uuid::from_u128(2)),
        practitioner: PractitionerId::from_uuid(Uuid::from_u128(3)),
        patient: PatientId::from_uuid(Uuid::from_u128(1)),
        booked_by: AccountId::from_uuid(Uuid::from_u128(4)),
        for_relative: None,
        start: ts(3600),
        end: ts(3600 + 1200),
        mode: teleconsult_core::schedule::ConsultationMode::Video,
        reason: "cough".into(),
        status,
        created_at: ts(0),
        patient_joined_at: None,
        practitioner_joined_at: None,
        call_started_at: None,
        call_ended_at: None,
    }
}

#[test]
fn booking_is_one_transaction_of_conditional_creates() {
    let m = mapper();
    let key = "appointment/00000000-0000-0000-0000-000000000002/booked";
    let bundle = m.booking_bundle(
        &appointment(Status::Booked),
        key,
        &patient(),
        Reference::to("Practitioner/p1"),
        Reference::to("Schedule/s1"),
    );
    assert_eq!(bundle.r#type, BundleType::Transaction);
    let requests: Vec<_> = bundle
        .entry
        .iter()
        .map(|e| e.request.clone().unwrap())
        .collect();
    assert_eq!(
        requests.iter().map(|r| r.url.as_str()).collect::<Vec<_>>(),
        ["Patient", "Slot", "Appointment"]
    );
    assert!(requests.iter().all(|r| r.method == "POST"));
    assert_eq!(
        requests[0].if_none_exist.as_deref(),
        Some("identifier=urn%3Aoid%3A1.3.182.4.4|1985071512345")
    );
    assert_eq!(
        requests[2].if_none_exist.as_deref(),
        Some(
            "identifier=urn%3Ateleconsult%3ALUX-GARE%3Aoutbox|appointment%2F00000000-0000-0000-0000-000000000002%2Fbooked"
        )
    );
    let sent = &bundle.entry[2].resource.clone().unwrap();
    assert_eq!(sent["status"], "booked");
    assert_eq!(sent["minutesDuration"], 20);
    assert_eq!(sent["appointmentType"]["coding"][0]["code"], "VIDEOCONF");
    // References point at the transaction's own placeholders and the resolved practitioner.
    assert_eq!(
        sent["participant"][0]["actor"]["reference"],
        bundle.entry[0].full_url.clone().unwrap()
    );
    assert_eq!(
        sent["participant"][1]["actor"]["reference"],
        "Practitioner/p1"
    );
    assert_eq!(
        sent["slot"][0]["reference"],
        bundle.entry[1].full_url.clone().unwrap()
    );
    assert_eq!(
        bundle.entry[1].resource.clone().unwrap()["schedule"]["reference"],
        "Schedule/s1"
    );
    assert_eq!(bundle.entry[1].resource.clone().unwrap()["status"], "busy");
    // Replaying a message yields the same bytes (placeholders derive from the key).
    let again = m.booking_bundle(
        &appointment(Status::Booked),
        key,
        &patient(),
        Reference::to("Practitioner/p1"),
        Reference::to("Schedule/s1"),
    );
    assert_eq!(
        serde_json::to_string(&bundle).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}

#[test]
fn patient_carries_national_and_site_identifiers() {
    let p = serde_json::to_value(mapper().patient(&patient())).unwrap();
    assert_eq!(p["identifier"][0]["system"], "urn:oid:1.3.182.4.4");
    assert_eq!(
        p["identifier"][1]["system"],
        "urn:teleconsult:LUX-GARE:patient"
    );
    assert_eq!(p["birthDate"], "1985-07-15");
    assert_eq!(p["name"][0]["family"], "Muller");
    assert_eq!(p["communication"][0]["language"]["coding"][0]["code"], "lb");
}

#[test]
fn cancellation_frees_the_slot_and_codes_who_cancelled() {
    let status = Status::Cancelled {
        by: teleconsult_core::appointment::CancelledBy::Patient,
        reason: Some("private".into()),
        at: ts(10),
    };
    let m = mapper();
    let a = appointment(status);
    let fhir = serde_json::to_value(m.appointment(
        &a,
        "k",
        Reference::to("Patient/1"),
        Reference::to("Practitioner/1"),
        None,
    ))
    .unwrap();
    assert_eq!(fhir["status"], "cancelled");
    assert_eq!(fhir["cancelationReason"]["coding"][0]["code"], "pat");
    assert!(
        !fhir.to_string().contains("private"),
        "the free-text reason stays local"
    );
    assert_eq!(
        serde_json::to_value(m.slot(&a, Reference::to("Schedule/1"))).unwrap()["status"],
        "free"
    );
}

#[test]
fn document_is_an_mhd_style_transaction_with_a_stable_binary() {
    use base64::Engine;
    let doc = Document {
        id: DocumentId::from_uuid(Uuid::from_u128(9)),
        number: DocumentNumber::new("LUX-GARE", 2026, 12).unwrap(),
        kind: DocumentKind::Prescription,
        appointment: AppointmentId::from_uuid(Uuid::from_u128(2)),
        patient: PatientId::from_uuid(Uuid::from_u128(1)),
        practitioner: PractitionerId::from_uuid(Uuid::from_u128(3)),
        issued_at: ts(5000),
        status: DocumentStatus::Issued,
    };
    let issued = DocumentIssued {
        document: doc,
        title: "Prescription LUX-GARE-2026-000012".into(),
        content_type: "application/pdf".into(),
        data_base64: base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7 tiny"),
        replaces: None,
        medications: vec![PrescribedMedication {
            medication: "Paracetamol 500 mg".into(),
            dosage: "1 tablet 3x/day".into(),
        }],
        services: vec![RequestedService {
            service: "CRP".into(),
            note: None,
        }],
    };
    let key = "document/9/issued";
    let bundle =
        mapper().document_bundle(&issued, key, &patient(), Reference::to("Practitioner/p1"));
    let urls: Vec<String> = bundle
        .entry
        .iter()
        .map(|e| e.request.clone().unwrap().url)
        .collect();
    let binary = format!("Binary/{}", binary_id(key));
    assert_eq!(
        urls,
        [
            "Patient",
            "DocumentReference",
            binary.as_str(),
            "MedicationRequest",
            "ServiceRequest"
        ]
    );
    assert_eq!(bundle.entry[2].request.clone().unwrap().method, "PUT");
    let reference = bundle.entry[1].resource.clone().unwrap();
    assert_eq!(reference["content"][0]["attachment"]["url"], binary);
    assert_eq!(reference["content"][0]["attachment"]["size"], 13);
    assert_eq!(reference["type"]["coding"][0]["code"], "57833-6");
    assert_eq!(
        reference["masterIdentifier"]["value"],
        "LUX-GARE-2026-000012"
    );
    assert_eq!(reference["status"], "current");
    assert_eq!(binary_id(key), binary_id(key));
    assert_ne!(binary_id(key), binary_id("document/10/issued"));
    assert!(binary_id(key).len() <= 64);
    let medication = bundle.entry[3].resource.clone().unwrap();
    assert_eq!(medication["intent"], "order");
    assert_eq!(
        medication["dosageInstruction"][0]["text"],
        "1 tablet 3x/day"
    );
}
