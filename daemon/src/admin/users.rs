//! `teleconsultctl user add|list|disable|reset-totp`: accounts of staff, practitioners, pharmacists and
//! administrators (patients register themselves). Audited with the administrator as actor.

use super::ops::Context;
use super::protocol::AdminError;
use teleconsult_core::audit::Actor;
use teleconsult_web::error::ApiError;
pub use teleconsult_web::users::{NewUser, UserSummary};
use teleconsult_web::users::{create_user, disable_user};

/// The API's error as the CLI says it: each bad field named by its option.
fn admin_error(e: ApiError) -> AdminError {
    match e.fields {
        Some(fields) => AdminError::new(
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
        None => AdminError::new(e.code, e.message),
    }
}

fn summary(account: &teleconsult_core::account::Account) -> Result<serde_json::Value, AdminError> {
    serde_json::to_value(UserSummary::from(account))
        .map_err(|e| AdminError::new("internal", e.to_string()))
}

pub fn add(ctx: &Context, user: &NewUser, actor: &str) -> Result<serde_json::Value, AdminError> {
    let account = create_user(
        &ctx.store,
        ctx.clock.now(),
        user,
        &Actor::Admin(actor.to_owned()),
    )
    .map_err(admin_error)?;
    summary(&account)
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
    let account = ctx
        .store
        .account_by_login(login)?
        .ok_or_else(|| AdminError::new("not_found", format!("no account with login {login:?}")))?;
    let account = disable_user(
        &ctx.store,
        ctx.clock.now(),
        account.id,
        &Actor::Admin(actor.to_owned()),
    )
    .map_err(admin_error)?;
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
    let account = ctx
        .store
        .account_by_login(login)?
        .ok_or_else(|| AdminError::new("not_found", format!("no account with login {login:?}")))?;
    let now = ctx.clock.now();
    let site = ctx.site.name.clone();
    let reset = teleconsult_web::totp::reset(
        &ctx.store,
        |account| teleconsult_web::totp::reset_notice(&site, account, now),
        now,
        account.id,
        &Actor::Admin(actor.to_owned()),
    )
    .map_err(admin_error)?;
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
