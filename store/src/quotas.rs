//! The `quotas` tree: what each account (or appointment) used of its quotas (core's
//! `quota.rs` holds the rules). Every count is read, checked and written in the transaction of
//! the change it limits — a booking, a file, an export — so requests in parallel are counted
//! exactly and a refused or failed change uses nothing.
//!
//! | key                                   | value                                             |
//! |---------------------------------------|---------------------------------------------------|
//! | `open/` ‖ account id                  | sealed list of (start, appointment id), 24 bytes each |
//! | `uploads/appointment/` ‖ appointment id | `u32` BE: files shared in it                    |
//! | `uploads/day/` ‖ account id           | `i64` BE day ‖ `u32` BE count                     |
//! | `exports/hour/` ‖ account id          | `i64` BE hour ‖ `u32` BE count                    |
//!
//! Counts are not health data (clear); the list of an account's appointment times is sealed.

use teleconsult_core::Timestamp;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::ids::{AccountId, AppointmentId};
use teleconsult_core::quota::{self, OpenAppointments, Quota, Window, WindowCount};

use crate::error::StoreError;
use crate::store::{Inner, Store};
use crate::tree::{TreeId, Tx, TxResult, abort};

fn key(prefix: &[u8], id: &[u8; 16]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + 16);
    key.extend_from_slice(prefix);
    key.extend_from_slice(id);
    key
}

pub(crate) fn open_key(account: AccountId) -> Vec<u8> {
    key(b"open/", account.as_bytes())
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

/// An account's open appointments as stored (empty when none were ever listed).
pub(crate) fn read_open(tx: &Tx<'_>, account: AccountId) -> TxResult<OpenAppointments> {
    let key = open_key(account);
    let Some(sealed) = tx.raw(TreeId::Quotas).get(&key)? else {
        return Ok(OpenAppointments::default());
    };
    let plain = tx
        .crypto()
        .open(TreeId::Quotas.name(), &key, &sealed)
        .map_err(|_| abort(corrupt(&key)))?;
    decode_open(&plain).ok_or_else(|| abort(corrupt(&key)))
}

/// Saves an account's open appointments (removes the record when none are left).
pub(crate) fn write_open(tx: &Tx<'_>, account: AccountId, open: &OpenAppointments) -> TxResult<()> {
    let key = open_key(account);
    let quotas = tx.raw(TreeId::Quotas);
    if open.entries.is_empty() {
        quotas.remove(key)?;
        return Ok(());
    }
    let sealed = tx
        .crypto()
        .seal(TreeId::Quotas.name(), &key, &encode_open(open))
        .map_err(|_| abort(StoreError::Encode("open appointments too large".into())))?;
    quotas.insert(key, sealed)?;
    Ok(())
}

fn encode_open(open: &OpenAppointments) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(open.entries.len() * 24);
    for (start, id) in &open.entries {
        bytes.extend_from_slice(&start.as_second().to_be_bytes());
        bytes.extend_from_slice(id.as_bytes());
    }
    bytes
}

fn decode_open(bytes: &[u8]) -> Option<OpenAppointments> {
    if !bytes.len().is_multiple_of(24) {
        return None;
    }
    let entries = bytes
        .chunks_exact(24)
        .map(|chunk| {
            let start = i64::from_be_bytes(chunk[..8].try_into().ok()?);
            let id: [u8; 16] = chunk[8..].try_into().ok()?;
            Some((
                Timestamp::from_second(start).ok()?,
                AppointmentId::from_uuid(uuid::Uuid::from_bytes(id)),
            ))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(OpenAppointments { entries })
}

/// The appointment is closed (cancelled, completed, missed) or gone: it leaves its booker's
/// open appointments.
pub(crate) fn close_open(tx: &Tx<'_>, appointment: &Appointment) -> TxResult<()> {
    let mut open = read_open(tx, appointment.booked_by)?;
    if open.close(appointment.id) {
        write_open(tx, appointment.booked_by, &open)?;
    }
    Ok(())
}

/// The account is erased: its counts go with it.
pub(crate) fn forget_account(tx: &Tx<'_>, account: AccountId) -> TxResult<()> {
    let quotas = tx.raw(TreeId::Quotas);
    for key in [
        open_key(account),
        day_uploads_key(account),
        hour_exports_key(account),
    ] {
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
        let mut count = match quotas.get(&key)? {
            Some(bytes) => <[u8; 4]>::try_from(bytes.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| abort(corrupt(&key)))?,
            None => 0,
        };
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

    /// How many future open appointments `account` holds as the quota sees them at `now`.
    pub fn open_appointments_of(
        &self,
        account: AccountId,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let open = self.inner().transact(|tx| read_open(tx, account))?;
        Ok(open
            .entries
            .iter()
            .filter(|(start, _)| *start > now)
            .count())
    }
}

/// Format 1 → 2: lists every open appointment under its booker (the quota on open
/// appointments counts from these lists). Runs again safely: the lists are rebuilt whole.
pub(crate) fn migrate_open_appointments(inner: &Inner) -> Result<(), StoreError> {
    let mut by_account: std::collections::BTreeMap<AccountId, OpenAppointments> =
        std::collections::BTreeMap::new();
    for entry in inner.encrypted(TreeId::Appointments).iter::<Appointment>() {
        let (_, appointment) = entry?;
        if !appointment.status.is_final() {
            by_account
                .entry(appointment.booked_by)
                .or_default()
                .entries
                .push((appointment.start, appointment.id));
        }
    }
    inner.transact(|tx| {
        for (account, open) in &by_account {
            write_open(tx, *account, open)?;
        }
        Ok(())
    })?;
    tracing::info!(
        accounts = by_account.len(),
        "listed open appointments per account"
    );
    Ok(())
}
