//! The landing page, the home page after login (a patient's appointments, a practitioner's
//! day, the site's day for staff, the pharmacy page for pharmacists), and the
//! language switcher.

use super::account::language_cookie;
use super::appointment;
use super::booking::mode_label;
use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused, with_cookie};
use super::format::{date_time, today};
use super::layout::{document, respond};
use crate::me::{MeUpdate, rectify};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use maud::{Markup, html};
use serde::Deserialize;
use std::str::FromStr;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;
use teleconsult_core::site::Language;

/// `GET /`: what the service is, what you need, and the way in.
pub async fn landing(page: Page) -> Response {
    let practitioners = match page
        .state
        .blocking(|inner| Ok(inner.app.practitioners()?))
        .await
    {
        Ok(list) => list,
        Err(error) => return fault(&page, error),
    };
    let status = if page.state.is_ready() {
        page.t("status-ready")
    } else {
        page.t("status-starting")
    };
    let body = html! {
        p.lead { (page.t("landing-intro")) }
        div.actions {
            @if page.user.is_some() {
                a.button.primary href="/home" { (page.t("landing-go-home")) }
            } @else {
                a.button.primary href="/register" { (page.t("nav-register")) }
                a.button href="/login" { (page.t("nav-login")) }
            }
        }
        section aria-labelledby="needs" {
            h2 #needs { (page.t("landing-needs-title")) }
            ul {
                li { (page.t("landing-need-id")) }
                li { (page.t("landing-need-phone")) }
                li { (page.t("landing-need-email")) }
                li { (page.t("landing-need-device")) }
            }
        }
        section aria-labelledby="practitioners" {
            h2 #practitioners { (page.t("landing-practitioners")) }
            @if practitioners.is_empty() {
                p { (page.t("landing-no-practitioner")) }
            } @else {
                ul.practitioners {
                    @for p in &practitioners {
                        li data-specialty=(p.specialty) {
                            strong { (p.name) } " — " (specialty(&page, &p.specialty))
                            " — " (p.languages.join(", "))
                        }
                    }
                }
            }
        }
        p.status { (page.t("landing-status")) " " strong { (status) } }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.state.settings.site_name, &body),
    )
}

/// A specialty code in words (the code itself for one without a translation).
pub(super) fn specialty(page: &Page, code: &str) -> String {
    specialty_id(code).map_or_else(|| code.to_owned(), |id| page.t(id))
}

/// The message id naming specialty `code`.
fn specialty_id(code: &str) -> Option<&'static str> {
    Some(match code {
        "general_practice" => "specialty-general-practice",
        "dermatology" => "specialty-dermatology",
        "speech_therapy" => "specialty-speech-therapy",
        "dietetics" => "specialty-dietetics",
        "paediatrics" | "pediatrics" => "specialty-paediatrics",
        "midwifery" => "specialty-midwifery",
        "dentistry" => "specialty-dentistry",
        "gynaecology" => "specialty-gynaecology",
        "cardiology" => "specialty-cardiology",
        "psychiatry" => "specialty-psychiatry",
        "psychology" => "specialty-psychology",
        "ophthalmology" => "specialty-ophthalmology",
        "otorhinolaryngology" => "specialty-otorhinolaryngology",
        "neurology" => "specialty-neurology",
        "endocrinology" => "specialty-endocrinology",
        "gastroenterology" => "specialty-gastroenterology",
        "pulmonology" => "specialty-pulmonology",
        "rheumatology" => "specialty-rheumatology",
        "urology" => "specialty-urology",
        "physiotherapy" => "specialty-physiotherapy",
        "nursing" => "specialty-nursing",
        _ => return None,
    })
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct HomeQuery {
    /// `YYYY-MM-DD`: the day shown to practitioners and staff (default today).
    date: String,
}

