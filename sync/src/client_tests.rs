use super::*;

#[test]
fn classification_follows_the_parking_rule() {
    let o = OperationOutcome::local("invalid", "x");
    assert!(matches!(
        classify(400, o.clone(), "t"),
        Failure::Rejected { status: 400, .. }
    ));
    assert!(matches!(
        classify(422, o.clone(), "t"),
        Failure::Rejected { .. }
    ));
    assert!(matches!(
        classify(404, o.clone(), "t"),
        Failure::Rejected { .. }
    ));
    assert!(matches!(
        classify(409, o.clone(), "t"),
        Failure::Conflict(_)
    ));
    assert!(matches!(
        classify(412, o.clone(), "t"),
        Failure::Conflict(_)
    ));
    for status in [408, 429, 500, 502, 503, 504] {
        assert!(
            matches!(classify(status, o.clone(), "t"), Failure::Unavailable(_)),
            "{status}"
        );
    }
    // The site's credentials, not the entry: never parked, and said so.
    for status in [401, 403, 407] {
        let failure = classify(status, o.clone(), "POST");
        assert!(matches!(failure, Failure::Unauthorized(_)), "{status}");
        assert!(
            failure
                .describe()
                .starts_with("authentication failed: HTTP"),
            "{}",
            failure.describe()
        );
    }
}

#[test]
fn refused_and_untrusted_certificates_are_authentication_failures() {
    let refused = std::io::Error::other(rustls::Error::AlertReceived(
        rustls::AlertDescription::UnknownCA,
    ));
    let failure = tls_failure(&refused);
    assert!(
        matches!(&failure, Some(Failure::Unauthorized(why)) if why.contains("UnknownCA")),
        "{failure:?}"
    );
    let untrusted = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
    assert!(matches!(
        tls_failure(&untrusted),
        Some(Failure::Unauthorized(why)) if why.contains("ca_file")
    ));
    // Other TLS troubles and plain I/O errors stay connection failures.
    let other = std::io::Error::other(rustls::Error::AlertReceived(
        rustls::AlertDescription::DecodeError,
    ));
    assert_eq!(tls_failure(&other), None);
    let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    assert_eq!(tls_failure(&reset), None);
    // A connection closed under us (how some servers refuse a client certificate).
    assert!(closed_by_peer(&reset));
    let eof = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no close_notify");
    assert!(closed_by_peer(&eof));
    assert!(!closed_by_peer(&std::io::Error::from(
        std::io::ErrorKind::ConnectionRefused
    )));
}

#[tokio::test]
async fn a_rotated_token_is_read_again_and_an_unreadable_one_keeps_the_last() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "first\n").unwrap();
    let client = FhirClient::new(&ClientConfig {
        auth: Auth::Bearer {
            token_file: path.clone(),
        },
        ..ClientConfig::new("http://127.0.0.1:9/fhir")
    })
    .unwrap();
    let current = |c: &FhirClient| c.token.read().unwrap().clone();
    assert_eq!(current(&client).as_deref(), Some("first"));
    std::fs::write(&path, "  second \n").unwrap();
    assert_eq!(client.reload_token().await.as_deref(), Some("second"));
    assert_eq!(current(&client).as_deref(), Some("second"));
    std::fs::write(&path, "").unwrap();
    assert_eq!(client.reload_token().await, None, "half-written file");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(client.reload_token().await, None);
    assert_eq!(current(&client).as_deref(), Some("second"));
}

#[test]
fn etags() {
    assert_eq!(etag_version("W/\"3\""), "3");
    assert_eq!(etag_version("\"abc\""), "abc");
}

#[test]
fn base_url_must_be_http() {
    assert!(matches!(
        FhirClient::new(&ClientConfig::new("ftp://x")),
        Err(ClientError::BaseUrl(_))
    ));
}

/// A platform stand-in on 127.0.0.1 answering every request with `answer` (raw HTTP/1.1);
/// returns its base URL and the requests it received (head and body, as text).
async fn canned(answer: String) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (answer, log) = (answer.clone(), log.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Head, then as much body as Content-Length says (bounded: tests send little).
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length: ")
                                    .map(str::to_owned)
                            })
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length || request.len() > 1 << 20 {
                            break;
                        }
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&request).into_owned());
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, seen)
}

