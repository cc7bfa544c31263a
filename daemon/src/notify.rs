//! The notification worker: delivers queued e-mails (SMTP with lettre) and SMS (HTTP gateway
//! webhook `POST {"to","text"}`), retrying with back-off until delivered. Messages leave the
//! queue only once delivered, so a crash or an outage loses none.
//!
//! Demo mode without a configured channel: messages are "delivered" to the log and to the local
//! outbox page instead. A real install without a channel keeps them queued (and says so).

use crate::config::NotifyConfig;
use anyhow::Context;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use teleconsult_core::notification::{Channel, Notification};
use teleconsult_core::ports::Clock;
use teleconsult_store::Store;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Longest sleep between two looks at the queue (retries become due while sleeping).
const MAX_IDLE: Duration = Duration::from_secs(5);
const BATCH: usize = 50;

/// What became of a message handed to [`Delivery::send`].
enum Sent {
    /// Left through its channel.
    Delivered,
    /// Demo mode without a channel: shown in the log; the caller puts it on the local outbox page.
    Demo,
    /// No channel configured: kept for later.
    Unconfigured,
}

/// Where messages go.
pub struct Delivery {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    sms: Option<(String, Option<String>, reqwest::Client)>,
    demo: bool,
}

impl Delivery {
    pub fn from_config(config: &NotifyConfig, demo: bool) -> anyhow::Result<Self> {
        let smtp = match &config.email.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("notify.email.smtp_url is not a usable SMTP URL")?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                let from: Mailbox = config
                    .email
                    .from
                    .parse()
                    .context("notify.email.from is not an e-mail address")?;
                Some((transport, from))
            }
            None => None,
        };
        let sms = match &config.sms.url {
            Some(url) => {
                let token = match &config.sms.token_file {
                    Some(path) => Some(
                        std::fs::read_to_string(path)
                            .with_context(|| {
                                format!("cannot read notify.sms.token_file {}", path.display())
                            })?
                            .trim()
                            .to_owned(),
                    ),
                    None => None,
                };
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()?;
                Some((url.clone(), token, client))
            }
            None => None,
        };
        Ok(Self { smtp, sms, demo })
    }

    /// Whether messages of this channel can leave now (configured, or shown in demo mode).
    fn can_deliver(&self, channel: Channel) -> bool {
        self.demo
            || match channel {
                Channel::Email => self.smtp.is_some(),
                Channel::Sms => self.sms.is_some(),
            }
    }

    /// Sends one message.
    async fn send(&self, n: &Notification) -> Result<Sent, String> {
        match (n.channel, &self.smtp, &self.sms) {
            (Channel::Email, Some((transport, from)), _) => {
                let message = email(from, n)?;
                transport
                    .send(message)
                    .await
                    .map_err(|e| format!("SMTP: {e}"))?;
                Ok(Sent::Delivered)
            }
            (Channel::Sms, _, Some((url, token, client))) => {
                let mut request = client
                    .post(url)
                    .json(&serde_json::json!({ "to": n.to, "text": n.body }));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| format!("SMS gateway: {e}"))?;
                if response.status().is_success() {
                    Ok(Sent::Delivered)
                } else {
                    Err(format!("SMS gateway answered {}", response.status()))
                }
            }
            _ if self.demo => {
                // Demo only: the message is shown, since nothing can deliver it.
                tracing::info!(channel = ?n.channel, to = %n.to, subject = %n.subject, body = %n.body, "demo message");
                Ok(Sent::Demo)
            }
            _ => Ok(Sent::Unconfigured),
        }
    }
}

