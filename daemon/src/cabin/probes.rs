//! What the cabin's status reads besides the call: the printer (CUPS `lpstat`), the network
//! (the kernel's routes and interfaces) and how a live `MediaEvent` reads for staff. The
//! readings are pure functions, tested below; the probes run them on what the system says.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use teleconsult_app::cabin::Condition;
use teleconsult_media::MediaEvent;
use teleconsult_media::devices::MediaKind;

/// How long `lpstat` may take.
const LPSTAT_LIMIT: Duration = Duration::from_secs(3);

/// The `[print]` section as the printer probe needs it.
#[derive(Clone, Debug)]
pub struct PrinterProbe {
    pub enabled: bool,
    /// `lp` (a name in `PATH` or an absolute path): `lpstat` is looked up beside it.
    pub command: String,
    /// Empty: the CUPS default destination.
    pub printer: String,
    pub server: String,
}

impl PrinterProbe {
    fn lpstat(&self) -> PathBuf {
        let lp = Path::new(&self.command);
        match lp.parent() {
            Some(dir) if lp.is_absolute() => dir.join("lpstat"),
            _ => PathBuf::from("lpstat"),
        }
    }

    /// `lpstat [-h server] args…`: its output, or why it failed.
    fn run(&self, args: &[&str]) -> Result<String, String> {
        let mut command = Command::new(self.lpstat());
        if !self.server.is_empty() {
            command.args(["-h", &self.server]);
        }
        command
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run lpstat: {e}"))?;
        let deadline = Instant::now() + LPSTAT_LIMIT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "lpstat did not answer within {} s: is the CUPS scheduler running?",
                        LPSTAT_LIMIT.as_secs()
                    ));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            Ok(text)
        } else {
            let error = String::from_utf8_lossy(&output.stderr);
            Err(error.lines().next().unwrap_or("lpstat failed").to_owned())
        }
    }

    /// The printer's condition now (blocking, at most a few seconds).
    pub fn probe(&self) -> (Condition, Option<String>) {
        if !self.enabled {
            return (
                Condition::missing("printing is off ([print] enabled = false)"),
                None,
            );
        }
        let name = if self.printer.is_empty() {
            match self.run(&["-d"]).map(|out| default_destination(&out)) {
                Ok(Some(name)) => name,
                Ok(None) => {
                    return (
                        Condition::missing(
                            "no CUPS default destination: name the printer in [print] printer",
                        ),
                        None,
                    );
                }
                Err(e) => return (Condition::missing(e), None),
            }
        } else {
            self.printer.clone()
        };
        let condition = match self.run(&["-p", &name]) {
            Ok(out) => printer_condition(&name, &out),
            Err(e) => Condition::missing(format!("printer {name}: {e}")),
        };
        (condition, Some(name))
    }
}

/// `lpstat -d`: `system default destination: NAME`.
pub fn default_destination(output: &str) -> Option<String> {
    output.lines().find_map(|l| {
        l.strip_prefix("system default destination: ")
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
    })
}

/// `lpstat -p NAME`: `printer NAME is idle.  enabled since …`, `… now printing …`, or
/// `printer NAME disabled since …` (paused, or stopped on an error).
pub fn printer_condition(name: &str, output: &str) -> Condition {
    let line = output
        .lines()
        .find(|l| l.starts_with("printer "))
        .unwrap_or_default();
    if line.contains(" disabled") {
        Condition::degraded(format!(
            "printer {name} is paused or stopped on an error: documents wait in its queue"
        ))
    } else if line.contains(" now printing") {
        Condition::ok(format!("printer {name} is printing"))
    } else if line.contains(" is idle") {
        Condition::ok(format!("printer {name} is ready"))
    } else {
        Condition::missing(format!("printer {name}: CUPS does not know it"))
    }
}

/// The box's network from `/proc/net/route`, `/proc/net/ipv6_route` and the interfaces that
/// are up: a default route is `ok`; interfaces up without one is the site's network only
/// (`degraded`: calls on the site's network, the platform waits); none is `missing`.
pub fn network_condition(ipv4_routes: &str, ipv6_routes: &str, up: &[String]) -> Condition {
    let v4_default = ipv4_routes.lines().skip(1).any(|l| {
        let mut fields = l.split_whitespace();
        matches!((fields.next(), fields.next()), (Some(iface), Some("00000000")) if iface != "lo")
    });
    // ipv6_route: destination, prefix length, …, interface last; a default route is ::/0
    // through something other than the loopback.
    let v6_default = ipv6_routes.lines().any(|l| {
        let fields: Vec<&str> = l.split_whitespace().collect();
        fields.len() >= 10
            && fields[0].chars().all(|c| c == '0')
            && fields[1] == "00"
            && fields[9] != "lo"
    });
    let up: Vec<&String> = up.iter().filter(|i| i.as_str() != "lo").collect();
    if up.is_empty() {
        return Condition::missing("no network interface is up");
    }
    let names = up.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    if v4_default || v6_default {
        Condition::ok(format!("connected ({names})"))
    } else {
        Condition::degraded(format!(
            "site network only ({names}, no route beyond it): calls on the site's network work, the platform waits"
        ))
    }
}

/// The network now.
pub fn network() -> Condition {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let up: Vec<String> = std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let state = read(&format!("{}/operstate", e.path().display()));
            // `unknown`: virtual interfaces (and some drivers) that carry traffic all the same.
            matches!(state.trim(), "up" | "unknown")
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    network_condition(&read("/proc/net/route"), &read("/proc/net/ipv6_route"), &up)
}

