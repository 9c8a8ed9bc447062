//! The health listener's connections, served without ever blocking the supervisor's loop.
//!
//! Every connection is non-blocking and polled with the signals. Each one has a deadline
//! ([`CLIENT_DEADLINE`]) for the whole exchange, a bounded request ([`MAX_REQUEST_BYTES`]), and
//! at most [`MAX_CLIENTS`] are open at once: the oldest is closed to make room. A client that
//! sends one byte at a time, or thousands that send nothing, cost a few system calls per wake-up
//! and can never delay a signal, a reap or the deadline SIGKILL.
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags};

/// Time a client has, from its connection, to send its request and read the answer.
pub const CLIENT_DEADLINE: Duration = Duration::from_secs(2);
/// Open health connections at most; a new one closes the oldest beyond this.
pub const MAX_CLIENTS: usize = 256;
/// Bytes of a request read at most; a request line longer than this is answered as it stands.
pub const MAX_REQUEST_BYTES: usize = 1024;

/// One health connection in progress.
#[derive(Debug)]
struct Client {
    stream: TcpStream,
    deadline: Instant,
    request: Vec<u8>,
    /// The answer, once the request is in, and how much of it was written.
    response: Option<(Vec<u8>, usize)>,
}

/// What became of a client after a step.
enum Progress {
    Waiting,
    Done,
}

/// The open health connections, oldest first.
#[derive(Debug, Default)]
pub struct Clients {
    open: VecDeque<Client>,
}

impl Clients {
    /// Takes a freshly accepted connection, closing the oldest if the cap is reached.
    pub fn add(&mut self, stream: TcpStream, now: Instant) {
        if stream.set_nonblocking(true).is_err() {
            return;
        }
        while self.open.len() >= MAX_CLIENTS {
            self.open.pop_front();
        }
        let deadline = now + CLIENT_DEADLINE;
        self.open.push_back(Client { stream, deadline, request: Vec::new(), response: None });
    }

    #[cfg(test)]
    /// How many connections are open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// One poll entry per connection: readable while the request comes in, then writable.
    pub fn poll_fds(&self) -> impl Iterator<Item = PollFd<'_>> {
        self.open.iter().map(|client| {
            let events =
                if client.response.is_some() { PollFlags::POLLOUT } else { PollFlags::POLLIN };
            PollFd::new(client.stream.as_fd(), events)
        })
    }

    /// The earliest client deadline, when the loop must wake to close it.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.open.iter().map(|client| client.deadline).min()
    }

    /// Moves every connection on as far as it goes without blocking; `answer` turns a request
    /// into the bytes to send. Closes those done, failed or past their deadline.
    pub fn serve(&mut self, now: Instant, answer: impl Fn(&[u8]) -> Vec<u8>) {
        self.open.retain_mut(|client| {
            if now >= client.deadline {
                return false;
            }
            matches!(client.step(&answer), Ok(Progress::Waiting))
        });
    }
}

impl Client {
    fn step(&mut self, answer: &impl Fn(&[u8]) -> Vec<u8>) -> io::Result<Progress> {
        if self.response.is_none() {
            if !self.read_request()? {
                return Ok(Progress::Waiting);
            }
            self.response = Some((answer(&self.request), 0));
        }
        let Some((bytes, written)) = &mut self.response else { return Ok(Progress::Waiting) };
        while *written < bytes.len() {
            match self.stream.write(&bytes[*written..]) {
                Ok(0) => return Ok(Progress::Done),
                Ok(count) => *written += count,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(Progress::Waiting)
                }
                Err(error) => return Err(error),
            }
        }
        let _ = self.stream.shutdown(Shutdown::Write);
        Ok(Progress::Done)
    }

    /// Reads what has arrived; true once the request line is complete, the client has closed
    /// its side, or [`MAX_REQUEST_BYTES`] are in.
    fn read_request(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; MAX_REQUEST_BYTES];
        loop {
            let room = MAX_REQUEST_BYTES - self.request.len();
            if room == 0 {
                return Ok(true);
            }
            match self.stream.read(&mut chunk[..room]) {
                Ok(0) => return Ok(true),
                Ok(count) => {
                    self.request.extend_from_slice(&chunk[..count]);
                    if self.request.windows(2).any(|w| w == b"\r\n" || w == b"\n\n") {
                        return Ok(true);
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
}
