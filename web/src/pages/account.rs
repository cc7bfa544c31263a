//! Registration of a patient (the seed's « S'inscrire » column), "check your e-mail", and the
//! activation link of the e-mail.

use super::context::{LANG_COOKIE, Page};
use super::csrf;
use super::errors::{bad_form, fault, field_errors, redirect, refused, with_cookie};
use super::layout::{FieldErrors, Input, csrf_field, document, endonym, error_summary, respond};
use crate::extract::{ApiJson, ClientAddr};
use crate::patients::{CONSENT_TEXT_VERSION, ConsentsInput, RegisterPatient, register_patient};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::account::TokenPurpose;
use teleconsult_core::national_id::Country;

/// The registration form as posted. Every field defaults to empty, so a missing one is reported
/// as a field error (or, for `csrf`, refused) rather than rejected wholesale.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    csrf: String,
    national_id: String,
    first_name: String,
    last_name: String,
    birth_date: String,
    phone: String,
    email: String,
    language: String,
    password: String,
    password_confirm: String,
    /// Checkboxes: present ("on") when ticked.
    data_processing: Option<String>,
    teleconsultation: Option<String>,
}

/// `GET /register`.
pub async fn register_form(page: Page) -> Response {
    if page.user.is_some() {
        return redirect("/home");
    }
    let form = RegisterForm {
        language: page.lang.code().to_owned(),
        ..RegisterForm::default()
    };
    respond(
        StatusCode::OK,
        register_page(&page, &form, &FieldErrors::new()),
    )
}

/// `POST /register`: the API's registration, then "check your e-mail".
pub async fn register(
    page: Page,
    ClientAddr(client): ClientAddr,
    form: Result<Form<RegisterForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    if csrf::check_public(&page, &form.csrf).is_err() {
        return refused(&page);
    }
    let request = RegisterPatient {
        national_id: form.national_id.clone(),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        birth_date: form.birth_date.clone(),
        phone: form.phone.clone(),
        email: form.email.clone(),
        language: form.language.clone(),
        password: form.password.clone(),
        consents: ConsentsInput {
            data_processing: form.data_processing.is_some(),
            teleconsultation: form.teleconsultation.is_some(),
        },
    };
    if form.password != form.password_confirm {
        // Reported together with whatever else is wrong, so the form is fixed in one go.
        let checked = page
            .state
            .app
            .check_registration(&request.clone().into())
            .map_err(crate::error::ApiError::from);
        let mut errors = checked
            .err()
            .and_then(|e| field_errors(&page, &e))
            .unwrap_or_default();
        errors.insert("password_confirm", page.t("error-password-confirm"));
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            register_page(&page, &form, &errors),
        );
    }
    match register_patient(
        State(page.state.clone()),
        ClientAddr(client),
        ApiJson(request),
    )
    .await
    {
        Ok(_) => redirect("/register/done"),
        Err(error) => {
            let errors = if error.code == "already_exists" {
                // The store says which unique value is taken ("national id" or "e-mail").
                let field = if error.message.contains("mail") {
                    "email"
                } else {
                    "national_id"
                };
                Some(FieldErrors::from([(
                    field,
                    page.t("error-already-registered"),
                )]))
            } else {
                field_errors(&page, &error)
            };
            match errors {
                Some(errors) => respond(error.status, register_page(&page, &form, &errors)),
                None => fault(&page, error),
            }
        }
    }
}

fn national_id_hint(page: &Page) -> String {
    page.t(match page.state.settings.country {
        Country::LU => "register-national-id-hint-lu",
        Country::FR => "register-national-id-hint-fr",
        Country::PT => "register-national-id-hint-pt",
    })
}

fn register_page(page: &Page, form: &RegisterForm, errors: &FieldErrors) -> Markup {
    let consent_checkbox = |name: &'static str, label: &str, text: &str| {
        let error = errors.get(name);
        let checked = match name {
            "data_processing" => form.data_processing.is_some(),
            _ => form.teleconsultation.is_some(),
        };
        html! {
            div.field.checkbox.invalid[error.is_some()] {
                p.consent-text id=(format!("{name}-hint")) { (text) }
                @if let Some(error) = error {
                    p.error id=(format!("{name}-error")) { (error) }
                }
                input type="checkbox" id=(name) name=(name) required checked[checked]
                    aria-invalid=[error.is_some().then_some("true")]
                    aria-describedby=(super::layout::described_by(name, true, error.is_some()).unwrap_or_default());
                label for=(name) { (label) }
            }
        }
    };
    let body = html! {
        p { (page.t("register-intro")) }
        (error_summary(page, errors))
        form method="post" action="/register" novalidate {
            (csrf_field(page))
            fieldset {
                legend { (page.t("register-identity")) }
                (Input::new("national_id", page.t("register-national-id"), "text", &form.national_id)
                    .hint(national_id_hint(page)).render(errors))
                (Input::new("first_name", page.t("register-first-name"), "text", &form.first_name)
                    .autocomplete("given-name").render(errors))
                (Input::new("last_name", page.t("register-last-name"), "text", &form.last_name)
                    .autocomplete("family-name").render(errors))
                (Input::new("birth_date", page.t("register-birth-date"), "date", &form.birth_date)
                    .hint(page.t("register-birth-date-hint")).autocomplete("bday").render(errors))
            }
            fieldset {
                legend { (page.t("register-contact")) }
                (Input::new("phone", page.t("register-phone"), "tel", &form.phone)
                    .hint(page.t("register-phone-hint")).autocomplete("tel").render(errors))
                (Input::new("email", page.t("register-email"), "email", &form.email)
                    .hint(page.t("register-email-hint")).autocomplete("email").render(errors))
                (language_select(page, &form.language, errors))
            }
            fieldset {
                legend { (page.t("register-password-legend")) }
                (Input::new("password", page.t("register-password"), "password", "")
                    .hint(page.t("password-rule")).autocomplete("new-password").render(errors))
                (Input::new("password_confirm", page.t("register-password-confirm"), "password", "")
                    .autocomplete("new-password").render(errors))
            }
            fieldset {
                legend { (page.t("register-consents")) }
                p.hint { (page.t_args("register-consents-version", &[("version", CONSENT_TEXT_VERSION)])) }
                (consent_checkbox("data_processing", &page.t("consent-data-processing-label"), &page.t("consent-data-processing-text")))
                (consent_checkbox("teleconsultation", &page.t("consent-teleconsultation-label"), &page.t("consent-teleconsultation-text")))
            }
            button.primary type="submit" { (page.t("register-submit")) }
        }
        p { (page.t("register-have-account")) " " a href="/login" { (page.t("nav-login")) } }
    };
    document(page, &page.t("register-title"), &body)
}

