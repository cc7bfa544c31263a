//! Booth sessions: one person at a pharmacy booth, from the counter to the reset cabin.
//!
//! Why: the booth is operated by staff. The pharmacist identifies the person at the counter,
//! starts a session ("first practitioner free now", or a chosen slot), the person sits in the
//! cabin, the box's camera and microphone are their side of the call, and at the end the cabin
//! is reset for the next person. The session ties those steps together: which patient, which
//! queue entry or appointment, who started it, and when it ended and why.
//!
//! Decisions:
//! - **One cabin, one session**: a booth site has one open session at a time; starting a
//!   second one is refused until the first ends (the cabin holds one person). Waiting patients
//!   from home share the on-demand queue, not the cabin.
//! - The session ends when staff end it, when the call ends, or after
//!   [`BoothPolicy::idle_limit`] without activity (nobody came, the person left): the cabin
//!   screen then returns to a neutral welcome view with no patient data.
//! - Ending a session that still waits in the queue removes its entry; ending one whose
//!   appointment was not yet held cancels that appointment (by staff, reason given), so the
//!   practitioner is not left waiting for someone who left.

use crate::Timestamp;
use crate::appointment::{Appointment, Status};
use crate::ids::{AccountId, AppointmentId, PatientId};
use crate::queue::QueueEntryId;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A booth session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BoothSessionId(pub Uuid);

impl BoothSessionId {
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for BoothSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for BoothSessionId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// Site-configurable booth knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoothPolicy {
    /// A session with no activity for this long ends by itself and the cabin is reset.
    pub idle_limit: SignedDuration,
}

impl Default for BoothPolicy {
    /// 30 minutes: longer than the queue's slot offer (15 min) plus a consultation's start, so
    /// a person still waiting for a practitioner is not thrown out; short enough that a
    /// forgotten session does not keep the next person's data on screen.
    fn default() -> Self {
        BoothPolicy {
            idle_limit: SignedDuration::from_mins(30),
        }
    }
}

impl BoothPolicy {
    /// The latest start of a slot booked for a person in the cabin at `now`: the session
    /// holds the cabin until the consultation, and would end by itself after the idle limit.
    /// Later slots are booked online or by phone, not from the cabin (`docs/booth.md`).
    pub fn latest_slot_start(&self, now: Timestamp) -> Timestamp {
        now.saturating_add(self.idle_limit).unwrap_or(now)
    }
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Staff ended it from the console.
    Staff,
    /// The consultation's call ended.
    CallEnded,
    /// Nothing happened for [`BoothPolicy::idle_limit`].
    Idle,
}

/// Where a session stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BoothState {
    /// Waiting for the first practitioner free.
    Queued { entry: QueueEntryId },
    /// An appointment at the booth exists (a chosen slot, or a practitioner took the entry).
    Booked { appointment: AppointmentId },
    Ended {
        at: Timestamp,
        reason: EndReason,
        /// The appointment, if there was one.
        appointment: Option<AppointmentId>,
    },
}

/// One person's visit to the booth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoothSession {
    pub id: BoothSessionId,
    pub patient: PatientId,
    /// The staff member who started it.
    pub started_by: AccountId,
    pub started_at: Timestamp,
    /// Last time anything happened (start, taken from the queue, joined, device check...).
    pub last_activity: Timestamp,
    pub state: BoothState,
}

impl BoothSession {
    pub fn is_open(&self) -> bool {
        !matches!(self.state, BoothState::Ended { .. })
    }

    /// The appointment held at the booth, once there is one.
    pub fn appointment(&self) -> Option<AppointmentId> {
        match self.state {
            BoothState::Booked { appointment } => Some(appointment),
            BoothState::Ended { appointment, .. } => appointment,
            BoothState::Queued { .. } => None,
        }
    }

    /// A session for the person in the cabin, waiting for the first practitioner free.
    pub fn queued(
        id: BoothSessionId,
        patient: PatientId,
        started_by: AccountId,
        now: Timestamp,
        entry: QueueEntryId,
    ) -> Self {
        Self::started(id, patient, started_by, now, BoothState::Queued { entry })
    }

    /// A session whose appointment at the booth exists from the start (a chosen slot, or a
    /// walk-in called from the counter into the cabin).
    pub fn booked(
        id: BoothSessionId,
        patient: PatientId,
        started_by: AccountId,
        now: Timestamp,
        appointment: AppointmentId,
    ) -> Self {
        Self::started(
            id,
            patient,
            started_by,
            now,
            BoothState::Booked { appointment },
        )
    }

