//! What the data planes that run as a program of their own (nginx, HAProxy) share: a port for
//! them to listen on and the wait until they do.
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the program may take to start listening.
pub const START_LIMIT: Duration = Duration::from_secs(10);

/// An ephemeral port on the lab's loopback, free a moment ago (the program binds it itself).
pub fn free_loopback_port() -> io::Result<SocketAddr> {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()
}

/// Polls until `program` accepts connections; the last line of its startup log is the error
/// when it never does.
pub async fn wait_listening(program: &str, addr: SocketAddr, startup_log: &Path) -> io::Result<()> {
    let started = Instant::now();
    while started.elapsed() < START_LIMIT {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let text = std::fs::read_to_string(startup_log).unwrap_or_default();
    Err(io::Error::other(format!(
        "{program} (the ingress) did not listen on {addr} within {}s; {}: {}",
        START_LIMIT.as_secs(),
        startup_log.display(),
        text.lines().last().unwrap_or("(empty)")
    )))
}

/// An endpoint change for a program's applier task, which makes them in order.
pub enum Change {
    Add(super::Backend),
    Remove(String),
    /// Answered once every change before it is in effect.
    Barrier(tokio::sync::oneshot::Sender<()>),
}

/// The sending side of the queue of endpoint changes.
pub struct Changes(tokio::sync::mpsc::UnboundedSender<Change>);

impl Changes {
    pub fn new() -> (Self, tokio::sync::mpsc::UnboundedReceiver<Change>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Self(tx), rx)
    }

    pub fn add(&self, ep: super::Backend) {
        let _ = self.0.send(Change::Add(ep));
    }

    pub fn remove(&self, pod: &str) {
        let _ = self.0.send(Change::Remove(pod.to_string()));
    }

    /// Resolves when the applier has made every change queued before.
    pub fn settled(&self) -> super::Settled<'_> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.0.send(Change::Barrier(tx)).is_ok();
        Box::pin(async move {
            if sent {
                let _ = rx.await;
            }
        })
    }
}
