#![allow(clippy::unwrap_used)]

//! What the sled adapter adds to the outbox port's contract: leases void after a re-opening,
//! removed with their entry (parked, acknowledged, gone), old entries leased. The contract
//! itself (one holder per entry under 32 threads, expiry, release, order per aggregate and per
//! patient) is checked through the port alone by `teleconsult_tests::outbox_port`, on this
//! store (`tests/e2e/outbox_port.rs`) and on any other adapter.

use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::ports::outbox::{Parking, SyncStore};

use super::*;
use crate::test_support::{open, reopen_key, ts};

fn message(n: u64, aggregate: &str) -> OutboxMessage {
    OutboxMessage {
        idempotency_key: format!("m/{n}"),
        aggregate: aggregate.to_owned(),
        kind: "appointment.booked".to_owned(),
        payload: serde_json::json!({ "n": n }),
    }
}

/// Queues one message per aggregate name, in order; returns their ids.
fn queue(store: &Store, aggregates: &[&str]) -> Vec<u64> {
    aggregates
        .iter()
        .enumerate()
        .map(|(n, aggregate)| {
            let m = message(n as u64, aggregate);
            store
                .inner()
                .transact(|tx| crate::outbox::enqueue(tx, &m, ts(0)))
                .unwrap()
        })
        .collect()
}

fn ids(got: &[QueuedMessage]) -> Vec<u64> {
    got.iter().map(|m| m.id).collect()
}

fn lease(store: &Store, holder: &str, limit: usize, now: i64, until: i64) -> Vec<u64> {
    ids(&SyncStore::lease(store, holder, limit, ts(now), ts(until)).unwrap())
}

#[test]
fn leases_of_an_earlier_opening_are_void() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    let q = queue(&store, &["a", "b"]);
    assert_eq!(lease(&store, "before-the-crash", 10, 0, 1000), q);
    store.flush().unwrap();
    drop(store);
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    assert_eq!(store.outbox_lease_of(q[0]).unwrap(), None);
    assert_eq!(lease(&store, "after-the-restart", 10, 1, 1000), q);
}

#[test]
fn parking_ends_the_lease_and_a_retried_entry_starts_free() {
    let (_dir, store) = open();
    let q = queue(&store, &["a", "b"]);
    assert_eq!(lease(&store, "one", 10, 0, 100), q);
    let parking = Parking {
        at: ts(1),
        status: 422,
        reason: "refused".into(),
        outcome: serde_json::json!({}),
    };
    SyncStore::park(&store, q[0], &parking).unwrap();
    SyncStore::park(&store, q[0], &parking).unwrap();
    assert_eq!(store.outbox_lease_of(q[0]).unwrap(), None);
    assert_eq!(SyncStore::parked_aggregates(&store).unwrap(), ["a"]);
    assert!(store.parked_retry(q[0]).unwrap());
    assert_eq!(lease(&store, "two", 10, 2, 100), [q[0]]);
    assert_eq!(SyncStore::record_attempt(&store, q[0]).unwrap(), Some(1));
}

#[test]
fn a_lease_left_without_its_entry_is_removed_by_the_next_lease_call() {
    let (_dir, store) = open();
    let q = queue(&store, &["a", "b", "c"]);
    assert_eq!(lease(&store, "one", 10, 0, 100), q);
    // As after a crash between removing an entry and its lease (or an erasure).
    store
        .inner()
        .trees
        .raw(TreeId::Outbox)
        .remove(q[1].to_be_bytes())
        .unwrap();
    assert!(leases(&store.inner()).unwrap().contains_key(&q[1]));
    assert_eq!(lease(&store, "one", 10, 1, 100), [q[0], q[2]]);
    assert!(!leases(&store.inner()).unwrap().contains_key(&q[1]));
}

#[test]
fn an_entry_written_before_leases_existed_is_leased() {
    let (_dir, store) = open();
    // The outbox entry as every earlier version wrote it.
    let old = serde_json::json!({
        "id": 7,
        "message": {
            "idempotency_key": "appointment.booked/7",
            "aggregate": "appointment/7",
            "kind": "appointment.booked",
            "payload": {"n": 7}
        },
        "enqueued_at": "2025-06-15T15:06:40Z",
        "attempts": 2
    });
    store
        .inner()
        .transact(|tx| {
            tx.encrypted(TreeId::Outbox)
                .insert(&7u64.to_be_bytes(), &old)
        })
        .unwrap();
    let got = SyncStore::lease(&store, "one", 10, ts(0), ts(10)).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, 7);
    assert_eq!(got[0].attempts, 2);
    assert_eq!(got[0].message.aggregate, "appointment/7");
}
