//! The `quotas` tree: what each account (or appointment) used of its quotas (core's
//! `quota.rs` holds the rules). Every count is read, checked and written in the transaction of
//! the change it limits — a booking, a file, an export — so requests in parallel are counted
//! exactly and a refused or failed change uses nothing.
//!
//! | key                                              | value                              |
//! |--------------------------------------------------|------------------------------------|
//! | `open/` ‖ account id ‖ start (8) ‖ appointment id | empty: an open appointment it booked |
//! | `open_count/` ‖ account id                       | `u32` BE: how many such entries    |
//! | `uploads/appointment/` ‖ appointment id          | `u32` BE: files shared in it       |
//! | `uploads/day/` ‖ account id                      | `i64` BE day ‖ `u32` BE count      |
//! | `exports/hour/` ‖ account id                     | `i64` BE hour ‖ `u32` BE count     |
//!
//! One small key per open appointment (not a list in one value): a booking writes a few bytes
//! whatever the quota, and entries whose start has passed — no longer counted — are found by a
//! range scan on the store's writer thread before the booking's transaction, then removed in
//! it. Keys hold identifiers and times only, as the audit trail does (no health data); the
//! start is encoded like the slot index's, so entries sort by time.

use teleconsult_core::Timestamp;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::ids::{AccountId, AppointmentId};
use teleconsult_core::quota::{self, Quota, QuotaExceeded, Window, WindowCount};

use crate::booking::time_key;
use crate::error::StoreError;
use crate::store::{Inner, Store};
use crate::tree::{TreeId, Tx, TxResult, abort};

const OPEN: &[u8] = b"open/";
const OPEN_COUNT: &[u8] = b"open_count/";

/// Why an entry of the `quotas` tree (in clear, see the table above) is malformed, for the
/// scrub; `None` when it is sound.
pub(crate) fn check_entry(key: &[u8], value: &[u8]) -> Option<String> {
    let expected = if key.starts_with(OPEN_COUNT) || key.starts_with(b"uploads/appointment/") {
        4
    } else if key.starts_with(OPEN) {
        0
    } else if key.starts_with(b"uploads/day/") || key.starts_with(b"exports/hour/") {
        12
    } else {
        return Some("unknown kind of quota entry".to_owned());
    };
    (value.len() != expected)
        .then(|| format!("quota entry of {} bytes, expected {expected}", value.len()))
}

fn key(prefix: &[u8], id: &[u8; 16]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + 16);
    key.extend_from_slice(prefix);
    key.extend_from_slice(id);
    key
}

fn open_key(account: AccountId, start: Timestamp, appointment: AppointmentId) -> Vec<u8> {
    let mut key = self::key(OPEN, account.as_bytes());
    key.extend_from_slice(&time_key(start));
    key.extend_from_slice(appointment.as_bytes());
    key
}

fn open_count_key(account: AccountId) -> Vec<u8> {
    key(OPEN_COUNT, account.as_bytes())
}

pub(crate) fn appointment_uploads_key(appointment: AppointmentId) -> Vec<u8> {
    key(b"uploads/appointment/", appointment.as_bytes())
}

fn day_uploads_key(account: AccountId) -> Vec<u8> {
    key(b"uploads/day/", account.as_bytes())
}

fn hour_exports_key(account: AccountId) -> Vec<u8> {
    key(b"exports/hour/", account.as_bytes())
}

fn corrupt(key: &[u8]) -> StoreError {
    StoreError::Corrupt(format!("quotas/{}: unreadable", hex::encode(key)))
}

fn read_u32(key: &[u8], raw: Option<&[u8]>) -> Result<u32, StoreError> {
    raw.map_or(Ok(0), |bytes| {
        <[u8; 4]>::try_from(bytes)
            .map(u32::from_be_bytes)
            .map_err(|_| corrupt(key))
    })
}

