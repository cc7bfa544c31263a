//! A practitioner's agenda: their weekly hours and exceptions, and how they are listed in the
//! directory (name, specialty, languages spoken). The practitioner themself, staff or an
//! administrator change them (`PUT /practitioners/{id}/schedule`, `PUT /practitioners/{id}`,
//! the schedule pages); each change is audited, the listing changed on the record as stored.

use crate::error::AppError;
use crate::{App, actor_of, event, require};
use std::collections::BTreeMap;
use teleconsult_core::account::{Account, Role};
use teleconsult_core::audit::Action;
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::practitioner::{Practitioner, validate_languages, validate_specialty};
use teleconsult_core::schedule::Schedule;
use teleconsult_core::validation::validate_person_name;

/// A change of a practitioner's listing.
#[derive(Clone, Debug)]
pub struct ListingChange {
    /// Name as shown to patients (unchanged when `None`).
    pub name: Option<String>,
    /// A specialty code, e.g. `general_practice`.
    pub specialty: String,
    /// Language codes spoken (1 to 10).
    pub languages: Vec<String>,
}

/// 403 unless `actor` is practitioner `id` themself, staff or an administrator.
pub fn may_manage(actor: &Account, id: PractitionerId) -> Result<(), AppError> {
    if actor.role == Role::Practitioner && actor.practitioner == Some(id) {
        Ok(())
    } else {
        require(actor, &[Role::Staff, Role::Admin])
    }
}

impl App {
    /// Replaces practitioner `id`'s schedule (checked when it was parsed). Returns it as
    /// saved; [`AppError::NotFound`] when there is no such practitioner.
    pub fn set_schedule(
        &self,
        actor: &Account,
        id: PractitionerId,
        schedule: Schedule,
    ) -> Result<Schedule, AppError> {
        may_manage(actor, id)?;
        if self.store.find_practitioner(id)?.is_none() {
            return Err(AppError::NotFound);
        }
        let audit = event(self.now(), &actor_of(actor), Action::Update, "schedule", id);
        self.store.replace_schedule(id, &schedule, &audit)?;
        Ok(schedule)
    }

    /// Changes how practitioner `id` is listed, every bad field reported at once; applied to
    /// the listing as stored (a name changed meanwhile is kept when `change` leaves it out).
    /// Returns the listing as saved and the practitioner's schedule.
    pub fn change_listing(
        &self,
        actor: &Account,
        id: PractitionerId,
        change: ListingChange,
    ) -> Result<(Practitioner, Option<Schedule>), AppError> {
        may_manage(actor, id)?;
        let mut errors = BTreeMap::new();
        let specialty = validate_specialty(&change.specialty)
            .map_err(|e| errors.insert("specialty".to_owned(), e.to_string()))
            .ok();
        let languages = validate_languages(&change.languages)
            .map_err(|e| errors.insert("languages".to_owned(), e.to_string()))
            .ok();
        let name = match change.name.as_deref() {
            None => None,
            Some(n) => validate_person_name(n)
                .map_err(|e| errors.insert("name".to_owned(), e.to_string()))
                .ok(),
        };
        let (Some(specialty), Some(languages), true) = (specialty, languages, errors.is_empty())
        else {
            return Err(AppError::Invalid(errors));
        };
        let audit = event(
            self.now(),
            &actor_of(actor),
            Action::Update,
            "practitioner",
            id,
        );
        let edit = |record: &mut Practitioner| {
            if let Some(name) = &name {
                record.name.clone_from(name);
            }
            record.specialty.clone_from(&specialty);
            record.languages.clone_from(&languages);
        };
        let record = match self.store.change_listing(id, &edit, &audit) {
            Err(teleconsult_core::ports::RepositoryError::NotFound(_)) => {
                return Err(AppError::NotFound);
            }
            other => other?,
        };
        let schedule = self.store.find_schedule(id)?;
        Ok((record, schedule))
    }
}
