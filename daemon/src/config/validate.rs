//! The rules across keys and on values serde cannot check, every broken one reported.

use super::*;

/// Rules across keys and on values serde cannot check.
pub(super) fn validate(c: &Config, issues: &mut Vec<ConfigIssue>) {
    let mut bad = |key: &str, message: &str| {
        issues.push(ConfigIssue {
            key: key.into(),
            message: message.into(),
        })
    };
    // The site id is also the site code in document numbers (`SITE-YYYY-NNNNNN`): the same
    // rule as `normalise_site_code`, lower case here.
    let id_ok = c
        .site
        .id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && teleconsult_core::site::normalise_site_code(&c.site.id).is_ok();
    if !id_ok {
        bad(
            "site.id",
            &format!(
                "must be 1 to {} characters among a-z, 0-9 and -, not starting or ending with -",
                teleconsult_core::site::MAX_SITE_CODE_LEN
            ),
        );
    }
    if c.site.name.trim().is_empty() {
        bad("site.name", "must not be empty");
    }
    if jiff::tz::TimeZone::get(&c.site.timezone).is_err() {
        bad(
            "site.timezone",
            "not a known IANA time zone (e.g. Europe/Luxembourg)",
        );
    }
    if c.site.languages.is_empty() {
        bad("site.languages", "must list at least one language");
    }
    match (&c.http.tls_cert, &c.http.tls_key) {
        (Some(_), None) => bad("http.tls_key", "required when http.tls_cert is set"),
        (None, Some(_)) => bad("http.tls_cert", "required when http.tls_key is set"),
        (None, None) if !c.site.demo => bad(
            "http.tls_cert",
            "a certificate and key (http.tls_cert, http.tls_key) are required outside demo mode",
        ),
        _ => {}
    }
    url_with_scheme(
        &mut bad,
        "http.public_url",
        c.http.public_url.as_deref(),
        &["https://"],
    );
    if c.http.shutdown_grace_s == 0 || c.http.shutdown_grace_s > 300 {
        bad("http.shutdown_grace_s", "must be between 1 and 300 seconds");
    }
    if c.storage.reserve_percent > 50 {
        bad("storage.reserve_percent", "must be between 0 and 50");
    }
    if c.storage.reserve_mb > 1024 * 1024 {
        bad("storage.reserve_mb", "must be at most 1048576 (1 TB)");
    }
    if c.storage.check_interval_h > 24 * 30 {
        bad(
            "storage.check_interval_h",
            "must be between 0 (only at start) and 720 hours",
        );
    }
    if let Some(contact) = &c.admin.contact
        && (contact.trim().is_empty()
            || contact.chars().count() > 200
            || contact.chars().any(char::is_control))
    {
        bad(
            "admin.contact",
            "must be 1 to 200 characters on one line (e.g. \"IT desk, +352 12 34 56\")",
        );
    }
    url_with_scheme(
        &mut bad,
        "platform.base_url",
        c.platform.base_url.as_deref(),
        &["https://", "http://"],
    );
    match c.platform.auth {
        PlatformAuth::Bearer if c.platform.token_file.is_none() => bad(
            "platform.token_file",
            "required when platform.auth = \"bearer\"",
        ),
        PlatformAuth::Mtls
            if c.platform.client_cert.is_none() || c.platform.client_key.is_none() =>
        {
            bad(
                "platform.client_cert",
                "platform.client_cert and platform.client_key are required when platform.auth = \"mtls\"",
            )
        }
        _ => {}
    }
    if c.platform.poll_interval_s == 0 {
        bad("platform.poll_interval_s", "must be at least 1 second");
    }
    for country in Country::ALL {
        if let Some(system) = c.platform.national_id_systems.get(country)
            && !is_identifier_system(system)
        {
            bad(
                &format!("{NATIONAL_ID_SYSTEMS}.{}", country.code()),
                "must be an absolute URI: urn:<namespace>:<name> (e.g. urn:oid:1.2.250.1.213.1.4.8) or http(s)://…",
            );
        }
    }
    if !(100..=20_000).contains(&c.media.max_bitrate_kbps) {
        bad("media.max_bitrate_kbps", "must be between 100 and 20000");
    } else if !(50..=c.media.max_bitrate_kbps).contains(&c.media.min_bitrate_kbps) {
        bad(
            "media.min_bitrate_kbps",
            &format!(
                "must be between 50 and media.max_bitrate_kbps ({})",
                c.media.max_bitrate_kbps
            ),
        );
    }
    if !(1..=50).contains(&c.media.attachment_max_mb) {
        bad("media.attachment_max_mb", "must be between 1 and 50");
    }
    for (key, list) in [
        ("media.stun_servers", &c.media.stun_servers),
        ("media.turn_servers", &c.media.turn_servers),
    ] {
        let scheme = if key.contains("stun") {
            "stun:"
        } else {
            "turn"
        };
        if list.iter().any(|s| !s.starts_with(scheme)) {
            bad(key, &format!("each entry must be a {scheme} URI"));
        }
    }
    url_with_scheme(
        &mut bad,
        "notify.email.smtp_url",
        c.notify.email.smtp_url.as_deref(),
        &["smtp://", "smtps://"],
    );
    if !c.notify.email.from.contains('@') {
        bad("notify.email.from", "must be an e-mail address");
    }
    url_with_scheme(
        &mut bad,
        "notify.sms.url",
        c.notify.sms.url.as_deref(),
        &["https://", "http://"],
    );
    for (key, value) in [
        ("limits.login_per_minute", c.limits.login_per_minute),
        ("limits.otp_per_minute", c.limits.otp_per_minute),
        ("limits.register_per_hour", c.limits.register_per_hour),
        (
            "limits.password_reset_per_hour",
            c.limits.password_reset_per_hour,
        ),
        (
            "limits.open_appointments_per_account",
            c.limits.open_appointments_per_account,
        ),
        (
            "limits.uploads_per_appointment",
            c.limits.uploads_per_appointment,
        ),
        ("limits.uploads_per_day", c.limits.uploads_per_day),
        ("limits.exports_per_hour", c.limits.exports_per_hour),
    ] {
        if value == 0 {
            bad(key, "must be at least 1");
        }
    }
    if c.limits.password_hashing_concurrency > 64 {
        bad(
            "limits.password_hashing_concurrency",
            "must be at most 64 (each password check needs about 19 MiB; 0: the number of CPU cores)",
        );
    }
    for offset in &c.booking.reminder_offsets {
        match offset.parse::<jiff::SignedDuration>() {
            Ok(d) if d.is_positive() && d <= jiff::SignedDuration::from_hours(24 * 30) => {}
            _ => bad(
                "booking.reminder_offsets",
                &format!(
                    "{offset:?} is not a duration between 1s and 30 days (e.g. \"24h\", \"90m\")"
                ),
            ),
        }
    }
    if c.booking.reminder_offsets.len() > 8 {
        bad("booking.reminder_offsets", "at most 8 reminders");
    }
    if !(1..=365).contains(&c.booking.horizon_days) {
        bad("booking.horizon_days", "must be between 1 and 365");
    }
    if c.booking.patient_cancellation_deadline_min > 7 * 24 * 60 {
        bad(
            "booking.patient_cancellation_deadline_min",
            "must be at most a week (10080)",
        );
    }
    validate_print(&c.print, c.site.kind, &mut bad);
    booth::validate(&c.queue, &c.booth, &mut bad);
    if let Some(minutes) = c.auth.idle_timeout_min
        && !(0.05..=480.0).contains(&minutes)
    {
        bad(
            "auth.idle_timeout_min",
            "must be between 0.05 (3 seconds) and 480 (the 8-hour session limit) minutes",
        );
    }
    for (key, message) in c.auth.problems() {
        bad(key, &message);
    }
    if tracing_subscriber::EnvFilter::try_new(&c.log.level).is_err() {
        bad(
            "log.level",
            "not a valid filter (e.g. info, debug, info,teleconsult_web=debug)",
        );
    }
}

