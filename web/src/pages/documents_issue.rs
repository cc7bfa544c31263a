//! The practitioner's document pages (issue #7): one form per kind, reached from the
//! appointment page, and the same form prefilled to correct an issued document. The API's
//! handlers do the work (`documents::issue_document`, `documents::supersede_document`): the
//! page turns the posted fields into a request (`documents_forms`) and the 422 field errors
//! back into messages on the right fields. "Add a line" is a submit button that re-renders
//! the form with one more row (no script).

use super::context::Page;
use super::csrf;
use super::documents_forms::{DocForm, Errors, Kind, form_errors};
use super::errors::{bad_form, fault, redirect, refused};
use super::format::date_time;
use super::layout::{csrf_field, described_by, document, notice, respond};
use crate::appointments::{self, AppointmentView};
use crate::auth::AuthUser;
use crate::documents::laboratories::{LaboratoryView, list_laboratories};
use crate::documents::{self, DocumentView};
use crate::error::ApiError;
use crate::extract::ApiJson;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;

/// The list of problems at the top of a form, each linking to its field (as
/// `layout::error_summary`, for field names built at run time).
pub(super) fn summary(page: &Page, errors: &Errors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" {
                h2 #error-summary-title { (page.t("form-errors-title")) }
                ul {
                    @for (field, message) in errors {
                        li { a href=(format!("#{field}")) { (message) } }
                    }
                }
            }
        }
    }
}

/// A text-like input with its label, hint and error (as `layout::Input`, for run-time names).
pub(super) fn text_field(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    hint: Option<&str>,
    errors: &Errors,
) -> Markup {
    let error = errors.get(name);
    let described = described_by(name, hint.is_some(), error.is_some());
    html! {
        div.field.invalid[error.is_some()] {
            label for=(name) { (label) }
            @if let Some(hint) = hint { p.hint id=(format!("{name}-hint")) { (hint) } }
            @if let Some(error) = error { p.error id=(format!("{name}-error")) { (error) } }
            input id=(name) name=(name) type=(kind) value=(value) autocomplete="off"
                inputmode=[(name.ends_with(".amount")).then_some("decimal")]
                aria-invalid=[error.is_some().then_some("true")]
                aria-describedby=[described];
        }
    }
}

/// A multi-line text field.
pub(super) fn text_area(
    name: &str,
    label: &str,
    value: &str,
    hint: Option<&str>,
    errors: &Errors,
) -> Markup {
    let error = errors.get(name);
    let described = described_by(name, hint.is_some(), error.is_some());
    html! {
        div.field.invalid[error.is_some()] {
            label for=(name) { (label) }
            @if let Some(hint) = hint { p.hint id=(format!("{name}-hint")) { (hint) } }
            @if let Some(error) = error { p.error id=(format!("{name}-error")) { (error) } }
            textarea id=(name) name=(name) rows="4" maxlength="5000"
                aria-invalid=[error.is_some().then_some("true")]
                aria-describedby=[described] { (value) }
        }
    }
}

/// A checkbox with its label.
pub(super) fn checkbox(name: &str, label: &str, checked: bool) -> Markup {
    html! {
        div.field.checkbox {
            input id=(name) type="checkbox" name=(name) checked[checked];
            label for=(name) { (label) }
        }
    }
}

