//! The pharmacist's side of a prescription: look it up by the token of its QR code or by the
//! patient's national id, then record which items were handed out. Only pharmacists get an
//! answer; for everyone else these endpoints, and every prescription, do not exist (404).

use super::{actor, document_id, read_patient};
use crate::auth::{AuthUser, event};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::{AppState, Inner};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use teleconsult_core::account::Role;
use teleconsult_core::audit::Action;
use teleconsult_core::document::{DocumentContent, DocumentStatus, IssuedDocument};
use teleconsult_core::national_id::validate_national_id;
use teleconsult_store::DocumentChange;
use utoipa::ToSchema;

/// Exactly one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// The text of the prescription's QR code.
    pub token: Option<String>,
    /// The patient's national id (*matricule*): their current prescriptions with items left.
    pub national_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PrescriptionItemView {
    /// Position on the prescription (what `dispense` takes).
    pub index: usize,
    pub medication: String,
    pub dose: String,
    pub form: String,
    pub posology: String,
    pub duration: String,
    pub substitution_allowed: bool,
    /// When it was handed out; null while still to dispense.
    pub dispensed_at: Option<String>,
}

/// A prescription as a pharmacist sees it.
#[derive(Serialize, ToSchema)]
pub struct PrescriptionView {
    pub id: String,
    pub number: String,
    pub issued_at: String,
    /// `issued`, or `superseded` (do not dispense: a corrected version exists).
    pub status: String,
    pub superseded_by: Option<String>,
    pub patient_name: String,
    pub patient_birth_date: String,
    pub practitioner_name: String,
    pub items: Vec<PrescriptionItemView>,
    pub fully_dispensed: bool,
}

fn pharmacist_only(user: &AuthUser) -> Result<(), ApiError> {
    if user.account.role == Role::Pharmacist {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

fn prescription_view(
    inner: &Inner,
    user: &AuthUser,
    doc: &IssuedDocument,
) -> Result<PrescriptionView, ApiError> {
    let DocumentContent::Prescription(p) = &doc.content else {
        return Err(ApiError::not_found());
    };
    let patient = read_patient(inner, user, doc.document.patient)?;
    let practitioner_name = inner
        .store
        .practitioner(doc.document.practitioner)?
        .map(|p| p.name)
        .unwrap_or_default();
    let items = p
        .items
        .iter()
        .enumerate()
        .map(|(index, i)| PrescriptionItemView {
            index,
            medication: i.medication.clone(),
            dose: i.dose.clone(),
            form: i.form.clone(),
            posology: i.posology.clone(),
            duration: i.duration.clone(),
            substitution_allowed: i.substitution_allowed,
            dispensed_at: doc
                .dispensed
                .get(index)
                .and_then(|d| d.as_ref().map(|d| d.at.to_string())),
        })
        .collect();
    Ok(PrescriptionView {
        id: doc.id().to_string(),
        number: doc.document.number.to_string(),
        issued_at: doc.document.issued_at.to_string(),
        status: match doc.document.status {
            DocumentStatus::Issued => "issued",
            DocumentStatus::Superseded { .. } => "superseded",
        }
        .to_owned(),
        superseded_by: match &doc.document.status {
            DocumentStatus::Superseded { by, .. } => Some(by.to_string()),
            DocumentStatus::Issued => None,
        },
        patient_name: format!("{} {}", patient.first_name, patient.last_name),
        patient_birth_date: patient.birth_date.to_string(),
        practitioner_name,
        items,
        fully_dispensed: doc.fully_dispensed(),
    })
}

/// Finds prescriptions: by QR token (exactly that prescription, whatever its state, so a
/// superseded or dispensed one is shown as such) or by national id (the patient's current
/// prescriptions with items left to dispense). Pharmacists only.
#[utoipa::path(post, path = "/prescriptions/lookup", tag = "documents", request_body = LookupRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Matching prescriptions (one for a token)", body = [PrescriptionView]),
        (status = 404, description = "Unknown token; or the caller is not a pharmacist", body = crate::error::ErrorBody),
        (status = 422, description = "Neither or both of token and national_id, or an invalid national id", body = crate::error::ErrorBody)))]
