//! The OpenAPI 3 document, generated from the handlers' annotations (`utoipa`), served at
//! `/api/v1/openapi.json`. Every route is registered through [`api_router`], so a route cannot
//! exist without being documented.

use crate::state::AppState;
use crate::{health, patients};
use axum::Json;
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "teleconsult",
        description = "On-premise teleconsultation appliance API. Errors are always \
            `{\"error\":\"<snake_case_code>\",\"message\":\"<human text>\"}` with a fitting status.",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "patients", description = "Patient registration and data"),
        (name = "meta", description = "This document")
    ),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

/// The API routes and their OpenAPI description, together.
pub fn api_router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(patients::register_patient))
        .routes(routes!(openapi_json));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .nest("/api/v1", v1)
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    Json(
        DOCUMENT
            .get_or_init(|| api_router().split_for_parts().1)
            .clone(),
    )
}
