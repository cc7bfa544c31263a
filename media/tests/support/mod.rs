//! Fixtures of the media tests: the network they own ([`netns`], shared with the e2e tests in
//! `teleconsult_tests::netns`), the booth peer process ([`peer`]), the page + signalling relay
//! ([`web`]), Chromium ([`browser`]), delay with jitter on the path ([`delay`]) and a competing
//! bulk upload ([`bulk`]).

#![allow(dead_code)]

pub mod browser;
pub mod bulk;
pub mod delay;
pub mod peer;
pub use teleconsult_tests::netns;
pub mod web;

use anyhow::{Context, bail};
use browser::Browser;
use netns::NetnsPair;
use peer::BoothPeer;
use serde_json::Value;
use std::future::Future;
use std::time::{Duration, Instant};

/// The network of a media test: two namespaces joined by a veth pair.
pub struct Net {
    pub pair: NetnsPair,
    pub booth_ip: String,
}

/// One media test at a time on this machine (2 cores: two calls at once would measure the
/// machine, not the code). Held for the whole test; released when the process ends.
fn exclusive() -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(std::env::temp_dir().join("teleconsult-media-tests.lock"))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| anyhow::anyhow!("lock: {e}"))
}

/// Runs `body` on a runtime whose threads (and the processes they start) live in the booth
/// namespace. Without namespaces the test cannot keep its media on addresses it owns (Chromium
/// would pair loopback with the machine's own interfaces): the capability rule decides
/// (`teleconsult_tests::capability`) — a failure under `cargo xtask test`, a counted, loud
/// skip in a developer's partial run. `test` names the test in those messages.
pub fn run_in_booth_net<F, Fut>(test: &str, body: F)
where
    F: FnOnce(std::sync::Arc<Net>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pair = match NetnsPair::create() {
        Ok(pair) => pair,
        Err(e) => {
            if let Err(e) = teleconsult_tests::capability::skip(test, &netns::missing(&e)) {
                panic!("{e:#}");
            }
            return;
        }
    };
    let _lock = exclusive().expect("media test lock");
    let net = std::sync::Arc::new(Net {
        pair,
        booth_ip: netns::BOOTH_IP.into(),
    });
    let inner = std::sync::Arc::clone(&net);
    let outcome = std::thread::spawn(move || -> anyhow::Result<()> {
        netns::enter(&inner.pair.booth)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        runtime.block_on(body(inner))
    })
    .join();
    drop(net);
    match outcome {
        Ok(result) => result.expect("media test"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

pub struct Call {
    pub peer: BoothPeer,
    pub browser: Browser,
    server: tokio::task::JoinHandle<()>,
}

impl Call {
    /// Starts the booth peer (fake devices) and the page server on the booth address, then
    /// Chromium on the browser side, and opens the page with `query`.
    pub async fn open(net: &Net, peer_args: &[&str], query: &str) -> anyhow::Result<Self> {
        Self::open_with_clip(net, peer_args, query, None).await
    }

    /// [`Call::open`] with both cameras, the booth's and Chromium's, playing the Y4M `clip`.
    pub async fn open_with_clip(
        net: &Net,
        peer_args: &[&str],
        query: &str,
        clip: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let clip_arg = clip.map(|c| c.display().to_string());
        let mut args = peer_args.to_vec();
        args.push("--fake-devices");
        if let Some(clip) = &clip_arg {
            args.extend(["--camera-clip", clip.as_str()]);
        }
        let peer = BoothPeer::start(&args)?;
        let listener = std::net::TcpListener::bind((net.booth_ip.as_str(), 0))?;
        let origin = format!("http://{}:{}", net.booth_ip, listener.local_addr()?.port());
        let server = web::serve(listener, &peer)?;
        let browser = Browser::start(&net.pair.browser, netns::BROWSER_IP, &origin, clip).await?;
        browser.client.goto(&format!("{origin}/?{query}")).await?;
        Ok(Self {
            peer,
            browser,
            server,
        })
    }

    pub async fn page_stats(&self) -> anyhow::Result<Value> {
        self.browser.eval("return await window.tcStats();").await
    }

    pub async fn page_state(&self) -> anyhow::Result<Value> {
        self.browser.eval("return window.tc;").await
    }

    /// Polls until each receiving side decodes video.
    pub async fn wait_connected(
        &self,
        page_receives: bool,
        booth_receives: bool,
        within: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        loop {
            let stats = self.page_stats().await?;
            let page_ok = !page_receives || num(&stats, "/video_in/framesDecoded") > 0.0;
            let booth_ok = !booth_receives
                || self
                    .peer
                    .last_quality()
                    .is_some_and(|q| num(&q, "/quality/recv_frames_total") > 0.0);
            if page_ok && booth_ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                let state = self.page_state().await.unwrap_or_default();
                bail!(
                    "no media within {within:?}: page {stats} state {state}; booth {:?} events {:?}",
                    self.peer.last_quality(),
                    self.peer.events()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Ends the call: Chromium first, then the booth, which must have reported no GLib
    /// critical ([`BoothPeer::stop`]).
    pub async fn close(self) -> anyhow::Result<()> {
        self.browser.stop().await;
        let stopped = self.peer.stop().await;
        self.server.abort();
        stopped
    }
}

/// Chromium calling Chromium over the same path as a booth call: the sending page in the booth
/// namespace (where the booth peer runs), the receiving page in the browser namespace, both
/// served from the booth address with a relay between them ([`web::serve_pages`]).
pub struct PageCall {
    pub sender: Browser,
    pub receiver: Browser,
    server: tokio::task::JoinHandle<()>,
}

impl PageCall {
    /// Opens the sender's page with `sender_query` (it offers: `offerer=page`, relay end
    /// `signal-a`) and the receiver's with `receiver_query` (relay end `signal-b`); the
    /// sender's fake camera plays `clip` when given.
    pub async fn open(
        net: &Net,
        sender_query: &str,
        receiver_query: &str,
        clip: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind((net.booth_ip.as_str(), 0))?;
        let origin = format!("http://{}:{}", net.booth_ip, listener.local_addr()?.port());
        let server = web::serve_pages(listener)?;
        let receiver = Browser::start(&net.pair.browser, netns::BROWSER_IP, &origin, None).await?;
        receiver
            .client
            .goto(&format!("{origin}/?signal=signal-b&{receiver_query}"))
            .await?;
        let sender = Browser::start(&net.pair.booth, &net.booth_ip, &origin, clip).await?;
        sender
            .client
            .goto(&format!(
                "{origin}/?signal=signal-a&offerer=page&{sender_query}"
            ))
            .await?;
        Ok(Self {
            sender,
            receiver,
            server,
        })
    }

    pub async fn close(self) {
        self.sender.stop().await;
        self.receiver.stop().await;
        self.server.abort();
    }
}

/// A number at a JSON pointer, 0 when absent.
pub fn num(value: &Value, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

pub fn cpu_ticks(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|stat| {
            let rest = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .collect::<Vec<_>>();
            // utime and stime are fields 14 and 15; `rest` starts at field 3.
            Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?)
        })
        .sum()
}

pub fn context<T>(r: Option<T>, what: &str) -> anyhow::Result<T> {
    r.with_context(|| what.to_owned())
}

/// The booth as a sender: 720p30 with the capture stamp, and no screen composited (Chromium's
/// sending page shows no local preview either).
pub fn booth_720p(codec: &str) -> Vec<&str> {
    vec![
        "--size",
        "1280x720",
        "--fps",
        "30",
        "--bitrate",
        "2500",
        "--stamp",
        "--codec",
        codec,
        "--display",
        "none",
    ]
}

/// The benchmarks' camera clip: 60 frames of 720p30 written into `dir` (both senders encode
/// the same pictures and neither draws them); its path.
pub fn clip_720p(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let clip = dir.join("clip.y4m");
    let format = teleconsult_media::VideoFormat {
        width: 1280,
        height: 720,
        fps: 30,
    };
    teleconsult_media::fake_devices::write_clip(&clip, format, 60)?;
    Ok(clip)
}