fn fhir_json(status: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\nconnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
}

/// Issue #18 (11): a redirect is never followed — the request (its body may be health data,
/// its headers the site's token) does not reach the place it points to.
#[tokio::test]
async fn redirects_are_not_followed() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (elsewhere, stolen) = canned(fhir_json(
        "201 Created",
        "",
        "{\"resourceType\":\"Patient\"}",
    ))
    .await;
    for status in [
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let (platform, received) = canned(fhir_json(
            status,
            &format!("location: {elsewhere}/fhir/Patient\r\n"),
            "",
        ))
        .await;
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "site-token").unwrap();
        let client = FhirClient::new(&ClientConfig {
            auth: Auth::Bearer { token_file: token },
            ..ClientConfig::new(format!("{platform}/fhir"))
        })
        .unwrap();
        let patient = crate::fhir::Patient::default();
        let result = client
            .conditional_create(&patient, "identifier=urn:test|1")
            .await;
        match result {
            Err(Failure::Unavailable(why)) => {
                assert!(
                    why.contains("redirect") && why.contains("platform.base_url"),
                    "{why}"
                )
            }
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!(received.lock().unwrap().len(), 1, "{status}");
        assert!(
            stolen.lock().unwrap().is_empty(),
            "{status}: the redirect was followed"
        );
    }
}

/// Issue #18 (11): an answer longer than the limit is refused, whether announced by
/// `Content-Length` or streamed without one — the site's memory is not the platform's to fill.
#[tokio::test]
async fn answers_larger_than_the_limit_are_refused() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A valid searchset (unknown elements are tolerated), 256 KiB of padding.
    let body = format!(
        "{{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"padding\":\"{}\"}}",
        "x".repeat(256 * 1024)
    );
    let announced = fhir_json("200 OK", "", &body);
    let streamed = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/fhir+json\r\nconnection: close\r\n\r\n{body}"
    );
    for answer in [announced, streamed] {
        let (platform, _) = canned(answer).await;
        let small = FhirClient::new(&ClientConfig {
            max_response_bytes: 64 * 1024,
            ..ClientConfig::new(format!("{platform}/fhir"))
        })
        .unwrap();
        match small.search("Appointment", "_count=1").await {
            Err(Failure::Unavailable(why)) => assert!(why.contains("larger than"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Within the default limit, the same answer is read.
        let default = FhirClient::new(&ClientConfig::new(format!("{platform}/fhir"))).unwrap();
        assert!(default.search("Appointment", "_count=1").await.is_ok());
    }
}

/// Issue #18 (11): 429 and 503 with `Retry-After` say when to come back.
#[tokio::test]
async fn retry_after_is_read_from_429_and_503() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let outcome = "{\"resourceType\":\"OperationOutcome\",\"issue\":[]}";
    for (status, header, expected) in [
        (
            "429 Too Many Requests",
            "retry-after: 7\r\n",
            Some(Duration::from_secs(7)),
        ),
        (
            "503 Service Unavailable",
            "retry-after: 120\r\n",
            Some(Duration::from_secs(120)),
        ),
        ("503 Service Unavailable", "", None),
        ("500 Internal Server Error", "retry-after: 7\r\n", None),
    ] {
        let (platform, _) = canned(fhir_json(status, header, outcome)).await;
        let client = FhirClient::new(&ClientConfig::new(format!("{platform}/fhir"))).unwrap();
        let failure = client.search("Appointment", "_count=1").await.unwrap_err();
        match (&failure, expected) {
            (
                Failure::Throttled {
                    retry_after: crate::answer::RetryAfter::Delay(d),
                    ..
                },
                Some(e),
            ) => assert_eq!(*d, e),
            (Failure::Unavailable(_), None) => {}
            other => panic!("{status} {header:?}: {other:?}"),
        }
    }
}
