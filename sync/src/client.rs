//! The HTTP client to the national platform (reqwest over rustls): authentication per
//! `[platform] auth`, FHIR JSON in and out, and the one place where an answer becomes a
//! [`Failure`] class that decides between retry, back-off and parking.

use crate::answer::{RetryAfter, read_capped};
use crate::fhir::{Bundle, BundleResponse, OperationOutcome, Resource};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use std::path::PathBuf;
use std::time::Duration;

const FHIR_JSON: &str = "application/fhir+json";

/// How the site proves who it is to the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`, the token read from this file (re-read after a 401, so
    /// a rotated token is picked up without a restart).
    Bearer {
        token_file: PathBuf,
    },
    /// Mutual TLS with this client certificate chain and key (PEM).
    Mtls {
        client_cert: PathBuf,
        client_key: PathBuf,
    },
}

/// Connection settings of the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// FHIR R4 base URL, e.g. `https://platform.example/fhir/R4`.
    pub base_url: String,
    pub auth: Auth,
    /// Trust only this CA bundle (PEM) instead of the system roots.
    pub ca_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Largest answer read; a longer one is refused (`Failure::Unavailable`).
    pub max_response_bytes: usize,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            auth: Auth::None,
            ca_file: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_response_bytes: crate::answer::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// The client could not be built (configuration files).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read {what} {path}: {source}")]
    File {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} {path} is not usable: {message}")]
    Pem {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("platform.base_url {0:?} must start with https:// or http://")]
    BaseUrl(String),
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

/// Why a request did not succeed, classified for the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The platform cannot take requests now (connection refused or reset, timeout, 5xx, 429,
    /// 408): retry with back-off; counts towards opening the circuit.
    Unavailable(String),
    /// Authentication failed: the platform refused the site's credentials (401, 403, 407, or
    /// the TLS handshake with our client certificate), or its own certificate is not trusted.
    /// The site's configuration, not this entry's fault: retried with back-off like
    /// [`Failure::Unavailable`] (the token file is re-read), never parked.
    Unauthorized(String),
    /// 429 or 503 with `Retry-After`: the platform said when to come back. Like
    /// [`Failure::Unavailable`], and nothing is sent before that time.
    Throttled {
        why: String,
        retry_after: RetryAfter,
    },
    /// 409 or 412: a concurrent change won; re-read and retry soon.
    Conflict(String),
    /// The platform refused this request for what it contains (4xx other than the above):
    /// retrying cannot help; the entry is parked with the outcome for staff.
    Rejected {
        status: u16,
        outcome: OperationOutcome,
    },
}

impl Failure {
    /// A line for logs and `last_error`: status and codes only, never resource content.
    pub fn describe(&self) -> String {
        match self {
            Failure::Unavailable(why) => format!("platform unavailable: {why}"),
            Failure::Throttled { why, retry_after } => {
                let when = match retry_after {
                    RetryAfter::Delay(d) => format!("{} s", d.as_secs()),
                    RetryAfter::At(t) => t.to_string(),
                };
                format!("platform busy: {why}, asked to retry after {when}")
            }
            Failure::Unauthorized(why) => format!("authentication failed: {why}"),
            Failure::Conflict(why) => format!("conflict: {why}"),
            Failure::Rejected { status, outcome } => {
                format!("rejected with HTTP {status}: {}", outcome.summary())
            }
        }
    }
}

/// A transaction-response bundle, entries' `response` only.
#[derive(serde::Deserialize)]
struct TransactionResponse {
    #[serde(default)]
    entry: Vec<TransactionEntry>,
}

#[derive(serde::Deserialize)]
struct TransactionEntry {
    #[serde(default)]
    response: Option<BundleResponse>,
}

/// A successful answer: the body and the version the server gave it.
#[derive(Clone, Debug)]
pub struct Answer<T> {
    pub status: u16,
    pub body: T,
    /// `ETag` (`W/"3"`) → `3`.
    pub version: Option<String>,
}

/// FHIR REST client for one platform. Cheap to clone.
#[derive(Clone, Debug)]
pub struct FhirClient {
    http: reqwest::Client,
    base: String,
    max_response_bytes: usize,
    auth: Auth,
    token: std::sync::Arc<std::sync::RwLock<Option<String>>>,
}

