//! Every exit code `lameduck run` and `lameduck prestop` can return, in one place.
//!
//! `lameduck run` is a container's PID 1, so its exit code is what Kubernetes records as the
//! container's. It follows the shell convention that tini and dumb-init also use. The tables
//! below ([`RUN`], [`PRESTOP`]) are the "Exit codes:" sections of each command's `--help` (and
//! so of docs/cli/), rendered by [`help_section`].
use std::io;
use std::process::ExitCode;

/// A command was found but could not be executed (permissions, bad format).
pub const EXEC_NOT_EXECUTABLE: u8 = 126;
/// A command was not found.
pub const EXEC_NOT_FOUND: u8 = 127;
/// Bad command line or configuration; nothing was started.
pub const USAGE: u8 = 2;
/// lameduck itself failed, or a process exited successfully on its own while others still ran.
pub const FAILURE: u8 = 1;
/// Base added to a signal number when a signal killed the process.
pub const SIGNAL_BASE: u8 = 128;

/// One line of an exit-code table: the code (or a range, written as in the help) and its meaning.
pub struct Row {
    pub code: &'static str,
    pub meaning: &'static str,
}

/// What `lameduck run` exits with. The codes are written out because they are spelled in the
/// help; the test `tables_match_the_constants` ties them to the constants.
pub const RUN: &[Row] = &[
    Row {
        code: "0-255",
        meaning: "the main process's own code (the first one, or the one that exited by itself)",
    },
    Row {
        code: "128+N",
        meaning: "the main process was killed by signal N, 1-64 (137: SIGKILL at the deadline)",
    },
    Row { code: "127", meaning: "a command was not found" },
    Row { code: "126", meaning: "a command was found but could not be executed" },
    Row { code: "2", meaning: "bad command line or configuration; nothing was started" },
    Row {
        code: "1",
        meaning: "lameduck failed, or a process exited with 0 by itself while others still ran",
    },
];

/// What `lameduck prestop` exits with.
pub const PRESTOP: &[Row] = &[
    Row { code: "0", meaning: "the target exited before the deadline" },
    Row {
        code: "1",
        meaning: "the target was still running at --grace-period minus --safety-margin",
    },
    Row {
        code: "2",
        meaning: "bad command line, unreadable pidfile, or a target that is not the server",
    },
];

/// The "Exit codes:" section of a command's `--help`, one code per line.
pub fn help_section(rows: &[Row]) -> String {
    let width = rows.iter().map(|row| row.code.len()).max().unwrap_or(0);
    let mut text = String::from("Exit codes:\n");
    for row in rows {
        text.push_str(&format!("  {:<width$}  {}\n", row.code, row.meaning));
    }
    text.pop();
    text
}

/// The shell-convention exit code for a raw `waitpid` status, or `None` for statuses that are not
/// a death (stopped, continued). Decoded from the raw status rather than through nix's
/// `WaitStatus`, whose `Signal` cannot hold real-time signals (34–64): nix turns such a death
/// into an error after the kernel has already reaped the process, and the exit would be lost.
pub fn from_raw_wait_status(status: libc::c_int) -> Option<u8> {
    if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status) as u8)
    } else if libc::WIFSIGNALED(status) {
        Some(SIGNAL_BASE.wrapping_add(libc::WTERMSIG(status) as u8))
    } else {
        None
    }
}

/// The exit code for a command that could not be started.
pub fn from_spawn_error(error: &io::Error) -> u8 {
    match error.kind() {
        io::ErrorKind::NotFound => EXEC_NOT_FOUND,
        _ => EXEC_NOT_EXECUTABLE,
    }
}

/// Converts a code into the process's [`ExitCode`].
pub fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw wait status as the kernel encodes it (see `wait(2)`).
    fn killed_by(signal: i32) -> i32 {
        signal & 0x7f
    }

    #[test]
    fn signal_deaths_are_128_plus_the_signal_number() {
        assert_eq!(from_raw_wait_status(killed_by(9)), Some(137));
        assert_eq!(from_raw_wait_status(killed_by(15) | 0x80), Some(143), "with a core dump");
        // Real-time signals, which nix's Signal cannot represent.
        assert_eq!(from_raw_wait_status(killed_by(34)), Some(162));
        assert_eq!(from_raw_wait_status(killed_by(64)), Some(192));
        assert_eq!(from_raw_wait_status(42 << 8), Some(42));
        // Stopped by SIGSTOP: not a death.
        assert_eq!(from_raw_wait_status((19 << 8) | 0x7f), None);
    }

    #[test]
    fn tables_match_the_constants() {
        let codes = |rows: &[Row]| rows.iter().map(|row| row.code.to_string()).collect::<Vec<_>>();
        let run = codes(RUN);
        for code in [EXEC_NOT_FOUND, EXEC_NOT_EXECUTABLE, USAGE, FAILURE] {
            assert!(run.contains(&code.to_string()), "run's table lacks {code}");
        }
        assert!(run.contains(&format!("{SIGNAL_BASE}+N")));
        let sigkill = SIGNAL_BASE + libc::SIGKILL as u8;
        assert!(RUN[1].meaning.contains(&format!("{sigkill}: SIGKILL")));
        assert_eq!(codes(PRESTOP), ["0", &FAILURE.to_string(), &USAGE.to_string()]);
    }

    #[test]
    fn help_section_aligns_the_meanings() {
        let text = help_section(PRESTOP);
        assert!(text.starts_with("Exit codes:\n  0  the target exited"), "{text}");
        // clap wraps longer lines without their indentation.
        for rows in [RUN, PRESTOP] {
            let text = help_section(rows);
            assert!(text.lines().all(|line| line.len() <= 90), "{text}");
        }
        assert!(help_section(RUN).contains("\n  126    a command was found"));
    }

    #[test]
    fn spawn_errors_map_to_126_and_127() {
        assert_eq!(from_spawn_error(&io::Error::from(io::ErrorKind::NotFound)), 127);
        assert_eq!(from_spawn_error(&io::Error::from(io::ErrorKind::PermissionDenied)), 126);
    }
}
