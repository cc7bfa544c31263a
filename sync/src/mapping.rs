//! Core types → FHIR R4 resources, and the transaction bundles the worker sends.
//!
//! Identifiers: every resource made from an outbox message carries `<site>:outbox|<idempotency
//! key>` (what `If-None-Exist` matches, so a retry never duplicates) plus its business
//! identifier in the site's namespace (what later updates and the pull look up). Patients are
//! matched on their national identifier, in the system configured for the issuing country.

use crate::fhir::resources::{
    Annotation, DocumentReferenceContext, DocumentReferenceRelatesTo, Dosage, PatientCommunication,
};
use crate::fhir::{
    Appointment, AppointmentParticipant, AppointmentStatus, Attachment, Binary, Bundle,
    BundleEntry, BundleRequest, BundleType, CodeableConcept, Coding, ContactPoint,
    DocumentReference, DocumentReferenceContent, HumanName, Identifier, Invoice, InvoiceLineItem,
    InvoiceParticipant, InvoicePriceComponent, MedicationRequest, Money, Patient, Practitioner,
    PractitionerRole, Reference, Schedule, ServiceRequest, Slot, SlotStatus,
};
use crate::message::{DocumentIssued, PatientRecord};
use crate::systems::{self, IdentifierSystems};
use sha2::{Digest, Sha256};
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::{self as core_appointment, CancelledBy, Status};
use teleconsult_core::document::{Document, DocumentKind, DocumentStatus, FeeAct, PaidBy};
use teleconsult_core::practitioner::Practitioner as CorePractitioner;
use teleconsult_core::schedule::ConsultationMode;

/// `identifier=<system>|<value>`, ready for `If-None-Exist` or a search query.
pub fn condition(system: &str, value: &str) -> String {
    format!("identifier={}", Identifier::search_token(system, value))
}

/// A stable Binary id for a message: FHIR Binary has no `identifier`, so the worker writes it
/// with `PUT Binary/<id>` (update as create) — a retry rewrites the same resource.
pub fn binary_id(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    format!("tc-{}", &hex::encode(digest)[..40])
}

