//! The administrative operations, on an open [`Store`]. The daemon runs them for requests on
//! its admin socket; `teleconsultctl` runs the same functions itself when the daemon is stopped
//! and it holds the store. Blocking: call from a blocking thread.

use crate::config::Config;
use crate::tls::TlsKind;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use teleconsult_app::users::Administrator;
use teleconsult_core::Timestamp;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ids::PatientId;
use teleconsult_core::national_id::Country;
use teleconsult_core::ports::{Clock, Repository};
use teleconsult_core::site::SiteKind;
use teleconsult_store::{
    AuditVerification, DiskSpace, RestoreReport, ScrubReport, Store, StoreCondition, StoreError,
};

use super::protocol::{AdminError, Reply, Request};

/// What the operations need: the store, the clock, and who this site is.
pub struct Context {
    pub store: Store,
    /// The use cases over that store (the running daemon's own, shared with the HTTP side).
    pub app: Arc<teleconsult_app::App>,
    pub clock: Arc<dyn Clock>,
    pub site: SiteInfo,
    /// `platform.base_url` is set: sync with the national platform is wanted.
    pub sync_configured: bool,
    /// Present when the operations run inside the daemon.
    pub service: Option<Service>,
    /// Where the files of a store that could not be opened were moved before a restore
    /// (`teleconsultctl restore --force` on a stopped daemon's damaged store).
    pub set_aside: Option<PathBuf>,
}

/// The running daemon, as `status` reports it.
pub struct Service {
    pub started_at: Timestamp,
    pub started: Instant,
    pub url: String,
    pub tls: TlsKind,
    pub admin_socket: PathBuf,
    /// Readiness of the HTTP side (`/readyz`), lowered while a restore replaces the store.
    pub web: teleconsult_web::AppState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    pub id: String,
    pub name: String,
    pub kind: SiteKind,
    pub country: Country,
    pub demo: bool,
}

impl SiteInfo {
    pub fn from_config(config: &Config) -> Self {
        Self {
            id: config.site.id.clone(),
            name: config.site.name.clone(),
            kind: config.site.kind,
            country: config.site.country,
            demo: config.site.demo,
        }
    }
}

/// `teleconsultctl status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    pub version: String,
    pub pid: u32,
    /// `/readyz` would answer 200.
    pub ready: bool,
    pub started_at: Timestamp,
    pub uptime_s: u64,
    pub site: SiteInfo,
    pub url: String,
    pub tls: TlsKind,
    pub admin_socket: PathBuf,
    pub store: StoreStatus,
    pub sync: SyncStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStatus {
    pub path: PathBuf,
    pub size_bytes: u64,
    pub format_version: u32,
    pub key_id: String,
    pub patients: u64,
    pub practitioners: u64,
    pub audit_records: u64,
    /// The storage filesystem (`None` when it could not be measured).
    #[serde(default)]
    pub disk: Option<DiskSpace>,
    /// Free space files may not use on that filesystem.
    #[serde(default)]
    pub reserve_bytes: Option<u64>,
    /// Write faults, rollback, the audit anchor, the last check of every record.
    #[serde(default)]
    pub condition: StoreCondition,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// `off` (no `platform.base_url`), else the worker's circuit: `online`, `offline` or
    /// `degraded` (as `GET /api/v1/sync/status`).
    pub state: String,
    pub outbox_pending: u64,
    /// Entries the platform refused, set aside for staff.
    pub parked: u64,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// `teleconsultctl erase-patient`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReport {
    pub patient_id: PatientId,
    /// The patient record and its look-up entries, plus the patient's accounts.
    pub records_removed: u64,
    pub accounts_erased: u64,
    /// Messages about the patient still queued for the national platform (kept: what the
    /// platform must be told is for the sync rules to decide).
    pub outbox_pending: u64,
}

/// `teleconsultctl sync retry`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRetryReport {
    pub outbox_pending: u64,
    /// Entries whose failed-attempt counter was set back to zero.
    pub attempts_reset: u64,
    /// The running sync worker was woken up to send now.
    pub worker_woken: bool,
    pub note: String,
}

