//! A supervised process: how it is started, signalled and recorded when it exits.
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Instant;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::config::ProcessSpec;
use crate::program::Program;
use crate::{phpfpm, signals};

/// A process lameduck started.
#[derive(Debug)]
pub struct Child {
    pub spec: ProcessSpec,
    pub pid: Pid,
    /// Exit code (shell convention) and when it was reaped.
    pub exit: Option<(u8, Instant)>,
    /// When its stop signal was sent.
    pub stop_sent: Option<Instant>,
    /// For php-fpm: the addresses its pools listen on.
    pub fastcgi: Vec<phpfpm::Listen>,
}

impl Child {
    /// Starts `spec`. The child gets an empty signal mask, its own process group (so a terminal's
    /// Ctrl-C reaches lameduck only, and lameduck decides who stops when) and dies with lameduck.
    pub fn spawn(spec: ProcessSpec) -> io::Result<Child> {
        let mut command = Command::new(&spec.argv[0]);
        command.args(&spec.argv[1..]);
        // SAFETY: the closure only makes async-signal-safe system calls.
        unsafe {
            command.pre_exec(|| {
                signals::unblock_all_in_child()?;
                if libc::setpgid(0, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        let fastcgi = if spec.program == Program::PhpFpm {
            let words = crate::program::program_words(&spec.argv);
            phpfpm::read(&words).map(|config| config.listens).unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(Child {
            spec,
            pid: Pid::from_raw(child.id() as i32),
            exit: None,
            stop_sent: None,
            fastcgi,
        })
    }

    /// True until the process has been reaped.
    pub fn running(&self) -> bool {
        self.exit.is_none()
    }

    /// Sends `signal` to the process itself (not its group); errors for a vanished process are
    /// expected during shutdown races and ignored.
    pub fn signal(&self, signal: Signal) {
        if self.running() {
            let _ = kill(self.pid, signal);
        }
    }

    /// SIGKILLs the process and its process group (its workers, e.g. nginx's).
    pub fn kill_group(&self) {
        if self.running() {
            let _ = kill(self.pid, Signal::SIGKILL);
            let _ = kill(Pid::from_raw(-self.pid.as_raw()), Signal::SIGKILL);
        }
    }
}