/// The language of messages (and of the pages once logged in), the site's languages offered.
pub fn language_select(page: &Page, selected: &str, errors: &FieldErrors) -> Markup {
    let error = errors.get("language");
    html! {
        div.field.invalid[error.is_some()] {
            label for="language" { (page.t("field-language")) }
            @if let Some(error) = error {
                p.error id="language-error" { (error) }
            }
            select id="language" name="language"
                aria-invalid=[error.is_some().then_some("true")]
                aria-describedby=[error.is_some().then_some("language-error")] {
                @for language in &page.state.settings.languages {
                    option value=(language.code()) lang=(language.code())
                        selected[language.code() == selected] { (endonym(*language)) }
                }
            }
        }
    }
}

/// `GET /register/done`: "check your e-mail".
pub async fn check_email(page: Page) -> Response {
    let body = html! {
        p.notice.success role="status" { (page.t("check-email-sent")) }
        p { (page.t("check-email-next")) }
        p { (page.t("check-email-spam")) }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("check-email-title"), &body),
    )
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

/// `GET /activate?token=…` (the link of the activation e-mail): a page with one button that
/// activates the account (a POST). Opening the link activates nothing: mail scanners and link
/// previews follow links.
pub async fn activate_page(
    page: Page,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let token = query.map(|Query(q)| q.token).unwrap_or_default();
    if token.is_empty() {
        return invalid_link(&page);
    }
    let now = page.state.clock.now();
    let lookup = token.clone();
    let pending = page
        .state
        .blocking(move |inner| {
            Ok(inner
                .store
                .peek_token_account(&lookup, TokenPurpose::Activation, now)?)
        })
        .await;
    let account = match pending {
        Ok(Some(account)) => account,
        Ok(None) => return invalid_link(&page),
        Err(error) => return fault(&page, error),
    };
    let page = page.in_language(account.language);
    let body = html! {
        p { (page.t("activation-intro")) }
        form method="post" action="/activate" {
            (csrf_field(&page))
            input type="hidden" name="token" value=(token);
            button.primary type="submit" { (page.t("activation-submit")) }
        }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("activation-title"), &body),
    )
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ActivateForm {
    csrf: String,
    token: String,
}

/// `POST /activate` (the button of the page above): activates the account, then sends the
/// browser to the "account active" page in the account's language.
pub async fn activate(page: Page, form: Result<Form<ActivateForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    if csrf::check_public(&page, &form.csrf).is_err() {
        return refused(&page);
    }
    if form.token.is_empty() {
        return invalid_link(&page);
    }
    match crate::auth::activate_account(&page.state, form.token).await {
        Ok(account) => with_cookie(
            redirect("/activate/done"),
            &language_cookie(account.language.code()),
        ),
        Err(error) if error.code == "invalid_token" => invalid_link(&page),
        Err(error) => fault(&page, error),
    }
}

/// The `tc_lang` cookie, kept a year.
pub fn language_cookie(code: &str) -> String {
    format!("{LANG_COOKIE}={code}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=31536000")
}

fn invalid_link(page: &Page) -> Response {
    let body = html! {
        p role="alert" { (page.t("activation-invalid")) }
        p { a.button href="/login" { (page.t("nav-login")) } }
    };
    respond(
        StatusCode::BAD_REQUEST,
        document(page, &page.t("activation-invalid-title"), &body),
    )
}

/// `GET /activate/done`: the account is active; log in.
pub async fn activated(page: Page) -> Response {
    let body = html! {
        p.notice.success role="status" { (page.t("activation-done")) }
        p { a.button.primary href="/login" { (page.t("activation-login")) } }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("activation-done-title"), &body),
    )
}
