//! The JSON API as tests call it: a request as a logged-in user (bearer token) or as nobody,
//! answered by its status and body. One client for every e2e file.
//!
//! The body comes back as JSON when it is JSON, as a JSON string of the text otherwise, and as
//! `null` when empty — so a failure message always shows what the daemon said, and nothing
//! that went wrong reads as an empty list.

use crate::Daemon;
use crate::accounts::Login;
use reqwest::Method;
use serde_json::Value;

impl Daemon {
    /// `method path` with `body` as JSON, as `who` (bearer token) or anonymously.
    pub async fn send(
        &self,
        who: Option<&Login>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self.client.request(method, self.url(path));
        if let Some(who) = who {
            request = request.header("authorization", who.bearer());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, body))
    }

    /// `GET path` as `who`.
    pub async fn get(&self, who: &Login, path: &str) -> anyhow::Result<(u16, Value)> {
        self.send(Some(who), Method::GET, path, None).await
    }

    /// `POST path` with `body`, as `who`.
    pub async fn post(
        &self,
        who: &Login,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<(u16, Value)> {
        self.send(Some(who), Method::POST, path, Some(body)).await
    }

    /// `PUT path` with `body`, as `who`.
    pub async fn put(&self, who: &Login, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        self.send(Some(who), Method::PUT, path, Some(body)).await
    }

    /// `POST path` with `content` as the raw body of type `content_type` (an upload), as `who`.
    pub async fn post_bytes(
        &self,
        who: &Login,
        path: &str,
        content_type: &str,
        content: Vec<u8>,
    ) -> anyhow::Result<(u16, Value)> {
        let response = self
            .client
            .post(self.url(path))
            .header("authorization", who.bearer())
            .header("content-type", content_type)
            .body(content)
            .send()
            .await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, body))
    }

    /// Uploads `content` as a file for `appointment` (its consultation files and call
    /// attachments), named `name`, as `who`.
    pub async fn upload_attachment(
        &self,
        who: &Login,
        appointment: &str,
        content_type: &str,
        name: &str,
        content: Vec<u8>,
    ) -> anyhow::Result<(u16, Value)> {
        let path = format!("/api/v1/appointments/{appointment}/attachments?name={name}");
        self.post_bytes(who, &path, content_type, content).await
    }

    /// `GET path` as `who`, which must answer 200: the body.
    pub async fn get_ok(&self, who: &Login, path: &str) -> anyhow::Result<Value> {
        let (status, body) = self.get(who, path).await?;
        anyhow::ensure!(status == 200, "GET {path}: {status} {body}");
        Ok(body)
    }
}
