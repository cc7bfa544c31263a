//! The laboratory directory patients choose from for a lab request: listed to every logged-in
//! user, maintained by admins (`PUT /laboratories/{id}`); the demo seeds a few.

use super::actor;
use crate::auth::{AuthUser, event};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use teleconsult_core::account::Role;
use teleconsult_core::audit::Action;
use teleconsult_core::document::Laboratory;
use teleconsult_core::document::content::validate_laboratory;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct LaboratoryView {
    pub id: String,
    pub name: String,
    /// Where lab requests are announced.
    pub email: String,
}

impl From<Laboratory> for LaboratoryView {
    fn from(l: Laboratory) -> Self {
        Self {
            id: l.id,
            name: l.name,
            email: l.email,
        }
    }
}

/// The laboratories of the site's directory, by name.
#[utoipa::path(get, path = "/laboratories", tag = "documents", security(("bearer" = [])),
    responses((status = 200, description = "Laboratories", body = [LaboratoryView])))]
pub async fn list_laboratories(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Vec<LaboratoryView>>, ApiError> {
    state
        .blocking(|inner| {
            Ok(Json(
                inner
                    .store
                    .laboratories()?
                    .into_iter()
                    .map(LaboratoryView::from)
                    .collect(),
            ))
        })
        .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaboratoryRequest {
    pub name: String,
    pub email: String,
}

/// Adds or replaces a laboratory (admins). `id`: 1–32 characters among `a-z`, `0-9`, `-`.
#[utoipa::path(put, path = "/laboratories/{id}", tag = "documents", params(("id" = String, Path)),
    request_body = LaboratoryRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = LaboratoryView),
        (status = 403, description = "Admins only", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid id, name or e-mail", body = crate::error::ErrorBody)))]
pub async fn put_laboratory(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<LaboratoryRequest>,
) -> Result<Json<LaboratoryView>, ApiError> {
    user.require(&[Role::Admin])?;
    let lab = validate_laboratory(Laboratory {
        id,
        name: request.name,
        email: request.email,
    })?;
    state
        .blocking(move |inner| {
            let audit = event(
                inner.clock.now(),
                actor(&user),
                Action::Update,
                "laboratory",
                lab.id.clone(),
            );
            inner.store.upsert_laboratory(&lab, &audit)?;
            Ok(Json(LaboratoryView::from(lab)))
        })
        .await
}
