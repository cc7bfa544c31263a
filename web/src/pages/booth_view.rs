//! The staff console's parts (issue #19): the cabin (the open booth session: who, waiting
//! where and how long, the slot offered, taken by whom, the end button; its documents and those
//! of sessions ended within the print window, `booth_print`), the cabin's
//! devices and their check beside it, the line at the counter, the look-up by national id and the
//! counter form. The waiting facts are shared with the patient's waiting page.

use super::appointment::status_label;
use super::booth_form::CounterForm;
use super::booth_print::{self, Listed};
use super::context::Page;
use super::format::{date_time, time_of};
use super::home::specialty;
use super::layout::{FieldErrors, Input, csrf_field, described_by, error_summary};
use crate::booth::BoothSessionView;
use crate::booth_status::CallLinkView;
use crate::queue::{OfferedSlotView, PatientView, QueueView, WaitingFields};
use maud::{Markup, html};
use teleconsult_core::Timestamp;

/// A free slot starting soon enough for the person in the cabin.
pub(super) struct SoonSlot {
    pub(super) practitioner_id: String,
    pub(super) practitioner_name: String,
    pub(super) specialty: String,
    pub(super) start: Timestamp,
}

/// What the counter form offers to choose from.
pub(super) struct Choices {
    pub(super) specialties: Vec<String>,
    pub(super) languages: Vec<String>,
    pub(super) slots: Vec<SoonSlot>,
}

/// Seconds as whole minutes, rounded up (a wait of 10 s is "1 min").
pub(super) fn minutes(seconds: i64) -> String {
    (seconds.max(0) + 59).div_euclid(60).to_string()
}

fn at(page: &Page, raw: &str) -> String {
    raw.parse::<Timestamp>()
        .map(|t| date_time(page, t))
        .unwrap_or_default()
}

/// Place in the line, estimated wait (or why there is none), time waited.
pub(super) fn waiting_facts(page: &Page, w: &WaitingFields) -> Markup {
    html! {
        dt { (page.t("booth-position")) }
        dd { (w.queue_position) }
        dt { (page.t("booth-estimated-wait")) }
        dd {
            @match w.estimated_wait_s {
                Some(s) => { (page.t_args("booth-minutes", &[("minutes", &minutes(s))])) }
                None => { (page.t("booth-no-practitioner")) }
            }
        }
        dt { (page.t("booth-waited")) }
        dd { (page.t_args("booth-minutes", &[("minutes", &minutes(w.waited_s))])) }
    }
}

/// The slot offered instead of waiting longer, with the form booking it.
pub(super) fn offered_slot(page: &Page, slot: &OfferedSlotView, action: &str) -> Markup {
    let when = at(page, &slot.start);
    html! {
        div.offer {
            p.notice.info role="status" {
                (page.t_args("booth-offer", &[("name", &slot.practitioner_name), ("date", &when)]))
            }
            form method="post" action=(action) {
                (csrf_field(page))
                input type="hidden" name="slot" value=(format!("{}|{}", slot.practitioner_id, slot.start));
                button.primary type="submit" { (page.t("booth-offer-book")) }
            }
        }
    }
}

pub(super) fn person(p: Option<&PatientView>) -> String {
    p.map_or_else(String::new, |p| {
        format!("{} {} ({})", p.first_name, p.last_name, p.birth_date)
    })
}

/// The cabin: the open session, or "free", refreshed in place by the page script; beside it
/// the panel of its devices.
pub(super) fn cabin(
    page: &Page,
    session: Option<&Listed>,
    ended: &[Listed],
    link: Option<&CallLinkView>,
    devices: Markup,
) -> Markup {
    html! {
        div.cabin-column {
            section #cabin.panel aria-labelledby="cabin_title" data-refresh="/booth" {
                h2 #cabin_title { (page.t("booth-cabin-title")) }
                @match session {
                    None => { p role="status" { (page.t("booth-cabin-free")) } }
                    Some(s) => {
                        (session_panel(page, &s.view))
                        @if let Some(l) = link { (call_link(page, l)) }
                        (booth_print::documents(page, &s.view.id, &s.documents))
                    }
                }
                // Sessions that ended within the print window: their documents still print.
                (booth_print::ended_sessions(page, ended))
            }
            // The cabin's devices (`booth_devices`): outside `#cabin`, so a check's results
            // stay while the status inside refreshes.
            (devices)
        }
    }
}

