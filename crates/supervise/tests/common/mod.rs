//! Shared helpers for the integration tests: run the real binary as PID 1 of a fresh PID
//! namespace (`unshare --pid --fork --mount-proc`), signal it, wait for it, read its log.
#![allow(dead_code)]

pub mod web;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_lameduck-supervise");

/// Waits until `condition` holds, checking every 20 ms, for at most `timeout`.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The binary running as PID 1 in its own PID namespace. Dropping it kills the namespace.
pub struct Pid1 {
    unshare: Child,
    /// lameduck's PID as seen from the test (outside the namespace).
    pub pid: i32,
    log_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pid1 {
    /// Starts `lameduck-supervise ARGS…` as PID 1.
    pub fn start(args: &[&str]) -> Pid1 {
        Pid1::start_with_env(args, &[])
    }

    /// As [`Pid1::start`], with these variables added to the environment.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Pid1 {
        let dir = tempfile::tempdir().unwrap();
        let log_path = dir.path().join("stderr.log");
        // Appending, as a shared log must be: a preStop hook appends its lines to PID 1's stderr.
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path).unwrap();
        let mut command = Command::new("unshare");
        command
            .args(["--pid", "--fork", "--mount-proc", "--kill-child", BIN])
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: prctl only; if the test dies, unshare dies, and --kill-child takes the namespace.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                Ok(())
            });
        }
        let unshare = command.spawn().expect("unshare (util-linux) is installed");
        let children = format!("/proc/{0}/task/{0}/children", unshare.id());
        let exe = std::fs::canonicalize(BIN).unwrap();
        let mut pid = 0;
        // Wait until unshare has forked and the child has exec'd the binary, so that signals
        // reach lameduck and not unshare. A short-lived run may be over before we look.
        let found = wait_until(Duration::from_secs(10), || {
            let text = std::fs::read_to_string(&children).unwrap_or_default();
            pid = text.split_whitespace().next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let execed = pid != 0
                && std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|path| path == exe);
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", unshare.id()));
            let unshare_exited = stat.map_or(true, |stat| stat.contains(") Z "));
            execed || unshare_exited
        });
        assert!(found, "unshare did not start the supervisor");
        Pid1 { unshare, pid, log_path, _dir: dir }
    }

    /// Sends `signal` to the supervisor.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill with a PID we own (it is our grandchild, alive until we reap unshare).
        unsafe { libc::kill(self.pid, signal) };
    }

    /// Waits up to `timeout` for the supervisor to exit; its exit code, or `None` on timeout.
    pub fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let mut code = None;
        wait_until(timeout, || match self.unshare.try_wait() {
            Ok(Some(status)) => {
                code = Some(status.code().unwrap_or(-1));
                true
            }
            _ => false,
        });
        code
    }

    /// The file the supervisor's stderr goes to.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log_path
    }

    /// Everything the supervisor logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits until the log contains `text`.
    pub fn wait_for_log(&self, text: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.log().contains(text))
    }
}

impl Drop for Pid1 {
    fn drop(&mut self) {
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

/// Runs the binary as PID 1 to completion and returns its exit code and log.
pub fn run_to_exit(args: &[&str]) -> (i32, String) {
    let mut pid1 = Pid1::start(args);
    let code = pid1.wait(Duration::from_secs(30));
    let log = pid1.log();
    (code.unwrap_or_else(|| panic!("did not exit within 30 s; log:\n{log}")), log)
}