/// A transaction-local placeholder (`urn:uuid:`), derived from the key so bundles are
/// reproducible byte for byte.
fn placeholder(idempotency_key: &str, role: &str) -> String {
    let digest = Sha256::digest(format!("{idempotency_key}#{role}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format!(
        "urn:uuid:{}",
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    )
}

/// Turns core values into resources; knows the identifier systems of the site.
#[derive(Clone, Debug)]
pub struct Mapper {
    pub systems: IdentifierSystems,
}

impl Mapper {
    pub fn new(systems: IdentifierSystems) -> Self {
        Mapper { systems }
    }

    fn outbox_identifier(&self, key: &str) -> Identifier {
        Identifier::new(self.systems.outbox(), key)
    }

    fn local(&self, kind: &str, value: impl ToString) -> Identifier {
        Identifier::new(self.systems.local(kind), value.to_string())
    }

    pub fn local_condition(&self, kind: &str, value: impl ToString) -> String {
        condition(&self.systems.local(kind), &value.to_string())
    }

    pub fn outbox_condition(&self, key: &str) -> String {
        condition(&self.systems.outbox(), key)
    }

    /// Patients are matched on their national identifier.
    pub fn patient_condition(&self, p: &PatientRecord) -> String {
        condition(&self.systems.national(p.country), &p.national_id)
    }

    pub fn patient(&self, p: &PatientRecord) -> Patient {
        Patient {
            identifier: vec![
                Identifier {
                    r#use: Some("official".to_owned()),
                    ..Identifier::new(self.systems.national(p.country), &p.national_id)
                },
                self.local("patient", p.id),
            ],
            active: Some(true),
            name: vec![HumanName {
                r#use: Some("official".to_owned()),
                family: Some(p.last_name.clone()),
                given: vec![p.first_name.clone()],
                ..HumanName::default()
            }],
            telecom: vec![
                ContactPoint {
                    system: Some("phone".to_owned()),
                    value: Some(p.phone.clone()),
                    r#use: Some("mobile".to_owned()),
                    ..ContactPoint::default()
                },
                ContactPoint {
                    system: Some("email".to_owned()),
                    value: Some(p.email.clone()),
                    ..ContactPoint::default()
                },
            ],
            birth_date: Some(p.birth_date.to_string()),
            communication: vec![PatientCommunication {
                language: language(&p.language),
                preferred: Some(true),
                ..PatientCommunication::default()
            }],
            ..Patient::default()
        }
    }

    pub fn practitioner(&self, p: &CorePractitioner) -> Practitioner {
        Practitioner {
            identifier: vec![self.local("practitioner", p.id)],
            active: Some(true),
            name: vec![HumanName {
                text: Some(p.name.clone()),
                ..HumanName::default()
            }],
            communication: p.languages.iter().map(|l| language(l)).collect(),
            ..Practitioner::default()
        }
    }

    pub fn practitioner_role(
        &self,
        p: &CorePractitioner,
        practitioner: Reference,
    ) -> PractitionerRole {
        PractitionerRole {
            identifier: vec![self.local("practitioner-role", p.id)],
            active: Some(true),
            practitioner: Some(practitioner),
            specialty: vec![CodeableConcept::coded(Coding::new(
                &self.systems.local("specialty"),
                &p.specialty,
                &p.specialty.replace('_', " "),
            ))],
            ..PractitionerRole::default()
        }
    }

    /// One schedule per practitioner holds the slots the site sends.
    pub fn schedule(&self, p: &CorePractitioner, practitioner: Reference) -> Schedule {
        Schedule {
            identifier: vec![self.local("schedule", p.id)],
            active: Some(true),
            actor: vec![practitioner],
            ..Schedule::default()
        }
    }

    pub fn slot(&self, a: &core_appointment::Appointment, schedule: Reference) -> Slot {
        let status = if matches!(a.status, Status::Cancelled { .. }) {
            SlotStatus::Free
        } else {
            SlotStatus::Busy
        };
        Slot {
            identifier: vec![self.local("slot", a.id)],
            schedule: Some(schedule),
            status: Some(status),
            start: Some(a.start.to_string()),
            end: Some(a.end.to_string()),
            ..Slot::default()
        }
    }

    pub fn appointment(
        &self,
        a: &core_appointment::Appointment,
        key: &str,
        patient: Reference,
        practitioner: Reference,
        slot: Option<Reference>,
    ) -> Appointment {
        let minutes = (a.end.as_second() - a.start.as_second()) / 60;
        let mut appointment = Appointment {
            identifier: vec![self.outbox_identifier(key), self.local("appointment", a.id)],
            status: Some(appointment_status(&a.status)),
            appointment_type: Some(CodeableConcept::coded(match a.mode {
                ConsultationMode::Video => Coding::new(
                    systems::PARTICIPATION_MODE,
                    "VIDEOCONF",
                    "videoconferencing",
                ),
                ConsultationMode::Audio => {
                    Coding::new(systems::PARTICIPATION_MODE, "PHONE", "telephone")
                }
            })),
            start: Some(a.start.to_string()),
            end: Some(a.end.to_string()),
            minutes_duration: u32::try_from(minutes).ok().filter(|m| *m > 0),
            slot: slot.into_iter().collect(),
            created: Some(a.created_at.to_string()),
            participant: vec![
                AppointmentParticipant {
                    r#type: vec![CodeableConcept::coded(Coding::new(
                        systems::PARTICIPATION_TYPE,
                        "SBJ",
                        "subject",
                    ))],
                    actor: Some(patient),
                    required: Some("required".to_owned()),
                    status: "accepted".to_owned(),
                    ..AppointmentParticipant::default()
                },
                AppointmentParticipant {
                    r#type: vec![CodeableConcept::coded(Coding::new(
                        systems::PARTICIPATION_TYPE,
                        "PPRF",
                        "primary performer",
                    ))],
                    actor: Some(practitioner),
                    required: Some("required".to_owned()),
                    status: "accepted".to_owned(),
                    ..AppointmentParticipant::default()
                },
            ],
            ..Appointment::default()
        };
        if !a.reason.is_empty() {
            appointment.reason_code = vec![CodeableConcept::text(&a.reason)];
        }
        apply_cancellation(&mut appointment, &a.status);
        appointment
    }

    /// The booking as one transaction: the patient (matched on national id), the busy slot in
    /// the practitioner's schedule and the appointment, each conditional — replaying it after a
    /// crash changes nothing.
    pub fn booking_bundle(
        &self,
        a: &core_appointment::Appointment,
        key: &str,
        patient: &PatientRecord,
        practitioner: Reference,
        schedule: Reference,
    ) -> Bundle {
        let patient_url = placeholder(key, "patient");
        let slot_url = placeholder(key, "slot");
        let appointment_url = placeholder(key, "appointment");
        let slot = self.slot(a, schedule);
        let appointment = self.appointment(
            a,
            key,
            Reference::to(&patient_url),
            practitioner,
            Some(Reference::to(&slot_url)),
        );
        Bundle::new(
            BundleType::Transaction,
            vec![
                create_entry(
                    &patient_url,
                    &self.patient(patient),
                    self.patient_condition(patient),
                ),
                create_entry(&slot_url, &slot, self.local_condition("slot", a.id)),
                create_entry(&appointment_url, &appointment, self.outbox_condition(key)),
            ],
        )
    }

    /// An issued document, MHD style: DocumentReference + Binary (+ the structured
    /// MedicationRequests / ServiceRequests) in one transaction, with the patient matched on
    /// national id.
    pub fn document_bundle(
        &self,
        d: &DocumentIssued,
        key: &str,
        patient: &PatientRecord,
        practitioner: Reference,
    ) -> Bundle {
        let doc = &d.document;
        let patient_url = placeholder(key, "patient");
        let reference_url = placeholder(key, "document-reference");
        let binary_id = binary_id(key);
        let (type_system, type_code, type_display) =
            systems::document_type(doc.kind, &self.systems);
        let size = base64_decoded_len(&d.data_base64);
        let document_reference = DocumentReference {
            identifier: vec![self.outbox_identifier(key), self.local("document", doc.id)],
            master_identifier: Some(self.local("document-number", &doc.number)),
            status: Some(
                match doc.status {
                    DocumentStatus::Issued => "current",
                    DocumentStatus::Superseded { .. } => "superseded",
                }
                .to_owned(),
            ),
            r#type: Some(CodeableConcept::coded(Coding::new(
                &type_system,
                type_code,
                type_display,
            ))),
            subject: Some(Reference::to(&patient_url)),
            date: Some(doc.issued_at.to_string()),
            author: vec![practitioner.clone()],
            description: Some(d.title.clone()),
            relates_to: d
                .replaces
                .iter()
                .map(|old| DocumentReferenceRelatesTo {
                    code: "replaces".to_owned(),
                    target: Reference {
                        identifier: Some(self.local("document", old)),
                        ..Reference::default()
                    },
                    ..DocumentReferenceRelatesTo::default()
                })
                .collect(),
            content: vec![DocumentReferenceContent {
                attachment: Attachment {
                    content_type: Some(d.content_type.clone()),
                    url: Some(format!("Binary/{binary_id}")),
                    size,
                    title: Some(d.title.clone()),
                    creation: Some(doc.issued_at.to_string()),
                    ..Attachment::default()
                },
                ..DocumentReferenceContent::default()
            }],
            context: Some(DocumentReferenceContext {
                related: vec![Reference {
                    identifier: Some(self.local("appointment", doc.appointment)),
                    ..Reference::default()
                }],
                ..DocumentReferenceContext::default()
            }),
            ..DocumentReference::default()
        };
        let binary = Binary {
            id: Some(binary_id.clone()),
            content_type: Some(d.content_type.clone()),
            data: Some(d.data_base64.clone()),
            ..Binary::default()
        };
        let mut entries = vec![
            create_entry(
                &patient_url,
                &self.patient(patient),
                self.patient_condition(patient),
            ),
            create_entry(
                &reference_url,
                &document_reference,
                self.outbox_condition(key),
            ),
            BundleEntry {
                full_url: None,
                resource: serde_json::to_value(&binary).ok(),
                request: Some(BundleRequest {
                    method: "PUT".to_owned(),
                    url: format!("Binary/{binary_id}"),
                    ..BundleRequest::default()
                }),
                ..BundleEntry::default()
            },
        ];
        let authored = doc.issued_at.to_string();
        if doc.kind == DocumentKind::FeeMemo && !d.acts.is_empty() {
            let invoice = self.invoice(
                doc,
                &d.acts,
                key,
                Reference::to(&patient_url),
                practitioner.clone(),
            );
            entries.push(create_entry(
                &placeholder(key, "invoice"),
                &invoice,
                self.invoice_condition(doc),
            ));
        }
        for (i, line) in d.medications.iter().enumerate() {
            let line_key = format!("{key}#medication-{i}");
            let request = MedicationRequest {
                identifier: vec![self.outbox_identifier(&line_key)],
                status: Some(request_status(&doc.status).to_owned()),
                intent: Some("order".to_owned()),
                medication_codeable_concept: Some(CodeableConcept::text(&line.medication)),
                subject: Some(Reference::to(&patient_url)),
                authored_on: Some(authored.clone()),
                requester: Some(practitioner.clone()),
                dosage_instruction: vec![Dosage {
                    text: Some(line.dosage.clone()),
                    ..Dosage::default()
                }],
                supporting_information: vec![Reference::to(&reference_url)],
                ..MedicationRequest::default()
            };
            let url = placeholder(&line_key, "medication-request");
            entries.push(create_entry(
                &url,
                &request,
                self.outbox_condition(&line_key),
            ));
        }
        for (i, line) in d.services.iter().enumerate() {
            let line_key = format!("{key}#service-{i}");
            let request = ServiceRequest {
                identifier: vec![self.outbox_identifier(&line_key)],
                status: Some(request_status(&doc.status).to_owned()),
                intent: Some("order".to_owned()),
                code: Some(CodeableConcept::text(&line.service)),
                subject: Some(Reference::to(&patient_url)),
                authored_on: Some(authored.clone()),
                requester: Some(practitioner.clone()),
                note: line
                    .note
                    .iter()
                    .map(|text| Annotation {
                        text: text.clone(),
                        ..Annotation::default()
                    })
                    .collect(),
                supporting_info: vec![Reference::to(&reference_url)],
                ..ServiceRequest::default()
            };
            let url = placeholder(&line_key, "service-request");
            entries.push(create_entry(
                &url,
                &request,
                self.outbox_condition(&line_key),
            ));
        }
        Bundle::new(BundleType::Transaction, entries)
    }

    /// How the Invoice of a fee memo is found again (payment, correction): by the document's
    /// local id, which it carries whichever message created it.
    pub fn invoice_condition(&self, doc: &Document) -> String {
        self.local_condition("document", doc.id)
    }

    /// A fee memo as the insurer reads it: one line per act (its nomenclature code, label and
    /// amount in EUR), the total, the patient and the practitioner who performed the acts.
    /// Identified by the message's key, the document's local id and the number printed on the
    /// paper memo (what the patient quotes to the insurer). Issued, i.e. not yet paid.
    pub fn invoice(
        &self,
        doc: &Document,
        acts: &[FeeAct],
        key: &str,
        patient: Reference,
        practitioner: Reference,
    ) -> Invoice {
        let (type_system, type_code, type_display) =
            systems::document_type(DocumentKind::FeeMemo, &self.systems);
        let total = acts
            .iter()
            .fold(0u64, |sum, act| sum.saturating_add(act.amount_cents));
        Invoice {
            identifier: vec![
                self.outbox_identifier(key),
                self.local("document", doc.id),
                self.local("document-number", &doc.number),
            ],
            status: Some("issued".to_owned()),
            r#type: Some(CodeableConcept::coded(Coding::new(
                &type_system,
                type_code,
                type_display,
            ))),
            subject: Some(patient),
            date: Some(doc.issued_at.to_string()),
            participant: vec![InvoiceParticipant {
                role: Some(CodeableConcept::coded(Coding::new(
                    systems::PARTICIPATION_TYPE,
                    "PPRF",
                    "primary performer",
                ))),
                actor: practitioner,
                ..InvoiceParticipant::default()
            }],
            line_item: acts
                .iter()
                .enumerate()
                .map(|(i, act)| InvoiceLineItem {
                    sequence: u32::try_from(i + 1).ok(),
                    charge_item_codeable_concept: Some(CodeableConcept {
                        coding: vec![Coding::new(
                            &self.systems.local("fee-nomenclature"),
                            &act.code,
                            &act.label,
                        )],
                        text: Some(act.label.clone()),
                        ..CodeableConcept::default()
                    }),
                    price_component: vec![InvoicePriceComponent {
                        r#type: "base".to_owned(),
                        amount: Some(Money::euros(act.amount_cents)),
                        ..InvoicePriceComponent::default()
                    }],
                    ..InvoiceLineItem::default()
                })
                .collect(),
            // Medical acts carry no tax: net and gross are the same.
            total_net: Some(Money::euros(total)),
            total_gross: Some(Money::euros(total)),
            ..Invoice::default()
        }
    }

    /// A fee memo that was never sent, created directly in its paid state (`document.paid`
    /// arriving first): a transaction with the patient (matched on national id) and the
    /// balanced Invoice, both conditional.
    pub fn paid_invoice_bundle(
        &self,
        doc: &Document,
        acts: &[FeeAct],
        paid: (Timestamp, PaidBy),
        key: &str,
        patient: &PatientRecord,
        practitioner: Reference,
    ) -> Bundle {
        let patient_url = placeholder(key, "patient");
        let mut invoice = self.invoice(doc, acts, key, Reference::to(&patient_url), practitioner);
        apply_payment(&mut invoice, paid.0, paid.1);
        Bundle::new(
            BundleType::Transaction,
            vec![
                create_entry(
                    &patient_url,
                    &self.patient(patient),
                    self.patient_condition(patient),
                ),
                create_entry(
                    &placeholder(key, "invoice"),
                    &invoice,
                    self.invoice_condition(doc),
                ),
            ],
        )
    }
}

