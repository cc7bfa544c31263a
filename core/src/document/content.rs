//! What each kind of document says, and the checks a practitioner's form must pass before a
//! document is issued. Every check names the offending field (`items[1].posology`), so the API
//! can answer one message per field.

use super::DocumentKind;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most lines on one prescription, lab request or fee memo.
pub const MAX_LINES: usize = 30;
/// Longest short text (a medicine, a test, a label).
pub const MAX_SHORT: usize = 200;
/// Longest free text (findings, clinical information, diagnosis).
pub const MAX_LONG: usize = 5000;
/// Longest sick leave, in days (beyond that the insurer's own procedures apply).
pub const MAX_SICK_LEAVE_DAYS: i32 = 366;
/// How many days before the issue day a sick leave may start (the consultation may take place
/// the day after the patient stopped working).
pub const MAX_SICK_LEAVE_BACKDATING_DAYS: i32 = 2;
/// Highest fee of one act, in cents (a typo guard: 10 000 €).
pub const MAX_ACT_CENTS: u64 = 1_000_000;

/// One medicine of a prescription (*ordonnance*).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrescriptionItem {
    /// Medicine name (brand or international non-proprietary name).
    pub medication: String,
    /// Strength, e.g. `500 mg`.
    pub dose: String,
    /// Pharmaceutical form, e.g. `comprimé`, `sirop`.
    pub form: String,
    /// How to take it, e.g. `1 comprimé 3 fois par jour`.
    pub posology: String,
    /// For how long, e.g. `5 jours`.
    pub duration: String,
    /// Whether the pharmacist may substitute a generic.
    pub substitution_allowed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prescription {
    pub items: Vec<PrescriptionItem>,
}

/// A laboratory of the site's directory (copied into the request when issued, so the request
/// keeps naming the laboratory it was sent to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Laboratory {
    /// Short stable code, `[a-z0-9-]`, 1–32 characters.
    pub id: String,
    pub name: String,
    /// Where requests are announced.
    pub email: String,
}

/// A laboratory test request (*prescription d'analyses*).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabRequest {
    pub laboratory: Laboratory,
    /// The tests, as the practitioner wrote them.
    pub tests: Vec<String>,
    /// The laboratory comes to the patient's home (it contacts the patient).
    pub home_visit: bool,
    /// Context for the laboratory (may be empty).
    #[serde(default)]
    pub clinical_information: String,
}

/// A sick-leave certificate (*certificat d'incapacité de travail*).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SickLeave {
    /// First day of incapacity.
    pub from: Date,
    /// Last day of incapacity (inclusive).
    pub to: Date,
    /// Medical reason. Never on the employer's part.
    pub diagnosis: String,
    /// Whether the patient may leave home during the leave. Never on the employer's part.
    pub outings_allowed: bool,
}

/// One act of a fee memo, with its code in the national nomenclature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeAct {
    /// Nomenclature code, e.g. `C1` (CNS) or `TCG` (CCAM/NGAP).
    pub code: String,
    pub label: String,
    /// Fee in euro cents.
    pub amount_cents: u64,
}

/// A fee memo (*mémoire d'honoraires*).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeMemo {
    pub acts: Vec<FeeAct>,
}

impl FeeMemo {
    /// Sum of the acts, in cents.
    pub fn total_cents(&self) -> u64 {
        self.acts
            .iter()
            .fold(0u64, |sum, act| sum.saturating_add(act.amount_cents))
    }
}

/// A consultation report (*compte rendu*) for the patient's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationReport {
    /// Why the patient consulted (may be empty).
    #[serde(default)]
    pub reason: String,
    /// What the practitioner found.
    pub findings: String,
    /// Conclusion and advice (may be empty).
    #[serde(default)]
    pub conclusion: String,
}

/// The content of an issued document; its variant is the document's kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DocumentContent {
    Prescription(Prescription),
    LabRequest(LabRequest),
    SickLeaveCertificate(SickLeave),
    FeeMemo(FeeMemo),
    ConsultationReport(ConsultationReport),
}

