//! The staff console of a booth site (issue #19, `docs/booth.md`): the cabin's open session,
//! the line at the counter, the look-up by national id, and the counter form that starts a
//! booth session (first practitioner free now, or a chosen slot starting soon) or puts a
//! walk-in in the line while the cabin is busy. Staff of a booth site only: staff of a clinic
//! get 404 and other roles 403, as from the API. Every action is done by the API's handlers
//! (`booth::*`, `queue::*`), which call the same use cases; the patient never types a password
//! here.

use super::booth_devices::devices;
use super::booth_form::{CounterForm, How, form_errors};
use super::booth_print::Listed;
use super::booth_view::{Choices, SoonSlot, cabin, counter_form, find_form, line};
use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect};
use super::layout::{FieldErrors, document, notice, respond};
use crate::agenda::{self, PractitionerQuery, SlotQuery};
use crate::auth::AuthUser;
use crate::booth::{self, LookupQuery};
use crate::booth_status::{self, BoothStatusView, DeviceCheckView};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::queue::{self, BookInsteadRequest, PatientView, QueueView};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::BTreeSet;
use teleconsult_app::session_documents::SessionDocuments;
use teleconsult_core::Timestamp;

/// The most slots the counter form lists.
const MAX_SLOTS: usize = 12;

/// The logged-in staff member of a booth site (others: the login page, 403 or 404).
fn booth_staff(page: &Page) -> Result<AuthUser, Response> {
    let Some(user) = &page.user else {
        return Err(redirect("/login"));
    };
    page.state
        .app
        .require_booth_staff(&user.account)
        .map_err(|e| fault(page, e.into()))?;
    Ok(user.clone())
}

/// A posted console form: readable, with the session's CSRF token, from booth staff.
pub(super) fn posted(
    page: &Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<(AuthUser, Vec<(String, String)>), Response> {
    let pairs = csrf::session_form(page, form)?;
    Ok((booth_staff(page)?, pairs))
}

/// What the console shows besides the form.
struct Console {
    session: Option<Listed>,
    /// Sessions that ended within the print window, with their documents.
    ended: Vec<Listed>,
    /// The cabin's devices, as `GET /booth/status` (cheap, not audited).
    status: BoothStatusView,
    /// What a device check just measured (on the page of `POST /booth/check` only).
    check: Option<DeviceCheckView>,
    queue: QueueView,
    choices: Choices,
}

/// The open session (audited read, as `GET /booth/sessions/{id}`), the line, and what the
/// counter form offers.
async fn load(page: &Page, user: &AuthUser) -> Result<Console, ApiError> {
    let state = page.state.clone();
    let actor = user.account.clone();
    let sessions = state
        .blocking(move |inner| Ok(inner.app.console_sessions(&actor)?))
        .await?;
    let listed = |s: SessionDocuments| Listed {
        view: booth::session_view(s.view, None),
        documents: s.documents,
    };
    let session = sessions.open.map(listed);
    let ended = sessions.ended.into_iter().map(listed).collect();
    let queue = queue::get_queue(State(state.clone()), user.clone())
        .await?
        .0;
    let status = booth_status::booth_status(State(state.clone()), user.clone())
        .await?
        .0;
    let practitioners = agenda::list_practitioners(
        State(state.clone()),
        user.clone(),
        Query(PractitionerQuery {
            q: None,
            specialty: None,
            language: None,
        }),
    )
    .await?
    .0;
    let specialties: BTreeSet<String> = practitioners.iter().map(|p| p.specialty.clone()).collect();
    let languages: BTreeSet<String> = practitioners
        .iter()
        .flat_map(|p| p.languages.iter().cloned())
        .collect();
    // Slots the person can wait for in the cabin: starting within the idle limit.
    let latest = state
        .settings
        .booth
        .booth
        .latest_slot_start(state.clock.now());
    let mut slots = Vec::new();
    for p in &practitioners {
        let free = agenda::slots(
            State(state.clone()),
            user.clone(),
            Path(p.id.clone()),
            Query(SlotQuery {
                from: None,
                to: Some(latest.to_string()),
            }),
        )
        .await;
        // An empty window (the idle limit is short) is no slot, not a fault.
        let Ok(free) = free else { continue };
        slots.extend(free.0.into_iter().filter_map(|s| {
            Some(SoonSlot {
                practitioner_id: p.id.clone(),
                practitioner_name: p.name.clone(),
                specialty: p.specialty.clone(),
                start: s.start.parse::<Timestamp>().ok()?,
            })
        }));
    }
    slots.sort_by_key(|s| s.start);
    slots.truncate(MAX_SLOTS);
    Ok(Console {
        session,
        ended,
        status,
        check: None,
        queue,
        choices: Choices {
            specialties: specialties.into_iter().collect(),
            languages: languages.into_iter().collect(),
            slots,
        },
    })
}

/// What the console says after an action (`?done=`).
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ConsoleQuery {
    done: String,
    /// The CUPS job of a print just sent (`done=printed`).
    job: String,
}

fn done_notice(page: &Page, query: &ConsoleQuery) -> Option<Markup> {
    if query.done == "printed" {
        let job = super::booth_print::job_text(&query.job);
        return Some(notice(
            "success",
            &page.t_args("booth-done-printed", &[("job", &job)]),
        ));
    }
    let id = match query.done.as_str() {
        "started" => "booth-done-started",
        "line" => "booth-done-line",
        "ended" => "booth-done-ended",
        "withdrawn" => "booth-done-withdrawn",
        "booked" => "booth-done-booked",
        _ => return None,
    };
    Some(notice("success", &page.t(id)))
}

/// The whole console: a notice, the cabin, the line, the look-up and the counter form.
struct View<'a> {
    banner: Option<Markup>,
    find_value: &'a str,
    find_errors: FieldErrors,
    form: &'a CounterForm,
    /// A patient found by national id, and that national id.
    found: Option<(&'a PatientView, &'a str)>,
    errors: FieldErrors,
    status: StatusCode,
}

