//! Start-up order under `lameduck run` as PID 1: nginx starts only once php-fpm listens, so the
//! very first request nginx accepts is answered by php-fpm (200), not 502.
mod common;

use std::time::Duration;

use common::web::{get, WebDir};
use common::{wait_until, Pid1};

const LONG: Duration = Duration::from_secs(30);

#[test]
fn the_first_request_nginx_accepts_is_not_a_502() {
    for attempt in 0..3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let web = WebDir::new(port);
        let (fpm, nginx) = (web.php_fpm_process(), web.nginx_process());
        let mut pid1 =
            Pid1::start(&["run", "--drain", "none", "--process", &fpm, "--process", &nginx]);
        // Hit nginx as soon as its port accepts a connection: the first answer must be php-fpm's.
        let mut first = None;
        let accepted = wait_until(LONG, || match get(port, "/sleep.php?ms=0") {
            Err(error) if error.starts_with("connect:") => false,
            result => {
                first = Some(result);
                true
            }
        });
        assert!(accepted, "nginx never listened; log:\n{}\n{}", pid1.log(), web.logs());
        assert_eq!(first, Some(Ok(200)), "attempt {attempt}; log:\n{}\n{}", pid1.log(), web.logs());
        let log = pid1.log();
        let up =
            log.lines().position(|line| line.contains("start up") && line.contains("process=fpm"));
        let web_start =
            log.lines().position(|line| line.contains("start ok") && line.contains("process=web"));
        assert!(up.is_some() && up < web_start, "nginx started before php-fpm was up:\n{log}");
        pid1.signal(libc::SIGTERM);
        assert_eq!(pid1.wait(LONG), Some(0), "log:\n{}\n{}", pid1.log(), web.logs());
    }
}

#[test]
fn a_process_that_never_listens_delays_the_next_only_until_its_start_timeout() {
    let (code, log) = common::run_to_exit(&[
        "run",
        "--drain",
        "none",
        "--start-timeout",
        "quiet=300ms",
        "--process",
        "quiet=sleep 100",
        "--process",
        "next=sh -c 'exit 7'",
    ]);
    assert_eq!(code, 7, "log:\n{log}");
    assert!(log.contains("start timeout") && log.contains("process=quiet"), "{log}");
    assert!(log.contains("starting the next process anyway"), "{log}");
    let timeout = log.lines().position(|line| line.contains("start timeout"));
    let next =
        log.lines().position(|line| line.contains("start ok") && line.contains("process=next"));
    assert!(timeout < next, "{log}");
}

#[test]
fn readyz_answers_503_until_every_process_is_up() {
    let health = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let health_addr = format!("127.0.0.1:{health}");
    let mut pid1 = Pid1::start(&[
        "run",
        "--drain",
        "none",
        "--health-listen",
        &health_addr,
        "--start-timeout",
        "first=4s",
        "--process",
        "first=sleep 100",
        "--process",
        "second=sleep 100",
    ]);
    assert!(pid1.wait_for_log("start waiting", LONG), "{}", pid1.log());
    // `first` never listens: while lameduck waits for it, the pod is not ready.
    let starting = get(health, "/readyz");
    assert!(!pid1.log().contains("start timeout"), "too slow to observe; {}", pid1.log());
    assert_eq!(starting, Ok(503), "{}", pid1.log());
    assert!(pid1.wait_for_log("start timeout", LONG), "{}", pid1.log());
    assert!(wait_until(LONG, || get(health, "/readyz") == Ok(200)), "{}", pid1.log());
    pid1.signal(libc::SIGTERM);
    assert!(pid1.wait(LONG).is_some(), "{}", pid1.log());
}
