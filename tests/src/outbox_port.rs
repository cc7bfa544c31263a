//! The outbox port's contract (core `ports::outbox`: leases, their end, their order per
//! aggregate and per patient, release, acknowledgement and parking), checked on any storage
//! adapter through the port alone. `e2e/outbox_port.rs` runs every check on the sled store; a
//! second adapter runs the same checks on its own fresh stores. Each check takes a fresh, empty
//! store. Adapter-specific behaviour (sled: leases void after a re-opening) is tested by the
//! adapter itself.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier, Mutex};

use anyhow::ensure;
use teleconsult_core::Timestamp;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::ports::outbox::{Parking, SyncStore};

use crate::fhir_peer::workload;

/// A fixed time, `s` seconds after an arbitrary origin.
fn at(s: i64) -> anyhow::Result<Timestamp> {
    Ok(Timestamp::from_second(1_900_000_000 + s)?)
}

fn message(n: usize, aggregate: &str, patient: Option<&str>) -> OutboxMessage {
    OutboxMessage {
        idempotency_key: format!("conformance/{n}"),
        aggregate: aggregate.to_owned(),
        kind: "appointment.booked".to_owned(),
        payload: match patient {
            Some(p) => serde_json::json!({ "appointment": { "patient": p } }),
            None => serde_json::json!({ "n": n }),
        },
    }
}

/// Queues one message per aggregate, in order (with the patient, if given, its payload names);
/// returns their ids, oldest first.
fn queue<S: SyncStore>(store: &S, entries: &[(&str, Option<&str>)]) -> anyhow::Result<Vec<u64>> {
    let messages: Vec<OutboxMessage> = entries
        .iter()
        .enumerate()
        .map(|(n, (aggregate, patient))| message(n, aggregate, *patient))
        .collect();
    workload::enqueue(store, 1, &messages, at(0)?)?;
    // The ids, as a probe holder sees them (then let go).
    let ids = lease(store, "conformance-probe", usize::MAX, 0, 1)?;
    store.release("conformance-probe")?;
    ensure!(
        ids.len() == entries.len(),
        "queued {entries:?}, leased {ids:?}"
    );
    Ok(ids)
}

fn lease<S: SyncStore>(
    store: &S,
    holder: &str,
    limit: usize,
    now: i64,
    until: i64,
) -> anyhow::Result<Vec<u64>> {
    Ok(store
        .lease(holder, limit, at(now)?, at(until)?)?
        .iter()
        .map(|m| m.id)
        .collect())
}

