//! Practitioners, their schedules and free slots (DESIGN §4 "Agenda").

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use teleconsult_app::directory::{DirectoryFilter, Listed};
use teleconsult_app::schedule::ListingChange;
use teleconsult_core::Timestamp;
use teleconsult_core::ids::PractitionerId;
use teleconsult_core::schedule::{ConsultationMode, Schedule, Slot};
use utoipa::{IntoParams, ToSchema};

/// A practitioner as listed to users.
#[derive(Serialize, ToSchema)]
pub struct PractitionerView {
    pub id: String,
    pub name: String,
    /// e.g. `general_practice`, `dermatology`, `speech_therapy`, `dietetics`.
    pub specialty: String,
    pub languages: Vec<String>,
    /// Modes offered (from the schedule; empty when no schedule is set).
    pub modes: Vec<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct PractitionerQuery {
    /// Part of the name, case-insensitive.
    pub q: Option<String>,
    pub specialty: Option<String>,
    /// A language code the practitioner speaks.
    pub language: Option<String>,
}

fn modes(schedule: Option<&Schedule>) -> Vec<String> {
    schedule.map_or_else(Vec::new, |s| {
        s.hours()
            .modes
            .iter()
            .map(|m| mode_name(*m).to_owned())
            .collect()
    })
}

pub(crate) fn mode_name(mode: ConsultationMode) -> &'static str {
    match mode {
        ConsultationMode::Video => "video",
        ConsultationMode::Audio => "audio",
    }
}

impl From<PractitionerQuery> for DirectoryFilter {
    fn from(query: PractitionerQuery) -> Self {
        Self {
            q: query.q,
            specialty: query.specialty,
            language: query.language,
        }
    }
}

impl From<Listed> for PractitionerView {
    fn from(listed: Listed) -> Self {
        let p = listed.practitioner;
        Self {
            id: p.id.to_string(),
            modes: modes(listed.schedule.as_ref()),
            name: p.name,
            specialty: p.specialty,
            languages: p.languages,
        }
    }
}

/// Searches practitioners by name, specialty and language.
#[utoipa::path(get, path = "/practitioners", tag = "agenda", params(PractitionerQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Matching practitioners, by name", body = [PractitionerView]),
        (status = 401, description = "Not logged in", body = crate::error::ErrorBody)))]
pub async fn list_practitioners(
    State(state): State<AppState>,
    _user: AuthUser,
    Query(query): Query<PractitionerQuery>,
) -> Result<Json<Vec<PractitionerView>>, ApiError> {
    let filter = DirectoryFilter::from(query);
    let listed = state
        .blocking(move |inner| Ok(inner.app.directory(&filter)?))
        .await?;
    Ok(Json(
        listed.into_iter().map(PractitionerView::from).collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct SlotQuery {
    /// RFC 3339; default now.
    pub from: Option<String>,
    /// RFC 3339; default and maximum: `from` + 31 days.
    pub to: Option<String>,
}

/// A free slot.
#[derive(Serialize, ToSchema)]
pub struct SlotView {
    /// RFC 3339 (UTC).
    pub start: String,
    pub end: String,
    pub modes: Vec<String>,
}

impl From<Slot> for SlotView {
    fn from(s: Slot) -> Self {
        Self {
            start: s.start.to_string(),
            end: s.end.to_string(),
            modes: s.modes.iter().map(|m| mode_name(*m).to_owned()).collect(),
        }
    }
}

fn parse_time(field: &str, value: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    value
        .map(|v| {
            v.parse::<Timestamp>().map_err(|_| {
                ApiError::invalid_fields(
                    [(
                        field.to_owned(),
                        "expected an RFC 3339 time, e.g. 2026-11-23T09:00:00+01:00".to_owned(),
                    )]
                    .into(),
                )
            })
        })
        .transpose()
}

pub(crate) fn practitioner_id(raw: &str) -> Result<PractitionerId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Free slots of a practitioner between `from` and `to` (never in the past, never beyond the
/// booking horizon).
#[utoipa::path(get, path = "/practitioners/{id}/slots", tag = "agenda", params(("id" = String, Path), SlotQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Free slots, in time order", body = [SlotView]),
        (status = 404, description = "No such practitioner", body = crate::error::ErrorBody),
        (status = 422, description = "Bad time or window", body = crate::error::ErrorBody)))]
pub async fn slots(
    State(state): State<AppState>,
    _user: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<SlotQuery>,
) -> Result<Json<Vec<SlotView>>, ApiError> {
    let id = practitioner_id(&id)?;
    let from = parse_time("from", query.from.as_deref())?;
    let to = parse_time("to", query.to.as_deref())?;
    let slots = state
        .blocking(move |inner| Ok(inner.app.free_slots_of(id, from, to)?))
        .await?;
    Ok(Json(slots.into_iter().map(SlotView::from).collect()))
}

#[derive(Deserialize, IntoParams)]
pub struct FirstAvailableQuery {
    pub specialty: Option<String>,
    pub language: Option<String>,
    /// `video` or `audio`.
    pub mode: Option<String>,
}

/// The earliest free slot.
#[derive(Serialize, ToSchema)]
pub struct FirstAvailable {
    pub practitioner: PractitionerView,
    pub slot: SlotView,
}

/// The earliest free slot across practitioners of a specialty (booth staff use it for walk-in
/// patients). 404 when none in the next 14 days.
#[utoipa::path(get, path = "/practitioners/first-available", tag = "agenda", params(FirstAvailableQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The earliest free slot", body = FirstAvailable),
        (status = 404, description = "Nothing free in the next 14 days", body = crate::error::ErrorBody)))]
