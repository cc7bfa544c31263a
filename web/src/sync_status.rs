//! `GET /api/v1/sync/status` (DESIGN §4): the state of the national-platform sync.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use teleconsult_core::account::Role;
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