/// `[print]`: checked even while printing is off, so a mistake shows before it is switched on.
pub(super) fn validate_print(p: &PrintConfig, kind: SiteKind, bad: &mut impl FnMut(&str, &str)) {
    if p.enabled && kind != SiteKind::Booth {
        bad(
            "print.enabled",
            "printing is for booth sites (site.kind = \"booth\"): the printer is where the patient sits",
        );
    }
    let command = p.command.trim();
    if command.is_empty() || command != p.command || command.contains(char::is_whitespace) {
        bad(
            "print.command",
            "must be the lp program: a name found in PATH or an absolute path, without arguments or spaces",
        );
    } else if command.contains('/') && !command.starts_with('/') {
        bad(
            "print.command",
            "a path must be absolute (e.g. /usr/bin/lp)",
        );
    }
    // CUPS destination names: printable, no space, '/', '#' or '\\' (lpadmin's rule), < 128.
    if p.printer.len() > 127
        || p.printer
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '/' | '#' | '\\'))
    {
        bad(
            "print.printer",
            "not a CUPS destination name (no spaces, /, # or \\; at most 127 characters)",
        );
    }
    if !p.server.is_empty() && !is_cups_server(&p.server) {
        bad(
            "print.server",
            "must be host:port (e.g. 127.0.0.1:631), a host name, or the absolute path of the CUPS socket",
        );
    }
    if !(1..=300).contains(&p.timeout_s) {
        bad("print.timeout_s", "must be between 1 and 300 seconds");
    }
}

/// What `lp -h` accepts: a socket path, or a host with an optional port.
pub(super) fn is_cups_server(server: &str) -> bool {
    if server.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if server.starts_with('/') {
        return server.len() > 1;
    }
    let (host, port) = match server.rsplit_once(':') {
        // `[::1]:631` or `host:631`; a bare IPv6 address has more than one colon.
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => (host, Some(port)),
        _ => (server, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    !host.is_empty() && !host.starts_with('-') && port_ok
}

/// A FHIR `Identifier.system`: `urn:<nid>:<nss>` or an `http(s)://` URL with a host; no spaces.
pub(super) fn is_identifier_system(system: &str) -> bool {
    if system.is_empty() || system.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if let Some(rest) = system.strip_prefix("urn:") {
        return rest
            .split_once(':')
            .is_some_and(|(nid, nss)| !nid.is_empty() && !nss.is_empty());
    }
    ["https://", "http://"].iter().any(|scheme| {
        system
            .strip_prefix(scheme)
            .is_some_and(|rest| rest.split('/').next().is_some_and(|host| !host.is_empty()))
    })
}

/// An optional URL must start with one of `schemes` and have something after it.
pub(super) fn url_with_scheme(
    bad: &mut impl FnMut(&str, &str),
    key: &str,
    url: Option<&str>,
    schemes: &[&str],
) {
    let Some(url) = url else { return };
    let ok = schemes
        .iter()
        .any(|scheme| url.len() > scheme.len() && url.starts_with(scheme));
    if !ok {
        bad(
            key,
            &format!("must be a URL starting with {}", schemes.join(" or ")),
        );
    }
}
