//! GLib's and GStreamer's own complaints, counted (issue #22). A GLib *critical* is a failed
//! precondition inside GLib, GObject or GStreamer (`g_return_if_fail`): the call it guards did
//! nothing, and something upstream of it is wrong — the retransmission budget's first version
//! made GStreamer print 827 `gst_mini_object_unref: assertion 'mini_object != NULL' failed`
//! in one CI run and no test noticed (docs/media.md "VP8 on a slow line").
//!
//! [`install`] (called by [`crate::init`], so in every process that runs a pipeline) puts a
//! default GLib log handler in front of GLib's own: it counts criticals, keeps the first few
//! messages, then hands every message to GLib's default handler unchanged (same output on
//! stderr, and `G_DEBUG=fatal-criticals` still aborts). The media tests read the count:
//! in-process through [`criticals`], from `teleconsult-media-peer` through its `glib` lines.

use gstreamer::glib;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};

/// How many critical messages are kept word for word (the count goes on).
const KEPT: usize = 8;

static CRITICALS: AtomicU64 = AtomicU64::new(0);
static FIRST: Mutex<Vec<String>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// The criticals counted in this process so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Criticals {
    pub count: u64,
    /// The first messages, `domain: message`.
    pub first: Vec<String>,
}

/// Puts the counting handler in place (once per process; later calls do nothing).
pub fn install() {
    INSTALL.call_once(|| {
        glib::log_set_default_handler(|domain, level, message| {
            if matches!(level, glib::LogLevel::Critical | glib::LogLevel::Error) {
                record(domain, message);
            }
            glib::log_default_handler(domain, level, Some(message));
        });
    });
}

fn record(domain: Option<&str>, message: &str) {
    CRITICALS.fetch_add(1, Ordering::Relaxed);
    // A critical can come from any thread, also while another one holds the lock: never
    // wait for it, never panic here (this runs inside a C callback).
    if let Ok(mut first) = FIRST.try_lock()
        && first.len() < KEPT
    {
        first.push(format!("{}: {message}", domain.unwrap_or("?")));
    }
}

/// What was counted since the process started (once [`install`] ran).
pub fn criticals() -> Criticals {
    Criticals {
        count: CRITICALS.load(Ordering::Relaxed),
        first: FIRST.lock().map(|f| f.clone()).unwrap_or_default(),
    }
}

/// Tests that count criticals around what they do run one at a time (the count is the
/// process's; nextest gives each test a process of its own, `cargo test` does not).
#[cfg(test)]
pub(crate) fn counting_alone() -> std::sync::MutexGuard<'static, ()> {
    static ALONE: Mutex<()> = Mutex::new(());
    ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The handler sees what GStreamer's own preconditions report (`g_return_if_fail` goes
    /// through `g_log`, domain "GStreamer"), and still lets GLib print it.
    #[test]
    fn a_gstreamer_critical_is_counted() {
        let _alone = counting_alone();
        crate::init().expect("gstreamer");
        let before = criticals().count;
        glib::g_critical!("GStreamer", "a critical raised by the test");
        let after = criticals();
        assert_eq!(after.count, before + 1, "{after:?}");
        assert!(
            after
                .first
                .iter()
                .any(|m| m == "GStreamer: a critical raised by the test"),
            "{after:?}"
        );
    }
}