fn email(from: &Mailbox, n: &Notification) -> Result<lettre::Message, String> {
    let to: Mailbox =
        n.to.parse()
            .map_err(|e| format!("bad recipient address: {e}"))?;
    let builder = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(n.subject.clone());
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(n.body.clone());
    let message = if n.attachments.is_empty() {
        builder.singlepart(text)
    } else {
        let mut parts = MultiPart::mixed().singlepart(text);
        for a in &n.attachments {
            let content_type =
                ContentType::parse(&a.content_type).map_err(|e| format!("attachment type: {e}"))?;
            parts = parts.singlepart(
                Attachment::new(a.filename.clone()).body(a.content.clone(), content_type),
            );
        }
        builder.multipart(parts)
    };
    message.map_err(|e| format!("cannot build e-mail: {e}"))
}

/// Runs until `shutdown`: sends what is due, sleeps until woken or until the next retry.
pub async fn run(
    store: Store,
    clock: Arc<dyn Clock>,
    delivery: Delivery,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut warned_unconfigured = false;
    loop {
        let now = clock.now();
        let s = store.clone();
        // Messages of a channel that cannot deliver stay queued untouched, and are not even
        // read: they must not hold back the others.
        let channels: Vec<Channel> = [Channel::Email, Channel::Sms]
            .into_iter()
            .filter(|c| delivery.can_deliver(*c))
            .collect();
        if channels.len() < 2 && !warned_unconfigured {
            tracing::warn!(
                deliverable = ?channels,
                "a delivery channel is not configured (notify.email.smtp_url / notify.sms.url): its messages stay queued"
            );
            warned_unconfigured = true;
        }
        // A message sent while its removal from the queue cannot be written (disk full, store
        // fenced after a rollback) would be sent again and again: wait for writes to work.
        let writes_refused = store.condition().refusal().is_some();
        let due = if writes_refused {
            Ok(Ok(Vec::new()))
        } else {
            tokio::task::spawn_blocking(move || s.due_notifications(now, BATCH, &channels)).await
        };
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot read the notification queue");
                Vec::new()
            }
            Err(e) => {
                tracing::error!(error = %e, "notification queue task failed");
                Vec::new()
            }
        };
        let full_batch = due.len() == BATCH;
        let mut demo = Vec::new();
        for (id, mut notification) in due {
            if shutdown.is_cancelled() {
                break;
            }
            let outcome = delivery.send(&notification).await;
            let s = store.clone();
            let result = match outcome {
                Ok(Sent::Demo) => {
                    demo.push((id, notification));
                    continue;
                }
                Ok(Sent::Delivered) => {
                    tracing::info!(id, channel = ?notification.channel, "notification delivered");
                    tokio::task::spawn_blocking(move || s.notification_delivered(id)).await
                }
                Ok(Sent::Unconfigured) => {
                    if !warned_unconfigured {
                        tracing::warn!(channel = ?notification.channel, "no delivery channel configured (notify.email.smtp_url / notify.sms.url): messages stay queued");
                        warned_unconfigured = true;
                    }
                    notification
                        .schedule_retry(clock.now(), "no delivery channel configured".into());
                    tokio::task::spawn_blocking(move || {
                        s.notification_failed(id, &notification, false)
                    })
                    .await
                }
                Err(error) => {
                    let keep = notification.schedule_retry(clock.now(), error.clone());
                    if keep {
                        tracing::warn!(id, channel = ?notification.channel, attempts = notification.attempts, %error, "notification delivery failed; will retry");
                    } else {
                        tracing::error!(id, channel = ?notification.channel, %error, "notification given up after repeated failures");
                    }
                    tokio::task::spawn_blocking(move || {
                        s.notification_failed(id, &notification, !keep)
                    })
                    .await
                }
            };
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "cannot update the notification queue"),
                Err(e) => tracing::error!(error = %e, "notification queue task failed"),
            }
        }
        if !demo.is_empty() {
            let s = store.clone();
            match tokio::task::spawn_blocking(move || s.demo_deliver(demo)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "cannot update the demo outbox"),
                Err(e) => tracing::error!(error = %e, "notification queue task failed"),
            }
        }
        if shutdown.is_cancelled() {
            return;
        }
        if full_batch {
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(MAX_IDLE) => {}
        }
    }
}
