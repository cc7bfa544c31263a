//! The patient's short medical record (history, allergies, current treatments):
//! `GET`/`PUT /patients/{id}/medical-record` for the patient side (the patient, or the account
//! acting for a relative), and `GET /appointments/{id}/medical-record` for the appointment's
//! practitioner, who finds it filled in before the call. Rules in
//! `teleconsult_core::medical_record`; anyone else gets 404. Every read and write is audited.

use crate::auth::{AuthUser, event};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::{AppState, Inner};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::ids::{AppointmentId, PatientId};
use teleconsult_core::medical_record::{MedicalRecord, MedicalRecordParts, may_edit, may_read_for};
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

fn actor(user: &AuthUser) -> Actor {
    Actor::Account(user.account.id.to_string())
}

fn audit(
    inner: &Inner,
    user: &AuthUser,
    action: Action,
    patient: PatientId,
) -> teleconsult_core::audit::AuditEvent {
    event(
        inner.clock.now(),
        actor(user),
        action,
        "medical_record",
        patient.to_string(),
    )
}

/// The record of `patient` for the patient side (404 for anyone else).
pub(crate) fn read_own(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
) -> Result<MedicalRecordView, ApiError> {
    if !may_edit(&user.account, patient) {
        return Err(ApiError::not_found());
    }
    let record = inner
        .store
        .medical_record(patient, &audit(inner, user, Action::Read, patient))?;
    Ok(MedicalRecordView::of(patient, record))
}

/// Saves the record of `patient` from the patient side; 422 with every bad part.
pub(crate) fn save(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
    input: MedicalRecordInput,
) -> Result<MedicalRecordView, ApiError> {
    if !may_edit(&user.account, patient) {
        return Err(ApiError::not_found());
    }
    let parts = MedicalRecordParts {
        history: input.history,
        allergies: input.allergies,
        treatments: input.treatments,
    }
    .validated()
    .map_err(|errors| {
        ApiError::invalid_fields(
            errors
                .into_iter()
                .map(|(field, message)| (field.to_owned(), message))
                .collect(),
        )
    })?;
    let record = parts.into_record(patient, user.account.id, inner.clock.now());
    match inner
        .store
        .put_medical_record(&record, &audit(inner, user, Action::Update, patient))
    {
        // The relative's record was erased meanwhile: as for anything not there.
        Err(teleconsult_store::StoreError::NotFound(_)) => return Err(ApiError::not_found()),
        other => other?,
    }
    Ok(MedicalRecordView::of(patient, Some(record)))
}

/// The record of the patient of appointment `id`, for whoever [`may_read_for`] it (404 for
/// anyone else, and when the appointment does not exist).
pub(crate) fn read_for_appointment(
    inner: &Inner,
    user: &AuthUser,
    id: AppointmentId,
) -> Result<MedicalRecordView, ApiError> {
    let appointment = crate::appointments::visible(inner, user, id)?;
    read_for(inner, user, &appointment)
}

/// The record of the patient of `appointment` (already loaded and audited by the caller).
pub(crate) fn read_for(
    inner: &Inner,
    user: &AuthUser,
    appointment: &teleconsult_core::appointment::Appointment,
) -> Result<MedicalRecordView, ApiError> {
    if !may_read_for(&user.account, appointment) {
        return Err(ApiError::not_found());
    }
    let patient = appointment.patient;
    let record = inner
        .store
        .medical_record(patient, &audit(inner, user, Action::Read, patient))?;
    Ok(MedicalRecordView::of(patient, record))
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