/// Marks an Invoice paid: `balanced`, with a note saying when and who recorded it (the money
/// went from the patient to the practitioner outside the system). Returns false when it was
/// already so (a replay changes nothing). A cancelled Invoice becomes balanced too: the payment
/// happened (the correction that cancelled it may have crossed it on the way).
pub fn apply_payment(invoice: &mut Invoice, at: Timestamp, by: PaidBy) -> bool {
    let note = Annotation {
        time: Some(at.to_string()),
        text: match by {
            PaidBy::Patient => "Paid to the practitioner; recorded by the patient",
            PaidBy::Practitioner => "Paid to the practitioner; recorded by the practitioner",
        }
        .to_owned(),
        ..Annotation::default()
    };
    let balanced = invoice.status.as_deref() == Some("balanced");
    let noted = invoice.note.contains(&note);
    if balanced && noted {
        return false;
    }
    invoice.status = Some("balanced".to_owned());
    invoice.cancelled_reason = None;
    if !noted {
        invoice.note.push(note);
    }
    true
}

/// Cancels the Invoice of a fee memo replaced by a corrected one. Returns false, changing
/// nothing, unless it is still `issued` (or `draft`): a paid (`balanced`) memo stays as it is.
pub fn apply_replacement(invoice: &mut Invoice, by_number: &str) -> bool {
    if !matches!(invoice.status.as_deref(), Some("issued" | "draft")) {
        return false;
    }
    invoice.status = Some("cancelled".to_owned());
    invoice.cancelled_reason = Some(format!("replaced by the corrected fee memo {by_number}"));
    true
}