/// Where the form posts and what it says above the fields.
pub enum Target<'a> {
    /// A new document for this appointment.
    New(&'a AppointmentView),
    /// A corrected version of this document.
    Correct(&'a DocumentView),
}

/// The form page, with `errors` on their fields and an optional `problem` notice.
pub fn form_page(
    page: &Page,
    target: &Target<'_>,
    form: &DocForm,
    laboratories: &[LaboratoryView],
    errors: &Errors,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let kind_name = page.t(form.kind.title_id());
    let (title, action, lead, back) = match target {
        Target::New(a) => {
            let when = a
                .start
                .parse::<Timestamp>()
                .map(|t| date_time(page, t))
                .unwrap_or_default();
            (
                page.t_args("docs-new-title", &[("name", &kind_name)]),
                format!(
                    "/appointments/{}/documents/new?kind={}",
                    a.id,
                    form.kind.code()
                ),
                page.t_args(
                    "docs-new-lead",
                    &[("name", &a.patient_name), ("date", &when)],
                ),
                format!("/appointments/{}", a.id),
            )
        }
        Target::Correct(d) => (
            page.t_args("docs-correct-title", &[("name", &kind_name)]),
            format!("/documents/{}/correct", d.id),
            page.t_args("docs-correct-lead", &[("name", &d.number)]),
            format!("/documents/{}", d.id),
        ),
    };
    let body = html! {
        p.lead { (lead) }
        @if let Some(problem) = problem { (notice("error", problem)) }
        (summary(page, errors))
        form.document method="post" action=(action) novalidate {
            (csrf_field(page))
            input type="hidden" name="kind" value=(form.kind.code());
            (fields(page, form, laboratories, errors))
            div.actions {
                button.primary type="submit" name="issue" value="1" {
                    (page.t(if matches!(target, Target::New(_)) { "docs-issue-submit" } else { "docs-correct-submit" }))
                }
            }
        }
        p { a href=(back) { (page.t("back")) } }
    };
    respond(status, document(page, &title, &body))
}

/// The fields of `form`'s kind.
fn fields(page: &Page, form: &DocForm, laboratories: &[LaboratoryView], errors: &Errors) -> Markup {
    let t = |id: &str| page.t(id);
    match form.kind {
        Kind::Prescription => html! {
            div.lines #items tabindex="-1" {
                @if let Some(error) = errors.get("items") { p.error { (error) } }
                @for (i, r) in form.items.iter().enumerate() {
                    @let n = (i + 1).to_string();
                    @let f = |field: &str| format!("items[{i}].{field}");
                    fieldset.line {
                        legend { (page.t_args("docs-medicine-line", &[("count", &n)])) }
                        div.line-fields {
                            (text_field(&f("medication"), &t("doc-medication"), "text", &r.medication, None, errors))
                            (text_field(&f("dose"), &t("doc-dose"), "text", &r.dose, None, errors))
                            (text_field(&f("form"), &t("doc-form"), "text", &r.form, None, errors))
                            (text_field(&f("posology"), &t("doc-posology"), "text", &r.posology, None, errors))
                            (text_field(&f("duration"), &t("doc-duration"), "text", &r.duration, None, errors))
                        }
                        (checkbox(&f("substitution_allowed"), &t("docs-substitution-allowed"), r.substitution_allowed))
                    }
                }
                p.hint { (t("docs-blank-lines-hint")) }
                button type="submit" name="add_line" value="1" { (t("docs-add-medicine")) }
            }
        },
        Kind::LabRequest => html! {
            div.field.invalid[errors.contains_key("laboratory_id")] {
                label for="laboratory_id" { (t("doc-laboratory")) }
                @if let Some(error) = errors.get("laboratory_id") {
                    p.error #laboratory_id-error { (error) }
                }
                select #laboratory_id name="laboratory_id"
                    aria-describedby=[errors.contains_key("laboratory_id").then_some("laboratory_id-error")] {
                    option value="" { (t("docs-laboratory-choose")) }
                    @for l in laboratories {
                        option value=(l.id) selected[l.id == form.laboratory_id] { (l.name) }
                    }
                }
            }
            (text_area("tests", &t("doc-tests"), &form.tests, Some(&t("docs-tests-hint")), errors))
            (checkbox("home_visit", &t("docs-home-visit"), form.home_visit))
            (text_area("clinical_information", &t("doc-clinical-information"), &form.clinical_information, Some(&t("docs-optional")), errors))
        },
        Kind::SickLeave => html! {
            (text_field("from", &t("docs-from"), "date", &form.from, None, errors))
            (text_field("to", &t("docs-to"), "date", &form.to, Some(&t("docs-to-hint")), errors))
            (text_area("diagnosis", &t("doc-diagnosis"), &form.diagnosis, Some(&t("docs-diagnosis-hint")), errors))
            (checkbox("outings_allowed", &t("doc-outings"), form.outings_allowed))
        },
        Kind::FeeMemo => html! {
            div.lines #acts tabindex="-1" {
                @if let Some(error) = errors.get("acts") { p.error { (error) } }
                @for (i, r) in form.acts.iter().enumerate() {
                    @let n = (i + 1).to_string();
                    @let f = |field: &str| format!("acts[{i}].{field}");
                    fieldset.line {
                        legend { (page.t_args("docs-act-line", &[("count", &n)])) }
                        div.line-fields {
                            (text_field(&f("code"), &t("doc-code"), "text", &r.code, None, errors))
                            (text_field(&f("label"), &t("doc-act"), "text", &r.label, None, errors))
                            (text_field(&f("amount"), &t("docs-amount"), "text", &r.amount, Some(&t("docs-amount-hint")), errors))
                        }
                    }
                }
                p.hint { (t("docs-blank-lines-hint")) }
                button type="submit" name="add_line" value="1" { (t("docs-add-act")) }
            }
        },
        Kind::Report => html! {
            (text_area("reason", &t("doc-reason"), &form.reason, Some(&t("docs-optional")), errors))
            (text_area("findings", &t("doc-findings"), &form.findings, None, errors))
            (text_area("conclusion", &t("doc-conclusion"), &form.conclusion, Some(&t("docs-optional")), errors))
        },
    }
}

