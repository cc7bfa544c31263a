//! The on-demand queue (DESIGN §4d, `docs/booth.md` rules 3–5): availability, the queue,
//! "next patient", waiting from home ("as soon as possible") or at the booth's counter, and
//! the waiting side's view of its entry. Handlers parse, call the application, present.

use crate::agenda::{mode_name, parse_mode, practitioner_id};
use crate::appointments::{AppointmentView, booking_failed, view_named};
use crate::auth::AuthUser;
use crate::booth::PatientInput;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use teleconsult_app::queue::{EntryView, WaitRequest};
use teleconsult_app::waiting::Waiting;
use teleconsult_app::walk_in::{Identify, PatientSummary, WalkInForm};
use teleconsult_core::account::Role;
use teleconsult_core::queue::{Origin, QueueEntryId};
use teleconsult_core::schedule::ConsultationMode;
use utoipa::ToSchema;

/// The minimum staff see of a patient.
#[derive(Serialize, ToSchema)]
pub struct PatientView {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

impl From<&PatientSummary> for PatientView {
    fn from(p: &PatientSummary) -> Self {
        Self {
            id: p.id.to_string(),
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            birth_date: p.birth_date.to_string(),
        }
    }
}

/// A free slot offered instead of waiting longer.
#[derive(Serialize, ToSchema)]
pub struct OfferedSlotView {
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub start: String,
    pub end: String,
    pub mode: String,
}

/// Where a waiting entry stands.
#[derive(Serialize, ToSchema)]
pub struct WaitingFields {
    /// 1-based place among those waiting for the same specialty.
    pub queue_position: usize,
    /// Absent when no practitioner of the specialty is available right now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_wait_s: Option<i64>,
    /// Practitioners available on demand who may take it.
    pub practitioners_available: usize,
    pub waited_s: i64,
    /// Once waited `[queue] offer_slot_after_min`: the first free slot of the specialty,
    /// bookable instead with `POST /queue/entries/{id}/book`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_slot: Option<OfferedSlotView>,
}

impl From<&Waiting> for WaitingFields {
    fn from(w: &Waiting) -> Self {
        Self {
            queue_position: w.position,
            estimated_wait_s: w.estimated_wait.map(|d| d.as_secs()),
            practitioners_available: w.available,
            waited_s: w.waited.as_secs(),
            offered_slot: w.offered_slot.as_ref().map(|o| OfferedSlotView {
                practitioner_id: o.practitioner.to_string(),
                practitioner_name: o.practitioner_name.clone(),
                start: o.start.to_string(),
                end: o.end.to_string(),
                mode: mode_name(o.mode).to_owned(),
            }),
        }
    }
}

/// A waiting entry, as its waiting side sees it (no reason).
#[derive(Serialize, ToSchema)]
pub struct QueueEntryView {
    pub id: String,
    /// `booth` or `home`.
    pub origin: String,
    pub specialty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub mode: String,
    pub enqueued_at: String,
    /// A walk-in in the cabin: their booth session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// For booth staff: who waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<PatientView>,
    /// For a walk-in registered now: whether the site knew them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_patient: Option<bool>,
    #[serde(flatten)]
    pub waiting: WaitingFields,
}

fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::Booth => "booth",
        Origin::Home => "home",
    }
}

fn entry_view(v: &EntryView, known_patient: Option<bool>) -> QueueEntryView {
    let e = &v.entry;
    QueueEntryView {
        id: e.id.to_string(),
        origin: origin_name(e.origin).to_owned(),
        specialty: e.specialty.clone(),
        language: e.language.clone(),
        mode: mode_name(e.mode).to_owned(),
        enqueued_at: e.enqueued_at.to_string(),
        session_id: e.session.map(|s| s.to_string()),
        patient: v.patient.as_ref().map(PatientView::from),
        known_patient,
        waiting: WaitingFields::from(&v.waiting),
    }
}

