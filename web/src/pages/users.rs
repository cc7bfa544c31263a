//! The administrators' accounts page: every account with its role and state, a form to create
//! a practitioner, staff, pharmacist or administrator account, a button to disable one and one
//! to reset an account's authenticator app (a lost phone).
//! The API's handlers do the work (`users::list_users`, `users::add_user`, `users::disable`).

use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::layout::{FieldErrors, Input, csrf_field, document, error_summary, notice, respond};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::users::{self, NewUser, UserSummary};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use teleconsult_core::account::Role;

const ROLES: [&str; 4] = ["practitioner", "staff", "pharmacist", "admin"];

fn admin(page: &Page) -> Result<AuthUser, Response> {
    match &page.user {
        Some(user) if user.account.role == Role::Admin => Ok(user.clone()),
        Some(_) => Err(fault(page, ApiError::forbidden("administrators only"))),
        None => Err(redirect("/login")),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    csrf: String,
    role: String,
    login: String,
    name: String,
    email: String,
    phone: String,
    specialty: String,
    password: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    added: Option<String>,
    disabled: Option<String>,
    totp_reset: Option<String>,
}

/// `GET /admin/users`.
pub async fn page(page: Page, query: Result<Query<DoneQuery>, QueryRejection>) -> Response {
    let Query(query) = query.unwrap_or_default();
    let done = if query.added.is_some() {
        Some(page.t("users-added"))
    } else if query.disabled.is_some() {
        Some(page.t("users-disabled"))
    } else if query.totp_reset.is_some() {
        Some(page.t("totp-admin-done"))
    } else {
        None
    };
    let form = UserForm {
        role: "staff".to_owned(),
        ..UserForm::default()
    };
    render(page, &form, &FieldErrors::new(), done, StatusCode::OK).await
}

fn role_label(page: &Page, role: &str) -> String {
    page.t(match role {
        "practitioner" => "role-practitioner",
        "staff" => "role-staff",
        "pharmacist" => "role-pharmacist",
        "admin" => "role-admin",
        _ => "role-patient",
    })
}

fn status_label(page: &Page, status: &str) -> String {
    page.t(match status {
        "active" => "users-status-active",
        "disabled" => "users-status-disabled",
        _ => "users-status-pending",
    })
}

async fn render(
    page: Page,
    form: &UserForm,
    errors: &FieldErrors,
    done: Option<String>,
    status: StatusCode,
) -> Response {
    let user = match admin(&page) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let own = user.account.id.to_string();
    let list: Vec<UserSummary> = match users::list_users(State(page.state.clone()), user).await {
        Ok(axum::Json(list)) => list,
        Err(error) => return fault(&page, error),
    };
    let role_error = errors.get("role");
    let body = html! {
        @if let Some(done) = &done { (notice("ok", done)) }
        section aria-labelledby="accounts" {
            h2 #accounts { (page.t("users-list")) }
            div.table-wrap {
                table.day {
                    thead { tr {
                        th scope="col" { (page.t("users-login")) }
                        th scope="col" { (page.t("users-name")) }
                        th scope="col" { (page.t("users-role")) }
                        th scope="col" { (page.t("users-status")) }
                        th scope="col" { span.visually-hidden { (page.t("users-actions")) } }
                    } }
                    tbody {
                        @for u in &list {
                            tr.cancelled[u.status == "disabled"] {
                                td { (u.login) }
                                td { (u.name) }
                                td { (role_label(&page, &u.role)) }
                                td { (status_label(&page, &u.status)) }
                                td {
                                    @if u.status != "disabled" && u.id != own {
                                        form.inline method="post" action=(format!("/admin/users/{}/disable", u.id)) {
                                            (csrf_field(&page))
                                            button.danger type="submit" aria-label=(page.t_args("users-disable-label", &[("name", &u.login)])) { (page.t("users-disable")) }
                                        }
                                    }
                                    @if u.totp {
                                        form.inline method="post" action=(format!("/admin/users/{}/reset-totp", u.id)) {
                                            (csrf_field(&page))
                                            button type="submit" aria-label=(page.t_args("totp-admin-reset-label", &[("name", &u.login)])) { (page.t("totp-admin-reset")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="add" {
            h2 #add { (page.t("users-add")) }
            (error_summary(&page, errors))
            form method="post" action="/admin/users" novalidate {
                (csrf_field(&page))
                div.field.invalid[role_error.is_some()] {
                    label for="role" { (page.t("users-role")) }
                    @if let Some(error) = role_error { p.error #role-error { (error) } }
                    select #role name="role" aria-describedby=[role_error.map(|_| "role-error")] {
                        @for r in ROLES {
                            option value=(r) selected[form.role == r] { (role_label(&page, r)) }
                        }
                    }
                }
                (Input::new("login", page.t("users-login"), "text", &form.login).render(errors))
                (Input::new("name", page.t("users-name"), "text", &form.name).autocomplete("name").render(errors))
                (Input::new("email", page.t("register-email"), "email", &form.email).render(errors))
                (Input::new("phone", page.t("register-phone"), "tel", &form.phone)
                    .hint(page.t("register-phone-hint")).render(errors))
                (Input::new("specialty", page.t("users-specialty"), "text", &form.specialty)
                    .hint(page.t("users-specialty-hint")).optional().render(errors))
                (Input::new("password", page.t("users-password"), "password", "")
                    .hint(page.t("password-rule")).autocomplete("new-password").render(errors))
                button.primary type="submit" { (page.t("users-add-submit")) }
            }
        }
    };
    respond(status, document(&page, &page.t("users-title"), &body))
}

/// `POST /admin/users`.
pub async fn add(page: Page, form: Result<Form<UserForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    let new = NewUser {
        role: form.role.clone(),
        login: form.login.clone(),
        phone: form.phone.clone(),
        email: form.email.clone(),
        name: Some(form.name.clone()),
        specialty: Some(form.specialty.clone()),
        password: form.password.clone(),
    };
    match users::add_user(State(page.state.clone()), user, ApiJson(new)).await {
        Ok(_) => redirect("/admin/users?added=1"),
        Err(error) if error.code == "already_exists" => {
            let errors = FieldErrors::from([("login", page.t("users-login-taken"))]);
            render(page, &form, &errors, None, error.status).await
        }
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            // The API's messages name the rule broken; the field is named by the form.
            let errors: FieldErrors = error
                .fields
                .iter()
                .flatten()
                .filter_map(|(field, message)| {
                    [
                        "role",
                        "login",
                        "name",
                        "email",
                        "phone",
                        "specialty",
                        "password",
                    ]
                    .into_iter()
                    .find(|f| f == field)
                    .map(|f| (f, message.clone()))
                })
                .collect();
            render(page, &form, &errors, None, error.status).await
        }
        Err(error) => fault(&page, error),
    }
}

/// `POST /admin/users/{id}/disable`.
pub async fn disable(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<UserForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    match users::disable(State(page.state.clone()), user, Path(id)).await {
        Ok(_) => redirect("/admin/users?disabled=1"),
        Err(error) => fault(&page, error),
    }
}

/// `POST /admin/users/{id}/reset-totp`: removes the account's authenticator app (a lost phone).
pub async fn reset_totp(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<UserForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    match crate::totp::reset_user_totp(State(page.state.clone()), user, Path(id)).await {
        Ok(_) => redirect("/admin/users?totp_reset=1"),
        Err(error) => fault(&page, error),
    }
}
