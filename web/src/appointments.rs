//! Appointments: booking (for oneself or a relative), listing, reading, cancelling. Who may
//! see an appointment: the patient it is for, the account that booked it (proxy), its
//! practitioner, and staff or admins of the site. Anyone else gets 404. Its reason (the
//! patient's symptoms) only for those who handle it: the patient's side and the practitioner
//! (rules in core `access.rs`); staff and admins get the facts without it.

use crate::agenda::{mode_name, parse_mode, practitioner_id};
use crate::auth::{AuthUser, event};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::{AppState, Inner};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use teleconsult_core::Timestamp;
use teleconsult_core::access::{may_see, sees_reason};
use teleconsult_core::account::Role;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::{AppointmentId, PatientId};
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::Repository;
use utoipa::{IntoParams, ToSchema};

/// Who the appointment is for, when not the caller: a relative already linked to the caller's
/// account (`patient_id`), or a new one (identity fields).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForRelative {
    pub patient_id: Option<String>,
    /// `parent`, `legal_guardian`, `child`, `partner` or `other`: what the caller is to them.
    pub relationship: Option<String>,
    pub national_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    pub practitioner_id: String,
    /// RFC 3339 start of a free slot.
    pub start: String,
    /// `video` or `audio`.
    pub mode: String,
    /// Absent: for the caller.
    #[serde(rename = "for")]
    pub for_whom: Option<ForRelative>,
    /// Reason / symptoms, for the practitioner (at most 1000 characters).
    #[serde(default)]
    pub reason: String,
    /// The "I confirm this booking" box: must be true.
    pub confirm: bool,
}

/// An appointment as shown to those allowed to see it.
#[derive(Serialize, ToSchema)]
pub struct AppointmentView {
    pub id: String,
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub patient_id: String,
    pub patient_name: String,
    pub start: String,
    pub end: String,
    pub mode: String,
    /// The patient's reason (symptoms), for those who handle the appointment: the patient's
    /// side and its practitioner (and booth staff for an appointment held at their booth,
    /// while its room is open). Absent for staff and administrators otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `booked`, `waiting`, `in_call`, `completed`, `cancelled`, `no_show`.
    pub status: String,
    /// Set when booked for a relative.
    pub relationship: Option<String>,
}

/// `a` as `user` may see it (the reason only for those who handle it).
fn view(
    inner: &Inner,
    user: &AuthUser,
    a: &Appointment,
    patient_name: String,
) -> Result<AppointmentView, ApiError> {
    let practitioner_name = inner
        .store
        .practitioner(a.practitioner)?
        .map(|p| p.name)
        .unwrap_or_default();
    let reason = sees_reason(
        &user.account,
        a,
        inner.calls.config().site_kind,
        inner.clock.now(),
        &inner.settings.appointments,
    );
    Ok(view_named(a, patient_name, practitioner_name, reason))
}

pub(crate) fn view_named(
    a: &Appointment,
    patient_name: String,
    practitioner_name: String,
    with_reason: bool,
) -> AppointmentView {
    AppointmentView {
        id: a.id.to_string(),
        practitioner_id: a.practitioner.to_string(),
        practitioner_name,
        patient_id: a.patient.to_string(),
        patient_name,
        start: a.start.to_string(),
        end: a.end.to_string(),
        mode: mode_name(a.mode).to_owned(),
        reason: with_reason.then(|| a.reason.clone()),
        status: a.status.name().to_owned(),
        relationship: a
            .for_relative
            .and_then(|r| serde_json::to_value(r).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
    }
}

fn actor(user: &AuthUser) -> Actor {
    Actor::Account(user.account.id.to_string())
}

fn field_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_fields(BTreeMap::from([(field.to_owned(), message.into())]))
}

