//! Every exit code `lameduck run` and `lameduck prestop` can return, in one place.
//!
//! `lameduck run` is a container's PID 1, so its exit code is what Kubernetes records as the
//! container's. It follows the shell convention that tini and dumb-init also use:
//!
//! | code      | meaning                                                                  |
//! |-----------|--------------------------------------------------------------------------|
//! | 0..=255   | the main process's own exit code (the first process, or the one that   |
//! |           | exited on its own)                                                       |
//! | 128 + n   | the main process was killed by signal `n` (137 = SIGKILL at the deadline) |
//! | 127       | a command was not found                                                  |
//! | 126       | a command was found but could not be executed                          |
//! | 2         | bad command line or configuration (nothing was started)                 |
//! | 1         | lameduck itself failed, or a process exited with 0 on its own while     |
//! |           | others still ran (a supervised server must not stop by itself)           |
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
    fn spawn_errors_map_to_126_and_127() {
        assert_eq!(from_spawn_error(&io::Error::from(io::ErrorKind::NotFound)), 127);
        assert_eq!(from_spawn_error(&io::Error::from(io::ErrorKind::PermissionDenied)), 126);
    }
}
