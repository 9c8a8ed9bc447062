//! Auto drain against real sockets: it keeps waiting while a client keeps arriving (new
//! connections, or new bytes on a kept-alive connection) and proceeds once the client stops;
//! by default for as long as the grace period allows, and it says so when that was not enough.
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
    start_with(port, marker, &["--drain", "auto:quiet=1s,max=60s", "--grace-period", "120s"])
}

/// The supervisor with `args`, watching `port`, running a process that touches `marker` when
/// its stop signal comes and exits half a second later.
fn start_with(port: u16, marker: &Path, args: &[&str]) -> Pid1 {
    let ready = marker.with_extension("ready");
    let script = format!(
        "trap 'touch {}; sleep 0.5; exit 0' TERM; touch {}; while :; do sleep 0.05; done",
        marker.display(),
        ready.display()
    );
    let port = port.to_string();
    let mut all = vec!["run", "--drain-port", &port];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--", "sh", "-c", &script]);
    let pid1 = Pid1::start(&all);
    assert!(wait_until(LONG, || ready.exists()), "{}", pid1.log());
    pid1
}

/// Opens a connection with a request every 100 ms for `active_for`, asserting meanwhile that
/// the process was not stopped.
fn keep_arriving(port: u16, active_for: Duration, marker: &Path, pid1: &Pid1) {
    let mut open = Vec::new();
    let started = Instant::now();
    while started.elapsed() < active_for {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        open.push(stream);
        assert!(
            !marker.exists(),
            "stopped after {:?} while connections kept arriving; log:\n{}",
            started.elapsed(),
            pid1.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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

    keep_arriving(port, ACTIVE_FOR, &marker, &pid1);
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

#[test]
fn the_default_drain_waits_past_15_seconds_while_traffic_lasts() {
    // A load balancer that takes 17 s to stop routing (an ALB deregistering takes 10-60 s):
    // the default drain has no 15 s max any more, only the grace period's budget.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("stopped");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    serve(listener);
    let mut pid1 = start_with(port, &marker, &["--grace-period", "40s"]);
    pid1.signal(libc::SIGTERM);
    assert!(pid1.wait_for_log("drain begin", LONG), "{}", pid1.log());
    keep_arriving(port, Duration::from_secs(17), &marker, &pid1);
    assert_eq!(pid1.wait(LONG), Some(0), "{}", pid1.log());
    let log = pid1.log();
    assert!(log.contains("reason=quiet") && !log.contains("cut-short"), "{log}");
}

#[test]
fn a_drain_cut_short_under_traffic_is_logged_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("stopped");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    serve(listener);
    let health = format!("127.0.0.1:{}", lameduck_testkit::free_port().unwrap());
    // Budget 9 s - 1 s, less the 5 s the stops keep: the drain can last 3 s.
    let args = ["--grace-period", "9s", "--safety-margin", "1s", "--health-listen", &health];
    let mut pid1 = start_with(port, &marker, &args);
    pid1.signal(libc::SIGTERM);
    assert!(pid1.wait_for_log("drain begin", LONG), "{}", pid1.log());
    let client = std::thread::spawn(move || {
        let mut open = Vec::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(6) {
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
                open.push(stream);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    assert!(wait_until(LONG, || marker.exists()), "never stopped; log:\n{}", pid1.log());
    let mut metrics = String::new();
    wait_until(LONG, || {
        metrics = http_get(&health, "/metrics").unwrap_or_default();
        metrics.contains("lameduck_drain_cut_short_total 1") || pid1.log().contains("exit done")
    });
    client.join().unwrap();
    assert_eq!(pid1.wait(LONG), Some(0), "{}", pid1.log());
    let log = pid1.log();
    assert!(metrics.contains("lameduck_drain_cut_short_total 1"), "{metrics}\n{log}");
    let cut = log.lines().find(|line| line.contains("drain cut-short")).unwrap_or_default();
    assert!(cut.contains("reason=deadline") && cut.contains("budget=3.000"), "{log}");
    let new_connections: u32 = field(cut, "new_connections_last_second").parse().unwrap_or(0);
    assert!(new_connections >= 5, "about 20 connections a second arrived; log:\n{log}");
    assert!(log.contains("with traffic still arriving"), "{log}");
}

fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_default()
}