impl FhirClient {
    pub fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        let base = config.base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ClientError::BaseUrl(config.base_url.clone()));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            // A redirect would carry the site's credentials (bearer token, or the request
            // body with health data) to wherever the platform — or whoever answers in its
            // name — points: never followed (a 3xx is a failure naming platform.base_url).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("teleconsult-sync/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &config.ca_file {
            let pem = read("CA file", ca)?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ClientError::Pem {
                    what: "CA file",
                    path: ca.clone(),
                    message: e.to_string(),
                })?;
            builder = builder.tls_certs_only(certs);
        }
        let mut token = None;
        match &config.auth {
            Auth::None => {}
            Auth::Bearer { token_file } => token = Some(read_token(token_file)?),
            Auth::Mtls {
                client_cert,
                client_key,
            } => {
                let mut pem = read("client certificate", client_cert)?;
                pem.push(b'\n');
                pem.extend(read("client key", client_key)?);
                let identity = reqwest::Identity::from_pem(&pem).map_err(|e| ClientError::Pem {
                    what: "client certificate and key",
                    path: client_cert.clone(),
                    message: e.to_string(),
                })?;
                builder = builder.identity(identity);
            }
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(FhirClient {
            http,
            base,
            max_response_bytes: config.max_response_bytes,
            auth: config.auth.clone(),
            token: std::sync::Arc::new(std::sync::RwLock::new(token)),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `POST [base]/Type` with `If-None-Exist`: 201 when created, 200 when it already existed.
    pub async fn conditional_create<T: Resource>(
        &self,
        resource: &T,
        if_none_exist: &str,
    ) -> Result<Answer<T>, Failure> {
        let body = serde_json::to_vec(resource).map_err(local_encoding)?;
        let mut headers = HeaderMap::new();
        headers.insert("If-None-Exist", header_value(if_none_exist)?);
        self.send(
            Method::POST,
            &format!("{}/{}", self.base, T::TYPE),
            headers,
            Some(body),
        )
        .await
    }

    /// `PUT [base]/Type/id` with `If-Match: W/"version"`.
    pub async fn update<T: Resource>(
        &self,
        resource: &T,
        version: &str,
    ) -> Result<Answer<T>, Failure> {
        let id = resource
            .id()
            .ok_or_else(|| Failure::Rejected {
                status: 0,
                outcome: OperationOutcome::local("required", "update of a resource without id"),
            })?
            .to_owned();
        let body = serde_json::to_vec(resource).map_err(local_encoding)?;
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_MATCH, header_value(&format!("W/\"{version}\""))?);
        self.send(
            Method::PUT,
            &format!("{}/{}/{}", self.base, T::TYPE, id),
            headers,
            Some(body),
        )
        .await
    }

    /// `GET [base]/Type?query`.
    pub async fn search(&self, resource_type: &str, query: &str) -> Result<Bundle, Failure> {
        let url = format!("{}/{resource_type}?{query}", self.base);
        Ok(self
            .send(Method::GET, &url, HeaderMap::new(), None)
            .await?
            .body)
    }

    /// Follows a paging link. Links must stay on the platform: a link elsewhere is refused
    /// (it would send our credentials to another host).
    pub async fn follow(&self, url: &str) -> Result<Bundle, Failure> {
        if !url.starts_with(&format!("{}/", self.base))
            && !url.starts_with(&format!("{}?", self.base))
        {
            return Err(Failure::Rejected {
                status: 0,
                outcome: OperationOutcome::local(
                    "security",
                    "paging link leaves the platform base URL",
                ),
            });
        }
        Ok(self
            .send(Method::GET, url, HeaderMap::new(), None)
            .await?
            .body)
    }

    /// `POST [base]` with a transaction bundle; returns the entries' responses (status,
    /// location, etag). An entry refused inside the transaction is a [`Failure::Rejected`] with
    /// that entry's outcome. The resources echoed back are skipped unparsed: the worker needs
    /// only the statuses, and a backlog drain should not spend its CPU on them.
    pub async fn transaction(&self, bundle: &Bundle) -> Result<Vec<BundleResponse>, Failure> {
        let body = serde_json::to_vec(bundle).map_err(local_encoding)?;
        let answer: Answer<TransactionResponse> = self
            .send(Method::POST, &self.base, HeaderMap::new(), Some(body))
            .await?;
        let responses: Vec<BundleResponse> = answer
            .body
            .entry
            .into_iter()
            .filter_map(|e| e.response)
            .collect();
        for response in &responses {
            let Some(code) = response.code() else {
                continue;
            };
            if (200..300).contains(&code) {
                continue;
            }
            let outcome = response
                .outcome
                .clone()
                .and_then(|o| serde_json::from_value(o).ok())
                .unwrap_or_else(|| {
                    OperationOutcome::local("processing", "transaction entry failed")
                });
            return Err(classify(code, outcome, "transaction entry"));
        }
        Ok(responses)
    }

    /// Reads the token file again and keeps what it holds now; `None` (the token in use kept)
    /// when it cannot be read or is empty, e.g. caught in the middle of a rewrite.
    async fn reload_token(&self) -> Option<String> {
        let Auth::Bearer { token_file } = &self.auth else {
            return None;
        };
        let fresh = match tokio::fs::read(token_file).await {
            Ok(raw) => String::from_utf8(raw).ok()?.trim().to_owned(),
            Err(e) => {
                // The path and the I/O error only: never the token.
                tracing::warn!(path = %token_file.display(), error = %e, "cannot re-read the platform token file");
                return None;
            }
        };
        if fresh.is_empty() {
            return None;
        }
        if let Ok(mut slot) = self.token.write() {
            *slot = Some(fresh.clone());
        }
        Some(fresh)
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
    ) -> Result<Answer<T>, Failure> {
        let mut reread_token = matches!(self.auth, Auth::Bearer { .. });
        let mutual_tls = matches!(self.auth, Auth::Mtls { .. });
        loop {
            let token = self.token.read().ok().and_then(|t| t.clone());
            let mut request = self
                .http
                .request(method.clone(), url)
                .headers(headers.clone())
                .header(header::ACCEPT, FHIR_JSON);
            if let Some(body) = &body {
                request = request
                    .header(header::CONTENT_TYPE, FHIR_JSON)
                    .header("Prefer", "return=representation")
                    .body(body.clone());
            }
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.map_err(|e| transport(e, mutual_tls))?;
            let status = response.status();
            if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) && reread_token {
                // The token may have been rotated on disk: read it again, and try at once when
                // it changed (else the worker backs off and the next attempt reads it again).
                reread_token = false;
                if self
                    .reload_token()
                    .await
                    .is_some_and(|fresh| Some(fresh) != token)
                {
                    continue;
                }
            }
            let version = response
                .headers()
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(etag_version);
            let retry_after = RetryAfter::from_headers(response.headers());
            // An answer was under way: whatever ended it, it was not the handshake.
            let bytes =
                read_capped(response, self.max_response_bytes, |e| transport(e, false)).await?;
            if status.is_success() {
                let body = serde_json::from_slice(&bytes).map_err(|e| {
                    Failure::Unavailable(format!(
                        "HTTP {} with a body that is not the expected FHIR JSON ({:?} error)",
                        status.as_u16(),
                        e.classify()
                    ))
                })?;
                return Ok(Answer {
                    status: status.as_u16(),
                    body,
                    version,
                });
            }
            let outcome = serde_json::from_slice::<OperationOutcome>(&bytes)
                .ok()
                .filter(|o| o.resource_type == "OperationOutcome")
                .unwrap_or_else(|| {
                    OperationOutcome::local(
                        "unknown",
                        format!("HTTP {} without an OperationOutcome", status.as_u16()),
                    )
                });
            let failure = classify(status.as_u16(), outcome, method.as_str());
            return Err(match (failure, retry_after) {
                (Failure::Unavailable(why), Some(retry_after))
                    if matches!(status.as_u16(), 429 | 503) =>
                {
                    Failure::Throttled { why, retry_after }
                }
                (failure, _) => failure,
            });
        }
    }
}

