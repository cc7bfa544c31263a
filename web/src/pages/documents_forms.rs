//! A document form as data (issue #7): the posted fields of the practitioner's form for each
//! kind, turned into the API's `DocumentRequest`, prefilled from a document to correct, and the
//! API's 422 field paths mapped back to form fields. Rendering and handlers are in
//! `documents_issue.rs`.
//!
//! Lines (medicines, acts) are rows `items[0].posology`, `acts[1].amount` named like the API's
//! field paths, so an error lands on its row. Blank rows are dropped before issuing, so the
//! rows shown with errors are exactly those the API judged.

use super::context::Page;
use crate::documents::{DocumentRequest, DocumentView, FeeActInput, PrescriptionItemInput};
use crate::error::ApiError;
use std::collections::BTreeMap;
use teleconsult_core::document::DocumentContent;
use teleconsult_core::document::content::{MAX_LINES, euros};

/// Messages of a form's fields, keyed by the field's name (rows included: `items[1].dose`).
pub(super) type Errors = BTreeMap<String, String>;

/// The kinds of document, as the API names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Prescription,
    LabRequest,
    SickLeave,
    FeeMemo,
    Report,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Prescription,
        Kind::LabRequest,
        Kind::SickLeave,
        Kind::FeeMemo,
        Kind::Report,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Prescription => "prescription",
            Kind::LabRequest => "lab_request",
            Kind::SickLeave => "sick_leave_certificate",
            Kind::FeeMemo => "fee_memo",
            Kind::Report => "consultation_report",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind's name (the title printed on the PDF).
    pub fn title_id(self) -> &'static str {
        match self {
            Kind::Prescription => "doc-title-prescription",
            Kind::LabRequest => "doc-title-lab-request",
            Kind::SickLeave => "doc-title-sick-leave",
            Kind::FeeMemo => "doc-title-fee-memo",
            Kind::Report => "doc-title-consultation-report",
        }
    }
}

/// Rows shown on a fresh form.
const EMPTY_ROWS: usize = 3;

#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub(super) struct ItemRow {
    pub(super) medication: String,
    pub(super) dose: String,
    pub(super) form: String,
    pub(super) posology: String,
    pub(super) duration: String,
    pub(super) substitution_allowed: bool,
}