/// One message per offending field, keyed by its path in the request (`items[0].dose`).
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("invalid document fields: {}", .0.keys().cloned().collect::<Vec<_>>().join(", "))]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Trims `value` in place and checks its length; `required` refuses an empty text. Control
/// characters are refused (newlines only in long texts): they would garble the PDF.
fn text(errors: &mut FieldErrors, field: &str, value: &mut String, required: bool, max: usize) {
    let trimmed = value.trim();
    if trimmed.len() != value.len() {
        *value = trimmed.to_owned();
    }
    let multiline = max > MAX_SHORT;
    if required && value.is_empty() {
        errors.add(field, "must not be empty");
    } else if value.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    } else if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        errors.add(field, "must not contain control characters");
    }
}

fn lines<T>(errors: &mut FieldErrors, field: &str, list: &[T]) {
    if list.is_empty() {
        errors.add(field, "give at least one line");
    } else if list.len() > MAX_LINES {
        errors.add(field, format!("at most {MAX_LINES} lines"));
    }
}

/// Whether `code` is a usable nomenclature code: letters, digits, `.`, `-`, `_`, 1–20 long.
fn nomenclature_code(code: &str) -> bool {
    (1..=20).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

impl DocumentContent {
    pub fn kind(&self) -> DocumentKind {
        match self {
            DocumentContent::Prescription(_) => DocumentKind::Prescription,
            DocumentContent::LabRequest(_) => DocumentKind::LabRequest,
            DocumentContent::SickLeaveCertificate(_) => DocumentKind::SickLeaveCertificate,
            DocumentContent::FeeMemo(_) => DocumentKind::FeeMemo,
            DocumentContent::ConsultationReport(_) => DocumentKind::ConsultationReport,
        }
    }

    /// Checks a practitioner's form for a document issued on `issued_on` (the site's calendar
    /// day), trimming texts; every problem is reported at once. The laboratory of a lab request
    /// comes from the site's directory and is not checked here.
    pub fn validated(mut self, issued_on: Date) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        match &mut self {
            DocumentContent::Prescription(p) => {
                lines(&mut errors, "items", &p.items);
                for (i, item) in p.items.iter_mut().enumerate() {
                    let f = |name: &str| format!("items[{i}].{name}");
                    text(
                        &mut errors,
                        &f("medication"),
                        &mut item.medication,
                        true,
                        MAX_SHORT,
                    );
                    text(&mut errors, &f("dose"), &mut item.dose, true, MAX_SHORT);
                    text(&mut errors, &f("form"), &mut item.form, true, MAX_SHORT);
                    text(
                        &mut errors,
                        &f("posology"),
                        &mut item.posology,
                        true,
                        MAX_SHORT,
                    );
                    text(
                        &mut errors,
                        &f("duration"),
                        &mut item.duration,
                        true,
                        MAX_SHORT,
                    );
                }
            }
            DocumentContent::LabRequest(r) => {
                lines(&mut errors, "tests", &r.tests);
                for (i, test) in r.tests.iter_mut().enumerate() {
                    text(&mut errors, &format!("tests[{i}]"), test, true, MAX_SHORT);
                }
                text(
                    &mut errors,
                    "clinical_information",
                    &mut r.clinical_information,
                    false,
                    MAX_LONG,
                );
            }
            DocumentContent::SickLeaveCertificate(s) => {
                text(&mut errors, "diagnosis", &mut s.diagnosis, true, MAX_LONG);
                let earliest = issued_on
                    .checked_sub(jiff::Span::new().days(MAX_SICK_LEAVE_BACKDATING_DAYS))
                    .unwrap_or(issued_on);
                if s.from < earliest {
                    errors.add(
                        "from",
                        format!(
                            "may start at most {MAX_SICK_LEAVE_BACKDATING_DAYS} days before the \
                             consultation ({earliest} or later)"
                        ),
                    );
                }
                if s.to < s.from {
                    errors.add("to", "must be on or after the first day");
                } else {
                    let days = s.from.until(s.to).map(|span| span.get_days()).unwrap_or(0);
                    if days >= MAX_SICK_LEAVE_DAYS {
                        errors.add("to", format!("at most {MAX_SICK_LEAVE_DAYS} days of leave"));
                    }
                }
            }
            DocumentContent::FeeMemo(m) => {
                lines(&mut errors, "acts", &m.acts);
                for (i, act) in m.acts.iter_mut().enumerate() {
                    act.code = act.code.trim().to_owned();
                    if !nomenclature_code(&act.code) {
                        errors.add(
                            format!("acts[{i}].code"),
                            "expected a nomenclature code: 1 to 20 letters, digits, '.', '-' or '_'",
                        );
                    }
                    text(
                        &mut errors,
                        &format!("acts[{i}].label"),
                        &mut act.label,
                        true,
                        MAX_SHORT,
                    );
                    if !(1..=MAX_ACT_CENTS).contains(&act.amount_cents) {
                        errors.add(
                            format!("acts[{i}].amount_cents"),
                            format!("must be between 1 and {MAX_ACT_CENTS} cents"),
                        );
                    }
                }
            }
            DocumentContent::ConsultationReport(r) => {
                text(&mut errors, "reason", &mut r.reason, false, MAX_LONG);
                text(&mut errors, "findings", &mut r.findings, true, MAX_LONG);
                text(
                    &mut errors,
                    "conclusion",
                    &mut r.conclusion,
                    false,
                    MAX_LONG,
                );
            }
        }
        errors.into_result().map(|()| self)
    }
}

