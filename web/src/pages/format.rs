//! Dates and times as people read them: in the site's time zone, with the weekday in the
//! page's language and the usual numeric date order of that language, 24-hour times.

use super::context::Page;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use teleconsult_core::Timestamp;
use teleconsult_core::site::Language;

/// The site's time zone (UTC if the configured name is unknown, which config validation
/// prevents).
pub fn zone(page: &Page) -> TimeZone {
    TimeZone::get(&page.state.settings.time_zone).unwrap_or(TimeZone::UTC)
}

/// Today in the site's time zone.
pub fn today(page: &Page) -> Date {
    page.state.clock.now().to_zoned_datetime(zone(page)).date()
}

/// The weekday's name in the page's language.
pub fn weekday(page: &Page, day: Weekday) -> String {
    page.t(match day {
        Weekday::Monday => "weekday-monday",
        Weekday::Tuesday => "weekday-tuesday",
        Weekday::Wednesday => "weekday-wednesday",
        Weekday::Thursday => "weekday-thursday",
        Weekday::Friday => "weekday-friday",
        Weekday::Saturday => "weekday-saturday",
        Weekday::Sunday => "weekday-sunday",
    })
}

/// `30.11.2026` (German, Luxembourgish), `30/11/2026` (the others).
pub fn numeric_date(language: Language, date: Date) -> String {
    let separator = match language {
        Language::De | Language::Lb => '.',
        Language::Fr | Language::En | Language::Pt => '/',
    };
    format!(
        "{:02}{separator}{:02}{separator}{}",
        date.day(),
        date.month(),
        date.year()
    )
}

/// `lundi 30/11/2026`.
pub fn long_date(page: &Page, date: Date) -> String {
    format!(
        "{} {}",
        weekday(page, date.weekday()),
        numeric_date(page.lang, date)
    )
}

/// `09:30` in the site's time zone.
pub fn time_of(page: &Page, at: Timestamp) -> String {
    let local = at.to_zoned_datetime(zone(page));
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// `lundi 30/11/2026, 09:30` in the site's time zone.
pub fn date_time(page: &Page, at: Timestamp) -> String {
    let local = at.to_zoned_datetime(zone(page));
    format!("{}, {}", long_date(page, local.date()), time_of(page, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_language_order() {
        let date = Date::new(2026, 3, 7).unwrap();
        assert_eq!(numeric_date(Language::De, date), "07.03.2026");
        assert_eq!(numeric_date(Language::Fr, date), "07/03/2026");
        assert_eq!(numeric_date(Language::Pt, date), "07/03/2026");
    }
}
