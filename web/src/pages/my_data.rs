//! "My data": see and correct what the site holds (GDPR art. 15/16), download it as JSON
//! (art. 20), withdraw a consent, erase the account (art. 17) after an explicit confirmation.
//! Every read is audited by the `crate::me` functions these pages call.

use super::account::language_select;
use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, field_errors, redirect, refused, with_cookie};
use super::layout::{
    FieldErrors, Input, csrf_field, document, endonym, error_summary, notice, respond,
};
use crate::auth::{AuthUser, clear_legacy_session_cookie, clear_session_cookie};
use crate::extract::ClientAddr;
use crate::me::{
    MeUpdate, erase as erase_account, export as export_data, load, rectify as rectify_me,
    withdraw as withdraw_consent,
};
use crate::me_confirm::{Confirm, send_code};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Account;
use teleconsult_core::account::ConfirmationPurpose;
use teleconsult_core::consent::ConsentKind;
use teleconsult_core::patient::Patient;

/// A date in the site's time zone.
fn day(page: &Page, at: Timestamp) -> String {
    let zone =
        jiff::tz::TimeZone::get(&page.state.settings.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    at.to_zoned_datetime(zone).date().to_string()
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct Flash {
    /// Which change just succeeded: `saved` or `withdrawn`.
    done: Option<String>,
}

/// `GET /me`.
pub async fn page(page: Page, flash: Result<Query<Flash>, QueryRejection>) -> Response {
    let Some(user) = page.user.clone() else {
        return redirect("/login");
    };
    let done = flash.ok().and_then(|Query(f)| f.done);
    match load(&page.state, user).await {
        Ok((account, patient)) => {
            let message = match done.as_deref() {
                Some("saved") => Some(page.t("me-saved")),
                Some("withdrawn") => Some(page.t("me-withdrawn")),
                Some("code-sent") => Some(page.t("me-code-sent")),
                _ => None,
            };
            let form = RectifyForm::from_record(&account, patient.as_ref());
            respond(
                StatusCode::OK,
                my_data_page(
                    &page,
                    &account,
                    patient.as_ref(),
                    &form,
                    &FieldErrors::new(),
                    message,
                ),
            )
        }
        Err(error) => fault(&page, error),
    }
}

/// The rectification form as posted (and as shown, pre-filled).
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RectifyForm {
    csrf: String,
    first_name: String,
    last_name: String,
    phone: String,
    email: String,
    language: String,
    /// With `code`: needed to change the phone or the e-mail.
    password: String,
    code: String,
}

impl RectifyForm {
    fn from_record(account: &Account, patient: Option<&Patient>) -> Self {
        Self {
            csrf: String::new(),
            first_name: patient.map(|p| p.first_name.clone()).unwrap_or_default(),
            last_name: patient.map(|p| p.last_name.clone()).unwrap_or_default(),
            phone: account.phone.clone(),
            email: account.email.clone(),
            language: account.language.code().to_owned(),
            password: String::new(),
            code: String::new(),
        }
    }
}

fn my_data_page(
    page: &Page,
    account: &Account,
    patient: Option<&Patient>,
    form: &RectifyForm,
    errors: &FieldErrors,
    message: Option<String>,
) -> Markup {
    let body = html! {
        @if let Some(message) = &message { (notice("success", message)) }
        section aria-labelledby="held" {
            h2 #held { (page.t("me-held")) }
            dl.record {
                dt { (page.t("me-name")) } dd { (account.name) }
                @if let Some(p) = patient {
                    dt { (page.t("register-national-id")) } dd { (p.national_id) }
                    dt { (page.t("register-birth-date")) } dd { (p.birth_date.to_string()) }
                }
                dt { (page.t("register-email")) } dd { (account.email) }
                @if account.login != account.email {
                    dt { (page.t("login-login")) } dd { (account.login) }
                }
                dt { (page.t("register-phone")) } dd { (account.phone) }
                dt { (page.t("field-language")) } dd { (endonym(account.language)) }
                dt { (page.t("me-created")) } dd { (day(page, account.created_at)) }
            }
        }
        section aria-labelledby="rectify" {
            h2 #rectify { (page.t("me-rectify")) }
            (error_summary(page, errors))
            p { (page.t("me-confirm-intro")) }
            form.inline method="post" action="/me/confirmation-code" {
                (csrf_field(page))
                input type="hidden" name="purpose" value="contact_change";
                button type="submit" { (page.t("me-send-code")) }
            }
            form method="post" action="/me" novalidate {
                (csrf_field(page))
                @if patient.is_some() {
                    (Input::new("first_name", page.t("register-first-name"), "text", &form.first_name)
                        .autocomplete("given-name").render(errors))
                    (Input::new("last_name", page.t("register-last-name"), "text", &form.last_name)
                        .autocomplete("family-name").render(errors))
                }
                (Input::new("phone", page.t("register-phone"), "tel", &form.phone)
                    .hint(page.t("register-phone-hint")).autocomplete("tel").render(errors))
                (Input::new("email", page.t("register-email"), "email", &form.email)
                    .autocomplete("email").render(errors))
                (language_select(page, &form.language, errors))
                (Input::new("password", page.t("login-password"), "password", "")
                    .hint(page.t("me-confirm-password-hint")).autocomplete("current-password").render(errors))
                (Input::new("code", page.t("me-confirm-code"), "text", "")
                    .hint(page.t("me-confirm-code-hint")).autocomplete("one-time-code").render(errors))
                button.primary type="submit" { (page.t("me-save")) }
            }
        }
        @if let Some(p) = patient {
            section aria-labelledby="consents" {
                h2 #consents { (page.t("me-consents")) }
                p { (page.t("me-consents-intro")) }
                ul.consents {
                    @for consent in &p.consents {
                        li {
                            strong { (page.t(consent_label(consent.kind))) }
                            " — "
                            @match consent.withdrawn_at {
                                Some(at) => (page.t_args("me-consent-withdrawn", &[("date", &day(page, at))])),
                                None => (page.t_args("me-consent-given", &[("date", &day(page, consent.given_at)), ("version", &consent.text_version)])),
                            }
                            @if consent.withdrawn_at.is_none() {
                                form.inline method="post" action=(format!("/me/consents/{}/withdraw", consent_code(consent.kind))) {
                                    (csrf_field(page))
                                    button type="submit" { (page.t("me-withdraw")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="export" {
            h2 #export { (page.t("me-export")) }
            p { (page.t("me-export-intro")) }
            p { a.button href="/me/export" download="my-data.json" { (page.t("me-export-link")) } }
        }
        section aria-labelledby="erase" {
            h2 #erase { (page.t("me-erase")) }
            p { (page.t("me-erase-intro")) }
            p { a.button.danger href="/me/erase" { (page.t("me-erase-link")) } }
        }
    };
    document(page, &page.t("me-title"), &body)
}

fn consent_label(kind: ConsentKind) -> &'static str {
    match kind {
        ConsentKind::DataProcessing => "consent-data-processing-label",
        ConsentKind::Teleconsultation => "consent-teleconsultation-label",
    }
}

fn consent_code(kind: ConsentKind) -> &'static str {
    match kind {
        ConsentKind::DataProcessing => "data_processing",
        ConsentKind::Teleconsultation => "teleconsultation",
    }
}

/// The logged-in user behind a form of theirs, or the answer to give instead (log in first,
/// or refused without the session's CSRF token).
fn form_user<'p>(page: &'p Page, sent: &str) -> Result<&'p AuthUser, Box<Response>> {
    if page.user.is_none() {
        return Err(Box::new(redirect("/login")));
    }
    csrf::check_session(page, sent).map_err(|_| Box::new(refused(page)))
}

/// `POST /me`: rectification.
pub async fn rectify(page: Page, form: Result<Form<RectifyForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let user = match form_user(&page, &form.csrf) {
        Ok(user) => user.clone(),
        Err(response) => return *response,
    };
    let is_patient = user.account.patient.is_some();
    let update = MeUpdate {
        first_name: is_patient.then(|| form.first_name.clone()),
        last_name: is_patient.then(|| form.last_name.clone()),
        phone: Some(form.phone.clone()),
        email: Some(form.email.clone()),
        language: Some(form.language.clone()),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        code: Some(form.code.trim().to_owned()).filter(|c| !c.is_empty()),
    };
    match rectify_me(&page.state, user.clone(), update).await {
        Ok(_) => redirect("/me?done=saved"),
        Err(error) => {
            let errors = if error.status == StatusCode::CONFLICT {
                Some(FieldErrors::from([(
                    "email",
                    page.t("error-already-registered"),
                )]))
            } else {
                confirmation_errors(&page, &error).or_else(|| field_errors(&page, &error))
            };
            let Some(errors) = errors else {
                return fault(&page, error);
            };
            match load(&page.state, user).await {
                Ok((account, patient)) => respond(
                    error.status,
                    my_data_page(&page, &account, patient.as_ref(), &form, &errors, None),
                ),
                Err(error) => fault(&page, error),
            }
        }
    }
}

/// A refused confirmation (password and code) as a field error of the form.
fn confirmation_errors(page: &Page, error: &crate::error::ApiError) -> Option<FieldErrors> {
    let text = match error.code {
        "confirmation_required" => page.t("me-confirm-required"),
        "invalid_confirmation" => page.t("me-confirm-invalid"),
        _ => return None,
    };
    Some(FieldErrors::from([("code", text)]))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    purpose: String,
}

/// `POST /me/confirmation-code`: sends a code to the current phone, then back to the form
/// that needs it.
pub async fn send_confirmation_code(
    page: Page,
    ClientAddr(client): ClientAddr,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let user = match form_user(&page, &form.csrf) {
        Ok(user) => user.clone(),
        Err(response) => return *response,
    };
    let (purpose, back) = match form.purpose.as_str() {
        "erasure" => (ConfirmationPurpose::Erasure, "/me/erase?sent=1"),
        _ => (ConfirmationPurpose::ContactChange, "/me?done=code-sent"),
    };
    match send_code(&page.state, client, &user, purpose).await {
        Ok(_) => redirect(back),
        Err(error) => fault(&page, error),
    }
}

/// `GET /me/export`: everything held about the user, as a JSON download.
pub async fn export(page: Page) -> Response {
    let Some(user) = page.user.clone() else {
        return redirect("/login");
    };
    match export_data(&page.state, user).await {
        Ok(data) => {
            let body = serde_json::to_string_pretty(&data).unwrap_or_default();
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_static("attachment; filename=\"my-data.json\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(error) => fault(&page, error),
    }
}

/// `POST /me/consents/{kind}/withdraw`.
pub async fn withdraw(
    page: Page,
    Path(kind): Path<String>,
    form: Result<Form<super::login::CsrfOnly>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let user = match form_user(&page, &form.csrf) {
        Ok(user) => user.clone(),
        Err(response) => return *response,
    };
    let kind = match kind.as_str() {
        "data_processing" => ConsentKind::DataProcessing,
        "teleconsultation" => ConsentKind::Teleconsultation,
        _ => return fault(&page, crate::error::ApiError::not_found()),
    };
    match withdraw_consent(&page.state, user, kind).await {
        Ok(_) => redirect("/me?done=withdrawn"),
        Err(error) => fault(&page, error),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SentQuery {
    sent: Option<String>,
}

/// `GET /me/erase`: what erasure means, and the confirmation.
pub async fn erase_form(page: Page, query: Result<Query<SentQuery>, QueryRejection>) -> Response {
    if page.user.is_none() {
        return redirect("/login");
    }
    let sent = query.ok().and_then(|Query(q)| q.sent).is_some();
    respond(StatusCode::OK, erase_page(&page, &FieldErrors::new(), sent))
}

fn erase_page(page: &Page, errors: &FieldErrors, sent: bool) -> Markup {
    let error = errors.get("confirm");
    let body = html! {
        @if sent { (notice("success", &page.t("me-code-sent"))) }
        p { (page.t("erase-what")) }
        p { (page.t("erase-kept")) }
        (error_summary(page, errors))
        p { (page.t("erase-confirm-intro")) }
        form.inline method="post" action="/me/confirmation-code" {
            (csrf_field(page))
            input type="hidden" name="purpose" value="erasure";
            button type="submit" { (page.t("me-send-code")) }
        }
        form method="post" action="/me/erase" novalidate {
            (csrf_field(page))
            div.field.checkbox.invalid[error.is_some()] {
                @if let Some(error) = error {
                    p.error id="confirm-error" { (error) }
                }
                input type="checkbox" id="confirm" name="confirm" required
                    aria-invalid=[error.is_some().then_some("true")]
                    aria-describedby=[error.is_some().then_some("confirm-error")];
                label for="confirm" { (page.t("erase-confirm")) }
            }
            (Input::new("password", page.t("login-password"), "password", "")
                .autocomplete("current-password").render(errors))
            (Input::new("code", page.t("me-confirm-code"), "text", "")
                .hint(page.t("me-confirm-code-hint")).autocomplete("one-time-code").render(errors))
            button.danger type="submit" { (page.t("erase-submit")) }
        }
        p { a href="/me" { (page.t("erase-cancel")) } }
    };
    document(page, &page.t("erase-title"), &body)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EraseForm {
    csrf: String,
    confirm: Option<String>,
    password: String,
    code: String,
}

/// `POST /me/erase`: erases the account, ends the session, says what was kept.
pub async fn erase(page: Page, form: Result<Form<EraseForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let user = match form_user(&page, &form.csrf) {
        Ok(user) => user.clone(),
        Err(response) => return *response,
    };
    if form.confirm.is_none() {
        let errors = FieldErrors::from([("confirm", page.t("erase-confirm-missing"))]);
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            erase_page(&page, &errors, false),
        );
    }
    let confirm = Confirm {
        password: Some(form.password).filter(|p| !p.is_empty()),
        code: Some(form.code.trim().to_owned()).filter(|c| !c.is_empty()),
    };
    match erase_account(&page.state, user, confirm).await {
        Ok(_) => {
            let page = page.logged_out();
            let body = html! {
                (notice("success", &page.t("erase-done")))
                p { (page.t("erase-kept")) }
                p { a href="/" { (page.t("back-home")) } }
            };
            with_cookie(
                with_cookie(
                    respond(
                        StatusCode::OK,
                        document(&page, &page.t("erase-done-title"), &body),
                    ),
                    &clear_session_cookie(),
                ),
                &clear_legacy_session_cookie(),
            )
        }
        Err(error) => match confirmation_errors(&page, &error) {
            Some(errors) => respond(error.status, erase_page(&page, &errors, false)),
            None => fault(&page, error),
        },
    }
}
