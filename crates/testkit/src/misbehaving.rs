//! Tiny servers that fail in exactly one way each, to check that a client names every network
//! outcome correctly.
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

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
}

/// A running misbehaving server on 127.0.0.1. Stops (and closes every connection) on drop.
pub struct MisbehavingServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<JoinHandle<()>>,
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
            let (stop, accepted) = (stop.clone(), accepted.clone());
            std::thread::spawn(move || accept_loop(listener, behaviour, &stop, &accepted))
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

fn accept_loop(
    listener: TcpListener,
    behaviour: Misbehaving,
    stop: &AtomicBool,
    accepted: &Mutex<Vec<TcpStream>>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut stream) = stream else { continue };
        // A client that connects and never sends must not block the loop (or drop) forever.
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
        read_request_head(&mut stream);
        match behaviour {
            Misbehaving::Refuse => unreachable!("refusing servers have no listener"),
            Misbehaving::ResetMidResponse => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
                reset(stream);
            }
            Misbehaving::CloseBeforeResponding => drop(stream),
            Misbehaving::Hang => accepted.lock().unwrap_or_else(|e| e.into_inner()).push(stream),
        }
    }
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
        self.accepted.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
