//! Coded values from FHIR value sets that may grow: known codes as variants, anything else kept
//! verbatim in `Other` (a platform on a later FHIR version, or with local extensions, must not
//! make a resource unreadable).

macro_rules! open_code {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A code this build does not know, kept as received.
            Other(String),
        }

        impl $name {
            pub fn code(&self) -> &str {
                match self {
                    $($name::$variant => $code,)+
                    $name::Other(code) => code,
                }
            }
        }

        impl From<String> for $name {
            fn from(code: String) -> Self {
                match code.as_str() {
                    $($code => $name::$variant,)+
                    _ => $name::Other(code),
                }
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.code().to_owned()
            }
        }
    };
}

open_code!(
    /// `Appointment.status` (R4 value set appointmentstatus).
    AppointmentStatus {
        Proposed = "proposed",
        Pending = "pending",
        Booked = "booked",
        Arrived = "arrived",
        Fulfilled = "fulfilled",
        Cancelled = "cancelled",
        Noshow = "noshow",
        EnteredInError = "entered-in-error",
        CheckedIn = "checked-in",
        Waitlist = "waitlist",
    }
);

open_code!(
    /// `Slot.status`.
    SlotStatus {
        Busy = "busy",
        Free = "free",
        BusyUnavailable = "busy-unavailable",
        BusyTentative = "busy-tentative",
        EnteredInError = "entered-in-error",
    }
);

open_code!(
    /// `Bundle.type`.
    BundleType {
        Document = "document",
        Message = "message",
        Transaction = "transaction",
        TransactionResponse = "transaction-response",
        Batch = "batch",
        BatchResponse = "batch-response",
        History = "history",
        Searchset = "searchset",
        Collection = "collection",
    }
);

open_code!(
    /// `OperationOutcome.issue.severity`.
    IssueSeverity {
        Fatal = "fatal",
        Error = "error",
        Warning = "warning",
        Information = "information",
    }
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn known_and_unknown_codes_round_trip() {
        let known: AppointmentStatus = serde_json::from_str("\"cancelled\"").unwrap();
        assert_eq!(known, AppointmentStatus::Cancelled);
        let unknown: AppointmentStatus = serde_json::from_str("\"rescheduled-x\"").unwrap();
        assert_eq!(unknown, AppointmentStatus::Other("rescheduled-x".into()));
        assert_eq!(
            serde_json::to_string(&unknown).unwrap(),
            "\"rescheduled-x\""
        );
        assert_eq!(
            serde_json::to_string(&SlotStatus::BusyTentative).unwrap(),
            "\"busy-tentative\""
        );
    }
}
