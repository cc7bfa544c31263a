//! Liveness, readiness and metrics endpoints.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` while the process serves; `starting` or `unavailable` from `/readyz` when not ready.
    pub status: &'static str,
    /// Why `/readyz` is not ready when the store is the reason (it refuses writes: the storage
    /// filesystem is full, a write failed, or the store is behind its audit anchor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl HealthStatus {
    fn plain(status: &'static str) -> Self {
        Self {
            status,
            reason: None,
        }
    }
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process serves", body = HealthStatus)))]
pub async fn healthz() -> Json<HealthStatus> {
    Json(HealthStatus::plain("ok"))
}

/// Readiness: 200 once the store is open and the listeners are bound, while the store answers
/// and accepts writes.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = HealthStatus),
        (status = 503, description = "Starting, stopping, the store does not answer, or it refuses writes (`reason` says why)", body = HealthStatus)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(HealthStatus::plain("starting")),
        )
            .into_response();
    }
    // The store logs its change of condition once; probes only report it.
    if let Some(reason) = state.store.condition().refusal() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(HealthStatus {
                status: "unavailable",
                reason: Some(reason),
            }),
        )
            .into_response();
    }
    let healthy = state
        .blocking(|inner| {
            inner
                .store
                .health_check()
                .map_err(|e| ApiError::unavailable(e.to_string()))
        })
        .await;
    match healthy {
        Ok(()) => Json(HealthStatus::plain("ok")).into_response(),
        Err(err) => {
            tracing::warn!(error = %err.message, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(HealthStatus {
                    status: "unavailable",
                    reason: Some(err.message),
                }),
            )
                .into_response()
        }
    }
}

/// Prometheus metrics (OpenMetrics text). Answered to loopback clients only: metrics describe the
/// site's activity and are for the local collector.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text"),
        (status = 403, description = "Not a loopback client", body = crate::error::ErrorBody)))]
pub async fn metrics(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback() || is_mapped_loopback(addr));
    if !loopback {
        return Err(ApiError::forbidden(
            "metrics are served to loopback clients only",
        ));
    }
    let (pending, audit, size, notifications, space) = state
        .blocking(|inner| {
            let pending = inner.store.outbox_len().map_err(ApiError::internal)?;
            let audit = inner.store.audit_len().map_err(ApiError::internal)?;
            let size = inner.store.size_on_disk().map_err(ApiError::internal)?;
            let notifications = inner
                .store
                .notifications_pending()
                .map_err(ApiError::internal)?;
            // A failed measurement leaves the storage gauges as they were.
            let space = inner.store.disk_space().ok();
            Ok((pending, audit, size, notifications, space))
        })
        .await?;
    let m = &state.metrics;
    m.storage
        .update(&state.store.condition(), space, state.store.reserve());
    m.outbox_pending
        .set(i64::try_from(pending).unwrap_or(i64::MAX));
    m.audit_records
        .set(i64::try_from(audit).unwrap_or(i64::MAX));
    m.store_size_bytes
        .set(i64::try_from(size).unwrap_or(i64::MAX));
    m.notifications_pending
        .set(i64::try_from(notifications).unwrap_or(i64::MAX));
    m.ready.set(i64::from(
        state.is_ready() && state.store.condition().refusal().is_none(),
    ));
    let body = m.encode().map_err(ApiError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

fn is_mapped_loopback(addr: &SocketAddr) -> bool {
    match addr.ip() {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        std::net::IpAddr::V4(_) => false,
    }
}
