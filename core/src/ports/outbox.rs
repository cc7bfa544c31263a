//! The outbox port: what the sync worker needs from storage — the queued messages for the
//! national platform, **leased** so that with several workers (several daemons on one database)
//! each message is delivered by one worker at a time, the parked entries, and the pull cursors.
//! The records a message refers to (patient, practitioners) come through [`Repository`].
//!
//! ## Leases
//!
//! A worker never merely reads the head of the outbox: it *leases* it
//! ([`SyncStore::lease`]). A lease names its holder (a worker's id, stable for the worker's
//! life, different for every daemon start) and runs until a time the holder chose (well above a
//! delivery's time limit). While it runs, no other holder is offered the message; a holder asking
//! again renews its own leases. A lease that expires (its daemon died, or hung) makes the message
//! available again: the platform then may see it twice, which every interaction tolerates (they
//! are idempotent). Which entries a lease call may take is decided by one rule, [`LeaseRule`],
//! that every adapter applies in id order inside the transaction that writes the leases:
//!
//! - **per aggregate and per patient, in order**: once an entry is leased to another holder
//!   whose lease runs, no later entry sharing one of its ordering keys
//!   ([`OutboxMessage::ordering_keys`]: its aggregate — `appointment/<id>`, … — and the patient
//!   it creates on the platform) is offered, nor, in turn, later entries sharing a key with a
//!   held-back one — so a second worker never sends message 2 of an appointment while message
//!   1 is leased to another, nor a patient's document while their booking (which creates the
//!   patient too) is. (A holder renews in id order with one end time, so its earlier entries
//!   never expire before its later ones.)
//! - at most `limit` entries per call, oldest first.
//!
//! `ack`, `record_attempt` and `park` are accepted from any worker, holder or not: a delivery or
//! a refusal is a fact about the message whoever observed it (a worker whose lease ran out while
//! its request was in flight still reports what the platform answered), and the sends they
//! follow are idempotent. They do not check the lease; `ack` and `park` end it with the entry.
//!
//! All methods block (disk or network I/O): async callers use `spawn_blocking`.

use std::collections::HashSet;

use crate::Timestamp;
use crate::outbox::OutboxMessage;
use crate::ports::{Repository, RepositoryError};

/// One outbox entry as the worker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Position in the outbox: ids only grow, so they give the order of the changes.
    pub id: u64,
    pub message: OutboxMessage,
    /// When the change that caused it happened (the audited event's time).
    pub enqueued_at: Timestamp,
    /// Delivery attempts so far, persisted across restarts.
    pub attempts: u32,
}

/// Why and when an entry is parked (set aside for staff, see [`SyncStore::park`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parking {
    pub at: Timestamp,
    /// HTTP status of the refusal; 0 when the worker refused it itself (unknown kind, bad
    /// payload).
    pub status: u16,
    /// One line for staff: issue codes and element paths, never resource content.
    pub reason: String,
    /// The platform's OperationOutcome as received (may quote content: stored sealed).
    pub outcome: serde_json::Value,
}

/// A lease as stored with an entry: who holds it, until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held<'a> {
    pub holder: &'a str,
    pub until: Timestamp,
}

/// What [`LeaseRule::offer`] decides for one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Lease it to the asking holder (a new lease, a renewal or an expired one taken over).
    Take,
    /// Leave it: another holder's lease runs on it or on an earlier entry of its aggregate.
    Skip,
    /// The call has its `limit`: look no further.
    Stop,
}

/// The leasing rule (see the module's documentation), fed the entries in id order. Adapters
/// run it inside the transaction that writes the leases, so that what it saw is what is
/// written; a fresh rule for each pass.
#[derive(Debug)]
pub struct LeaseRule<'a> {
    holder: &'a str,
    now: Timestamp,
    limit: usize,
    taken: usize,
    /// Ordering keys with an entry leased to another holder (or held back), from that entry on.
    blocked: HashSet<String>,
}

impl<'a> LeaseRule<'a> {
    pub fn new(holder: &'a str, now: Timestamp, limit: usize) -> Self {
        LeaseRule {
            holder,
            now,
            limit,
            taken: 0,
            blocked: HashSet::new(),
        }
    }

    /// The verdict for the next entry (in id order), `message`, currently `held` (or not). A
    /// lease whose `until` is not after `now` has expired.
    pub fn offer(&mut self, message: &OutboxMessage, held: Option<Held<'_>>) -> Verdict {
        if self.taken >= self.limit {
            return Verdict::Stop;
        }
        let keys = message.ordering_keys();
        let elsewhere = held.is_some_and(|h| h.holder != self.holder && h.until > self.now);
        if elsewhere || keys.iter().any(|k| self.blocked.contains(k)) {
            // Held back: so are the later entries sharing any of its keys.
            self.blocked.extend(keys);
            return Verdict::Skip;
        }
        self.taken += 1;
        Verdict::Take
    }
}

