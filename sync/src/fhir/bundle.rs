//! `Bundle` (transactions the worker sends, search results it reads) and `OperationOutcome`
//! (what a server says when it refuses something; kept with a parked entry for staff).

use super::{BundleType, CodeableConcept, Extra, IssueSeverity, Meta};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    pub r#type: BundleType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Bundle {
    pub fn new(r#type: BundleType, entry: Vec<BundleEntry>) -> Self {
        Bundle {
            resource_type: "Bundle".to_owned(),
            id: None,
            meta: None,
            r#type,
            total: None,
            link: Vec::new(),
            entry,
            extra: Extra::new(),
        }
    }

    /// The `next` page of a search, if any.
    pub fn next_link(&self) -> Option<&str> {
        self.link
            .iter()
            .find(|l| l.relation == "next")
            .map(|l| l.url.as_str())
    }

    /// The resources of type `T` in a search result (other types, e.g. included
    /// OperationOutcomes, are skipped).
    pub fn resources<T: super::Resource>(&self) -> Vec<T> {
        self.entry
            .iter()
            .filter_map(|e| e.resource.as_ref())
            .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some(T::TYPE))
            .filter_map(|r| serde_json::from_value(r.clone()).ok())
            .collect()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleLink {
    pub relation: String,
    pub url: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    /// Any resource, as JSON (a bundle may hold every type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<BundleRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<BundleResponse>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleRequest {
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_none_exist: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleResponse {
    /// HTTP status line, e.g. `201 Created` (some servers send only `201`).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl BundleResponse {
    /// The numeric status, when the line starts with one.
    pub fn code(&self) -> Option<u16> {
        self.status.split_whitespace().next()?.parse().ok()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    #[serde(default = "operation_outcome_type")]
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issue: Vec<Issue>,
    #[serde(flatten)]
    pub extra: Extra,
}

fn operation_outcome_type() -> String {
    "OperationOutcome".to_owned()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub severity: IssueSeverity,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl OperationOutcome {
    /// An outcome the worker writes itself (no server answer to keep, e.g. a local mapping
    /// error), so a parked entry always carries one.
    pub fn local(code: &str, diagnostics: impl Into<String>) -> Self {
        OperationOutcome {
            resource_type: operation_outcome_type(),
            issue: vec![Issue {
                severity: IssueSeverity::Error,
                code: code.to_owned(),
                details: None,
                diagnostics: Some(diagnostics.into()),
                expression: Vec::new(),
                extra: Extra::new(),
            }],
            extra: Extra::new(),
        }
    }

    /// A one-line summary for staff: issue codes and the server's expressions (element paths),
    /// never the diagnostics text (servers may quote submitted values in it).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .issue
            .iter()
            .map(|i| {
                if i.expression.is_empty() {
                    format!("{} {}", i.severity.code(), i.code)
                } else {
                    format!(
                        "{} {} at {}",
                        i.severity.code(),
                        i.code,
                        i.expression.join(", ")
                    )
                }
            })
            .collect();
        if parts.is_empty() {
            "no issue given".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn search_bundle_paging_and_typed_resources() {
        let bundle: Bundle = serde_json::from_value(json!({
            "resourceType": "Bundle", "type": "searchset", "total": 3,
            "link": [{"relation": "self", "url": "http://x/Appointment?_count=2"},
                     {"relation": "next", "url": "http://x/Appointment?_count=2&_offset=2"}],
            "entry": [
                {"resource": {"resourceType": "Appointment", "id": "1", "status": "booked", "participant": []}},
                {"resource": {"resourceType": "OperationOutcome", "issue": []}}
            ]
        }))
        .unwrap();
        assert_eq!(
            bundle.next_link(),
            Some("http://x/Appointment?_count=2&_offset=2")
        );
        let appointments = bundle.resources::<super::super::Appointment>();
        assert_eq!(appointments.len(), 1);
        assert_eq!(appointments[0].id.as_deref(), Some("1"));
    }

    #[test]
    fn outcome_summary_leaves_diagnostics_out() {
        let outcome: OperationOutcome = serde_json::from_value(json!({
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invalid", "diagnostics": "value 'Jane Doe' bad",
                       "expression": ["Patient.name[0]"]}]
        }))
        .unwrap();
        assert_eq!(outcome.summary(), "error invalid at Patient.name[0]");
        assert!(!outcome.summary().contains("Jane"));
    }
}
