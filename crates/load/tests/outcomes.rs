//! Every network outcome gets its own name: each purpose-built server fails in one way and the
//! report must say exactly that, for every request, with nothing retried.
use std::time::Duration;

use lameduck_load::{run, Plan, Report, RunHooks, Schedule};
use lameduck_testkit::{Misbehaving, MisbehavingServer};

fn load(url: &str, schedule: &str, timeout: Duration) -> Report {
    let mut plan = Plan::new(&[url], Schedule::parse(schedule).unwrap()).unwrap();
    plan.timeout = timeout;
    run(&plan, RunHooks::default()).unwrap()
}

fn only_outcome(report: &Report, name: &str) {
    assert_eq!(report.requests, 10, "{report:#?}");
    assert_eq!(report.net.get(name), Some(&10), "{report:#?}");
    assert_eq!(report.net.len(), 1, "{report:#?}");
    assert!(report.codes.is_empty(), "{report:#?}");
    assert_eq!((report.ok, report.failed, report.dropped), (0, 10, 0));
}

#[test]
fn refused() {
    let server = MisbehavingServer::start(Misbehaving::Refuse).unwrap();
    only_outcome(&load(&server.url("/"), "const(10,1s)", Duration::from_secs(5)), "refused");
}

#[test]
fn refused_is_counted_for_every_request_when_pre_connecting_fails_too() {
    // 1,000 rps: ten sends in the first 10 ms, so ten connections are tried before the start;
    // their failures are not counted, and every request then records its own refusal.
    let server = MisbehavingServer::start(Misbehaving::Refuse).unwrap();
    let report = load(&server.url("/"), "const(1000,0.2s)", Duration::from_secs(5));
    assert_eq!((report.requests, report.dropped), (200, 0), "{report:#?}");
    assert_eq!(report.net.get("refused"), Some(&200), "{report:#?}");
    assert_eq!((report.net.len(), report.codes.len()), (1, 0), "{report:#?}");
    let sent: u64 = report.seconds.iter().map(|s| s.sent).sum();
    assert_eq!(sent, 200, "{:#?}", report.seconds);
}

#[test]
fn reset_mid_response() {
    let server = MisbehavingServer::start(Misbehaving::ResetMidResponse).unwrap();
    only_outcome(&load(&server.url("/"), "const(10,1s)", Duration::from_secs(5)), "reset");
}

#[test]
fn closed_before_responding() {
    let server = MisbehavingServer::start(Misbehaving::CloseBeforeResponding).unwrap();
    only_outcome(&load(&server.url("/"), "const(10,1s)", Duration::from_secs(5)), "closed");
}

#[test]
fn hang_times_out_and_latency_covers_the_timeout() {
    let server = MisbehavingServer::start(Misbehaving::Hang).unwrap();
    let report = load(&server.url("/"), "const(10,1s)", Duration::from_millis(300));
    only_outcome(&report, "timeout");
    assert!(report.latency_ms.p50 >= 300.0, "{:?}", report.latency_ms);
}

#[test]
fn per_second_records_add_up_to_the_totals() {
    let server = MisbehavingServer::start(Misbehaving::Refuse).unwrap();
    let report = load(&server.url("/"), "const(7,3s)", Duration::from_secs(5));
    assert!(report.seconds.len() >= 3, "{report:#?}");
    let sent: u64 = report.seconds.iter().map(|s| s.sent).sum();
    let completed: u64 = report.seconds.iter().map(|s| s.completed).sum();
    let refused: u64 = report.seconds.iter().filter_map(|s| s.net.get("refused")).sum();
    assert_eq!((sent, completed, refused), (21, 21, 21));
    assert!(report.seconds.iter().take(3).all(|s| s.sent == 7), "{:#?}", report.seconds);
}

