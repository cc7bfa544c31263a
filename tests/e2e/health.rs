//! Health, readiness, metrics, OpenAPI and the error shape, against a real daemon over TLS.

use anyhow::Context;
use serde_json::Value;
use std::time::Duration;
use teleconsult_tests::{Daemon, DaemonOptions};

#[tokio::test]
async fn health_readiness_and_metrics_are_served_over_tls() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions::default()).await?;
    assert!(
        daemon.base_url.starts_with("https://127.0.0.1:"),
        "{}",
        daemon.base_url
    );

    let health = daemon.client.get(daemon.url("/healthz")).send().await?;
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Value>().await?,
        serde_json::json!({"status": "ok"})
    );

    let ready = daemon.client.get(daemon.url("/readyz")).send().await?;
    assert_eq!(ready.status(), 200);

    let metrics = daemon.client.get(daemon.url("/metrics")).send().await?;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await?;
    for needle in [
        "teleconsult_build_info{version=",
        "teleconsult_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1",
        "teleconsult_ready 1",
        "teleconsult_audit_records",
        "teleconsult_outbox_pending 0",
    ] {
        assert!(text.contains(needle), "metrics lack {needle:?}:\n{text}");
    }
    Ok(())
}

/// A plain-HTTP request to the HTTPS port: the connection is accepted (the daemon is there),
/// no HTTP answer comes back (at most a TLS alert, then the connection ends), and the daemon
/// goes on serving HTTPS. A refused connection, a timeout or a crash fail the test.
#[tokio::test]
async fn plain_http_is_refused() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut daemon = Daemon::start(DaemonOptions::default()).await?;
    let address = daemon
        .base_url
        .strip_prefix("https://")
        .context("not an https URL")?
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .with_context(|| format!("the daemon does not accept connections on {address}"))?;
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
        .await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .context("the connection stayed open after a plain-HTTP request")?
        .or_else(|e| match e.kind() {
            // A reset after the TLS alert is a refusal too.
            std::io::ErrorKind::ConnectionReset => Ok(0),
            _ => Err(e),
        })?;
    assert!(
        !answer.starts_with(b"HTTP/"),
        "the daemon answered plain HTTP: {}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        answer.is_empty() || answer[0] == 0x15,
        "neither a TLS alert nor a closed connection: {answer:02x?}"
    );
    // Still running and serving.
    assert!(
        daemon.exited()?.is_none(),
        "the daemon exited after a plain-HTTP request:\n{}",
        daemon.logs()
    );
    let health = daemon.client.get(daemon.url("/healthz")).send().await?;
    assert_eq!(health.status(), 200);
    Ok(())
}

