//! The stylesheet and script of the pages, compiled into the binary (`web/static/`) and served
//! under `/static/` with a year-long cache. Their URLs carry a hash of the content
//! (`?v=…`), so a new release is fetched at once despite the cache.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;

/// (name, content type, content).
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    ),
    (
        "call.css",
        "text/css; charset=utf-8",
        include_str!("../../static/call.css"),
    ),
    (
        "call.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/call.js"),
    ),
];

fn find(name: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    FILES.iter().find(|(n, _, _)| *n == name)
}

/// FNV-1a: a stable content fingerprint for cache busting (not a security function), written
/// with the letters a–p only, so pages never show a run of digits that could be mistaken for a
/// login code.
fn fingerprint(content: &str) -> String {
    let hash = content.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (0..16)
        .map(|nibble| char::from(b'a' + ((hash >> (nibble * 4)) & 0xf) as u8))
        .collect()
}

/// The URL of static file `name`, with its fingerprint.
pub fn url(name: &str) -> String {
    static URLS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let urls = URLS.get_or_init(|| {
        FILES
            .iter()
            .map(|(n, _, content)| (*n, format!("/static/{n}?v={}", fingerprint(content))))
            .collect()
    });
    urls.iter()
        .find(|(n, _)| *n == name)
        .map_or_else(|| format!("/static/{name}"), |(_, u)| u.clone())
}

/// `GET /static/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    match find(&name) {
        Some((_, content_type, content)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            *content,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_change_with_the_content() {
        assert!(url("app.css").starts_with("/static/app.css?v="));
        assert_ne!(fingerprint("a{}"), fingerprint("b{}"));
        assert_eq!(fingerprint("x").len(), 16);
        assert!(fingerprint("x").chars().all(|c| c.is_ascii_lowercase()));
    }
}
