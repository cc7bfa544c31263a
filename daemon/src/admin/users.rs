//! `teleconsultctl user add|list|disable`: accounts of staff, practitioners, pharmacists and
//! administrators (patients register themselves). Audited with the administrator as actor.

use super::ops::Context;
use super::protocol::AdminError;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use teleconsult_core::account::{Account, AccountStatus, Role};
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::{AccountId, PractitionerId};
use teleconsult_core::ports::Repository;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::site::Language;
use teleconsult_core::validation::{
    check_password, normalise_phone, validate_email, validate_person_name,
};

/// A new account, as given on the command line (the password read from standard input).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub role: String,
    pub login: String,
    pub phone: String,
    pub email: String,
    pub name: Option<String>,
    pub specialty: Option<String>,
    pub password: String,
}

impl std::fmt::Debug for NewUser {
    // Requests may be logged: the password never is.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("role", &self.role)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// One account as listed (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub login: String,
    pub role: String,
    pub name: String,
    pub status: String,
    pub email: String,
    pub phone: String,
}

impl From<&Account> for UserSummary {
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
        }
    }
}

fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::new("invalid_input", message.into())
}

fn event(
    ctx: &Context,
    actor: &str,
    action: Action,
    object_type: &str,
    object_id: String,
) -> AuditEvent {
    AuditEvent {
        at: ctx.clock.now(),
        actor: Actor::Admin(actor.to_owned()),
        action,
        object_type: object_type.into(),
        object_id,
    }
}

pub fn add(ctx: &Context, user: &NewUser, actor: &str) -> Result<serde_json::Value, AdminError> {
    let role = Role::from_str(&user.role).map_err(invalid)?;
    if role == Role::Patient {
        return Err(invalid(
            "patients register themselves on the web page (their national id is checked there)",
        ));
    }
    let login = user.login.trim().to_lowercase();
    if login.is_empty()
        || login.len() > 100
        || login.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            "--login must be 1 to 100 characters without spaces",
        ));
    }
    let email = validate_email(&user.email).map_err(|e| invalid(format!("--email: {e}")))?;
    let phone = normalise_phone(&user.phone).map_err(|e| invalid(format!("--phone: {e}")))?;
    let name = validate_person_name(user.name.as_deref().unwrap_or(&login))
        .map_err(|e| invalid(format!("--name: {e}")))?;
    check_password(&user.password, &login).map_err(|e| invalid(format!("password: {e}")))?;
    if ctx.store.account_by_login(&login)?.is_some() {
        return Err(AdminError::new(
            "already_exists",
            format!("an account with login {login:?} already exists"),
        ));
    }
    let practitioner = match role {
        Role::Practitioner => {
            let specialty = user
                .specialty
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    invalid("--specialty is required for a practitioner (e.g. general_practice)")
                })?;
            let record = Practitioner {
                id: PractitionerId::from_uuid(uuid::Uuid::new_v4()),
                name: name.clone(),
                specialty: specialty.to_owned(),
                languages: vec![Language::Fr.code().to_owned()],
            };
            let audit = event(
                ctx,
                actor,
                Action::Create,
                "practitioner",
                record.id.to_string(),
            );
            ctx.store
                .upsert_practitioner(&record, &audit)
                .map_err(|e| AdminError::new("store_error", e.to_string()))?;
            Some(record.id)
        }
        _ => None,
    };
    let password_hash = teleconsult_web::auth::hash_password(&user.password)
        .map_err(|e| AdminError::new("internal", e.message))?;
    let account = Account {
        id: AccountId::from_uuid(uuid::Uuid::new_v4()),
        login,
        role,
        name,
        email,
        phone,
        language: Language::Fr,
        password_hash,
        status: AccountStatus::Active,
        patient: None,
        practitioner,
        failed_attempts: 0,
        locked_until: None,
        created_at: ctx.clock.now(),
        sessions_not_before: None,
        relatives: Vec::new(),
    };
    let audit = event(
        ctx,
        actor,
        Action::Create,
        "account",
        account.id.to_string(),
    );
    ctx.store.create_account(&account, &audit)?;
    serde_json::to_value(UserSummary::from(&account))
        .map_err(|e| AdminError::new("internal", e.to_string()))
}

pub fn list(ctx: &Context) -> Result<serde_json::Value, AdminError> {
    let users: Vec<UserSummary> = ctx
        .store
        .accounts()?
        .iter()
        .map(UserSummary::from)
        .collect();
    serde_json::to_value(users).map_err(|e| AdminError::new("internal", e.to_string()))
}

pub fn disable(ctx: &Context, login: &str, actor: &str) -> Result<serde_json::Value, AdminError> {
    let mut account = ctx
        .store
        .account_by_login(login)?
        .ok_or_else(|| AdminError::new("not_found", format!("no account with login {login:?}")))?;
    account.status = AccountStatus::Disabled;
    // Open sessions end now too.
    account.sessions_not_before = Some(ctx.clock.now());
    let audit = event(
        ctx,
        actor,
        Action::Update,
        "account",
        account.id.to_string(),
    );
    ctx.store.update_account(&account, Some(&audit))?;
    serde_json::to_value(UserSummary::from(&account))
        .map_err(|e| AdminError::new("internal", e.to_string()))
}
