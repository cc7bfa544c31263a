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
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process serves", body = HealthStatus)))]
pub async fn healthz() -> Json<HealthStatus> {
    Json(HealthStatus { status: "ok" })
}

/// Readiness: 200 once the store is open and the listeners are bound, and while the store answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = HealthStatus),
        (status = 503, description = "Starting, stopping, or the store does not answer", body = HealthStatus)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(HealthStatus { status: "starting" }),
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
        Ok(()) => Json(HealthStatus { status: "ok" }).into_response(),
        Err(err) => {
            tracing::warn!(error = %err.message, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(HealthStatus {
                    status: "unavailable",
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
    let (pending, audit, size, notifications) = state
        .blocking(|inner| {
            let pending = inner.store.outbox_len().map_err(ApiError::internal)?;
            let audit = inner.store.audit_len().map_err(ApiError::internal)?;
            let size = inner.store.size_on_disk().map_err(ApiError::internal)?;
            let notifications = inner
                .store
                .notifications_pending()
                .map_err(ApiError::internal)?;
            Ok((pending, audit, size, notifications))
        })
        .await?;
    let m = &state.metrics;
    m.outbox_pending
        .set(i64::try_from(pending).unwrap_or(i64::MAX));
    m.audit_records
        .set(i64::try_from(audit).unwrap_or(i64::MAX));
    m.store_size_bytes
        .set(i64::try_from(size).unwrap_or(i64::MAX));
    m.notifications_pending
        .set(i64::try_from(notifications).unwrap_or(i64::MAX));
    m.ready.set(i64::from(state.is_ready()));
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
