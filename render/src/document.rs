//! What each document shows on paper: an [`IssuedDocument`] and the names it refers to →
//! a [`Layout`] in the patient's language. Sick-leave parts follow `SickLeavePart::shows`, so
//! the employer's part never carries the diagnosis.
//!
//! The words come through [`DocumentTexts`]: the web layer implements it with the Fluent
//! bundle that its pages share (the issuing form's labels are the paper's), so the messages
//! (`doc-*`) stay in one bundle, checked by one completeness test.

use crate::pdf::{Block, Layout};
use teleconsult_core::document::content::euros;
use teleconsult_core::document::{DocumentContent, IssuedDocument, SickLeaveField, SickLeavePart};

/// The texts of documents in one language: the message `id` with `args` filled in
/// (`doc-title-prescription`, `doc-footer` with `practitioner` and `site`…).
pub trait DocumentTexts {
    fn text(&self, id: &str, args: &[(&'static str, &str)]) -> String;
}

/// The people and place a document names (read when it is issued, printed as they were).
#[derive(Clone, Debug)]
pub struct Parties<'a> {
    pub site: &'a str,
    pub time_zone: &'a str,
    pub patient_name: &'a str,
    pub patient_national_id: &'a str,
    pub patient_birth_date: String,
    pub practitioner_name: &'a str,
    pub practitioner_specialty: &'a str,
}

/// The title of a document kind, e.g. "Ordonnance médicale".
pub fn title(texts: &dyn DocumentTexts, content: &DocumentContent) -> String {
    let id = match content {
        DocumentContent::Prescription(_) => "doc-title-prescription",
        DocumentContent::LabRequest(_) => "doc-title-lab-request",
        DocumentContent::SickLeaveCertificate(_) => "doc-title-sick-leave",
        DocumentContent::FeeMemo(_) => "doc-title-fee-memo",
        DocumentContent::ConsultationReport(_) => "doc-title-consultation-report",
    };
    texts.text(id, &[])
}

fn field(texts: &dyn DocumentTexts, id: &str, value: impl Into<String>) -> Block {
    Block::Field {
        label: texts.text(id, &[]),
        value: value.into(),
    }
}

fn yes_no(texts: &dyn DocumentTexts, value: bool) -> String {
    texts.text(if value { "doc-yes" } else { "doc-no" }, &[])
}

/// Lays out `doc` (`part` for a sick-leave certificate; ignored otherwise). `qr` is a
/// prescription's retrieval token, printed as a QR code.
pub fn layout(
    texts: &dyn DocumentTexts,
    doc: &IssuedDocument,
    parties: &Parties<'_>,
    part: Option<SickLeavePart>,
    qr: Option<&str>,
    replaces_number: Option<&str>,
) -> Layout {
    let l = texts;
    let number = doc.document.number.to_string();
    let zone = jiff::tz::TimeZone::get(parties.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let issued = doc
        .document
        .issued_at
        .to_zoned_datetime(zone)
        .strftime("%Y-%m-%d %H:%M")
        .to_string();
    let doc_title = title(l, &doc.content);
    // Which sick-leave fields this rendering may show (all of them for other kinds).
    let shows = |f: SickLeaveField| part.is_none_or(|p| p.shows(f));
    let mut blocks = vec![Block::Title(doc_title.clone())];
    if let Some(p) = part {
        let reader = l.text(&format!("doc-part-{}", p.name()), &[]);
        blocks.push(Block::Heading(l.text(
            "doc-part",
            &[("number", &p.number().to_string()), ("reader", &reader)],
        )));
    }
    if shows(SickLeaveField::DocumentNumber) {
        blocks.push(field(l, "doc-number", number.clone()));
    }
    if shows(SickLeaveField::IssueDate) {
        blocks.push(field(l, "doc-issued-at", issued));
    }
    if let Some(original) = replaces_number {
        blocks.push(field(l, "doc-replaces", original));
    }
    if shows(SickLeaveField::PractitionerIdentity) {
        let who = if parties.practitioner_specialty.is_empty() {
            parties.practitioner_name.to_owned()
        } else {
            format!(
                "{} ({})",
                parties.practitioner_name,
                parties.practitioner_specialty.replace('_', " ")
            )
        };
        blocks.push(field(l, "doc-practitioner", who));
    }
    blocks.push(Block::Gap);
    if shows(SickLeaveField::PatientName) {
        blocks.push(field(l, "doc-patient", parties.patient_name));
        blocks.push(field(
            l,
            "doc-birth-date",
            parties.patient_birth_date.clone(),
        ));
    }
    if shows(SickLeaveField::PatientNationalId) {
        blocks.push(field(l, "doc-national-id", parties.patient_national_id));
    }
    blocks.push(Block::Gap);
    match &doc.content {
        DocumentContent::Prescription(p) => {
            let header = [
                "doc-medication",
                "doc-dose",
                "doc-form",
                "doc-posology",
                "doc-duration",
                "doc-substitution",
            ]
            .map(|id| l.text(id, &[]))
            .to_vec();
            let rows = p
                .items
                .iter()
                .map(|i| {
                    vec![
                        i.medication.clone(),
                        i.dose.clone(),
                        i.form.clone(),
                        i.posology.clone(),
                        i.duration.clone(),
                        yes_no(l, i.substitution_allowed),
                    ]
                })
                .collect();
            blocks.push(Block::Table {
                header,
                widths: vec![0.24, 0.12, 0.14, 0.26, 0.12, 0.12],
                rows,
            });
            if let Some(token) = qr {
                blocks.push(Block::Gap);
                blocks.push(Block::Qr {
                    payload: token.to_owned(),
                    caption: l.text("doc-qr-caption", &[("number", &number)]),
                });
            }
        }
        DocumentContent::LabRequest(r) => {
            blocks.push(field(
                l,
                "doc-laboratory",
                format!("{} <{}>", r.laboratory.name, r.laboratory.email),
            ));
            blocks.push(field(l, "doc-home-visit", yes_no(l, r.home_visit)));
            blocks.push(Block::Heading(l.text("doc-tests", &[])));
            for test in &r.tests {
                blocks.push(Block::Paragraph(format!("• {test}")));
            }
            if !r.clinical_information.is_empty() {
                blocks.push(Block::Heading(l.text("doc-clinical-information", &[])));
                blocks.push(Block::Paragraph(r.clinical_information.clone()));
            }
        }
        DocumentContent::SickLeaveCertificate(s) => {
            if shows(SickLeaveField::IncapacityPeriod) {
                let period = l.text(
                    "doc-period-value",
                    &[("from", &s.from.to_string()), ("to", &s.to.to_string())],
                );
                blocks.push(field(l, "doc-period", period));
            }
            if shows(SickLeaveField::OutingsAllowed) {
                blocks.push(field(l, "doc-outings", yes_no(l, s.outings_allowed)));
            }
            if shows(SickLeaveField::Diagnosis) {
                blocks.push(Block::Heading(l.text("doc-diagnosis", &[])));
                blocks.push(Block::Paragraph(s.diagnosis.clone()));
            }
        }
        DocumentContent::FeeMemo(m) => {
            let header = ["doc-code", "doc-act", "doc-amount"]
                .map(|id| l.text(id, &[]))
                .to_vec();
            let mut rows: Vec<Vec<String>> = m
                .acts
                .iter()
                .map(|a| vec![a.code.clone(), a.label.clone(), euros(a.amount_cents)])
                .collect();
            rows.push(vec![
                String::new(),
                l.text("doc-total", &[]),
                euros(m.total_cents()),
            ]);
            blocks.push(Block::Table {
                header,
                widths: vec![0.2, 0.6, 0.2],
                rows,
            });
            blocks.push(Block::Gap);
            // The paper shows the state at issue; payment is recorded afterwards.
            blocks.push(field(l, "doc-payment-status", l.text("doc-unpaid", &[])));
        }
        DocumentContent::ConsultationReport(r) => {
            for (id, value) in [
                ("doc-reason", &r.reason),
                ("doc-findings", &r.findings),
                ("doc-conclusion", &r.conclusion),
            ] {
                if !value.is_empty() {
                    blocks.push(Block::Heading(l.text(id, &[])));
                    blocks.push(Block::Paragraph(value.clone()));
                }
            }
        }
    }
    let footer = l.text(
        "doc-footer",
        &[
            ("practitioner", parties.practitioner_name),
            ("site", parties.site),
        ],
    );
    Layout {
        title: format!("{doc_title} {number}"),
        header: vec![parties.site.to_owned(), format!("{doc_title} — {number}")],
        blocks,
        footer,
    }
}
