//! The call's chat in a room: kept through the application (`App::post_chat`,
//! `App::chat_history`), relayed to both seats, replayed to a socket that joins.

use super::{CHAT_REPLAY, Connection, Room, RoomState, error};
use crate::state::AppState;
use teleconsult_core::call::{ChatMessage, chat_text};
use teleconsult_core::signal::SignalMessage;

impl Room {
    /// The conversation so far (the last [`CHAT_REPLAY`] messages), for a socket that just
    /// joined: a reload or a second device shows the same chat.
    pub(super) async fn replay_chat(&self, app: &AppState, conn: &Connection) {
        let id = self.id;
        let actor = conn.actor();
        let history = app
            .blocking(move |inner| Ok(inner.app.chat_history(&actor, id, CHAT_REPLAY)?))
            .await;
        let Ok(messages) = history else { return };
        for m in messages {
            conn.send(SignalMessage::Chat {
                text: m.text,
                attachment_id: m.attachment.map(|a| a.to_string()),
                from: Some(m.role),
            });
        }
    }

    pub(super) async fn chat(
        &self,
        app: &AppState,
        state: &RoomState,
        conn: &Connection,
        text: String,
        attachment_id: Option<String>,
    ) {
        let attachment = match attachment_id.as_deref().map(str::parse::<uuid::Uuid>) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                return conn.send(error("bad_fields", "attachment_id is not an attachment id"));
            }
        };
        let text = match chat_text(&text, attachment.is_some()) {
            Ok(t) => t,
            Err(e) => return conn.send(error("bad_fields", e.to_string())),
        };
        let message = ChatMessage {
            appointment: self.id,
            at: app.clock.now(),
            role: conn.role,
            author: conn.account,
            text,
            attachment,
        };
        let stored = message.clone();
        let saved = app
            .blocking(move |inner| Ok(inner.app.post_chat(&stored)?))
            .await;
        if let Err(e) = saved {
            let message = if e.code == "not_found" {
                "no such attachment in this call".to_owned()
            } else {
                e.message
            };
            return conn.send(error(e.code, message));
        }
        let frame = SignalMessage::Chat {
            text: message.text,
            attachment_id: message.attachment.map(|a| a.to_string()),
            from: Some(conn.role),
        };
        for seat in [&state.patient_side, &state.practitioner]
            .into_iter()
            .flatten()
        {
            seat.send(frame.clone());
        }
    }
}
