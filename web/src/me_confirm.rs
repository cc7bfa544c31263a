//! Confirmation of the changes a stolen session alone must not make: a new phone number or
//! e-mail address, and erasure. Each needs the password and a code sent by SMS to the phone
//! the account has *now* (`POST /me/confirmation-code`, then the change with `password` and
//! `code`). The code is bound to the session and the purpose it was asked for, single-use,
//! valid 5 minutes, 3 wrong tries; wrong passwords and codes count toward the account's
//! lockout; at most 5 codes per account per 15 minutes. The old address (and old phone) is told of a
//! change, the address of an erasure.

use crate::auth::ratelimit::Scope;
use crate::auth::{AuthUser, check_rate};
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use teleconsult_core::account::ConfirmationPurpose;
use teleconsult_core::notification::Notification;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// `contact_change` (new phone or e-mail) or `erasure`.
    #[schema(value_type = String, example = "contact_change")]
    pub purpose: ConfirmationPurpose,
}

#[derive(Serialize, ToSchema)]
pub struct CodeSent {
    pub status: &'static str,
    /// The code's validity.
    pub expires_in_s: i64,
}

/// The password and the code, as the change's request carries them.
#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    pub password: Option<String>,
    /// The 6-digit code received by SMS on the account's current phone.
    pub code: Option<String>,
}

/// Asks for a confirmation code for `purpose` by SMS to the caller's current phone
/// (`App::send_confirmation_code`); the seconds it stays valid.
pub(crate) async fn send_code(
    state: &AppState,
    client: Option<IpAddr>,
    user: &AuthUser,
    purpose: ConfirmationPurpose,
) -> Result<i64, ApiError> {
    check_rate(state, Scope::Confirm, client)?;
    let (account, token) = (user.account.clone(), user.token.clone());
    let expires_in_s = state
        .blocking(move |inner| {
            Ok(inner
                .app
                .send_confirmation_code(&account, &token, purpose)?)
        })
        .await?;
    state.wake_notifier();
    Ok(expires_in_s)
}

#[utoipa::path(post, path = "/me/confirmation-code", tag = "me", request_body = CodeRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 202, description = "Code sent to the account's current phone", body = CodeSent),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody),
        (status = 429, description = "Five codes were sent in the last 15 minutes, or too many requests (see Retry-After)", body = crate::error::ErrorBody)))]
pub async fn confirmation_code(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    user: AuthUser,
    ApiJson(request): ApiJson<CodeRequest>,
) -> Result<(StatusCode, Json<CodeSent>), ApiError> {
    let expires_in_s = send_code(&state, client, &user, request.purpose).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CodeSent {
            status: "sent",
            expires_in_s,
        }),
    ))
}

/// Checks the password and the code for `purpose` (blocking work: argon2 and a transaction).
/// `Ok` once the code is used up; every failure is counted.
/// The notices of a new phone or e-mail to the old address (and old phone) of `before`.
pub(crate) fn change_notices(
    site: &str,
    before: &teleconsult_app::Contact,
    new_phone: Option<&str>,
    new_email: Option<&str>,
    now: teleconsult_core::Timestamp,
) -> Vec<Notification> {
    let mut what = Vec::new();
    if let Some(phone) = new_phone {
        what.push(crate::i18n::text(
            before.language,
            "notice-changed-phone",
            &[("phone", &mask(phone))],
        ));
    }
    if let Some(email) = new_email {
        what.push(crate::i18n::text(
            before.language,
            "notice-changed-email",
            &[("email", &mask(email))],
        ));
    }
    let what = what.join("\n");
    let mut out = vec![Notification::email(
        before.email.clone(),
        crate::i18n::text(
            before.language,
            "email-contact-changed-subject",
            &[("site", site)],
        ),
        crate::i18n::text(
            before.language,
            "email-contact-changed-body",
            &[("site", site), ("name", &before.name), ("what", &what)],
        ),
        now,
    )];
    if new_phone.is_some() {
        out.push(Notification::sms(
            before.phone.clone(),
            crate::i18n::text(before.language, "sms-phone-changed", &[("site", site)]),
            now,
        ));
    }
    out
}

/// To the address of an erased account: it is done.
pub(crate) fn erasure_notice(
    site: &str,
    to: &teleconsult_app::Contact,
    now: teleconsult_core::Timestamp,
) -> Notification {
    Notification::email(
        to.email.clone(),
        crate::i18n::text(to.language, "email-erased-subject", &[("site", site)]),
        crate::i18n::text(
            to.language,
            "email-erased-body",
            &[("site", site), ("name", &to.name)],
        ),
        now,
    )
}

fn mask(value: &str) -> String {
    let keep = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    match value.split_once('@') {
        Some((local, domain)) => format!("{}…@{}…", keep(local, 2), keep(domain, 2)),
        None => {
            let tail: String = value
                .chars()
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("{}…{tail}", keep(value, 4))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masked_addresses_show_little() {
        assert_eq!(mask("anne.weber@example.lu"), "an…@ex…");
        assert_eq!(mask("+352621123456"), "+352…56");
    }
}
