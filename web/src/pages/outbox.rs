//! Demo mode only: the e-mails and SMS the demo "sent" (nothing can deliver them), newest
//! first, so a newcomer can read login codes and activation links. 404 on a real install.

use super::context::Page;
use super::errors::fault;
use super::layout::{document, respond};
use crate::error::ApiError;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

/// `GET /demo/outbox`.
pub async fn page(page: Page) -> Response {
    if !page.state.settings.demo {
        return fault(&page, ApiError::not_found());
    }
    let messages = match page
        .state
        .blocking(|inner| Ok(inner.store.demo_outbox(100)?))
        .await
    {
        Ok(messages) => messages,
        Err(error) => return fault(&page, error),
    };
    // No forms on this page: scripts read the first 6-digit number on it as the login code.
    let page = page.without_forms();
    let body = html! {
        p { (page.t("outbox-intro")) }
        @if messages.is_empty() { p { (page.t("outbox-empty")) } }
        @for m in &messages {
            article.message {
                p { strong { (format!("{:?}", m.channel)) } " → " (m.to) " — " (m.created_at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()) }
                @if !m.subject.is_empty() { p { strong { (m.subject) } } }
                pre { (m.body) }
            }
        }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("outbox-title"), &body),
    )
}
