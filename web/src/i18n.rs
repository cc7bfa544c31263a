//! Translations with Fluent: `web/locales/<lang>/*.ftl` (`notifications.ftl` for e-mails and
//! SMS, `ui.ftl`, `agenda.ftl`, `document_pages.ftl`… for the pages), compiled into the
//! binary. Every supported language has the same files with the same message ids, and every
//! id the pages use exists (unit tests check both); English is the fallback.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;
use teleconsult_core::site::Language;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks: texts go to e-mails, SMS and PDFs, where they would show.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

fn language_id(language: Language) -> LanguageIdentifier {
    language
        .code()
        .parse()
        .unwrap_or_else(|_| fluent_templates::langid!("en"))
}

/// The message `id` in `language` with `args` filled in (the id itself if it is missing, which
/// the completeness test prevents).
pub fn text(language: Language, id: &str, args: &[(&'static str, &str)]) -> String {
    text_with(language, id, &Args::new(args))
}

/// Arguments of Fluent messages, built once for several messages (an SMS and an e-mail's
/// subject and body take the same).
pub struct Args<'a>(HashMap<Cow<'static, str>, FluentValue<'a>>);

impl<'a> Args<'a> {
    pub fn new(args: &[(&'static str, &'a str)]) -> Self {
        Self(
            args.iter()
                .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(*v)))
                .collect(),
        )
    }
}

/// Like [`text`], with arguments built beforehand.
pub fn text_with(language: Language, id: &str, args: &Args<'_>) -> String {
    LOCALES.lookup_with_args(&language_id(language), id, &args.0)
}

/// The texts of issued documents in one language (`documents.ftl`), for the layout of
/// `teleconsult-render`.
#[derive(Clone, Copy, Debug)]
pub struct DocumentFluent(pub Language);

impl teleconsult_render::document::DocumentTexts for DocumentFluent {
    fn text(&self, id: &str, args: &[(&'static str, &str)]) -> String {
        text(self.0, id, args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn locales_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("locales")
    }

    /// The `.ftl` files of a language folder, by name.
    fn ftl_files(language: Language) -> BTreeSet<String> {
        std::fs::read_dir(locales_dir().join(language.code()))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".ftl"))
            .collect()
    }

    #[test]
    fn every_language_has_the_same_files_with_the_same_message_ids() {
        let files = ftl_files(Language::En);
        assert!(
            files.contains("notifications.ftl") && files.contains("ui.ftl"),
            "{files:?}"
        );
        for file in &files {
            let english = std::fs::read_to_string(locales_dir().join("en").join(file)).unwrap();
            let ids = message_ids(&english);
            assert!(ids.len() >= 5, "{file}");
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "duplicate ids in en/{file}");
            for language in Language::ALL {
                assert_eq!(ftl_files(language), files, "files of {language}");
                let path = locales_dir().join(language.code()).join(file);
                let text = std::fs::read_to_string(&path).unwrap();
                assert_eq!(message_ids(&text), ids, "{}", path.display());
            }
        }
    }