    fn started(
        id: BoothSessionId,
        patient: PatientId,
        started_by: AccountId,
        now: Timestamp,
        state: BoothState,
    ) -> Self {
        Self {
            id,
            patient,
            started_by,
            started_at: now,
            last_activity: now,
            state,
        }
    }

    /// The queue entry this session waits with, while it waits.
    pub fn entry(&self) -> Option<QueueEntryId> {
        match self.state {
            BoothState::Queued { entry } => Some(entry),
            _ => None,
        }
    }

    /// The session once a practitioner took its entry or a slot was booked for it; `None`
    /// when it no longer waits (taken, ended).
    pub fn book(&self, appointment: AppointmentId, at: Timestamp) -> Option<BoothSession> {
        matches!(self.state, BoothState::Queued { .. }).then(|| BoothSession {
            last_activity: at,
            state: BoothState::Booked { appointment },
            ..self.clone()
        })
    }

    /// Whether the session ends by itself at `now`, and why. `appointment` is its appointment
    /// as stored, if it has one. The call ended (completed) → [`EndReason::CallEnded`]. While
    /// the call runs, or its room holds the practitioner, or the patient's side waits within
    /// the appointment's time, nothing is idle. Otherwise idle once [`BoothPolicy::idle_limit`]
    /// has passed since the last activity — or since the appointment's start, for a slot
    /// booked a little ahead (the person waits for it), or since its end when the cabin alone
    /// waited in the room (it joins by itself: its presence says nothing of a practitioner
    /// who never came).
    pub fn ends_by_itself(
        &self,
        appointment: Option<&Appointment>,
        now: Timestamp,
        policy: &BoothPolicy,
    ) -> Option<EndReason> {
        if !self.is_open() {
            return None;
        }
        let mut since = self.last_activity;
        if let Some(a) = appointment {
            match a.status {
                Status::Completed => return Some(EndReason::CallEnded),
                Status::InCall => return None,
                Status::Waiting if a.practitioner_joined_at.is_some() || now <= a.end => {
                    return None;
                }
                Status::Waiting => since = since.max(a.end),
                Status::Booked => since = since.max(a.start),
                Status::Cancelled { .. } | Status::NoShow => {}
            }
        }
        (now.duration_since(since) >= policy.idle_limit).then_some(EndReason::Idle)
    }

    /// Whether the idle limit has passed at `now`.
    pub fn is_idle(&self, now: Timestamp, policy: &BoothPolicy) -> bool {
        self.is_open() && now.duration_since(self.last_activity) >= policy.idle_limit
    }

    /// Ends the session; `None` when it had ended already (ending is idempotent for callers).
    pub fn end(&self, at: Timestamp, reason: EndReason) -> Option<BoothSession> {
        if !self.is_open() {
            return None;
        }
        Some(BoothSession {
            last_activity: at,
            state: BoothState::Ended {
                at,
                reason,
                appointment: self.appointment(),
            },
            ..self.clone()
        })
    }
}

