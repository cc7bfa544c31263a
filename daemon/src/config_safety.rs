//! Configuration rules that keep secrets where they belong (docs/security.md, "Transports and
//! demo mode"):
//! - demo mode (fixed passwords, an administrator's among them, and every login code on
//!   `/demo/outbox`) listens only on loopback unless the operator starts it with
//!   `--demo-on-network`;
//! - outside demo mode, secrets (login codes, activation links, health data) never travel in
//!   clear text: `smtps://` or `smtp://…?tls=required`, `https://` SMS gateways and platform.
//!   Plain `smtp://` and `http://` stay allowed to this machine (127.0.0.0/8, ::1, `localhost`):
//!   a relay on the box, or a test's sinks;
//! - TURN: a shared secret (`media.turn_secret_file`) or, deprecated, a static pair — never both.

use super::{Config, ConfigIssue, Flags};
use reqwest::Url;
use std::net::{IpAddr, SocketAddr};

/// Whether `addr` is reachable from this machine only (127.0.0.0/8, ::1, or an IPv4-mapped
/// loopback address).
pub fn listens_on_loopback(addr: SocketAddr) -> bool {
    addr.ip().to_canonical().is_loopback()
}

/// Whether the URL's host is this machine: a loopback address, or the name `localhost`.
fn is_loopback_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// `host` or `host:port` of a URL, never its user, password, path or query (they may hold
/// secrets, and the messages end up in logs).
fn authority(url: &Url, default_port: Option<u16>) -> String {
    let host = url.host_str().unwrap_or("HOST");
    match url.port().or(default_port) {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

const LOCAL_ONLY: &str =
    "plain text is accepted only to this machine (127.0.0.1, ::1, localhost) or in demo mode";

pub(super) fn validate(c: &Config, flags: Flags, issues: &mut Vec<ConfigIssue>) {
    let mut bad = |key: &str, message: String| {
        issues.push(ConfigIssue {
            key: key.into(),
            message,
        })
    };
    // `site.demo = true` in a file read without `--demo`: `load_with` reads it again with the
    // demo layer (its loopback default) under the file; judge that reading only.
    let demo_layer_applied = flags.demo || !c.site.demo;
    if c.site.demo
        && demo_layer_applied
        && !flags.demo_on_network
        && !listens_on_loopback(c.http.listen)
    {
        bad(
            "http.listen",
            format!(
                "demo mode serves fixed passwords (an administrator's among them) and every login code on /demo/outbox, \
                 so it listens only on loopback: write listen = \"127.0.0.1:{port}\", or start with --demo-on-network \
                 to show the demo to other machines of a network you trust",
                port = c.http.listen.port()
            ),
        );
    }
    if let Some(raw) = &c.notify.email.smtp_url
        && let Ok(url) = Url::parse(raw)
    {
        smtp(&url, c.site.demo, &mut bad);
    }
    for (key, raw, what) in [
        (
            "notify.sms.url",
            c.notify.sms.url.as_deref(),
            "SMS (login codes) and the gateway token",
        ),
        (
            "platform.base_url",
            c.platform.base_url.as_deref(),
            "health data and the platform credentials",
        ),
    ] {
        if let Some(url) = raw.and_then(|r| Url::parse(r).ok())
            && url.scheme() == "http"
            && !c.site.demo
            && !is_loopback_host(&url)
        {
            bad(
                key,
                format!(
                    "http:// would send {what} in clear text: write https://{}/… (the same path over TLS); {LOCAL_ONLY}",
                    authority(&url, None)
                ),
            );
        }
    }
    turn(c, &mut bad);
}

/// `smtps://` is TLS from the first byte; `smtp://` is clear text unless `?tls=required`
/// (lettre's URL syntax: STARTTLS, the message refused when the server does not offer it).
/// `?tls=opportunistic` falls back to clear text when a man in the middle strips STARTTLS.
fn smtp(url: &Url, demo: bool, bad: &mut impl FnMut(&str, String)) {
    const KEY: &str = "notify.email.smtp_url";
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    if let Some(tls) = &tls
        && tls != "required"
        && tls != "opportunistic"
    {
        bad(
            KEY,
            format!("tls={tls:?} is not known: write ?tls=required (STARTTLS)"),
        );
        return;
    }
    if url.scheme() != "smtp" || tls.as_deref() == Some("required") || demo {
        return;
    }
    if is_loopback_host(url) {
        return;
    }
    let host = url.host_str().unwrap_or("HOST");
    let why = if tls.is_some() {
        "?tls=opportunistic falls back to clear text whenever STARTTLS is missing or stripped on the way"
    } else {
        "smtp:// without ?tls=required sends e-mails (activation links, documents) and the SMTP password in clear text"
    };
    bad(
        KEY,
        format!(
            "{why}: write smtps://{host}:465 (TLS from the start) or smtp://{}?tls=required (STARTTLS required); {LOCAL_ONLY}",
            authority(url, Some(587))
        ),
    );
}

fn turn(c: &Config, bad: &mut impl FnMut(&str, String)) {
    let media = &c.media;
    if !(600..=86_400).contains(&media.turn_ttl_s) {
        bad(
            "media.turn_ttl_s",
            "must be between 600 (10 minutes) and 86400 (a day) seconds, and outlast the longest call".into(),
        );
    }
    if media.turn_secret_file.is_some() && media.turn_servers.iter().any(|s| has_userinfo(s)) {
        bad(
            "media.turn_servers",
            "with media.turn_secret_file, write each TURN server without user:password (e.g. turn:turn.example.lu:3478): \
             every call gets credentials of its own"
                .into(),
        );
    }
}

/// `turn://user:password@host…`: a static pair.
fn has_userinfo(uri: &str) -> bool {
    let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    rest.split(['/', '?'])
        .next()
        .is_some_and(|a| a.contains('@'))
}

/// What is allowed but deserves the operator's attention; `check-config` prints these after a
/// valid result, the daemon logs them at start.
pub fn warnings(c: &Config, flags: Flags) -> Vec<ConfigIssue> {
    let mut out = Vec::new();
    let mut warn = |key: &str, message: &str| {
        out.push(ConfigIssue {
            key: key.into(),
            message: message.into(),
        })
    };
    if c.site.demo && flags.demo_on_network && !listens_on_loopback(c.http.listen) {
        warn(
            "http.listen",
            "--demo-on-network: the demo's fixed passwords and its login codes (/demo/outbox) are reachable from the network",
        );
    }
    if !c.site.demo && flags.demo_on_network {
        warn(
            "site.demo",
            "--demo-on-network has no effect outside demo mode",
        );
    }
    if c.media.turn_secret_file.is_none() && c.media.turn_servers.iter().any(|s| has_userinfo(s)) {
        warn(
            "media.turn_servers",
            "a static TURN user:password is deprecated (every participant receives it, and it never expires): \
             set media.turn_secret_file (coturn use-auth-secret) and remove user:password from the URIs",
        );
    }
    if c.media.turn_secret_file.is_some() && c.media.turn_servers.is_empty() {
        warn(
            "media.turn_secret_file",
            "is set but media.turn_servers is empty: no TURN server is offered",
        );
    }
    out
}