/// The laboratories to choose from (lab requests only).
async fn laboratories(
    page: &Page,
    user: &AuthUser,
    kind: Kind,
) -> Result<Vec<LaboratoryView>, Response> {
    if kind != Kind::LabRequest {
        return Ok(Vec::new());
    }
    list_laboratories(State(page.state.clone()), user.clone())
        .await
        .map(|axum::Json(list)| list)
        .map_err(|e| fault(page, e))
}

/// The logged-in practitioner (others: the login page, or the 404 page as for the API).
fn practitioner(page: &Page) -> Result<AuthUser, Response> {
    match &page.user {
        Some(user) if user.account.role == Role::Practitioner => Ok(user.clone()),
        Some(_) => Err(fault(page, ApiError::not_found())),
        None => Err(redirect("/login")),
    }
}

/// The appointment, when `user` is its practitioner (the 404 page otherwise).
async fn own_appointment(
    page: &Page,
    user: &AuthUser,
    id: &str,
) -> Result<AppointmentView, Response> {
    let view = appointments::get(State(page.state.clone()), user.clone(), Path(id.to_owned()))
        .await
        .map(|axum::Json(v)| v)
        .map_err(|e| fault(page, e))?;
    if user.account.practitioner.map(|p| p.to_string()) != Some(view.practitioner_id.clone()) {
        return Err(fault(page, ApiError::not_found()));
    }
    Ok(view)
}

