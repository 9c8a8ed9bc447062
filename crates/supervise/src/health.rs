//! The health listener: `/readyz` (200 once every process is up, until shutdown begins, then 503
//! — the "lame duck" signal for readiness probes and load balancers), `/livez` (200 while lameduck runs) and `/metrics`
//! (Prometheus text). A tiny HTTP/1.0 responder served from the supervisor's poll loop, so it
//! needs no thread and no runtime; its connections never block that loop
//! ([`crate::health_clients`]).
use std::fmt::Write as _;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::time::Instant;

use nix::poll::{PollFd, PollFlags};

use crate::health_clients::{Clients, MAX_CLIENTS};

/// The shutdown phases, in order, as exported in `lameduck_shutdown_phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Processes are being started, each once the previous one listens.
    Starting,
    Running,
    Draining,
    Stopping,
    Killing,
    Exited,
}

impl Phase {
    /// Name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Running => "running",
            Phase::Draining => "draining",
            Phase::Stopping => "stopping",
            Phase::Killing => "killing",
            Phase::Exited => "exited",
        }
    }
    const ALL: [Phase; 6] = [
        Phase::Starting,
        Phase::Running,
        Phase::Draining,
        Phase::Stopping,
        Phase::Killing,
        Phase::Exited,
    ];
}

/// What the health endpoints report.
#[derive(Debug, Clone)]
pub struct Status {
    pub phase: Phase,
    pub drain_seconds: Option<f64>,
    /// `(process name, seconds from its stop signal to its exit)`.
    pub stop_seconds: Vec<(String, f64)>,
    /// Drains that ended at their limit with traffic still arriving.
    pub drain_cut_short: u64,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            phase: Phase::Running,
            drain_seconds: None,
            stop_seconds: Vec::new(),
            drain_cut_short: 0,
        }
    }
}

/// A bound, non-blocking health listener and its open connections.
#[derive(Debug)]
pub struct HealthServer {
    listener: TcpListener,
    clients: Clients,
}

/// Connections accepted per wake-up at most, so that a flood of them cannot hold the loop.
const ACCEPTS_PER_WAKEUP: usize = 2 * MAX_CLIENTS;

impl HealthServer {
    /// Binds `addr`.
    pub fn bind(addr: SocketAddr) -> io::Result<HealthServer> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(HealthServer { listener, clients: Clients::default() })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The descriptors to poll: the listener and every open connection.
    pub fn poll_fds(&self) -> Vec<PollFd<'_>> {
        let listener = PollFd::new(self.listener.as_fd(), PollFlags::POLLIN);
        std::iter::once(listener).chain(self.clients.poll_fds()).collect()
    }

    /// When the loop must wake up at the latest to close a connection past its deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.clients.next_deadline()
    }

    #[cfg(test)]
    /// Open connections (for tests and logs).
    pub fn open_connections(&self) -> usize {
        self.clients.open_count()
    }

    /// Accepts waiting connections and moves every open one on, without blocking.
    pub fn serve(&mut self, status: &Status, now: Instant) {
        for _ in 0..ACCEPTS_PER_WAKEUP {
            let Ok((stream, _)) = self.listener.accept() else { break };
            self.clients.add(stream, now);
        }
        self.clients.serve(now, |request| answer(request, status));
    }
}

