#![allow(clippy::unwrap_used)]

//! The outbox port's leases on real sled: one holder per entry while leases run, expiry,
//! release, order per aggregate, void after a re-opening.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier, Mutex};

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
fn thirty_two_threads_of_two_holders_never_share_an_entry_nor_an_aggregate_out_of_order() {
    let (_dir, store) = open();
    const AGGREGATES: usize = 40;
    const ENTRIES: usize = 400;
    let names: Vec<String> = (0..AGGREGATES)
        .map(|a| format!("appointment/{a}"))
        .collect();
    let order: Vec<&str> = (0..ENTRIES)
        .map(|n| names[(n * 7 + n / 13) % AGGREGATES].as_str())
        .collect();
    let queued = queue(&store, &order);
    let aggregate_of: HashMap<u64, &str> = queued.iter().copied().zip(order.clone()).collect();
    let earlier: HashMap<u64, Vec<u64>> = queued
        .iter()
        .map(|id| {
            let same = queued
                .iter()
                .copied()
                .filter(|j| j < id && aggregate_of[j] == aggregate_of[id])
                .collect();
            (*id, same)
        })
        .collect();

    #[derive(Default)]
    struct Seen {
        holder_of: HashMap<u64, &'static str>,
        /// Marked before the entry is acknowledged.
        acked: HashSet<u64>,
        violations: Vec<String>,
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let start = Arc::new(Barrier::new(32));
    std::thread::scope(|scope| {
        for t in 0..32 {
            let (store, seen, start, earlier) =
                (store.clone(), seen.clone(), start.clone(), &earlier);
            scope.spawn(move || {
                let holder: &'static str = if t % 2 == 0 { "daemon-a" } else { "daemon-b" };
                start.wait();
                // Bounded: 400 entries, at least one acknowledged per useful round.
                for _ in 0..20_000 {
                    if store.outbox_len().unwrap() == 0 {
                        return;
                    }
                    let got = SyncStore::lease(&store, holder, 5, ts(0), ts(3600)).unwrap();
                    if got.is_empty() {
                        std::thread::yield_now();
                        continue;
                    }
                    let mut s = seen.lock().unwrap();
                    for m in &got {
                        match s.holder_of.insert(m.id, holder) {
                            Some(other) if other != holder => s
                                .violations
                                .push(format!("entry {} leased to {other} and {holder}", m.id)),
                            _ => {}
                        }
                        for j in &earlier[&m.id] {
                            if !s.acked.contains(j) && s.holder_of.get(j) != Some(&holder) {
                                s.violations.push(format!(
                                    "{holder} got entry {} while the earlier {j} of its aggregate was not its own",
                                    m.id
                                ));
                            }
                        }
                    }
                    // "Delivered": the oldest half.
                    let done: Vec<u64> = got.iter().take(got.len().div_ceil(2)).map(|m| m.id).collect();
                    s.acked.extend(done.iter().copied());
                    drop(s);
                    for id in done {
                        SyncStore::ack(&store, id).unwrap();
                    }
                }
                panic!("the outbox did not drain");
            });
        }
    });
    let seen = seen.lock().unwrap();
    assert!(seen.violations.is_empty(), "{:#?}", seen.violations);
    assert_eq!(store.outbox_len().unwrap(), 0);
    assert_eq!(seen.holder_of.len(), ENTRIES, "every entry was leased");
    let holders: HashSet<&str> = seen.holder_of.values().copied().collect();
    assert_eq!(holders.len(), 2, "both holders got work: {holders:?}");
    assert!(
        leases(&store.inner()).unwrap().is_empty(),
        "acknowledged entries keep no lease"
    );
}

#[test]
fn a_lease_holds_others_off_until_it_ends_and_its_holder_renews_it() {
    let (_dir, store) = open();
    let queued = queue(&store, &["a/1", "a/2", "b/1"]);
    assert_eq!(lease(&store, "one", 10, 0, 10), queued);
    assert_eq!(lease(&store, "two", 10, 5, 100), Vec::<u64>::new());
    // Renewed by its holder: runs until 20 now.
    assert_eq!(lease(&store, "one", 10, 6, 20), queued);
    assert_eq!(lease(&store, "two", 10, 15, 100), Vec::<u64>::new());
    assert_eq!(
        store.outbox_lease_of(queued[0]).unwrap(),
        Some(("one".to_owned(), ts(20)))
    );
    // Its end: offered again (the holder died).
    assert_eq!(lease(&store, "two", 10, 20, 100), queued);
    assert_eq!(lease(&store, "one", 10, 21, 30), Vec::<u64>::new());
}

#[test]
fn later_entries_of_an_aggregate_wait_while_an_earlier_one_is_leased_elsewhere() {
    let (_dir, store) = open();
    let q = queue(
        &store,
        &[
            "appointment/x",
            "appointment/y",
            "appointment/x",
            "patient/z",
        ],
    );
    assert_eq!(lease(&store, "one", 1, 0, 100), [q[0]]);
    // x's second message is not offered while its first is leased to "one".
    assert_eq!(lease(&store, "two", 10, 1, 100), [q[1], q[3]]);
    SyncStore::ack(&store, q[0]).unwrap();
    assert_eq!(store.outbox_lease_of(q[0]).unwrap(), None);
    assert_eq!(lease(&store, "two", 10, 2, 100), [q[1], q[2], q[3]]);
    // "one" asks again: everything is "two"'s.
    assert_eq!(lease(&store, "one", 10, 3, 100), Vec::<u64>::new());
}

#[test]
fn the_limit_takes_the_oldest_and_a_renewal_keeps_them() {
    let (_dir, store) = open();
    let q = queue(&store, &["a", "b", "c", "d"]);
    assert_eq!(lease(&store, "one", 2, 0, 100), [q[0], q[1]]);
    assert_eq!(lease(&store, "one", 2, 1, 100), [q[0], q[1]]);
    assert_eq!(lease(&store, "two", 10, 1, 100), [q[2], q[3]]);
}

#[test]
fn released_entries_go_to_the_next_holder_at_once() {
    let (_dir, store) = open();
    let q = queue(&store, &["a", "b"]);
    assert_eq!(lease(&store, "one", 10, 0, 100), q);
    assert_eq!(SyncStore::release(&store, "two").unwrap(), 0);
    assert_eq!(SyncStore::release(&store, "one").unwrap(), 2);
    assert_eq!(lease(&store, "two", 10, 1, 100), q);
    assert_eq!(
        SyncStore::release(&store, "one").unwrap(),
        0,
        "not its own any more"
    );
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

#[test]
fn a_patients_other_records_wait_while_one_of_theirs_is_leased_elsewhere() {
    let (_dir, store) = open();
    let of = |aggregate: &str, patient: &str| OutboxMessage {
        payload: serde_json::json!({ "appointment": { "patient": patient } }),
        ..message(0, aggregate)
    };
    let q: Vec<u64> = [
        of("appointment/1", "p"),
        of("appointment/2", "p"),
        of("appointment/3", "q"),
    ]
    .iter()
    .map(|m| {
        store
            .inner()
            .transact(|tx| crate::outbox::enqueue(tx, m, ts(0)))
            .unwrap()
    })
    .collect();
    assert_eq!(lease(&store, "one", 1, 0, 100), [q[0]]);
    // Both bookings would create patient p on the platform: not at once from two daemons.
    assert_eq!(lease(&store, "two", 10, 1, 100), [q[2]]);
    SyncStore::ack(&store, q[0]).unwrap();
    assert_eq!(lease(&store, "two", 10, 2, 100), [q[1], q[2]]);
}
