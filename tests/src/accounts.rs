//! Account helpers for tests: register and activate through the API with the e-mail read from
//! the SMTP sink, log in with the code read from the SMS sink.

use crate::Daemon;
use crate::sinks::{SmsSink, SmtpSink, link_token};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(20);

/// Configuration for a daemon that delivers to these sinks.
pub fn sinks_config(smtp: &SmtpSink, sms: &SmsSink) -> String {
    format!(
        "[notify.email]\nsmtp_url = \"{}\"\nfrom = \"teleconsult@test.invalid\"\n\n[notify.sms]\nurl = \"{}\"\n",
        smtp.url(),
        sms.url
    )
}

/// A logged-in client: bearer token and CSRF token.
#[derive(Clone, Debug)]
pub struct Login {
    pub token: String,
    pub csrf: String,
    pub role: String,
}

impl Login {
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

/// Registers `form` (see the registration helper), reads the activation mail and activates.
pub async fn register_and_activate(
    daemon: &Daemon,
    smtp: &SmtpSink,
    form: &Value,
) -> anyhow::Result<String> {
    let response = daemon
        .client
        .post(daemon.url("/api/v1/patients"))
        .json(form)
        .send()
        .await?;
    if response.status() != 201 {
        bail!(
            "registration failed: {} {}",
            response.status(),
            response.text().await?
        );
    }
    let id = response.json::<Value>().await?["id"]
        .as_str()
        .context("no id")?
        .to_owned();
    let email = form["email"].as_str().context("no email")?;
    let mail = smtp.wait_for(email, "", WAIT).await?;
    let token = link_token(&mail.body).context("no token in the activation mail")?;
    let response = daemon
        .client
        .post(daemon.url("/api/v1/patients/activate"))
        .json(&json!({"token": token}))
        .send()
        .await?;
    if response.status() != 200 {
        bail!(
            "activation failed: {} {}",
            response.status(),
            response.text().await?
        );
    }
    Ok(id)
}

/// Password then SMS code; `nth_sms` is how many codes this phone received before.
pub async fn login(
    daemon: &Daemon,
    sms: &SmsSink,
    login: &str,
    password: &str,
    phone: &str,
    nth_sms: usize,
) -> anyhow::Result<Login> {
    let response = daemon
        .client
        .post(daemon.url("/api/v1/auth/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await?;
    if response.status() != 200 {
        bail!(
            "login failed: {} {}",
            response.status(),
            response.text().await?
        );
    }
    let challenge = response.json::<Value>().await?["challenge_id"]
        .as_str()
        .context("no challenge")?
        .to_owned();
    let code = sms.code_for(phone, nth_sms, WAIT).await?;
    let response = daemon
        .client
        .post(daemon.url("/api/v1/auth/otp"))
        .json(&json!({"challenge_id": challenge, "code": code}))
        .send()
        .await?;
    if response.status() != 200 {
        bail!(
            "code refused: {} {}",
            response.status(),
            response.text().await?
        );
    }
    let body: Value = response.json().await?;
    Ok(Login {
        token: body["token"].as_str().context("no token")?.to_owned(),
        csrf: body["csrf_token"].as_str().context("no csrf")?.to_owned(),
        role: body["role"].as_str().context("no role")?.to_owned(),
    })
}

/// Asks for a confirmation code for `purpose` (`contact_change` or `erasure`) in `who`'s
/// session and reads it from the SMS sink: the `nth_sms` (0-based) SMS to `phone`.
pub async fn confirmation_code(
    daemon: &Daemon,
    sms: &SmsSink,
    who: &Login,
    purpose: &str,
    phone: &str,
    nth_sms: usize,
) -> anyhow::Result<String> {
    let response = daemon
        .client
        .post(daemon.url("/api/v1/me/confirmation-code"))
        .header("authorization", who.bearer())
        .json(&json!({ "purpose": purpose }))
        .send()
        .await?;
    if response.status() != 202 {
        bail!(
            "no confirmation code: {} {}",
            response.status(),
            response.text().await?
        );
    }
    sms.code_for(phone, nth_sms, WAIT).await
}

/// The mobile number of test patient `n` as the daemon stores it (E.164).
pub fn phone(n: u32) -> String {
    format!("+352621{n:06}")
}

pub const PASSWORD: &str = "correct horse battery staple";

/// A valid registration form for test patient `n` (unique national id, e-mail and phone).
pub fn registration(n: u32) -> Value {
    let birth = "19850715";
    json!({
        "national_id": crate::national_ids::luxembourg(birth, u16::try_from(n % 1000).unwrap_or(0)),
        "first_name": "Zebulonia",
        "last_name": format!("Quackenbush{n}"),
        "birth_date": crate::national_ids::iso_date(birth),
        "phone": format!("+352 621 {n:06}"),
        "email": format!("patient{n}@example.lu"),
        "language": "fr",
        "password": PASSWORD,
        "consents": {"data_processing": true, "teleconsultation": true}
    })
}
