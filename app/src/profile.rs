//! The caller's own data (GDPR art. 15–16): read and rectify. Names and language change on
//! their own; a new phone number or e-mail address — the ways into the account — needs the
//! password and a confirmation code sent to the current phone (`confirmation.rs`), and the old
//! address (and old phone) is told. A patient's e-mail is their login: it moves with it. Each
//! change is one transaction on the account and the patient record as stored, audited.
//! Erasure (art. 17) takes the password and a confirmation code too; what it removes and keeps
//! is the accounts port's `erase_account`.

use crate::error::AppError;
use crate::login::Passwords;
use crate::{App, Contact, actor_of, event};
use std::collections::BTreeMap;
use std::str::FromStr;
use teleconsult_core::account::{Account, ConfirmationPurpose};
use teleconsult_core::audit::Action;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::site::Language;
use teleconsult_core::validation::{normalise_phone, validate_email, validate_person_name};

/// What the caller changes (each `None` stays), with the password and confirmation code a new
/// phone or e-mail needs.
#[derive(Clone, Default)]
pub struct ProfileChange {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
    pub password: Option<String>,
    pub code: Option<String>,
}

impl std::fmt::Debug for ProfileChange {
    // Requests may be logged: never the person's data, password or code.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileChange").finish_non_exhaustive()
    }
}

/// The fields of a change, checked.
struct Checked {
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    language: Option<Language>,
}

fn check(change: &ProfileChange) -> Result<Checked, AppError> {
    let mut errors = BTreeMap::new();
    let mut field = |name: &str, result: Result<String, String>| match result {
        Ok(value) => Some(value),
        Err(e) => {
            errors.insert(name.to_owned(), e);
            None
        }
    };
    let name = |v: &str| validate_person_name(v).map_err(|e| e.to_string());
    let first_name = change
        .first_name
        .as_deref()
        .and_then(|v| field("first_name", name(v)));
    let last_name = change
        .last_name
        .as_deref()
        .and_then(|v| field("last_name", name(v)));
    let phone = change
        .phone
        .as_deref()
        .and_then(|v| field("phone", normalise_phone(v).map_err(|e| e.to_string())));
    let email = change
        .email
        .as_deref()
        .and_then(|v| field("email", validate_email(v).map_err(|e| e.to_string())));
    let language = change.language.as_deref().and_then(|v| {
        let parsed = Language::from_str(v.trim()).map(|l| l.code().to_owned());
        field("language", parsed.map_err(|e| e.to_string()))
    });
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Checked {
        first_name,
        last_name,
        phone,
        email,
        language: language.and_then(|l| Language::from_str(&l).ok()),
    })
}

impl App {
    /// `actor`'s patient record, its read audited as `action` (`None`: no patient record).
    pub fn own_patient(
        &self,
        actor: &Account,
        action: Action,
    ) -> Result<Option<Patient>, AppError> {
        let Some(patient) = actor.patient else {
            return Ok(None);
        };
        let audit = event(self.now(), &actor_of(actor), action, "patient", patient);
        Ok(self.store.patient(patient, &audit)?)
    }

    /// Rectifies `actor`'s own account and patient record (see the module) in session
    /// `session_token`. Both as saved.
    pub fn rectify(
        &self,
        actor: &Account,
        session_token: &str,
        change: &ProfileChange,
        passwords: impl Passwords,
    ) -> Result<(Account, Option<Patient>), AppError> {
        let checked = check(change)?;
        // Only a real change of phone or e-mail needs the confirmation.
        let new_phone = checked.phone.filter(|p| *p != actor.phone);
        let new_email = checked
            .email
            .filter(|e| !e.eq_ignore_ascii_case(&actor.email));
        let now = self.now();
        let notices = if new_phone.is_some() || new_email.is_some() {
            self.check_confirmation(
                actor,
                session_token,
                ConfirmationPurpose::ContactChange,
                change.password.as_deref(),
                change.code.as_deref(),
                passwords,
            )?;
            self.texts.contact_changed(
                &Contact::from(actor),
                new_phone.as_deref(),
                new_email.as_deref(),
                now,
            )
        } else {
            Vec::new()
        };
        let (object, kind) = match actor.patient {
            Some(p) => (p.to_string(), "patient"),
            None => (actor.id.to_string(), "account"),
        };
        let audit = event(now, &actor_of(actor), Action::Update, kind, &object);
        // The record read for the change (the write is audited as the update).
        self.own_patient(actor, Action::Read)?;
        let language = checked.language;
        let (first_name, last_name) = (checked.first_name, checked.last_name);
        let apply = |account: &mut Account, patient: Option<&mut Patient>| {
            if let Some(p) = &new_phone {
                account.phone.clone_from(p);
            }
            if let Some(l) = language {
                account.language = l;
            }
            if let Some(e) = &new_email {
                account.email.clone_from(e);
                if account.patient.is_some() {
                    account.login.clone_from(e);
                }
            }
            if let Some(p) = patient {
                if let Some(v) = &first_name {
                    p.first_name.clone_from(v);
                }
                if let Some(v) = &last_name {
                    p.last_name.clone_from(v);
                }
                if let Some(v) = &new_phone {
                    p.phone.clone_from(v);
                }
                if let Some(v) = &new_email {
                    p.email.clone_from(v);
                }
                if let Some(l) = language {
                    p.language = l.code().to_owned();
                }
                account.name = format!("{} {}", p.first_name, p.last_name);
            }
            true
        };
        match self
            .store
            .change_profile_with(actor.id, &apply, &notices, &audit)
        {
            Ok(Some(saved)) => Ok(saved),
            Ok(None) => Err(AppError::Internal("a rectification changed nothing".into())),
            Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }

    /// Erases `actor`'s own account (and patient record, see `AccountStore::erase_account`)
    /// with the password and a confirmation code typed in session `session_token`; the
    /// address is told, in the same transaction.
    pub fn erase_own_account(
        &self,
        actor: &Account,
        session_token: &str,
        password: Option<&str>,
        code: Option<&str>,
        passwords: impl Passwords,
    ) -> Result<(), AppError> {
        self.check_confirmation(
            actor,
            session_token,
            ConfirmationPurpose::Erasure,
            password,
            code,
            passwords,
        )?;
        let now = self.now();
        let audit = event(now, &actor_of(actor), Action::Delete, "account", actor.id);
        let notice = self.texts.erased(&Contact::from(actor), now);
        match self.store.erase_account(actor.id, &[notice], &audit) {
            Ok(()) => Ok(()),
            Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }
}
