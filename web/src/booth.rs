//! Booth sessions and the counter's patient look-up (DESIGN §4d, `docs/booth.md`): staff of a
//! booth site only (staff of a clinic: 404, other roles: 403). Handlers parse, call the
//! application (`teleconsult-app`), and present; the rules are there.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::queue::{PatientView, WaitingFields, identify, mode_of};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use teleconsult_app::booth::{SessionView, StartSession};
use teleconsult_core::booth::{BoothSessionId, BoothState};
use utoipa::{IntoParams, ToSchema};

/// Who sits in the cabin: a patient found by national id (`patient_id`), or a walk-in's
/// minimum (national id, names, birth date, optionally a phone and the language of its
/// messages). Consents of a walk-in are recorded as given at the counter, with the staff
/// member as witness.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    pub patient_id: Option<String>,
    pub national_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `YYYY-MM-DD`; must agree with the national id.
    pub birth_date: Option<String>,
    /// E.164 (or national) number for the appointment's messages; none: nobody is told.
    pub phone: Option<String>,
    /// `fr`, `de`, `en`, `pt`, `lb`: the language of those messages (default: the site's).
    pub language: Option<String>,
}

/// A booth session to start: `specialty` (and optionally `language`) for the first
/// practitioner free now, or `practitioner_id` and `start` for a chosen slot (starting within
/// `[booth] idle_limit_min`: the person waits in the cabin).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSessionRequest {
    pub patient: PatientInput,
    pub specialty: Option<String>,
    /// A language the practitioner must speak (2- or 3-letter code).
    pub language: Option<String>,
    pub practitioner_id: Option<String>,
    /// RFC 3339 start of the chosen slot.
    pub start: Option<String>,
    /// `video` (default) or `audio`.
    pub mode: Option<String>,
    /// Reason / symptoms, for the practitioner (at most 1000 characters).
    #[serde(default)]
    pub reason: String,
}

/// A booth session's appointment, as staff see it (no reason).
#[derive(Serialize, ToSchema)]
pub struct SessionAppointmentView {
    pub id: String,
    pub practitioner_name: String,
    pub start: String,
    pub end: String,
    /// `booked`, `waiting`, `in_call`, `completed`, `cancelled`, `no_show`.
    pub status: String,
}

/// A booth session.
#[derive(Serialize, ToSchema)]
pub struct BoothSessionView {
    pub id: String,
    pub patient_id: String,
    /// `queued`, `booked` or `ended`.
    pub state: String,
    /// The minimum staff see (absent if the record was erased since).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<PatientView>,
    /// On start: whether the site knew the patient (found by id or national id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_patient: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment: Option<SessionAppointmentView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_entry_id: Option<String>,
    /// While waiting: place, estimated wait, offered slot.
    #[serde(flatten)]
    pub waiting: Option<WaitingFields>,
    pub started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// `staff`, `call_ended` or `idle`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
}

pub(crate) fn session_view(v: SessionView, known_patient: Option<bool>) -> BoothSessionView {
    let s = &v.session;
    let (state, ended_at, end_reason) = match &s.state {
        BoothState::Queued { .. } => ("queued", None, None),
        BoothState::Booked { .. } => ("booked", None, None),
        BoothState::Ended { at, reason, .. } => (
            "ended",
            Some(at.to_string()),
            serde_json::to_value(reason)
                .ok()
                .and_then(|r| r.as_str().map(str::to_owned)),
        ),
    };
    BoothSessionView {
        id: s.id.to_string(),
        patient_id: s.patient.to_string(),
        state: state.to_owned(),
        patient: v.patient.as_ref().map(PatientView::from),
        known_patient,
        appointment_id: s.appointment().map(|a| a.to_string()),
        appointment: v.appointment.map(|a| SessionAppointmentView {
            id: a.id.to_string(),
            practitioner_name: a.practitioner_name,
            start: a.start.to_string(),
            end: a.end.to_string(),
            status: a.status.to_owned(),
        }),
        queue_entry_id: s.entry().map(|e| e.to_string()),
        waiting: v.waiting.as_ref().map(WaitingFields::from),
        started_at: s.started_at.to_string(),
        ended_at,
        end_reason,
    }
}

fn session_id(raw: &str) -> Result<BoothSessionId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

fn field(name: &str, message: &str) -> ApiError {
    ApiError::invalid_fields(BTreeMap::from([(name.to_owned(), message.to_owned())]))
}