/// What a call's event means for the cabin's camera and microphone (nothing for most).
pub fn event_conditions(event: &MediaEvent) -> Vec<(MediaKind, Condition)> {
    match event {
        MediaEvent::Started {
            camera, microphone, ..
        } => vec![
            (
                MediaKind::Video,
                Condition::ok(format!("{camera}: in the call")),
            ),
            (
                MediaKind::Audio,
                Condition::ok(format!("{microphone}: in the call")),
            ),
        ],
        other => event_condition(other).into_iter().collect(),
    }
}

fn event_condition(event: &MediaEvent) -> Option<(MediaKind, Condition)> {
    match event {
        MediaEvent::DeviceLost {
            kind,
            device,
            reason,
        } => Some((
            *kind,
            Condition::missing(format!(
                "{device} was lost during the call ({reason}); {} while it reconnects",
                match kind {
                    MediaKind::Video => "the practitioner sees black",
                    MediaKind::Audio => "the practitioner hears silence",
                }
            )),
        )),
        MediaEvent::DeviceRecovered {
            kind,
            device,
            attempts,
        } => Some((
            *kind,
            Condition::ok(format!(
                "{device}: back in the call (after {attempts} attempt{})",
                if *attempts == 1 { "" } else { "s" }
            )),
        )),
        MediaEvent::DeviceUnavailable {
            kind,
            device,
            attempts,
        } => Some((
            *kind,
            Condition::missing(format!(
                "{device} did not come back ({attempts} attempts): check its cable, then end and restart the call"
            )),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teleconsult_app::cabin::Health;

    #[test]
    fn lpstat_reads_as_ready_paused_or_unknown() {
        assert_eq!(
            printer_condition(
                "cabin",
                "printer cabin is idle.  enabled since Mon 07 Dec 2026\n"
            )
            .state,
            Health::Ok
        );
        assert_eq!(
            printer_condition(
                "cabin",
                "printer cabin now printing cabin-12.  enabled since x\n"
            )
            .state,
            Health::Ok
        );
        assert_eq!(
            printer_condition(
                "cabin",
                "printer cabin disabled since Mon 07 Dec 2026 -\n\treason unknown\n"
            )
            .state,
            Health::Degraded
        );
        assert_eq!(printer_condition("cabin", "").state, Health::Missing);
        assert_eq!(
            default_destination("system default destination: cabin\n").as_deref(),
            Some("cabin")
        );
        assert_eq!(default_destination("no system default destination\n"), None);
    }

    #[test]
    fn a_printer_switched_off_in_the_config_is_missing_without_running_anything() {
        let probe = PrinterProbe {
            enabled: false,
            command: "/nonexistent/lp".into(),
            printer: String::new(),
            server: String::new(),
        };
        assert_eq!(probe.probe().0.state, Health::Missing);
        let broken = PrinterProbe {
            enabled: true,
            ..probe
        };
        let (condition, _) = broken.probe();
        assert_eq!(condition.state, Health::Missing);
        assert!(condition.detail.contains("lpstat"), "{}", condition.detail);
    }

    const V4_HEADER: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    #[test]
    fn a_default_route_is_ok_the_site_network_alone_degraded_nothing_missing() {
        let up = vec!["lo".to_owned(), "eth0".to_owned()];
        let with_default =
            format!("{V4_HEADER}eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
        let lan_only =
            format!("{V4_HEADER}eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n");
        assert_eq!(network_condition(&with_default, "", &up).state, Health::Ok);
        let lan = network_condition(&lan_only, "", &up);
        assert_eq!(lan.state, Health::Degraded);
        assert!(lan.detail.contains("eth0"), "{}", lan.detail);
        let v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n";
        assert_eq!(network_condition(&lan_only, v6, &up).state, Health::Ok);
        assert_eq!(
            network_condition(&with_default, "", &["lo".to_owned()]).state,
            Health::Missing
        );
    }

    #[test]
    fn a_lost_device_is_missing_until_it_is_back() {
        let lost = MediaEvent::DeviceLost {
            kind: MediaKind::Video,
            device: "Cabin camera".into(),
            reason: "unplugged".into(),
        };
        let (kind, c) = event_condition(&lost).unwrap();
        assert_eq!((kind, c.state), (MediaKind::Video, Health::Missing));
        assert!(c.detail.contains("sees black"), "{}", c.detail);
        let back = MediaEvent::DeviceRecovered {
            kind: MediaKind::Audio,
            device: "Cabin mic".into(),
            attempts: 3,
        };
        assert_eq!(
            event_condition(&back).map(|(k, c)| (k, c.state)),
            Some((MediaKind::Audio, Health::Ok))
        );
        let gone = MediaEvent::DeviceUnavailable {
            kind: MediaKind::Video,
            device: "Cabin camera".into(),
            attempts: 60,
        };
        assert_eq!(event_condition(&gone).unwrap().1.state, Health::Missing);
        assert_eq!(
            event_conditions(&MediaEvent::RemoteAudio),
            Vec::new(),
            "not about the cabin's devices"
        );
        let started = MediaEvent::Started {
            encoder: "vp8enc".into(),
            camera: "Cabin camera".into(),
            microphone: "Cabin mic".into(),
        };
        let kinds: Vec<_> = event_conditions(&started)
            .into_iter()
            .map(|(k, c)| (k, c.state))
            .collect();
        assert_eq!(
            kinds,
            [
                (MediaKind::Video, Health::Ok),
                (MediaKind::Audio, Health::Ok)
            ]
        );
    }
}
