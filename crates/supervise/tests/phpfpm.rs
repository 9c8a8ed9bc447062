//! nginx + php-fpm under `lameduck run` as PID 1, with php-fpm's default
//! `process_control_timeout = 0` (SIGQUIT kills busy workers): no in-flight request may be lost.
mod common;

use std::time::Duration;

use common::web::{get, WebDir};
use common::{wait_until, Pid1};

const LONG: Duration = Duration::from_secs(30);

#[test]
fn php_fpm_without_process_control_timeout_loses_no_request() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let web = WebDir::new(port);
    let log = stop_with_requests_in_flight(&web, &[web.php_fpm_process(), web.nginx_process()]);
    // nginx (started last) stops first; php-fpm is signalled only after it.
    let stops: Vec<&str> = log.lines().filter(|line| line.contains("stop signal-sent")).collect();
    assert!(stops.len() == 2 && stops[0].contains("process=web"), "{log}");
    assert!(stops[1].contains("process=fpm"), "{log}");
    assert!(log.contains("stop_signal=QUIT"), "{log}");
}

#[test]
fn php_fpm_stopped_first_waits_for_its_fastcgi_connections() {
    // Started web first, so php-fpm is first to stop: SIGQUIT now would kill the busy workers
    // (process_control_timeout = 0), so lameduck must wait for their connections to finish.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let web = WebDir::new(port);
    let log = stop_with_requests_in_flight(&web, &[web.nginx_process(), web.php_fpm_process()]);
    assert!(log.contains("stop waiting-fastcgi") && log.contains("process=fpm"), "{log}");
}

/// Starts the stack under lameduck, sends SIGTERM while four slow requests are inside php-fpm,
/// asserts that all of them succeed and lameduck exits 0; returns its log.
fn stop_with_requests_in_flight(web: &WebDir, processes: &[String]) -> String {
    let port = web.port;
    let mut args = vec!["run", "--drain", "none"];
    for process in processes {
        args.extend(["--process", process.as_str()]);
    }
    let mut pid1 = Pid1::start(&args);
    let ready = wait_until(LONG, || get(port, "/sleep.php?ms=0") == Ok(200));
    assert!(ready, "stack did not start; log:\n{}\n{}", pid1.log(), web.logs());

    // Requests in flight in php-fpm workers when the shutdown begins.
    let requests: Vec<_> =
        (0..4).map(|_| std::thread::spawn(move || get(port, "/sleep.php?ms=1500"))).collect();
    let socket = web.path("php-fpm.sock").display().to_string();
    let in_flight = wait_until(LONG, || {
        lameduck_supervise::netstat::unix_connections(&socket).unwrap_or(0) >= 4
    });
    assert!(in_flight, "requests never reached php-fpm");
    pid1.signal(libc::SIGTERM);

    for request in requests {
        let result = request.join().unwrap();
        assert_eq!(result, Ok(200), "log:\n{}\n{}", pid1.log(), web.logs());
    }
    assert_eq!(pid1.wait(LONG), Some(0), "log:\n{}\n{}", pid1.log(), web.logs());
    pid1.log()
}
