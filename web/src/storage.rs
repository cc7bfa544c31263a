//! The store's condition as HTTP shows it: who to call when the storage is full, and the fence
//! of a store that went back to an earlier state (nothing is served then but health, metrics and
//! static files; see the store's `anchor.rs`).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::{PoisonError, RwLock};

/// Whom staff and patients should call about the site (`[admin] contact`): one site per
/// process, set once by the daemon at start.
static SUPPORT_CONTACT: RwLock<Option<String>> = RwLock::new(None);

/// Sets whom to call about the site (`None`: "the site's administrator").
pub fn set_support_contact(contact: Option<String>) {
    let contact = contact.filter(|c| !c.trim().is_empty());
    *SUPPORT_CONTACT
        .write()
        .unwrap_or_else(PoisonError::into_inner) = contact;
}

/// Whom to call about the site, as configured; `None` when not configured.
pub fn support_contact() -> Option<String> {
    SUPPORT_CONTACT
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

fn whom_to_call() -> String {
    support_contact().unwrap_or_else(|| "the site's administrator".to_owned())
}

/// The answer while the storage filesystem is full. Reads of health data fail too — each must
/// be recorded in the audit trail first, and that cannot be written — so the message says so.
pub fn storage_full() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_full",
        format!(
            "the storage of this site is full: nothing can be saved, and health data cannot be \
             shown because every access to it must be recorded first; please call {} (space \
             must be freed on the storage disk)",
            whom_to_call()
        ),
    )
}

/// The answer while the store is fenced after a rollback.
pub fn rolled_back(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_rolled_back",
        format!(
            "this site's data is not served: {detail}; please call {}",
            whom_to_call()
        ),
    )
}

/// Paths served whatever the store's condition: probes, metrics, the API description and the
/// static files pages need.
fn served_anyway(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | "/api/v1/openapi.json"
    ) || path.starts_with("/static/")
}

/// Middleware: while the store is behind its anchor, every other request is answered 503 with
/// the reason (JSON under `/api/`, a page elsewhere).
pub async fn fence(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(rollback) = state.store.rollback() else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_owned();
    if served_anyway(&path) {
        return next.run(request).await;
    }
    if path.starts_with("/api/") {
        return rolled_back(&rollback.to_string()).into_response();
    }
    crate::pages::fenced_page(&state, request, &rollback).await
}