pub async fn lookup(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<LookupRequest>,
) -> Result<Json<Vec<PrescriptionView>>, ApiError> {
    pharmacist_only(&user)?;
    state
        .blocking(move |inner| {
            let now = inner.clock.now();
            match (request.token, request.national_id) {
                (Some(token), None) => {
                    let audit = event(
                        now,
                        actor(&user),
                        Action::Read,
                        "prescription_lookup",
                        "token".into(),
                    );
                    let doc = inner
                        .store
                        .document_by_retrieval_token(token.trim(), &audit)?
                        .ok_or_else(ApiError::not_found)?;
                    Ok(Json(vec![prescription_view(inner, &user, &doc)?]))
                }
                (None, Some(national_id)) => {
                    let country = inner.settings.country;
                    let id = validate_national_id(country, &national_id).map_err(|e| {
                        ApiError::invalid_fields(BTreeMap::from([(
                            "national_id".to_owned(),
                            e.to_string(),
                        )]))
                    })?;
                    let Some(patient) =
                        inner.store.patient_id_by_national_id(country, &id.value)?
                    else {
                        return Ok(Json(Vec::new()));
                    };
                    let audit = event(
                        now,
                        actor(&user),
                        Action::Read,
                        "prescription_lookup",
                        patient.to_string(),
                    );
                    let docs = inner.store.documents(
                        |d| d.document.patient == patient && d.open_for_pharmacy(),
                        &audit,
                    )?;
                    docs.iter()
                        .map(|d| prescription_view(inner, &user, d))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Json)
                }
                _ => Err(ApiError::invalid_fields(BTreeMap::from([(
                    "token".to_owned(),
                    "give either the QR code's token or the patient's national_id".to_owned(),
                )]))),
            }
        })
        .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispenseRequest {
    /// Indexes of the items handed out now (partial dispensing: the others stay open).
    pub items: Vec<usize>,
}

/// Records items as handed out. An item is never dispensed twice: 409 `already_dispensed`.
#[utoipa::path(post, path = "/prescriptions/{id}/dispense", tag = "documents",
    params(("id" = String, Path)), request_body = DispenseRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Dispensed", body = PrescriptionView),
        (status = 404, description = "No such prescription; or the caller is not a pharmacist", body = crate::error::ErrorBody),
        (status = 409, description = "`already_dispensed`, or `superseded` (dispense the corrected version)", body = crate::error::ErrorBody),
        (status = 422, description = "No items, unknown or repeated item", body = crate::error::ErrorBody)))]
pub async fn dispense(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DispenseRequest>,
) -> Result<Json<PrescriptionView>, ApiError> {
    pharmacist_only(&user)?;
    let id = document_id(&id)?;
    let view = state
        .blocking(move |inner| {
            // Decided on the prescription as stored at the moment of writing: two pharmacists
            // at once cannot both hand out the same item, and neither loses the other's.
            let now = inner.clock.now();
            let read = event(now, actor(&user), Action::Read, "document", id.to_string());
            let audit = event(
                now,
                actor(&user),
                Action::Update,
                "document",
                id.to_string(),
            );
            let dispensed = inner
                .store
                .change_document(
                    id,
                    |doc| {
                        if !matches!(doc.content, DocumentContent::Prescription(_)) {
                            return Err(ApiError::not_found());
                        }
                        Ok(DocumentChange {
                            next: doc.dispense(&request.items, user.account.id, now)?,
                            notifications: Vec::new(),
                            outbox: Vec::new(),
                        })
                    },
                    Some(&read),
                    &audit,
                )?
                .ok_or_else(ApiError::not_found)??;
            prescription_view(inner, &user, &dispensed)
        })
        .await?;
    Ok(Json(view))
}
