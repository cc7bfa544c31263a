//! What the site's people see of the store's condition: a banner on their pages (storage
//! filling up from 90 % used, writes refused, damage found by the last check), and the page
//! answered for everything while the store is fenced after a rollback.

use super::context::Page;
use super::layout;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use teleconsult_core::account::Role;
use teleconsult_store::Rollback;

/// From this share of the storage filesystem in use, staff pages warn.
pub const WARN_USED_PERCENT: u8 = 90;

const MB: u64 = 1024 * 1024;

/// Whom to call about the site, in the page's language when not configured.
pub(super) fn contact(page: &Page) -> String {
    crate::storage::support_contact().unwrap_or_else(|| page.t("storage-contact-default"))
}

/// The banner on pages of the site's people (not patients), when there is something to say.
pub fn banner(page: &Page) -> Option<Markup> {
    let user = page.user.as_ref()?;
    if user.account.role == Role::Patient {
        return None;
    }
    let condition = page.state.store.condition();
    let mut lines = Vec::new();
    if condition.rollback.is_some() {
        lines.push(page.t_args("storage-banner-rolled-back", &[("name", &contact(page))]));
    } else if condition.write_fault.is_some() {
        lines.push(page.t_args("storage-banner-refusing", &[("name", &contact(page))]));
    } else if let Some(space) = condition.disk
        && space.used_percent() >= WARN_USED_PERCENT
    {
        lines.push(page.t_args(
            "storage-banner-filling",
            &[
                ("count", &space.used_percent().to_string()),
                ("mb", &(space.available_bytes / MB).to_string()),
            ],
        ));
    }
    let damaged = condition.damaged_records();
    if damaged > 0 {
        lines.push(page.t_args("storage-banner-damaged", &[("count", &damaged.to_string())]));
    }
    if lines.is_empty() {
        return None;
    }
    Some(html! {
        div.storage-alert role="alert" {
            @for line in &lines { p { (line) } }
        }
    })
}

/// The page answered for every page request while the store is fenced.
pub async fn fenced_page(state: &AppState, request: Request, rollback: &Rollback) -> Response {
    let (mut parts, _body) = request.into_parts();
    let Ok(page) = Page::from_request_parts(&mut parts, state).await;
    let staff = page
        .user
        .as_ref()
        .is_some_and(|user| user.account.role != Role::Patient);
    let body = html! {
        p { (page.t_args("storage-fenced-text", &[("name", &contact(&page))])) }
        @if staff {
            p { (rollback.to_string()) }
        }
    };
    layout::message_page(
        &page,
        StatusCode::SERVICE_UNAVAILABLE,
        &page.t("storage-fenced-title"),
        &body,
    )
}