fn request_status(status: &DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Issued => "active",
        DocumentStatus::Superseded { .. } => "revoked",
    }
}

/// A conditional create entry of a transaction.
fn create_entry<T: crate::fhir::Resource>(
    full_url: &str,
    resource: &T,
    if_none_exist: String,
) -> BundleEntry {
    BundleEntry {
        full_url: Some(full_url.to_owned()),
        resource: serde_json::to_value(resource).ok(),
        request: Some(BundleRequest {
            method: "POST".to_owned(),
            url: T::TYPE.to_owned(),
            if_none_exist: Some(if_none_exist),
            ..BundleRequest::default()
        }),
        ..BundleEntry::default()
    }
}

fn language(code: &str) -> CodeableConcept {
    CodeableConcept::coded(Coding {
        system: Some(systems::BCP47.to_owned()),
        code: Some(code.to_owned()),
        ..Coding::default()
    })
}

pub fn appointment_status(status: &Status) -> AppointmentStatus {
    match status {
        Status::Booked | Status::Waiting => AppointmentStatus::Booked,
        Status::InCall => AppointmentStatus::Arrived,
        Status::Completed => AppointmentStatus::Fulfilled,
        Status::Cancelled { .. } => AppointmentStatus::Cancelled,
        Status::NoShow => AppointmentStatus::Noshow,
    }
}

/// Sets status and, for a cancellation, who cancelled (coded; the free-text reason stays local).
pub fn apply_cancellation(appointment: &mut Appointment, status: &Status) {
    appointment.status = Some(appointment_status(status));
    if let Status::Cancelled { by, .. } = status {
        let (code, display) = match by {
            CancelledBy::Patient => ("pat", "Patient"),
            CancelledBy::Practitioner => ("prov", "Provider"),
            CancelledBy::Staff => ("other", "Other"),
            CancelledBy::Platform => ("other", "Other"),
        };
        appointment.cancelation_reason = Some(CodeableConcept::coded(Coding::new(
            "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason",
            code,
            display,
        )));
    }
}

fn base64_decoded_len(data: &str) -> Option<u64> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()
        .map(|bytes| bytes.len() as u64)
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
