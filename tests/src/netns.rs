//! Networks the tests own (TESTING.md: media must stay on addresses the test owns — Chromium's
//! WebRTC binds every interface it sees). One module for the e2e call tests and the media
//! tests:
//!
//! - [`Namespace`]: one namespace with loopback up and a veth pair inside it (libnice, the
//!   booth's ICE agent, ignores loopback); [`run_inside`] runs a test there.
//! - [`NetnsPair`]: two namespaces joined by a veth pair (booth 10.77.0.1, browser 10.77.0.2, no
//!   default route), with packet loss and path cuts (nftables) and a capped booth uplink
//!   (`tc` `tbf`) on demand.
//!
//! Everything is named `tcn<pid>x<n>…` and deleted on drop — also when the test fails; what a
//! killed test process left is deleted by the next one. Where no namespace can be made, the
//! capability rule decides ([`missing`], [`crate::capability`]).

use crate::capability::Missing;
use anyhow::{Context, bail};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The booth side of a [`NetnsPair`].
pub const BOOTH_IP: &str = "10.77.0.1";
/// The browser side of a [`NetnsPair`].
pub const BROWSER_IP: &str = "10.77.0.2";
const PREFIX: &str = "tcn";

/// How to get network namespaces, for the capability rule.
const REMEDY: &str = "run the tests as root (ip netns needs CAP_SYS_ADMIN and CAP_NET_ADMIN), \
    with iproute2 and nftables installed (cargo xtask test installs them)";

/// What is missing when making a namespace failed with `error`.
pub fn missing(error: &anyhow::Error) -> Missing {
    Missing::new("network namespaces", format!("{error:#}"), REMEDY)
}