    #[test]
    fn every_message_id_the_pages_use_exists() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
        let mut used = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("tests.rs") {
                continue;
            }
            let source = std::fs::read_to_string(path).unwrap();
            for call in [".t(\"", ".t_args(\""] {
                for piece in source.split(call).skip(1) {
                    if let Some(id) = piece.split('"').next() {
                        used.insert(id.to_owned());
                    }
                }
            }
            // Ids chosen by `match` (field errors, specialties, roles…) are string literals
            // shaped like message ids; collect those of the known prefixes too.
            for piece in source.split('"').skip(1).step_by(2) {
                let prefixes = [
                    "error-",
                    "specialty-",
                    "role-",
                    "register-national-id-hint-",
                    "consent-",
                    "weekday-",
                    "appt-",
                    "relationship-",
                    "home-",
                    "users-",
                    "sync-",
                    "doc-",
                    "docs-",
                    "pharmacy-",
                    "files-",
                    "booth-",
                    "line-",
                    "asap-",
                ];
                if prefixes.iter().any(|p| piece.starts_with(p))
                    && piece.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    used.insert(piece.to_owned());
                }
            }
        }
        assert!(used.len() > 100, "{}", used.len());
        // Pages take their texts from every file but the notifications.
        let english: String = ftl_files(Language::En)
            .iter()
            .filter(|f| *f != "notifications.ftl")
            .map(|f| std::fs::read_to_string(locales_dir().join("en").join(f)).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let known: BTreeSet<&str> = message_ids(&english).into_iter().collect();
        let missing: Vec<&String> = used
            .iter()
            // Element ids, not messages.
            .filter(|id| {
                !known.contains(id.as_str())
                    && !["error-summary-title", "role-error"].contains(&id.as_str())
            })
            .collect();
        assert!(
            missing.is_empty(),
            "ids used by pages but in no page .ftl file: {missing:?}"
        );
        // Every message formats in every language (the bundle parsed it, variables resolve).
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = [
            "name", "left", "date", "version", "minutes", "role", "count", "job", "mb", "frames",
            "width", "height", "peak", "kind", "number", "part", "rating", "estimate", "kbps",
        ]
        .into_iter()
        .map(|k| (Cow::Borrowed(k), FluentValue::from("x")))
        .collect();
        for language in Language::ALL {
            for id in used.iter().filter(|id| known.contains(id.as_str())) {
                let text = LOCALES.try_lookup_with_args(&language_id(language), id, &args);
                assert!(text.is_some_and(|t| !t.is_empty()), "{language}: {id}");
            }
        }
    }

    #[test]
    fn arguments_are_filled_without_isolation_marks() {
        let sms = text(
            Language::Fr,
            "sms-login-code",
            &[("site", "Pharmacie"), ("code", "123456")],
        );
        assert!(
            sms.starts_with("Pharmacie : votre code de connexion est 123456."),
            "{sms}"
        );
        assert!(!sms.contains('\u{2068}'), "isolation marks in {sms:?}");
        let de = text(Language::De, "email-activation-subject", &[("site", "X")]);
        assert_eq!(de, "X: Aktivieren Sie Ihr Konto");
    }

    /// Asks `teleconsult-render` for every document's layout and checks that each message it
    /// asks for exists and formats, with the arguments it gives, in every language.
    #[test]
    fn every_message_a_document_asks_for_exists_in_every_language() {
        use std::cell::RefCell;
        use teleconsult_core::document::*;
        use teleconsult_core::ids::{AppointmentId, DocumentId, PatientId, PractitionerId};
        use teleconsult_render::document::{DocumentTexts, Parties, layout, title};
        use uuid::Uuid;

        struct Checked(Language, RefCell<BTreeSet<String>>);
        impl DocumentTexts for Checked {
            fn text(&self, id: &str, args: &[(&'static str, &str)]) -> String {
                let found =
                    LOCALES.try_lookup_with_args(&language_id(self.0), id, &Args::new(args).0);
                assert!(
                    found
                        .as_ref()
                        .is_some_and(|t| !t.is_empty() && !t.contains('{')),
                    "{}: {id}",
                    self.0
                );
                self.1.borrow_mut().insert(id.to_owned());
                found.unwrap_or_default()
            }
        }
        let doc = |content: DocumentContent| {
            IssuedDocument::new(
                Document {
                    id: DocumentId::from_uuid(Uuid::from_u128(1)),
                    number: DocumentNumber::new("SITE", 2026, 1).unwrap(),
                    kind: content.kind(),
                    appointment: AppointmentId::from_uuid(Uuid::from_u128(2)),
                    patient: PatientId::from_uuid(Uuid::from_u128(3)),
                    practitioner: PractitionerId::from_uuid(Uuid::from_u128(4)),
                    issued_at: teleconsult_core::Timestamp::from_second(1_800_000_000).unwrap(),
                    status: DocumentStatus::Issued,
                },
                content,
                None,
            )
            .unwrap()
        };
        let item = PrescriptionItem {
            medication: "m".into(),
            dose: "d".into(),
            form: "f".into(),
            posology: "p".into(),
            duration: "d".into(),
            substitution_allowed: false,
        };
        let date = |d: &str| d.parse().unwrap();
        let documents = [
            doc(DocumentContent::Prescription(Prescription {
                items: vec![item],
            })),
            doc(DocumentContent::LabRequest(LabRequest {
                laboratory: Laboratory {
                    id: "l".into(),
                    name: "L".into(),
                    email: "l@x.invalid".into(),
                },
                tests: vec!["t".into()],
                home_visit: true,
                clinical_information: "c".into(),
            })),
            doc(DocumentContent::SickLeaveCertificate(SickLeave {
                from: date("2026-01-01"),
                to: date("2026-01-02"),
                diagnosis: "d".into(),
                outings_allowed: true,
            })),
            doc(DocumentContent::FeeMemo(FeeMemo {
                acts: vec![FeeAct {
                    code: "C1".into(),
                    label: "a".into(),
                    amount_cents: 100,
                }],
            })),
            doc(DocumentContent::ConsultationReport(ConsultationReport {
                reason: "r".into(),
                findings: "f".into(),
                conclusion: "c".into(),
            })),
        ];
        let parties = Parties {
            site: "S",
            time_zone: "Europe/Luxembourg",
            patient_name: "P",
            patient_national_id: "1",
            patient_birth_date: "1980-01-01".into(),
            practitioner_name: "D",
            practitioner_specialty: "",
        };
        for language in Language::ALL {
            let texts = Checked(language, RefCell::default());
            for d in &documents {
                title(&texts, &d.content);
                let parts: Vec<Option<SickLeavePart>> = match d.content {
                    DocumentContent::SickLeaveCertificate(_) => {
                        SickLeavePart::ALL.map(Some).to_vec()
                    }
                    _ => vec![None],
                };
                for part in parts {
                    layout(
                        &texts,
                        d,
                        &parties,
                        part,
                        Some("token"),
                        Some("SITE-2025-000001"),
                    );
                }
            }
            let asked = texts.1.into_inner();
            for id in [
                "doc-footer",
                "doc-qr-caption",
                "doc-part-employer",
                "doc-unpaid",
                "doc-reason",
            ] {
                assert!(asked.contains(id), "{id} not asked: {asked:?}");
            }
        }
    }

    fn message_ids(ftl: &str) -> Vec<&str> {
        ftl.lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#'))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
            .collect()
    }
}
