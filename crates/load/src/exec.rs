//! `--exec-at`: shell commands run at an offset into the load, with their start and exit put
//! on the run's timeline (the articles' `kubectl scale` in the middle of a Tank run), and what
//! became of each returned as an [`ExecResult`] so that a disruption that never happened cannot
//! pass unnoticed.
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, watch};

use crate::hooks::EventLog;
pub use crate::hooks::ExecLine;
use crate::plan::ExecAt;
use crate::report::EventKind;
use crate::report::ExecResult;

/// Longest output line passed on; the rest of a longer line is cut (a command printing
/// megabytes without a newline must not fill memory).
const MAX_LINE: usize = 4096;
/// How long output may still arrive after the command exited (a background process it
/// started may hold the pipes open for much longer).
const OUTPUT_GRACE: Duration = Duration::from_secs(1);

fn stderr_copy() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    }
}

/// Waits until `exec.at`, runs `sh -c COMMAND`, and records `exec_start` and `exec_exit` (or
/// `exec_failed` when it cannot start, `exec_killed` when the run ends first). Resolves early,
/// killing the command, when `cancelled` turns true. With `output`, the command's stdout and
/// stderr are sent there line by line; without, they go to this process's stderr.
// Long because one command's life in order: wait for its offset, spawn, stream its output, wait or
// cancel; the steps share the child.
pub(crate) async fn run_exec_at(
    start: Instant,
    exec: &ExecAt,
    events: &EventLog,
    mut cancelled: watch::Receiver<bool>,
    output: Option<mpsc::Sender<ExecLine>>,
) -> ExecResult {
    let result = |status: String, succeeded: bool| ExecResult {
        at_ms: exec.at.as_millis() as u64,
        command: exec.command.clone(),
        status,
        succeeded,
    };
    let cancel = async move {
        // An error means the run dropped the sender: treat it as cancellation too.
        let _ = cancelled.wait_for(|c| *c).await;
    };
    tokio::pin!(cancel);
    tokio::select! {
        _ = tokio::time::sleep_until((start + exec.at).into()) => {}
        _ = &mut cancel => return result("not started: the run was stopped first".into(), false),
    }
    events.record(EventKind::ExecStart, &exec.command);
    let (stdout, stderr) = match output {
        Some(_) => (Stdio::piped(), Stdio::piped()),
        // Its output goes to stderr: stdout belongs to the report (`--format json`).
        None => (stderr_copy(), Stdio::inherit()),
    };
    let spawned = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&exec.command)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        // Its own process group, so that killing it also kills whatever it started (`sh -c`
        // forks), and a Ctrl-C meant for the load does not hit it half-way.
        .process_group(0)
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            events.record(EventKind::ExecFailed, &format!("{}: {error}", exec.command));
            return result(format!("failed to start: {error}"), false);
        }
    };
    let pumps = {
        let (out, err) = (child.stdout.take(), child.stderr.take());
        let sink = |stream| LineSink {
            sender: output.clone(),
            at: exec.at,
            command: exec.command.clone(),
            stream,
        };
        let (out_sink, err_sink) = (sink("stdout"), sink("stderr"));
        async move {
            tokio::join!(pump(out, out_sink), pump(err, err_sink));
        }
    };
    tokio::select! {
        status = wait_with_output(&mut child, pumps) => match status {
            Ok(status) => {
                events.record_with_exit(EventKind::ExecExit, &exec.command, status.code());
                match (status.code(), std::os::unix::process::ExitStatusExt::signal(&status)) {
                    (Some(code), _) => result(format!("exit {code}"), code == 0),
                    (None, Some(signal)) => result(format!("killed by signal {signal}"), false),
                    (None, None) => result(format!("{status}"), false),
                }
            }
            Err(error) => {
                events.record(EventKind::ExecFailed, &format!("{}: {error}", exec.command));
                result(format!("failed: {error}"), false)
            }
        },
        _ = &mut cancel => {
            if let Some(pid) = child.id() {
                // SAFETY: kill(2) on the process group of a child we have not reaped.
                unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
            }
            let _ = child.kill().await;
            events.record(EventKind::ExecKilled, &exec.command);
            result("killed: still running when the run ended".into(), false)
        }
    }
}

/// Waits for the command to exit while its output is passed on, then for the rest of its
/// output for at most [`OUTPUT_GRACE`].
async fn wait_with_output(
    child: &mut tokio::process::Child,
    pumps: impl std::future::Future<Output = ()>,
) -> std::io::Result<std::process::ExitStatus> {
    tokio::pin!(pumps);
    let mut pumped = false;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status?,
            _ = &mut pumps, if !pumped => pumped = true,
        }
    };
    if !pumped {
        let _ = tokio::time::timeout(OUTPUT_GRACE, pumps).await;
    }
    Ok(status)
}

/// Where one of a command's pipes sends its lines.
struct LineSink {
    sender: Option<mpsc::Sender<ExecLine>>,
    at: Duration,
    command: String,
    stream: &'static str,
}

impl LineSink {
    /// Sends one line (without its newline); false once nobody listens any more.
    async fn send(&self, line: &[u8]) -> bool {
        let Some(sender) = &self.sender else { return false };
        let line = String::from_utf8_lossy(line).trim_end_matches('\r').to_string();
        let (at, command, stream) = (self.at, self.command.clone(), self.stream);
        sender.send(ExecLine { at, command, stream, line }).await.is_ok()
    }
}

/// Reads `pipe` to its end and sends each line, cut at [`MAX_LINE`] bytes, to `sink`.
async fn pump(pipe: Option<impl AsyncRead + Unpin>, sink: LineSink) {
    let Some(mut pipe) = pipe else { return };
    let mut pending = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for piece in chunk[..read].split_inclusive(|b| *b == b'\n') {
            let text = piece.strip_suffix(b"\n").unwrap_or(piece);
            let room = MAX_LINE.saturating_sub(pending.len());
            pending.extend_from_slice(&text[..text.len().min(room)]);
            if piece.ends_with(b"\n") {
                if !sink.send(&pending).await {
                    return;
                }
                pending.clear();
            }
        }
    }
    if !pending.is_empty() {
        sink.send(&pending).await;
    }
}
