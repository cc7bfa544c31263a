//! `GET /api/v1/sync/status` (DESIGN §4): the state of the national-platform sync; booking
//! conflicts with the platform; the entries the platform refused ("parked"), which staff retry
//! or discard (discarding is audited).

use crate::auth::{AuthUser, event};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use teleconsult_core::account::Role;
use teleconsult_core::audit::{Action, Actor};
use utoipa::ToSchema;

/// The sync state as served (mirrors `teleconsult_sync::SyncStatus`).
#[derive(Serialize, ToSchema)]
pub struct SyncStatusView {
    /// `online`, `offline` or `degraded`.
    pub state: String,
    /// Outbox entries not yet delivered.
    pub pending: u64,
    /// RFC 3339, or null.
    pub last_success: Option<String>,
    /// Status code and error class only, or null.
    pub last_error: Option<String>,
    /// Entries the platform refused, set aside for staff.
    pub parked: u64,
    /// False when no platform is configured (`[platform] base_url`).
    pub enabled: bool,
}

/// The national-platform sync state (staff, practitioners, admins).
#[utoipa::path(get, path = "/sync/status", tag = "sync", security(("bearer" = [])),
    responses(
        (status = 200, description = "Sync state", body = SyncStatusView),
        (status = 403, description = "Patients do not see the site's sync state", body = crate::error::ErrorBody)))]
pub async fn sync_status(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<SyncStatusView>, ApiError> {
    user.require(&[
        Role::Staff,
        Role::Admin,
        Role::Practitioner,
        Role::Pharmacist,
    ])?;
    let status = state.sync.status();
    // Without a worker nobody counts: the outbox itself says how much waits.
    let pending = if status.enabled {
        status.pending
    } else {
        state
            .blocking(|inner| Ok(inner.store.outbox_len()?))
            .await?
    };
    let state_name = serde_json::to_value(status.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "offline".to_owned());
    Ok(Json(SyncStatusView {
        state: state_name,
        pending,
        last_success: status.last_success.map(|t| t.to_string()),
        last_error: status.last_error,
        parked: status.parked,
        enabled: status.enabled,
    }))
}

/// A slot booked both here and on the national platform while the site was offline: both
/// bookings are kept; staff resolve it with the patients.
#[derive(Serialize, ToSchema)]
pub struct ConflictView {
    /// The platform's appointment id.
    pub remote_id: String,
    pub practitioner_id: String,
    pub start: String,
    /// The local appointment holding the slot.
    pub local_appointment_id: String,
    pub detected_at: String,
}

/// Booking conflicts with the national platform, oldest first (staff, admins, practitioners —
/// a practitioner sees their own).
#[utoipa::path(get, path = "/sync/conflicts", tag = "sync", security(("bearer" = [])),
    responses(
        (status = 200, description = "Conflicts waiting for staff", body = [ConflictView]),
        (status = 403, description = "Not staff, admin or practitioner", body = crate::error::ErrorBody)))]
pub async fn sync_conflicts(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<ConflictView>>, ApiError> {
    user.require(&[Role::Staff, Role::Admin, Role::Practitioner])?;
    let own = (user.account.role == Role::Practitioner).then_some(user.account.practitioner);
    state
        .blocking(move |inner| {
            let conflicts = inner.store.conflicts()?;
            Ok(Json(
                conflicts
                    .into_iter()
                    .filter(|c| own.is_none_or(|p| p == Some(c.practitioner)))
                    .map(|c| ConflictView {
                        remote_id: c.remote_id,
                        practitioner_id: c.practitioner.to_string(),
                        start: c.start.to_string(),
                        local_appointment_id: c.local.to_string(),
                        detected_at: c.detected_at.to_string(),
                    })
                    .collect(),
            ))
        })
        .await
}

/// An outbox entry the platform refused, waiting for staff. Identifiers and the refusal only:
/// the message content stays sealed in the store.
#[derive(Serialize, ToSchema)]
pub struct ParkedView {
    /// The outbox id (use it to retry or discard).
    pub id: u64,
    /// What the message is, e.g. `appointment.booked`, `document.issued`.
    pub kind: String,
    /// The record it is about, e.g. `appointment/<id>`.
    pub aggregate: String,
    /// When the change happened (RFC 3339).
    pub enqueued_at: String,
    /// When it was set aside (RFC 3339).
    pub parked_at: String,
    /// HTTP status of the refusal (0: refused by this site's worker itself).
    pub status: u16,
    /// Issue codes and element paths from the platform's OperationOutcome.
    pub reason: String,
}

/// Entries the platform refused, oldest first (staff and admins).
#[utoipa::path(get, path = "/sync/parked", tag = "sync", security(("bearer" = [])),
    responses(
        (status = 200, description = "Parked entries", body = [ParkedView]),
        (status = 403, description = "Not staff or admin", body = crate::error::ErrorBody)))]
pub async fn parked(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<ParkedView>>, ApiError> {
    user.require(&[Role::Staff, Role::Admin])?;
    state
        .blocking(|inner| {
            Ok(Json(
                inner
                    .store
                    .parked_entries()?
                    .into_iter()
                    .map(|p| ParkedView {
                        id: p.entry.id,
                        kind: p.entry.message.kind,
                        aggregate: p.entry.message.aggregate,
                        enqueued_at: p.entry.enqueued_at.to_string(),
                        parked_at: p.parked_at.to_string(),
                        status: p.status,
                        reason: p.reason,
                    })
                    .collect(),
            ))
        })
        .await
}

fn parked_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Retries or discards parked entry `id` (the pages' and the API's shared work); 404 when it
/// is not parked (any more).
pub(crate) async fn resolve_parked(
    state: &AppState,
    user: AuthUser,
    id: &str,
    discard: bool,
) -> Result<(), ApiError> {
    user.require(&[Role::Staff, Role::Admin])?;
    let id = parked_id(id)?;
    let found = state
        .blocking(move |inner| {
            if discard {
                let audit = event(
                    inner.clock.now(),
                    Actor::Account(user.account.id.to_string()),
                    Action::Delete,
                    "parked_outbox_entry",
                    id.to_string(),
                );
                Ok(inner.store.parked_discard(id, &audit)?)
            } else {
                Ok(inner.store.parked_retry(id)?)
            }
        })
        .await?;
    if !found {
        return Err(ApiError::not_found());
    }
    // The worker re-reads its counts and, after a retry, sends the entry.
    state.sync.wake();
    Ok(())
}

/// Puts a parked entry back in the queue, in its original place, with its attempts reset
/// (after the cause was fixed, e.g. on the platform).
#[utoipa::path(post, path = "/sync/parked/{id}/retry", tag = "sync", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Queued again"),
        (status = 403, description = "Not staff or admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such parked entry", body = crate::error::ErrorBody)))]
pub async fn retry_parked(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    resolve_parked(&state, user, &id, false).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Drops a parked entry for good: the platform will never receive it. Audited.
#[utoipa::path(post, path = "/sync/parked/{id}/discard", tag = "sync", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Discarded (audited)"),
        (status = 403, description = "Not staff or admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such parked entry", body = crate::error::ErrorBody)))]
pub async fn discard_parked(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    resolve_parked(&state, user, &id, true).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
