//! The `meta` tree: what kind of store this is and whether the key fits it.
//!
//! | key              | value                                                        |
//! |------------------|--------------------------------------------------------------|
//! | `format_version` | `u32` big-endian, [`FORMAT_VERSION`] of the last writer      |
//! | `key_check`      | sealed known plaintext: opens only with the right key        |
//! | `audit_head`     | sealed `{seq, hash}` of the last audit record (see `audit`)  |
//! | `outbox_last_id` | `u64` big-endian, last outbox id handed out (see `outbox`)   |
//! | `write_probe`    | `u64` big-endian, bumped by the daemon's write probe         |
//!
//! On open: an empty store is initialised; a newer format is refused; the key is checked; an
//! older format is migrated step by step, each step recorded durably before the next.

use crate::audit;
use crate::error::StoreError;
use crate::store::Inner;
use crate::tree::{TreeId, Tx, TxResult, abort};
use teleconsult_seal::Crypto;

/// The on-disk format this build writes. Bump it with a migration in `meta::MIGRATIONS`.
pub const FORMAT_VERSION: u32 = 2;

pub(crate) const FORMAT_VERSION_KEY: &[u8] = b"format_version";
pub(crate) const KEY_CHECK_KEY: &[u8] = b"key_check";
/// A counter bumped by [`crate::Store::probe_write`].
pub(crate) const WRITE_PROBE_KEY: &[u8] = b"write_probe";
const KEY_CHECK_PLAINTEXT: &[u8] = b"teleconsult storage key check v1";

/// One migration step: turns a store of format `from` into format `from + 1`. It must be
/// safe to run again if interrupted (the version is bumped only after it succeeds).
pub(crate) struct Migration {
    pub(crate) from: u32,
    pub(crate) description: &'static str,
    pub(crate) run: fn(&Inner) -> Result<(), StoreError>,
}

/// All migrations, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    from: 1,
    description: "list each account's open appointments (quota on open appointments)",
    run: crate::quotas::migrate_open_appointments,
}];

/// Brings the store at `inner` to [`FORMAT_VERSION`], or says why it cannot.
pub(crate) fn prepare(inner: &Inner) -> Result<(), StoreError> {
    let meta = inner.trees.raw(TreeId::Meta);
    let Some(found) = read_format_version(inner)? else {
        let has_data = TreeId::ALL
            .iter()
            .any(|&id| !inner.trees.raw(id).is_empty());
        if has_data || !meta.is_empty() {
            return Err(StoreError::Corrupt(format!(
                "{} holds data but no format version: not a teleconsult store, or damaged",
                inner.path.display()
            )));
        }
        return initialise(inner);
    };
    if found > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            path: inner.path.clone(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    check_key(inner)?;
    if found < FORMAT_VERSION {
        run_migrations(inner, found, FORMAT_VERSION, MIGRATIONS)?;
    }
    Ok(())
}

fn initialise(inner: &Inner) -> Result<(), StoreError> {
    inner.transact(|tx| {
        write_format_version(tx, FORMAT_VERSION)?;
        let check = seal_key_check(tx.crypto()).map_err(abort)?;
        tx.raw(TreeId::Meta).insert(KEY_CHECK_KEY, check)?;
        audit::initialise_head(tx)?;
        Ok(())
    })?;
    inner.db.flush()?;
    tracing::info!(path = %inner.path.display(), format_version = FORMAT_VERSION, "initialised a new store");
    Ok(())
}

/// Decrypts the key-check record: cheap proof that the store is readable with this key.
pub(crate) fn check_key(inner: &Inner) -> Result<(), StoreError> {
    let Some(sealed) = inner.trees.raw(TreeId::Meta).get(KEY_CHECK_KEY)? else {
        return Err(StoreError::Corrupt(format!(
            "{}: the key-check record is missing",
            inner.path.display()
        )));
    };
    match inner
        .crypto
        .open(TreeId::Meta.name(), KEY_CHECK_KEY, &sealed)
    {
        Ok(plain) if plain.as_slice() == KEY_CHECK_PLAINTEXT => Ok(()),
        _ => Err(StoreError::WrongKey {
            path: inner.path.clone(),
        }),
    }
}

fn seal_key_check(crypto: &Crypto) -> Result<Vec<u8>, StoreError> {
    crypto
        .seal(TreeId::Meta.name(), KEY_CHECK_KEY, KEY_CHECK_PLAINTEXT)
        .map_err(|_| StoreError::Encode("key check".to_owned()))
}

pub(crate) fn read_format_version(inner: &Inner) -> Result<Option<u32>, StoreError> {
    let Some(bytes) = inner.trees.raw(TreeId::Meta).get(FORMAT_VERSION_KEY)? else {
        return Ok(None);
    };
    let bytes: [u8; 4] = bytes.as_ref().try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "{}: format_version is {} bytes, expected 4",
            inner.path.display(),
            bytes.len()
        ))
    })?;
    Ok(Some(u32::from_be_bytes(bytes)))
}

