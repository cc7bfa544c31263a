//! The patient's short medical record (history, allergies, current treatments):
//! `GET`/`PUT /patients/{id}/medical-record` for the patient side (the patient, or the account
//! acting for a relative), and `GET /appointments/{id}/medical-record` for the appointment's
//! practitioner, who finds it filled in before the call. Rules in
//! `teleconsult_core::medical_record`, the use cases the application's
//! (`teleconsult_app::medical_record`); anyone else gets 404. Every read and write is audited.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::{AppState, Inner};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use teleconsult_core::ids::{AppointmentId, PatientId};
use teleconsult_core::medical_record::{MedicalRecord, MedicalRecordParts};
use utoipa::ToSchema;

/// A short medical record. Parts never filled in are empty strings.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MedicalRecordView {
    pub patient_id: String,
    /// Past illnesses, operations, chronic conditions.
    pub history: String,
    /// Known allergies and intolerances.
    pub allergies: String,
    /// Medicines and treatments taken now.
    pub treatments: String,
    /// When it was last saved (RFC 3339); `null` when never filled in.
    pub updated_at: Option<String>,
}

impl MedicalRecordView {
    fn of(patient: PatientId, record: Option<MedicalRecord>) -> Self {
        match record {
            Some(r) => Self {
                patient_id: patient.to_string(),
                history: r.history,
                allergies: r.allergies,
                treatments: r.treatments,
                updated_at: Some(r.updated_at.to_string()),
            },
            None => Self {
                patient_id: patient.to_string(),
                history: String::new(),
                allergies: String::new(),
                treatments: String::new(),
                updated_at: None,
            },
        }
    }
}

/// The record as the patient enters it; every part is optional (empty: nothing to declare).
/// At most 4000 characters each.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MedicalRecordInput {
    pub history: String,
    pub allergies: String,
    pub treatments: String,
}

/// The record of `patient` for the patient side (404 for anyone else).
pub(crate) fn read_own(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
) -> Result<MedicalRecordView, ApiError> {
    let record = inner.app.medical_record(&user.account, patient)?;
    Ok(MedicalRecordView::of(patient, record))
}

/// Saves the record of `patient` from the patient side; 422 with every bad part.
pub(crate) fn save(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
    input: MedicalRecordInput,
) -> Result<MedicalRecordView, ApiError> {
    let parts = MedicalRecordParts {
        history: input.history,
        allergies: input.allergies,
        treatments: input.treatments,
    };
    let record = inner
        .app
        .save_medical_record(&user.account, patient, parts)?;
    Ok(MedicalRecordView::of(patient, Some(record)))
}

/// The record of the patient of appointment `id`, for whoever may read it for that
/// appointment (404 for anyone else, and when the appointment does not exist).
pub(crate) fn read_for_appointment(
    inner: &Inner,
    user: &AuthUser,
    id: AppointmentId,
) -> Result<MedicalRecordView, ApiError> {
    let (patient, record) = inner.app.appointment_medical_record(&user.account, id)?;
    Ok(MedicalRecordView::of(patient, record))
}

/// The record of the patient of `appointment` (already loaded and audited by the caller).
pub(crate) fn read_for(
    inner: &Inner,
    user: &AuthUser,
    appointment: &teleconsult_core::appointment::Appointment,
) -> Result<MedicalRecordView, ApiError> {
    let record = inner.app.medical_record_for(&user.account, appointment)?;
    Ok(MedicalRecordView::of(appointment.patient, record))
}

fn patient_id(raw: &str) -> Result<PatientId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// The short medical record of a patient the caller acts for (their own or a relative's).
#[utoipa::path(get, path = "/patients/{id}/medical-record", tag = "patients",
    params(("id" = String, Path, description = "The patient: the caller's own record or a relative's")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The record (empty parts and `updated_at: null` when never filled in)", body = MedicalRecordView),
        (status = 404, description = "No such patient, or not one the caller acts for", body = crate::error::ErrorBody)))]
pub async fn get_medical_record(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<MedicalRecordView>, ApiError> {
    let patient = patient_id(&id)?;
    state
        .blocking(move |inner| read_own(inner, &user, patient).map(Json))
        .await
}

/// Saves the short medical record of a patient the caller acts for; it replaces the previous
/// one. The practitioners of the patient's appointments read it before the consultation.
#[utoipa::path(put, path = "/patients/{id}/medical-record", tag = "patients",
    params(("id" = String, Path, description = "The patient: the caller's own record or a relative's")),
    request_body = MedicalRecordInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = MedicalRecordView),
        (status = 400, description = "Malformed JSON", body = crate::error::ErrorBody),
        (status = 404, description = "No such patient, or not one the caller acts for", body = crate::error::ErrorBody),
        (status = 422, description = "A part too long or with control characters (all listed in `fields`)", body = crate::error::ErrorBody)))]
pub async fn put_medical_record(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MedicalRecordInput>,
) -> Result<Json<MedicalRecordView>, ApiError> {
    let patient = patient_id(&id)?;
    state
        .blocking(move |inner| save(inner, &user, patient, input).map(Json))
        .await
}

/// The short medical record of the appointment's patient: for the appointment's practitioner
/// (while the appointment is not cancelled) and the patient side.
#[utoipa::path(get, path = "/appointments/{id}/medical-record", tag = "appointments",
    operation_id = "appointment_medical_record",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The record (empty parts and `updated_at: null` when never filled in)", body = MedicalRecordView),
        (status = 404, description = "No such appointment, or the caller may not read its patient's record", body = crate::error::ErrorBody)))]
pub async fn appointment_medical_record(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<MedicalRecordView>, ApiError> {
    let id: AppointmentId = id.parse().map_err(|_| ApiError::not_found())?;
    state
        .blocking(move |inner| read_for_appointment(inner, &user, id).map(Json))
        .await
}
