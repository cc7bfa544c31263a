//! Patient consents, and the rule that booking needs them.
//!
//! Why here: processing health data and holding a consultation at a distance both rest on the
//! patient's explicit consent (GDPR art. 9(2)(a); national teleconsultation rules). A consent is
//! tied to the version of the text the patient saw, is dated, and can be withdrawn; we keep the
//! history (never overwrite), so the rule is "an active consent of each required kind exists".

use crate::Timestamp;
use crate::ids::AccountId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the patient agreed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// Processing of personal and health data by this site.
    DataProcessing,
    /// Being consulted by video or audio rather than in person.
    Teleconsultation,
}

impl ConsentKind {
    /// Consents needed before an appointment can be booked.
    pub const REQUIRED_FOR_BOOKING: [ConsentKind; 2] =
        [ConsentKind::DataProcessing, ConsentKind::Teleconsultation];
}

impl fmt::Display for ConsentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConsentKind::DataProcessing => "data processing",
            ConsentKind::Teleconsultation => "teleconsultation",
        })
    }
}

/// One consent as given (and possibly later withdrawn).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub kind: ConsentKind,
    /// Version of the text shown to the patient, e.g. `2026-01`.
    pub text_version: String,
    pub given_at: Timestamp,
    pub withdrawn_at: Option<Timestamp>,
    /// Given at the counter of a booth site, with this staff account as witness (a walk-in has
    /// no account of their own to tick the boxes with, `docs/booth.md` rule 2). `None`: given by
    /// the patient themself (registration). Absent in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_by: Option<AccountId>,
}

impl Consent {
    /// Given at or before `now` and not withdrawn at or before `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.given_at <= now && self.withdrawn_at.is_none_or(|w| w > now)
    }
}

/// Booking refused because consents are missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("consent needed before booking: {}", list(.missing))]
pub struct MissingConsent {
    /// The required kinds without an active consent, in [`ConsentKind`] order.
    pub missing: Vec<ConsentKind>,
}