/// Runs one request. `payload` is the archive of a restore; `actor` names the administrator in
/// the audit trail.
pub fn perform(ctx: &Context, request: &Request, payload: &[u8], actor: &str) -> Reply {
    match request {
        Request::Status => status(ctx).map(no_payload),
        Request::Backup => {
            let archive = ctx.store.backup(&ctx.site.id, ctx.clock.now())?;
            Ok((json(&archive.manifest)?, Some(archive.bytes)))
        }
        Request::Restore { force } => restore(ctx, payload, *force, actor).map(no_payload),
        Request::ExportPatient { id } => export_patient(ctx, id, actor).map(|v| (v, None)),
        Request::ErasePatient { id } => erase_patient(ctx, id, actor).map(no_payload),
        Request::AuditVerify => json(&audit_verify(ctx)?).map(|v| (v, None)),
        Request::Verify => json(&verify(ctx)).map(|v| (v, None)),
        Request::SyncRetry => sync_retry(ctx).map(no_payload),
        Request::UserAdd(user) => super::users::add(ctx, user, actor).map(no_payload),
        Request::UserList => super::users::list(ctx, actor).map(no_payload),
        Request::UserDisable { login } => super::users::disable(ctx, login, actor).map(no_payload),
        Request::UserResetTotp { login } => {
            super::users::reset_totp(ctx, login, actor).map(no_payload)
        }
    }
}

fn no_payload(value: serde_json::Value) -> (serde_json::Value, Option<Vec<u8>>) {
    (value, None)
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AdminError> {
    serde_json::to_value(value).map_err(|e| AdminError::new("internal", e.to_string()))
}

fn status(ctx: &Context) -> Result<serde_json::Value, AdminError> {
    let Some(service) = &ctx.service else {
        return Err(AdminError::new(
            "not_running",
            "status is answered by the running daemon only",
        ));
    };
    let store = &ctx.store;
    let counts = store.record_counts()?;
    let disk = store.disk_space().ok();
    let report = StatusReport {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        pid: std::process::id(),
        ready: service.web.is_ready(),
        started_at: service.started_at,
        uptime_s: service.started.elapsed().as_secs(),
        site: ctx.site.clone(),
        url: service.url.clone(),
        tls: service.tls,
        admin_socket: service.admin_socket.clone(),
        store: StoreStatus {
            path: store.path().to_owned(),
            size_bytes: store.size_on_disk()?,
            format_version: teleconsult_store::FORMAT_VERSION,
            key_id: store.key_id(),
            patients: counts.get("patients").copied().unwrap_or(0),
            practitioners: counts.get("practitioners").copied().unwrap_or(0),
            audit_records: store.audit_len()?,
            disk,
            reserve_bytes: disk.map(|d| store.reserve().bytes(d.capacity_bytes)),
            condition: store.condition(),
        },
        sync: sync_status(ctx, &service.web)?,
    };
    json(&report)
}

fn restore(
    ctx: &Context,
    archive: &[u8],
    force: bool,
    actor: &str,
) -> Result<serde_json::Value, AdminError> {
    // Checked in full before the service is marked unready: a refused archive changes nothing.
    ctx.store.verify_archive(archive)?;
    let was_ready = ctx.service.as_ref().map(|s| s.web.is_ready());
    if let Some(service) = &ctx.service {
        service.web.set_ready(false);
    }
    let restored = restore_store(ctx, archive, force);
    if let (Some(service), Some(was_ready)) = (&ctx.service, was_ready) {
        service.web.set_ready(was_ready);
    }
    let (report, replaced_aside) = restored?;
    let set_aside = replaced_aside.or_else(|| ctx.set_aside.clone());
    // The restored chain records its own restore: records written between the backup and now
    // were replaced with everything else.
    let event = AuditEvent {
        at: ctx.clock.now(),
        actor: Actor::Admin(actor.to_owned()),
        action: Action::Update,
        object_type: "store".into(),
        object_id: format!(
            "restored backup {} of site {}",
            report.manifest.created_at, report.manifest.site_id
        ),
    };
    ctx.store
        .record_audit(&event)
        .map_err(|e| AdminError::new("store_error", e.to_string()))?;
    let mut value = json(&report)?;
    if let (Some(map), Some(aside)) = (value.as_object_mut(), set_aside) {
        map.insert("set_aside".into(), json(&aside)?);
    }
    Ok(value)
}

/// Restores in place; when the storage engine cannot read the store (damage), and `force` is
/// given, sets its files aside and restores into a new database. Returns where the old files
/// went, in that case.
fn restore_store(
    ctx: &Context,
    archive: &[u8],
    force: bool,
) -> Result<(RestoreReport, Option<PathBuf>), AdminError> {
    // sled 0.34 may panic on pages it cannot make sense of: that is damage too.
    let in_place = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ctx.store.restore(archive, force)
    }));
    let damage = match in_place {
        Ok(Ok(report)) => return Ok((report, None)),
        Ok(Err(teleconsult_store::BackupError::Store(error))) if unreadable(&error) => {
            error.to_string()
        }
        Ok(Err(other)) => return Err(other.into()),
        Err(_) => "the storage engine failed while reading it".to_owned(),
    };
    if !force {
        return Err(AdminError::new(
            "store_damaged",
            format!(
                "the store cannot be read ({damage}): run the restore with --force to set its \
                 files aside and restore the backup into a new store"
            ),
        ));
    }
    tracing::warn!(%damage, "restore: the store cannot be read; its files are set aside");
    let aside = ctx.store.replace_with_empty()?;
    let report = ctx.store.restore(archive, true)?;
    Ok((report, Some(aside)))
}

