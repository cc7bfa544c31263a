//! Issue #20: the outbox port's contract (`teleconsult_tests::outbox_port`), on the sled store.
//! Each check gets a fresh store in a temporary folder.

use std::sync::Arc;
use teleconsult_store::{StorageKey, Store};
use teleconsult_tests::outbox_port as contract;

fn fresh() -> anyhow::Result<(tempfile::TempDir, Store)> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(
        &dir.path().join("data"),
        StorageKey::from_bytes(rand::random()),
    )?;
    Ok((dir, store))
}

#[test]
fn thirty_two_threads_of_two_holders_never_share_an_entry() -> anyhow::Result<()> {
    let (_dir, store) = fresh()?;
    contract::concurrent_holders_never_share_an_entry(Arc::new(store))
}

#[test]
fn a_lease_holds_others_off_until_it_ends() -> anyhow::Result<()> {
    let (_dir, store) = fresh()?;
    contract::a_lease_holds_others_off_until_it_ends(&store)
}

#[test]
fn an_aggregate_goes_in_order() -> anyhow::Result<()> {
    let (_dir, store) = fresh()?;
    contract::an_aggregate_goes_in_order(&store)
}

#[test]
fn a_patient_goes_in_order() -> anyhow::Result<()> {
    let (_dir, store) = fresh()?;
    contract::a_patient_goes_in_order(&store)
}

#[test]
fn the_limit_takes_the_oldest() -> anyhow::Result<()> {
    let (_dir, store) = fresh()?;
    contract::the_limit_takes_the_oldest(&store)
}

#[test]
fn release_hands_over_at_once() -> anyhow::Result<()> {
    let (_dir, store) = fresh()?;
    contract::release_hands_over_at_once(&store)
}

#[test]
fn attempts_and_parking() -> anyhow::Result<()> {
    let (_dir, store) = fresh()?;
    contract::attempts_and_parking(&store)
}
