//! Delay (and jitter) on the UDP packets of the booth namespace, without netem (the kernel here
//! has none): an iptables NFQUEUE rule hands each packet to `tests/media-page/nfq_delay.py`
//! (NetfilterQueue), which accepts it once due. Dropping the [`Delay`] removes the rule and
//! stops the script.

use std::time::Duration;

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
}

const QUEUE: &str = "7";

fn rule(op: &str, direction: Direction) -> std::io::Result<std::process::ExitStatus> {
    std::process::Command::new("iptables-legacy")
        .args([
            op,
            direction.chain(),
            "-p",
            "udp",
            "-j",
            "NFQUEUE",
            "--queue-num",
            QUEUE,
        ])
        .status()
}

impl Delay {
    /// `ms` on every UDP packet the booth namespace sends.
    pub async fn start(ms: u32) -> anyhow::Result<Self> {
        Self::start_with(Direction::FromBooth, ms, 0).await
    }

    /// `ms` plus a uniformly random `0..jitter_ms` on every UDP packet in `direction`.
    pub async fn start_with(direction: Direction, ms: u32, jitter_ms: u32) -> anyhow::Result<Self> {
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
                "120",
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
        let delay = Self {
            child: Some(child),
            direction,
        };
        anyhow::ensure!(
            rule("-A", direction)?.success(),
            "iptables-legacy NFQUEUE rule"
        );
        Ok(delay)
    }
}

impl Drop for Delay {
    fn drop(&mut self) {
        let _ = rule("-D", self.direction);
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
    }
}
