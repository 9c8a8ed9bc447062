//! `--exec-at`: shell commands run at an offset into the load, with their start and exit put
//! on the run's timeline (the articles' `kubectl scale` in the middle of a Tank run).
use std::process::Stdio;
use std::time::Instant;

use tokio::sync::watch;

use crate::hooks::EventLog;
use crate::plan::ExecAt;

fn stderr_copy() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    }
}

/// Waits until `exec.at`, runs `sh -c COMMAND`, and records `exec_start` and `exec_exit` (or
/// `exec_failed` when it cannot start, `exec_killed` when the run ends first). Resolves early,
/// killing the command, when `cancelled` turns true.
pub(crate) async fn run_exec_at(
    start: Instant,
    exec: &ExecAt,
    events: &EventLog,
    mut cancelled: watch::Receiver<bool>,
) {
    let cancel = async move {
        // An error means the run dropped the sender: treat it as cancellation too.
        let _ = cancelled.wait_for(|c| *c).await;
    };
    tokio::pin!(cancel);
    tokio::select! {
        _ = tokio::time::sleep_until((start + exec.at).into()) => {}
        _ = &mut cancel => return,
    }
    events.record("exec_start", &exec.command);
    let spawned = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&exec.command)
        .stdin(Stdio::null())
        // Its output goes to stderr: stdout belongs to the report (`--output json`).
        .stdout(stderr_copy())
        // Its own process group, so that killing it also kills whatever it started (`sh -c`
        // forks), and a Ctrl-C meant for the load does not hit it half-way.
        .process_group(0)
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            events.record("exec_failed", &format!("{}: {error}", exec.command));
            return;
        }
    };
    tokio::select! {
        status = child.wait() => match status {
            Ok(status) => events.record_with_exit("exec_exit", &exec.command, status.code()),
            Err(error) => events.record("exec_failed", &format!("{}: {error}", exec.command)),
        },
        _ = &mut cancel => {
            if let Some(pid) = child.id() {
                // SAFETY: kill(2) on the process group of a child we have not reaped.
                unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
            }
            let _ = child.kill().await;
            events.record("exec_killed", &exec.command);
        }
    }
}
