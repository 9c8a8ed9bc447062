//! Auto drain against real sockets: it keeps waiting while a client keeps arriving (new
//! connections, or new bytes on a kept-alive connection) and proceeds once the client stops.
mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{wait_until, Pid1};

const LONG: Duration = Duration::from_secs(30);
/// How long the client stays active after the drain began: well beyond `quiet`.
const ACTIVE_FOR: Duration = Duration::from_millis(2500);

fn start_supervisor(port: u16, marker: &Path) -> Pid1 {
    let ready = marker.with_extension("ready");
    let script = format!(
        "trap 'touch {}; exit 0' TERM; touch {}; while :; do sleep 0.05; done",
        marker.display(),
        ready.display()
    );
    let pid1 = Pid1::start(&[
        "run",
        "--drain",
        "auto:quiet=1s,max=60s",
        "--drain-port",
        &port.to_string(),
        "--grace-period",
        "120s",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert!(wait_until(LONG, || ready.exists()), "{}", pid1.log());
    pid1
}

/// Accepts and reads every connection on a thread, like a server would.
fn serve(listener: TcpListener) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buffer = [0u8; 64];
                while matches!(stream.read(&mut buffer), Ok(n) if n > 0) {}
            });
        }
    });
}

#[test]
fn waits_while_new_connections_arrive_then_proceeds() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("stopped");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    serve(listener);
    let mut pid1 = start_supervisor(port, &marker);
    pid1.signal(libc::SIGTERM);
    assert!(pid1.wait_for_log("drain begin", LONG), "{}", pid1.log());

    let mut open = Vec::new();
    let started = Instant::now();
    while started.elapsed() < ACTIVE_FOR {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        open.push(stream);
        assert!(!marker.exists(), "stopped while connections kept arriving; log:\n{}", pid1.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(wait_until(LONG, || marker.exists()), "never stopped; log:\n{}", pid1.log());
    assert_eq!(pid1.wait(LONG), Some(0), "{}", pid1.log());
    assert!(pid1.log().contains("reason=quiet"), "{}", pid1.log());
}

#[test]
fn waits_while_a_kept_alive_connection_receives_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("stopped");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    serve(listener);
    // Opened before the shutdown: only its traffic, not its arrival, can keep the drain going.
    let mut keep_alive = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut pid1 = start_supervisor(port, &marker);
    pid1.signal(libc::SIGTERM);
    assert!(pid1.wait_for_log("drain begin", LONG), "{}", pid1.log());

    let started = Instant::now();
    while started.elapsed() < ACTIVE_FOR {
        keep_alive.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        assert!(!marker.exists(), "stopped while requests kept arriving; log:\n{}", pid1.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(wait_until(LONG, || marker.exists()), "never stopped; log:\n{}", pid1.log());
    assert_eq!(pid1.wait(LONG), Some(0), "{}", pid1.log());
}

#[test]
fn silence_while_lameduck_is_stopped_is_not_quiet() {
    // A listener nobody talks to: every observed moment of the drain is quiet.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("stopped");
    let mut pid1 = start_supervisor(port, &marker);
    pid1.signal(libc::SIGTERM);
    assert!(pid1.wait_for_log("drain begin", LONG), "{}", pid1.log());
    // Freeze lameduck (as a starved or throttled node would) for longer than `quiet`.
    pid1.signal(libc::SIGSTOP);
    std::thread::sleep(Duration::from_millis(1500));
    pid1.signal(libc::SIGCONT);
    assert_eq!(pid1.wait(LONG), Some(0), "{}", pid1.log());
    let log = pid1.log();
    let done = log.lines().find(|line| line.contains("drain done")).unwrap_or_default();
    assert!(done.contains("reason=quiet"), "{log}");
    // The frozen window was seen as a stall and not counted as quiet.
    let stalls: u64 = field(done, "stalls").parse().unwrap_or(0);
    let unobserved: f64 = field(done, "unobserved_seconds").parse().unwrap_or(0.0);
    assert!(stalls >= 1 && unobserved >= 1.0, "{log}");
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_default()
}
