//! The page shell (head, header with navigation and language switcher, footer) and the form
//! building blocks every page uses, so labels, hints, errors and their `aria-describedby` links
//! are done once and right.

use super::context::Page;
use super::static_files;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use std::collections::BTreeMap;
use teleconsult_core::site::Language;

/// A language's own name, as shown on the switcher.
pub fn endonym(language: Language) -> &'static str {
    match language {
        Language::Fr => "Français",
        Language::De => "Deutsch",
        Language::En => "English",
        Language::Pt => "Português",
        Language::Lb => "Lëtzebuergesch",
    }
}

/// A complete HTML document with `title` (the page's `h1` too) and `main` content.
pub fn document(page: &Page, title: &str, main: &Markup) -> Markup {
    let site = &page.state.settings.site_name;
    html! {
        (DOCTYPE)
        html lang=(page.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (site) }
                link rel="stylesheet" href=(static_files::url("app.css"));
                script src=(static_files::url("app.js")) defer {}
            }
            body {
                a.skip href="#main" { (page.t("skip-to-content")) }
                @if page.state.settings.demo {
                    p.demo role="note" { (page.t("demo-banner")) }
                    @if page.state.settings.demo_on_network {
                        p.demo role="alert" { (page.t("demo-network-banner")) }
                    }
                }
                @if let Some(banner) = super::storage::banner(page) {
                    (banner)
                }
                header.site {
                    div.bar {
                        a.brand href="/" { (site) }
                        (navigation(page))
                    }
                    @if !page.csrf.is_empty() {
                        (language_switcher(page))
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (main)
                }
                footer.site {
                    p { (page.t("footer-text")) }
                }
            }
        }
    }
}

/// The main navigation: depends on whether someone is logged in.
fn navigation(page: &Page) -> Markup {
    html! {
        nav.main aria-label=(page.t("nav-label")) {
            ul {
                @if let Some(user) = &page.user {
                    li { a href="/home" { (page.t("nav-home")) } }
                    li { a href="/me" { (page.t("nav-my-data")) } }
                    @if !page.csrf.is_empty() { li {
                        form.inline method="post" action="/logout" {
                            (csrf_field(page))
                            button.link type="submit" {
                                (page.t_args("nav-logout", &[("name", &user.account.name)]))
                            }
                        }
                    } }
                } @else {
                    li { a href="/login" { (page.t("nav-login")) } }
                    li { a href="/register" { (page.t("nav-register")) } }
                }
            }
        }
    }
}

/// One button per site language; the form posts to `/lang` and comes back to this page.
fn language_switcher(page: &Page) -> Markup {
    let languages = &page.state.settings.languages;
    html! {
        form.languages method="post" action="/lang" aria-label=(page.t("lang-switch-label")) {
            (csrf_field(page))
            input type="hidden" name="next" value=(page.path);
            @for language in languages {
                @let current = *language == page.lang;
                button type="submit" name="lang" value=(language.code()) lang=(language.code())
                    aria-current=[current.then_some("true")] {
                    (endonym(*language))
                }
            }
        }
    }
}

/// The hidden CSRF field every POST form carries.
pub fn csrf_field(page: &Page) -> Markup {
    html! { input type="hidden" name="csrf" value=(page.csrf); }
}

/// Per-field error messages of a form, already translated.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// A text-like input with its label, optional hint and error, wired for screen readers.
pub struct Input<'a> {
    pub name: &'static str,
    pub label: String,
    pub kind: &'static str,
    pub value: &'a str,
    pub hint: Option<String>,
    pub autocomplete: &'static str,
    /// `inputmode`, for phone keyboards.
    pub inputmode: Option<&'static str>,
    /// Whether the field must be filled in (most are).
    pub required: bool,
}

impl<'a> Input<'a> {
    pub fn new(name: &'static str, label: String, kind: &'static str, value: &'a str) -> Self {
        Self {
            name,
            label,
            kind,
            value,
            hint: None,
            autocomplete: "off",
            inputmode: None,
            required: true,
        }
    }

    /// A field that may stay empty (e.g. needed only when another choice is made).
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn autocomplete(mut self, token: &'static str) -> Self {
        self.autocomplete = token;
        self
    }

    pub fn inputmode(mut self, mode: &'static str) -> Self {
        self.inputmode = Some(mode);
        self
    }

    /// The field, with the error from `errors` if there is one for it.
    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let error = errors.get(self.name);
        let described = described_by(self.name, self.hint.is_some(), error.is_some());
        let is_password = self.kind == "password";
        html! {
            div.field.invalid[error.is_some()] {
                label for=(self.name) { (self.label) }
                @if let Some(hint) = &self.hint {
                    p.hint id=(format!("{}-hint", self.name)) { (hint) }
                }
                @if let Some(error) = error {
                    p.error id=(format!("{}-error", self.name)) { (error) }
                }
                input id=(self.name) name=(self.name) type=(self.kind)
                    value=[(!is_password).then_some(self.value)]
                    autocomplete=(self.autocomplete)
                    inputmode=[self.inputmode]
                    required[self.required]
                    aria-invalid=[error.is_some().then_some("true")]
                    aria-describedby=[described];
            }
        }
    }
}

/// The ids describing a field: its hint and its error, when present.
pub fn described_by(name: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> = [(hint, "hint"), (error, "error")]
        .into_iter()
        .filter(|(present, _)| *present)
        .map(|(_, what)| format!("{name}-{what}"))
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The list of problems at the top of a form, each linking to its field.
pub fn error_summary(page: &Page, errors: &FieldErrors) -> Markup {
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

/// A notice (success or problem) that is not tied to one field.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! {
        @if kind == "error" {
            p.notice.error role="alert" { (text) }
        } @else {
            p.notice.(kind) role="status" { (text) }
        }
    }
}

/// A page answered with `status`.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

/// A full page with a heading and a message, e.g. "link expired", answered with `status`.
pub fn message_page(page: &Page, status: StatusCode, title: &str, body: &Markup) -> Response {
    respond(status, document(page, title, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_described_by_their_hint_and_error() {
        assert_eq!(described_by("email", false, false), None);
        assert_eq!(
            described_by("email", true, false).as_deref(),
            Some("email-hint")
        );
        assert_eq!(
            described_by("email", true, true).as_deref(),
            Some("email-hint email-error")
        );
    }
}