/// `GET /home`: the logged-in user's home page — a patient's appointments and the way to book,
/// a practitioner's day, the site's day for staff and admins.
pub async fn home(page: Page, query: Result<Query<HomeQuery>, QueryRejection>) -> Response {
    let Some(user) = page.user.clone() else {
        return redirect("/login");
    };
    let Query(query) = query.unwrap_or_default();
    let account = &user.account;
    let name = account.name.as_str();
    let body = match account.role {
        Role::Patient => {
            let list = match appointment::list(&page, &user, None).await {
                Ok(list) => list,
                Err(response) => return response,
            };
            let documents = match super::documents::list_of(&page, &user).await {
                Ok(list) => list,
                Err(response) => return response,
            };
            let now = page.state.clock.now();
            let upcoming: Vec<_> = list
                .iter()
                .filter(|a| {
                    a.status != "cancelled" && a.end.parse::<Timestamp>().is_ok_and(|end| end > now)
                })
                .collect();
            html! {
                p.lead { (page.t_args("home-welcome", &[("name", name)])) }
                section aria-labelledby="appointments" {
                    h2 #appointments { (page.t("home-appointments")) }
                    @if upcoming.is_empty() {
                        p { (page.t("home-no-appointment")) }
                    } @else {
                        ul.cards {
                            @for a in &upcoming {
                                li.card {
                                    h3 { a href=(format!("/appointments/{}", a.id)) {
                                        @if let Ok(start) = a.start.parse::<Timestamp>() { (date_time(&page, start)) }
                                    } }
                                    p { (a.practitioner_name) " — " (mode_label(&page, &a.mode)) }
                                    @if a.relationship.is_some() {
                                        p { (page.t_args("home-for-relative", &[("name", &a.patient_name)])) }
                                    }
                                }
                            }
                        }
                    }
                    div.actions {
                        a.button.primary href="/book" { (page.t("home-book")) }
                        a.button href="/book/asap" { (page.t("asap-title")) }
                    }
                }
                section aria-labelledby="documents" {
                    h2 #documents { (page.t("home-documents")) }
                    (super::documents::home_section(&page, &documents))
                }
                section aria-labelledby="account" {
                    h2 #account { (page.t("home-account")) }
                    ul.links {
                        li { a href="/messages" { (page.t("msg-title")) } }
                        @if let Some(own) = account.patient {
                            li { a href=(format!("/patients/{own}/medical-record")) { (page.t("mr-title")) } }
                        }
                        li { a href="/me" { (page.t("nav-my-data")) } }
                        (super::totp::link(&page))
                    }
                }
            }
        }
        Role::Practitioner | Role::Staff | Role::Admin => {
            let date = Date::from_str(query.date.trim()).unwrap_or_else(|_| today(&page));
            let list = match appointment::list(&page, &user, Some(date)).await {
                Ok(list) => list,
                Err(response) => return response,
            };
            let role = role_name(&page, account.role);
            let own_schedule = account.practitioner.map(|p| format!("/schedule/{p}"));
            let booth_staff = page.state.app.require_booth_staff(account).is_ok();
            html! {
                p.lead { (page.t_args("home-role-welcome", &[("name", name), ("role", &role)])) }
                (super::totp::nudge(&page, account))
                section aria-labelledby="day" {
                    h2 #day { (page.t(if account.role == Role::Practitioner { "home-my-day" } else { "home-site-day" })) }
                    (day_navigation(&page, date))
                    (appointment::day_table(&page, date, &list, account.role != Role::Practitioner))
                }
                ul.links {
                    @if booth_staff {
                        li { a href="/booth" { (page.t("booth-title")) } }
                    }
                    @if account.role == Role::Practitioner {
                        li { a href="/queue" { (page.t("line-page-title")) } }
                    }
                    @if let Some(link) = &own_schedule {
                        li { a href=(link) { (page.t("home-my-schedule")) } }
                    }
                    @if account.role == Role::Practitioner {
                        li { a href="/documents" { (page.t("docs-issued-list")) } }
                        li { a href="/messages" { (page.t("msg-title")) } }
                    }
                    @if account.role != Role::Practitioner {
                        li { a href="/schedule" { (page.t("home-schedules")) } }
                    }
                    @if account.role == Role::Admin {
                        li { a href="/admin/users" { (page.t("home-users")) } }
                    }
                    li { a href="/sync" { (page.t("home-sync")) } }
                    li { a href="/me" { (page.t("nav-my-data")) } }
                    (super::totp::link(&page))
                }
            }
        }
        Role::Pharmacist => {
            let role = role_name(&page, account.role);
            html! {
                p.lead { (page.t_args("home-role-welcome", &[("name", name), ("role", &role)])) }
                ul.links {
                    li { a href="/pharmacy" { (page.t("pharmacy-title")) } }
                    li { a href="/me" { (page.t("nav-my-data")) } }
                    (super::totp::link(&page))
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("home-title"), &body),
    )
}

fn role_name(page: &Page, role: Role) -> String {
    page.t(match role {
        Role::Practitioner => "role-practitioner",
        Role::Staff => "role-staff",
        Role::Pharmacist => "role-pharmacist",
        Role::Admin => "role-admin",
        Role::Patient => "role-patient",
    })
}

/// Links to the day before and after, and back to today.
fn day_navigation(page: &Page, date: Date) -> Markup {
    let today = today(page);
    html! {
        nav.week aria-label=(page.t("day-nav")) {
            @if let Ok(before) = date.yesterday() {
                a.button href=(format!("/home?date={before}")) { (page.t("day-before")) }
            }
            @if date != today {
                a.button href="/home" { (page.t("day-today")) }
            }
            @if let Ok(after) = date.tomorrow() {
                a.button href=(format!("/home?date={after}")) { (page.t("day-after")) }
            }
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct LanguageForm {
    csrf: String,
    lang: String,
    next: String,
}

/// Only paths of this site are followed after switching language (no open redirect).
fn local_path(next: &str) -> &str {
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if safe { next } else { "/" }
}

/// `POST /lang`: remembers the language in the `tc_lang` cookie and, for a logged-in user, on
/// the account (as `PATCH /me` would); then back to the page.
pub async fn switch_language(
    page: Page,
    form: Result<Form<LanguageForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(language) = Language::from_str(&form.lang) else {
        return bad_form(&page);
    };
    if page.user.is_some() {
        let Ok(user) = csrf::check_session(&page, &form.csrf) else {
            return refused(&page);
        };
        let update = MeUpdate {
            language: Some(language.code().to_owned()),
            ..MeUpdate::default()
        };
        if let Err(error) = rectify(&page.state, user.clone(), update).await {
            return fault(&page, error);
        }
    } else if csrf::check_public(&page, &form.csrf).is_err() {
        return refused(&page);
    }
    with_cookie(
        redirect(local_path(&form.next)),
        &language_cookie(language.code()),
    )
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn every_specialty_has_a_name() {
        for code in teleconsult_core::practitioner::SPECIALTIES {
            assert!(super::specialty_id(code).is_some(), "{code}");
        }
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/me?saved=1"), "/me?saved=1");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example/"), "/");
        assert_eq!(local_path("/\r\nx"), "/");
        assert_eq!(local_path(""), "/");
    }
}
