//! What `teleconsultctl` prints for people (with `--json`, the results are printed as they
//! come instead).

use crate::admin::ops::{ErasureReport, StatusReport, SyncRetryReport};
use crate::tls::TlsKind;
use std::fmt::Write as _;
use teleconsult_store::{AuditVerification, BackupManifest, RestoreReport, ScrubReport};

pub fn status(s: &StatusReport) -> String {
    let mut out = String::new();
    let readiness = if s.ready { "ready" } else { "NOT READY" };
    let _ = writeln!(
        out,
        "teleconsultd {}: running, {readiness} (pid {}, up {})",
        s.version,
        s.pid,
        duration(s.uptime_s)
    );
    let demo = if s.site.demo { ", DEMO MODE" } else { "" };
    let kind = format!("{:?}", s.site.kind).to_lowercase();
    let _ = writeln!(
        out,
        "site:     {} \"{}\" ({kind}, {}{demo})",
        s.site.id, s.site.name, s.site.country
    );
    let tls = match s.tls {
        TlsKind::Configured => "certificate of the site".to_owned(),
        TlsKind::Demo => "demo self-signed certificate".to_owned(),
        TlsKind::GeneratedSelfSigned => format!(
            "WARNING: {}",
            s.tls
                .warning()
                .unwrap_or("self-signed placeholder certificate")
        ),
    };
    let _ = writeln!(out, "serving:  {} (TLS: {tls})", s.url);
    let st = &s.store;
    let _ = writeln!(
        out,
        "store:    {}, {}, format {}, {} patients, {} practitioners, {} audit records",
        st.path.display(),
        bytes(st.size_bytes),
        st.format_version,
        st.patients,
        st.practitioners,
        st.audit_records
    );
    if let Some(disk) = st.disk {
        let _ = write!(
            out,
            "disk:     {} free of {} ({} % used)",
            bytes(disk.available_bytes),
            bytes(disk.capacity_bytes),
            disk.used_percent()
        );
        if let Some(reserve) = st.reserve_bytes {
            let _ = write!(out, "; files refused below {} free", bytes(reserve));
        }
        if disk.used_percent() >= 90 {
            out.push_str(" - WARNING: free space on the storage filesystem");
        }
        out.push('\n');
    }
    let condition = &st.condition;
    match (&condition.rollback, &condition.write_fault) {
        (Some(rollback), _) => {
            let _ = writeln!(out, "writes:   REFUSED, NOTHING IS SERVED: {rollback}");
        }
        (None, Some(fault)) => {
            let _ = writeln!(
                out,
                "writes:   REFUSED: {fault} (they resume by themselves once the cause is gone)"
            );
        }
        (None, None) => {
            let _ = writeln!(out, "writes:   ok");
        }
    }
    if let Some(scrub) = &condition.last_scrub {
        let _ = write!(
            out,
            "checked:  {} records at the last check, {} damaged",
            scrub.records, scrub.damaged
        );
        if scrub.damaged > 0 {
            out.push_str(" (teleconsultctl verify lists them)");
        }
        out.push('\n');
    }
    for note in [&condition.anchor_problem, &condition.anchor_notice]
        .into_iter()
        .flatten()
    {
        let _ = writeln!(out, "anchor:   {note}");
    }
    let sync = &s.sync;
    let _ = write!(
        out,
        "sync:     {}; {} outbox message{} pending, {} parked",
        sync.state,
        sync.outbox_pending,
        plural(sync.outbox_pending),
        sync.parked
    );
    if let Some(at) = sync.last_success {
        let _ = write!(out, "; last success {at}");
    }
    if let Some(error) = &sync.last_error {
        let _ = write!(out, "; last error: {error}");
    }
    out.push('\n');
    let _ = write!(out, "admin:    {}", s.admin_socket.display());
    out
}

pub fn manifest_summary(m: &BackupManifest) -> String {
    format!(
        "site {}, made {}, {} patients, {} practitioners, {} audit records, {} outbox \
         messages, key id {}",
        m.site_id,
        m.created_at,
        m.count("patients"),
        m.count("practitioners"),
        m.count("audit"),
        m.count("outbox"),
        m.key_id
    )
}

