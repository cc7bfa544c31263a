//! Login in two steps (password, then the 6-digit code received by SMS or shown by the
//! account's authenticator app), logout, and the password reset by e-mailed link.
//!
//! Between the two login steps the challenge id travels in a short-lived `__Host-tc_challenge`
//! cookie (HttpOnly), never in the URL, so it does not end up in history or logs.

use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, field_errors, redirect, refused, too_many, with_cookie};
use super::layout::{FieldErrors, Input, csrf_field, document, error_summary, notice, respond};
use crate::auth::{
    attempts_left, clear_legacy_session_cookie, clear_session_cookie, confirm_password_reset,
    cookie, end_session, finish_login, password_reset_account, request_password_reset, start_login,
};
use crate::extract::ClientAddr;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::totp::Factor;

/// Holds the challenge id between the password and the code (as long as a code lives, and
/// then some).
const CHALLENGE_COOKIE: &str = "__Host-tc_challenge";

fn challenge_cookie(id: &str) -> String {
    format!("{CHALLENGE_COOKIE}={id}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=900")
}

fn clear_challenge_cookie() -> String {
    format!("{CHALLENGE_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    login: String,
    password: String,
}

/// `GET /login`.
pub async fn login_form(page: Page) -> Response {
    if page.user.is_some() {
        return redirect("/home");
    }
    respond(StatusCode::OK, login_page(&page, "", None))
}

fn login_page(page: &Page, login: &str, problem: Option<&str>) -> Markup {
    let body = html! {
        @if let Some(problem) = problem { (notice("error", problem)) }
        form method="post" action="/login" novalidate {
            (csrf_field(page))
            (Input::new("login", page.t("login-login"), "text", login)
                .hint(page.t("login-login-hint")).autocomplete("username").render(&FieldErrors::new()))
            (Input::new("password", page.t("login-password"), "password", "")
                .autocomplete("current-password").render(&FieldErrors::new()))
            button.primary type="submit" { (page.t("login-submit")) }
        }
        p { a href="/password-reset" { (page.t("login-forgot")) } }
        p { (page.t("login-no-account")) " " a href="/register" { (page.t("nav-register")) } }
    };
    document(page, &page.t("login-title"), &body)
}

/// `POST /login`: checks the password; on success the code goes out by SMS.
pub async fn login(
    page: Page,
    ClientAddr(client): ClientAddr,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    if csrf::check_public(&page, &form.csrf).is_err() {
        return refused(&page);
    }
    match start_login(&page.state, client, form.login.clone(), form.password).await {
        Ok((challenge, factor)) => {
            let next = match factor {
                Factor::Sms => "/login/code",
                Factor::Totp => "/login/code?factor=totp",
            };
            with_cookie(redirect(next), &challenge_cookie(&challenge))
        }
        Err(error) => {
            let problem = match error.code {
                "invalid_credentials" => page.t("login-invalid"),
                "not_activated" => page.t("login-not-activated"),
                _ => return fault(&page, error),
            };
            respond(error.status, login_page(&page, &form.login, Some(&problem)))
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
    /// `totp` when the code comes from the authenticator app (only changes the texts).
    factor: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CodeQuery {
    factor: String,
}

/// `GET /login/code` (`?factor=totp`: the authenticator app's code, nothing was sent).
pub async fn code_form(
    page: Page,
    headers: HeaderMap,
    query: Result<Query<CodeQuery>, QueryRejection>,
) -> Response {
    if cookie(&headers, CHALLENGE_COOKIE).is_none_or(|c| c.is_empty()) {
        return redirect("/login");
    }
    let app = query.is_ok_and(|Query(q)| q.factor == "totp");
    respond(StatusCode::OK, code_page(&page, app, &FieldErrors::new()))
}

/// The code step; `app`: the code comes from the authenticator app.
fn code_page(page: &Page, app: bool, errors: &FieldErrors) -> Markup {
    let (intro, hint) = if app {
        ("code-intro-totp", "code-hint-totp")
    } else {
        ("code-intro", "code-hint")
    };
    let body = html! {
        p { (page.t(intro)) }
        (error_summary(page, errors))
        form method="post" action="/login/code" novalidate {
            (csrf_field(page))
            @if app { input type="hidden" name="factor" value="totp"; }
            (Input::new("code", page.t("code-label"), "text", "")
                .hint(page.t(hint)).autocomplete("one-time-code").inputmode("numeric")
                .render(errors))
            button.primary type="submit" { (page.t("code-submit")) }
        }
        p { a href="/login" { (page.t("code-restart")) } }
    };
    document(page, &page.t("code-title"), &body)
}

/// `POST /login/code`: the SMS or app code; opens the session and goes to the home page.
pub async fn code(
    page: Page,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    if csrf::check_public(&page, &form.csrf).is_err() {
        return refused(&page);
    }
    let Some(challenge) = cookie(&headers, CHALLENGE_COOKIE).filter(|c| !c.is_empty()) else {
        return redirect("/login");
    };
    let code = form.code.trim().replace(' ', "");
    match finish_login(&page.state, client, challenge, code).await {
        Ok(opened) => {
            let mut response = with_cookie(redirect("/home"), &clear_challenge_cookie());
            if let Some(session) = opened.cookie(page.state.clock.now()) {
                response.headers_mut().append(header::SET_COOKIE, session);
            }
            response
        }
        Err(error) if error.code == "invalid_code" => {
            let message = match attempts_left(&error) {
                Some(left) => page.t_args("code-wrong", &[("left", &left.to_string())]),
                None => page.t("code-expired"),
            };
            let errors = FieldErrors::from([("code", message)]);
            respond(
                error.status,
                code_page(&page, form.factor == "totp", &errors),
            )
        }
        Err(error) if error.code == "code_expired" => {
            let response = respond(
                error.status,
                login_page(&page, "", Some(&page.t("code-expired"))),
            );
            with_cookie(response, &clear_challenge_cookie())
        }
        Err(error) => fault(&page, error),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    pub(super) csrf: String,
}

/// `POST /logout`.
pub async fn logout(page: Page, form: Result<Form<CsrfOnly>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    if page.user.is_none() {
        return redirect("/");
    }
    let Ok(user) = csrf::check_session(&page, &form.csrf) else {
        return refused(&page);
    };
    match end_session(&page.state, user).await {
        Ok(()) => with_cookie(
            with_cookie(redirect("/"), &clear_session_cookie()),
            &clear_legacy_session_cookie(),
        ),
        Err(error) => fault(&page, error),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ResetQuery {
    token: Option<String>,
}

/// `GET /password-reset` (ask for a link) and `GET /password-reset?token=…` (the e-mailed link:
/// choose the new password, in the account's language).
pub async fn reset_page(page: Page, query: Result<Query<ResetQuery>, QueryRejection>) -> Response {
    let token = query.ok().and_then(|Query(q)| q.token);
    let Some(token) = token else {
        return respond(StatusCode::OK, reset_request_page(&page, None));
    };
    match password_reset_account(&page.state, token.clone()).await {
        Ok(Some(account)) => {
            let page = if page.user.is_none() {
                page.in_language(account.language)
            } else {
                page
            };
            respond(
                StatusCode::OK,
                new_password_page(&page, &token, &FieldErrors::new()),
            )
        }
        Ok(None) => reset_link_invalid(&page),
        Err(error) => fault(&page, error),
    }
}

fn reset_request_page(page: &Page, sent: Option<&str>) -> Markup {
    let body = html! {
        @if let Some(sent) = sent {
            (notice("success", sent))
        } @else {
            p { (page.t("reset-intro")) }
            form method="post" action="/password-reset" novalidate {
                (csrf_field(page))
                (Input::new("login", page.t("login-login"), "text", "")
                    .hint(page.t("login-login-hint")).autocomplete("username").render(&FieldErrors::new()))
                button.primary type="submit" { (page.t("reset-submit")) }
            }
        }
        p { a href="/login" { (page.t("nav-login")) } }
    };
    document(page, &page.t("reset-title"), &body)
}

fn new_password_page(page: &Page, token: &str, errors: &FieldErrors) -> Markup {
    let body = html! {
        (error_summary(page, errors))
        form method="post" action="/password-reset/confirm" novalidate {
            (csrf_field(page))
            input type="hidden" name="token" value=(token);
            (Input::new("password", page.t("reset-new-password"), "password", "")
                .hint(page.t("password-rule")).autocomplete("new-password").render(errors))
            (Input::new("password_confirm", page.t("register-password-confirm"), "password", "")
                .autocomplete("new-password").render(errors))
            button.primary type="submit" { (page.t("reset-confirm-submit")) }
        }
    };
    document(page, &page.t("reset-new-title"), &body)
}

fn reset_link_invalid(page: &Page) -> Response {
    let body = html! {
        p role="alert" { (page.t("reset-invalid")) }
        p { a.button href="/password-reset" { (page.t("reset-again")) } }
    };
    respond(
        StatusCode::BAD_REQUEST,
        document(page, &page.t("reset-invalid-title"), &body),
    )
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ResetRequestForm {
    csrf: String,
    login: String,
}

/// `POST /password-reset`: e-mails a link if the account exists; the answer is the same
/// either way.
pub async fn reset_request(
    page: Page,
    ClientAddr(client): ClientAddr,
    form: Result<Form<ResetRequestForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    if csrf::check_public(&page, &form.csrf).is_err() {
        return refused(&page);
    }
    match request_password_reset(&page.state, client, form.login).await {
        Ok(()) => respond(
            StatusCode::OK,
            reset_request_page(&page, Some(&page.t("reset-sent"))),
        ),
        Err(error) if error.status == StatusCode::TOO_MANY_REQUESTS => {
            too_many(&page, error.retry_after_s.unwrap_or(60), "/password-reset")
        }
        Err(error) => fault(&page, error),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct NewPasswordForm {
    csrf: String,
    token: String,
    password: String,
    password_confirm: String,
}

/// `POST /password-reset/confirm`: sets the new password.
pub async fn reset_confirm(
    page: Page,
    form: Result<Form<NewPasswordForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    if csrf::check_public(&page, &form.csrf).is_err() {
        return refused(&page);
    }
    if form.password != form.password_confirm {
        let errors = FieldErrors::from([("password_confirm", page.t("error-password-confirm"))]);
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            new_password_page(&page, &form.token, &errors),
        );
    }
    match confirm_password_reset(&page.state, form.token.clone(), form.password).await {
        Ok(account) => {
            let page = if page.user.is_none() {
                page.in_language(account.language)
            } else {
                page
            };
            let body = html! {
                (notice("success", &page.t("reset-done")))
                p { a.button.primary href="/login" { (page.t("activation-login")) } }
            };
            respond(
                StatusCode::OK,
                document(&page, &page.t("reset-done-title"), &body),
            )
        }
        Err(error) if error.code == "invalid_token" => reset_link_invalid(&page),
        Err(error) => match field_errors(&page, &error) {
            Some(errors) => respond(error.status, new_password_page(&page, &form.token, &errors)),
            None => fault(&page, error),
        },
    }
}
