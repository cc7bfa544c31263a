//! Accounts of the site's people — staff, practitioners, pharmacists, administrators (patients
//! register themselves): create, list, disable. One implementation for the admin API and page
//! and for `teleconsultctl user add|list|disable` (which calls [`create_user`] and
//! [`disable_user`] on the store directly when the daemon is stopped). Audited with the
//! administrator as actor.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, AccountStatus, Role};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::ids::{AccountId, PractitionerId};
use teleconsult_core::practitioner::{Practitioner, validate_specialty};
use teleconsult_core::site::Language;
use teleconsult_core::validation::{
    check_password, normalise_phone, validate_email, validate_person_name,
};
use teleconsult_store::Store;
use utoipa::ToSchema;

/// A new account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserSummary {
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
            totp: a.uses_totp(),
        }
    }
}

fn audit(
    now: Timestamp,
    actor: &Actor,
    action: Action,
    what: &str,
    id: String,
) -> teleconsult_core::audit::AuditEvent {
    teleconsult_core::audit::AuditEvent {
        at: now,
        actor: actor.clone(),
        action,
        object_type: what.into(),
        object_id: id,
    }
}

/// Validates `user` (every bad field reported at once, keyed by field name), then creates the
/// account — and for a practitioner their directory entry — in the store.
pub fn create_user(
    store: &Store,
    now: Timestamp,
    user: &NewUser,
    actor: &Actor,
) -> Result<Account, ApiError> {
    let mut errors = BTreeMap::new();
    let role = Role::from_str(user.role.trim())
        .map_err(|e| errors.insert("role".to_owned(), e.to_string()))
        .ok();
    if role == Some(Role::Patient) {
        errors.insert(
            "role".to_owned(),
            "patients register themselves on the web page (their national id is checked there)"
                .to_owned(),
        );
    }
    let login = user.login.trim().to_lowercase();
    if login.is_empty()
        || login.chars().count() > 100
        || login.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.insert(
            "login".to_owned(),
            "must be 1 to 100 characters without spaces".to_owned(),
        );
    }
    let email = validate_email(&user.email)
        .map_err(|e| errors.insert("email".to_owned(), e.to_string()))
        .ok();
    let phone = normalise_phone(&user.phone)
        .map_err(|e| errors.insert("phone".to_owned(), e.to_string()))
        .ok();
    let name = validate_person_name(
        user.name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(&login),
    )
    .map_err(|e| errors.insert("name".to_owned(), e.to_string()))
    .ok();
    if let Err(e) = check_password(&user.password, &login) {
        errors.insert("password".to_owned(), e.to_string());
    }
    let specialty = match user.specialty.as_deref().map(str::trim) {
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
    let (Some(role), Some(email), Some(phone), Some(name), true) =
        (role, email, phone, name, errors.is_empty())
    else {
        return Err(ApiError::invalid_fields(errors));
    };
    if store.account_by_login(&login)?.is_some() {
        return Err(login_taken(&login));
    }
    // A practitioner's directory entry is written with the account, in one transaction: a
    // login taken meanwhile (two administrators, a retried request) leaves no entry behind.
    let listing = match (role, specialty) {
        (Role::Practitioner, Some(specialty)) => {
            let record = Practitioner {
                id: PractitionerId::from_uuid(uuid::Uuid::new_v4()),
                name: name.clone(),
                specialty,
                languages: vec![Language::Fr.code().to_owned()],
            };
            let event = audit(
                now,
                actor,
                Action::Create,
                "practitioner",
                record.id.to_string(),
            );
            Some((record, event))
        }
        _ => None,
    };
    let account = Account {
        id: AccountId::from_uuid(uuid::Uuid::new_v4()),
        login,
        role,
        name,
        email,
        phone,
        language: Language::Fr,
        password_hash: crate::auth::hash_password(&user.password)?,
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
    let event = audit(
        now,
        actor,
        Action::Create,
        "account",
        account.id.to_string(),
    );
    let listing = listing.as_ref().map(|(record, event)| (record, event));
    match store.create_account_listed(&account, listing, &event) {
        Err(teleconsult_store::StoreError::AlreadyExists(_)) => Err(login_taken(&account.login)),
        written => {
            written?;
            Ok(account)
        }
    }
}

/// 409: `login` is another account's.
fn login_taken(login: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "already_exists",
        format!("an account with login {login:?} already exists"),
    )
}