/// Books a free slot. 409 `slot_taken` when someone else was faster.
#[utoipa::path(post, path = "/appointments", tag = "appointments", request_body = BookRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Booked; confirmation sent by SMS and e-mail", body = AppointmentView),
        (status = 403, description = "Only patients book online", body = crate::error::ErrorBody),
        (status = 409, description = "`slot_taken`; `too_many_open_appointments` (the account's quota of open future appointments, `[limits] open_appointments_per_account`); or the relative's national id is registered elsewhere", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields, missing confirmation or consent, slot not offered", body = crate::error::ErrorBody)))]
pub async fn book(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<BookRequest>,
) -> Result<(StatusCode, Json<AppointmentView>), ApiError> {
    user.require(&[Role::Patient])?;
    let request = book_request(request)?;
    // Booking for oneself with every record it reads kept in memory (the usual case): no hop
    // to a blocking thread.
    let inline = request.for_whom.is_none()
        && user
            .account
            .patient
            .is_some_and(|own| state.app.booking_reads_kept(request.practitioner, own));
    let queued = state
        .blocking_unless(inline, move |inner| {
            Ok(inner.app.book(&user.account, request))
        })
        .await?;
    // The batch's flush is awaited here, not on a parked blocking thread.
    let written = match queued {
        Ok(queued) => queued.written().await,
        Err(failure) => Err(failure),
    };
    match written {
        Ok(b) => {
            state.wake_workers();
            // The booker is the patient's side: they see the reason they gave.
            let view = view_named(&b.appointment, b.patient_name, b.practitioner_name, true);
            Ok((StatusCode::CREATED, Json(view)))
        }
        Err(failure) => Err(booking_failed(&state, failure).await),
    }
}

/// The error of a refused or failed booking, once the reads of health data it made that no
/// transaction recorded are recorded (a flush failing after the commit records them twice:
/// better than not at all).
pub(crate) async fn booking_failed(
    state: &AppState,
    failure: teleconsult_app::booking::BookFailure,
) -> ApiError {
    let reads = failure.unrecorded;
    if !reads.is_empty()
        && let Err(e) = state
            .blocking(move |inner| Ok(inner.app.record_reads(&reads)?))
            .await
    {
        return e;
    }
    failure.error.into()
}

/// The request as the booking use case takes it.
fn book_request(request: BookRequest) -> Result<teleconsult_app::booking::BookRequest, ApiError> {
    if !request.confirm {
        return Err(field_error("confirm", "tick the confirmation box to book"));
    }
    let practitioner = practitioner_id(&request.practitioner_id)
        .map_err(|_| field_error("practitioner_id", "no such practitioner"))?;
    let start: Timestamp = request
        .start
        .parse()
        .map_err(|_| field_error("start", "expected an RFC 3339 time"))?;
    let mode = parse_mode(&request.mode)?;
    Ok(teleconsult_app::booking::BookRequest {
        practitioner,
        start,
        mode,
        for_whom: request.for_whom.map(|r| teleconsult_app::booking::ForWhom {
            patient_id: r.patient_id,
            relationship: r.relationship,
            national_id: r.national_id,
            first_name: r.first_name,
            last_name: r.last_name,
            birth_date: r.birth_date,
        }),
        reason: request.reason,
    })
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `YYYY-MM-DD` (site time zone): only that day (practitioner and staff day views).
    pub date: Option<String>,
}

/// The caller's appointments: a patient's own and their relatives', a practitioner's, or (staff,
/// admin) the whole site's. Ordered by start.
#[utoipa::path(get, path = "/appointments", tag = "appointments", params(ListQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Appointments", body = [AppointmentView]),
        (status = 403, description = "Pharmacists have no appointments", body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<AppointmentView>>, ApiError> {
    user.require(&[Role::Patient, Role::Practitioner, Role::Staff, Role::Admin])?;
    let day = match query.date.as_deref() {
        None => None,
        Some(d) => Some(
            jiff::civil::Date::from_str(d.trim())
                .map_err(|_| field_error("date", "expected YYYY-MM-DD"))?,
        ),
    };
    state
        .blocking(move |inner| {
            let zone = jiff::tz::TimeZone::get(&inner.settings.time_zone)
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let now = inner.clock.now();
            let audit = event(
                now,
                actor(&user),
                Action::Read,
                "appointment_list",
                user.account.id.to_string(),
            );
            let account = user.account.clone();
            let list = inner.store.appointments(
                |a| {
                    may_see(&account, a)
                        && day.is_none_or(|d| a.start.to_zoned_datetime(zone.clone()).date() == d)
                },
                &audit,
            )?;
            let mut out = Vec::with_capacity(list.len());
            for a in &list {
                let name = patient_name(inner, &user, a.patient)?;
                out.push(view(inner, &user, a, name)?);
            }
            Ok(Json(out))
        })
        .await
}

/// The relatives linked to a patient account as `(id, full name)`, for the booking form
/// (audited reads; erased relatives left out).
pub(crate) async fn relatives_of(
    state: &AppState,
    user: &AuthUser,
) -> Result<Vec<(String, String)>, ApiError> {
    let user = user.clone();
    state
        .blocking(move |inner| {
            let mut out = Vec::new();
            for id in &user.account.relatives {
                let name = patient_name(inner, &user, *id)?;
                if !name.is_empty() {
                    out.push((id.to_string(), name));
                }
            }
            Ok(out)
        })
        .await
}

/// A patient record, read with an audit record in the caller's name; 404 when absent.
pub(crate) fn read_patient(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
) -> Result<Patient, ApiError> {
    inner
        .store
        .patient(patient, &patient_read(inner, user, patient))?
        .ok_or_else(ApiError::not_found)
}

/// The audit event of `user` reading a patient record.
fn patient_read(inner: &Inner, user: &AuthUser, patient: PatientId) -> AuditEvent {
    event(
        inner.clock.now(),
        actor(user),
        Action::Read,
        "patient",
        patient.to_string(),
    )
}

/// The name of the patient an appointment is for (an audited read; empty if erased since).
pub(crate) fn patient_name(
    inner: &Inner,
    user: &AuthUser,
    patient: PatientId,
) -> Result<String, ApiError> {
    match read_patient(inner, user, patient) {
        Ok(p) => Ok(format!("{} {}", p.first_name, p.last_name)),
        Err(e) if e.status == StatusCode::NOT_FOUND => Ok(String::new()),
        Err(e) => Err(e),
    }
}

fn appointment_id(raw: &str) -> Result<AppointmentId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Loads an appointment the caller may see (404 otherwise, whether it exists or not): the
/// application's [`teleconsult_app::App::appointment`].
pub(crate) fn visible(
    inner: &Inner,
    user: &AuthUser,
    id: AppointmentId,
) -> Result<Appointment, ApiError> {
    Ok(inner.app.appointment(&user.account, id)?)
}

/// One appointment.
#[utoipa::path(get, path = "/appointments/{id}", tag = "appointments", params(("id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The appointment", body = AppointmentView),
        (status = 404, description = "No such appointment, or not yours", body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<AppointmentView>, ApiError> {
    let (_, view) = load(&state, user, &id).await?;
    Ok(Json(view))
}

/// An appointment the caller may see and its view, with one audited read (pages that show
/// more than the facts pass the appointment on instead of reading it again).
pub(crate) async fn load(
    state: &AppState,
    user: AuthUser,
    id: &str,
) -> Result<(Appointment, AppointmentView), ApiError> {
    let id = appointment_id(id)?;
    state
        .blocking(move |inner| {
            let a = visible(inner, &user, id)?;
            let name = patient_name(inner, &user, a.patient)?;
            let view = view(inner, &user, &a, name)?;
            Ok((a, view))
        })
        .await
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Required from practitioners and staff (the patient is told).
    pub reason: Option<String>,
}

/// Cancels: the patient (or their proxy) until the site's deadline, the practitioner or staff
/// at any time with a reason. The slot becomes free again; the patient is told.
#[utoipa::path(post, path = "/appointments/{id}/cancel", tag = "appointments", params(("id" = String, Path)),
    request_body = CancelRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = AppointmentView),
        (status = 404, description = "No such appointment, or not yours", body = crate::error::ErrorBody),
        (status = 409, description = "`cannot_cancel`: past the patient's deadline, or already final", body = crate::error::ErrorBody),
        (status = 422, description = "Practitioner or staff without a reason, or a reason too long", body = crate::error::ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<AppointmentView>, ApiError> {
    // The body is optional (a patient need not give a reason).
    let request: CancelRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CancelRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                e.to_string(),
            )
        })?
    };
    cancel_appointment(&state, user, &id, request.reason)
        .await
        .map(Json)
}

/// Cancels appointment `id` in `user`'s name (the API's and the page's cancellation): the
/// application's [`teleconsult_app::App::cancel`], then the appointment as `user` sees it.
pub(crate) async fn cancel_appointment(
    state: &AppState,
    user: AuthUser,
    id: &str,
    reason: Option<String>,
) -> Result<AppointmentView, ApiError> {
    let id = appointment_id(id)?;
    let view = state
        .blocking(move |inner| {
            let cancelled = inner.app.cancel(&user.account, id, reason)?;
            let name = patient_name(inner, &user, cancelled.patient)?;
            view(inner, &user, &cancelled, name)
        })
        .await?;
    // Its call room closes: open sockets are told and closed.
    state.live.announce(crate::live::Ended::Appointment(id));
    state.wake_workers();
    Ok(view)
}
