//! The crate's seams: what it may depend on, what each document shows, the QR code, the PDF.

use crate::document::{DocumentTexts, Parties, layout, title};
use crate::pdf::{Block, Fonts, Layout, render};
use crate::qr::Qr;
use teleconsult_core::Timestamp;
use teleconsult_core::document::{
    Document, DocumentContent, DocumentNumber, DocumentStatus, IssuedDocument, Prescription,
    PrescriptionItem, SickLeave, SickLeavePart,
};
use teleconsult_core::ids::{AppointmentId, DocumentId, PatientId, PractitionerId};
use uuid::Uuid;

/// Texts that show which message was asked for, with its arguments.
struct Ids;

impl DocumentTexts for Ids {
    fn text(&self, id: &str, args: &[(&'static str, &str)]) -> String {
        let args: String = args.iter().map(|(k, v)| format!(" {k}={v}")).collect();
        format!("[{id}{args}]")
    }
}

fn issued(content: DocumentContent) -> IssuedDocument {
    IssuedDocument::new(
        Document {
            id: DocumentId::from_uuid(Uuid::from_u128(1)),
            number: DocumentNumber::new("SITE", 2026, 7).unwrap(),
            kind: content.kind(),
            appointment: AppointmentId::from_uuid(Uuid::from_u128(2)),
            patient: PatientId::from_uuid(Uuid::from_u128(3)),
            practitioner: PractitionerId::from_uuid(Uuid::from_u128(4)),
            issued_at: "2026-03-02T10:00:00Z".parse::<Timestamp>().unwrap(),
            status: DocumentStatus::Issued,
        },
        content,
        None,
    )
    .unwrap()
}

fn parties() -> Parties<'static> {
    Parties {
        site: "Pharmacie du Centre",
        time_zone: "Europe/Luxembourg",
        patient_name: "Léa Müller",
        patient_national_id: "1980010112345",
        patient_birth_date: "1980-01-01".into(),
        practitioner_name: "Dr Weber",
        practitioner_specialty: "general_practice",
    }
}

/// Every text a layout holds, blocks flattened.
fn texts_of(layout: &Layout) -> String {
    let mut all = vec![layout.title.clone(), layout.footer.clone()];
    all.extend(layout.header.iter().cloned());
    for block in &layout.blocks {
        match block {
            Block::Title(t) | Block::Heading(t) | Block::Paragraph(t) => all.push(t.clone()),
            Block::Field { label, value } => all.extend([label.clone(), value.clone()]),
            Block::Table { header, rows, .. } => {
                all.extend(header.iter().cloned());
                all.extend(rows.iter().flatten().cloned());
            }
            Block::Qr { payload, caption } => all.extend([payload.clone(), caption.clone()]),
            Block::Gap => {}
        }
    }
    all.join("\n")
}

#[test]
fn the_crate_knows_no_http_storage_or_translation_format() {
    let manifest = include_str!("../Cargo.toml");
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .unwrap();
    let names: Vec<&str> = dependencies
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split(['.', ' ', '=']).next())
        .collect();
    let allowed = [
        "teleconsult-core",
        "teleconsult-app",
        "thiserror",
        "jiff",
        "tokio",
        "printpdf",
        "qrcode",
    ];
    assert!(!names.is_empty());
    for name in names {
        assert!(
            allowed.contains(&name),
            "{name}: teleconsult-render must not know HTTP, storage or Fluent (lib.rs)"
        );
    }
}

#[test]
fn the_employer_part_never_carries_the_diagnosis() {
    let doc = issued(DocumentContent::SickLeaveCertificate(SickLeave {
        from: "2026-03-02".parse().unwrap(),
        to: "2026-03-06".parse().unwrap(),
        diagnosis: "Grippe saisonnière".into(),
        outings_allowed: false,
    }));
    for part in SickLeavePart::ALL {
        let text = texts_of(&layout(&Ids, &doc, &parties(), Some(part), None, None));
        assert!(text.contains("[doc-part-"), "{part:?}: {text}");
        let shows = !matches!(part, SickLeavePart::Employer);
        assert_eq!(
            text.contains("Grippe saisonnière"),
            shows,
            "{part:?}: {text}"
        );
        assert_eq!(text.contains("[doc-diagnosis]"), shows, "{part:?}: {text}");
    }
}

#[test]
fn a_prescription_carries_its_token_as_a_qr_code_and_renders() {
    let doc = issued(DocumentContent::Prescription(Prescription {
        items: vec![PrescriptionItem {
            medication: "Paracétamol".into(),
            dose: "1 g".into(),
            form: "comprimé".into(),
            posology: "1/j".into(),
            duration: "3 j".into(),
            substitution_allowed: true,
        }],
    }));
    let page = layout(
        &Ids,
        &doc,
        &parties(),
        None,
        Some("tok-123"),
        Some("SITE-2025-9"),
    );
    assert_eq!(
        page.title,
        format!("{} SITE-2026-000007", title(&Ids, &doc.content))
    );
    assert!(page.blocks.contains(&Block::Qr {
        payload: "tok-123".into(),
        caption: "[doc-qr-caption number=SITE-2026-000007]".into(),
    }));
    let text = texts_of(&page);
    for expected in [
        "[doc-replaces]",
        "SITE-2025-9",
        "[doc-yes]",
        "2026-03-02 11:00",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    // A dependency of the package and of the tests' set-up (`cargo xtask test`).
    let fonts = Fonts::system().expect("the DejaVu fonts (fonts-dejavu-core)");
    let pdf = render(fonts, &page).unwrap();
    assert!(pdf.starts_with(b"%PDF-") && pdf.ends_with(b"%%EOF"));
}

#[test]
fn qr_codes_have_their_finder_patterns() {
    let code = Qr::new("otpauth://totp/Site:weber?secret=JBSWY3DPEHPK3PXP").unwrap();
    let n = code.width();
    assert!(n >= 21 && (n - 21).is_multiple_of(4), "{n}");
    let dark: std::collections::BTreeSet<(usize, usize)> = code.dark_modules().collect();
    // The three 7×7 finder patterns: dark border, light ring, dark 3×3 centre.
    for (top, left) in [(0, 0), (0, n - 7), (n - 7, 0)] {
        for i in 0..7 {
            for (r, c) in [(0, i), (6, i), (i, 0), (i, 6)] {
                assert!(dark.contains(&(top + r, left + c)));
            }
        }
        assert!(!dark.contains(&(top + 1, left + 1)));
        assert!(dark.contains(&(top + 3, left + 3)));
    }
    assert!(dark.iter().all(|&(r, c)| r < n && c < n));
    assert!(Qr::new(&"x".repeat(8000)).is_err());
}