/// The rule of DESIGN §6 and issue 8: 4xx other than 409/412 is the entry's fault (parked);
/// the platform's own troubles (5xx, 429, 408) and the site's credentials (401, 403, 407) are
/// retried with back-off.
pub fn classify(status: u16, outcome: OperationOutcome, what: &str) -> Failure {
    match status {
        409 | 412 => Failure::Conflict(format!("HTTP {status} on {what}")),
        401 | 403 | 407 => Failure::Unauthorized(format!(
            "HTTP {status} on {what}: the platform refused the site's credentials (check [platform] auth, token_file, client_cert)"
        )),
        408 | 429 => Failure::Unavailable(format!("HTTP {status} on {what}")),
        300..=399 => Failure::Unavailable(format!(
            "HTTP {status} on {what}: the platform redirects, which is never followed (credentials and health data would go elsewhere); check platform.base_url"
        )),
        400..=499 => Failure::Rejected { status, outcome },
        _ => Failure::Unavailable(format!("HTTP {status} on {what}")),
    }
}

/// A request that got no answer. With mutual TLS, a connection the platform closes right away is
/// also how many servers refuse a client certificate (TLS 1.3 verifies it after the client
/// considers the handshake done, and some close without an alert): still a connection failure
/// — nothing says it is not a network fault — but `last_error` says what to check.
fn transport(e: reqwest::Error, mutual_tls: bool) -> Failure {
    if let Some(failure) = tls_failure(&e) {
        return failure;
    }
    let closed = closed_by_peer(&e);
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() && !closed {
        "cannot connect"
    } else if closed {
        "the platform closed the connection"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the answer"
    } else {
        "connection failed"
    };
    if mutual_tls && closed {
        return Failure::Unavailable(format!(
            "{kind} (with mutual TLS this is also how a platform refuses the client certificate: check [platform] client_cert and client_key)"
        ));
    }
    Failure::Unavailable(kind.to_owned())
}

