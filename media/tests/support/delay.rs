//! A fixed delay on what the booth namespace sends (the kernel here has no netem): an iptables
//! NFQUEUE rule on OUTPUT feeding `tests/media-page/nfq_delay.py`, which holds each packet for
//! the delay. Start it from the booth namespace (the test's runtime threads live there); the
//! rules are removed and the script killed on drop.

use std::time::Duration;

/// The NFQUEUE queue the delay script reads.
const QUEUE: &str = "7";
/// The script ends by itself after this long, whatever happens to the test.
const MAX_SECONDS: &str = "180";

pub struct Delay {
    child: Option<tokio::process::Child>,
    /// The iptables match of each rule added (removed on drop).
    rules: Vec<Vec<String>>,
}

impl Delay {
    /// `ms` on every UDP packet the booth namespace sends.
    pub async fn start(ms: u32) -> anyhow::Result<Self> {
        Self::start_with_tcp(ms, None).await
    }

    /// `ms` on every UDP packet the booth namespace sends, and on TCP towards `tcp_dport` when
    /// given (a competing upload that must see the same round trip as the media).
    pub async fn start_with_tcp(ms: u32, tcp_dport: Option<u16>) -> anyhow::Result<Self> {
        let python = std::env::var("TELECONSULT_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/media-page/nfq_delay.py"
        );
        let mut child = tokio::process::Command::new(python)
            .args([script, QUEUE, &ms.to_string(), MAX_SECONDS])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = super::context(child.stdout.take(), "delay stdout")?;
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let ready = tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await;
        anyhow::ensure!(
            matches!(ready, Ok(Ok(Some(ref l))) if l == "ready"),
            "nfq_delay.py did not start (NetfilterQueue installed? {ready:?})"
        );
        let mut delay = Self {
            child: Some(child),
            rules: Vec::new(),
        };
        let mut matches = vec![vec!["-p".to_owned(), "udp".to_owned()]];
        if let Some(port) = tcp_dport {
            matches.push(vec![
                "-p".into(),
                "tcp".into(),
                "--dport".into(),
                port.to_string(),
            ]);
        }
        for rule in matches {
            let status = std::process::Command::new("iptables-legacy")
                .arg("-A")
                .args(rule_args(&rule))
                .status()?;
            anyhow::ensure!(status.success(), "iptables-legacy NFQUEUE rule {rule:?}");
            delay.rules.push(rule);
        }
        Ok(delay)
    }
}

fn rule_args(matching: &[String]) -> Vec<String> {
    let mut args = vec!["OUTPUT".to_owned()];
    args.extend(matching.iter().cloned());
    args.extend(["-j", "NFQUEUE", "--queue-num", QUEUE].map(String::from));
    args
}

impl Drop for Delay {
    fn drop(&mut self) {
        for rule in &self.rules {
            let _ = std::process::Command::new("iptables-legacy")
                .arg("-D")
                .args(rule_args(rule))
                .status();
        }
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
    }
}