#[test]
fn stopping_twice_aborts_what_is_in_flight_and_still_reports_every_request() {
    use std::cell::Cell;

    use lameduck_load::{Outcome, StopHandle};

    let server = MisbehavingServer::start(Misbehaving::Hang).unwrap();
    let mut plan =
        Plan::new(&[server.url("/")], Schedule::parse("const(10,10s)").unwrap()).unwrap();
    plan.timeout = Duration::from_secs(60);
    let stop = StopHandle::new();
    let (records, aborted_records) = (Cell::new(0u64), Cell::new(0u64));
    let hooks = RunHooks {
        on_second: Some(Box::new(|_| {
            // The second call abandons the hanging requests at once instead of after a grace.
            stop.stop();
            stop.stop();
        })),
        on_request: Some(Box::new(|record| {
            records.set(records.get() + 1);
            if *record.outcome == Outcome::Net(lameduck_load::NetError::Aborted) {
                aborted_records.set(aborted_records.get() + 1);
            }
        })),
        stop: Some(stop.clone()),
        ..RunHooks::default()
    };
    let report = run(&plan, hooks).unwrap();
    assert!(report.stopped_early);
    assert!(report.requests >= 10, "{report:#?}");
    assert_eq!(report.net.get("aborted"), Some(&report.requests), "{report:#?}");
    assert_eq!((records.get(), aborted_records.get()), (report.requests, report.requests));
    assert!(report.requests < 100, "the stop did not end scheduling: {report:#?}");
}

#[test]
fn sends_waiting_for_the_window_when_the_run_stops_are_counted_dropped() {
    use lameduck_load::StopHandle;

    // Two requests hang and fill the window; the 18 or more sends due in the first second
    // wait for it. Stopped at the end of that second, they never leave: each is counted.
    let server = MisbehavingServer::start(Misbehaving::Hang).unwrap();
    let mut plan =
        Plan::new(&[server.url("/")], Schedule::parse("const(20,10s)").unwrap()).unwrap();
    plan.max_in_flight = 2;
    plan.timeout = Duration::from_secs(60);
    let stop = StopHandle::new();
    let hooks = RunHooks {
        on_second: Some(Box::new(|_| {
            stop.stop();
            stop.stop();
        })),
        stop: Some(stop.clone()),
        ..RunHooks::default()
    };
    let report = run(&plan, hooks).unwrap();
    assert!(report.stopped_early);
    assert_eq!(report.net.get("aborted"), Some(&2), "{report:#?}");
    assert!(report.dropped >= 18, "{report:#?}");
    let dropped: u64 = report.seconds.iter().map(|s| s.dropped).sum();
    assert_eq!(dropped, report.dropped, "{:#?}", report.seconds);
}

/// A server that answers every request with `head`, then `filler` up to `total` bytes.
fn responding(head: &'static [u8], filler: &'static [u8], total: usize) -> MisbehavingServer {
    let pause = Duration::ZERO;
    MisbehavingServer::start(Misbehaving::Respond { head, filler, total, pause }).unwrap()
}

#[test]
fn endless_trailers_are_a_bad_response_long_before_the_timeout() {
    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n";
    for filler in [&b"x"[..], b"X-Trailer: 1\r\n"] {
        let server = responding(chunked, filler, 1 << 20);
        let report = load(&server.url("/"), "const(10,1s)", Duration::from_secs(10));
        only_outcome(&report, "other:bad-response");
        // Generous: far below the timeout, which is what ended such requests before.
        assert!(report.latency_ms.max < 5000.0, "{filler:?}: {:?}", report.latency_ms);
    }
}

#[test]
fn hostile_framing_is_a_bad_response() {
    let cases: [&'static [u8]; 4] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    ];
    for head in cases {
        let server = responding(head, b"", 0);
        let report = load(&server.url("/"), "const(10,1s)", Duration::from_secs(5));
        assert_eq!(report.net.get("other:bad-response"), Some(&10), "{head:?}: {report:#?}");
    }
}

#[test]
fn identical_duplicate_content_lengths_are_accepted() {
    // The server answers once per connection: `Connection: close` keeps them from being reused.
    let head = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello";
    let server = responding(head, b"", 0);
    let report = load(&server.url("/"), "const(10,1s)", Duration::from_secs(5));
    assert_eq!(report.codes.get(&200), Some(&10), "{report:#?}");
}

#[test]
fn the_timeout_bounds_a_response_whose_trailers_trickle_in() {
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
    let (filler, pause) = (&b"X: 1\r\n"[..], Duration::from_millis(50));
    let server =
        MisbehavingServer::start(Misbehaving::Respond { head, filler, total: 4096, pause })
            .unwrap();
    let report = load(&server.url("/"), "const(10,1s)", Duration::from_millis(500));
    only_outcome(&report, "timeout");
    assert!(report.latency_ms.max < 5000.0, "{:?}", report.latency_ms);
}