/// The patient of a booth request, as the application takes it.
pub(crate) fn identify(p: PatientInput) -> Result<Identify, ApiError> {
    match p.patient_id {
        Some(id) => {
            let identity = [&p.national_id, &p.first_name, &p.last_name, &p.birth_date];
            if identity.iter().any(|f| f.is_some()) {
                return Err(field(
                    "patient",
                    "give either patient_id (a patient found by national id) or a walk-in's identity",
                ));
            }
            id.parse()
                .map(Identify::Known)
                .map_err(|_| ApiError::not_found())
        }
        None => Ok(Identify::WalkIn(WalkInForm {
            national_id: p.national_id,
            first_name: p.first_name,
            last_name: p.last_name,
            birth_date: p.birth_date,
            phone: p.phone,
            language: p.language,
        })),
    }
}

/// `video` (the default) or `audio`.
pub(crate) fn mode_of(raw: Option<&str>) -> Result<ConsultationMode, ApiError> {
    raw.map_or(Ok(ConsultationMode::Video), parse_mode)
}

fn field(name: &str, message: &str) -> ApiError {
    ApiError::invalid_fields(BTreeMap::from([(name.to_owned(), message.to_owned())]))
}

fn entry_id(raw: &str) -> Result<QueueEntryId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// A practitioner's on-demand switch.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRequest {
    pub on_demand: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AvailabilityView {
    pub practitioner_id: String,
    pub on_demand: bool,
    /// When the switch last changed.
    pub since: String,
}

/// A practitioner switches their own on-demand availability (someone else's: 404).
#[utoipa::path(put, path = "/practitioners/{id}/availability", tag = "queue", params(("id" = String, Path)),
    request_body = AvailabilityRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "The switch as set", body = AvailabilityView),
        (status = 403, description = "Only practitioners take on-demand patients", body = crate::error::ErrorBody),
        (status = 404, description = "Not the caller's own practitioner record", body = crate::error::ErrorBody)))]
pub async fn put_availability(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AvailabilityRequest>,
) -> Result<Json<AvailabilityView>, ApiError> {
    user.require(&[Role::Practitioner])?;
    let id = practitioner_id(&id)?;
    let a = state
        .blocking(move |inner| {
            Ok(inner
                .app
                .set_availability(&user.account, id, request.on_demand)?)
        })
        .await?;
    Ok(Json(AvailabilityView {
        practitioner_id: a.practitioner.to_string(),
        on_demand: a.on_demand,
        since: a.since.to_string(),
    }))
}

/// One line of the queue (never the reason; names for booth staff only).
#[derive(Serialize, ToSchema)]
pub struct QueueRowView {
    pub id: String,
    pub origin: String,
    pub specialty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub mode: String,
    pub queue_position: usize,
    pub waited_s: i64,
    /// A walk-in waiting at the counter: taken only while the cabin is free.
    pub at_the_counter: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Waited long enough to be offered the first free slot.
    pub slot_offer_due: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<PatientView>,
}

#[derive(Serialize, ToSchema)]
pub struct QueueView {
    pub entries: Vec<QueueRowView>,
    /// Practitioners available on demand (of the caller's specialty, for a practitioner).
    pub practitioners_available: usize,
    /// A practitioner's own switch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand: Option<bool>,
}

/// The queue: practitioners see the entries of their specialty, booth staff their booth's
/// (with names); nobody sees reasons here.
#[utoipa::path(get, path = "/queue", tag = "queue", security(("bearer" = [])),
    responses(
        (status = 200, description = "The entries the caller may see, by specialty and place", body = QueueView),
        (status = 403, description = "Only practitioners and staff see the queue", body = crate::error::ErrorBody)))]