/// The running call's link in one line: "Connection: good — 1850 kbit/s (video 1600 kbit/s,
/// sent 1700 kbit/s)", and what the picture gives up to fit, if anything.
fn call_link(page: &Page, l: &CallLinkView) -> Markup {
    let rating = page.t(match l.rating.as_str() {
        "good" => "booth-link-good",
        "fair" => "booth-link-fair",
        _ => "booth-link-weak",
    });
    let estimate = l.estimate_kbps.to_string();
    let headline = page.t_args(
        "booth-link",
        &[("rating", rating.as_str()), ("estimate", estimate.as_str())],
    );
    let mut details = Vec::new();
    if let Some(target) = l.target_kbps {
        details.push(page.t_args("booth-link-video", &[("kbps", &target.to_string())]));
    }
    if let Some(sent) = l.send_kbps {
        details.push(page.t_args("booth-link-sent", &[("kbps", &sent.to_string())]));
    }
    let gives_up = l.degradation.as_deref().map(|d| {
        page.t(match d {
            "frame_rate" => "booth-link-frame-rate",
            _ => "booth-link-resolution",
        })
    });
    html! {
        p #call_link data-link-rating=(l.rating) {
            strong { (headline) }
            @if !details.is_empty() { " (" (details.join(", ")) ")" }
            @if let Some(g) = gives_up { " — " (g) }
        }
    }
}

fn session_panel(page: &Page, s: &BoothSessionView) -> Markup {
    let state = match (s.state.as_str(), &s.appointment) {
        ("queued", _) => page.t("booth-state-queued"),
        ("booked", Some(a)) if a.status == "in_call" => page.t("booth-state-in-call"),
        ("booked", _) => page.t("booth-state-booked"),
        _ => page.t("booth-state-ended"),
    };
    html! {
        dl.facts {
            dt { (page.t("booth-person")) }
            dd { (person(s.patient.as_ref())) }
            dt { (page.t("booth-state")) }
            dd { (state) }
            dt { (page.t("booth-started-at")) }
            dd { (at(page, &s.started_at)) }
            @if let Some(w) = &s.waiting { (waiting_facts(page, w)) }
            @if let Some(a) = &s.appointment {
                dt { (page.t("booth-taken-by")) }
                dd { (a.practitioner_name) }
                dt { (page.t("appt-when")) }
                dd { (at(page, &a.start)) }
                dt { (page.t("appt-status")) }
                dd { (status_label(page, &a.status)) }
            }
        }
        @if let (Some(slot), Some(entry)) = (s.waiting.as_ref().and_then(|w| w.offered_slot.as_ref()), &s.queue_entry_id) {
            (offered_slot(page, slot, &format!("/booth/entries/{entry}/book")))
        }
        form method="post" action=(format!("/booth/sessions/{}/end", s.id)) {
            (csrf_field(page))
            button.danger type="submit" { (page.t("booth-end")) }
        }
    }
}