fn list(kinds: &[ConsentKind]) -> String {
    kinds
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Whether the patient holding `consents` may book at `now`: every kind in
/// [`ConsentKind::REQUIRED_FOR_BOOKING`] has an active consent.
pub fn may_book(consents: &[Consent], now: Timestamp) -> Result<(), MissingConsent> {
    let missing: Vec<ConsentKind> = ConsentKind::REQUIRED_FOR_BOOKING
        .into_iter()
        .filter(|kind| !consents.iter().any(|c| c.kind == *kind && c.is_active(now)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MissingConsent { missing })
    }
}

/// The consents required to book, given at `at` at the counter of a booth site, witnessed by
/// the staff account `witness`, for the kinds without an active consent in `existing` (a
/// patient who consented online already keeps their own record; nothing is given twice).
pub fn given_at_the_counter(
    existing: &[Consent],
    text_version: &str,
    witness: AccountId,
    at: Timestamp,
) -> Vec<Consent> {
    ConsentKind::REQUIRED_FOR_BOOKING
        .into_iter()
        .filter(|kind| !existing.iter().any(|c| c.kind == *kind && c.is_active(at)))
        .map(|kind| Consent {
            kind,
            text_version: text_version.to_owned(),
            given_at: at,
            withdrawn_at: None,
            collected_by: Some(witness),
        })
        .collect()
}

/// Withdraws every active consent of `kind` at `at`; returns how many were withdrawn.
pub fn withdraw(consents: &mut [Consent], kind: ConsentKind, at: Timestamp) -> usize {
    let mut count = 0;
    for consent in consents
        .iter_mut()
        .filter(|c| c.kind == kind && c.is_active(at))
    {
        consent.withdrawn_at = Some(at);
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn given(kind: ConsentKind, when: &str) -> Consent {
        Consent {
            kind,
            text_version: "2026-01".into(),
            given_at: at(when),
            withdrawn_at: None,
            collected_by: None,
        }
    }

    const NOW: &str = "2026-03-02T09:00:00Z";

    #[test]
    fn both_consents_allow_booking() {
        let consents = [
            given(ConsentKind::Teleconsultation, "2026-01-01T00:00:00Z"),
            given(ConsentKind::DataProcessing, "2026-01-01T00:00:00Z"),
        ];
        assert_eq!(may_book(&consents, at(NOW)), Ok(()));
    }

    #[test]
    fn each_missing_consent_is_reported() {
        let data = given(ConsentKind::DataProcessing, "2026-01-01T00:00:00Z");
        let tele = given(ConsentKind::Teleconsultation, "2026-01-01T00:00:00Z");
        assert_eq!(
            may_book(std::slice::from_ref(&data), at(NOW)),
            Err(MissingConsent {
                missing: vec![ConsentKind::Teleconsultation]
            })
        );
        assert_eq!(
            may_book(&[tele], at(NOW)),
            Err(MissingConsent {
                missing: vec![ConsentKind::DataProcessing]
            })
        );
        let none = may_book(&[], at(NOW)).unwrap_err();
        assert_eq!(
            none.missing,
            [ConsentKind::DataProcessing, ConsentKind::Teleconsultation]
        );
        assert_eq!(
            none.to_string(),
            "consent needed before booking: data processing and teleconsultation"
        );
    }

    #[test]
    fn withdrawn_or_future_consents_do_not_count() {
        let mut withdrawn = given(ConsentKind::Teleconsultation, "2026-01-01T00:00:00Z");
        withdrawn.withdrawn_at = Some(at("2026-02-01T00:00:00Z"));
        let data = given(ConsentKind::DataProcessing, "2026-01-01T00:00:00Z");
        let teleconsultation_missing = Err(MissingConsent {
            missing: vec![ConsentKind::Teleconsultation],
        });
        assert_eq!(
            may_book(&[data.clone(), withdrawn.clone()], at(NOW)),
            teleconsultation_missing
        );
        // Before the withdrawal it counted.
        assert!(
            may_book(
                &[data.clone(), withdrawn.clone()],
                at("2026-01-15T00:00:00Z")
            )
            .is_ok()
        );
        // Withdrawal takes effect at its instant.
        assert!(!withdrawn.is_active(at("2026-02-01T00:00:00Z")));
        // Given again later: the new record counts.
        let again = given(ConsentKind::Teleconsultation, "2026-02-10T00:00:00Z");
        assert!(may_book(&[data.clone(), withdrawn, again], at(NOW)).is_ok());
        // A consent dated after "now" does not count yet.
        let future = given(ConsentKind::Teleconsultation, "2026-03-02T09:00:01Z");
        assert_eq!(
            may_book(&[data, future.clone()], at(NOW)),
            teleconsultation_missing
        );
        assert!(future.is_active(at("2026-03-02T09:00:01Z")));
    }

    #[test]
    fn withdraw_marks_only_active_consents_of_that_kind() {
        let mut old = given(ConsentKind::DataProcessing, "2025-01-01T00:00:00Z");
        old.withdrawn_at = Some(at("2025-06-01T00:00:00Z"));
        let mut consents = vec![
            old.clone(),
            given(ConsentKind::DataProcessing, "2026-01-01T00:00:00Z"),
            given(ConsentKind::Teleconsultation, "2026-01-01T00:00:00Z"),
        ];
        assert_eq!(
            withdraw(&mut consents, ConsentKind::DataProcessing, at(NOW)),
            1
        );
        assert_eq!(consents[0], old);
        assert_eq!(consents[1].withdrawn_at, Some(at(NOW)));
        assert_eq!(consents[2].withdrawn_at, None);
        assert_eq!(
            may_book(&consents, at(NOW)).unwrap_err().missing,
            [ConsentKind::DataProcessing]
        );
    }

    #[test]
    fn consents_given_at_the_counter_fill_only_what_is_missing_and_name_the_witness() {
        let staff = AccountId::from_uuid(uuid::Uuid::from_u128(7));
        let all = given_at_the_counter(&[], "2026-11", staff, at(NOW));
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|c| c.collected_by == Some(staff)
            && c.given_at == at(NOW)
            && c.text_version == "2026-11"));
        assert_eq!(may_book(&all, at(NOW)), Ok(()));
        let online = [given(ConsentKind::DataProcessing, "2026-01-01T00:00:00Z")];
        let missing = given_at_the_counter(&online, "2026-11", staff, at(NOW));
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].kind, ConsentKind::Teleconsultation);
        let both = [online[0].clone(), missing[0].clone()];
        assert!(given_at_the_counter(&both, "2026-11", staff, at(NOW)).is_empty());
        // Written with the witness, read back; records without the field still read.
        let json = serde_json::to_value(&missing[0]).unwrap();
        assert_eq!(json["collected_by"], serde_json::json!(staff));
        let old: Consent = serde_json::from_value(serde_json::json!({
            "kind": "teleconsultation", "text_version": "2026-01",
            "given_at": "2026-01-01T00:00:00Z", "withdrawn_at": null
        }))
        .unwrap();
        assert_eq!(old.collected_by, None);
    }

    #[test]
    fn serde_shape() {
        let c = given(ConsentKind::DataProcessing, "2026-01-01T00:00:00Z");
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({
                "kind": "data_processing",
                "text_version": "2026-01",
                "given_at": "2026-01-01T00:00:00Z",
                "withdrawn_at": null
            })
        );
    }
}
