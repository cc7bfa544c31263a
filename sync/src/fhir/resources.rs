//! The FHIR R4 resources the site exchanges with the national platform. Every struct keeps
//! unknown elements in `extra`; `resourceType` is checked by [`crate::client`] on receipt.

use super::{AppointmentStatus, SlotStatus};
use super::{
    Attachment, CodeableConcept, ContactPoint, Extra, HumanName, Identifier, Meta, Period,
    Reference, Resource,
};
use serde::{Deserialize, Serialize};

/// For `skip_serializing_if`: absent and empty elements are not written (FHIR forbids `[]`
/// and `null`).
pub trait IsEmpty {
    fn is_empty(&self) -> bool;
}

impl<T> IsEmpty for Option<T> {
    fn is_empty(&self) -> bool {
        self.is_none()
    }
}

impl<T> IsEmpty for Vec<T> {
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

macro_rules! resource {
    ($(#[$doc:meta])* $name:ident = $type:literal { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            pub resource_type: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub id: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub meta: Option<Meta>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub identifier: Vec<Identifier>,
            $(
                $(#[$fdoc])*
                #[serde(default, skip_serializing_if = "IsEmpty::is_empty")]
                pub $field: $ty,
            )*
            #[serde(flatten)]
            pub extra: Extra,
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    resource_type: $type.to_owned(),
                    id: None,
                    meta: None,
                    identifier: Vec::new(),
                    $($field: Default::default(),)*
                    extra: Extra::new(),
                }
            }
        }

        impl Resource for $name {
            const TYPE: &'static str = $type;
            fn id(&self) -> Option<&str> {
                self.id.as_deref()
            }
            fn meta(&self) -> Option<&Meta> {
                self.meta.as_ref()
            }
            fn identifiers(&self) -> &[Identifier] {
                &self.identifier
            }
        }
    };
}

resource!(
    /// A person receiving care.
    Patient = "Patient" {
        active: Option<bool>,
        name: Vec<HumanName>,
        telecom: Vec<ContactPoint>,
        gender: Option<String>,
        /// `YYYY-MM-DD`.
        birth_date: Option<String>,
        communication: Vec<PatientCommunication>,
    }
);

/// A language the patient speaks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientCommunication {
    pub language: CodeableConcept,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

resource!(
    /// A person providing care.
    Practitioner = "Practitioner" {
        active: Option<bool>,
        name: Vec<HumanName>,
        telecom: Vec<ContactPoint>,
        communication: Vec<CodeableConcept>,
    }
);

resource!(
    /// What a practitioner does where (specialty, at which site).
    PractitionerRole = "PractitionerRole" {
        active: Option<bool>,
        practitioner: Option<Reference>,
        organization: Option<Reference>,
        code: Vec<CodeableConcept>,
        specialty: Vec<CodeableConcept>,
        location: Vec<Reference>,
    }
);

resource!(
    /// The container of a practitioner's slots.
    Schedule = "Schedule" {
        active: Option<bool>,
        service_type: Vec<CodeableConcept>,
        specialty: Vec<CodeableConcept>,
        actor: Vec<Reference>,
        planning_horizon: Option<Period>,
        comment: Option<String>,
    }
);

resource!(
    /// A bookable (or booked) period of a schedule.
    Slot = "Slot" {
        service_type: Vec<CodeableConcept>,
        specialty: Vec<CodeableConcept>,
        appointment_type: Option<CodeableConcept>,
        schedule: Option<Reference>,
        status: Option<SlotStatus>,
        start: Option<String>,
        end: Option<String>,
        comment: Option<String>,
    }
);

resource!(
    /// A booked consultation.
    Appointment = "Appointment" {
        status: Option<AppointmentStatus>,
        cancelation_reason: Option<CodeableConcept>,
        service_type: Vec<CodeableConcept>,
        specialty: Vec<CodeableConcept>,
        appointment_type: Option<CodeableConcept>,
        reason_code: Vec<CodeableConcept>,
        description: Option<String>,
        start: Option<String>,
        end: Option<String>,
        minutes_duration: Option<u32>,
        slot: Vec<Reference>,
        created: Option<String>,
        comment: Option<String>,
        participant: Vec<AppointmentParticipant>,
    }
);

/// Who takes part in an appointment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentParticipant {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub r#type: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    /// `accepted`, `declined`, `tentative`, `needs-action` (required by FHIR).
    pub status: String,
    #[serde(flatten)]
    pub extra: Extra,
}