pub async fn get_queue(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<QueueView>, ApiError> {
    let q = state
        .blocking(move |inner| Ok(inner.app.queue(&user.account)?))
        .await?;
    let entries = q
        .rows
        .iter()
        .map(|r| QueueRowView {
            id: r.entry.to_string(),
            origin: origin_name(r.origin).to_owned(),
            specialty: r.specialty.clone(),
            language: r.language.clone(),
            mode: mode_name(r.mode).to_owned(),
            queue_position: r.position,
            waited_s: r.waited.as_secs(),
            at_the_counter: r.at_the_counter,
            session_id: r.session.map(|s| s.to_string()),
            slot_offer_due: r.slot_offer_due,
            patient: r.patient.as_ref().map(PatientView::from),
        })
        .collect();
    Ok(Json(QueueView {
        entries,
        practitioners_available: q.available,
        on_demand: q.on_demand,
    }))
}

/// What "next patient" handed to the caller.
#[derive(Serialize, ToSchema)]
pub struct TakenView {
    pub appointment_id: String,
    pub patient_id: String,
    pub waited_s: i64,
    /// A walk-in: the consultation is held at the booth.
    pub at_booth: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// "Next patient": the oldest entry the practitioner may take, handed to them only; its
/// appointment starts now (join its call: `/appointments/{id}/call`).
#[utoipa::path(post, path = "/queue/next", tag = "queue", security(("bearer" = [])),
    responses(
        (status = 200, description = "Taken", body = TakenView),
        (status = 204, description = "Nobody the practitioner may take is waiting"),
        (status = 403, description = "Only practitioners take patients", body = crate::error::ErrorBody),
        (status = 409, description = "`not_on_demand`: switch availability on first", body = crate::error::ErrorBody)))]
pub async fn next(State(state): State<AppState>, user: AuthUser) -> Result<Response, ApiError> {
    let taken = state
        .blocking(move |inner| Ok(inner.app.next(&user.account)?))
        .await?;
    let Some(t) = taken else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    state.wake_workers();
    Ok(Json(TakenView {
        appointment_id: t.appointment.to_string(),
        patient_id: t.patient.to_string(),
        waited_s: t.waited.as_secs(),
        at_booth: t.at_booth,
        session_id: t.session.map(|s| s.to_string()),
    })
    .into_response())
}

/// Waiting for the first practitioner free of a specialty.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitBody {
    pub specialty: String,
    /// A language the practitioner must speak.
    pub language: Option<String>,
    /// `video` (default) or `audio`.
    pub mode: Option<String>,
    /// Reason / symptoms, for the practitioner who takes it (at most 1000 characters).
    #[serde(default)]
    pub reason: String,
}

fn wait_request(body: WaitBody) -> Result<WaitRequest, ApiError> {
    Ok(WaitRequest {
        mode: mode_of(body.mode.as_deref())?,
        specialty: body.specialty,
        language: body.language,
        reason: body.reason,
    })
}

/// A patient at home asks for the first practitioner free ("as soon as possible"); they are
/// told by SMS and e-mail when one takes them.
#[utoipa::path(post, path = "/queue/asap", tag = "queue", request_body = WaitBody, security(("bearer" = [])),
    responses(
        (status = 201, description = "Waiting", body = QueueEntryView),
        (status = 403, description = "Only patients wait from home", body = crate::error::ErrorBody),
        (status = 409, description = "`already_waiting`", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown specialty, bad language, consents missing", body = crate::error::ErrorBody)))]
pub async fn ask_asap(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<WaitBody>,
) -> Result<(StatusCode, Json<QueueEntryView>), ApiError> {
    user.require(&[Role::Patient])?;
    let request = wait_request(body)?;
    let v = state
        .blocking(move |inner| Ok(inner.app.ask_asap(&user.account, request)?))
        .await?;
    Ok((StatusCode::CREATED, Json(entry_view(&v, None))))
}

/// The caller's own waiting entry (patients; 404 when not waiting any more).
#[utoipa::path(get, path = "/queue/asap", tag = "queue", security(("bearer" = [])),
    responses(
        (status = 200, description = "Waiting", body = QueueEntryView),
        (status = 403, description = "Only patients wait from home", body = crate::error::ErrorBody),
        (status = 404, description = "Not waiting (taken: see the appointments)", body = crate::error::ErrorBody)))]
pub async fn own_entry(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<QueueEntryView>, ApiError> {
    let v = state
        .blocking(move |inner| Ok(inner.app.own_entry(&user.account)?))
        .await?;
    Ok(Json(entry_view(&v, None)))
}

/// A walk-in waiting at the counter of a booth site.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkInBody {
    pub patient: PatientInput,
    #[serde(flatten)]
    pub wait: WaitBody,
}