/// The storage engine cannot read the store (not: the disk is full — moving files aside
/// would not help then).
fn unreadable(error: &StoreError) -> bool {
    !error.is_storage_full()
        && matches!(
            error,
            StoreError::Engine(_) | StoreError::Damaged { .. } | StoreError::Corrupt(_)
        )
}

fn parse_patient_id(id: &str) -> Result<PatientId, AdminError> {
    id.trim().parse().map_err(|_| {
        AdminError::new(
            "invalid_id",
            format!("{id:?} is not a patient id (expected a UUID such as 0f8b…-…)"),
        )
    })
}

fn export_patient(ctx: &Context, id: &str, actor: &str) -> Result<serde_json::Value, AdminError> {
    let patient_id = parse_patient_id(id)?;
    let (patient, record) = ctx
        .app
        .export_patient(Administrator::Operator(actor), patient_id)
        .map_err(|e| app_error(e, patient_id))?;
    let mut exported = json(&patient)?;
    // The short medical record the patient side filled in (null when never).
    if let Some(map) = exported.as_object_mut() {
        map.insert("medical_record".into(), json(&record)?);
    }
    Ok(exported)
}

fn erase_patient(ctx: &Context, id: &str, actor: &str) -> Result<serde_json::Value, AdminError> {
    let patient_id = parse_patient_id(id)?;
    let erased = ctx
        .app
        .erase_patient(Administrator::Operator(actor), patient_id)
        .map_err(|e| app_error(e, patient_id))?;
    if let Some(service) = &ctx.service {
        for account in &erased.accounts {
            service
                .web
                .live
                .announce(teleconsult_web::live::Ended::Account(*account));
        }
    }
    json(&ErasureReport {
        patient_id,
        records_removed: erased.removed_records,
        accounts_erased: erased.accounts.len() as u64,
        outbox_pending: ctx
            .store
            .outbox_pending_about(&format!("patient/{patient_id}"))?,
    })
}

/// A use case's refusal or failure, for the operator.
fn app_error(error: teleconsult_app::AppError, patient: PatientId) -> AdminError {
    match error {
        teleconsult_app::AppError::NotFound => not_found(patient),
        other => AdminError::new("store_error", other.to_string()),
    }
}

fn not_found(id: PatientId) -> AdminError {
    AdminError::new("not_found", format!("no patient with id {id}"))
}

fn audit_verify(ctx: &Context) -> Result<AuditVerification, AdminError> {
    Ok(ctx.store.verify_audit_chain()?)
}

/// `teleconsultctl verify`: every record read and checked; the daemon's metrics and staff
/// pages show the outcome.
fn verify(ctx: &Context) -> ScrubReport {
    match &ctx.service {
        Some(service) => {
            crate::storage::check_every_record(&ctx.store, &service.web, ctx.clock.as_ref())
        }
        None => ctx.store.scrub(),
    }
}

fn sync_status(ctx: &Context, web: &teleconsult_web::AppState) -> Result<SyncStatus, AdminError> {
    let worker = web.sync.status();
    Ok(SyncStatus {
        state: if worker.enabled {
            worker.state.name().to_owned()
        } else {
            "off".to_owned()
        },
        outbox_pending: ctx.store.outbox_len()?,
        parked: worker.parked,
        last_success: worker.last_success,
        last_error: worker.last_error,
    })
}

fn sync_retry(ctx: &Context) -> Result<serde_json::Value, AdminError> {
    let attempts_reset = ctx.store.outbox_reset_attempts()?;
    let woken = match &ctx.service {
        Some(service) if ctx.sync_configured => {
            service.web.sync.wake();
            true
        }
        _ => false,
    };
    let note = match (&ctx.service, ctx.sync_configured) {
        (_, false) => "sync is off (no platform.base_url configured): nothing is sent",
        (Some(_), true) => "the sync worker was woken up: it sends the queued messages now",
        (None, true) => "teleconsultd is stopped: the queued messages are sent when it starts",
    };
    json(&SyncRetryReport {
        outbox_pending: ctx.store.outbox_len()?,
        attempts_reset,
        worker_woken: woken,
        note: note.to_owned(),
    })
}
