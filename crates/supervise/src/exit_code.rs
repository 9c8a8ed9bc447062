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

use nix::sys::wait::WaitStatus;

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

/// The shell-convention exit code of a reaped child, or `None` for statuses that are not a death.
pub fn from_wait_status(status: WaitStatus) -> Option<u8> {
    match status {
        WaitStatus::Exited(_, code) => Some(code as u8),
        WaitStatus::Signaled(_, signal, _) => Some(SIGNAL_BASE.wrapping_add(signal as u8)),
        _ => None,
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
    use nix::sys::signal::Signal;
    use nix::unistd::Pid;

    #[test]
    fn signal_deaths_are_128_plus_the_signal_number() {
        let pid = Pid::from_raw(1);
        assert_eq!(from_wait_status(WaitStatus::Signaled(pid, Signal::SIGKILL, false)), Some(137));
        assert_eq!(from_wait_status(WaitStatus::Signaled(pid, Signal::SIGTERM, true)), Some(143));
        assert_eq!(from_wait_status(WaitStatus::Exited(pid, 42)), Some(42));
    }

    #[test]
    fn spawn_errors_map_to_126_and_127() {
        assert_eq!(from_spawn_error(&io::Error::from(io::ErrorKind::NotFound)), 127);
        assert_eq!(from_spawn_error(&io::Error::from(io::ErrorKind::PermissionDenied)), 126);
    }
}
