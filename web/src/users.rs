//! Accounts of the site's people — staff, practitioners, pharmacists, administrators (patients
//! register themselves): the admin API's doors (the admin page calls these handlers). The use
//! cases are the application's (`teleconsult_app::users`, shared with `teleconsultctl user`):
//! these parse, call and map.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use teleconsult_app::users::{AccountSummary, Administrator, NewAccount, Which};
use teleconsult_core::account::{Account, Role};
use teleconsult_core::ids::AccountId;
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

impl From<AccountSummary> for UserSummary {
    fn from(a: AccountSummary) -> Self {
        Self {
            id: a.id,
            login: a.login,
            role: a.role,
            name: a.name,
            status: a.status,
            email: a.email,
            phone: a.phone,
            totp: a.totp,
        }
    }
}

impl From<&Account> for UserSummary {
    fn from(a: &Account) -> Self {
        AccountSummary::from(a).into()
    }
}

impl From<NewUser> for NewAccount {
    fn from(u: NewUser) -> Self {
        Self {
            role: u.role,
            login: u.login,
            phone: u.phone,
            email: u.email,
            name: u.name,
            specialty: u.specialty,
            password: u.password,
        }
    }
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
            let list = inner.app.accounts(Administrator::Account(&user.account))?;
            Ok(Json(list.into_iter().map(UserSummary::from).collect()))
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
            let by = Administrator::Account(&user.account);
            let account = inner.app.create_account(by, &new.into())?;
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
    state
        .blocking(move |inner| {
            let by = Administrator::Account(&user.account);
            let account = inner.app.disable_account(by, Which::Id(id))?;
            Ok(Json(UserSummary::from(&account)))
        })
        .await
        .inspect(|_| state.live.announce(crate::live::Ended::Account(id)))
}
