//! `lameduck prestop` against real nginx and php-fpm run as two "containers" (separate
//! processes sharing the network namespace, as a pod's containers do), php-fpm with its default
//! `process_control_timeout = 0`.
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::web::get;
use common::{wait_until, BIN};
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
