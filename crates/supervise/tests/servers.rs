//! Apache httpd (mod_php, proxy_fcgi) and Caddy in front of php-fpm under `lameduck run` and
//! `lameduck prestop`, with the real servers: each gets its own graceful stop by default
//! (Apache: SIGWINCH, since SIGTERM ends requests in progress; Caddy: SIGTERM), the front server
//! stops before php-fpm, and no request in flight is lost.
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::web::{get, WebDir};
use common::{wait_until, Pid1, BIN};
use lameduck_testkit::ChildGuard;

const LONG: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    lameduck_testkit::free_port().unwrap()
}

/// Four `slow.php` requests of 1.5 s, returned once PHP runs all of them.
fn slow_requests_in_php(web: &WebDir) -> Vec<std::thread::JoinHandle<Result<u16, String>>> {
    let (port, before) = (web.port, web.started());
    let requests =
        (0..4).map(|_| std::thread::spawn(move || get(port, "/slow.php?ms=1500"))).collect();
    assert!(wait_until(LONG, || web.started() >= before + 4), "requests never reached PHP");
    requests
}

/// Runs `processes` under lameduck, stops it with SIGTERM while four requests are inside PHP,
/// asserts that every one succeeds and lameduck exits 0; returns its log.
fn stop_under_run(web: &WebDir, processes: &[String], env: &[(String, String)]) -> String {
    let mut args = vec!["run", "--drain", "none"];
    for process in processes {
        args.extend(["--process", process.as_str()]);
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut pid1 = Pid1::start_with_env(&args, &env);
    let logs = |pid1: &Pid1| {
        let apache = std::fs::read_to_string(web.path("apache-error.log")).unwrap_or_default();
        format!("{}\n{}\napache:\n{apache}", pid1.log(), web.logs())
    };
    let ready = wait_until(LONG, || get(web.port, "/slow.php?ms=0") == Ok(200));
    assert!(ready, "stack did not start; log:\n{}", logs(&pid1));
    let requests = slow_requests_in_php(web);
    pid1.signal(libc::SIGTERM);
    for request in requests {
        assert_eq!(request.join().unwrap(), Ok(200), "log:\n{}", logs(&pid1));
    }
    assert_eq!(pid1.wait(LONG), Some(0), "log:\n{}", logs(&pid1));
    pid1.log()
}

fn stop_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|line| line.contains("stop signal-sent")).collect()
}

#[test]
fn apache_with_mod_php_gets_sigwinch_and_finishes_its_requests() {
    let web = WebDir::for_apache_and_caddy(free_port());
    let log = stop_under_run(&web, &[web.apache_process(false)], &[]);
    let stops = stop_lines(&log);
    assert!(stops.len() == 1 && stops[0].contains("process=web"), "{log}");
    assert!(log.contains("stop_signal=WINCH") && log.contains("default for apache"), "{log}");
}

#[test]
fn apache_with_proxy_fcgi_stops_before_php_fpm() {
    let web = WebDir::for_apache_and_caddy(free_port());
    let log = stop_under_run(&web, &[web.php_fpm_process(), web.apache_process(true)], &[]);
    let stops = stop_lines(&log);
    assert!(stops.len() == 2 && stops[0].contains("process=web"), "{log}");
    assert!(stops[1].contains("process=fpm"), "{log}");
    assert!(log.contains("stop_signal=WINCH"), "{log}");
}

#[test]
fn caddy_in_front_of_php_fpm_gets_sigterm_and_stops_first() {
    let web = WebDir::for_apache_and_caddy(free_port());
    let log = stop_under_run(&web, &[web.php_fpm_process(), web.caddy_process()], &web.caddy_env());
    let stops = stop_lines(&log);
    assert!(stops.len() == 2 && stops[0].contains("process=web"), "{log}");
    assert!(stops[1].contains("process=fpm"), "{log}");
    assert!(log.contains("default for caddy"), "{log}");
    // Caddy listens, so start-up waits for its port like nginx's.
    assert!(log.lines().any(|l| l.contains("start up") && l.contains("process=web")), "{log}");
}

#[test]
fn prestop_stops_apache_with_sigwinch_by_default() {
    let web = WebDir::for_apache_and_caddy(free_port());
    let argv = web.apache_process(false);
    let words: Vec<&str> = argv.trim_start_matches("web=").split(' ').collect();
    let mut command = Command::new(words[0]);
    command.args(&words[1..]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // Its own process group: Apache SIGTERMs its whole group when it stops.
    let mut apache = ChildGuard::spawn("apache2", command).unwrap();
    let ready = wait_until(LONG, || get(web.port, "/slow.php?ms=0") == Ok(200));
    assert!(
        ready,
        "apache did not start: {:?}",
        std::fs::read_to_string(web.path("apache-error.log"))
    );
    let requests = slow_requests_in_php(&web);
    let pidfile = web.path("apache2.pid").display().to_string();
    let output = Command::new(BIN)
        .args(["prestop", "--drain", "none", "--pidfile", &pidfile])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(log.contains("signal=SIGWINCH"), "{log}");
    for request in requests {
        assert_eq!(request.join().unwrap(), Ok(200), "{log}");
    }
    assert!(apache.wait_exit(LONG).is_some(), "apache still runs");
}