pub async fn first_available(
    State(state): State<AppState>,
    _user: AuthUser,
    Query(query): Query<FirstAvailableQuery>,
) -> Result<Json<FirstAvailable>, ApiError> {
    let mode = query.mode.as_deref().map(parse_mode).transpose()?;
    let filter = DirectoryFilter {
        q: None,
        specialty: query.specialty,
        language: query.language,
    };
    let (slot, listed) = state
        .blocking(move |inner| Ok(inner.app.first_available(&filter, mode)?))
        .await?;
    Ok(Json(FirstAvailable {
        practitioner: listed.into(),
        slot: slot.into(),
    }))
}

pub(crate) fn parse_mode(raw: &str) -> Result<ConsultationMode, ApiError> {
    match raw.trim() {
        "video" => Ok(ConsultationMode::Video),
        "audio" => Ok(ConsultationMode::Audio),
        _ => Err(ApiError::invalid_fields(
            [("mode".to_owned(), "expected `video` or `audio`".to_owned())].into(),
        )),
    }
}

/// A practitioner's weekly hours and exceptions (as stored).
#[utoipa::path(get, path = "/practitioners/{id}/schedule", tag = "agenda", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The schedule", content_type = "application/json"),
        (status = 404, description = "No such practitioner or no schedule", body = crate::error::ErrorBody)))]
pub async fn get_schedule(
    State(state): State<AppState>,
    _user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Schedule>, ApiError> {
    let id = practitioner_id(&id)?;
    state
        .blocking(move |inner| {
            inner
                .store
                .schedule(id)?
                .map(Json)
                .ok_or_else(ApiError::not_found)
        })
        .await
}

/// Replaces a practitioner's schedule: `{"hours": {"time_zone","slot_minutes","modes","week":
/// {"monday":[{"start":"09:00","end":"12:00"}],…}}, "exceptions": [{"kind":"closed","from",
/// "to"},…]}`. The practitioner themself, staff or an admin.
#[utoipa::path(put, path = "/practitioners/{id}/schedule", tag = "agenda", params(("id" = String, Path)),
    request_body(content = Object, description = "Weekly hours and exceptions"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", content_type = "application/json"),
        (status = 403, description = "Not this practitioner, staff or admin", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid schedule", body = crate::error::ErrorBody)))]
pub async fn put_schedule(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(schedule): ApiJson<Schedule>,
) -> Result<Json<Schedule>, ApiError> {
    let id = practitioner_id(&id)?;
    state
        .blocking(move |inner| Ok(Json(inner.app.set_schedule(&user.account, id, schedule)?)))
        .await
}

/// A practitioner's listing as changed by themself, staff or an admin.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingUpdate {
    /// Name as shown to patients (unchanged when absent).
    pub name: Option<String>,
    /// A specialty code, e.g. `general_practice`, `dentistry`, `speech_therapy`.
    pub specialty: String,
    /// Language codes spoken, e.g. `["fr","de","lb"]` (1 to 10).
    pub languages: Vec<String>,
}

/// Changes how a practitioner is listed: name, specialty, languages spoken. The practitioner
/// themself, staff or an admin.
#[utoipa::path(put, path = "/practitioners/{id}", tag = "agenda", params(("id" = String, Path)),
    request_body = ListingUpdate, security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = PractitionerView),
        (status = 403, description = "Not this practitioner, staff or admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such practitioner", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown specialty, bad languages or name (each field named)", body = crate::error::ErrorBody)))]
pub async fn put_practitioner(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(update): ApiJson<ListingUpdate>,
) -> Result<Json<PractitionerView>, ApiError> {
    let id = practitioner_id(&id)?;
    let change = ListingChange {
        name: update.name,
        specialty: update.specialty,
        languages: update.languages,
    };
    state
        .blocking(move |inner| {
            let (record, schedule) = inner.app.change_listing(&user.account, id, change)?;
            Ok(Json(PractitionerView {
                id: record.id.to_string(),
                modes: modes(schedule.as_ref()),
                name: record.name,
                specialty: record.specialty,
                languages: record.languages,
            }))
        })
        .await
}
