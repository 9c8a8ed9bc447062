//! `lameduck prestop` against real nginx and php-fpm run as two "containers" (separate
//! processes sharing the network namespace, as a pod's containers do), php-fpm with its default
//! `process_control_timeout = 0`.
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::web::get;
use common::{wait_until, Pid1, BIN};
use lameduck_testkit::{Stack, StackOptions};

const LONG: Duration = Duration::from_secs(30);

struct Hook {
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl Hook {
    fn start(dir: &std::path::Path, args: &[&str]) -> Hook {
        let log = dir.join("prestop.log");
        let child = Command::new(BIN)
            .arg("prestop")
            .args(args)
            .stdin(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Hook { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait(&mut self) -> Option<i32> {
        let mut code = None;
        wait_until(LONG, || match self.child.try_wait() {
            Ok(Some(status)) => {
                code = status.code();
                true
            }
            _ => false,
        });
        code
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn slow_requests(port: u16, count: usize) -> Vec<std::thread::JoinHandle<Result<u16, String>>> {
    (0..count).map(|_| std::thread::spawn(move || get(port, "/sleep.php?ms=1500"))).collect()
}

#[test]
fn php_fpm_is_quit_only_after_nginx_stopped_listening_and_fastcgi_is_idle() {
    let mut stack = Stack::start(StackOptions::default()).unwrap();
    let port = stack.port();
    let socket = stack.dir().join("php-fpm.sock").display().to_string();
    let pidfile = stack.dir().join("fpm-target.pid");
    std::fs::write(&pidfile, stack.php_fpm().pid().to_string()).unwrap();

    let requests = slow_requests(port, 4);
    let in_flight = wait_until(LONG, || {
        lameduck_supervise::netstat::unix_connections(&socket).unwrap_or(0) >= 4
    });
    assert!(in_flight, "requests never reached php-fpm");
    let port_text = port.to_string();
    let mut hook = Hook::start(
        stack.dir(),
        &["--drain", "none", "--after-port", &port_text, "--pidfile", pidfile.to_str().unwrap()],
    );
    assert!(wait_until(LONG, || hook.log().contains("after-port waiting")), "{}", hook.log());
    // nginx still listens, so php-fpm must still be untouched.
    std::thread::sleep(Duration::from_millis(300));
    assert!(stack.php_fpm().try_exit().is_none(), "php-fpm stopped early: {}", hook.log());
    // The nginx container's own stop (its preStop hook or SIGQUIT).
    stack.nginx().signal(libc::SIGQUIT);

    for request in requests {
        assert_eq!(request.join().unwrap(), Ok(200), "{}\n{}", hook.log(), stack.php_fpm_log());
    }
    assert_eq!(hook.wait(), Some(0), "{}", hook.log());
    assert!(stack.php_fpm().wait_exit(LONG).is_some(), "php-fpm still runs");
    let log = hook.log();
    assert!(log.contains("after-port closed") && log.contains("signal=QUIT"), "{log}");
}

#[test]
fn nginx_hook_drains_then_quits_nginx_without_cutting_requests() {
    let mut stack = Stack::start(StackOptions::default()).unwrap();
    let port = stack.port();
    let pidfile = stack.dir().join("nginx-target.pid");
    std::fs::write(&pidfile, stack.nginx().pid().to_string()).unwrap();
    let requests = slow_requests(port, 3);
    let socket = stack.dir().join("php-fpm.sock").display().to_string();
    assert!(wait_until(LONG, || {
        lameduck_supervise::netstat::unix_connections(&socket).unwrap_or(0) >= 3
    }));
    let port_text = port.to_string();
    let mut hook = Hook::start(
        stack.dir(),
        &[
            "--drain",
            "auto:quiet=300ms,max=10s",
            "--drain-port",
            &port_text,
            "--pidfile",
            pidfile.to_str().unwrap(),
        ],
    );
    for request in requests {
        assert_eq!(request.join().unwrap(), Ok(200), "{}", hook.log());
    }
    assert_eq!(hook.wait(), Some(0), "{}", hook.log());
    assert!(stack.nginx().wait_exit(LONG).is_some(), "nginx still runs");
    assert!(hook.log().contains("drain done"), "{}", hook.log());
}

/// Runs `lameduck-supervise prestop ARGS…` inside the PID and mount namespace of `pid1` (as a
/// preStop hook runs inside its container), with stderr to `stderr`; returns its exit status.
fn prestop_in_namespace(pid1: &Pid1, stderr: std::fs::File, args: &[&str]) -> Option<i32> {
    let mut child = Command::new("nsenter")
        .args(["-t", &pid1.pid.to_string(), "-p", "-m", "--", BIN, "prestop"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("nsenter (util-linux) is installed");
    let mut code = None;
    let exited = wait_until(LONG, || match child.try_wait() {
        Ok(Some(status)) => {
            code = status.code();
            true
        }
        _ => false,
    });
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
    }
    code
}

#[test]
fn prestop_lines_also_reach_pid1_stderr() {
    // PID 1 (here `lameduck run`) has a file as stderr, as a container runtime captures it.
    let mut pid1 = Pid1::start(&["run", "--drain", "none", "--", "sleep", "100"]);
    assert!(pid1.wait_for_log("start ok", LONG), "{}", pid1.log());
    let dir = tempfile::tempdir().unwrap();
    let hook_log = dir.path().join("hook-stderr.log");
    // The hook's QUIT to PID 1 ends the namespace, and the hook with it: its exit code is moot.
    prestop_in_namespace(&pid1, std::fs::File::create(&hook_log).unwrap(), &["--drain", "none"]);
    assert!(pid1.wait(LONG).is_some(), "PID 1 did not stop: {}", pid1.log());
    let hook = std::fs::read_to_string(&hook_log).unwrap();
    let main = pid1.log();
    // Lines written before the QUIT; the hook may be killed with the namespace right after it.
    for line in ["lameduck prestop: target found", "lameduck prestop: stop sending"] {
        assert!(hook.contains(line), "hook stderr lacks {line:?}:\n{hook}");
        assert!(main.contains(line), "PID 1's stderr lacks {line:?}:\n{main}");
    }
    // PID 1's own lines are still there, after the hook's (appended, not overwritten).
    assert!(main.contains("lameduck run: start ok"), "{main}");
    assert!(main.contains("lameduck run: shutdown begin"), "{main}");
}

#[test]
fn prestop_lines_are_not_doubled_when_its_stderr_is_pid1_stderr() {
    let mut pid1 = Pid1::start(&["run", "--drain", "none", "--", "sleep", "100"]);
    assert!(pid1.wait_for_log("start ok", LONG), "{}", pid1.log());
    let same = std::fs::OpenOptions::new().append(true).open(pid1.log_path()).unwrap();
    prestop_in_namespace(&pid1, same, &["--drain", "none"]);
    assert!(pid1.wait(LONG).is_some(), "PID 1 did not stop: {}", pid1.log());
    let main = pid1.log();
    assert_eq!(main.matches("lameduck prestop: target found").count(), 1, "{main}");
}
