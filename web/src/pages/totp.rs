//! `/account/totp`: setting up an authenticator app (the second factor that works without the
//! WAN), confirming it with its first code, and removing it. The QR code of the `otpauth://`
//! URI is inline SVG (an image element, no script or style: the CSP holds), with the secret as
//! text for apps that cannot scan. The work is `crate::totp`'s, as for the API.

use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::layout::{FieldErrors, Input, csrf_field, document, error_summary, notice, respond};
use crate::error::ApiError;
use crate::totp::{TotpStarted, confirm, remove, start, started, status_of};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use teleconsult_core::account::{Account, Role};

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct Flash {
    /// `enrolled` or `removed`.
    done: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    password: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RemoveForm {
    csrf: String,
    password: String,
    code: String,
}

/// `GET /account/totp`: the state of the caller's app and the form that fits it.
pub async fn page(page: Page, flash: Result<Query<Flash>, QueryRejection>) -> Response {
    let done = flash.map(|Query(f)| f.done).unwrap_or_default();
    let message = match done.as_str() {
        "enrolled" => Some(page.t("totp-enrolled")),
        "removed" => Some(page.t("totp-removed")),
        _ => None,
    };
    render(
        &page,
        StatusCode::OK,
        message.as_deref(),
        &FieldErrors::new(),
    )
}

/// The page for the caller's state, with `errors` on its form.
fn render(page: &Page, status: StatusCode, done: Option<&str>, errors: &FieldErrors) -> Response {
    let Some(user) = page.user.as_ref() else {
        return redirect("/login");
    };
    let state = status_of(&page.state, &user.account);
    let body = html! {
        @if let Some(done) = done { (notice("success", done)) }
        p { (page.t("totp-intro")) }
        @if !state.offered {
            p { (page.t("totp-not-offered")) }
        } @else if state.enrolled {
            (remove_form(page, errors))
        } @else if state.pending {
            @if let Some(setup) = started(&page.state, &user.account) {
                (confirm_form(page, &setup, errors))
            }
        } @else {
            (start_form(page, errors))
        }
        p { a href="/home" { (page.t("back-home")) } }
    };
    respond(status, document(page, &page.t("totp-title"), &body))
}

fn start_form(page: &Page, errors: &FieldErrors) -> Markup {
    html! {
        p { (page.t("totp-start-intro")) }
        (error_summary(page, errors))
        form method="post" action="/account/totp/start" novalidate {
            (csrf_field(page))
            (Input::new("password", page.t("login-password"), "password", "")
                .autocomplete("current-password").render(errors))
            button.primary type="submit" { (page.t("totp-start")) }
        }
    }
}

fn confirm_form(page: &Page, setup: &TotpStarted, errors: &FieldErrors) -> Markup {
    html! {
        ol {
            li { (page.t("totp-step-scan")) }
            li { (page.t("totp-step-confirm")) }
        }
        figure.qr {
            (qr_svg(&setup.otpauth_uri, &page.t("totp-qr-label")))
            figcaption {
                (page.t("totp-secret-label")) " "
                code.secret { (spaced(&setup.secret)) }
            }
        }
        (error_summary(page, errors))
        form method="post" action="/account/totp/confirm" novalidate {
            (csrf_field(page))
            (Input::new("code", page.t("code-label"), "text", "")
                .hint(page.t("totp-code-hint")).autocomplete("one-time-code").inputmode("numeric")
                .render(errors))
            button.primary type="submit" { (page.t("totp-confirm")) }
        }
    }
}

fn remove_form(page: &Page, errors: &FieldErrors) -> Markup {
    html! {
        p { (page.t("totp-active")) }
        h2 { (page.t("totp-remove-title")) }
        p { (page.t("totp-remove-intro")) }
        (error_summary(page, errors))
        form method="post" action="/account/totp/remove" novalidate {
            (csrf_field(page))
            (Input::new("password", page.t("login-password"), "password", "")
                .autocomplete("current-password").render(errors))
            (Input::new("code", page.t("code-label"), "text", "")
                .hint(page.t("totp-code-hint")).autocomplete("one-time-code").inputmode("numeric")
                .render(errors))
            button type="submit" { (page.t("totp-remove")) }
        }
    }
}

/// On the home page of staff and practitioners of a booth site without an app: a request to
/// set one up (logins must work with the WAN down). A nudge, never a lock.
pub(super) fn nudge(page: &Page, account: &Account) -> Markup {
    let asked = page.state.settings.totp_nudge
        && matches!(account.role, Role::Staff | Role::Practitioner)
        && !account.uses_totp();
    html! {
        @if asked {
            div.notice.warning role="status" {
                p { (page.t("totp-nudge")) }
                p { a.button.primary href="/account/totp" { (page.t("totp-nudge-action")) } }
            }
        }
    }
}

/// The link to the page, in a home page's list, when the site offers apps.
pub(super) fn link(page: &Page) -> Markup {
    html! {
        @if page.state.settings.totp_offered {
            li { a href="/account/totp" { (page.t("totp-title")) } }
        }
    }
}

/// The secret in groups of four, as authenticator apps show and take it.
fn spaced(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code of `text` as an inline SVG image (one path of dark modules, a quiet zone of 4),
/// labelled for screen readers.
fn qr_svg(text: &str, label: &str) -> Markup {
    let Ok(code) = teleconsult_render::qr::Qr::new(text) else {
        return html! {};
    };
    let size = code.width() + 8;
    let mut path = String::new();
    for (row, column) in code.dark_modules() {
        path.push_str(&format!("M{} {}h1v1h-1z", column + 4, row + 4));
    }
    let size = size.to_string();
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {size} {size}"))
            width="240" height="240" role="img" aria-label=(label) shape-rendering="crispEdges" {
            rect width=(size) height=(size) fill="#fff" {}
            path d=(path) fill="#000" {}
        }
    }
}

/// The message of a refused form, for its field.
fn problem(page: &Page, error: &ApiError) -> Option<FieldErrors> {
    let (field, id) = match error.code {
        "invalid_password" => ("password", "totp-wrong-password"),
        "invalid_code" => ("code", "totp-wrong-code"),
        "totp_not_started" => ("code", "totp-expired"),
        _ => return None,
    };
    Some(FieldErrors::from([(field, page.t(id))]))
}

/// The answer to a refused form: the page again with the problem, or the error page.
fn refused_form(page: &Page, error: ApiError) -> Response {
    match problem(page, &error) {
        Some(errors) => render(page, error.status, None, &errors),
        None if error.code == "totp_already_enrolled" || error.code == "totp_not_enrolled" => {
            redirect("/account/totp")
        }
        None => fault(page, error),
    }
}

/// `POST /account/totp/start` (password): a new secret, then the QR code.
pub async fn start_setup(page: Page, form: Result<Form<PasswordForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf) else {
        return refused(&page);
    };
    match start(&page.state, user, form.password).await {
        Ok(_) => redirect("/account/totp"),
        Err(error) => refused_form(&page, error),
    }
}

/// `POST /account/totp/confirm` (code): the app's first code.
pub async fn confirm_setup(page: Page, form: Result<Form<CodeForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf) else {
        return refused(&page);
    };
    match confirm(&page.state, user, form.code).await {
        Ok(()) => redirect("/account/totp?done=enrolled"),
        Err(error) => refused_form(&page, error),
    }
}

/// `POST /account/totp/remove` (password and a current code).
pub async fn remove_app(page: Page, form: Result<Form<RemoveForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf) else {
        return refused(&page);
    };
    match remove(&page.state, user, form.password, form.code).await {
        Ok(()) => redirect("/account/totp?done=removed"),
        Err(error) => refused_form(&page, error),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_qr_code_is_an_svg_image_without_script_or_style() {
        let svg = super::qr_svg("otpauth://totp/A:b?secret=GEZDGNBV", "QR \"code\"").into_string();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"QR &quot;code&quot;\""), "{svg}");
        assert!(!svg.contains("style") && !svg.contains("script"));
        assert!(svg.contains("h1v1h-1z"));
    }

    #[test]
    fn the_secret_is_shown_in_groups_of_four() {
        assert_eq!(super::spaced("GEZDGNBVGY"), "GEZD GNBV GY");
    }
}
