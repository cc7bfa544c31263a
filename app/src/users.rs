//! Accounts of the site's people — staff, practitioners, pharmacists, administrators (patients
//! register themselves): create, list, disable, remove an authenticator app. One implementation
//! for every door: the admin API and page (an administrator's account) and the admin socket
//! behind `teleconsultctl user …` (the operator on the box). Audited with the administrator as
//! actor; each change one transaction with its audit records and notices.

use crate::error::AppError;
use crate::{App, Contact, actor_of, event, new_id, require};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use teleconsult_core::account::{Account, AccountStatus, Role};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::ids::{AccountId, PractitionerId};
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::practitioner::{Practitioner, validate_specialty};
use teleconsult_core::site::Language;
use teleconsult_core::validation::{
    check_password, normalise_phone, validate_email, validate_person_name,
};

/// Who administers the accounts.
#[derive(Clone, Copy, Debug)]
pub enum Administrator<'a> {
    /// An account logged in through the web: it must be an administrator's, and cannot
    /// disable itself.
    Account(&'a Account),
    /// The operator at the box's admin socket (`teleconsultctl`), allowed by the socket's
    /// permissions, named for the audit trail (login and uid).
    Operator(&'a str),
}

impl Administrator<'_> {
    /// The audit trail's actor, once the administrator is allowed.
    pub(crate) fn allowed(&self) -> Result<Actor, AppError> {
        match self {
            Self::Account(account) => {
                require(account, &[Role::Admin])?;
                Ok(actor_of(account))
            }
            Self::Operator(name) => Ok(Actor::Admin((*name).to_owned())),
        }
    }
}

/// Which account: by id (the API, the page) or by login (`teleconsultctl`).
#[derive(Clone, Copy, Debug)]
pub enum Which<'a> {
    Id(AccountId),
    Login(&'a str),
}

/// A new account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// `practitioner`, `staff`, `pharmacist` or `admin`.
    pub role: String,
    /// What the person logs in with (no spaces; case-insensitive).
    pub login: String,
    /// Mobile number for the login codes, with the country code.
    pub phone: String,
    pub email: String,
    /// Full name as shown to others (default: the login).
    #[serde(default)]
    pub name: Option<String>,
    /// Practitioners only, e.g. `general_practice`, `dermatology`.
    #[serde(default)]
    pub specialty: Option<String>,
    pub password: String,
}

impl std::fmt::Debug for NewAccount {
    // Requests may be logged: the password never is.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("role", &self.role)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// One account as listed (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: String,
    pub login: String,
    /// `patient`, `practitioner`, `staff`, `pharmacist` or `admin`.
    pub role: String,
    pub name: String,
    /// `pending_activation`, `active` or `disabled`.
    pub status: String,
    pub email: String,
    pub phone: String,
    /// An authenticator app is set up: logins ask for its code, not an SMS.
    #[serde(default)]
    pub totp: bool,
}