/// The line at the counter: everyone waiting for a practitioner from this booth.
pub(super) fn line(page: &Page, queue: &QueueView) -> Markup {
    html! {
        section #line aria-labelledby="line_title" data-refresh="/booth" {
            h2 #line_title { (page.t("booth-line-title")) }
            p.hint { (page.t_args("booth-available", &[("count", &queue.practitioners_available.to_string())])) }
            @if queue.entries.is_empty() {
                p { (page.t("booth-line-empty")) }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-labelledby="line_title" { table.day {
                    thead { tr {
                        th scope="col" { (page.t("booth-position")) }
                        th scope="col" { (page.t("booth-person")) }
                        th scope="col" { (page.t("booth-specialty")) }
                        th scope="col" { (page.t("booth-waited")) }
                        th scope="col" { (page.t("booth-where")) }
                        th scope="col" { span.visually-hidden { (page.t("booth-actions")) } }
                    } }
                    tbody {
                        @for r in &queue.entries {
                            tr {
                                td { (r.queue_position) }
                                td { (person(r.patient.as_ref())) }
                                td { (specialty(page, &r.specialty)) }
                                td { (page.t_args("booth-minutes", &[("minutes", &minutes(r.waited_s))])) }
                                td {
                                    @if r.at_the_counter { (page.t("booth-at-the-counter")) }
                                    @else { (page.t("booth-in-the-cabin")) }
                                    @if r.slot_offer_due { br; em { (page.t("booth-offer-due")) } }
                                }
                                td {
                                    @if r.at_the_counter {
                                        form.inline method="post" action=(format!("/booth/entries/{}/withdraw", r.id)) {
                                            (csrf_field(page))
                                            button type="submit" aria-label=(page.t_args("booth-withdraw-label", &[("name", &person(r.patient.as_ref()))])) {
                                                (page.t("booth-withdraw"))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// The look-up by national id.
pub(super) fn find_form(page: &Page, value: &str, errors: &FieldErrors) -> Markup {
    html! {
        form.search method="post" action="/booth/find" role="search" aria-label=(page.t("booth-find-title")) novalidate {
            (csrf_field(page))
            (Input::new("find_national_id", page.t("booth-national-id"), "text", value)
                .hint(page.t("booth-find-hint")).render(errors))
            button.primary type="submit" { (page.t("booth-find")) }
        }
    }
}

/// A multi-line text field (kept short: a reason for the practitioner).
pub(super) fn text_area(
    name: &'static str,
    label: &str,
    value: &str,
    hint: &str,
    errors: &FieldErrors,
) -> Markup {
    let error = errors.get(name);
    html! {
        div.field.invalid[error.is_some()] {
            label for=(name) { (label) }
            p.hint id=(format!("{name}-hint")) { (hint) }
            @if let Some(error) = error { p.error id=(format!("{name}-error")) { (error) } }
            textarea id=(name) name=(name) rows="3" maxlength="1000"
                aria-invalid=[error.is_some().then_some("true")]
                aria-describedby=[described_by(name, true, error.is_some())] { (value) }
        }
    }
}

/// A list to choose from, with its label and error.
pub(super) fn select(
    name: &'static str,
    label: &str,
    options: &[(String, String)],
    chosen: &str,
    errors: &FieldErrors,
) -> Markup {
    let error = errors.get(name);
    html! {
        div.field.invalid[error.is_some()] {
            label for=(name) { (label) }
            @if let Some(error) = error { p.error id=(format!("{name}-error")) { (error) } }
            select id=(name) name=(name) aria-invalid=[error.is_some().then_some("true")]
                aria-describedby=[described_by(name, false, error.is_some())] {
                @for (value, text) in options {
                    option value=(value) selected[value == chosen] { (text) }
                }
            }
        }
    }
}

fn language_options(page: &Page, codes: &[String]) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), page.t("booth-any-language"))];
    out.extend(codes.iter().map(|c| {
        let name = c
            .parse::<teleconsult_core::site::Language>()
            .map_or_else(|_| c.clone(), |l| super::layout::endonym(l).to_owned());
        (c.clone(), name)
    }));
    out
}

/// The identity of a walk-in (or the patient found), then what they need.
pub(super) fn counter_form(
    page: &Page,
    form: &CounterForm,
    found: Option<(&PatientView, &str)>,
    choices: &Choices,
    errors: &FieldErrors,
) -> Markup {
    let consent_error = errors.get("counter_consents");
    let site_languages: Vec<String> = page
        .state
        .settings
        .languages
        .iter()
        .map(|l| l.code().to_owned())
        .collect();
    let mut message_languages = language_options(page, &site_languages);
    message_languages[0].1 = page.t("booth-site-language");
    let mut specialties = vec![(String::new(), page.t("booth-choose-specialty"))];
    specialties.extend(
        choices
            .specialties
            .iter()
            .map(|s| (s.clone(), specialty(page, s))),
    );
    let modes = [
        ("video".to_owned(), page.t("book-mode-video")),
        ("audio".to_owned(), page.t("book-mode-audio")),
    ];
    let mut slots = vec![(String::new(), page.t("booth-choose-slot"))];
    slots.extend(choices.slots.iter().map(|s| {
        (
            format!("{}|{}", s.practitioner_id, s.start),
            format!(
                "{} — {} ({})",
                time_of(page, s.start),
                s.practitioner_name,
                specialty(page, &s.specialty)
            ),
        )
    }));
    html! {
        (error_summary(page, errors))
        form.counter method="post" action="/booth/start" novalidate {
            (csrf_field(page))
            @if let Some((p, find_national_id)) = found {
                input type="hidden" name="patient_id" value=(p.id);
                input type="hidden" name="find_national_id" value=(find_national_id);
                p.notice.success role="status" {
                    (page.t_args("booth-found", &[("name", &person(Some(p)))]))
                }
            } @else {
                fieldset {
                    legend { (page.t("booth-walk-in-title")) }
                    (Input::new("national_id", page.t("booth-national-id"), "text", &form.national_id).render(errors))
                    (Input::new("first_name", page.t("booth-first-name"), "text", &form.first_name).render(errors))
                    (Input::new("last_name", page.t("booth-last-name"), "text", &form.last_name).render(errors))
                    (Input::new("birth_date", page.t("booth-birth-date"), "date", &form.birth_date).render(errors))
                    (Input::new("phone", page.t("booth-phone"), "tel", &form.phone)
                        .optional().inputmode("tel").hint(page.t("booth-phone-hint")).render(errors))
                    (select("message_language", &page.t("booth-message-language"), &message_languages, &form.message_language, errors))
                    div.field.checkbox.invalid[consent_error.is_some()] {
                        @if let Some(e) = consent_error { p.error id="counter_consents-error" { (e) } }
                        input #counter_consents type="checkbox" name="counter_consents" value="yes"
                            checked[form.counter_consents]
                            aria-invalid=[consent_error.is_some().then_some("true")]
                            aria-describedby=(if consent_error.is_some() { "counter_consents-text counter_consents-error" } else { "counter_consents-text" });
                        label for="counter_consents" { (page.t("booth-consents-label")) }
                        p.consent-text #counter_consents-text { (page.t("booth-consents-text")) }
                    }
                }
            }
            fieldset {
                legend { (page.t("booth-need-title")) }
                (select("specialty", &page.t("booth-specialty"), &specialties, &form.specialty, errors))
                (select("practitioner_language", &page.t("booth-practitioner-language"), &language_options(page, &choices.languages), &form.practitioner_language, errors))
                (select("mode", &page.t("book-mode"), &modes, &form.mode, errors))
                (text_area("reason", &page.t("booth-reason"), &form.reason, &page.t("booth-reason-hint"), errors))
                div.actions {
                    button.primary type="submit" name="how" value="now" { (page.t("booth-start-now")) }
                    button type="submit" name="how" value="line" { (page.t("booth-put-in-line")) }
                }
                (select("slot", &page.t("booth-slot"), &slots, &form.slot, errors))
                @if choices.slots.is_empty() {
                    p.hint { (page.t("booth-no-slot-soon")) }
                }
                div.actions {
                    button type="submit" name="how" value="slot" { (page.t("booth-start-slot")) }
                }
            }
        }
    }
}
