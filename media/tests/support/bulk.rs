//! A competing bulk TCP upload from the booth namespace to the browser namespace, through the
//! same bottleneck as the call (what a pharmacy's backup or a software update does to its
//! uplink). A sink thread in the browser namespace counts what arrives; the sending thread
//! (started from the booth namespace's runtime, whose namespace it inherits) writes until
//! stopped. Both end by themselves at a deadline.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The upload's destination port (the delay rule matches it: [`super::delay::Delay`]).
pub const PORT: u16 = 5201;

pub struct BulkUpload {
    stop: Arc<AtomicBool>,
    received: Arc<AtomicU64>,
    started: Instant,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl BulkUpload {
    /// Starts the upload; it runs until [`Self::stop`] or `at_most`.
    pub fn start(browser_ns: &str, browser_ip: &str, at_most: Duration) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + at_most;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let sink = {
            let (ns, ip) = (browser_ns.to_owned(), browser_ip.to_owned());
            let (stop, received) = (Arc::clone(&stop), Arc::clone(&received));
            std::thread::spawn(move || {
                let listener = super::netns::enter(&ns)
                    .and_then(|()| Ok(std::net::TcpListener::bind((ip.as_str(), PORT))?));
                let listener = match listener {
                    Ok(l) => {
                        let _ = ready_tx.send(Ok(()));
                        l
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                // Polled, so that a sender that never connects cannot keep this thread.
                if listener.set_nonblocking(true).is_err() {
                    return;
                }
                let mut conn = loop {
                    match listener.accept() {
                        Ok((conn, _)) => break conn,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(_) => return,
                    }
                };
                if conn.set_nonblocking(false).is_err() {
                    return;
                }
                let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = vec![0u8; 64 * 1024];
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match conn.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            received.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => break,
                    }
                }
            })
        };
        ready_rx
            .recv_timeout(Duration::from_secs(5))
            .map_err(|e| anyhow::anyhow!("bulk sink: {e}"))??;
        let mut conn = std::net::TcpStream::connect_timeout(
            &format!("{browser_ip}:{PORT}").parse()?,
            Duration::from_secs(5),
        )?;
        conn.set_write_timeout(Some(Duration::from_millis(500)))?;
        let source = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let chunk = vec![0x5au8; 64 * 1024];
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match conn.write(&chunk) {
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => break,
                    }
                }
                let _ = conn.shutdown(std::net::Shutdown::Both);
            })
        };
        Ok(Self {
            stop,
            received,
            started: Instant::now(),
            threads: vec![sink, source],
        })
    }

    /// Stops the upload; what the sink received per second since the start, in kbit/s.
    pub fn stop(mut self) -> f64 {
        let kbps = self.received.load(Ordering::Relaxed) as f64 * 8.0
            / 1000.0
            / self.started.elapsed().as_secs_f64();
        self.halt();
        kbps
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for BulkUpload {
    fn drop(&mut self) {
        self.halt();
    }
}