resource!(
    /// Metadata of an issued document; the bytes are a [`Binary`] it points to (IHE MHD).
    DocumentReference = "DocumentReference" {
        master_identifier: Option<Identifier>,
        /// `current` | `superseded` | `entered-in-error` (required).
        status: Option<String>,
        r#type: Option<CodeableConcept>,
        category: Vec<CodeableConcept>,
        subject: Option<Reference>,
        date: Option<String>,
        author: Vec<Reference>,
        description: Option<String>,
        relates_to: Vec<DocumentReferenceRelatesTo>,
        content: Vec<DocumentReferenceContent>,
        context: Option<DocumentReferenceContext>,
    }
);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReferenceContent {
    pub attachment: Attachment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<super::Coding>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `replaces` links a corrected document to the one it supersedes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReferenceRelatesTo {
    pub code: String,
    pub target: Reference,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReferenceContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Reference>,
    #[serde(flatten)]
    pub extra: Extra,
}

resource!(
    /// Raw content (a PDF), base64 in `data`. FHIR gives Binary no `identifier`: the sync worker
    /// gives it a stable id instead (see `mapping::binary_id`).
    Binary = "Binary" {
        content_type: Option<String>,
        security_context: Option<Reference>,
        data: Option<String>,
    }
);

resource!(
    /// One medicine of a prescription (*ordonnance*).
    MedicationRequest = "MedicationRequest" {
        status: Option<String>,
        intent: Option<String>,
        medication_codeable_concept: Option<CodeableConcept>,
        subject: Option<Reference>,
        authored_on: Option<String>,
        requester: Option<Reference>,
        dosage_instruction: Vec<Dosage>,
        note: Vec<Annotation>,
        supporting_information: Vec<Reference>,
    }
);

resource!(
    /// A requested service, e.g. a laboratory test (*demande d'analyses*).
    ServiceRequest = "ServiceRequest" {
        status: Option<String>,
        intent: Option<String>,
        category: Vec<CodeableConcept>,
        code: Option<CodeableConcept>,
        subject: Option<Reference>,
        authored_on: Option<String>,
        requester: Option<Reference>,
        reason_code: Vec<CodeableConcept>,
        note: Vec<Annotation>,
        supporting_info: Vec<Reference>,
    }
);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dosage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    /// When what the note says happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub text: String,
    #[serde(flatten)]
    pub extra: Extra,
}

resource!(
    /// What a patient owes for a consultation: a fee memo (*mémoire d'honoraires*) as the
    /// insurer reads it. One line per act, coded with its nomenclature code.
    Invoice = "Invoice" {
        /// `draft` | `issued` | `balanced` | `cancelled` | `entered-in-error` (required).
        status: Option<String>,
        cancelled_reason: Option<String>,
        r#type: Option<CodeableConcept>,
        subject: Option<Reference>,
        recipient: Option<Reference>,
        date: Option<String>,
        participant: Vec<InvoiceParticipant>,
        line_item: Vec<InvoiceLineItem>,
        total_net: Option<Money>,
        total_gross: Option<Money>,
        note: Vec<Annotation>,
    }
);

/// An amount in a currency. `value` is a FHIR decimal, written as a JSON number.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Money {
    /// Euro cents as a decimal amount in EUR (two decimals: 5230 → 52.3).
    pub fn euros(cents: u64) -> Self {
        // Exact for every amount a fee memo can hold (far below 2^53 cents).
        let value = serde_json::Number::from_f64(cents as f64 / 100.0);
        Money {
            value,
            currency: Some("EUR".to_owned()),
            extra: Extra::new(),
        }
    }

    /// The amount in cents, when it is in EUR.
    pub fn cents(&self) -> Option<u64> {
        if self.currency.as_deref() != Some("EUR") {
            return None;
        }
        let value = self.value.as_ref()?.as_f64()?;
        (value >= 0.0).then(|| (value * 100.0).round() as u64)
    }
}

/// Who took part in what is invoiced (the practitioner who performed the acts).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceParticipant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<CodeableConcept>,
    pub actor: Reference,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One invoiced act.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLineItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_item_codeable_concept: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub price_component: Vec<InvoicePriceComponent>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `base` | `surcharge` | `deduction` | `discount` | `tax` | `informational`, with its amount.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoicePriceComponent {
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_elements_are_kept_and_written_back() {
        let received = json!({
            "resourceType": "Appointment",
            "id": "a1",
            "meta": {"versionId": "7", "lastUpdated": "2026-03-01T10:00:00Z", "source": "x"},
            "status": "booked",
            "priority": 5,
            "extension": [{"url": "http://example.org/x", "valueString": "kept"}],
            "participant": [{"actor": {"reference": "Practitioner/p"}, "status": "accepted", "period": {"start": "2026"}}]
        });
        let mut appointment: Appointment = serde_json::from_value(received.clone()).unwrap();
        assert_eq!(appointment.version_id(), Some("7"));
        assert_eq!(appointment.extra["priority"], 5);
        assert_eq!(serde_json::to_value(&appointment).unwrap(), received);
        appointment.status = Some(AppointmentStatus::Cancelled);
        let sent = serde_json::to_value(&appointment).unwrap();
        assert_eq!(sent["status"], "cancelled");
        assert_eq!(sent["extension"], received["extension"]);
        assert_eq!(sent["participant"][0]["period"]["start"], "2026");
    }

    #[test]
    fn empty_elements_are_not_written() {
        let value = serde_json::to_value(Patient::default()).unwrap();
        assert_eq!(value, json!({"resourceType": "Patient"}));
    }
}