/// The connection ended under us: end of stream without TLS close_notify, or reset.
fn closed_by_peer(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut next = Some(e);
    for _ in 0..16 {
        let Some(current) = next else {
            return false;
        };
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::UnexpectedEof
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
            )
        {
            return true;
        }
        next = current.source();
    }
    false
}

/// A TLS handshake that failed over certificates: the platform refused ours (mutual TLS) or we
/// do not trust its own. Anything else about TLS stays a connection failure.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<Failure> {
    use rustls::AlertDescription as Alert;
    // Bounded: error chains are a handful of links.
    let mut next = Some(e);
    for _ in 0..16 {
        let current = next?;
        let tls = current.downcast_ref::<rustls::Error>().or_else(|| {
            current
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        match tls {
            Some(rustls::Error::AlertReceived(
                alert @ (Alert::BadCertificate
                | Alert::UnsupportedCertificate
                | Alert::CertificateRevoked
                | Alert::CertificateExpired
                | Alert::CertificateUnknown
                | Alert::UnknownCA
                | Alert::AccessDenied
                | Alert::CertificateRequired
                | Alert::HandshakeFailure),
            )) => {
                return Some(Failure::Unauthorized(format!(
                    "the platform refused the TLS handshake ({alert:?}): check [platform] client_cert and client_key"
                )));
            }
            Some(rustls::Error::InvalidCertificate(why)) => {
                return Some(Failure::Unauthorized(format!(
                    "the platform's TLS certificate is not trusted ({why}): check [platform] ca_file"
                )));
            }
            Some(_) => return None,
            None => next = current.source(),
        }
    }
    None
}

fn local_encoding(e: serde_json::Error) -> Failure {
    Failure::Rejected {
        status: 0,
        outcome: OperationOutcome::local(
            "processing",
            format!("cannot encode the resource ({:?})", e.classify()),
        ),
    }
}

fn header_value(value: &str) -> Result<HeaderValue, Failure> {
    HeaderValue::from_str(value).map_err(|_| Failure::Rejected {
        status: 0,
        outcome: OperationOutcome::local("processing", "a header value is not valid HTTP"),
    })
}

/// `W/"3"` → `3`; `"3"` → `3`.
pub fn etag_version(etag: &str) -> String {
    etag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_owned()
}

fn read(what: &'static str, path: &PathBuf) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|source| ClientError::File {
        what,
        path: path.clone(),
        source,
    })
}

fn read_token(path: &PathBuf) -> Result<String, ClientError> {
    let raw = read("token file", path)?;
    let token = String::from_utf8(raw)
        .map_err(|_| ClientError::Pem {
            what: "token file",
            path: path.clone(),
            message: "not UTF-8".to_owned(),
        })?
        .trim()
        .to_owned();
    if token.is_empty() {
        return Err(ClientError::Pem {
            what: "token file",
            path: path.clone(),
            message: "empty".to_owned(),
        });
    }
    Ok(token)
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
