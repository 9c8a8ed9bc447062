//! Tiny servers that fail in exactly one way each, to check that a client names every network
//! outcome correctly.
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{io_error, Error};

/// The one thing a [`MisbehavingServer`] does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaving {
    /// Nothing listens on the port: connections are refused (ECONNREFUSED).
    Refuse,
    /// Reads the request, sends the status line, part of the headers and a few body bytes,
    /// then resets the connection (RST via SO_LINGER 0).
    ResetMidResponse,
    /// Reads the request, then closes the connection cleanly (FIN) without a byte of response.
    CloseBeforeResponding,
    /// Accepts and reads the request, then never answers; connections stay open until drop.
    Hang,
    /// Reads the request, writes `head`, then `filler` again and again (waiting `pause` before
    /// each) until `total` bytes are written or the client goes away, then holds the
    /// connection open without another byte until drop. Each connection is served on a
    /// thread of its own, so one slow response does not hold up the next connection.
    Respond { head: &'static [u8], filler: &'static [u8], total: usize, pause: Duration },
}

/// A running misbehaving server on 127.0.0.1. Stops (and closes every connection) on drop.
pub struct MisbehavingServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<JoinHandle<()>>,
}

/// What the accept loop shares with the server and its connection threads.
struct Shared {
    stop: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<TcpStream>>>,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

impl MisbehavingServer {
    pub fn start(behaviour: Misbehaving) -> Result<MisbehavingServer, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io_error("bind"))?;
        let addr = listener.local_addr().map_err(io_error("local_addr"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        if behaviour == Misbehaving::Refuse {
            // Closing the only listener leaves the port with nobody behind it.
            drop(listener);
            return Ok(MisbehavingServer { addr, stop, accepted, thread: None });
        }
        let thread = {
            let shared = Shared {
                stop: stop.clone(),
                accepted: accepted.clone(),
                connections: Mutex::default(),
            };
            std::thread::spawn(move || accept_loop(listener, behaviour, &shared))
        };
        Ok(MisbehavingServer { addr, stop, accepted, thread: Some(thread) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn accept_loop(listener: TcpListener, behaviour: Misbehaving, shared: &Shared) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else { continue };
        // A client that connects and never sends must not block the loop (or drop) forever.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        if let Misbehaving::Respond { .. } = behaviour {
            let (stop, accepted) = (shared.stop.clone(), shared.accepted.clone());
            let thread = std::thread::spawn(move || respond(stream, behaviour, &stop, &accepted));
            lock(&shared.connections).push(thread);
            continue;
        }
        read_request_head(&mut stream);
        match behaviour {
            Misbehaving::Refuse => unreachable!("refusing servers have no listener"),
            Misbehaving::ResetMidResponse => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
                reset(stream);
            }
            Misbehaving::CloseBeforeResponding => drop(stream),
            Misbehaving::Hang => lock(&shared.accepted).push(stream),
            Misbehaving::Respond { .. } => unreachable!("served on a thread of its own"),
        }
    }
    for thread in std::mem::take(&mut *lock(&shared.connections)) {
        let _ = thread.join();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves one connection of [`Misbehaving::Respond`].
fn respond(
    mut stream: TcpStream,
    behaviour: Misbehaving,
    stop: &AtomicBool,
    accepted: &Mutex<Vec<TcpStream>>,
) {
    let Misbehaving::Respond { head, filler, total, pause } = behaviour else { return };
    // A client that stops reading must not keep this thread (and the server's drop) waiting.
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    read_request_head(&mut stream);
    if stream.write_all(head).is_err() {
        return;
    }
    let mut written = head.len();
    while written < total && !filler.is_empty() && !stop.load(Ordering::SeqCst) {
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
        let piece = &filler[..filler.len().min(total - written)];
        if stream.write_all(piece).is_err() {
            return;
        }
        written += piece.len();
    }
    lock(accepted).push(stream);
}

/// Reads until the blank line that ends the request head (or EOF).
fn read_request_head(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&byte[..n]),
        }
    }
}

fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: setsockopt on an open socket with a correctly sized linger struct.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(stream);
}

impl Drop for MisbehavingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // Wake the blocking accept so the thread sees the flag.
            let _ = TcpStream::connect(self.addr);
            let _ = thread.join();
        }
        lock(&self.accepted).clear();
    }
}
