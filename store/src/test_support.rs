//! Fixtures shared by the unit tests: real sled in temporary directories.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use teleconsult_core::national_id::Country;

use teleconsult_core::Timestamp;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::PatientId;
use teleconsult_core::outbox::OutboxMessage;
use teleconsult_core::patient::Patient;
use uuid::Uuid;

use crate::meta::FORMAT_VERSION_KEY;
use crate::tree::TreeId;
use crate::{StorageKey, Store, StoreError};

/// The key every fixture store is created with.
pub(crate) fn reopen_key() -> StorageKey {
    StorageKey::from_bytes([0x42; 32])
}

pub(crate) fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), reopen_key()).unwrap();
    (dir, store)
}

pub(crate) fn open_err(dir: &Path, key: StorageKey) -> StoreError {
    match Store::open(dir, key) {
        Ok(store) => panic!("expected opening {store:?} to fail"),
        Err(e) => e,
    }
}

pub(crate) fn set_format_version(store: &Store, version: u32) {
    store
        .inner()
        .trees
        .raw(TreeId::Meta)
        .insert(FORMAT_VERSION_KEY, &version.to_be_bytes())
        .unwrap();
    store.flush().unwrap();
}

pub(crate) fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_750_000_000 + seconds).unwrap()
}

pub(crate) fn patient_id(n: u128) -> PatientId {
    PatientId::from_uuid(Uuid::from_u128(0x1000 + n))
}

/// A patient whose name, national id and e-mail all contain `n`.
pub(crate) fn patient(n: u128) -> Patient {
    Patient {
        id: patient_id(n),
        national_id: format!("19850715{n:05}"),
        first_name: format!("Zebulonia{n}"),
        last_name: format!("Quackenbush{n}"),
        birth_date: jiff::civil::date(1985, 7, 15),
        phone: "+352621123456".to_owned(),
        email: format!("Patient{n}@Example.org"),
        language: "fr".to_owned(),
        created_at: ts(0),
        country: Country::LU,
        consents: Vec::new(),
    }
}

pub(crate) fn event(action: Action, object_id: impl Into<String>) -> AuditEvent {
    AuditEvent {
        at: ts(1),
        actor: Actor::Anonymous(Some("192.0.2.1".to_owned())),
        action,
        object_type: "patient".to_owned(),
        object_id: object_id.into(),
    }
}

pub(crate) fn message(n: u128, kind: &str) -> OutboxMessage {
    OutboxMessage {
        idempotency_key: format!("{kind}/{n}"),
        aggregate: format!("patient/{}", patient_id(n)),
        kind: kind.to_owned(),
        payload: serde_json::json!({ "n": n as u64 }),
    }
}