/// The keys of `account`'s open-appointment entries that started at or before `now` (no
/// longer counted), read outside any transaction: the booking's transaction removes those
/// still there (see [`take_open`]).
pub(crate) fn started_open_entries(
    inner: &Inner,
    account: AccountId,
    now: Timestamp,
) -> Result<Vec<sled::IVec>, StoreError> {
    let from = key(OPEN, account.as_bytes());
    let mut to = from.clone();
    to.extend_from_slice(&time_key(now));
    to.extend_from_slice(&[0xff; 16]);
    inner
        .trees
        .raw(TreeId::Quotas)
        .range(from..=to)
        .keys()
        .map(|k| k.map_err(StoreError::from))
        .collect()
}

/// Counts a new open appointment of `account` (booked at `now`, starting at `start`) against
/// `limit`, in the booking's transaction: first the entries in `started` (those that have
/// started) leave the count, then the booking is refused (`Ok(Err)`) when `limit` open ones
/// remain, else listed. The removal of started entries is kept even when the booking is
/// refused: it is true either way.
pub(crate) fn take_open(
    tx: &Tx<'_>,
    account: AccountId,
    appointment: AppointmentId,
    start: Timestamp,
    started: &[sled::IVec],
    limit: u32,
) -> TxResult<Result<(), QuotaExceeded>> {
    let quotas = tx.raw(TreeId::Quotas);
    let count_key = open_count_key(account);
    let mut count = read_u32(&count_key, quotas.get(&count_key)?.as_deref()).map_err(abort)?;
    let before = count;
    for key in started {
        if quotas.remove(key)?.is_some() {
            count = count.saturating_sub(1);
        }
    }
    let entry = open_key(account, start, appointment);
    let taken = if quotas.get(&entry)?.is_some() {
        Ok(())
    } else {
        quota::take_count(&mut count, Quota::OpenAppointments, limit)
    };
    if taken.is_ok() {
        quotas.insert(entry, &[][..])?;
    }
    if count != before {
        quotas.insert(count_key, &count.to_be_bytes()[..])?;
    }
    Ok(taken)
}

/// The appointment is closed (cancelled, completed, missed): it leaves its booker's open
/// appointments.
pub(crate) fn close_open(tx: &Tx<'_>, appointment: &Appointment) -> TxResult<()> {
    let quotas = tx.raw(TreeId::Quotas);
    let entry = open_key(appointment.booked_by, appointment.start, appointment.id);
    if quotas.remove(entry)?.is_some() {
        let count_key = open_count_key(appointment.booked_by);
        let count = read_u32(&count_key, quotas.get(&count_key)?.as_deref()).map_err(abort)?;
        quotas.insert(count_key, &count.saturating_sub(1).to_be_bytes()[..])?;
    }
    Ok(())
}

/// The account is erased: its windowed counts go with it. Its open appointments stay listed,
/// like the appointments themselves (the practitioners' record); nobody books with the account
/// any more.
pub(crate) fn forget_account(tx: &Tx<'_>, account: AccountId) -> TxResult<()> {
    let quotas = tx.raw(TreeId::Quotas);
    for key in [day_uploads_key(account), hour_exports_key(account)] {
        quotas.remove(key)?;
    }
    Ok(())
}

fn read_window(key: &[u8], raw: Option<&[u8]>) -> Result<WindowCount, StoreError> {
    let Some(bytes) = raw else {
        return Ok(WindowCount::default());
    };
    let bytes: [u8; 12] = bytes.try_into().map_err(|_| corrupt(key))?;
    let (window, count) = bytes.split_at(8);
    Ok(WindowCount {
        window: i64::from_be_bytes(window.try_into().map_err(|_| corrupt(key))?),
        count: u32::from_be_bytes(count.try_into().map_err(|_| corrupt(key))?),
    })
}