fn render(page: &Page, console: &Console, view: &View<'_>) -> Response {
    let body = html! {
        @if let Some(banner) = &view.banner { (banner) }
        p.lead { (page.t("booth-intro")) }
        div.console {
            (cabin(page, console.session.as_ref(), &console.ended, console.status.call_link.as_ref(), devices(page, &console.status, console.check.as_ref())))
            (line(page, &console.queue))
        }
        section aria-labelledby="counter_title" {
            h2 #counter_title { (page.t("booth-counter-title")) }
            p.hint { (page.t("booth-no-password")) }
            (find_form(page, view.find_value, &view.find_errors))
            (counter_form(page, view.form, view.found, &console.choices, &view.errors))
        }
    };
    respond(view.status, document(page, &page.t("booth-title"), &body))
}

async fn console_page(page: &Page, user: &AuthUser, view: &View<'_>) -> Response {
    match load(page, user).await {
        Ok(console) => render(page, &console, view),
        Err(error) => fault(page, error),
    }
}

/// `GET /booth`: the console.
pub async fn console(page: Page, query: Result<Query<ConsoleQuery>, QueryRejection>) -> Response {
    let user = match booth_staff(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Query(query) = query.unwrap_or_default();
    let form = CounterForm::default();
    let view = View {
        banner: done_notice(&page, &query),
        find_value: "",
        find_errors: FieldErrors::new(),
        form: &form,
        found: None,
        errors: FieldErrors::new(),
        status: StatusCode::OK,
    };
    console_page(&page, &user, &view).await
}

/// `POST /booth/find`: the patient with this national id (the minimum), ready to start; none:
/// the walk-in form with the national id filled in. By POST: a national id never sits in a
/// URL (logs, history).
pub async fn find(
    page: Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let national_id = pairs
        .iter()
        .find(|(k, _)| k == "find_national_id")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let found = booth::find_patient(
        State(page.state.clone()),
        user.clone(),
        Query(LookupQuery {
            national_id: Some(national_id.clone()),
        }),
    )
    .await;
    let mut form = CounterForm::default();
    let mut banner = None;
    let mut find_errors = FieldErrors::new();
    let mut status = StatusCode::OK;
    let list = match found {
        Ok(list) => list.0,
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            find_errors.insert("find_national_id", page.t("booth-error-national-id"));
            status = error.status;
            Vec::new()
        }
        Err(error) => return fault(&page, error),
    };
    let patient = list.first();
    if patient.is_none() && status == StatusCode::OK {
        // Nobody with this national id yet: a walk-in, its national id already typed.
        form.national_id.clone_from(&national_id);
        banner = Some(notice("info", &page.t("booth-not-found")));
    }
    let view = View {
        banner,
        find_value: &national_id,
        find_errors,
        form: &form,
        found: patient.map(|p| (p, national_id.as_str())),
        errors: FieldErrors::new(),
        status,
    };
    console_page(&page, &user, &view).await
}

