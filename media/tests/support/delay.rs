//! Delay (and jitter) on the packets of the booth namespace, without netem (the kernel here has
//! none): iptables NFQUEUE rules hand each packet to `tests/media-page/nfq_delay.py`
//! (NetfilterQueue), which accepts it once due. Start it from the booth namespace (the test's
//! runtime threads live there); dropping the [`Delay`] removes the rules and stops the script.

use std::time::Duration;

/// The NFQUEUE queue the delay script reads.
const QUEUE: &str = "7";
/// The script ends by itself after this long, whatever happens to the test.
const MAX_SECONDS: &str = "180";

/// Which packets of the booth namespace are delayed.
#[derive(Clone, Copy, Debug)]
pub enum Direction {
    /// What the booth sends (iptables `OUTPUT`).
    FromBooth,
    /// What the booth receives (iptables `INPUT`).
    ToBooth,
}

impl Direction {
    fn chain(self) -> &'static str {
        match self {
            Self::FromBooth => "OUTPUT",
            Self::ToBooth => "INPUT",
        }
    }
}

pub struct Delay {
    child: Option<tokio::process::Child>,
    direction: Direction,
    /// The iptables match of each rule added (removed on drop).
    rules: Vec<Vec<String>>,
}

impl Delay {
    /// `ms` on every UDP packet the booth namespace sends.
    pub async fn start(ms: u32) -> anyhow::Result<Self> {
        Self::start_on(Direction::FromBooth, ms, 0, None).await
    }

    /// `ms` plus a uniformly random `0..jitter_ms` on every UDP packet in `direction`.
    pub async fn start_with(direction: Direction, ms: u32, jitter_ms: u32) -> anyhow::Result<Self> {
        Self::start_on(direction, ms, jitter_ms, None).await
    }

    /// `ms` on every UDP packet the booth namespace sends, and on TCP towards `tcp_dport` when
    /// given (a competing upload that must see the same round trip as the media).
    pub async fn start_with_tcp(ms: u32, tcp_dport: Option<u16>) -> anyhow::Result<Self> {
        Self::start_on(Direction::FromBooth, ms, 0, tcp_dport).await
    }

    async fn start_on(
        direction: Direction,
        ms: u32,
        jitter_ms: u32,
        tcp_dport: Option<u16>,
    ) -> anyhow::Result<Self> {
        let python = std::env::var("TELECONSULT_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/media-page/nfq_delay.py"
        );
        let mut child = tokio::process::Command::new(python)
            .args([
                script,
                QUEUE,
                &ms.to_string(),
                MAX_SECONDS,
                &jitter_ms.to_string(),
            ])
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
            direction,
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
                .args(rule_args(direction, &rule))
                .status()?;
            anyhow::ensure!(status.success(), "iptables-legacy NFQUEUE rule {rule:?}");
            delay.rules.push(rule);
        }
        Ok(delay)
    }
}

fn rule_args(direction: Direction, matching: &[String]) -> Vec<String> {
    let mut args = vec![direction.chain().to_owned()];
    args.extend(matching.iter().cloned());
    args.extend(["-j", "NFQUEUE", "--queue-num", QUEUE].map(String::from));
    args
}

impl Drop for Delay {
    fn drop(&mut self) {
        for rule in &self.rules {
            let _ = std::process::Command::new("iptables-legacy")
                .arg("-D")
                .args(rule_args(self.direction, rule))
                .status();
        }
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
    }
}
