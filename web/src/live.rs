//! What open connections must hear about as it happens: a session that ended (logout, account
//! disabled, password reset, erasure) or an appointment cancelled — every signalling socket of
//! that session, account or appointment then closes — and the single-use tickets that open a
//! signalling socket without putting a session token in a URL.
//!
//! Ends are announced on a broadcast channel that each socket listens to. A socket that falls
//! behind (more than [`BACKLOG`] ends announced before it looked) checks its session and
//! appointment again instead, and every socket also checks its session on each ping (see
//! `signal.rs`), which covers ends announced by no door (a session expiring, idle or absolute).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use teleconsult_core::ids::{AccountId, AppointmentId};
use tokio::sync::broadcast;

/// Ends kept for sockets that have not looked yet.
const BACKLOG: usize = 1024;
/// How long a signalling ticket may wait before it is used.
pub const TICKET_TTL: Duration = Duration::from_secs(30);
/// Tickets waiting at once; more are refused (429) until some are used or expire.
const MAX_TICKETS: usize = 10_000;

/// Something that ends open connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// One session (its token) ended: logout.
    Session(String),
    /// Every session of an account ended: disabled, password reset, erased.
    Account(AccountId),
    /// An appointment was cancelled: its call room closes.
    Appointment(AppointmentId),
}

/// What a signalling ticket stands for: the session it was asked with, for one appointment.
#[derive(Clone, Debug)]
pub struct Ticket {
    /// The session token (kept in memory only, like the session of an open socket).
    pub session_token: String,
    pub account: AccountId,
    pub appointment: AppointmentId,
    issued: Instant,
}

/// The hub: ends announced to every socket, and tickets waiting to be used.
pub struct Live {
    ends: broadcast::Sender<Ended>,
    tickets: Mutex<HashMap<String, Ticket>>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            ends: broadcast::channel(BACKLOG).0,
            tickets: Mutex::new(HashMap::new()),
        }
    }
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live").finish_non_exhaustive()
    }
}

impl Live {
    /// Tells every open socket (none listening is fine).
    pub fn announce(&self, ended: Ended) {
        let _ = self.ends.send(ended);
    }

    pub fn listen(&self) -> broadcast::Receiver<Ended> {
        self.ends.subscribe()
    }

    fn tickets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ticket>> {
        self.tickets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Issues a ticket for `appointment` in the session of `session_token`; `None` when too
    /// many are waiting.
    pub fn issue_ticket(
        &self,
        ticket: String,
        session_token: String,
        account: AccountId,
        appointment: AppointmentId,
        now: Instant,
    ) -> Option<()> {
        let mut tickets = self.tickets();
        if tickets.len() >= MAX_TICKETS {
            tickets.retain(|_, t| now.duration_since(t.issued) < TICKET_TTL);
            if tickets.len() >= MAX_TICKETS {
                return None;
            }
        }
        tickets.insert(
            ticket,
            Ticket {
                session_token,
                account,
                appointment,
                issued: now,
            },
        );
        Some(())
    }

    /// Uses a ticket up: it is gone whatever the answer. `None` when unknown, used or expired.
    pub fn redeem_ticket(&self, ticket: &str, now: Instant) -> Option<Ticket> {
        let found = self.tickets().remove(ticket)?;
        (now.duration_since(found.issued) < TICKET_TTL).then_some(found)
    }

    /// Whether a socket of `session_token` / `account` in `appointment`'s room ends with this.
    pub fn concerns(
        ended: &Ended,
        session_token: &str,
        account: AccountId,
        appointment: AppointmentId,
    ) -> bool {
        match ended {
            Ended::Session(token) => teleconsult_core::account::constant_time_eq(
                token.as_bytes(),
                session_token.as_bytes(),
            ),
            Ended::Account(id) => *id == account,
            Ended::Appointment(id) => *id == appointment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_works_once_and_not_after_it_expired() {
        let live = Live::default();
        let account = AccountId::from_uuid(uuid::Uuid::from_u128(1));
        let appointment = AppointmentId::from_uuid(uuid::Uuid::from_u128(2));
        let t0 = Instant::now();
        live.issue_ticket("a".into(), "s".into(), account, appointment, t0);
        assert!(live.redeem_ticket("a", t0).is_some());
        assert!(live.redeem_ticket("a", t0).is_none(), "single use");
        live.issue_ticket("b".into(), "s".into(), account, appointment, t0);
        assert!(
            live.redeem_ticket("b", t0 + TICKET_TTL).is_none(),
            "expired"
        );
        assert!(live.redeem_ticket("b", t0).is_none(), "gone once tried");
    }

    #[test]
    fn ends_concern_their_session_account_or_appointment_only() {
        let a = AccountId::from_uuid(uuid::Uuid::from_u128(1));
        let b = AccountId::from_uuid(uuid::Uuid::from_u128(3));
        let room = AppointmentId::from_uuid(uuid::Uuid::from_u128(2));
        let other = AppointmentId::from_uuid(uuid::Uuid::from_u128(4));
        assert!(Live::concerns(&Ended::Session("t".into()), "t", a, room));
        assert!(!Live::concerns(&Ended::Session("u".into()), "t", a, room));
        assert!(Live::concerns(&Ended::Account(a), "t", a, room));
        assert!(!Live::concerns(&Ended::Account(b), "t", a, room));
        assert!(Live::concerns(&Ended::Appointment(room), "t", a, room));
        assert!(!Live::concerns(&Ended::Appointment(other), "t", a, room));
    }
}