/// Thirty-two threads of two holders lease, "deliver" and acknowledge a backlog of 400 entries
/// over 40 aggregates: no entry is ever leased to both holders, and no holder gets an entry
/// while an earlier one of its aggregate is neither acknowledged nor its own.
pub fn concurrent_holders_never_share_an_entry<S: SyncStore + 'static>(
    store: Arc<S>,
) -> anyhow::Result<()> {
    const AGGREGATES: usize = 40;
    const ENTRIES: usize = 400;
    let names: Vec<String> = (0..AGGREGATES)
        .map(|a| format!("appointment/{a}"))
        .collect();
    let order: Vec<(&str, Option<&str>)> = (0..ENTRIES)
        .map(|n| (names[(n * 7 + n / 13) % AGGREGATES].as_str(), None))
        .collect();
    let ids = queue(&*store, &order)?;
    let aggregate_of: HashMap<u64, &str> =
        ids.iter().copied().zip(order.iter().map(|o| o.0)).collect();
    let earlier: HashMap<u64, Vec<u64>> = ids
        .iter()
        .map(|id| {
            let same = ids
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
    let (until, now) = (at(3600)?, at(0)?);
    let outcomes: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..32)
            .map(|t| {
                let (store, seen, start, earlier) =
                    (store.clone(), seen.clone(), start.clone(), &earlier);
                scope.spawn(move || -> anyhow::Result<()> {
                    let holder: &'static str = if t % 2 == 0 { "daemon-a" } else { "daemon-b" };
                    start.wait();
                    // Bounded: 400 entries, at least one acknowledged per useful round.
                    for _ in 0..50_000 {
                        if store.pending_len()? == 0 {
                            return Ok(());
                        }
                        let got = store.lease(holder, 5, now, until)?;
                        if got.is_empty() {
                            std::thread::yield_now();
                            continue;
                        }
                        let mut s = seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                        for m in &got {
                            if let Some(other) = s.holder_of.insert(m.id, holder)
                                && other != holder
                            {
                                s.violations
                                    .push(format!("entry {} leased to {other} and {holder}", m.id));
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
                        let done: Vec<u64> =
                            got.iter().take(got.len().div_ceil(2)).map(|m| m.id).collect();
                        s.acked.extend(done.iter().copied());
                        drop(s);
                        for id in done {
                            store.ack(id)?;
                        }
                    }
                    anyhow::bail!("the outbox did not drain")
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a thread panicked")))
            })
            .collect()
    });
    for outcome in outcomes {
        outcome?;
    }
    let seen = seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    ensure!(seen.violations.is_empty(), "{:#?}", seen.violations);
    ensure!(store.pending_len()? == 0);
    ensure!(seen.holder_of.len() == ENTRIES, "every entry was leased");
    let holders: HashSet<&str> = seen.holder_of.values().copied().collect();
    ensure!(holders.len() == 2, "both holders got work: {holders:?}");
    Ok(())
}

/// A lease holds the others off until it ends; its holder renews it by leasing again; once it
/// has ended the entries go to whoever asks.
pub fn a_lease_holds_others_off_until_it_ends<S: SyncStore>(store: &S) -> anyhow::Result<()> {
    let q = queue(store, &[("a/1", None), ("a/2", None), ("b/1", None)])?;
    ensure!(lease(store, "one", 10, 0, 10)? == q);
    ensure!(lease(store, "two", 10, 5, 100)?.is_empty());
    ensure!(lease(store, "one", 10, 6, 20)? == q, "renewed until 20");
    ensure!(lease(store, "two", 10, 15, 100)?.is_empty());
    ensure!(lease(store, "two", 10, 20, 100)? == q, "ended at 20");
    ensure!(lease(store, "one", 10, 21, 30)?.is_empty());
    Ok(())
}

/// The later entries of an aggregate wait while an earlier one is leased elsewhere; an
/// acknowledgement ends the lease.
pub fn an_aggregate_goes_in_order<S: SyncStore>(store: &S) -> anyhow::Result<()> {
    let q = queue(
        store,
        &[
            ("appointment/x", None),
            ("appointment/y", None),
            ("appointment/x", None),
            ("patient/z", None),
        ],
    )?;
    ensure!(lease(store, "one", 1, 0, 100)? == [q[0]]);
    ensure!(lease(store, "two", 10, 1, 100)? == [q[1], q[3]]);
    store.ack(q[0])?;
    store.ack(q[0])?;
    ensure!(lease(store, "two", 10, 2, 100)? == [q[1], q[2], q[3]]);
    ensure!(lease(store, "one", 10, 3, 100)?.is_empty());
    Ok(())
}

/// Two records of one patient (both create the patient on the platform) are not leased to two
/// holders at once.
pub fn a_patient_goes_in_order<S: SyncStore>(store: &S) -> anyhow::Result<()> {
    let q = queue(
        store,
        &[
            ("appointment/1", Some("p")),
            ("document/2", Some("p")),
            ("appointment/3", Some("q")),
        ],
    )?;
    ensure!(lease(store, "one", 1, 0, 100)? == [q[0]]);
    ensure!(lease(store, "two", 10, 1, 100)? == [q[2]]);
    store.ack(q[0])?;
    ensure!(lease(store, "two", 10, 2, 100)? == [q[1], q[2]]);
    Ok(())
}

/// The limit takes the oldest; a holder asking again gets the same (renewed), another the rest.
pub fn the_limit_takes_the_oldest<S: SyncStore>(store: &S) -> anyhow::Result<()> {
    let q = queue(store, &[("a", None), ("b", None), ("c", None), ("d", None)])?;
    ensure!(lease(store, "one", 2, 0, 100)? == [q[0], q[1]]);
    ensure!(lease(store, "one", 2, 1, 100)? == [q[0], q[1]]);
    ensure!(lease(store, "two", 10, 1, 100)? == [q[2], q[3]]);
    Ok(())
}

/// Released entries go to the next holder at once; releasing what is no longer one's own
/// releases nothing.
pub fn release_hands_over_at_once<S: SyncStore>(store: &S) -> anyhow::Result<()> {
    let q = queue(store, &[("a", None), ("b", None)])?;
    ensure!(lease(store, "one", 10, 0, 100)? == q);
    ensure!(store.release("two")? == 0);
    ensure!(store.release("one")? == 2);
    ensure!(lease(store, "two", 10, 1, 100)? == q);
    ensure!(store.release("one")? == 0);
    Ok(())
}

/// Attempts are counted and parking moves an entry out, whoever holds it; parked aggregates
/// are listed; counts follow.
pub fn attempts_and_parking<S: SyncStore>(store: &S) -> anyhow::Result<()> {
    let q = queue(store, &[("a", None), ("b", None)])?;
    ensure!(lease(store, "one", 10, 0, 100)? == q);
    ensure!(store.record_attempt(q[0])? == Some(1));
    ensure!(store.record_attempt(q[0])? == Some(2));
    let again = store.lease("one", 1, at(1)?, at(100)?)?;
    ensure!(again.first().map(|m| m.attempts) == Some(2), "{again:?}");
    let parking = Parking {
        at: at(2)?,
        status: 422,
        reason: "refused".to_owned(),
        outcome: serde_json::json!({"resourceType": "OperationOutcome", "issue": []}),
    };
    store.park(q[0], &parking)?;
    store.park(q[0], &parking)?;
    ensure!(store.record_attempt(q[0])?.is_none());
    ensure!(store.parked_aggregates()? == ["a"]);
    ensure!(store.parked_len()? == 1);
    ensure!(store.pending_len()? == 1);
    let rest = lease(store, "two", 10, 200, 300)?;
    ensure!(rest == [q[1]], "{rest:?}");
    Ok(())
}
