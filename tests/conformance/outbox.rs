//! The outbox port's contract (`teleconsult_tests::outbox_port`: leases, their end, their order
//! per aggregate and per patient, release, acknowledgement and parking) on both adapters, each
//! check on a fresh store.

use std::sync::Arc;

use teleconsult_core::ports::outbox::SyncStore;
use teleconsult_tests::outbox_port as contract;

fn concurrent<S: SyncStore + 'static>(s: Arc<S>) -> anyhow::Result<()> {
    contract::concurrent_holders_never_share_an_entry(s)
}
fn a_lease_holds_others_off<S: SyncStore + 'static>(s: Arc<S>) -> anyhow::Result<()> {
    contract::a_lease_holds_others_off_until_it_ends(&*s)
}
fn an_aggregate_in_order<S: SyncStore + 'static>(s: Arc<S>) -> anyhow::Result<()> {
    contract::an_aggregate_goes_in_order(&*s)
}
fn a_patient_in_order<S: SyncStore + 'static>(s: Arc<S>) -> anyhow::Result<()> {
    contract::a_patient_goes_in_order(&*s)
}
fn the_limit_takes_the_oldest<S: SyncStore + 'static>(s: Arc<S>) -> anyhow::Result<()> {
    contract::the_limit_takes_the_oldest(&*s)
}
fn release_hands_over_at_once<S: SyncStore + 'static>(s: Arc<S>) -> anyhow::Result<()> {
    contract::release_hands_over_at_once(&*s)
}
fn attempts_and_parking<S: SyncStore + 'static>(s: Arc<S>) -> anyhow::Result<()> {
    contract::attempts_and_parking(&*s)
}

macro_rules! outbox_on_both {
    ($($check:ident),* $(,)?) => {
        mod sled {
            $(
                #[test]
                fn $check() -> anyhow::Result<()> {
                    let dir = tempfile::tempdir()?;
                    let store = teleconsult_store::Store::open(dir.path(), crate::fixtures::key())?;
                    super::$check(Arc::new(store))
                }
            )*
            use std::sync::Arc;
        }
        mod postgres {
            $(
                #[test]
                fn $check() -> anyhow::Result<()> {
                    let test = concat!("outbox::postgres::", stringify!($check));
                    let Some(server) = teleconsult_tests::postgres::Postgres::start(test)? else {
                        return Ok(());
                    };
                    let url = server.create_database("site")?;
                    let store = teleconsult_store_postgres::PgStore::open(
                        &teleconsult_store_postgres::PgOptions::new(url),
                        &crate::fixtures::key(),
                    )?;
                    super::$check(Arc::new(store))
                }
            )*
            use std::sync::Arc;
        }
    };
}

outbox_on_both!(
    concurrent,
    a_lease_holds_others_off,
    an_aggregate_in_order,
    a_patient_in_order,
    the_limit_takes_the_oldest,
    release_hands_over_at_once,
    attempts_and_parking,
);
