//! `lameduck run` as PID 1 of a real PID namespace: reaping, exit codes, signals, deadline.
mod common;

use std::time::Duration;

use common::{run_to_exit, wait_until, Pid1};

const LONG: Duration = Duration::from_secs(30);

#[test]
fn reaps_orphans_of_a_double_fork() {
    // The inner `sh -c` forks a grandchild and exits; the grandchild is re-parented to PID 1
    // (lameduck) and exits too. The script then looks for zombies in the namespace for up to
    // 5 s and exits 0 only if none is left.
    let script = r#"
        (sh -c 'sleep 0.2' &)
        (sh -c 'exit 0' &)
        sleep 0.5
        i=0
        while [ $i -lt 250 ]; do
            zombies=$(cat /proc/[0-9]*/stat 2>/dev/null | grep -c ') Z ')
            [ "$zombies" = 0 ] && exit 0
            sleep 0.02; i=$((i+1))
        done
        cat /proc/[0-9]*/stat >&2
        exit 1
    "#;
    let (code, log) = run_to_exit(&["run", "--", "sh", "-c", script]);
    assert_eq!(code, 0, "a zombie was left; log:\n{log}");
}

#[test]
fn propagates_every_exit_code() {
    for expected in [0, 1, 2, 3, 42, 126, 127, 200, 255] {
        let (code, log) = run_to_exit(&["run", "--", "sh", "-c", &format!("exit {expected}")]);
        assert_eq!(code, expected, "log:\n{log}");
    }
}

#[test]
fn deaths_by_signal_are_128_plus_the_signal() {
    for (signal, expected) in [("KILL", 137), ("TERM", 143), ("SEGV", 139), ("USR1", 138)] {
        let (code, log) =
            run_to_exit(&["run", "--", "sh", "-c", &format!("kill -{signal} $$; sleep 5")]);
        assert_eq!(code, expected, "SIG{signal}; log:\n{log}");
    }
}

#[test]
fn exec_failures_are_127_and_126() {
    let (code, log) = run_to_exit(&["run", "--", "/nonexistent/command"]);
    assert_eq!(code, 127, "log:\n{log}");
    assert!(log.contains("start failed"), "{log}");
    let dir = tempfile::tempdir().unwrap();
    let not_executable = dir.path().join("script");
    std::fs::write(&not_executable, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&not_executable, std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .unwrap();
    let (code, log) = run_to_exit(&["run", "--", not_executable.to_str().unwrap()]);
    assert_eq!(code, 126, "log:\n{log}");
    // A failed second process stops the first gracefully and still reports the exec failure.
    let (code, log) = run_to_exit(&[
        "run",
        "--drain",
        "none",
        "--process",
        "a=sleep 100",
        "--process",
        "b=/nonexistent/command",
    ]);
    assert_eq!(code, 127, "log:\n{log}");
    assert!(log.contains("stop signal-sent") && log.contains("process=a"), "{log}");
}

#[test]
fn forwards_and_remaps_signals() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lameduck.toml");
    let marker = dir.path().join("got");
    let ready = dir.path().join("ready");
    let script = format!(
        "trap 'echo HUP >> {m}' HUP; trap 'echo USR2 >> {m}' USR2; trap 'exit 0' TERM; \
         touch {r}; while :; do sleep 0.05; done",
        m = marker.display(),
        r = ready.display()
    );
    let toml = format!(
        "drain = \"none\"\n[[process]]\nname = \"app\"\ncommand = [\"sh\", \"-c\", {script:?}]\n\
         forward = {{ USR1 = \"USR2\" }}\n"
    );
    std::fs::write(&config, toml).unwrap();
    let mut pid1 = Pid1::start(&["run", "--config", config.to_str().unwrap()]);
    // Signals sent before the shell has installed its traps would kill it.
    assert!(wait_until(LONG, || ready.exists()), "{}", pid1.log());
    let read = || std::fs::read_to_string(&marker).unwrap_or_default();
    pid1.signal(libc::SIGHUP);
    assert!(wait_until(LONG, || read().contains("HUP")), "HUP not forwarded:\n{}", pid1.log());
    pid1.signal(libc::SIGUSR1);
    assert!(wait_until(LONG, || read().contains("USR2")), "USR1 not remapped to USR2");
    pid1.signal(libc::SIGTERM);
    assert_eq!(pid1.wait(LONG), Some(0), "{}", pid1.log());
}

#[test]
fn deadline_holds_against_a_child_that_ignores_every_signal() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let script = format!(
        "trap '' TERM INT QUIT HUP USR1 USR2; touch {}; while :; do sleep 0.05; done",
        ready.display()
    );
    let mut pid1 = Pid1::start(&[
        "run",
        "--drain",
        "none",
        "--grace-period",
        "3s",
        "--safety-margin",
        "1s",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert!(wait_until(LONG, || ready.exists()), "{}", pid1.log());
    pid1.signal(libc::SIGTERM);
    pid1.signal(libc::SIGTERM);
    let code = pid1.wait(LONG);
    let log = pid1.log();
    assert_eq!(code, Some(137), "log:\n{log}");
    assert!(log.contains("deadline kill"), "{log}");
}

#[test]
fn a_crashed_child_stops_the_others_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("stopped");
    let ready = dir.path().join("ready");
    let steady = format!(
        "steady=sh -c 'trap \"touch {}; exit 0\" TERM; touch {}; while :; do sleep 0.05; done'",
        marker.display(),
        ready.display()
    );
    // Crashes once the other one is ready to be stopped gracefully.
    let crashy =
        format!("crashy=sh -c 'while [ ! -e {} ]; do sleep 0.02; done; exit 3'", ready.display());
    let (code, log) =
        run_to_exit(&["run", "--log-format", "json", "--process", &steady, "--process", &crashy]);
    assert_eq!(code, 3, "log:\n{log}");
    assert!(marker.exists(), "the other process was not stopped gracefully; log:\n{log}");
    assert!(log.contains(r#""phase":"exit","status":"unexpected","process":"crashy""#), "{log}");
    assert!(log.lines().all(|line| line.starts_with(r#"{"t":"#) && line.ends_with('}')), "{log}");
}

#[test]
fn a_second_sigterm_skips_the_drain_and_readyz_flips() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut pid1 = Pid1::start(&[
        "run",
        "--drain",
        "fixed:120s",
        "--grace-period",
        "300s",
        "--health-listen",
        &addr,
        "--",
        "sh",
        "-c",
        "trap 'exit 0' TERM; while :; do sleep 0.05; done",
    ]);
    assert!(pid1.wait_for_log("health listening", LONG), "{}", pid1.log());
    assert!(wait_until(LONG, || http_status(&addr, "/readyz") == Some(200)));
    pid1.signal(libc::SIGTERM);
    assert!(pid1.wait_for_log("drain begin", LONG), "{}", pid1.log());
    assert_eq!(http_status(&addr, "/readyz"), Some(503));
    assert_eq!(http_status(&addr, "/livez"), Some(200));
    pid1.signal(libc::SIGTERM);
    // Without the skip this would take 120 s.
    let code = pid1.wait(LONG);
    let log = pid1.log();
    assert_eq!(code, Some(0), "log:\n{log}");
    assert!(log.contains("reason=skipped"), "{log}");
}

fn http_status(addr: &str, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}
