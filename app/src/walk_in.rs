//! Identifying the person at the counter of a booth site (`docs/booth.md` rule 2): found by
//! national id (staff see the minimum: id, names, birth date), or registered as a walk-in with
//! the minimum — national id, names, birth date, optionally a phone — and the consents given
//! at the counter, witnessed by the staff member. A national id already registered leads to
//! that patient, never to a duplicate.

use crate::booking::identity;
use crate::error::AppError;
use crate::{App, actor_of, event, new_id, require};
use std::collections::BTreeMap;
use teleconsult_core::account::{Account, Role};
use teleconsult_core::audit::Action;
use teleconsult_core::consent::{given_at_the_counter, may_book};
use teleconsult_core::ids::PatientId;
use teleconsult_core::national_id::validate_national_id;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::booth::WalkIn;
use teleconsult_core::site::{Language, SiteKind};
use teleconsult_core::validation::normalise_phone;

/// What staff see of a patient: enough to greet and check the identity, nothing more (no
/// phone, e-mail or history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientSummary {
    pub id: PatientId,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: jiff::civil::Date,
}

impl From<&Patient> for PatientSummary {
    fn from(p: &Patient) -> Self {
        Self {
            id: p.id,
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            birth_date: p.birth_date,
        }
    }
}

/// How staff identify the person: a patient found by national id, or a walk-in's minimum.
#[derive(Clone, Debug)]
pub enum Identify {
    Known(PatientId),
    WalkIn(WalkInForm),
}

/// A walk-in as entered at the counter (checked field by field, under `patient.`).
#[derive(Clone, Debug, Default)]
pub struct WalkInForm {
    pub national_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `YYYY-MM-DD`; must agree with the national id.
    pub birth_date: Option<String>,
    /// For the messages of the appointment (none: nobody is told anything).
    pub phone: Option<String>,
    /// The language of those messages (default: the site's first).
    pub language: Option<String>,
}

/// The person identified, and whether the site knew them before.
#[derive(Clone, Debug)]
pub struct Identified {
    pub patient: Patient,
    /// Found by id or by national id (not registered now).
    pub known: bool,
}

impl App {
    /// 403 unless staff; 404 for staff of a site that has no booth (as if the door did not
    /// exist there). Every booth door checks it first (also before parsing its input).
    pub fn require_booth_staff(&self, actor: &Account) -> Result<(), AppError> {
        require(actor, &[Role::Staff])?;
        if self.settings.site_kind == SiteKind::Booth {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Looks a patient up by national id for the counter (booth staff only): the minimum, or
    /// `None`. The read is audited, found or not.
    pub fn find_patient(
        &self,
        actor: &Account,
        national_id: &str,
    ) -> Result<Option<PatientSummary>, AppError> {
        self.require_booth_staff(actor)?;
        let valid = validate_national_id(self.settings.country, national_id)
            .map_err(|e| AppError::field("national_id", e.to_string()))?;
        let audit = event(
            self.now(),
            &actor_of(actor),
            Action::Read,
            "patient_lookup",
            actor.id,
        );
        let found =
            self.store
                .patient_by_national_id(self.settings.country, &valid.value, &audit)?;
        Ok(found.as_ref().map(PatientSummary::from))
    }

    /// The person at the counter: a known patient (audited read; 404 when absent), or a
    /// walk-in registered (or found by national id) with the counter's consents.
    pub(crate) fn identify(&self, actor: &Account, who: Identify) -> Result<Identified, AppError> {
        let now = self.now();
        let by = actor_of(actor);
        match who {
            Identify::Known(id) => {
                let audit = event(now, &by, Action::Read, "patient", id);
                let patient = self.store.patient(id, &audit)?.ok_or(AppError::NotFound)?;
                Ok(Identified {
                    patient,
                    known: true,
                })
            }
            Identify::WalkIn(form) => {
                let mut walk_in = self.walk_in(&form, now)?;
                let version = self.settings.consent_text_version.clone();
                let witness = actor.id;
                walk_in.consents = given_at_the_counter(&[], &version, witness, now);
                let consents = move |existing: &[teleconsult_core::consent::Consent]| {
                    given_at_the_counter(existing, &version, witness, now)
                };
                let created = event(now, &by, Action::Create, "patient", walk_in.id);
                let known = |p: &Patient| event(now, &by, Action::Update, "patient", p.id);
                match self
                    .store
                    .register_walk_in(&walk_in, &consents, &created, &known)?
                {
                    WalkIn::Registered(patient) => Ok(Identified {
                        patient,
                        known: false,
                    }),
                    WalkIn::Known(patient) => Ok(Identified {
                        patient,
                        known: true,
                    }),
                }
            }
        }
    }

    /// A new walk-in record from the form: every mistake reported at once.
    fn walk_in(
        &self,
        form: &WalkInForm,
        now: teleconsult_core::Timestamp,
    ) -> Result<Patient, AppError> {
        let mut errors = BTreeMap::new();
        let identity = identity(
            self.settings.country,
            "patient.",
            form.national_id.as_deref(),
            form.first_name.as_deref(),
            form.last_name.as_deref(),
            form.birth_date.as_deref(),
            &mut errors,
        );
        let phone = match form
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => Some(String::new()),
            Some(raw) => normalise_phone(raw)
                .map_err(|e| errors.insert("patient.phone".into(), e.to_string()))
                .ok(),
        };
        let language = match form
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            None => Some(self.settings.default_language()),
            Some(code) => code
                .parse::<Language>()
                .map_err(|e| errors.insert("patient.language".into(), e.to_string()))
                .ok(),
        };
        let (Some((national_id, first_name, last_name, birth_date)), Some(phone), Some(language)) =
            (identity, phone, language)
        else {
            return Err(AppError::Invalid(errors));
        };
        Ok(Patient {
            id: PatientId::from_uuid(new_id()),
            national_id,
            country: self.settings.country,
            first_name,
            last_name,
            birth_date,
            phone,
            email: String::new(),
            language: language.code().to_owned(),
            created_at: now,
            // Given at the counter: added by the registration's transaction.
            consents: Vec::new(),
        })
    }

    /// 422 unless `patient` consented to be consulted at a distance and to the processing of
    /// their data (a known patient identified by id; walk-ins consent at the counter).
    pub(crate) fn require_consents(&self, patient: &Patient) -> Result<(), AppError> {
        may_book(&patient.consents, self.now()).map_err(|e| {
            AppError::field(
                "patient",
                format!(
                    "{e}: identify the person with their national id, names and birth date to \
                     record the consents given at the counter"
                ),
            )
        })
    }
}