/// A refusal of a console action: the console again with the refusal in words (its status
/// kept), or the error page for what the console does not explain.
pub(super) async fn refused_console(page: &Page, user: &AuthUser, error: ApiError) -> Response {
    let Some(text) = refusal(page, &error) else {
        return fault(page, error);
    };
    console_with(page, user, notice("error", &text), error.status).await
}

/// The console with `banner` on top, answered with `status`.
pub(super) async fn console_with(
    page: &Page,
    user: &AuthUser,
    banner: Markup,
    status: StatusCode,
) -> Response {
    let form = CounterForm::default();
    let view = View {
        banner: Some(banner),
        find_value: "",
        find_errors: FieldErrors::new(),
        form: &form,
        found: None,
        errors: FieldErrors::new(),
        status,
    };
    console_page(page, user, &view).await
}

/// The page's words for a refusal that is not about one field.
fn refusal(page: &Page, error: &ApiError) -> Option<String> {
    if let Some(id) = super::booth_print::refusal_id(error) {
        return Some(page.t(id));
    }
    let id = match (error.status, error.code) {
        (StatusCode::CONFLICT, "cabin_busy") => "booth-cabin-busy",
        (StatusCode::CONFLICT, "already_waiting") => "booth-already-waiting",
        (StatusCode::CONFLICT, "slot_taken") => "booth-slot-taken",
        (StatusCode::CONFLICT, _) => "booth-conflict",
        (StatusCode::NOT_FOUND, _) => "booth-gone",
        (StatusCode::UNPROCESSABLE_ENTITY, _) => "booth-refused",
        _ => return None,
    };
    Some(page.t(id))
}