/// Uses one unit of the windowed quota at `key`, or refuses (the transaction is aborted with
/// [`StoreError::QuotaExceeded`]: nothing of it is written).
fn take_window(
    tx: &Tx<'_>,
    key: &[u8],
    quota: Quota,
    window: Window,
    limit: u32,
    at: Timestamp,
) -> TxResult<()> {
    let quotas = tx.raw(TreeId::Quotas);
    let mut used = read_window(key, quotas.get(key)?.as_deref()).map_err(abort)?;
    used.take(quota, window, limit, at)
        .map_err(|e| abort(StoreError::QuotaExceeded(e)))?;
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(&used.window.to_be_bytes());
    bytes[8..].copy_from_slice(&used.count.to_be_bytes());
    quotas.insert(key, &bytes[..])?;
    Ok(())
}

/// Limits on uploads: per appointment, and per account and day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadQuota {
    /// The account uploading.
    pub account: AccountId,
    /// The appointment the file is shared in, with its limit (`None` for a message file).
    pub appointment: Option<(AppointmentId, u32)>,
    /// Files per account and UTC day.
    pub per_day: u32,
    pub at: Timestamp,
}

/// Counts one upload, or aborts the transaction with the quota reached.
pub(crate) fn take_upload(tx: &Tx<'_>, upload: &UploadQuota) -> TxResult<()> {
    if let Some((appointment, limit)) = upload.appointment {
        let key = appointment_uploads_key(appointment);
        let quotas = tx.raw(TreeId::Quotas);
        let mut count = read_u32(&key, quotas.get(&key)?.as_deref()).map_err(abort)?;
        quota::take_count(&mut count, Quota::UploadsPerAppointment, limit)
            .map_err(|e| abort(StoreError::QuotaExceeded(e)))?;
        quotas.insert(key, &count.to_be_bytes()[..])?;
    }
    take_window(
        tx,
        &day_uploads_key(upload.account),
        Quota::UploadsPerDay,
        Window::Day,
        upload.per_day,
        upload.at,
    )
}

impl Store {
    /// Uses one of `account`'s exports of the hour of `at` (at most `limit`), durably.
    /// `Err(QuotaExceeded)` (with the seconds to the next hour) when none is left.
    pub fn take_export_quota(
        &self,
        account: AccountId,
        limit: u32,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let key = hour_exports_key(account);
        self.inner().transact_durably(|tx| {
            take_window(tx, &key, Quota::ExportsPerHour, Window::Hour, limit, at)
        })
    }

    /// How many open appointments of `account` start after `now`, as the quota counts them.
    pub fn open_appointments_of(
        &self,
        account: AccountId,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let prefix = key(OPEN, account.as_bytes());
        let mut open = 0;
        for entry in self.inner().trees.raw(TreeId::Quotas).scan_prefix(&prefix) {
            let (k, _) = entry?;
            let start = k
                .get(prefix.len()..prefix.len() + 8)
                .ok_or_else(|| corrupt(&k))?;
            if start > &time_key(now)[..] {
                open += 1;
            }
        }
        Ok(open)
    }
}

/// Format 1 → 2: lists every open appointment under its booker, with their counts (the quota
/// on open appointments counts from these). Runs again safely: it writes the same entries.
pub(crate) fn migrate_open_appointments(inner: &Inner) -> Result<(), StoreError> {
    let mut counts: std::collections::BTreeMap<AccountId, u32> = std::collections::BTreeMap::new();
    let mut entries = Vec::new();
    for entry in inner.encrypted(TreeId::Appointments).iter::<Appointment>() {
        let (_, a) = entry?;
        if !a.status.is_final() {
            *counts.entry(a.booked_by).or_default() += 1;
            entries.push(open_key(a.booked_by, a.start, a.id));
        }
    }
    inner.transact(|tx| {
        let quotas = tx.raw(TreeId::Quotas);
        for key in &entries {
            quotas.insert(key.as_slice(), &[][..])?;
        }
        for (account, count) in &counts {
            quotas.insert(open_count_key(*account), &count.to_be_bytes()[..])?;
        }
        Ok(())
    })?;
    tracing::info!(
        accounts = counts.len(),
        appointments = entries.len(),
        "listed open appointments per account"
    );
    Ok(())
}