/// Starts a booth session for the person at the counter (staff of a booth site). The
/// appointment it leads to is held *at the booth*.
#[utoipa::path(post, path = "/booth/sessions", tag = "booth", request_body = StartSessionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Started: waiting in the queue (`queue_position`, `estimated_wait_s`) or booked (`appointment_id`)", body = BoothSessionView),
        (status = 403, description = "Only staff run the booth", body = crate::error::ErrorBody),
        (status = 404, description = "Not a booth site, or no such patient", body = crate::error::ErrorBody),
        (status = 409, description = "`cabin_busy` (another session is open), `already_waiting`, `slot_taken`", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields (all listed), consents missing, slot not offered or too late for the cabin", body = crate::error::ErrorBody)))]
pub async fn start_session(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<StartSessionRequest>,
) -> Result<(StatusCode, Json<BoothSessionView>), ApiError> {
    state.app.require_booth_staff(&user.account)?;
    let practitioner = match request.practitioner_id.as_deref() {
        Some(raw) => Some(
            raw.parse()
                .map_err(|_| field("practitioner_id", "no such practitioner"))?,
        ),
        None => None,
    };
    let start = match request.start.as_deref() {
        Some(raw) => Some(
            raw.parse()
                .map_err(|_| field("start", "expected an RFC 3339 time"))?,
        ),
        None => None,
    };
    let start_session = StartSession {
        patient: identify(request.patient)?,
        specialty: request.specialty,
        language: request.language,
        practitioner,
        start,
        mode: mode_of(request.mode.as_deref())?,
        reason: request.reason,
    };
    let started = state
        .blocking(move |inner| Ok(inner.app.start_session(&user.account, start_session)?))
        .await?;
    state.wake_workers();
    let view = session_view(started.view, Some(started.known_patient));
    Ok((StatusCode::CREATED, Json(view)))
}

/// One booth session (staff of a booth site); audited.
#[utoipa::path(get, path = "/booth/sessions/{id}", tag = "booth", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The session", body = BoothSessionView),
        (status = 403, description = "Only staff run the booth", body = crate::error::ErrorBody),
        (status = 404, description = "No such session, or not a booth site", body = crate::error::ErrorBody)))]
pub async fn get_session(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BoothSessionView>, ApiError> {
    let id = session_id(&id);
    let view = state
        .blocking(move |inner| {
            inner.app.require_booth_staff(&user.account)?;
            Ok(inner.app.session(&user.account, id?)?)
        })
        .await?;
    Ok(Json(session_view(view, None)))
}

/// Ends a booth session (staff of a booth site): it leaves the queue, an appointment not yet
/// held is cancelled (reason: the patient left the booth), a running call ends, and the cabin
/// is reset. Ending it again answers the session as it ended.
#[utoipa::path(post, path = "/booth/sessions/{id}/end", tag = "booth", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Ended", body = BoothSessionView),
        (status = 403, description = "Only staff run the booth", body = crate::error::ErrorBody),
        (status = 404, description = "No such session, or not a booth site", body = crate::error::ErrorBody)))]
pub async fn end_session(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BoothSessionView>, ApiError> {
    let id = session_id(&id);
    let ended = state
        .blocking(move |inner| {
            inner.app.require_booth_staff(&user.account)?;
            Ok(inner.app.end_session(&user.account, id?)?)
        })
        .await?;
    if let Some(appointment) = ended.closed {
        // Its call room closes: open sockets are told and closed.
        state
            .live
            .announce(crate::live::Ended::Appointment(appointment));
    }
    state.wake_workers();
    Ok(Json(session_view(ended.view, None)))
}

#[derive(Deserialize, IntoParams)]
pub struct LookupQuery {
    /// The national identifier, as on the card.
    pub national_id: Option<String>,
}

/// Looks a patient up by national id at the counter (staff of a booth site): the minimum —
/// id, names, birth date — or an empty list. Audited, found or not.
#[utoipa::path(get, path = "/booth/patients", tag = "booth", params(LookupQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The patient with this national id (at most one)", body = [PatientView]),
        (status = 403, description = "Only staff run the booth", body = crate::error::ErrorBody),
        (status = 404, description = "Not a booth site", body = crate::error::ErrorBody),
        (status = 422, description = "Missing or invalid national id", body = crate::error::ErrorBody)))]
pub async fn find_patient(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<LookupQuery>,
) -> Result<Json<Vec<PatientView>>, ApiError> {
    let national_id = query.national_id.unwrap_or_default();
    let found = state
        .blocking(move |inner| {
            inner.app.require_booth_staff(&user.account)?;
            Ok(inner.app.find_patient(&user.account, &national_id)?)
        })
        .await?;
    Ok(Json(found.iter().map(PatientView::from).collect()))
}
