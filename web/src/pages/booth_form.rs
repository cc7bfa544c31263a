//! The staff console's counter form as data (issue #19): the person (found by national id, or
//! a walk-in's minimum), what they need (the first practitioner free of a specialty now, a
//! place in the line while the cabin is busy, or a chosen slot starting soon), turned into the
//! API's requests, and the API's 422 field paths mapped back to the form's fields.

use super::context::Page;
use super::layout::FieldErrors;
use crate::booth::{PatientInput, StartSessionRequest};
use crate::error::ApiError;
use crate::queue::{WaitBody, WalkInBody};

/// What staff asked for with the form's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum How {
    /// A booth session waiting for the first practitioner free now.
    Now,
    /// A walk-in waiting at the counter (the cabin is busy).
    Line,
    /// A booth session with the chosen slot.
    Slot,
}

/// The counter form as posted.
#[derive(Clone, Debug, Default)]
pub(super) struct CounterForm {
    /// A patient found by national id (then the identity fields are not used).
    pub(super) patient_id: String,
    /// The national id that found it (to show the patient again after a refusal).
    pub(super) find_national_id: String,
    pub(super) national_id: String,
    pub(super) first_name: String,
    pub(super) last_name: String,
    pub(super) birth_date: String,
    pub(super) phone: String,
    /// The language of the patient side's messages (`patient.language`).
    pub(super) message_language: String,
    /// Staff confirm the person agreed, at the counter, to data processing and teleconsultation.
    pub(super) counter_consents: bool,
    pub(super) specialty: String,
    /// A language the practitioner must speak (`language`).
    pub(super) practitioner_language: String,
    pub(super) mode: String,
    /// `{practitioner_id}|{start}` of a chosen slot.
    pub(super) slot: String,
    pub(super) reason: String,
    pub(super) how: Option<How>,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl CounterForm {
    pub(super) fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            let value = value.clone();
            match key.as_str() {
                "patient_id" => form.patient_id = value,
                "find_national_id" => form.find_national_id = value,
                "national_id" => form.national_id = value,
                "first_name" => form.first_name = value,
                "last_name" => form.last_name = value,
                "birth_date" => form.birth_date = value,
                "phone" => form.phone = value,
                "message_language" => form.message_language = value,
                "counter_consents" => form.counter_consents = true,
                "specialty" => form.specialty = value,
                "practitioner_language" => form.practitioner_language = value,
                "mode" => form.mode = value,
                "slot" => form.slot = value,
                "reason" => form.reason = value,
                "how" => {
                    form.how = match value.as_str() {
                        "now" => Some(How::Now),
                        "line" => Some(How::Line),
                        "slot" => Some(How::Slot),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        form
    }

    /// A patient found by national id rather than a walk-in.
    pub(super) fn known(&self) -> bool {
        !self.patient_id.trim().is_empty()
    }

    /// What the form itself checks before asking: the counter's consents of a walk-in (the
    /// application records them as given at the counter, so staff must have asked), a choice,
    /// and the chosen slot's shape.
    pub(super) fn check(&self, page: &Page) -> FieldErrors {
        let mut errors = FieldErrors::new();
        if !self.known() && !self.counter_consents {
            errors.insert("counter_consents", page.t("booth-error-consents"));
        }
        match self.how {
            None => {
                errors.insert("specialty", page.t("booth-error-specialty"));
            }
            Some(How::Slot) if self.chosen_slot().is_none() => {
                errors.insert("slot", page.t("booth-error-slot"));
            }
            Some(How::Now | How::Line) if self.specialty.trim().is_empty() => {
                errors.insert("specialty", page.t("booth-error-specialty"));
            }
            _ => {}
        }
        errors
    }

    /// The chosen slot: practitioner id and start, as the slot list wrote them.
    pub(super) fn chosen_slot(&self) -> Option<(String, String)> {
        let (practitioner, start) = self.slot.trim().split_once('|')?;
        (!practitioner.is_empty() && !start.is_empty())
            .then(|| (practitioner.to_owned(), start.to_owned()))
    }

    fn patient(&self) -> PatientInput {
        if self.known() {
            return PatientInput {
                patient_id: some(&self.patient_id),
                ..PatientInput::default()
            };
        }
        PatientInput {
            patient_id: None,
            national_id: Some(self.national_id.trim().to_owned()),
            first_name: Some(self.first_name.trim().to_owned()),
            last_name: Some(self.last_name.trim().to_owned()),
            birth_date: Some(self.birth_date.trim().to_owned()),
            phone: some(&self.phone),
            language: some(&self.message_language),
        }
    }

    /// `POST /booth/sessions`: the first practitioner free now, or the chosen slot.
    pub(super) fn session_request(&self) -> StartSessionRequest {
        let (practitioner_id, start, specialty, language) = match self.chosen_slot() {
            Some((p, s)) if self.how == Some(How::Slot) => (Some(p), Some(s), None, None),
            _ => (
                None,
                None,
                some(&self.specialty),
                some(&self.practitioner_language),
            ),
        };
        StartSessionRequest {
            patient: self.patient(),
            specialty,
            language,
            practitioner_id,
            start,
            mode: some(&self.mode),
            reason: self.reason.clone(),
        }
    }

    /// `POST /queue/walk-ins`: waiting at the counter.
    pub(super) fn walk_in_request(&self) -> WalkInBody {
        WalkInBody {
            patient: self.patient(),
            wait: WaitBody {
                specialty: self.specialty.trim().to_owned(),
                language: some(&self.practitioner_language),
                mode: some(&self.mode),
                reason: self.reason.clone(),
            },
        }
    }
}

/// The form field and message id of a field path of the API's 422.
fn field_error(api: &str) -> Option<(&'static str, &'static str)> {
    Some(match api {
        "patient.national_id" | "national_id" => ("national_id", "booth-error-national-id"),
        "patient.first_name" => ("first_name", "booth-error-first-name"),
        "patient.last_name" => ("last_name", "booth-error-last-name"),
        "patient.birth_date" => ("birth_date", "booth-error-birth-date"),
        "patient.phone" => ("phone", "booth-error-phone"),
        "patient.language" => ("message_language", "booth-error-message-language"),
        "specialty" => ("specialty", "booth-error-specialty"),
        "language" => ("practitioner_language", "booth-error-practitioner-language"),
        "mode" => ("mode", "booth-error-mode"),
        "reason" => ("reason", "booth-error-reason"),
        "start" | "practitioner_id" | "slot" => ("slot", "booth-error-slot-unavailable"),
        "consents" | "consents.data_processing" | "consents.teleconsultation" => {
            ("counter_consents", "booth-error-consents")
        }
        _ => return None,
    })
}

/// The 422's fields as messages on the form's fields (`None` when none is the form's).
pub(super) fn form_errors(page: &Page, error: &ApiError) -> Option<FieldErrors> {
    let errors: FieldErrors = error
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
    fn a_walk_in_goes_with_its_minimum_and_a_known_patient_by_id_only() {
        let form = CounterForm::from_pairs(&pairs(&[
            ("national_id", " 1990010112345 "),
            ("first_name", "Rui"),
            ("last_name", "Costa"),
            ("birth_date", "1990-01-01"),
            ("phone", ""),
            ("specialty", "general_practice"),
            ("practitioner_language", ""),
            ("how", "now"),
        ]));
        let r = form.session_request();
        assert_eq!(r.patient.national_id.as_deref(), Some("1990010112345"));
        assert_eq!(r.patient.phone, None);
        assert_eq!(r.specialty.as_deref(), Some("general_practice"));
        assert_eq!((r.language, r.practitioner_id), (None, None));
        let known = CounterForm::from_pairs(&pairs(&[
            ("patient_id", "abc"),
            ("national_id", "ignored"),
            ("how", "line"),
            ("specialty", "dermatology"),
        ]));
        let w = known.walk_in_request();
        assert_eq!(w.patient.patient_id.as_deref(), Some("abc"));
        assert_eq!(w.patient.national_id, None);
        assert_eq!(w.wait.specialty, "dermatology");
    }

    #[test]
    fn a_chosen_slot_goes_without_specialty_and_a_bad_one_is_caught() {
        let form = CounterForm::from_pairs(&pairs(&[
            ("how", "slot"),
            ("specialty", "general_practice"),
            ("slot", "p1|2026-12-07T10:00:00Z"),
        ]));
        let r = form.session_request();
        assert_eq!(r.practitioner_id.as_deref(), Some("p1"));
        assert_eq!(r.start.as_deref(), Some("2026-12-07T10:00:00Z"));
        assert_eq!(r.specialty, None);
        for bad in ["", "p1", "|x", "p1|"] {
            let f = CounterForm::from_pairs(&pairs(&[("how", "slot"), ("slot", bad)]));
            assert_eq!(f.chosen_slot(), None, "{bad}");
        }
    }

    #[test]
    fn api_field_paths_land_on_form_fields() {
        assert_eq!(
            field_error("patient.language"),
            Some(("message_language", "booth-error-message-language"))
        );
        assert_eq!(
            field_error("language"),
            Some(("practitioner_language", "booth-error-practitioner-language"))
        );
        assert_eq!(
            field_error("start"),
            Some(("slot", "booth-error-slot-unavailable"))
        );
        assert_eq!(field_error("patient"), None);
    }
}