/// Every route the router serves (`web/src/openapi.rs`, `api_router`): method and path as the
/// OpenAPI document writes them. A route added, removed or renamed fails
/// [`openapi_document_is_valid_and_lists_every_endpoint`] until this list says so.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/appointments"),
    ("POST", "/api/v1/appointments"),
    ("GET", "/api/v1/appointments/{id}"),
    ("GET", "/api/v1/appointments/{id}/attachments"),
    ("POST", "/api/v1/appointments/{id}/attachments"),
    ("GET", "/api/v1/appointments/{id}/attachments/{attachment}"),
    ("GET", "/api/v1/appointments/{id}/call"),
    ("GET", "/api/v1/appointments/{id}/call/quality"),
    ("POST", "/api/v1/appointments/{id}/cancel"),
    ("POST", "/api/v1/appointments/{id}/documents"),
    ("GET", "/api/v1/appointments/{id}/medical-record"),
    ("GET", "/api/v1/appointments/{id}/signal"),
    ("POST", "/api/v1/appointments/{id}/signal-ticket"),
    ("GET", "/api/v1/booth/patients"),
    ("POST", "/api/v1/booth/sessions"),
    ("GET", "/api/v1/booth/sessions/{id}"),
    ("POST", "/api/v1/booth/sessions/{id}/end"),
    ("GET", "/api/v1/booth/status"),
    ("POST", "/api/v1/booth/check"),
    ("PUT", "/api/v1/practitioners/{id}/availability"),
    ("GET", "/api/v1/queue"),
    ("POST", "/api/v1/queue/next"),
    ("POST", "/api/v1/queue/asap"),
    ("GET", "/api/v1/queue/asap"),
    ("POST", "/api/v1/queue/walk-ins"),
    ("GET", "/api/v1/queue/entries/{id}"),
    ("DELETE", "/api/v1/queue/entries/{id}"),
    ("POST", "/api/v1/queue/entries/{id}/book"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/otp"),
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
    ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/conversations/{patient}/{practitioner}"),
    (
        "POST",
        "/api/v1/conversations/{patient}/{practitioner}/files",
    ),
    (
        "POST",
        "/api/v1/conversations/{patient}/{practitioner}/messages",
    ),
    ("GET", "/api/v1/documents"),
    ("GET", "/api/v1/documents/{id}"),
    ("POST", "/api/v1/documents/{id}/paid"),
    ("GET", "/api/v1/documents/{id}/pdf"),
    ("POST", "/api/v1/documents/{id}/print"),
    ("POST", "/api/v1/documents/{id}/supersede"),
    ("GET", "/api/v1/laboratories"),
    ("PUT", "/api/v1/laboratories/{id}"),
    ("GET", "/api/v1/me"),
    ("DELETE", "/api/v1/me"),
    ("PATCH", "/api/v1/me"),
    ("POST", "/api/v1/me/consents/{kind}/withdraw"),
    ("POST", "/api/v1/me/confirmation-code"),
    ("GET", "/api/v1/me/export"),
    ("GET", "/api/v1/me/totp"),
    ("POST", "/api/v1/me/totp"),
    ("DELETE", "/api/v1/me/totp"),
    ("POST", "/api/v1/me/totp/confirm"),
    ("GET", "/api/v1/messages/{id}/file"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/patients"),
    ("POST", "/api/v1/patients/activate"),
    ("GET", "/api/v1/patients/{id}/medical-record"),
    ("PUT", "/api/v1/patients/{id}/medical-record"),
    ("GET", "/api/v1/practitioners"),
    ("GET", "/api/v1/practitioners/first-available"),
    ("PUT", "/api/v1/practitioners/{id}"),
    ("GET", "/api/v1/practitioners/{id}/schedule"),
    ("PUT", "/api/v1/practitioners/{id}/schedule"),
    ("GET", "/api/v1/practitioners/{id}/slots"),
    ("POST", "/api/v1/prescriptions/lookup"),
    ("POST", "/api/v1/prescriptions/{id}/dispense"),
    ("GET", "/api/v1/sync/conflicts"),
    ("GET", "/api/v1/sync/parked"),
    ("POST", "/api/v1/sync/parked/{id}/discard"),
    ("POST", "/api/v1/sync/parked/{id}/retry"),
    ("GET", "/api/v1/sync/status"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("POST", "/api/v1/users/{id}/disable"),
    ("POST", "/api/v1/users/{id}/reset-totp"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/readyz"),
];

/// The document lists exactly the router's routes ([`ROUTES`]), every one of them is served
/// (an anonymous request is answered by the route — 401, 422, 200… — never by the router's
/// 404 or 405), and a real validator accepts the document.
#[tokio::test]
async fn openapi_document_is_valid_and_lists_every_endpoint() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions::default()).await?;
    let response = daemon
        .client
        .get(daemon.url("/api/v1/openapi.json"))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let body = response.text().await?;
    let doc: Value = serde_json::from_str(&body)?;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().context("no paths")? {
        for method in item.as_object().context("a path item")?.keys() {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routes: std::collections::BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "routes missing from the document: {undocumented:?}; documented routes not in ROUTES \
         (add them there once they are meant to be served): {unknown:?}"
    );

    let mut unserved = Vec::new();
    for (method, path) in &documented {
        let concrete = path
            .replace("{kind}", "teleconsultation")
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "00000000-0000-4000-8000-00000000dead"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let mut request = daemon
            .client
            .request(method.parse()?, daemon.url(&concrete));
        if ["POST", "PUT", "PATCH"].contains(&method.as_str()) {
            request = request.json(&serde_json::json!({}));
        }
        let status = request.send().await?.status().as_u16();
        if status == 404 || status == 405 {
            unserved.push(format!("{method} {path} → {status}"));
        }
    }
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:?}"
    );

    // A real validator, not our own reading of the spec.
    let file = daemon.dir().join("openapi.json");
    std::fs::write(&file, &body)?;
    let python = teleconsult_tests::python::interpreter()?;
    let out = std::process::Command::new(python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()?;
    assert!(
        out.status.success(),
        "openapi-spec-validator rejected the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

#[tokio::test]
async fn errors_have_the_json_shape() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions::default()).await?;
    let missing = daemon
        .client
        .get(daemon.url("/api/v1/nothing-here"))
        .send()
        .await?;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await?;
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].is_string());

    let wrong_method = daemon.client.delete(daemon.url("/healthz")).send().await?;
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(
        wrong_method.json::<Value>().await?["error"],
        "method_not_allowed"
    );

    let malformed = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await?;
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.json::<Value>().await?["error"], "malformed_json");

    let not_json = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .body("x")
        .send()
        .await?;
    assert_eq!(not_json.status(), 415);
    assert_eq!(
        not_json.json::<Value>().await?["error"],
        "unsupported_media_type"
    );

    let too_big = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await?;
    assert_eq!(too_big.status(), 413);
    Ok(())
}