pub fn backup(m: &BackupManifest, destination: &str, size: usize, by_daemon: bool) -> String {
    let how = if by_daemon {
        "by the running daemon"
    } else {
        "from the store (daemon stopped)"
    };
    format!(
        "backup written to {destination} ({}), {how}: {}",
        bytes(size as u64),
        manifest_summary(m)
    )
}

pub fn restore(r: &RestoreReport, by_daemon: bool) -> String {
    let how = if by_daemon {
        "into the running daemon's store"
    } else {
        "into the store (daemon stopped)"
    };
    format!(
        "restored {} records {how} (replaced {}): {}\naudit chain verified: {} records, head {}",
        r.restored_records,
        r.replaced_records,
        manifest_summary(&r.manifest),
        r.audit.records,
        r.audit.head
    )
}

pub fn audit(v: &AuditVerification) -> String {
    let mut out = format!("audit chain intact: {} records, head {}", v.records, v.head);
    if let Some(anchor) = &v.anchor {
        let _ = match (anchor.state.as_str(), anchor.seq) {
            ("ok", Some(seq)) => write!(
                out,
                "\nanchor outside the store ({}): record {seq}, matches the chain",
                anchor.path.display()
            ),
            (state, _) => write!(
                out,
                "\nWARNING: the anchor outside the store ({}) is {state}: a rollback cannot be \
                 ruled out (compare the head with the \"audit anchor\" lines in the journal)",
                anchor.path.display()
            ),
        };
    }
    out
}

pub fn verify(r: &ScrubReport) -> String {
    let mut out = format!("checked {} records: {} damaged", r.records, r.damaged);
    for damage in &r.damage {
        let _ = write!(
            out,
            "\n  {} {}: {}",
            damage.kind, damage.key, damage.problem
        );
    }
    if r.damaged > r.damage.len() as u64 {
        let _ = write!(out, "\n  … and {} more", r.damaged - r.damage.len() as u64);
    }
    for unchecked in &r.unchecked {
        let _ = write!(out, "\nnot checked (not damage): {unchecked}");
    }
    if let Some(rollback) = &r.rollback {
        let _ = write!(out, "\nROLLED BACK: {rollback}");
    }
    if let Some(audit) = &r.audit {
        let _ = write!(out, "\n{}", self::audit(audit));
    }
    if !r.is_clean() {
        out.push_str(
            "\nrestore the latest backup: teleconsultctl restore --force FILE (then run \
             teleconsultctl verify again)",
        );
    }
    out
}

/// The one-line reason of a failed `verify`.
pub fn verify_failure(r: &ScrubReport) -> String {
    match &r.rollback {
        Some(rollback) => rollback.to_string(),
        None => format!(
            "{} damaged record{} found: restore the latest backup",
            r.damaged,
            plural(r.damaged)
        ),
    }
}

pub fn erasure(e: &ErasureReport) -> String {
    let mut out = format!(
        "erased patient {}: {} records removed (the record, its look-up entries{}); the audit \
         trail is kept and records the erasure",
        e.patient_id,
        e.records_removed,
        match e.accounts_erased {
            0 => String::new(),
            1 => " and the patient's account".to_owned(),
            n => format!(" and the patient's {n} accounts"),
        }
    );
    if e.outbox_pending > 0 {
        let _ = write!(
            out,
            "\n{} outbox message{} about this patient remain queued for the national platform",
            e.outbox_pending,
            plural(e.outbox_pending)
        );
    }
    out
}

pub fn sync_retry(r: &SyncRetryReport) -> String {
    format!(
        "{} outbox message{} pending; delivery attempts reset on {}; {}",
        r.outbox_pending,
        plural(r.outbox_pending),
        r.attempts_reset,
        r.note
    )
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s:02}s"),
        (0, _, _) => format!("{h}h {m:02}m"),
        _ => format!("{d}d {h}h {m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(12), "12 bytes");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(duration(7), "7s");
        assert_eq!(duration(125), "2m 05s");
        assert_eq!(duration(3 * 3600 + 60), "3h 01m");
        assert_eq!(duration(2 * 86_400 + 3600), "2d 1h 00m");
    }
}
