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
        at_booth: false,
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
        acts: Vec::new(),
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

fn fee_memo() -> (Document, Vec<teleconsult_core::document::FeeAct>) {
    let doc = Document {
        id: DocumentId::from_uuid(Uuid::from_u128(11)),
        number: DocumentNumber::new("LUX-GARE", 2026, 13).unwrap(),
        kind: DocumentKind::FeeMemo,
        appointment: AppointmentId::from_uuid(Uuid::from_u128(2)),
        patient: PatientId::from_uuid(Uuid::from_u128(1)),
        practitioner: PractitionerId::from_uuid(Uuid::from_u128(3)),
        issued_at: ts(6000),
        status: DocumentStatus::Issued,
    };
    let act = |code: &str, label: &str, amount_cents| teleconsult_core::document::FeeAct {
        code: code.into(),
        label: label.into(),
        amount_cents,
    };
    let acts = vec![
        act("C1", "Consultation de médecine générale", 5230),
        act("TC", "Supplément téléconsultation", 1005),
    ];
    (doc, acts)
}

#[test]
fn an_issued_fee_memo_also_makes_an_insurer_invoice_with_one_line_per_act() {
    let (doc, acts) = fee_memo();
    let issued = DocumentIssued {
        document: doc.clone(),
        title: "Fee memo LUX-GARE-2026-000013".into(),
        content_type: "application/pdf".into(),
        data_base64: "JVBERi0=".into(),
        replaces: None,
        medications: Vec::new(),
        services: Vec::new(),
        acts,
    };
    let key = "document/11/issued";
    let bundle =
        mapper().document_bundle(&issued, key, &patient(), Reference::to("Practitioner/p1"));
    let last = bundle.entry.last().unwrap();
    let request = last.request.clone().unwrap();
    assert_eq!(
        (request.method.as_str(), request.url.as_str()),
        ("POST", "Invoice")
    );
    // Found again by the document's id, whichever message created it.
    assert_eq!(
        request.if_none_exist.as_deref(),
        Some(mapper().invoice_condition(&doc).as_str())
    );
    let invoice = last.resource.clone().unwrap();
    assert_eq!(invoice["status"], "issued");
    assert_eq!(
        invoice["subject"]["reference"],
        bundle.entry[0].full_url.clone().unwrap()
    );
    assert_eq!(
        invoice["participant"][0]["actor"]["reference"],
        "Practitioner/p1"
    );
    let numbers: Vec<&str> = invoice["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["value"].as_str())
        .collect();
    assert!(numbers.contains(&"LUX-GARE-2026-000013"), "{numbers:?}");
    assert!(numbers.contains(&key), "{numbers:?}");
    let lines = invoice["lineItem"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["sequence"], 1);
    assert_eq!(
        lines[0]["chargeItemCodeableConcept"]["coding"][0]["code"],
        "C1"
    );
    assert_eq!(
        lines[0]["chargeItemCodeableConcept"]["coding"][0]["system"],
        "urn:teleconsult:LUX-GARE:fee-nomenclature"
    );
    assert_eq!(lines[0]["priceComponent"][0]["type"], "base");
    assert_eq!(lines[0]["priceComponent"][0]["amount"]["value"], 52.3);
    assert_eq!(lines[1]["priceComponent"][0]["amount"]["value"], 10.05);
    assert_eq!(
        invoice["totalGross"],
        serde_json::json!({"value": 62.35, "currency": "EUR"})
    );
    assert_eq!(invoice["totalNet"], invoice["totalGross"]);
    let typed: crate::fhir::Invoice = serde_json::from_value(invoice).unwrap();
    assert_eq!(typed.total_gross.unwrap().cents(), Some(6235));
    // Other kinds carry no Invoice.
    let prescription = DocumentIssued {
        document: Document {
            kind: DocumentKind::Prescription,
            ..doc
        },
        acts: Vec::new(),
        ..issued
    };
    let bundle = mapper().document_bundle(
        &prescription,
        key,
        &patient(),
        Reference::to("Practitioner/p1"),
    );
    assert!(
        bundle
            .entry
            .iter()
            .all(|e| e.request.clone().unwrap().url != "Invoice")
    );
}

#[test]
fn payment_balances_the_invoice_once_and_wins_over_a_correction() {
    use teleconsult_core::document::PaidBy;
    let (doc, acts) = fee_memo();
    let m = mapper();
    let mut invoice = m.invoice(
        &doc,
        &acts,
        "document/11/issued",
        Reference::to("Patient/1"),
        Reference::to("Practitioner/p1"),
    );
    assert!(apply_payment(&mut invoice, ts(7000), PaidBy::Patient));
    assert_eq!(invoice.status.as_deref(), Some("balanced"));
    assert_eq!(invoice.note.len(), 1);
    assert_eq!(invoice.note[0].time, Some(ts(7000).to_string()));
    // A replay changes nothing (no update is sent).
    assert!(!apply_payment(&mut invoice, ts(7000), PaidBy::Patient));
    assert_eq!(invoice.note.len(), 1);
    // A paid memo is not cancelled by its correction...
    assert!(!apply_replacement(&mut invoice, "LUX-GARE-2026-000014"));
    assert_eq!(invoice.status.as_deref(), Some("balanced"));
    // ...an unpaid one is; and a payment crossing the correction still ends balanced.
    let mut unpaid = m.invoice(
        &doc,
        &acts,
        "k",
        Reference::to("Patient/1"),
        Reference::to("Practitioner/p1"),
    );
    assert!(apply_replacement(&mut unpaid, "LUX-GARE-2026-000014"));
    assert_eq!(unpaid.status.as_deref(), Some("cancelled"));
    assert!(!apply_replacement(&mut unpaid, "LUX-GARE-2026-000014"));
    assert!(apply_payment(&mut unpaid, ts(7000), PaidBy::Practitioner));
    assert_eq!(unpaid.status.as_deref(), Some("balanced"));
    assert_eq!(unpaid.cancelled_reason, None);
}

#[test]
fn a_paid_memo_never_sent_is_created_balanced_with_its_patient() {
    use teleconsult_core::document::PaidBy;
    let (doc, acts) = fee_memo();
    let key = "document/11/paid";
    let bundle = mapper().paid_invoice_bundle(
        &doc,
        &acts,
        (ts(7000), PaidBy::Practitioner),
        key,
        &patient(),
        Reference::to("Practitioner/p1"),
    );
    let urls: Vec<String> = bundle
        .entry
        .iter()
        .map(|e| e.request.clone().unwrap().url)
        .collect();
    assert_eq!(urls, ["Patient", "Invoice"]);
    let invoice = bundle.entry[1].resource.clone().unwrap();
    assert_eq!(invoice["status"], "balanced");
    assert_eq!(invoice["lineItem"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        bundle.entry[1].request.clone().unwrap().if_none_exist,
        Some(mapper().invoice_condition(&doc))
    );
}