fn ip(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .context("cannot run ip (apt-get install iproute2)")?;
    if !out.status.success() {
        bail!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Runs `program args` inside namespace `ns`; its standard output.
pub fn run_in(ns: &str, program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program} in {ns}"))?;
    if !out.status.success() {
        bail!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Moves the calling thread (and the threads and processes it starts) into namespace `ns`.
pub fn enter(ns: &str) -> anyhow::Result<()> {
    let file = std::fs::File::open(format!("/run/netns/{ns}"))?;
    nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).context("setns")?;
    Ok(())
}

/// A fresh name `tcn<pid>x<n>` (deleting namespaces of test processes that are gone first).
fn fresh_name() -> String {
    remove_stale();
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{PREFIX}{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// One namespace: loopback up, and a veth pair with test addresses (10.79.0.1 ↔ 10.79.0.2)
/// whose both ends are inside — no route anywhere else.
#[derive(Debug)]
pub struct Namespace {
    name: String,
}

impl Namespace {
    pub fn create() -> anyhow::Result<Self> {
        let name = fresh_name();
        ip(&["netns", "add", &name])?;
        // From here on, Drop removes it.
        let namespace = Self { name };
        let ns = namespace.name.as_str();
        ip(&["-n", ns, "link", "set", "lo", "up"])?;
        ip(&[
            "-n", ns, "link", "add", "tcva", "type", "veth", "peer", "name", "tcvb",
        ])?;
        for (dev, addr) in [("tcva", "10.79.0.1/24"), ("tcvb", "10.79.0.2/24")] {
            ip(&["-n", ns, "addr", "add", addr, "dev", dev])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
        }
        Ok(namespace)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// Runs `test` on a runtime whose threads (and the processes they start) live in a new
/// [`Namespace`], deleted afterwards. Where none can be made, the capability rule decides for
/// test `name`: a failure under `cargo xtask test`, a counted skip in a partial run.
pub fn run_inside<F, Fut>(name: &str, test: F) -> anyhow::Result<()>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let namespace = match Namespace::create() {
        Ok(namespace) => namespace,
        Err(e) => return crate::capability::skip(name, &missing(&e)),
    };
    let ns = namespace.name.clone();
    let outcome = std::thread::spawn(move || -> anyhow::Result<()> {
        enter(&ns)?;
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
            .block_on(test())
    })
    .join();
    drop(namespace);
    match outcome {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Two namespaces joined by a veth pair: `booth` ([`BOOTH_IP`]) and `browser`
/// ([`BROWSER_IP`]), nothing else reachable.
#[derive(Debug)]
pub struct NetnsPair {
    pub booth: String,
    pub browser: String,
}

impl NetnsPair {
    pub fn create() -> anyhow::Result<Self> {
        let id = fresh_name();
        let pair = Self {
            booth: format!("{id}a"),
            browser: format!("{id}b"),
        };
        ip(&["netns", "add", &pair.booth])?;
        ip(&["netns", "add", &pair.browser])?;
        // From here on, Drop removes whatever was made.
        let id = id.trim_start_matches(PREFIX);
        let (va, vb) = (format!("tcv{id}a"), format!("tcv{id}b"));
        ip(&["link", "add", &va, "type", "veth", "peer", "name", &vb])?;
        ip(&["link", "set", &va, "netns", &pair.booth])?;
        ip(&["link", "set", &vb, "netns", &pair.browser])?;
        for (ns, dev, addr) in [
            (&pair.booth, &va, BOOTH_IP),
            (&pair.browser, &vb, BROWSER_IP),
        ] {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(pair)
    }

    /// Drops `percent` % of incoming UDP in both namespaces (nftables).
    pub fn add_loss(&self, percent: u32) -> anyhow::Result<()> {
        let rules = format!(
            "add table inet tcloss; \
             add chain inet tcloss input {{ type filter hook input priority 0; policy accept; }}; \
             add rule inet tcloss input meta l4proto udp numgen random mod 100 < {percent} drop"
        );
        for ns in [&self.booth, &self.browser] {
            run_in(ns, "nft", &[&rules])?;
        }
        Ok(())
    }

    pub fn clear_loss(&self) {
        for ns in [&self.booth, &self.browser] {
            let _ = run_in(ns, "nft", &["delete table inet tcloss"]);
        }
    }

    /// Caps what the booth sends towards the browser at `kbit` kbit/s behind a bottleneck queue
    /// of `queue_ms` milliseconds (`tc` `tbf` on the booth's end of the veth pair), like a
    /// pharmacy's uplink; calling it again changes the cap. [`Self::uncap_booth_uplink`]
    /// removes it.
    pub fn cap_booth_uplink(&self, kbit: u32, queue_ms: u32) -> anyhow::Result<()> {
        run_in(
            &self.booth,
            "tc",
            &[
                "qdisc",
                "replace",
                "dev",
                &self.booth_dev(),
                "root",
                "tbf",
                "rate",
                &format!("{kbit}kbit"),
                // A few packets may pass back to back, as on a real line's interface.
                "burst",
                "6000",
                "latency",
                &format!("{queue_ms}ms"),
            ],
        )
        .map(drop)
    }

    pub fn uncap_booth_uplink(&self) {
        let _ = run_in(
            &self.booth,
            "tc",
            &["qdisc", "del", "dev", &self.booth_dev(), "root"],
        );
    }

    /// The booth's end of the veth pair (named in [`Self::create`]).
    fn booth_dev(&self) -> String {
        format!("tcv{}", self.booth.trim_start_matches(PREFIX))
    }

    /// Cuts the path between the namespaces: every packet in and out of both is dropped, media
    /// and signalling alike, except loopback and TCP port `keep_tcp_port` (the test's own
    /// control channel, e.g. WebDriver). [`Self::restore`] undoes it.
    pub fn cut(&self, keep_tcp_port: u16) -> anyhow::Result<()> {
        let mut rules = String::from("add table inet tccut; ");
        for (hook, lo) in [("input", "iif"), ("output", "oif")] {
            rules.push_str(&format!(
                "add chain inet tccut {hook} {{ type filter hook {hook} priority -10; policy drop; }}; \
                 add rule inet tccut {hook} {lo} lo accept; \
                 add rule inet tccut {hook} tcp dport {keep_tcp_port} accept; \
                 add rule inet tccut {hook} tcp sport {keep_tcp_port} accept; "
            ));
        }
        for ns in [&self.booth, &self.browser] {
            run_in(ns, "nft", &[&rules])?;
        }
        Ok(())
    }

    pub fn restore(&self) {
        for ns in [&self.booth, &self.browser] {
            let _ = run_in(ns, "nft", &["delete table inet tccut"]);
        }
    }
}

impl Drop for NetnsPair {
    fn drop(&mut self) {
        for ns in [&self.booth, &self.browser] {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// Namespaces left by a test process that died: named `tcn<pid>x…`, whose pid is gone.
fn remove_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines().take(200) {
        let name = line.split_whitespace().next().unwrap_or_default();
        let Some((pid, _)) = name.strip_prefix(PREFIX).and_then(|r| r.split_once('x')) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = ip(&["netns", "del", name]);
        }
    }
}
