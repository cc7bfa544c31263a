//! Pages driven without a browser: requests with the session cookie of a [`Login`], forms
//! carrying the session's CSRF token as the browser's would.

use crate::Daemon;
use crate::accounts::Login;

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