/// Why a booth session cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoothError {
    #[error("booth sessions exist only on booth sites")]
    NotABoothSite,
    #[error("the cabin is in use: end the open session first")]
    CabinBusy { open: BoothSessionId },
    #[error(
        "a slot booked from the cabin must start by {latest}: the person waits in the cabin; \
         book later slots online or by phone"
    )]
    SlotTooLate { latest: Timestamp },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minute * 60).unwrap()
    }

    fn session(state: BoothState) -> BoothSession {
        BoothSession {
            id: BoothSessionId(Uuid::from_u128(1)),
            patient: PatientId::from_uuid(Uuid::from_u128(2)),
            started_by: AccountId::from_uuid(Uuid::from_u128(3)),
            started_at: at(0),
            last_activity: at(5),
            state,
        }
    }

    #[test]
    fn a_session_goes_idle_after_the_limit_since_its_last_activity() {
        let s = session(BoothState::Queued {
            entry: QueueEntryId(Uuid::from_u128(4)),
        });
        let policy = BoothPolicy::default();
        assert!(!s.is_idle(at(34), &policy));
        assert!(s.is_idle(at(35), &policy));
        let ended = s.end(at(35), EndReason::Idle).unwrap();
        assert!(
            !ended.is_idle(at(99), &policy),
            "an ended session is not idle"
        );
    }

    #[test]
    fn ending_keeps_the_appointment_and_happens_once() {
        let appointment = AppointmentId::from_uuid(Uuid::from_u128(9));
        let s = session(BoothState::Booked { appointment });
        let ended = s.end(at(40), EndReason::Staff).unwrap();
        assert_eq!(
            ended.state,
            BoothState::Ended {
                at: at(40),
                reason: EndReason::Staff,
                appointment: Some(appointment)
            }
        );
        assert_eq!(ended.appointment(), Some(appointment));
        assert!(ended.end(at(41), EndReason::Idle).is_none());
    }

    #[test]
    fn a_queued_session_is_booked_once() {
        let entry = QueueEntryId(Uuid::from_u128(4));
        let s = BoothSession::queued(
            BoothSessionId(Uuid::from_u128(1)),
            PatientId::from_uuid(Uuid::from_u128(2)),
            AccountId::from_uuid(Uuid::from_u128(3)),
            at(0),
            entry,
        );
        assert_eq!(s.entry(), Some(entry));
        let appointment = AppointmentId::from_uuid(Uuid::from_u128(9));
        let booked = s.book(appointment, at(3)).unwrap();
        assert_eq!(booked.state, BoothState::Booked { appointment });
        assert_eq!((booked.last_activity, booked.entry()), (at(3), None));
        assert!(booked.book(appointment, at(4)).is_none(), "taken once");
        let ended = booked.end(at(5), EndReason::Staff).unwrap();
        assert!(ended.book(appointment, at(6)).is_none());
    }

    #[test]
    fn a_session_ends_by_itself_when_the_call_ended_or_nothing_happens() {
        use crate::appointment::{Appointment, Status};
        use crate::schedule::ConsultationMode;
        let policy = BoothPolicy::default();
        let appointment = AppointmentId::from_uuid(Uuid::from_u128(9));
        let s = session(BoothState::Booked { appointment });
        let a = |status: Status, start: i64| Appointment {
            id: appointment,
            practitioner: crate::ids::PractitionerId::from_uuid(Uuid::from_u128(8)),
            patient: s.patient,
            booked_by: s.started_by,
            for_relative: None,
            start: at(start),
            end: at(start + 15),
            mode: ConsultationMode::Video,
            reason: String::new(),
            status,
            created_at: at(0),
            patient_joined_at: None,
            practitioner_joined_at: None,
            call_started_at: None,
            call_ended_at: None,
            at_booth: true,
        };
        // Last activity at minute 5: idle at 35 unless something happens.
        assert_eq!(s.ends_by_itself(None, at(34), &policy), None);
        assert_eq!(
            s.ends_by_itself(None, at(35), &policy),
            Some(EndReason::Idle)
        );
        // A slot starting at 20: the person waits for it; idle 30 minutes after its start.
        let later = a(Status::Booked, 20);
        assert_eq!(s.ends_by_itself(Some(&later), at(49), &policy), None);
        assert_eq!(
            s.ends_by_itself(Some(&later), at(50), &policy),
            Some(EndReason::Idle)
        );
        // The call runs, or the practitioner came: never idle.
        assert_eq!(
            s.ends_by_itself(Some(&a(Status::InCall, 0)), at(500), &policy),
            None
        );
        let came = Appointment {
            practitioner_joined_at: Some(at(1)),
            ..a(Status::Waiting, 0)
        };
        assert_eq!(s.ends_by_itself(Some(&came), at(500), &policy), None);
        // The cabin alone in the room (it joins by itself): waiting within the appointment's
        // time is no idleness; past its end (15), idle 30 minutes later.
        let alone = Appointment {
            patient_joined_at: Some(at(1)),
            ..a(Status::Waiting, 0)
        };
        assert_eq!(s.ends_by_itself(Some(&alone), at(15), &policy), None);
        assert_eq!(s.ends_by_itself(Some(&alone), at(44), &policy), None);
        assert_eq!(
            s.ends_by_itself(Some(&alone), at(45), &policy),
            Some(EndReason::Idle)
        );
        assert_eq!(
            s.ends_by_itself(Some(&a(Status::Completed, 0)), at(6), &policy),
            Some(EndReason::CallEnded)
        );
        let ended = s.end(at(6), EndReason::Staff).unwrap();
        assert_eq!(ended.ends_by_itself(None, at(500), &policy), None);
        assert_eq!(policy.latest_slot_start(at(0)), at(30));
    }
}