/// Whether documents may still be issued for an appointment in `status`.
pub fn accepts_documents(status: &str) -> bool {
    !matches!(status, "cancelled" | "no_show")
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct KindQuery {
    kind: String,
}

/// `GET /appointments/{id}/documents/new?kind=`: the empty form of that kind.
pub async fn new_form(
    page: Page,
    Path(id): Path<String>,
    query: Result<Query<KindQuery>, QueryRejection>,
) -> Response {
    let Query(query) = query.unwrap_or_default();
    let user = match practitioner(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Some(kind) = Kind::parse(&query.kind) else {
        return fault(&page, ApiError::not_found());
    };
    let appointment = match own_appointment(&page, &user, &id).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let labs = match laboratories(&page, &user, kind).await {
        Ok(labs) => labs,
        Err(response) => return response,
    };
    let closed = (!accepts_documents(&appointment.status)).then(|| page.t("docs-closed"));
    form_page(
        &page,
        &Target::New(&appointment),
        &DocForm::empty(kind),
        &labs,
        &Errors::new(),
        closed.as_deref(),
        StatusCode::OK,
    )
}

/// The posted form, its CSRF token checked: the practitioner, the form, and whether "add a
/// line" was pressed.
fn posted(
    page: &Page,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<(AuthUser, DocForm, bool), Response> {
    let Ok(Form(pairs)) = form else {
        return Err(bad_form(page));
    };
    let sent = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    let user = csrf::check_session(page, sent)
        .map_err(|_| refused(page))?
        .clone();
    if user.account.role != Role::Practitioner {
        return Err(fault(page, ApiError::not_found()));
    }
    let form = DocForm::from_pairs(&pairs).ok_or_else(|| bad_form(page))?;
    let add_line = pairs.iter().any(|(k, _)| k == "add_line");
    Ok((user, form, add_line))
}

/// The answer to a refused issue or correction: the form again with the messages.
async fn refused_form(
    page: &Page,
    user: &AuthUser,
    target: &Target<'_>,
    form: &DocForm,
    error: ApiError,
) -> Response {
    let labs = match laboratories(page, user, form.kind).await {
        Ok(labs) => labs,
        Err(response) => return response,
    };
    if error.status == StatusCode::UNPROCESSABLE_ENTITY
        && let Some(errors) = form_errors(page, &error)
    {
        return form_page(page, target, form, &labs, &errors, None, error.status);
    }
    let problem = match error.code {
        "appointment_closed" => page.t("docs-closed"),
        "already_dispensed" => page.t("docs-correct-dispensed"),
        "already_superseded" => page.t("docs-correct-superseded"),
        _ => return fault(page, error),
    };
    form_page(
        page,
        target,
        form,
        &labs,
        &Errors::new(),
        Some(&problem),
        error.status,
    )
}

/// The form again as it stands, without errors (after "add a line").
async fn blank_form(page: &Page, user: &AuthUser, target: &Target<'_>, form: &DocForm) -> Response {
    let labs = match laboratories(page, user, form.kind).await {
        Ok(labs) => labs,
        Err(response) => return response,
    };
    form_page(
        page,
        target,
        form,
        &labs,
        &Errors::new(),
        None,
        StatusCode::OK,
    )
}

/// `POST /appointments/{id}/documents/new`: issues through the API, then the document's page;
/// "add a line" shows the form again with one more row.
pub async fn issue(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, mut form, add_line) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let appointment = match own_appointment(&page, &user, &id).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let target = Target::New(&appointment);
    if add_line {
        form.add_line();
        return blank_form(&page, &user, &target, &form).await;
    }
    form.drop_blank_rows();
    let request = form.request();
    match documents::issue_document(
        State(page.state.clone()),
        user.clone(),
        Path(id),
        ApiJson(request),
    )
    .await
    {
        Ok((_, axum::Json(view))) => redirect(&format!("/documents/{}?issued=1", view.id)),
        Err(error) => refused_form(&page, &user, &target, &form, error).await,
    }
}

/// The document to correct: the caller issued it and it is current (else the 404 page, or the
/// document's page saying it was corrected already).
async fn to_correct(page: &Page, user: &AuthUser, id: &str) -> Result<DocumentView, Response> {
    let view =
        documents::get_document(State(page.state.clone()), user.clone(), Path(id.to_owned()))
            .await
            .map(|axum::Json(v)| v)
            .map_err(|e| fault(page, e))?;
    if user.account.practitioner.map(|p| p.to_string()) != Some(view.practitioner_id.clone()) {
        return Err(fault(page, ApiError::not_found()));
    }
    if view.status != "issued" {
        // Its page says by which version it was replaced, under the reason it cannot be.
        return Err(redirect(&format!(
            "/documents/{}?already_corrected=1",
            view.id
        )));
    }
    Ok(view)
}

/// `GET /documents/{id}/correct`: the form prefilled with what the document says.
pub async fn correct_form(page: Page, Path(id): Path<String>) -> Response {
    let user = match practitioner(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let view = match to_correct(&page, &user, &id).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    let Some(form) = DocForm::prefilled(&view) else {
        return fault(&page, ApiError::internal("document content unreadable"));
    };
    blank_form(&page, &user, &Target::Correct(&view), &form).await
}

/// `POST /documents/{id}/correct`: issues the corrected version (the original is kept, marked
/// superseded), then the new document's page.
pub async fn correct(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (user, mut form, add_line) = match posted(&page, form) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let view = match to_correct(&page, &user, &id).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    let target = Target::Correct(&view);
    if add_line {
        form.add_line();
        return blank_form(&page, &user, &target, &form).await;
    }
    form.drop_blank_rows();
    let request = form.request();
    match documents::supersede_document(
        State(page.state.clone()),
        user.clone(),
        Path(id),
        ApiJson(request),
    )
    .await
    {
        Ok((_, axum::Json(new))) => redirect(&format!("/documents/{}?corrected=1", new.id)),
        Err(error) => refused_form(&page, &user, &target, &form, error).await,
    }
}
