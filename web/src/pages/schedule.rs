//! Opening hours in pages: a practitioner edits their own weekly hours, slot length, modes,
//! absences and extra hours; staff and admins pick a practitioner and do the same. Saved
//! through `agenda::put_schedule`, the API's handler, so the same rules apply.
//!
//! The form is plain text a person can type on a phone: hours per weekday as
//! `09:00-12:00, 14:00-17:30`; absences one per line as `2026-12-24` or
//! `2026-12-24 2026-12-31`; closed or extra hours one per line as `2026-12-24 09:00-12:00`.

use super::context::Page;
use super::csrf;
use super::errors::{bad_form, fault, redirect, refused};
use super::home::specialty;
use super::layout::{FieldErrors, Input, csrf_field, document, error_summary, notice, respond};
use crate::agenda::{self, ListingUpdate, PractitionerQuery, PractitionerView};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::{Date, Time};
use maud::{Markup, html};
use serde::Deserialize;
use std::str::FromStr;
use teleconsult_core::account::Role;
use teleconsult_core::practitioner::SPECIALTIES;
use teleconsult_core::schedule::{
    ConsultationMode, Exception, Schedule, ScheduleError, TimeRange, Week, WeeklyHours,
};

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Who may edit hours: staff and admins (anyone's), a practitioner (their own, or with `id`
/// `None`, to be sent to their own).
fn editor(page: &Page, id: Option<&str>) -> Result<AuthUser, Response> {
    let Some(user) = &page.user else {
        return Err(redirect("/login"));
    };
    let allowed = match user.account.role {
        Role::Staff | Role::Admin => true,
        Role::Practitioner => match id {
            None => true,
            Some(id) => user
                .account
                .practitioner
                .is_some_and(|own| own.to_string() == id),
        },
        Role::Patient | Role::Pharmacist => false,
    };
    if allowed {
        Ok(user.clone())
    } else {
        Err(fault(
            page,
            ApiError::forbidden("your role does not allow this"),
        ))
    }
}

/// `GET /schedule`: the practitioners whose hours staff and admins may edit (a practitioner
/// goes straight to their own).
pub async fn index(page: Page) -> Response {
    let user = match editor(&page, None) {
        Ok(user) => user,
        Err(response) => return response,
    };
    if let Some(own) = user.account.practitioner {
        return redirect(&format!("/schedule/{own}"));
    }
    let list = match agenda::list_practitioners(
        State(page.state.clone()),
        user,
        Query(PractitionerQuery {
            q: None,
            specialty: None,
            language: None,
        }),
    )
    .await
    {
        Ok(axum::Json(list)) => list,
        Err(error) => return fault(&page, error),
    };
    let body = html! {
        ul.links {
            @for p in &list {
                li { a href=(format!("/schedule/{}", p.id)) { (p.name) } " — " (specialty(&page, &p.specialty)) }
            }
        }
    };
    respond(
        StatusCode::OK,
        document(&page, &page.t("schedule-index-title"), &body),
    )
}

/// The form as posted (and as filled from a stored schedule).
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ScheduleForm {
    csrf: String,
    time_zone: String,
    slot_minutes: String,
    video: Option<String>,
    audio: Option<String>,
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
    closed_days: String,
    closed_hours: String,
    extra_hours: String,
}

impl ScheduleForm {
    fn day(&self, name: &str) -> &str {
        match name {
            "monday" => &self.monday,
            "tuesday" => &self.tuesday,
            "wednesday" => &self.wednesday,
            "thursday" => &self.thursday,
            "friday" => &self.friday,
            "saturday" => &self.saturday,
            _ => &self.sunday,
        }
    }

    fn from_schedule(schedule: &Schedule) -> Self {
        let hours = schedule.hours();
        let ranges =
            |list: &[TimeRange]| list.iter().map(range_text).collect::<Vec<_>>().join(", ");
        let mut closed_days = Vec::new();
        let mut closed_hours = Vec::new();
        let mut extra_hours = Vec::new();
        for exception in schedule.exceptions() {
            match exception {
                Exception::Closed { from, to } if from == to => closed_days.push(from.to_string()),
                Exception::Closed { from, to } => closed_days.push(format!("{from} {to}")),
                Exception::ClosedHours { date, range } => {
                    closed_hours.push(format!("{date} {}", range_text(range)));
                }
                Exception::ExtraHours { date, range } => {
                    extra_hours.push(format!("{date} {}", range_text(range)));
                }
            }
        }
        Self {
            csrf: String::new(),
            time_zone: hours.time_zone.clone(),
            slot_minutes: hours.slot_minutes.to_string(),
            video: hours
                .modes
                .contains(&ConsultationMode::Video)
                .then(String::new),
            audio: hours
                .modes
                .contains(&ConsultationMode::Audio)
                .then(String::new),
            monday: ranges(&hours.week.monday),
            tuesday: ranges(&hours.week.tuesday),
            wednesday: ranges(&hours.week.wednesday),
            thursday: ranges(&hours.week.thursday),
            friday: ranges(&hours.week.friday),
            saturday: ranges(&hours.week.saturday),
            sunday: ranges(&hours.week.sunday),
            closed_days: closed_days.join("\n"),
            closed_hours: closed_hours.join("\n"),
            extra_hours: extra_hours.join("\n"),
        }
    }

    /// The schedule the form describes, or the message id of each field in error.
    fn parse(&self) -> Result<Schedule, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut week = Week::default();
        for day in DAYS {
            match parse_ranges(self.day(day)) {
                Ok(ranges) => {
                    let slot = match day {
                        "monday" => &mut week.monday,
                        "tuesday" => &mut week.tuesday,
                        "wednesday" => &mut week.wednesday,
                        "thursday" => &mut week.thursday,
                        "friday" => &mut week.friday,
                        "saturday" => &mut week.saturday,
                        _ => &mut week.sunday,
                    };
                    *slot = ranges;
                }
                Err(()) => {
                    errors.insert(day, "error-schedule-hours".to_owned());
                }
            }
        }
        let slot_minutes = self.slot_minutes.trim().parse::<u32>().unwrap_or(0);
        let mut modes = Vec::new();
        if self.video.is_some() {
            modes.push(ConsultationMode::Video);
        }
        if self.audio.is_some() {
            modes.push(ConsultationMode::Audio);
        }
        let mut exceptions = Vec::new();
        for line in lines(&self.closed_days) {
            let dates: Vec<Option<Date>> = line
                .split_whitespace()
                .map(|d| Date::from_str(d).ok())
                .collect();
            match dates.as_slice() {
                [Some(day)] => exceptions.push(Exception::Closed {
                    from: *day,
                    to: *day,
                }),
                [Some(from), Some(to)] => exceptions.push(Exception::Closed {
                    from: *from,
                    to: *to,
                }),
                _ => {
                    errors.insert("closed_days", "error-schedule-closed-days".to_owned());
                }
            }
        }
        for (field, text) in [
            ("closed_hours", &self.closed_hours),
            ("extra_hours", &self.extra_hours),
        ] {
            for line in lines(text) {
                let parsed = line.split_once(char::is_whitespace).and_then(|(d, r)| {
                    let date = Date::from_str(d.trim()).ok()?;
                    let range = parse_range(r.trim()).ok()?;
                    Some((date, range))
                });
                match parsed {
                    Some((date, range)) if field == "closed_hours" => {
                        exceptions.push(Exception::ClosedHours { date, range });
                    }
                    Some((date, range)) => exceptions.push(Exception::ExtraHours { date, range }),
                    None => {
                        errors.insert(field, "error-schedule-dated-hours".to_owned());
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let hours = WeeklyHours {
            time_zone: self.time_zone.trim().to_owned(),
            slot_minutes,
            modes,
            week,
        };
        Schedule::new(hours, exceptions).map_err(|e| {
            let (field, id) = match e {
                ScheduleError::EmptyRange { .. } => ("monday", "error-schedule-hours"),
                ScheduleError::SlotLength { .. } => ("slot_minutes", "error-schedule-slot"),
                ScheduleError::UnknownTimeZone { .. } => ("time_zone", "error-schedule-zone"),
                ScheduleError::NoModes => ("modes", "error-schedule-modes"),
                ScheduleError::ReversedPeriod { .. } => {
                    ("closed_days", "error-schedule-closed-days")
                }
            };
            FieldErrors::from([(field, id.to_owned())])
        })
    }
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn range_text(range: &TimeRange) -> String {
    format!(
        "{:02}:{:02}-{:02}:{:02}",
        range.start.hour(),
        range.start.minute(),
        range.end.hour(),
        range.end.minute()
    )
}

/// `09:00-12:00` (an en dash or ` - ` accepted too).
fn parse_range(text: &str) -> Result<TimeRange, ()> {
    let (start, end) = text.split_once(['-', '–']).ok_or(())?;
    let start = Time::from_str(start.trim()).map_err(|_| ())?;
    let end = Time::from_str(end.trim()).map_err(|_| ())?;
    TimeRange::new(start, end).map_err(|_| ())
}

/// `09:00-12:00, 14:00-17:30` (commas or semicolons between ranges; empty = closed).
fn parse_ranges(text: &str) -> Result<Vec<TimeRange>, ()> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(parse_range)
        .collect()
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
    listing: Option<String>,
}

/// `GET /schedule/{id}`.
pub async fn form(
    page: Page,
    Path(id): Path<String>,
    query: Result<Query<SavedQuery>, QueryRejection>,
) -> Response {
    let user = match editor(&page, Some(&id)) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Query(query) = query.unwrap_or_default();
    let saved = if query.saved.is_some() {
        Some(page.t("schedule-saved"))
    } else if query.listing.is_some() {
        Some(page.t("listing-saved"))
    } else {
        None
    };
    let form = match agenda::get_schedule(State(page.state.clone()), user, Path(id.clone())).await {
        Ok(axum::Json(schedule)) => ScheduleForm::from_schedule(&schedule),
        // No schedule yet: a sensible start (weekday mornings and afternoons).
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            if let Err(response) = listing_of(&page, &id).await {
                return response;
            }
            let usual = "09:00-12:00, 14:00-17:00".to_owned();
            ScheduleForm {
                time_zone: page.state.settings.time_zone.clone(),
                slot_minutes: "20".to_owned(),
                video: Some(String::new()),
                monday: usual.clone(),
                tuesday: usual.clone(),
                wednesday: usual.clone(),
                thursday: usual.clone(),
                friday: usual,
                ..ScheduleForm::default()
            }
        }
        Err(error) => return fault(&page, error),
    };
    let view = View {
        saved,
        ..View::default()
    };
    render(&page, &id, &form, &view, StatusCode::OK).await
}

/// The practitioner's listing (the 404 page for an unknown one).
async fn listing_of(page: &Page, id: &str) -> Result<PractitionerView, Response> {
    let Some(user) = page.user.clone() else {
        return Err(redirect("/login"));
    };
    super::booking::practitioner(page, &user, id).await
}

/// What a render of the page shows besides the hours: a notice, the hours' errors, and the
/// listing form as posted with its errors.
#[derive(Default)]
struct View {
    saved: Option<String>,
    errors: FieldErrors,
    listing: Option<(ListingForm, FieldErrors)>,
}

async fn render(
    page: &Page,
    id: &str,
    form: &ScheduleForm,
    view: &View,
    status: StatusCode,
) -> Response {
    let practitioner = match listing_of(page, id).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let name = practitioner.name.clone();
    let listing = view.listing.as_ref().map_or_else(
        || {
            let site: Vec<&str> = page
                .state
                .settings
                .languages
                .iter()
                .map(|l| l.code())
                .collect();
            ListingForm {
                csrf: String::new(),
                name: practitioner.name.clone(),
                specialty: practitioner.specialty.clone(),
                languages: practitioner
                    .languages
                    .iter()
                    .filter(|l| site.contains(&l.as_str()))
                    .cloned()
                    .collect(),
                other_languages: practitioner
                    .languages
                    .iter()
                    .filter(|l| !site.contains(&l.as_str()))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        },
        |(form, _)| form.clone(),
    );
    let listing_errors: FieldErrors = view
        .listing
        .as_ref()
        .map(|(_, e)| e.clone())
        .unwrap_or_default();
    let errors = &view.errors;
    let errors: FieldErrors = errors
        .iter()
        .map(|(field, id)| (*field, page.t(id)))
        .collect();
    let text_field = |field: &'static str, label: String, value: &str, hint: Option<String>| {
        let error = errors.get(field);
        let described = super::layout::described_by(field, hint.is_some(), error.is_some());
        html! {
            div.field.invalid[error.is_some()] {
                label for=(field) { (label) }
                @if let Some(hint) = &hint { p.hint id=(format!("{field}-hint")) { (hint) } }
                @if let Some(error) = error { p.error id=(format!("{field}-error")) { (error) } }
                input id=(field) name=(field) type="text" value=(value) autocomplete="off"
                    aria-invalid=[error.is_some().then_some("true")] aria-describedby=[described];
            }
        }
    };
    let area = |field: &'static str, label: String, value: &str, hint: String| -> Markup {
        let error = errors.get(field);
        let described = super::layout::described_by(field, true, error.is_some());
        html! {
            div.field.invalid[error.is_some()] {
                label for=(field) { (label) }
                p.hint id=(format!("{field}-hint")) { (hint) }
                @if let Some(error) = error { p.error id=(format!("{field}-error")) { (error) } }
                textarea id=(field) name=(field) rows="3"
                    aria-invalid=[error.is_some().then_some("true")] aria-describedby=[described] { (value) }
            }
        }
    };
    let body = html! {
        @if let Some(saved) = &view.saved { (notice("ok", saved)) }
        section aria-labelledby="listing" {
            h2 #listing { (page.t("listing-title")) }
            (error_summary(page, &listing_errors))
            form method="post" action=(format!("/schedule/{id}/listing")) novalidate {
                (csrf_field(page))
                (Input::new("name", page.t("listing-name"), "text", &listing.name).render(&listing_errors))
                div.field.invalid[listing_errors.contains_key("specialty")] {
                    label for="specialty" { (page.t("listing-specialty")) }
                    @if let Some(error) = listing_errors.get("specialty") { p.error #specialty-error { (error) } }
                    select #specialty name="specialty" {
                        @for code in SPECIALTIES {
                            option value=(code) selected[listing.specialty == *code] { (specialty(page, code)) }
                        }
                    }
                }
                fieldset.invalid[listing_errors.contains_key("languages")] #languages {
                    legend { (page.t("listing-languages")) }
                    @if let Some(error) = listing_errors.get("languages") { p.error { (error) } }
                    @for language in &page.state.settings.languages {
                        div.choice {
                            input type="checkbox" id=(format!("lang-{}", language.code())) name="languages" value=(language.code())
                                checked[listing.languages.iter().any(|l| l == language.code())];
                            label for=(format!("lang-{}", language.code())) { (super::layout::endonym(*language)) }
                        }
                    }
                    (Input::new("other_languages", page.t("listing-other-languages"), "text", &listing.other_languages).optional().render(&listing_errors))
                }
                button.primary type="submit" { (page.t("listing-save")) }
            }
        }
        h2 { (page.t("schedule-index-title")) }
        (error_summary(page, &errors))
        form method="post" action=(format!("/schedule/{id}")) novalidate {
            (csrf_field(page))
            fieldset {
                legend { (page.t("schedule-general")) }
                (text_field("time_zone", page.t("schedule-time-zone"), &form.time_zone, Some(page.t("schedule-time-zone-hint"))))
                (text_field("slot_minutes", page.t("schedule-slot-minutes"), &form.slot_minutes, None))
            }
            fieldset.invalid[errors.contains_key("modes")] #modes {
                legend { (page.t("schedule-modes")) }
                @if let Some(error) = errors.get("modes") { p.error { (error) } }
                div.choice {
                    input #video type="checkbox" name="video" checked[form.video.is_some()];
                    label for="video" { (page.t("book-mode-video")) }
                }
                div.choice {
                    input #audio type="checkbox" name="audio" checked[form.audio.is_some()];
                    label for="audio" { (page.t("book-mode-audio")) }
                }
            }
            fieldset {
                legend { (page.t("schedule-week")) }
                p.hint { (page.t("schedule-week-hint")) }
                @for day in DAYS {
                    (text_field(day, super::format::weekday(page, weekday(day)), form.day(day), None))
                }
            }
            fieldset {
                legend { (page.t("schedule-exceptions")) }
                (area("closed_days", page.t("schedule-closed-days"), &form.closed_days, page.t("schedule-closed-days-hint")))
                (area("closed_hours", page.t("schedule-closed-hours"), &form.closed_hours, page.t("schedule-dated-hours-hint")))
                (area("extra_hours", page.t("schedule-extra-hours"), &form.extra_hours, page.t("schedule-dated-hours-hint")))
            }
            button.primary type="submit" { (page.t("schedule-save")) }
        }
        p { a href="/home" { (page.t("back-home")) } }
    };
    respond(
        status,
        document(
            page,
            &page.t_args("schedule-title", &[("name", &name)]),
            &body,
        ),
    )
}

