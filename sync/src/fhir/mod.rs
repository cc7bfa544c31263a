//! FHIR R4 JSON as plain serde types: only the elements this site reads or writes are typed;
//! everything else a server sends is kept in `extra` and written back unchanged (a resource read,
//! modified and `PUT` back must not lose what other systems put there). Coded values of an open
//! set are [`code`]-enums with an `Other(String)` arm, so an unknown code is kept, never an error.
//!
//! Datatypes live here; resources in [`resources`]; `Bundle` and `OperationOutcome` in
//! [`bundle`].

pub mod bundle;
pub mod code;
pub mod resources;

use serde::{Deserialize, Serialize};

pub use bundle::{
    Bundle, BundleEntry, BundleLink, BundleRequest, BundleResponse, OperationOutcome,
};
pub use code::{AppointmentStatus, BundleType, IssueSeverity, SlotStatus};
pub use resources::{
    Appointment, AppointmentParticipant, Binary, DocumentReference, DocumentReferenceContent,
    Invoice, InvoiceLineItem, InvoiceParticipant, InvoicePriceComponent, MedicationRequest, Money,
    Patient, Practitioner, PractitionerRole, Schedule, ServiceRequest, Slot,
};

/// Elements a type does not model, kept as received.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// `Resource.meta`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An identifier: `system` (a URI naming the namespace) and `value`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Identifier {
    pub fn new(system: impl Into<String>, value: impl Into<String>) -> Self {
        Identifier {
            system: Some(system.into()),
            value: Some(value.into()),
            ..Identifier::default()
        }
    }

    /// True when this identifier is `system|value`.
    pub fn is(&self, system: &str, value: &str) -> bool {
        self.system.as_deref() == Some(system) && self.value.as_deref() == Some(value)
    }

    /// The `identifier=` search token `system|value`, percent-encoded for a query string.
    pub fn search_token(system: &str, value: &str) -> String {
        format!("{}|{}", encode_query(system), encode_query(value))
    }
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A reference to another resource: literal (`Patient/123`, `urn:uuid:…`) and/or logical
/// (by identifier).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Reference {
    /// A literal reference (`Type/id` or `urn:uuid:…`).
    pub fn to(reference: impl Into<String>) -> Self {
        Reference {
            reference: Some(reference.into()),
            ..Reference::default()
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Coding {
    pub fn new(system: &str, code: &str, display: &str) -> Self {
        Coding {
            system: Some(system.to_owned()),
            code: Some(code.to_owned()),
            display: Some(display.to_owned()),
            extra: Extra::new(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeableConcept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl CodeableConcept {
    pub fn coded(coding: Coding) -> Self {
        CodeableConcept {
            coding: vec![coding],
            ..CodeableConcept::default()
        }
    }

    pub fn text(text: impl Into<String>) -> Self {
        CodeableConcept {
            text: Some(text.into()),
            ..CodeableConcept::default()
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Phone, e-mail, ...
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactPoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#use: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Content by reference or inline (`DocumentReference.content.attachment`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-1 of the data, base64 (FHIR R4 says SHA-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Resource.id` and `Resource.meta`, present on every resource.
pub trait Resource: Serialize + serde::de::DeserializeOwned {
    const TYPE: &'static str;
    fn id(&self) -> Option<&str>;
    fn meta(&self) -> Option<&Meta>;
    fn identifiers(&self) -> &[Identifier];

    /// `meta.versionId`, for `If-Match`.
    fn version_id(&self) -> Option<&str> {
        self.meta().and_then(|m| m.version_id.as_deref())
    }
}
