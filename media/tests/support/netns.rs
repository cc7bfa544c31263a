//! The network the media tests own: two namespaces joined by a veth pair (booth 10.77.0.1,
//! browser 10.77.0.2, no default route, nothing else reachable), deleted by name on drop —
//! also when the test fails. Where namespaces cannot be made, the capability rule decides
//! (see `super::run_in_booth_net`).

use anyhow::{Context, bail};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

pub const BOOTH_IP: &str = "10.77.0.1";
pub const BROWSER_IP: &str = "10.77.0.2";
/// The browser's address after [`NetnsPair::move_browser`].
pub const BROWSER_NEW_IP: &str = "10.77.0.3";
const PREFIX: &str = "tcm";

fn ip(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .context("cannot run ip")?;
    if !out.status.success() {
        bail!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

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

#[derive(Debug)]
pub struct NetnsPair {
    pub booth: String,
    pub browser: String,
}

impl NetnsPair {
    pub fn create() -> anyhow::Result<Self> {
        remove_stale();
        static N: AtomicU32 = AtomicU32::new(0);
        let id = format!(
            "{}x{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let pair = Self {
            booth: format!("{PREFIX}{id}a"),
            browser: format!("{PREFIX}{id}b"),
        };
        ip(&["netns", "add", &pair.booth])?;
        ip(&["netns", "add", &pair.browser])?;
        // From here on, Drop removes whatever was made.
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

    /// Cuts the path between the namespaces: every packet in and out of both is dropped, media
    /// and signalling alike, except WebDriver (the test's own control channel, TCP port
    /// [`super::browser::DRIVER_PORT`]) and loopback. [`Self::restore`] undoes it.
    pub fn cut(&self) -> anyhow::Result<()> {
        let port = super::browser::DRIVER_PORT;
        let mut rules = String::from("add table inet tccut; ");
        for (hook, lo) in [("input", "iif"), ("output", "oif")] {
            rules.push_str(&format!(
                "add chain inet tccut {hook} {{ type filter hook {hook} priority -10; policy drop; }}; \
                 add rule inet tccut {hook} {lo} lo accept; \
                 add rule inet tccut {hook} tcp dport {port} accept; \
                 add rule inet tccut {hook} tcp sport {port} accept; "
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

    /// The browser side moves to a new address ([`BROWSER_NEW_IP`], as when a laptop changes
    /// network): the address is added, and from then on no UDP leaves or reaches the old one —
    /// its candidate pairs die. (The old address stays on the link only because WebDriver, the
    /// test's control channel, listens there; it carries no media any more.)
    pub fn move_browser(&self) -> anyhow::Result<()> {
        run_in(
            &self.browser,
            "ip",
            &[
                "addr",
                "add",
                &format!("{BROWSER_NEW_IP}/24"),
                "dev",
                &self.browser_link()?,
            ],
        )?;
        let rules = format!(
            "add table inet tcmove; \
             add chain inet tcmove input {{ type filter hook input priority -10; policy accept; }}; \
             add chain inet tcmove output {{ type filter hook output priority -10; policy accept; }}; \
             add rule inet tcmove input ip daddr {BROWSER_IP} meta l4proto udp drop; \
             add rule inet tcmove output ip saddr {BROWSER_IP} meta l4proto udp drop"
        );
        run_in(&self.browser, "nft", &[&rules])?;
        Ok(())
    }

    /// The veth end in the browser namespace.
    fn browser_link(&self) -> anyhow::Result<String> {
        let out = run_in(&self.browser, "ip", &["-o", "link", "show", "type", "veth"])?;
        out.lines()
            .next()
            .and_then(|l| l.split(": ").nth(1))
            .and_then(|name| name.split('@').next())
            .map(str::to_owned)
            .context("no veth in the browser namespace")
    }

    /// Moves the calling thread (and the threads and processes it starts) into the namespace.
    pub fn enter(ns: &str) -> anyhow::Result<()> {
        let file = std::fs::File::open(format!("/run/netns/{ns}"))?;
        nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).context("setns")?;
        Ok(())
    }
}

impl Drop for NetnsPair {
    fn drop(&mut self) {
        for ns in [&self.booth, &self.browser] {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// Namespaces left by a test process that died: named `tcm<pid>x<n>a|b`, whose pid is gone.
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