/// The whole HTTP/1.0 response to `request`.
fn answer(request: &[u8], status: &Status) -> Vec<u8> {
    let first_line = String::from_utf8_lossy(request);
    let path = first_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let (code, body) = respond(path, status);
    let reason = match code {
        200 => "OK",
        503 => "Service Unavailable",
        _ => "Not Found",
    };
    let content_type = if path == "/metrics" { "text/plain; version=0.0.4" } else { "text/plain" };
    format!(
        "HTTP/1.0 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Status code and body for `path`.
pub fn respond(path: &str, status: &Status) -> (u16, String) {
    match path {
        "/readyz" if status.phase == Phase::Running => (200, "ready\n".into()),
        "/readyz" if status.phase == Phase::Starting => (503, "starting\n".into()),
        "/readyz" => (503, format!("shutting down: {}\n", status.phase.name())),
        "/livez" | "/healthz" => (200, "alive\n".into()),
        "/metrics" => (200, metrics(status)),
        _ => (404, "try /readyz, /livez or /metrics\n".into()),
    }
}

// Long because one block per Prometheus metric, HELP and TYPE lines included, in the order /metrics
// lists them.
fn metrics(status: &Status) -> String {
    let mut out = String::new();
    out.push_str("# HELP lameduck_shutdown_phase 1 for the current shutdown phase.\n");
    out.push_str("# TYPE lameduck_shutdown_phase gauge\n");
    for phase in Phase::ALL {
        let value = u8::from(phase == status.phase);
        let _ = writeln!(out, "lameduck_shutdown_phase{{phase=\"{}\"}} {value}", phase.name());
    }
    out.push_str(
        "# HELP lameduck_drain_cut_short_total Drains that ended at their limit while traffic \
         still arrived.\n",
    );
    out.push_str("# TYPE lameduck_drain_cut_short_total counter\n");
    let _ = writeln!(out, "lameduck_drain_cut_short_total {}", status.drain_cut_short);
    if let Some(seconds) = status.drain_seconds {
        out.push_str("# HELP lameduck_drain_seconds How long the drain took.\n");
        out.push_str("# TYPE lameduck_drain_seconds gauge\n");
        let _ = writeln!(out, "lameduck_drain_seconds {seconds:.3}");
    }
    if !status.stop_seconds.is_empty() {
        out.push_str("# HELP lameduck_process_stop_seconds From stop signal to exit.\n");
        out.push_str("# TYPE lameduck_process_stop_seconds gauge\n");
        for (name, seconds) in &status.stop_seconds {
            let name = name.replace(['\\', '"', '\n'], "_");
            let _ =
                writeln!(out, "lameduck_process_stop_seconds{{process=\"{name}\"}} {seconds:.3}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readyz_flips_to_503_when_shutdown_begins() {
        let mut status = Status::default();
        assert_eq!(respond("/readyz", &status).0, 200);
        status.phase = Phase::Draining;
        assert_eq!(respond("/readyz", &status).0, 503);
        assert_eq!(respond("/livez", &status).0, 200);
        status.drain_seconds = Some(1.5);
        status.stop_seconds.push(("nginx".into(), 0.25));
        let (_, body) = respond("/metrics", &status);
        assert!(body.contains("lameduck_shutdown_phase{phase=\"draining\"} 1"), "{body}");
        assert!(body.contains("lameduck_drain_seconds 1.500"), "{body}");
        assert!(body.contains("lameduck_drain_cut_short_total 0"), "{body}");
        assert!(body.contains("lameduck_process_stop_seconds{process=\"nginx\"} 0.250"), "{body}");
    }

    #[test]
    fn serves_over_a_real_socket() {
        use std::io::{Read, Write};
        let mut server = HealthServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = server.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            response
        });
        let status = Status::default();
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while !client.is_finished() && Instant::now() < deadline {
            server.serve(&status, Instant::now());
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(client.join().unwrap().starts_with("HTTP/1.0 200 OK"));
    }

    #[test]
    fn idle_and_slow_clients_are_capped_and_timed_out_without_blocking() {
        use crate::health_clients::CLIENT_DEADLINE;
        use std::io::Write;
        let mut server = HealthServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = server.local_addr().unwrap();
        let status = Status::default();
        let mut slow = std::net::TcpStream::connect(addr).unwrap();
        slow.write_all(b"GE").unwrap();
        let started = Instant::now();
        // Served after each connection, or the listen backlog would fill and connect() block.
        let idle: Vec<_> = (0..MAX_CLIENTS + 50)
            .map(|_| {
                let stream = std::net::TcpStream::connect(addr).unwrap();
                server.serve(&status, Instant::now());
                stream
            })
            .collect();
        // Hundreds of passes over hundreds of silent clients: nothing waits on any of them.
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(server.open_connections(), MAX_CLIENTS);
        server.serve(&status, Instant::now() + CLIENT_DEADLINE);
        assert_eq!(server.open_connections(), 0);
        drop(idle);
    }
}
