//! Keep-alive connections are opened before the clock starts, as many as the first 10 ms of
//! the schedule can use; with `--no-keepalive` none are.
//!
//! The server below counts the connections it has accepted. The count is taken in `on_start`,
//! which runs after pre-connecting and before the first request can be written: measuring when
//! the first request bytes arrive instead would race the server's accept thread against the
//! client's first write.
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lameduck_load::{run, Plan, Report, RunHooks, Schedule};

/// Answers every request with a minimal `200 ok` and counts the connections it accepted.
struct CountingServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

impl CountingServer {
    fn start() -> CountingServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let accept_thread = {
            let (accepted, stop) = (accepted.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    std::thread::spawn(move || answer_ok(stream));
                }
            })
        };
        CountingServer { addr, accepted, stop, accept_thread: Some(accept_thread) }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The accepted count once it reaches `wanted`, or whatever it is after `patience`.
    fn accepted_once(&self, wanted: usize, patience: Duration) -> usize {
        let deadline = Instant::now() + patience;
        while self.accepted() < wanted && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.accepted()
    }
}

impl Drop for CountingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so that the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves requests (no bodies, no pipelining) until the client closes or asks to close.
fn answer_ok(mut stream: TcpStream) {
    // A client that goes quiet must not keep this thread forever.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            buffer.drain(..end + 4);
            if stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").is_err()
                || head.contains("connection: close")
            {
                return;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Runs `schedule` against a fresh server; returns the report, the connections accepted
/// before the first send, and the connections accepted in all.
fn load(
    schedule: &str,
    max_in_flight: usize,
    keepalive: bool,
    expected: usize,
) -> (Report, usize, usize) {
    let server = CountingServer::start();
    let mut plan = Plan::new(&[server.url()], Schedule::parse(schedule).unwrap()).unwrap();
    plan.max_in_flight = max_in_flight;
    plan.keepalive = keepalive;
    let at_start = Cell::new(None);
    let hooks = RunHooks {
        on_start: Some(Box::new(|_| {
            // Patience covers a busy machine; a missing pre-connection costs only this wait.
            at_start.set(Some(server.accepted_once(expected.max(1), Duration::from_millis(500))));
        })),
        ..RunHooks::default()
    };
    let report = run(&plan, hooks).unwrap();
    (report, at_start.get().expect("on_start ran"), server.accepted())
}

fn all_ok(report: &Report, scheduled: u64) {
    assert_eq!(report.requests + report.dropped, scheduled, "{report:#?}");
    assert_eq!(report.codes.get(&200), Some(&report.requests), "{report:#?}");
    assert!(report.net.is_empty(), "{report:#?}");
}

#[test]
fn keepalive_opens_max_in_flight_connections_before_the_first_send() {
    // 2,000 rps: 20 sends in the first 10 ms, capped at 8 in flight.
    let (report, at_start, in_all) = load("const(2000,0.2s)", 8, true, 8);
    all_ok(&report, 400);
    assert_eq!(at_start, 8, "connections open before the first send");
    // With max_in_flight connections ready, the run never has to open one itself.
    assert_eq!(in_all, 8, "connections opened in all");
}

#[test]
fn keepalive_opens_one_connection_per_send_in_the_first_ten_milliseconds() {
    // 300 rps: sends at 0, 3.3 and 6.7 ms fall in the first 10 ms.
    let (report, at_start, _) = load("const(300,0.2s)", 8, true, 3);
    all_ok(&report, 60);
    assert_eq!(at_start, 3, "connections open before the first send");
}

#[test]
fn no_keepalive_opens_nothing_before_the_first_send() {
    let (report, at_start, in_all) = load("const(500,0.2s)", 8, false, 8);
    all_ok(&report, 100);
    assert_eq!(at_start, 0, "connections open before the first send");
    assert_eq!(in_all as u64, report.requests, "one connection per request");
}
