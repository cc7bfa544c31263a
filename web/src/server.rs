//! Router assembly (middleware stack) and the HTTPS server loop.

use crate::error;
use crate::metrics::{HttpLabels, RouteLabels};
use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum_server::tls_rustls::RustlsConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (JSON API; attachments get their own limit where they land).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The complete application: API, pages, middleware.
pub fn router(state: AppState) -> Router {
    let (api, _) = crate::api_router().split_for_parts();
    api.merge(crate::pages::routes())
        .fallback(crate::pages::fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::storage::fence,
        ))
        .layer(middleware::from_fn(content_security_policy))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_metrics,
        ))
        .layer(
            // Spans name the route template only: concrete paths and query strings may carry
            // identifiers or search terms that are health data.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("-", MatchedPath::as_str);
                tracing::info_span!("http", method = %req.method(), route = %route)
            }),
        )
        // Extractors (JSON, forms) stop at MAX_BODY_BYTES; only call attachments read a raw
        // body, with their own configured limit under this hard ceiling.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(
            crate::call_attachments::MAX_UPLOAD_BYTES + 64 * 1024,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}

/// The Content-Security-Policy of every HTML page: only this origin's files, no inline script
/// or style, no framing, forms posting only here, no `<base>` or plugins. JSON answers (the API)
/// keep their headers unchanged.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; frame-ancestors 'none'; \
     form-action 'self'; base-uri 'none'; object-src 'none'";

async fn content_security_policy(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if is_html {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    response
}

async fn record_metrics(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state
        .metrics
        .http_requests
        .get_or_create(&HttpLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .http_duration
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// The `method` label of the HTTP metrics: the methods the API and pages use, everything else
/// `other` — a client choosing arbitrary method names must not grow the label set (and the
/// memory of every metrics family with it).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Serves `app` on an already-bound listener until `shutdown` is cancelled, then lets requests in
/// flight finish for at most `drain`. Taking the listener (rather than an address) lets tests
/// bind `127.0.0.1:0` and the daemon bind before it reports readiness.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: Router,
    shutdown: CancellationToken,
    drain: Duration,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        stopper.graceful_shutdown(Some(drain));
    });
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some(config) => {
            axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(config))?
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            axum_server::from_tcp(listener)?
                .handle(handle)
                .serve(service)
                .await
        }
    }
}
