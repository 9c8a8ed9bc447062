//! The health listener: `/readyz` (200 once every process is up, until shutdown begins, then 503
//! — the "lame duck" signal for readiness probes and load balancers), `/livez` (200 while lameduck runs) and `/metrics`
//! (Prometheus text). A tiny HTTP/1.0 responder served from the supervisor's poll loop, so it
//! needs no thread and no runtime.
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

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
}

impl Default for Status {
    fn default() -> Self {
        Status { phase: Phase::Running, drain_seconds: None, stop_seconds: Vec::new() }
    }
}

/// A bound, non-blocking health listener.
#[derive(Debug)]
pub struct HealthServer {
    listener: TcpListener,
}

/// A client that sends nothing for this long gets no answer; the loop must not stall.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(200);

impl HealthServer {
    /// Binds `addr`.
    pub fn bind(addr: SocketAddr) -> io::Result<HealthServer> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(HealthServer { listener })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The descriptor to poll for incoming connections.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }

    /// Answers every connection waiting to be accepted.
    pub fn serve_pending(&self, status: &Status) {
        while let Ok((stream, _)) = self.listener.accept() {
            // One slow or broken client must not affect the shutdown; ignore its errors.
            let _ = answer(stream, status);
        }
    }
}

fn answer(mut stream: TcpStream, status: &Status) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut request = [0u8; 1024];
    let mut length = 0;
    while length < request.len() {
        let read = stream.read(&mut request[length..])?;
        if read == 0 {
            break;
        }
        length += read;
        if request[..length].windows(2).any(|w| w == b"\r\n" || w == b"\n\n") {
            break;
        }
    }
    let first_line = String::from_utf8_lossy(&request[..length]);
    let path = first_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let (code, body) = respond(path, status);
    let reason = match code {
        200 => "OK",
        503 => "Service Unavailable",
        _ => "Not Found",
    };
    let content_type = if path == "/metrics" { "text/plain; version=0.0.4" } else { "text/plain" };
    let response = format!(
        "HTTP/1.0 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())
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

fn metrics(status: &Status) -> String {
    let mut out = String::new();
    out.push_str("# HELP lameduck_shutdown_phase 1 for the current shutdown phase.\n");
    out.push_str("# TYPE lameduck_shutdown_phase gauge\n");
    for phase in Phase::ALL {
        let value = u8::from(phase == status.phase);
        let _ = writeln!(out, "lameduck_shutdown_phase{{phase=\"{}\"}} {value}", phase.name());
    }
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
        assert!(body.contains("lameduck_process_stop_seconds{process=\"nginx\"} 0.250"), "{body}");
    }

    #[test]
    fn serves_over_a_real_socket() {
        let server = HealthServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = server.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            response
        });
        let status = Status::default();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !client.is_finished() && std::time::Instant::now() < deadline {
            server.serve_pending(&status);
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(client.join().unwrap().starts_with("HTTP/1.0 200 OK"));
    }
}
