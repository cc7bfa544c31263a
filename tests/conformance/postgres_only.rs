//! What only a shared PostgreSQL database has: several daemons on it, a key check at start,
//! a schema migrated by version, and columns the database administrator can read.

use std::sync::Arc;

use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::booking::BookingStore;
use teleconsult_seal::StorageKey;
use teleconsult_store_postgres::{PgError, PgOptions, PgStore};
use teleconsult_tests::postgres::Postgres;

use crate::fixtures::{appointment, booking, key, patient, tally};

fn server(test: &str) -> anyhow::Result<Option<(Postgres, String)>> {
    let Some(server) = Postgres::start(test)? else {
        return Ok(None);
    };
    let url = server.create_database("site")?;
    Ok(Some((server, url)))
}

#[test]
fn two_daemons_on_one_database_book_each_slot_once_and_keep_one_audit_chain() -> anyhow::Result<()>
{
    let Some((_server, url)) = server("two_daemons_on_one_database")? else {
        return Ok(());
    };
    // Two daemons' stores, each with its own pool and runtime, opened at the same time (both
    // run the migrations: one waits for the other's).
    let (one, two) = std::thread::scope(|scope| {
        let a = scope.spawn(|| PgStore::open(&PgOptions::new(url.clone()), &key()));
        let b = scope.spawn(|| PgStore::open(&PgOptions::new(url.clone()), &key()));
        (a.join().unwrap(), b.join().unwrap())
    });
    let daemons = [Arc::new(one?), Arc::new(two?)];
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200u128)
            .map(|n| {
                let store = Arc::clone(&daemons[usize::try_from(n % 2).unwrap()]);
                scope.spawn(move || {
                    let slot = i64::try_from(n % 20).unwrap();
                    store.write_booking(booking(&appointment(n, slot, n)))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (booked, refused) = tally(outcomes, |e| *e == RepositoryError::SlotTaken);
    assert_eq!((booked, refused), (20, 180));
    // One chain: 200 reads and 20 creations, linked whichever daemon wrote them.
    for daemon in &daemons {
        assert_eq!(daemon.verify_audit_chain()?, 220);
    }
    Ok(())
}

#[test]
fn a_database_sealed_with_another_key_is_refused() -> anyhow::Result<()> {
    let Some((_server, url)) = server("a_database_sealed_with_another_key_is_refused")? else {
        return Ok(());
    };
    drop(PgStore::open(&PgOptions::new(url.clone()), &key())?);
    match PgStore::open(&PgOptions::new(url), &StorageKey::from_bytes([0x43; 32])) {
        Err(PgError::KeyMismatch) => Ok(()),
        Err(e) => anyhow::bail!("expected a key mismatch, got: {e}"),
        Ok(_) => anyhow::bail!("a store sealed with another key was opened"),
    }
}

#[test]
fn a_database_migrated_by_a_newer_daemon_is_refused() -> anyhow::Result<()> {
    let Some((server, url)) = server("a_database_migrated_by_a_newer_daemon_is_refused")? else {
        return Ok(());
    };
    drop(PgStore::open(&PgOptions::new(url.clone()), &key())?);
    // Opening again is a no-op: nothing to apply, nothing refused.
    drop(PgStore::open(&PgOptions::new(url.clone()), &key())?);
    server.psql(
        "site",
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
         VALUES (999, 'from_the_future', '2030-01-01T00:00:00Z', '1')",
    )?;
    match PgStore::open(&PgOptions::new(url), &key()) {
        Err(PgError::Migration(message)) => {
            assert!(
                message.contains("999") && message.contains("upgrade"),
                "{message}"
            );
            Ok(())
        }
        Err(e) => anyhow::bail!("expected a migration refusal, got: {e}"),
        Ok(_) => anyhow::bail!("a database from a newer version was opened"),
    }
}

#[test]
fn the_database_sees_no_health_data_in_clear() -> anyhow::Result<()> {
    use teleconsult_core::audit::Action;
    use teleconsult_core::ports::Repository;
    use teleconsult_core::ports::call::CallStore;
    use teleconsult_core::ports::medical_records::MedicalRecordStore;
    let Some((server, url)) = server("the_database_sees_no_health_data_in_clear")? else {
        return Ok(());
    };
    let store = PgStore::open(&PgOptions::new(url), &key())?;
    let p = patient(5);
    let audit = crate::fixtures::event(Action::Create, "patient", "5");
    store.create_patient(&p, &audit, &[])?;
    let a = appointment(5, 3, 5);
    store.write_booking(booking(&a))?;
    store.save_medical_record(
        &teleconsult_core::medical_record::MedicalRecord {
            patient: p.id,
            history: "Diabète de type 2".into(),
            allergies: "Arachides".into(),
            treatments: "Metformine 500 mg".into(),
            updated_at: crate::fixtures::ts(3),
            updated_by: a.booked_by,
        },
        &audit,
    )?;
    store.append_chat(
        &teleconsult_core::call::ChatMessage {
            appointment: a.id,
            at: crate::fixtures::ts(4),
            role: teleconsult_core::signal::Role::Patient,
            author: a.booked_by,
            text: "Douleur thoracique".into(),
            attachment: None,
        },
        &audit,
    )?;
    // Everything the database holds, as its administrator's dump shows it.
    let dump = server.dump("site")?;
    assert!(
        dump.contains("COPY public.appointments"),
        "the dump holds the tables"
    );
    for secret in [
        p.last_name.as_str(),
        p.first_name.as_str(),
        p.national_id.as_str(),
        p.email.as_str(),
        "Toux persistante",
        "+352621",
        "Diabète",
        "Metformine",
        "Douleur thoracique",
    ] {
        assert!(
            !dump.contains(secret),
            "{secret:?} is in the database in clear"
        );
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(
            !dump.contains(&hex),
            "{secret:?} is in the database as bytes in clear"
        );
    }
    Ok(())
}