/// Disables account `id` and ends its open sessions now; returns it as saved. Applied to
/// the account as stored at that moment: a login failing meanwhile cannot write it back
/// enabled.
pub fn disable_user(
    store: &Store,
    now: Timestamp,
    id: AccountId,
    actor: &Actor,
) -> Result<Account, ApiError> {
    let event = audit(now, actor, Action::Update, "account", id.to_string());
    let changed = store.change_account(
        id,
        |account| {
            account.status = AccountStatus::Disabled;
            account.sessions_not_before = Some(now);
            Ok::<_, std::convert::Infallible>(())
        },
        Some(&event),
    );
    match changed {
        Ok(Ok((account, ()))) => Ok(account),
        Ok(Err(never)) => match never {},
        Err(teleconsult_store::StoreError::NotFound(_)) => Err(ApiError::not_found()),
        Err(other) => Err(other.into()),
    }
}

fn admin_actor(user: &AuthUser) -> Actor {
    Actor::Account(user.account.id.to_string())
}

/// Every account of the site (administrators only).
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "Accounts, by login", body = [UserSummary]),
        (status = 403, description = "Not an administrator", body = crate::error::ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<UserSummary>>, ApiError> {
    user.require(&[Role::Admin])?;
    state
        .blocking(move |inner| {
            // Logins, names and contact details: no health data (no audit record, like
            // `teleconsultctl user list`).
            let mut list: Vec<UserSummary> = inner
                .store
                .accounts()?
                .iter()
                .map(UserSummary::from)
                .collect();
            list.sort_by(|a, b| a.login.cmp(&b.login));
            Ok(Json(list))
        })
        .await
}

/// Creates the account of a practitioner, staff member, pharmacist or administrator
/// (administrators only).
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserSummary),
        (status = 403, description = "Not an administrator", body = crate::error::ErrorBody),
        (status = 409, description = "`already_exists`: the login is taken", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields (each named)", body = crate::error::ErrorBody)))]
pub async fn add_user(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserSummary>), ApiError> {
    user.require(&[Role::Admin])?;
    let hashing = state.hashing_permit().await?;
    state
        .blocking(move |inner| {
            let _hashing = hashing;
            let account = create_user(&inner.store, inner.clock.now(), &new, &admin_actor(&user))?;
            Ok((StatusCode::CREATED, Json(UserSummary::from(&account))))
        })
        .await
}

/// Disables an account and ends its sessions (administrators only; not their own).
#[utoipa::path(post, path = "/users/{id}/disable", tag = "users", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Disabled", body = UserSummary),
        (status = 403, description = "Not an administrator", body = crate::error::ErrorBody),
        (status = 404, description = "No such account", body = crate::error::ErrorBody),
        (status = 409, description = "`own_account`: administrators cannot lock themselves out", body = crate::error::ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<UserSummary>, ApiError> {
    user.require(&[Role::Admin])?;
    let id: AccountId = id.parse().map_err(|_| ApiError::not_found())?;
    if id == user.account.id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "own_account",
            "you cannot disable your own account: ask another administrator",
        ));
    }
    state
        .blocking(move |inner| {
            let account = disable_user(&inner.store, inner.clock.now(), id, &admin_actor(&user))?;
            Ok(Json(UserSummary::from(&account)))
        })
        .await
        .inspect(|_| state.live.announce(crate::live::Ended::Account(id)))
}
