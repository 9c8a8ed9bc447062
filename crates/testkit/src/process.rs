//! Child processes that cannot outlive the test: own process group, killed as a group on drop,
//! and SIGKILLed by the kernel if the thread that started them dies.
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::{io_error, Error};

/// A running child in its own process group; the whole group gets SIGKILL on drop.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Child,
    exited: Option<ExitStatus>,
}

impl ChildGuard {
    /// Spawns `command` in a new process group with PR_SET_PDEATHSIG(SIGKILL).
    pub fn spawn(name: &str, mut command: Command) -> Result<ChildGuard, Error> {
        command.process_group(0);
        // SAFETY: only async-signal-safe calls (prctl, getppid, raise) between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() == 1 {
                    libc::raise(libc::SIGKILL);
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(io_error(format!("cannot start {name}")))?;
        Ok(ChildGuard { name: name.to_string(), child, exited: None })
    }

    /// The process id (also the process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The name given at spawn, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends `signal` to the process (not its group).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on a pid we own and have not reaped.
        if self.exited.is_none() {
            unsafe { libc::kill(self.child.id() as i32, signal) };
        }
    }

    /// Sends `signal` to the whole process group (e.g. nginx master and workers).
    pub fn signal_group(&self, signal: i32) {
        if self.exited.is_none() {
            // SAFETY: the group id is the pid of our own, unreaped child.
            unsafe { libc::kill(-(self.child.id() as i32), signal) };
        }
    }

    /// The exit status if it has exited (reaps it).
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGKILLs the whole group and reaps the leader.
    pub fn kill(&mut self) {
        // Signal the group even if the leader is gone: its workers may still be running.
        // SAFETY: the group id is our child's pid; the group lives while any member does.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        if self.exited.is_none() {
            self.exited = self.child.wait().ok();
        }
        // The workers got the same SIGKILL; whoever reaps orphans collects them.
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}
