//! What the data planes that run as a program of their own (nginx, HAProxy) share: a port for
//! them to listen on, the wait until they do, and the socket their logs come in on.
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long the program may take to start listening.
pub const START_LIMIT: Duration = Duration::from_secs(10);

/// An ephemeral port on the lab's loopback, free a moment ago (the program binds it itself).
pub fn free_loopback_port() -> io::Result<SocketAddr> {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()
}

/// A name for the socket at `path` that fits a socket address, and the descriptor it needs kept
/// open while it is used. A socket path holds at most 107 bytes (`sun_path`), which a run
/// directory under a long scenario name exceeds, so a longer one is reached through
/// `/proc/self/fd` and a descriptor of its directory. (The programs themselves name their
/// sockets relative to their working directory, that same directory.)
pub fn socket_name(path: &Path) -> io::Result<(PathBuf, Option<std::fs::File>)> {
    const SUN_PATH_MAX: usize = 107;
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) if path.as_os_str().len() > SUN_PATH_MAX => {
            let dir = std::fs::File::open(dir)?;
            let short = Path::new("/proc/self/fd").join(dir.as_raw_fd().to_string()).join(name);
            Ok((short, Some(dir)))
        }
        _ => Ok((path.to_path_buf(), None)),
    }
}

/// Binds the datagram socket at `path` that a program sends its log to (see [`socket_name`]).
pub fn bind_log_socket(path: &Path) -> io::Result<UnixDatagram> {
    let (name, _dir) = socket_name(path)?;
    UnixDatagram::bind(name)
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