/// Checks a laboratory of the directory (trimmed; the e-mail address lower-cased).
pub fn validate_laboratory(mut lab: Laboratory) -> Result<Laboratory, FieldErrors> {
    let mut errors = FieldErrors::default();
    lab.id = lab.id.trim().to_owned();
    let id_ok = (1..=32).contains(&lab.id.len())
        && lab
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        errors.add("id", "use 1 to 32 characters among a-z, 0-9 and -");
    }
    text(&mut errors, "name", &mut lab.name, true, MAX_SHORT);
    match crate::validation::validate_email(&lab.email) {
        Ok(email) => lab.email = email,
        Err(e) => errors.add("email", e.to_string()),
    }
    errors.into_result().map(|()| lab)
}

/// Formats cents as euros with two decimals (`52.30`).
pub fn euros(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn day() -> Date {
        date(2026, 3, 2)
    }

    fn item() -> PrescriptionItem {
        PrescriptionItem {
            medication: " Paracétamol ".into(),
            dose: "500 mg".into(),
            form: "comprimé".into(),
            posology: "1 comprimé 3 fois par jour".into(),
            duration: "5 jours".into(),
            substitution_allowed: true,
        }
    }

    fn errors(content: DocumentContent) -> Vec<String> {
        content
            .validated(day())
            .unwrap_err()
            .0
            .into_keys()
            .collect()
    }

    #[test]
    fn a_good_prescription_is_trimmed_and_kept() {
        let ok = DocumentContent::Prescription(Prescription {
            items: vec![item()],
        })
        .validated(day())
        .unwrap();
        let DocumentContent::Prescription(p) = &ok else {
            panic!("kind changed");
        };
        assert_eq!(p.items[0].medication, "Paracétamol");
        assert_eq!(ok.kind(), DocumentKind::Prescription);
        let json = serde_json::to_value(&ok).unwrap();
        assert_eq!(json["kind"], "prescription");
        assert_eq!(serde_json::from_value::<DocumentContent>(json).unwrap(), ok);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = item();
        bad.dose = "  ".into();
        bad.posology = "x".repeat(MAX_SHORT + 1);
        bad.form = "tab\u{7}".into();
        assert_eq!(
            errors(DocumentContent::Prescription(Prescription {
                items: vec![item(), bad]
            })),
            ["items[1].dose", "items[1].form", "items[1].posology"]
        );
        assert_eq!(
            errors(DocumentContent::Prescription(Prescription {
                items: vec![]
            })),
            ["items"]
        );
        assert_eq!(
            errors(DocumentContent::Prescription(Prescription {
                items: vec![item(); MAX_LINES + 1]
            })),
            ["items"]
        );
    }

    fn sick(from: Date, to: Date, diagnosis: &str) -> DocumentContent {
        DocumentContent::SickLeaveCertificate(SickLeave {
            from,
            to,
            diagnosis: diagnosis.into(),
            outings_allowed: false,
        })
    }

    #[test]
    fn sick_leave_period_rules() {
        assert!(
            sick(date(2026, 2, 28), date(2026, 3, 6), "grippe")
                .validated(day())
                .is_ok()
        );
        assert!(
            sick(day(), day(), "grippe").validated(day()).is_ok(),
            "one day"
        );
        assert_eq!(errors(sick(date(2026, 2, 27), day(), "grippe")), ["from"]);
        assert_eq!(errors(sick(day(), date(2026, 3, 1), "grippe")), ["to"]);
        assert_eq!(errors(sick(day(), date(2027, 3, 3), "grippe")), ["to"]);
        assert!(
            sick(day(), date(2027, 3, 1), "x").validated(day()).is_ok(),
            "366 days"
        );
        assert_eq!(errors(sick(day(), day(), " ")), ["diagnosis"]);
        // Line breaks are fine in long texts.
        assert!(sick(day(), day(), "a\nb").validated(day()).is_ok());
    }

    #[test]
    fn fee_memo_rules_and_total() {
        let act = |code: &str, cents| FeeAct {
            code: code.into(),
            label: "Consultation".into(),
            amount_cents: cents,
        };
        let memo = FeeMemo {
            acts: vec![act("C1", 5230), act("TC-2", 1000)],
        };
        assert_eq!(memo.total_cents(), 6230);
        assert_eq!(euros(memo.total_cents()), "62.30");
        assert_eq!(euros(5), "0.05");
        assert!(DocumentContent::FeeMemo(memo).validated(day()).is_ok());
        assert_eq!(
            errors(DocumentContent::FeeMemo(FeeMemo {
                acts: vec![act("C 1", 100), act("C2", 0), act("C3", MAX_ACT_CENTS + 1)]
            })),
            [
                "acts[0].code",
                "acts[1].amount_cents",
                "acts[2].amount_cents"
            ]
        );
    }

    #[test]
    fn lab_request_and_report_rules() {
        let lab = Laboratory {
            id: "ketterthill".into(),
            name: "Laboratoire".into(),
            email: "lab@example.lu".into(),
        };
        let request = |tests: Vec<&str>| {
            DocumentContent::LabRequest(LabRequest {
                laboratory: lab.clone(),
                tests: tests.into_iter().map(str::to_owned).collect(),
                home_visit: true,
                clinical_information: String::new(),
            })
        };
        assert!(request(vec!["NFS", "CRP"]).validated(day()).is_ok());
        assert_eq!(errors(request(vec![])), ["tests"]);
        assert_eq!(errors(request(vec!["NFS", ""])), ["tests[1]"]);
        let report = |findings: &str| {
            DocumentContent::ConsultationReport(ConsultationReport {
                reason: String::new(),
                findings: findings.into(),
                conclusion: String::new(),
            })
        };
        assert!(report("Examen normal.").validated(day()).is_ok());
        assert_eq!(errors(report("")), ["findings"]);
        assert_eq!(errors(report(&"x".repeat(MAX_LONG + 1))), ["findings"]);
    }

    #[test]
    fn laboratories_are_checked() {
        let lab = validate_laboratory(Laboratory {
            id: " bionext ".into(),
            name: " BioneXt Lab ".into(),
            email: "Requests@Bionext.Example".into(),
        })
        .unwrap();
        assert_eq!(lab.id, "bionext");
        assert_eq!(lab.name, "BioneXt Lab");
        let bad = validate_laboratory(Laboratory {
            id: "Bad Id".into(),
            name: String::new(),
            email: "nope".into(),
        })
        .unwrap_err();
        assert_eq!(
            bad.0.keys().map(String::as_str).collect::<Vec<_>>(),
            ["email", "id", "name"]
        );
    }
}