fn write_format_version(tx: &Tx<'_>, version: u32) -> TxResult<()> {
    tx.raw(TreeId::Meta)
        .insert(FORMAT_VERSION_KEY, &version.to_be_bytes())?;
    Ok(())
}

/// Runs the steps leading from `found` to `target`, recording each new version durably.
pub(crate) fn run_migrations(
    inner: &Inner,
    found: u32,
    target: u32,
    steps: &[Migration],
) -> Result<(), StoreError> {
    for version in found..target {
        let Some(step) = steps.iter().find(|step| step.from == version) else {
            return Err(StoreError::NoMigration {
                path: inner.path.clone(),
                found: version,
                target,
            });
        };
        tracing::info!(
            from = version,
            to = version + 1,
            step = step.description,
            "migrating store format"
        );
        (step.run)(inner)?;
        inner.transact(|tx| write_format_version(tx, version + 1))?;
        inner.db.flush()?;
    }
    Ok(())
}

/// Increments the `u64` big-endian counter at `key` in `meta` inside the caller's transaction and
/// returns the new value (the first is 1). Counters only grow, so ids are never reused.
pub(crate) fn next_counter(tx: &Tx<'_>, key: &[u8]) -> TxResult<u64> {
    let meta = tx.raw(TreeId::Meta);
    let last = match meta.get(key)? {
        Some(bytes) => <[u8; 8]>::try_from(bytes.as_ref())
            .map(u64::from_be_bytes)
            .map_err(|_| {
                abort(StoreError::Corrupt(format!(
                    "meta/{} is not a u64",
                    String::from_utf8_lossy(key)
                )))
            })?,
        None => 0,
    };
    let next = last + 1;
    meta.insert(key, &next.to_be_bytes())?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use super::*;
    use crate::test_support::{open, open_err, reopen_key, set_format_version};

    #[test]
    fn newer_format_is_refused_naming_both_versions() {
        let (dir, store) = open();
        set_format_version(&store, FORMAT_VERSION + 1);
        drop(store);
        let err = open_err(dir.path(), reopen_key());
        assert!(
            matches!(err, StoreError::NewerFormat { found, supported, .. }
                if found == FORMAT_VERSION + 1 && supported == FORMAT_VERSION),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("newer") && message.contains("upgrade"),
            "{message}"
        );
        assert!(
            message.contains(&format!("{}", FORMAT_VERSION + 1)),
            "{message}"
        );
    }

    #[test]
    fn wrong_key_is_refused() {
        let (dir, store) = open();
        drop(store);
        let err = open_err(dir.path(), crate::StorageKey::from_bytes([0x55; 32]));
        assert!(matches!(err, StoreError::WrongKey { .. }), "{err:?}");
        assert!(err.to_string().contains("key_file"));
    }

    #[test]
    fn an_old_format_without_a_migration_path_is_refused() {
        let (dir, store) = open();
        set_format_version(&store, 0);
        drop(store);
        let err = open_err(dir.path(), reopen_key());
        assert!(
            matches!(err, StoreError::NoMigration { found: 0, .. }),
            "{err:?}"
        );
    }

    static RAN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

    fn record(from: u32) -> Result<(), StoreError> {
        RAN.lock().unwrap().push(from);
        Ok(())
    }

    #[test]
    fn migrations_run_in_order_and_record_each_version() {
        let (_dir, store) = open();
        let inner = &store.inner();
        let steps = [
            Migration {
                from: 2,
                description: "second",
                run: |_| record(2),
            },
            Migration {
                from: 1,
                description: "first",
                run: |_| record(1),
            },
        ];
        set_format_version(&store, 1);
        run_migrations(inner, 1, 3, &steps).unwrap();
        assert_eq!(*RAN.lock().unwrap(), vec![1, 2]);
        assert_eq!(read_format_version(inner).unwrap(), Some(3));
        // A failing step leaves the version at the last completed step.
        set_format_version(&store, 1);
        let failing = [Migration {
            from: 1,
            description: "fails",
            run: |_| Err(StoreError::Corrupt("boom".into())),
        }];
        assert!(matches!(
            run_migrations(inner, 1, 2, &failing),
            Err(StoreError::Corrupt(reason)) if reason == "boom"
        ));
        assert_eq!(read_format_version(inner).unwrap(), Some(1));
    }
}