impl ItemRow {
    fn is_blank(&self) -> bool {
        [
            &self.medication,
            &self.dose,
            &self.form,
            &self.posology,
            &self.duration,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub(super) struct ActRow {
    pub(super) code: String,
    pub(super) label: String,
    /// Euros as typed: `52.30` or `52,30`.
    pub(super) amount: String,
}

impl ActRow {
    fn is_blank(&self) -> bool {
        [&self.code, &self.label, &self.amount]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

/// A document form as posted (or prefilled from a document to correct).
#[derive(Debug, PartialEq, Eq)]
pub struct DocForm {
    pub(super) kind: Kind,
    pub(super) items: Vec<ItemRow>,
    pub(super) laboratory_id: String,
    /// One test per line.
    pub(super) tests: String,
    pub(super) home_visit: bool,
    pub(super) clinical_information: String,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) diagnosis: String,
    pub(super) outings_allowed: bool,
    pub(super) acts: Vec<ActRow>,
    pub(super) reason: String,
    pub(super) findings: String,
    pub(super) conclusion: String,
}

/// `items[3].dose` → `(3, "dose")` for `list` = `items`; rows beyond the most a document takes
/// are ignored (a forged index cannot make the page allocate).
fn row_field<'a>(key: &'a str, list: &str) -> Option<(usize, &'a str)> {
    let rest = key.strip_prefix(list)?.strip_prefix('[')?;
    let (index, field) = rest.split_once("].")?;
    let index: usize = index.parse().ok()?;
    (index < MAX_LINES).then_some((index, field))
}

fn row<T: Default>(rows: &mut Vec<T>, index: usize) -> &mut T {
    if rows.len() <= index {
        rows.resize_with(index + 1, T::default);
    }
    &mut rows[index]
}

/// Euros as typed (`52.30`, `52,3`, `52`) in cents; `None` when it is not an amount.
pub fn parse_euros(text: &str) -> Option<u64> {
    let text = text.trim().trim_end_matches('€').trim();
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || fraction.len() > 2 || !digits(whole) {
        return None;
    }
    if !digits(fraction) {
        return None;
    }
    let cents = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<u64>().ok()? * 10,
        _ => fraction.parse::<u64>().ok()?,
    };
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

impl DocForm {
    /// An empty form of `kind`, with a few blank rows.
    pub fn empty(kind: Kind) -> Self {
        let rows = |n| if kind == Kind::Prescription { n } else { 0 };
        Self {
            kind,
            items: vec![ItemRow::default(); rows(EMPTY_ROWS)],
            laboratory_id: String::new(),
            tests: String::new(),
            home_visit: false,
            clinical_information: String::new(),
            from: String::new(),
            to: String::new(),
            diagnosis: String::new(),
            outings_allowed: false,
            acts: if kind == Kind::FeeMemo {
                vec![ActRow::default(); EMPTY_ROWS]
            } else {
                Vec::new()
            },
            reason: String::new(),
            findings: String::new(),
            conclusion: String::new(),
        }
    }

    /// The form from posted fields (`kind` among them); `None` without a known kind.
    pub fn from_pairs(pairs: &[(String, String)]) -> Option<Self> {
        let kind = pairs
            .iter()
            .find(|(k, _)| k == "kind")
            .and_then(|(_, v)| Kind::parse(v))?;
        let mut form = Self::empty(kind);
        form.items.clear();
        form.acts.clear();
        for (key, value) in pairs {
            let value = value.clone();
            if let Some((i, field)) = row_field(key, "items") {
                let r = row(&mut form.items, i);
                match field {
                    "medication" => r.medication = value,
                    "dose" => r.dose = value,
                    "form" => r.form = value,
                    "posology" => r.posology = value,
                    "duration" => r.duration = value,
                    "substitution_allowed" => r.substitution_allowed = true,
                    _ => {}
                }
                continue;
            }
            if let Some((i, field)) = row_field(key, "acts") {
                let r = row(&mut form.acts, i);
                match field {
                    "code" => r.code = value,
                    "label" => r.label = value,
                    "amount" => r.amount = value,
                    _ => {}
                }
                continue;
            }
            match key.as_str() {
                "laboratory_id" => form.laboratory_id = value,
                "tests" => form.tests = value,
                "home_visit" => form.home_visit = true,
                "clinical_information" => form.clinical_information = value,
                "from" => form.from = value,
                "to" => form.to = value,
                "diagnosis" => form.diagnosis = value,
                "outings_allowed" => form.outings_allowed = true,
                "reason" => form.reason = value,
                "findings" => form.findings = value,
                "conclusion" => form.conclusion = value,
                _ => {}
            }
        }
        Some(form)
    }

    /// The form of a document to correct, holding what it says.
    pub fn prefilled(view: &DocumentView) -> Option<Self> {
        let content: DocumentContent = serde_json::from_value(view.content.clone()).ok()?;
        let kind = Kind::parse(&view.kind)?;
        let mut form = Self::empty(kind);
        match content {
            DocumentContent::Prescription(p) => {
                form.items = p
                    .items
                    .into_iter()
                    .map(|i| ItemRow {
                        medication: i.medication,
                        dose: i.dose,
                        form: i.form,
                        posology: i.posology,
                        duration: i.duration,
                        substitution_allowed: i.substitution_allowed,
                    })
                    .collect();
            }
            DocumentContent::LabRequest(r) => {
                form.laboratory_id = r.laboratory.id;
                form.tests = r.tests.join("\n");
                form.home_visit = r.home_visit;
                form.clinical_information = r.clinical_information;
            }
            DocumentContent::SickLeaveCertificate(s) => {
                form.from = s.from.to_string();
                form.to = s.to.to_string();
                form.diagnosis = s.diagnosis;
                form.outings_allowed = s.outings_allowed;
            }
            DocumentContent::FeeMemo(m) => {
                form.acts = m
                    .acts
                    .into_iter()
                    .map(|a| ActRow {
                        code: a.code,
                        label: a.label,
                        amount: euros(a.amount_cents),
                    })
                    .collect();
            }
            DocumentContent::ConsultationReport(r) => {
                form.reason = r.reason;
                form.findings = r.findings;
                form.conclusion = r.conclusion;
            }
        }
        Some(form)
    }

    /// One more blank row (medicines, acts), up to the most a document takes.
    pub(super) fn add_line(&mut self) {
        match self.kind {
            Kind::Prescription if self.items.len() < MAX_LINES => {
                self.items.push(ItemRow::default());
            }
            Kind::FeeMemo if self.acts.len() < MAX_LINES => self.acts.push(ActRow::default()),
            _ => {}
        }
    }

    /// Drops blank rows: the API then judges exactly the rows shown again with its errors.
    pub(super) fn drop_blank_rows(&mut self) {
        self.items.retain(|r| !r.is_blank());
        self.acts.retain(|r| !r.is_blank());
    }

    /// The API request. An amount that is not one goes as 0 cents, which the API refuses on
    /// that row's field like any other invalid amount.
    pub fn request(&self) -> DocumentRequest {
        match self.kind {
            Kind::Prescription => DocumentRequest::Prescription {
                items: self
                    .items
                    .iter()
                    .map(|r| PrescriptionItemInput {
                        medication: r.medication.clone(),
                        dose: r.dose.clone(),
                        form: r.form.clone(),
                        posology: r.posology.clone(),
                        duration: r.duration.clone(),
                        substitution_allowed: r.substitution_allowed,
                    })
                    .collect(),
            },
            Kind::LabRequest => DocumentRequest::LabRequest {
                laboratory_id: self.laboratory_id.clone(),
                tests: self
                    .tests
                    .lines()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                home_visit: self.home_visit,
                clinical_information: self.clinical_information.clone(),
            },
            Kind::SickLeave => DocumentRequest::SickLeaveCertificate {
                from: self.from.clone(),
                to: self.to.clone(),
                diagnosis: self.diagnosis.clone(),
                outings_allowed: self.outings_allowed,
            },
            Kind::FeeMemo => DocumentRequest::FeeMemo {
                acts: self
                    .acts
                    .iter()
                    .map(|r| FeeActInput {
                        code: r.code.clone(),
                        label: r.label.clone(),
                        amount_cents: parse_euros(&r.amount).unwrap_or(0),
                    })
                    .collect(),
            },
            Kind::Report => DocumentRequest::ConsultationReport {
                reason: self.reason.clone(),
                findings: self.findings.clone(),
                conclusion: self.conclusion.clone(),
            },
        }
    }
}

/// The form field and message id for a field path of the API's 422.
fn field_error(api: &str) -> Option<(String, &'static str)> {
    if let Some((i, field)) = row_field(api, "items") {
        let id = match field {
            "medication" => "docs-error-medication",
            "dose" => "docs-error-dose",
            "form" => "docs-error-form",
            "posology" => "docs-error-posology",
            "duration" => "docs-error-duration",
            _ => return None,
        };
        return Some((format!("items[{i}].{field}"), id));
    }
    if let Some((i, field)) = row_field(api, "acts") {
        let (name, id) = match field {
            "code" => ("code", "docs-error-code"),
            "label" => ("label", "docs-error-label"),
            "amount_cents" => ("amount", "docs-error-amount"),
            _ => return None,
        };
        return Some((format!("acts[{i}].{name}"), id));
    }
    if api.starts_with("tests[") {
        return Some(("tests".to_owned(), "docs-error-tests"));
    }
    let id = match api {
        "items" => "docs-error-items",
        "acts" => "docs-error-acts",
        "laboratory_id" => "docs-error-laboratory",
        "tests" => "docs-error-tests",
        "from" => "docs-error-from",
        "to" => "docs-error-to",
        "diagnosis" => "docs-error-diagnosis",
        "findings" => "docs-error-findings",
        "clinical_information" | "reason" | "conclusion" => "docs-error-long-text",
        _ => return None,
    };
    Some((api.to_owned(), id))
}

/// The 422's fields as messages on the form's fields (`None` when none is the form's).
pub(super) fn form_errors(page: &Page, error: &ApiError) -> Option<Errors> {
    let errors: Errors = error
        .fields
        .iter()
        .flat_map(|f| f.keys())
        .filter_map(|api| field_error(api))
        .map(|(name, id)| (name, page.t(id)))
        .collect();
    (!errors.is_empty()).then_some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn euros_as_typed_become_cents() {
        assert_eq!(parse_euros("52.30"), Some(5230));
        assert_eq!(parse_euros(" 52,3 "), Some(5230));
        assert_eq!(parse_euros("52"), Some(5200));
        assert_eq!(parse_euros("0.05"), Some(5));
        assert_eq!(parse_euros("52.30 €"), Some(5230));
        for bad in [
            "",
            "abc",
            "52.305",
            "-1",
            "1.2.3",
            ".50",
            "1e3",
            "9999999999",
        ] {
            assert_eq!(parse_euros(bad), None, "{bad}");
        }
    }

    #[test]
    fn rows_are_read_by_index_and_blank_ones_dropped() {
        let mut form = DocForm::from_pairs(&pairs(&[
            ("kind", "prescription"),
            ("items[0].medication", "Paracétamol"),
            ("items[0].posology", "1 le soir"),
            ("items[0].substitution_allowed", "on"),
            ("items[1].medication", " "),
            ("items[2].dose", "100 ml"),
            ("items[99999999999].dose", "ignored"),
            ("items[x].dose", "ignored"),
        ]))
        .unwrap();
        assert_eq!(form.items.len(), 3);
        assert!(form.items[0].substitution_allowed && !form.items[2].substitution_allowed);
        form.drop_blank_rows();
        let DocumentRequest::Prescription { items } = form.request() else {
            panic!("kind");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].dose, "100 ml");
        assert!(DocForm::from_pairs(&pairs(&[("kind", "poem")])).is_none());
    }

    #[test]
    fn fee_amounts_and_tests_go_to_the_api_shape() {
        let form = DocForm::from_pairs(&pairs(&[
            ("kind", "fee_memo"),
            ("acts[0].code", "C1"),
            ("acts[0].label", "Consultation"),
            ("acts[0].amount", "52,30"),
            ("acts[1].code", "X"),
            ("acts[1].amount", "lots"),
        ]))
        .unwrap();
        let DocumentRequest::FeeMemo { acts } = form.request() else {
            panic!("kind");
        };
        assert_eq!(
            acts.iter().map(|a| a.amount_cents).collect::<Vec<_>>(),
            [5230, 0]
        );
        let lab = DocForm::from_pairs(&pairs(&[
            ("kind", "lab_request"),
            ("tests", "NFS\r\n\r\n  CRP \n"),
            ("home_visit", "on"),
        ]))
        .unwrap();
        let DocumentRequest::LabRequest {
            tests, home_visit, ..
        } = lab.request()
        else {
            panic!("kind");
        };
        assert_eq!(tests, ["NFS", "CRP"]);
        assert!(home_visit);
    }

    #[test]
    fn api_field_paths_land_on_form_fields() {
        assert_eq!(
            field_error("items[1].posology"),
            Some(("items[1].posology".to_owned(), "docs-error-posology"))
        );
        assert_eq!(
            field_error("acts[0].amount_cents"),
            Some(("acts[0].amount".to_owned(), "docs-error-amount"))
        );
        assert_eq!(
            field_error("tests[3]"),
            Some(("tests".to_owned(), "docs-error-tests"))
        );
        assert_eq!(field_error("kind"), None);
    }

    #[test]
    fn every_kind_has_a_code_that_parses_back() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.code()), Some(kind));
        }
    }
}