/// Storage as the sync worker needs it, beyond the [`Repository`] (the patient a message
/// refers to — an audited read —, the practitioners).
pub trait SyncStore: Repository {
    /// Leases to `holder` until `until` the oldest entries it may take at `now` (see
    /// [`LeaseRule`]), at most `limit`, oldest first: those not leased, those whose lease expired,
    /// and those already leased to `holder` (renewed). One transaction: two holders calling at
    /// once never both get an entry.
    fn lease(
        &self,
        holder: &str,
        limit: usize,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<QueuedMessage>, RepositoryError>;

    /// Ends every lease of `holder` (a worker stopping): its entries are offered to others at
    /// once. Returns how many were released.
    fn release(&self, holder: &str) -> Result<u64, RepositoryError>;

    /// Removes a delivered message (absent ids are fine: a retried acknowledgement). Need not
    /// be durable at once: a lost acknowledgement only causes an idempotent re-send.
    fn ack(&self, id: u64) -> Result<(), RepositoryError>;

    /// Counts one more attempt; returns the new count (`None` when no longer queued).
    fn record_attempt(&self, id: u64) -> Result<Option<u32>, RepositoryError>;

    /// Moves a message to the parked entries (durably, in one step); absent ids are fine.
    fn park(&self, id: u64, parking: &Parking) -> Result<(), RepositoryError>;

    /// Messages queued (leased or not).
    fn pending_len(&self) -> Result<u64, RepositoryError>;

    fn parked_len(&self) -> Result<u64, RepositoryError>;

    /// Aggregates with a parked entry: their later entries wait behind it (and are parked too).
    fn parked_aggregates(&self) -> Result<Vec<String>, RepositoryError>;

    /// A named cursor of the pull of remote changes (the newest change already applied).
    fn cursor(&self, name: &str) -> Result<Option<Timestamp>, RepositoryError>;

    /// Stores a named cursor, durably.
    fn set_cursor(&self, name: &str, at: Timestamp) -> Result<(), RepositoryError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn held(holder: &str, until: i64) -> Option<Held<'_>> {
        Some(Held {
            holder,
            until: at(until),
        })
    }

    fn m(aggregate: &str) -> OutboxMessage {
        OutboxMessage {
            idempotency_key: aggregate.into(),
            aggregate: aggregate.into(),
            kind: "x".into(),
            payload: serde_json::json!({}),
        }
    }

    fn booking(appointment: &str, patient: &str) -> OutboxMessage {
        OutboxMessage {
            payload: serde_json::json!({"appointment": {"patient": patient}}),
            ..m(appointment)
        }
    }

    #[test]
    fn free_own_and_expired_entries_are_taken() {
        let mut rule = LeaseRule::new("a", at(10), 10);
        assert_eq!(rule.offer(&m("x"), None), Verdict::Take);
        assert_eq!(
            rule.offer(&m("y"), held("a", 5)),
            Verdict::Take,
            "own, expired"
        );
        assert_eq!(
            rule.offer(&m("z"), held("a", 50)),
            Verdict::Take,
            "own, renewed"
        );
        assert_eq!(
            rule.offer(&m("w"), held("b", 10)),
            Verdict::Take,
            "ends at now"
        );
    }

    #[test]
    fn a_running_lease_of_another_holds_back_its_aggregate_from_there_on() {
        let mut rule = LeaseRule::new("a", at(10), 10);
        assert_eq!(rule.offer(&m("x"), held("b", 11)), Verdict::Skip);
        assert_eq!(rule.offer(&m("x"), None), Verdict::Skip, "later entry of x");
        assert_eq!(rule.offer(&m("x"), held("a", 11)), Verdict::Skip);
        assert_eq!(
            rule.offer(&m("y"), None),
            Verdict::Take,
            "other aggregates go"
        );
    }

    #[test]
    fn a_patient_held_elsewhere_holds_back_their_other_records_and_what_follows_them() {
        let mut rule = LeaseRule::new("a", at(10), 10);
        assert_eq!(
            rule.offer(&booking("appointment/1", "p"), held("b", 11)),
            Verdict::Skip
        );
        // Another appointment of the same patient waits...
        assert_eq!(
            rule.offer(&booking("appointment/2", "p"), None),
            Verdict::Skip
        );
        // ...and so does the next change of that appointment, whoever its patient is.
        assert_eq!(rule.offer(&m("appointment/2"), None), Verdict::Skip);
        assert_eq!(
            rule.offer(&booking("appointment/3", "q"), None),
            Verdict::Take
        );
    }

    #[test]
    fn the_limit_stops_the_pass() {
        let mut rule = LeaseRule::new("a", at(0), 2);
        assert_eq!(rule.offer(&m("x"), None), Verdict::Take);
        assert_eq!(rule.offer(&m("x"), held("b", 9)), Verdict::Skip);
        assert_eq!(rule.offer(&m("y"), None), Verdict::Take);
        assert_eq!(rule.offer(&m("z"), None), Verdict::Stop);
    }
}
