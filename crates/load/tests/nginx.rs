//! Against real nginx + php-fpm: exact status codes, slow responses, the in-flight bound (sends
//! wait for it, or are dropped), keep-alive connections the server closed, and nginx dying in
//! the middle of a run.
use std::cell::RefCell;
use std::time::Duration;

use lameduck_load::{run, Plan, RunHooks, Schedule, WhenFull};
use lameduck_testkit::{Stack, StackOptions};

fn plan(urls: &[String], schedule: &str) -> Plan {
    Plan::new(urls, Schedule::parse(schedule).unwrap()).unwrap()
}

#[test]
fn every_status_is_counted_exactly_and_urls_go_round_robin() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let urls =
        [stack.url("/ok"), stack.url("/status.php?code=502"), stack.url("/status.php?code=503")];
    let report = run(&plan(&urls, "const(30,1s)"), RunHooks::default()).unwrap();
    assert_eq!(report.requests, 30, "{report:#?}");
    let codes: Vec<(u16, u64)> = report.codes.iter().map(|(c, n)| (*c, *n)).collect();
    assert_eq!(codes, vec![(200, 10), (502, 10), (503, 10)]);
    assert_eq!((report.ok, report.failed), (10, 20));
    assert!(report.net.is_empty(), "{report:#?}");
}

#[test]
fn with_when_full_drop_the_bound_drops_sends() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    // 20 sends a second, each taking 400 ms, but only 2 may be outstanding: most are dropped,
    // none is delayed.
    let mut p = plan(&[stack.url("/sleep.php?ms=400")], "const(20,1s)");
    p.max_in_flight = 2;
    p.when_full = WhenFull::Drop;
    let report = run(&p, RunHooks::default()).unwrap();
    assert_eq!(report.requests + report.dropped, 20, "{report:#?}");
    assert!(report.dropped >= 10, "{report:#?}");
    assert_eq!(report.late, 0, "{report:#?}");
    assert_eq!(report.codes.get(&200), Some(&report.requests));
    assert!(report.latency_ms.p50 >= 400.0, "{:?}", report.latency_ms);
}

#[test]
fn by_default_a_full_window_delays_sends_and_latency_counts_from_the_schedule() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    // The same stalling server: every send leaves, late, as soon as a request finishes.
    let mut p = plan(&[stack.url("/sleep.php?ms=400")], "const(20,1s)");
    p.max_in_flight = 2;
    let report = run(&p, RunHooks::default()).unwrap();
    assert_eq!((report.requests, report.dropped), (20, 0), "{report:#?}");
    assert_eq!(report.codes.get(&200), Some(&20), "{report:#?}");
    // At most 2 at a time and 400 ms each, the last can leave no earlier than 3.6 s, and it
    // was due at 0.95 s: its latency (from that instant) is at least 3 s.
    assert!(report.latency_ms.max >= 3000.0, "{:?}", report.latency_ms);
    // The wait is the server's doing, not the generator's: it is left out of the send lag.
    assert!(report.send_lag_ms.max < 1000.0, "{:?}", report.send_lag_ms);
    // Only the first two found the window free.
    assert_eq!(report.late, 18, "{report:#?}");
    let late: u64 = report.seconds.iter().map(|s| s.late).sum();
    assert_eq!(late, 18, "{:#?}", report.seconds);
}

#[test]
fn a_send_that_would_leave_later_than_the_timeout_is_dropped() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    // Waiting is bounded by the timeout: with 2 outstanding at 400 ms each, sends fall behind
    // by 150 ms per send, and those more than 1 s behind are dropped rather than sent.
    let mut p = plan(&[stack.url("/sleep.php?ms=400")], "const(20,1s)");
    p.max_in_flight = 2;
    p.timeout = Duration::from_secs(1);
    let report = run(&p, RunHooks::default()).unwrap();
    assert_eq!(report.requests + report.dropped, 20, "{report:#?}");
    assert!(report.dropped > 0 && report.late > 0, "{report:#?}");
    // No send left later than the timeout, and none took longer than it: no latency reaches
    // twice the timeout (give or take the runtime's timer). Unbounded, the last send would
    // leave about 2.85 s late.
    assert!(report.latency_ms.max < 2100.0, "{:?}", report.latency_ms);
}

#[test]
fn an_idle_connection_nginx_has_closed_is_not_reused() {
    let options = StackOptions { nginx_http: "keepalive_timeout 1s;".into(), ..Default::default() };
    let stack = Stack::start(options).unwrap();
    // Sends at 0 s and 2 s: nginx closes the idle connection after 1 s, and its FIN has long
    // arrived when the second request is due, so that one opens a new connection (as any
    // client would) instead of being written onto a dead one.
    let report = run(&plan(&[stack.url("/ok")], "const(0.5,4s)"), RunHooks::default()).unwrap();
    assert_eq!(report.requests, 2, "{report:#?}");
    assert_eq!(report.codes.get(&200), Some(&2), "{report:#?}");
    assert!(report.net.is_empty(), "{report:#?}");
}

#[test]
fn killing_nginx_mid_run_shows_refused_from_that_second_on() {
    let stack = RefCell::new(Stack::start(StackOptions::default()).unwrap());
    let url = stack.borrow().url("/ok");
    let killed_after = RefCell::new(None);
    let hooks = RunHooks {
        on_second: Some(Box::new(|second| {
            if second.t == 0 {
                stack.borrow_mut().nginx().kill();
                *killed_after.borrow_mut() = Some(second.t);
            }
        })),
        ..RunHooks::default()
    };
    let mut p = plan(&[url], "const(20,3s)");
    p.timeout = Duration::from_secs(2);
    let report = run(&p, hooks).unwrap();
    assert_eq!(*killed_after.borrow(), Some(0));
    let first = &report.seconds[0];
    assert_eq!((first.sent, first.codes.get(&200)), (20, Some(&20)), "{first:#?}");
    assert!(first.net.is_empty(), "{first:#?}");
    // From the second after the kill on, nothing listens: every send is refused.
    for second in &report.seconds[2..3] {
        assert_eq!(second.net.get("refused"), Some(&second.sent), "{second:#?}");
        assert!(second.codes.is_empty(), "{second:#?}");
    }
    assert!(report.net.get("refused").copied().unwrap_or(0) >= 20, "{report:#?}");
}
