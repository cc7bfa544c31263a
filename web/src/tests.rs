//! Router-level tests: the real router and a real store in a temporary folder, requests sent
//! without a socket, so the client address can be chosen.

use crate::{AppState, Settings};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use teleconsult_core::Timestamp;
use teleconsult_core::national_id::Country;
use teleconsult_core::ports::Clock;
use tower::ServiceExt;

struct FixedClock;
impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }
}

pub(crate) fn state() -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let key = teleconsult_store::StorageKey::generate();
    let store = teleconsult_store::Store::open(&dir.path().join("data"), key).unwrap();
    let settings = Settings {
        site_name: "Test".into(),
        site_id: "test".into(),
        country: Country::LU,
        demo: false,
        demo_on_network: false,
        organizer: "teleconsult@test.invalid".into(),
        public_url: "https://localhost:8443".into(),
        limits: crate::auth::ratelimit::Limits::default(),
        time_zone: "Europe/Luxembourg".into(),
        booking: Default::default(),
        appointments: Default::default(),
        languages: teleconsult_core::site::Language::ALL.to_vec(),
        printing: None,
        idle_timeout: jiff::SignedDuration::from_mins(15),
        totp_offered: true,
        totp_nudge: false,
        quotas: crate::state::Quotas::default(),
        booth: crate::state::BoothSettings::default(),
    };
    (
        dir,
        AppState::new(
            store,
            Arc::new(FixedClock),
            settings,
            Arc::default(),
            teleconsult_sync::SyncHandle::disabled(),
        ),
    )
}

async fn get(state: &AppState, path: &str, from: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(path).body(Body::empty()).unwrap();
    if let Some(addr) = from {
        request
            .extensions_mut()
            .insert(ConnectInfo(addr.parse::<SocketAddr>().unwrap()));
    }
    let response = crate::router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn readiness_follows_the_ready_flag() {
    let (_dir, state) = state();
    let (status, body) = get(&state, "/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("starting"));
    state.set_ready(true);
    assert_eq!(get(&state, "/readyz", None).await.0, StatusCode::OK);
    state.set_ready(false);
    assert_eq!(
        get(&state, "/readyz", None).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn metrics_are_for_loopback_clients_only() {
    let (_dir, state) = state();
    for addr in ["127.0.0.1:5000", "[::1]:5000", "[::ffff:127.0.0.1]:5000"] {
        let (status, body) = get(&state, "/metrics", Some(addr)).await;
        assert_eq!(status, StatusCode::OK, "{addr}: {body}");
        assert!(body.contains("teleconsult_build_info"));
    }
    // Documentation-range addresses, injected in-process (no traffic), and no address at all.
    for addr in [Some("192.0.2.10:5000"), Some("[2001:db8::1]:5000"), None] {
        let (status, body) = get(&state, "/metrics", addr).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{addr:?}");
        assert!(body.contains("\"error\":\"forbidden\""), "{body}");
    }
}

#[tokio::test]
async fn security_headers_are_set() {
    let (_dir, state) = state();
    let response = crate::router(state)
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

/// Issue #18 (11): a client sending made-up methods must not add a label value per method —
/// the set is fixed, everything unknown is `other`.
#[tokio::test]
async fn the_metrics_method_label_takes_a_fixed_set() {
    let (_dir, state) = state();
    let router = crate::router(state.clone());
    for i in 0..40 {
        let method = axum::http::Method::from_bytes(format!("XMETHOD{i}").as_bytes()).unwrap();
        let request = Request::builder()
            .method(method)
            .uri("/healthz")
            .body(Body::empty())
            .unwrap();
        router.clone().oneshot(request).await.unwrap();
    }
    let (status, body) = get(&state, "/metrics", Some("127.0.0.1:5000")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("XMETHOD"), "{body}");
    let requests: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("teleconsult_http_requests_total{"))
        .collect();
    assert!(
        requests
            .iter()
            .any(|l| l.contains("method=\"other\"") && l.ends_with(" 40")),
        "{requests:?}"
    );
    for line in &requests {
        let method = line
            .split("method=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        assert!(
            [
                "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other"
            ]
            .contains(&method),
            "{line}"
        );
    }
}