/// `POST /booth/start`: starts a booth session (`how=now`, `how=slot`) or puts the person in
/// the line at the counter (`how=line`); mistakes next to their fields.
pub async fn start(
    page: Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let form = CounterForm::from_pairs(&pairs);
    // A patient found by national id comes back as found (the minimum, read again).
    let found = if form.known() {
        match found_again(&page, &user, &form).await {
            Ok(found) => found,
            Err(response) => return response,
        }
    } else {
        None
    };
    let again = |errors: FieldErrors, banner: Option<Markup>, status: StatusCode| {
        let page = &page;
        let user = &user;
        let form = &form;
        let found = found.as_ref().map(|p| (p, form.find_national_id.as_str()));
        async move {
            let view = View {
                banner,
                find_value: "",
                find_errors: FieldErrors::new(),
                form,
                found,
                errors,
                status,
            };
            console_page(page, user, &view).await
        }
    };
    let errors = form.check(&page);
    if !errors.is_empty() {
        return again(errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let state = State(page.state.clone());
    let result = match form.how {
        Some(How::Line) => queue::add_walk_in(state, user.clone(), ApiJson(form.walk_in_request()))
            .await
            .map(|_| "line"),
        _ => booth::start_session(state, user.clone(), ApiJson(form.session_request()))
            .await
            .map(|_| "started"),
    };
    match result {
        Ok(done) => redirect(&format!("/booth?done={done}")),
        Err(error) => {
            if error.status == StatusCode::UNPROCESSABLE_ENTITY
                && let Some(errors) = form_errors(&page, &error)
            {
                return again(errors, None, error.status).await;
            }
            if error.code == "slot_taken" {
                let errors = FieldErrors::from([("slot", page.t("booth-slot-taken"))]);
                return again(errors, None, error.status).await;
            }
            match refusal(&page, &error) {
                Some(text) => {
                    again(
                        FieldErrors::new(),
                        Some(notice("error", &text)),
                        error.status,
                    )
                    .await
                }
                None => fault(&page, error),
            }
        }
    }
}

/// The patient a form names by id, found again by the national id the look-up used (an
/// audited look-up, as the first one); `None` when it no longer leads to that patient.
async fn found_again(
    page: &Page,
    user: &AuthUser,
    form: &CounterForm,
) -> Result<Option<PatientView>, Response> {
    let found = booth::find_patient(
        State(page.state.clone()),
        user.clone(),
        Query(LookupQuery {
            national_id: Some(form.find_national_id.trim().to_owned()),
        }),
    )
    .await;
    match found {
        Ok(list) => Ok(list.0.into_iter().find(|p| p.id == form.patient_id.trim())),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => Ok(None),
        Err(error) => Err(fault(page, error)),
    }
}

/// `POST /booth/sessions/{id}/end`: ends the session (staff); back to the console.
pub async fn end(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let user = match posted(&page, form) {
        Ok((user, _)) => user,
        Err(response) => return response,
    };
    match booth::end_session(State(page.state.clone()), user, Path(id)).await {
        Ok(_) => redirect("/booth?done=ended"),
        Err(error) => fault(&page, error),
    }
}

/// `POST /booth/entries/{id}/withdraw`: a walk-in waiting at the counter leaves the line.
pub async fn withdraw(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let user = match posted(&page, form) {
        Ok((user, _)) => user,
        Err(response) => return response,
    };
    match queue::withdraw(State(page.state.clone()), user.clone(), Path(id)).await {
        Ok(_) => redirect("/booth?done=withdrawn"),
        Err(error) => refused_console(&page, &user, error).await,
    }
}

/// `POST /booth/entries/{id}/book`: the slot offered to the person in the cabin, booked
/// instead of waiting longer.
pub async fn book_offer(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, pairs) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let form = CounterForm::from_pairs(&pairs);
    let Some((practitioner_id, start)) = form.chosen_slot() else {
        return bad_form(&page);
    };
    let request = BookInsteadRequest {
        practitioner_id,
        start,
    };
    match queue::book_instead(
        State(page.state.clone()),
        user.clone(),
        Path(id),
        ApiJson(request),
    )
    .await
    {
        Ok(_) => redirect("/booth?done=booked"),
        Err(error) => refused_console(&page, &user, error).await,
    }
}

/// `POST /booth/check`: the device check (`POST /booth/check` of the API: camera frames,
/// microphone level, a tone on the speaker), its results shown on the console; refused while
/// the cabin is in a call or another check runs (409, in words).
pub async fn check(
    page: Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let user = match posted(&page, form) {
        Ok((user, _)) => user,
        Err(response) => return response,
    };
    let form = CounterForm::default();
    let mut view = View {
        banner: None,
        find_value: "",
        find_errors: FieldErrors::new(),
        form: &form,
        found: None,
        errors: FieldErrors::new(),
        status: StatusCode::OK,
    };
    let check = match booth_status::booth_check(State(page.state.clone()), user.clone()).await {
        Ok(checked) => Some(checked.0),
        Err(error) if error.status == StatusCode::CONFLICT => {
            let id = match error.code {
                "cabin_in_call" => "booth-check-in-call",
                "check_running" => "booth-check-running",
                _ => "booth-conflict",
            };
            view.banner = Some(notice("error", &page.t(id)));
            view.status = error.status;
            None
        }
        Err(error) => return fault(&page, error),
    };
    match load(&page, &user).await {
        Ok(mut console) => {
            console.check = check;
            render(&page, &console, &view)
        }
        Err(error) => fault(&page, error),
    }
}