/// Booth staff put a walk-in in the line at the counter: practitioners take them while the
/// cabin is free, and taking them opens their booth session (`docs/booth.md`).
#[utoipa::path(post, path = "/queue/walk-ins", tag = "queue", request_body = WalkInBody, security(("bearer" = [])),
    responses(
        (status = 201, description = "Waiting at the counter", body = QueueEntryView),
        (status = 403, description = "Only staff run the booth", body = crate::error::ErrorBody),
        (status = 404, description = "Not a booth site, or no such patient", body = crate::error::ErrorBody),
        (status = 409, description = "`already_waiting`", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields, consents missing", body = crate::error::ErrorBody)))]
pub async fn add_walk_in(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<WalkInBody>,
) -> Result<(StatusCode, Json<QueueEntryView>), ApiError> {
    state.app.require_booth_staff(&user.account)?;
    let patient = identify(body.patient)?;
    let request = wait_request(body.wait)?;
    let (v, known) = state
        .blocking(move |inner| Ok(inner.app.add_walk_in(&user.account, patient, request)?))
        .await?;
    Ok((StatusCode::CREATED, Json(entry_view(&v, Some(known)))))
}

/// One waiting entry, for its waiting side: the patient who asked, or booth staff.
#[utoipa::path(get, path = "/queue/entries/{id}", tag = "queue", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Waiting", body = QueueEntryView),
        (status = 403, description = "Practitioners and others see the queue instead", body = crate::error::ErrorBody),
        (status = 404, description = "Not waiting, or not the caller's", body = crate::error::ErrorBody)))]
pub async fn get_entry(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<QueueEntryView>, ApiError> {
    user.require(&[Role::Patient, Role::Staff])?;
    let id = entry_id(&id)?;
    let v = state
        .blocking(move |inner| Ok(inner.app.entry(&user.account, id)?))
        .await?;
    Ok(Json(entry_view(&v, None)))
}

/// The waiting side leaves the line (a walk-in in the cabin leaves with their session).
#[utoipa::path(delete, path = "/queue/entries/{id}", tag = "queue", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Left the line"),
        (status = 403, description = "Only the waiting side", body = crate::error::ErrorBody),
        (status = 404, description = "Not waiting, or not the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "`end_the_session`: the person is in the cabin", body = crate::error::ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    user.require(&[Role::Patient, Role::Staff])?;
    let id = entry_id(&id)?;
    state
        .blocking(move |inner| Ok(inner.app.withdraw(&user.account, id)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A slot booked instead of waiting (the one offered, or another free one).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInsteadRequest {
    pub practitioner_id: String,
    /// RFC 3339 start of the slot.
    pub start: String,
}

/// The waiting side books a slot instead: the booking ends the entry (one write). At the
/// booth, the appointment is held there and must start within `[booth] idle_limit_min`.
#[utoipa::path(post, path = "/queue/entries/{id}/book", tag = "queue", params(("id" = String, Path)),
    request_body = BookInsteadRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Booked; the entry left the line", body = AppointmentView),
        (status = 403, description = "Only the waiting side", body = crate::error::ErrorBody),
        (status = 404, description = "Not waiting (taken meanwhile), or not the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "`slot_taken`, `cabin_busy`, `too_many_open_appointments`", body = crate::error::ErrorBody),
        (status = 422, description = "Slot not offered, too late for the cabin, consents missing", body = crate::error::ErrorBody)))]
pub async fn book_instead(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<BookInsteadRequest>,
) -> Result<(StatusCode, Json<AppointmentView>), ApiError> {
    user.require(&[Role::Patient, Role::Staff])?;
    let id = entry_id(&id)?;
    let practitioner = practitioner_id(&request.practitioner_id)
        .map_err(|_| field("practitioner_id", "no such practitioner"))?;
    let start = request
        .start
        .parse()
        .map_err(|_| field("start", "expected an RFC 3339 time"))?;
    let own = user.account.role == Role::Patient;
    let booked = state
        .blocking(move |inner| {
            Ok(inner
                .app
                .book_instead(&user.account, id, practitioner, start))
        })
        .await?;
    let b = match booked {
        Ok(b) => b,
        Err(failure) => return Err(booking_failed(&state, failure).await),
    };
    state.wake_workers();
    // The patient's side sees the reason they gave; staff only in the call room's window.
    let view = view_named(&b.appointment, b.patient_name, b.practitioner_name, own);
    Ok((StatusCode::CREATED, Json(view)))
}
