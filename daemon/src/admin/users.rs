//! `teleconsultctl user add|list|disable|reset-totp`: accounts of staff, practitioners,
//! pharmacists and administrators (patients register themselves). The use cases are the
//! application's (`teleconsult_app::users`, shared with the admin API and page), run with the
//! operator as administrator and audit actor; this maps their answers to the CLI's.

use super::ops::Context;
use super::protocol::AdminError;
use teleconsult_app::AppError;
pub use teleconsult_app::users::{AccountSummary as UserSummary, NewAccount as NewUser};
use teleconsult_app::users::{Administrator, Which};
use teleconsult_core::ports::RepositoryError;

/// The application's refusal as the CLI says it: each bad field named by its option, an
/// account not found named by its login.
fn admin_error(e: AppError, login: Option<&str>) -> AdminError {
    match e {
        AppError::Invalid(fields) => AdminError::new(
            "invalid_input",
            fields
                .iter()
                .map(|(field, message)| match field.as_str() {
                    "password" => format!("password: {message}"),
                    other => format!("--{other}: {message}"),
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        AppError::NotFound => match login {
            Some(login) => AdminError::new("not_found", format!("no account with login {login:?}")),
            None => AdminError::new("not_found", "no such account"),
        },
        AppError::Conflict { code, message } => AdminError::new(code, message),
        AppError::Forbidden(message) => AdminError::new("forbidden", message),
        AppError::Repository(e) => repository_error(e),
        other => AdminError::new("internal", other.to_string()),
    }
}

/// A storage failure under the codes of the other admin commands.
fn repository_error(e: RepositoryError) -> AdminError {
    let code = match &e {
        RepositoryError::StorageFull(_) => "storage_full",
        RepositoryError::InsufficientStorage(_) => "insufficient_storage",
        RepositoryError::RolledBack(_) => "store_rolled_back",
        RepositoryError::Corrupt(_) => "store_corrupt",
        _ => "store_error",
    };
    AdminError::new(code, e.to_string())
}

fn summary(account: &teleconsult_core::account::Account) -> Result<serde_json::Value, AdminError> {
    serde_json::to_value(UserSummary::from(account))
        .map_err(|e| AdminError::new("internal", e.to_string()))
}

pub fn add(ctx: &Context, user: &NewUser, actor: &str) -> Result<serde_json::Value, AdminError> {
    let account = ctx
        .app
        .create_account(Administrator::Operator(actor), user)
        .map_err(|e| admin_error(e, None))?;
    summary(&account)
}

pub fn list(ctx: &Context, actor: &str) -> Result<serde_json::Value, AdminError> {
    let users = ctx
        .app
        .accounts(Administrator::Operator(actor))
        .map_err(|e| admin_error(e, None))?;
    serde_json::to_value(users).map_err(|e| AdminError::new("internal", e.to_string()))
}

pub fn disable(ctx: &Context, login: &str, actor: &str) -> Result<serde_json::Value, AdminError> {
    let account = ctx
        .app
        .disable_account(Administrator::Operator(actor), Which::Login(login))
        .map_err(|e| admin_error(e, Some(login)))?;
    if let Some(service) = &ctx.service {
        // Its open signalling sockets close now.
        service
            .web
            .live
            .announce(teleconsult_web::live::Ended::Account(account.id));
    }
    summary(&account)
}

/// Removes the authenticator app of `login` (a lost phone): its next login gets an SMS code,
/// and the owner is told by e-mail. Audited with the administrator as actor.
pub fn reset_totp(
    ctx: &Context,
    login: &str,
    actor: &str,
) -> Result<serde_json::Value, AdminError> {
    let reset = ctx
        .app
        .reset_authenticator(Administrator::Operator(actor), Which::Login(login))
        .map_err(|e| admin_error(e, Some(login)))?;
    let Some(account) = reset else {
        return Err(AdminError::new(
            "not_enrolled",
            format!("the account {login:?} has no authenticator app"),
        ));
    };
    if let Some(service) = &ctx.service {
        // The owner's e-mail leaves now.
        service.web.wake_notifier();
    }
    summary(&account)
}