fn weekday(day: &str) -> jiff::civil::Weekday {
    use jiff::civil::Weekday;
    match day {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

/// `POST /schedule/{id}`.
pub async fn save(
    page: Page,
    Path(id): Path<String>,
    form: Result<Form<ScheduleForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(&page);
    };
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    if let Err(response) = editor(&page, Some(&id)) {
        return response;
    }
    let schedule = match form.parse() {
        Ok(schedule) => schedule,
        Err(errors) => {
            let view = View {
                errors,
                ..View::default()
            };
            return render(&page, &id, &form, &view, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match agenda::put_schedule(
        State(page.state.clone()),
        user,
        Path(id.clone()),
        ApiJson(schedule),
    )
    .await
    {
        Ok(_) => redirect(&format!("/schedule/{id}?saved=1")),
        Err(error) => fault(&page, error),
    }
}

/// The listing form as posted: languages ticked (repeated `languages` fields) plus others typed.
#[derive(Clone, Default)]
pub struct ListingForm {
    csrf: String,
    name: String,
    specialty: String,
    languages: Vec<String>,
    other_languages: String,
}

impl ListingForm {
    /// From the urlencoded body (serde's form reader cannot collect repeated keys).
    fn parse(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            match key.as_ref() {
                "csrf" => form.csrf = value.into_owned(),
                "name" => form.name = value.into_owned(),
                "specialty" => form.specialty = value.into_owned(),
                "languages" => form.languages.push(value.into_owned()),
                "other_languages" => form.other_languages = value.into_owned(),
                _ => {}
            }
        }
        form
    }

    fn all_languages(&self) -> Vec<String> {
        let others = self
            .other_languages
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned);
        self.languages.iter().cloned().chain(others).collect()
    }
}

/// `POST /schedule/{id}/listing`: name, specialty, languages spoken.
pub async fn save_listing(page: Page, Path(id): Path<String>, body: axum::body::Bytes) -> Response {
    let form = ListingForm::parse(&body);
    let Ok(user) = csrf::check_session(&page, &form.csrf).cloned() else {
        return refused(&page);
    };
    let update = ListingUpdate {
        name: Some(form.name.clone()),
        specialty: form.specialty.clone(),
        languages: form.all_languages(),
    };
    match agenda::put_practitioner(
        State(page.state.clone()),
        user.clone(),
        Path(id.clone()),
        ApiJson(update),
    )
    .await
    {
        Ok(_) => redirect(&format!("/schedule/{id}?listing=1")),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut errors = FieldErrors::new();
            for field in error.fields.iter().flat_map(|f| f.keys()) {
                let (name, message) = match field.as_str() {
                    "languages" => ("languages", "error-listing-languages"),
                    "specialty" => ("specialty", "error-listing-specialty"),
                    _ => ("name", "error-listing-name"),
                };
                errors.insert(name, page.t(message));
            }
            let hours =
                match agenda::get_schedule(State(page.state.clone()), user, Path(id.clone())).await
                {
                    Ok(axum::Json(schedule)) => ScheduleForm::from_schedule(&schedule),
                    Err(_) => ScheduleForm::default(),
                };
            let view = View {
                listing: Some((form, errors)),
                ..View::default()
            };
            render(&page, &id, &hours, &view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => fault(&page, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ScheduleForm {
        ScheduleForm {
            time_zone: "Europe/Luxembourg".into(),
            slot_minutes: "15".into(),
            video: Some(String::new()),
            monday: "08:00-12:00; 13:30-17:00".into(),
            friday: "09:00 - 11:00".into(),
            closed_days: "2026-12-24 2026-12-26\n\n2027-01-01".into(),
            closed_hours: "2026-12-02 08:00-09:00".into(),
            extra_hours: "2026-12-05 09:00-12:00".into(),
            ..ScheduleForm::default()
        }
    }

    #[test]
    fn a_typed_schedule_round_trips_through_the_form() {
        let schedule = form().parse().unwrap();
        assert_eq!(schedule.hours().week.monday.len(), 2);
        assert_eq!(schedule.hours().week.friday.len(), 1);
        assert!(schedule.hours().week.sunday.is_empty());
        assert_eq!(schedule.exceptions().len(), 4);
        let again = ScheduleForm::from_schedule(&schedule);
        assert_eq!(again.monday, "08:00-12:00, 13:30-17:00");
        assert_eq!(again.closed_days, "2026-12-24 2026-12-26\n2027-01-01");
        assert_eq!(again.parse().unwrap(), schedule);
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = ScheduleForm {
            tuesday: "9h-12h".into(),
            closed_days: "tomorrow".into(),
            extra_hours: "2026-12-05".into(),
            ..form()
        };
        let errors = bad.parse().unwrap_err();
        let fields: Vec<&str> = errors.keys().copied().collect();
        assert_eq!(fields, ["closed_days", "extra_hours", "tuesday"]);
        let no_mode = ScheduleForm {
            video: None,
            ..form()
        };
        assert!(no_mode.parse().unwrap_err().contains_key("modes"));
        let zone = ScheduleForm {
            time_zone: "Mars/Olympus".into(),
            ..form()
        };
        assert!(zone.parse().unwrap_err().contains_key("time_zone"));
        let reversed = ScheduleForm {
            monday: "12:00-09:00".into(),
            ..form()
        };
        assert!(reversed.parse().unwrap_err().contains_key("monday"));
    }
}