impl From<&Account> for AccountSummary {
    fn from(a: &Account) -> Self {
        let status = serde_json::to_value(a.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Self {
            id: a.id.to_string(),
            login: a.login.clone(),
            role: a.role.code().to_owned(),
            name: a.name.clone(),
            status,
            email: a.email.clone(),
            phone: a.phone.clone(),
            totp: a.uses_totp(),
        }
    }
}

/// A valid [`NewAccount`], before its password is hashed.
struct Checked {
    role: Role,
    login: String,
    email: String,
    phone: String,
    name: String,
    specialty: Option<String>,
}

/// Every bad field of `new` at once, keyed by field name.
fn check(new: &NewAccount) -> Result<Checked, AppError> {
    let mut errors = BTreeMap::new();
    let role = Role::from_str(new.role.trim())
        .map_err(|e| errors.insert("role".to_owned(), e.to_string()))
        .ok();
    if role == Some(Role::Patient) {
        errors.insert(
            "role".to_owned(),
            "patients register themselves on the web page (their national id is checked there)"
                .to_owned(),
        );
    }
    let login = new.login.trim().to_lowercase();
    if login.is_empty()
        || login.chars().count() > 100
        || login.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.insert(
            "login".to_owned(),
            "must be 1 to 100 characters without spaces".to_owned(),
        );
    }
    let email = validate_email(&new.email)
        .map_err(|e| errors.insert("email".to_owned(), e.to_string()))
        .ok();
    let phone = normalise_phone(&new.phone)
        .map_err(|e| errors.insert("phone".to_owned(), e.to_string()))
        .ok();
    let name = validate_person_name(
        new.name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(&login),
    )
    .map_err(|e| errors.insert("name".to_owned(), e.to_string()))
    .ok();
    if let Err(e) = check_password(&new.password, &login) {
        errors.insert("password".to_owned(), e.to_string());
    }
    let specialty = match new.specialty.as_deref().map(str::trim) {
        _ if role != Some(Role::Practitioner) => None,
        None | Some("") => {
            errors.insert(
                "specialty".to_owned(),
                "is required for a practitioner (e.g. general_practice)".to_owned(),
            );
            None
        }
        Some(code) => validate_specialty(code)
            .map_err(|e| errors.insert("specialty".to_owned(), e.to_string()))
            .ok(),
    };
    match (role, email, phone, name, errors.is_empty()) {
        (Some(role), Some(email), Some(phone), Some(name), true) => Ok(Checked {
            role,
            login,
            email,
            phone,
            name,
            specialty,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// 409 `already_exists`: `login` is another account's.
fn login_taken(login: &str) -> AppError {
    AppError::conflict(
        "already_exists",
        format!("an account with login {login:?} already exists"),
    )
}

impl App {
    /// Creates the account of a practitioner, staff member, pharmacist or administrator —
    /// for a practitioner with their directory entry, in the same transaction: a login taken
    /// meanwhile (two administrators, a retried request) leaves no entry behind. Every bad
    /// field is reported at once ([`AppError::Invalid`]); a login taken is 409
    /// `already_exists`. Hashes the password: call from a blocking thread.
    pub fn create_account(
        &self,
        by: Administrator<'_>,
        new: &NewAccount,
    ) -> Result<Account, AppError> {
        let actor = by.allowed()?;
        let checked = check(new)?;
        if self.store.find_account_by_login(&checked.login)?.is_some() {
            return Err(login_taken(&checked.login));
        }
        let now = self.now();
        let listing = match (checked.role, checked.specialty) {
            (Role::Practitioner, Some(specialty)) => {
                let record = Practitioner {
                    id: PractitionerId::from_uuid(new_id()),
                    name: checked.name.clone(),
                    specialty,
                    languages: vec![Language::Fr.code().to_owned()],
                };
                let listed = event(now, &actor, Action::Create, "practitioner", record.id);
                Some((record, listed))
            }
            _ => None,
        };
        let account = Account {
            id: AccountId::from_uuid(new_id()),
            login: checked.login,
            role: checked.role,
            name: checked.name,
            email: checked.email,
            phone: checked.phone,
            language: Language::Fr,
            password_hash: crate::password::hash(&new.password)?,
            status: AccountStatus::Active,
            patient: None,
            practitioner: listing.as_ref().map(|(record, _)| record.id),
            failed_attempts: 0,
            locked_until: None,
            created_at: now,
            sessions_not_before: None,
            relatives: Vec::new(),
            totp: None,
        };
        let created = event(now, &actor, Action::Create, "account", account.id);
        let listing = listing.as_ref().map(|(record, listed)| (record, listed));
        match self
            .store
            .create_account_listed(&account, listing, &created)
        {
            Err(RepositoryError::AlreadyExists(_)) => Err(login_taken(&account.login)),
            written => {
                written?;
                Ok(account)
            }
        }
    }

    /// Every account of the site, by login. Logins, names and contact details: no health
    /// data (no audit record).
    pub fn accounts(&self, by: Administrator<'_>) -> Result<Vec<AccountSummary>, AppError> {
        by.allowed()?;
        let mut list: Vec<AccountSummary> = self
            .store
            .all_accounts()?
            .iter()
            .map(AccountSummary::from)
            .collect();
        list.sort_by(|a, b| a.login.cmp(&b.login));
        Ok(list)
    }

    /// Disables an account and ends its open sessions now; returns it as saved. Applied to the
    /// account as stored at that moment: a login failing meanwhile cannot write it back
    /// enabled. An administrator cannot disable their own account (409 `own_account`).
    /// [`AppError::NotFound`] when there is no such account.
    pub fn disable_account(
        &self,
        by: Administrator<'_>,
        which: Which<'_>,
    ) -> Result<Account, AppError> {
        let actor = by.allowed()?;
        let id = self.account_id(which)?;
        if let Administrator::Account(own) = by
            && own.id == id
        {
            return Err(AppError::conflict(
                "own_account",
                "you cannot disable your own account: ask another administrator",
            ));
        }
        let now = self.now();
        let audit = event(now, &actor, Action::Update, "account", id);
        let disable = |account: &mut Account| {
            account.status = AccountStatus::Disabled;
            account.sessions_not_before = Some(now);
            true
        };
        match self
            .store
            .change_account_with(id, &disable, &[], Some(&audit))
        {
            Ok(Some(account)) => Ok(account),
            Ok(None) | Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }

    /// Removes an account's authenticator app (a lost or replaced phone): its next login gets
    /// an SMS code, and the owner is told by e-mail, queued with the change. `Ok(None)` when
    /// the account had no app (nothing changes, nobody is told).
    pub fn reset_authenticator(
        &self,
        by: Administrator<'_>,
        which: Which<'_>,
    ) -> Result<Option<Account>, AppError> {
        let actor = by.allowed()?;
        let Some(account) = self.find(which)? else {
            return Err(AppError::NotFound);
        };
        let now = self.now();
        let audit = event(now, &actor, Action::Update, "totp", account.id);
        let told = self
            .texts
            .authenticator_reset(&Contact::from(&account), now);
        let remove = |stored: &mut Account| stored.totp.take().is_some();
        match self
            .store
            .change_account_with(account.id, &remove, &told, Some(&audit))
        {
            Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            changed => Ok(changed?),
        }
    }

    fn find(&self, which: Which<'_>) -> Result<Option<Account>, AppError> {
        Ok(match which {
            Which::Id(id) => self.store.find_account(id)?,
            Which::Login(login) => self.store.find_account_by_login(login)?,
        })
    }

    fn account_id(&self, which: Which<'_>) -> Result<AccountId, AppError> {
        match which {
            Which::Id(id) => Ok(id),
            Which::Login(_) => self.find(which)?.map(|a| a.id).ok_or(AppError::NotFound),
        }
    }
}
