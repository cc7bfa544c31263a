//! Pages driven without a browser: requests with the session cookie of a [`Login`], forms
//! carrying the session's CSRF token as the browser's would.

use crate::Daemon;
use crate::accounts::{Login, WAIT};
use crate::sinks::SmsSink;
use anyhow::Context;

/// A page form posted with `who`'s session cookie and CSRF token; redirects followed. Returns
/// the status, the final path and query, and the HTML.
pub async fn post_form(
    daemon: &Daemon,
    who: &Login,
    path: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<(u16, String, String)> {
    let mut form: Vec<(&str, &str)> = vec![("csrf", &who.csrf)];
    form.extend_from_slice(fields);
    let r = daemon
        .client
        .post(daemon.url(path))
        .header("cookie", format!("tc_session={}", who.token))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await?;
    let (status, at) = (r.status().as_u16(), landed_at(&r));
    Ok((status, at, r.text().await?))
}

/// A file posted through a page's multipart form (field `csrf` first, as the page writes it,
/// then `file`) with `who`'s session cookie; redirects followed. Returns the status and the
/// final path and query.
pub async fn post_file(
    daemon: &Daemon,
    who: &Login,
    path: &str,
    csrf: &str,
    (name, content_type, content): (&str, &str, Vec<u8>),
) -> anyhow::Result<(u16, String)> {
    let file = reqwest::multipart::Part::bytes(content)
        .file_name(name.to_owned())
        .mime_str(content_type)?;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .part("file", file);
    let r = daemon
        .client
        .post(daemon.url(path))
        .header("cookie", format!("tc_session={}", who.token))
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await?;
    Ok((r.status().as_u16(), landed_at(&r)))
}

/// Where a request ended after its redirects: path and query.
fn landed_at(r: &reqwest::Response) -> String {
    let url = r.url();
    format!(
        "{}{}",
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    )
}

/// A page fetched with `who`'s session cookie: status and HTML.
pub async fn get_page(daemon: &Daemon, who: &Login, path: &str) -> anyhow::Result<(u16, String)> {
    let r = daemon
        .client
        .get(daemon.url(path))
        .header("cookie", format!("tc_session={}", who.token))
        .header("accept", "text/html")
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

/// The value of cookie `name` in the `Set-Cookie` headers of `response`.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

/// The hidden `csrf` field of the first form of an HTML page.
pub fn csrf_field(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + 19;
    html[start..].split('"').next().map(str::to_owned)
}

/// Logs in through the pages as a browser does: `GET /login` (the pre-session token, cookie
/// and field), the password form, the code form with the code of the first SMS to `phone`,
/// then the home page for the session's CSRF token.
pub async fn page_login(
    d: &Daemon,
    sms: &SmsSink,
    login: &str,
    password: &str,
    phone: &str,
) -> anyhow::Result<Login> {
    let client = d.client_without_redirects()?;
    let page = client.get(d.url("/login")).send().await?;
    anyhow::ensure!(page.status() == 200, "GET /login: {}", page.status());
    let token = set_cookie(&page, "__Host-tc_csrf").context("no pre-session cookie")?;
    let field = csrf_field(&page.text().await?).context("no csrf field on /login")?;
    anyhow::ensure!(field == token, "the login form's token is the cookie's");
    let pre = format!("__Host-tc_csrf={token}");
    let started = client
        .post(d.url("/login"))
        .header("cookie", pre.clone())
        .form(&[
            ("csrf", token.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        started.status() == 303 && started.headers()["location"] == "/login/code",
        "{login}: password refused: {}",
        started.status()
    );
    let challenge = set_cookie(&started, "__Host-tc_challenge").context("no challenge cookie")?;
    let cookies = format!("{pre}; __Host-tc_challenge={challenge}");
    let code_page = client
        .get(d.url("/login/code"))
        .header("cookie", cookies.clone())
        .send()
        .await?;
    anyhow::ensure!(code_page.status() == 200, "GET /login/code");
    let code = sms.code_for(phone, 0, WAIT).await?;
    let opened = client
        .post(d.url("/login/code"))
        .header("cookie", cookies)
        .form(&[("csrf", token.as_str()), ("code", code.as_str())])
        .send()
        .await?;
    anyhow::ensure!(
        opened.status() == 303 && opened.headers()["location"] == "/home",
        "{login}: code refused: {}",
        opened.status()
    );
    let session = set_cookie(&opened, "__Host-tc_session").context("no session cookie")?;
    let home = client
        .get(d.url("/home"))
        .header("cookie", format!("__Host-tc_session={session}"))
        .send()
        .await?;
    anyhow::ensure!(home.status() == 200, "{login}: /home {}", home.status());
    let csrf = csrf_field(&home.text().await?).context("no csrf field on /home")?;
    Ok(Login {
        token: session,
        csrf,
        // The pages do not name the role; the tests know whom they logged in.
        role: String::new(),
    })
}

/// A PDF a page links to, fetched with `who`'s session cookie: 200, `application/pdf`, and a
/// body that is one.
pub async fn pdf_of(daemon: &Daemon, who: &Login, path: &str) -> anyhow::Result<Vec<u8>> {
    let request = daemon
        .client
        .get(daemon.url(path))
        .header("cookie", format!("tc_session={}", who.token));
    pdf_from(request, path).await
}

/// The answer to `request` (for `path`) as a PDF: 200, `application/pdf`, and a body that is
/// one; an error saying which of these failed otherwise.
pub async fn pdf_from(request: reqwest::RequestBuilder, path: &str) -> anyhow::Result<Vec<u8>> {
    let r = request.send().await?;
    anyhow::ensure!(r.status() == 200, "{path}: {}", r.status());
    anyhow::ensure!(
        r.headers()
            .get("content-type")
            .is_some_and(|v| v == "application/pdf"),
        "{path}: {:?}",
        r.headers().get("content-type")
    );
    let bytes = r.bytes().await?.to_vec();
    anyhow::ensure!(bytes.starts_with(b"%PDF-"), "{path}: no PDF");
    Ok(bytes)
}
