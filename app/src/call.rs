//! What a call room records (issue #20: the signalling door calls the application too): the
//! appointment's transitions as its call goes, the chat, the quality samples. The room — the
//! web crate's `call_room`, an adapter — decides who sits where and relays frames; who may open
//! a room's socket was checked when it opened (the signalling ticket), so these take the
//! socket's actor rather than an account. Each write is one unit of work with its audit record
//! and, for a transition, its outbox messages.

use crate::booking::outbox_messages;
use crate::error::AppError;
use crate::{App, event};
use teleconsult_core::appointment::{self, Event, TransitionError};
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::call::{ChatMessage, QualitySample};
use teleconsult_core::ids::AppointmentId;
use teleconsult_core::ports::AppointmentChange;

impl App {
    /// Applies `event` (a join, the call's start or end) to appointment `id`, decided on it as
    /// stored at the moment of writing: a cancellation in parallel is seen (a join is then
    /// refused), never undone. `Ok(Err(_))`: the transition is refused, nothing written;
    /// [`AppError::NotFound`] when there is no such appointment.
    pub fn call_event(
        &self,
        actor: &Actor,
        id: AppointmentId,
        event_: Event,
    ) -> Result<Result<(), TransitionError>, AppError> {
        let now = self.now();
        let read = event(now, actor, Action::Read, "appointment", id);
        let write = event(now, actor, Action::Update, "appointment", id);
        let policy = &self.settings.appointments;
        let decide = |current: &appointment::Appointment| {
            let (next, effects) = appointment::apply(current, event_.clone(), now, policy)?;
            if next == *current {
                return Ok(None);
            }
            Ok(Some(AppointmentChange {
                next,
                notifications: Vec::new(),
                outbox: outbox_messages(effects),
            }))
        };
        match self.store.change_for_call(id, &decide, &read, &write) {
            Ok(outcome) => Ok(outcome.map(drop)),
            Err(teleconsult_core::ports::RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }

    /// The call's chat so far, its last `last` messages in order (a socket that joins shows
    /// the same conversation), the read audited.
    pub fn chat_history(
        &self,
        actor: &Actor,
        id: AppointmentId,
        last: usize,
    ) -> Result<Vec<ChatMessage>, AppError> {
        let read = event(self.now(), actor, Action::Read, "call_chat", id);
        let mut messages = self.store.chat(id, &read)?;
        let skip = messages.len().saturating_sub(last);
        Ok(messages.split_off(skip))
    }

    /// Adds `message` to its call's chat. An attachment it names must be one of the same
    /// appointment's ([`AppError::NotFound`] otherwise: another call's file is nobody's here).
    pub fn post_chat(&self, message: &ChatMessage) -> Result<(), AppError> {
        let actor = Actor::Account(message.author.to_string());
        if let Some(id) = message.attachment {
            let read = event(message.at, &actor, Action::Read, "attachment", id);
            let linked = self.store.attachment_appointment(id, &read)?;
            if linked != Some(message.appointment) {
                return Err(AppError::NotFound);
            }
        }
        let write = event(
            message.at,
            &actor,
            Action::Create,
            "call_chat",
            message.appointment,
        );
        Ok(self.store.append_chat(message, &write)?)
    }

    /// Adds quality samples to the call's record.
    pub fn record_quality(
        &self,
        actor: &Actor,
        id: AppointmentId,
        samples: &[QualitySample],
    ) -> Result<(), AppError> {
        let audit = event(self.now(), actor, Action::Update, "call_quality", id);
        Ok(self.store.add_quality_samples(id, samples, &audit)?)
    }
}
